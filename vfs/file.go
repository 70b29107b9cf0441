package vfs

import (
	"encoding/binary"
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
)

// Open resolves path for open(2) with flags (do_filp_open): O_CREAT,
// O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_TRUNC and the access mode are checked
// here in Linux's order; perm (already masked by the umask) is the mode of
// a created file. A symbolic link in the last component is followed, and
// with O_CREAT a dangling one makes its target. O_TRUNC empties a regular
// file that was not just made; O_TMPFILE makes a file without a name. The
// caller opens the inode with OpenInode.
//
// Regular files can be made on the writable mounts (/tmp, /dev); the
// others are read-only (EROFS).
func (v *FS) Open(base *Inode, path string, flags int, perm uint32) (*Inode, error) {
	return v.As(nil).Open(base, path, flags, perm)
}

// Open is FS.Open on behalf of the caller.
func (c Caller) Open(base *Inode, path string, flags int, perm uint32) (*Inode, error) {
	v := c.v
	if err := CheckOpenFlags(flags); err != nil {
		return nil, err
	}
	defer c.lock()()
	nd := nameidata{v: v}
	if flags&O__TMPFILE != 0 {
		return v.tmpfile(&nd, base, path, flags, perm)
	}
	creat, excl := flags&fs.O_CREAT != 0, flags&fs.O_CREAT != 0 && flags&fs.O_EXCL != 0
	follow := flags&O_NOFOLLOW == 0 && !excl // O_EXCL implies O_NOFOLLOW
	var ino *Inode
	if !creat {
		var err error
		if ino, err = nd.lookupAt(base, path, follow); err != nil {
			return nil, err
		}
	} else {
		// open_last_lookups with O_CREAT: the last component is made if
		// missing, also at the end of a symbolic link.
		for ino == nil {
			dir, last, slash, err := nd.parentAt(base, path)
			if err != nil {
				return nil, err
			}
			if last == "" || last == "." || last == ".." {
				if excl {
					return nil, errno.EEXIST
				}
				return nil, errno.EISDIR
			}
			if slash {
				return nil, errno.EISDIR
			}
			ex, err := v.step(dir, last)
			switch {
			case err == errno.ENOENT && !dir.dead && dir.synth == nil:
				if dir.readOnly {
					return nil, errno.EROFS
				}
				if err := v.permission(dir, MAY_WRITE|MAY_EXEC); err != nil { // may_o_create
					return nil, err
				}
				return v.newChild(dir, last, S_IFREG|perm&0o7777, 0), nil
			case err != nil:
				return nil, err
			case excl:
				return nil, errno.EEXIST
			case ex.IsLink() && follow:
				nd.links++
				if nd.links > MAXSYMLINKS {
					return nil, errno.ELOOP
				}
				target, err := v.linkTarget(ex)
				if err != nil {
					return nil, err
				}
				base, path = dir, target
			default:
				ino = ex
			}
		}
		if ino.IsDir() {
			return nil, errno.EISDIR
		}
	}
	acc := flags & fs.O_ACCMODE
	write := acc == fs.O_WRONLY || acc == fs.O_RDWR || flags&fs.O_TRUNC != 0
	if flags&fs.O_DIRECTORY != 0 && !ino.IsDir() {
		return nil, errno.ENOTDIR
	}
	if ino.IsLink() {
		return nil, errno.ELOOP // O_NOFOLLOW
	}
	if ino.IsDir() && (acc != fs.O_RDONLY || flags&fs.O_TRUNC != 0) {
		return nil, errno.EISDIR
	}
	if write && ino.readOnly && ino.IsReg() {
		return nil, errno.EROFS
	}
	if err := v.permission(ino, openAccMode(flags)); err != nil { // may_open
		return nil, err
	}
	if flags&fs.O_TRUNC != 0 && ino.IsReg() {
		if err := v.truncate(ino, 0); err != nil { // handle_truncate
			return nil, err
		}
	}
	return ino, nil
}

// openAccMode is the permission an open asks for (ACC_MODE, plus write for
// O_TRUNC).
func openAccMode(flags int) uint32 {
	var mask uint32
	switch flags & fs.O_ACCMODE {
	case fs.O_RDONLY:
		mask = MAY_READ
	case fs.O_WRONLY:
		mask = MAY_WRITE
	default:
		mask = MAY_READ | MAY_WRITE
	}
	if flags&fs.O_TRUNC != 0 {
		mask |= MAY_WRITE
	}
	return mask
}

// CheckOpenFlags is build_open_flags' check, before anything else:
// O_CREAT with O_DIRECTORY is EINVAL (Linux 6.4 and later), and so is
// O_TMPFILE without O_DIRECTORY or without write access.
func CheckOpenFlags(flags int) error {
	if flags&fs.O_CREAT != 0 && flags&fs.O_DIRECTORY != 0 {
		return errno.EINVAL
	}
	if flags&O__TMPFILE != 0 {
		acc := flags & fs.O_ACCMODE
		if flags&fs.O_DIRECTORY == 0 || acc != fs.O_WRONLY && acc != fs.O_RDWR {
			return errno.EINVAL
		}
	}
	return nil
}

// tmpfile is do_tmpfile: an unnamed regular file on dir's mount, which
// linkat(AT_EMPTY_PATH) may name later unless O_EXCL.
func (v *FS) tmpfile(nd *nameidata, base *Inode, path string, flags int, perm uint32) (*Inode, error) {
	dir, err := nd.lookupAt(base, path, flags&O_NOFOLLOW == 0)
	if err != nil {
		return nil, err
	}
	if !dir.IsDir() {
		return nil, errno.ENOTDIR
	}
	if dir.readOnly {
		return nil, errno.EROFS
	}
	if err := v.permission(dir, MAY_WRITE|MAY_EXEC); err != nil {
		return nil, err
	}
	ino := v.newInode(S_IFREG|perm&0o7777, dir.Dev, nil, "")
	v.initOwner(ino, dir)
	ino.Nlink = 0
	ino.linkable = flags&fs.O_EXCL == 0
	return ino, nil
}

// OpenInode opens ino (do_dentry_open → f_op->open). A FIFO's open runs
// fifo_open with the state st, kept by the caller across retries: it may
// return errno.EAGAIN, meaning sleep on ino.Pipe().Wait() and call again.
// A device node without a driver is ENXIO, as in Linux.
func (v *FS) OpenInode(ino *Inode, flags int, st *ipc.FifoOpen) (fs.File, error) {
	if ino.synth != nil && !ino.IsDir() {
		return ino.synth.Open(ino, flags)
	}
	switch ino.Mode & S_IFMT {
	case S_IFDIR:
		return &Dir{v: v, ino: ino}, nil
	case S_IFREG:
		v.mu.Lock()
		ino.opens++
		v.mu.Unlock()
		return &RegFile{v: v, ino: ino}, nil
	case S_IFIFO:
		f, err := ino.pipe.OpenFifo(flags, st)
		if err != nil {
			return nil, err
		}
		return &Fifo{File: f, ino: ino}, nil
	case S_IFCHR:
		if open, ok := v.devs[ino.Rdev]; ok {
			return open(), nil
		}
	}
	return nil, errno.ENXIO
}

// Stat is struct stat's content (times in ns since the epoch).
type Stat struct {
	Dev, Ino, Nlink uint64
	Mode, UID, GID  uint32
	Rdev            uint64
	Size, Blksize   int64
	Blocks          int64
	Atime, Mtime    int64
	Ctime           int64
}

// StatSize is sizeof(struct stat) on x86-64.
const StatSize = 144

// Encode lays s out as x86-64's struct stat (arch/x86/include/uapi/asm/stat.h).
func (s *Stat) Encode() []byte {
	b := make([]byte, StatSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], s.Dev)
	le.PutUint64(b[8:], s.Ino)
	le.PutUint64(b[16:], s.Nlink)
	le.PutUint32(b[24:], s.Mode)
	le.PutUint32(b[28:], s.UID)
	le.PutUint32(b[32:], s.GID)
	le.PutUint64(b[40:], s.Rdev)
	le.PutUint64(b[48:], uint64(s.Size))
	le.PutUint64(b[56:], uint64(s.Blksize))
	le.PutUint64(b[64:], uint64(s.Blocks))
	for i, t := range []int64{s.Atime, s.Mtime, s.Ctime} {
		le.PutUint64(b[72+16*i:], uint64(t/1e9))
		le.PutUint64(b[80+16*i:], uint64(t%1e9))
	}
	return b
}

// Stat returns the inode's attributes (generic_fillattr).
func (v *FS) Stat(ino *Inode) Stat {
	v.mu.Lock()
	defer v.mu.Unlock()
	ino.mu.Lock()
	defer ino.mu.Unlock()
	s := Stat{Dev: ino.Dev, Ino: ino.Ino, Nlink: ino.Nlink, Mode: ino.Mode, UID: ino.UID, GID: ino.GID, Rdev: ino.Rdev,
		Blksize: 4096, Blocks: ino.blocks(), Atime: ino.Atime, Mtime: ino.Mtime, Ctime: ino.Ctime}
	switch {
	case ino.synth != nil: // size 0, as procfs reports
	case ino.IsReg():
		s.Size = ino.fileSize()
	case ino.IsDir():
		s.Size = 40 + 20*int64(len(ino.children)) // tmpfs's BOGO_DIRENT_SIZE
	case ino.IsLink():
		s.Size = int64(len(ino.target))
	}
	return s
}

// StatFile returns what fstat reports for an open file: its inode's
// attributes, an anonymous pipe's pipefs inode, or /dev/console for the
// console. ok is false for a file the namespace does not know. v may be
// nil (then only pipes are known).
func (v *FS) StatFile(f fs.File) (s Stat, ok bool) {
	switch f := f.(type) {
	case *Fifo:
		return v.Stat(f.ino), true
	case *Dir:
		return v.Stat(f.ino), true
	case *RegFile:
		return v.Stat(f.ino), true
	case *ipc.File:
		// pipefs: S_IFIFO, owner read/write, one link.
		return Stat{Dev: devPipefs, Ino: f.Pipe().Ino, Nlink: 1, Mode: S_IFIFO | 0o600, Blksize: 4096}, true
	case nullFile:
		if v != nil {
			if ino, err := v.Lookup(nil, "/dev/null"); err == nil {
				return v.Stat(ino), true
			}
		}
	case zeroFile:
		if v != nil {
			if ino, err := v.Lookup(nil, "/dev/zero"); err == nil {
				return v.Stat(ino), true
			}
		}
	}
	if f, ok := f.(interface{ Inode() *Inode }); ok && v != nil {
		return v.Stat(f.Inode()), true // a synthetic filesystem's file
	}
	if v != nil && v.conIno != nil && f == v.console {
		return v.Stat(v.conIno), true
	}
	return Stat{}, false
}

// IsPipe reports whether f is a pipe or FIFO (lseek gives ESPIPE; a write
// that gets EPIPE raises SIGPIPE).
func IsPipe(f fs.File) bool {
	switch f.(type) {
	case *ipc.File, *Fifo:
		return true
	}
	return false
}

// CanPoll is file_can_poll: whether the file has a poll method of its own.
// Regular files and directories (tmpfs's, the images', /proc's) and
// /dev/null and /dev/zero do not: poll reports them always ready, and
// epoll_ctl refuses them (EPERM).
func CanPoll(f fs.File) bool {
	switch f := f.(type) {
	case nullFile, zeroFile, *RegFile, *Dir:
		return false
	case interface{ Inode() *Inode }:
		ino := f.Inode()
		return !ino.IsReg() && !ino.IsDir()
	}
	return true
}

// Seeker is an open file with a position (lseek).
type Seeker interface {
	Seek(off int64, whence int) (int64, error)
}

// lseek whence values.
const (
	SEEK_SET = 0
	SEEK_CUR = 1
	SEEK_END = 2
)

// Fifo is an open FIFO: a pipe end that stats as its inode.
type Fifo struct {
	*ipc.File
	ino *Inode
}

// Inode returns the FIFO's inode.
func (f *Fifo) Inode() *Inode { return f.ino }

// RegFile is an open regular file: an image in /bin, or a tmpfs file. It
// has the file position (f_pos), shared by every descriptor of the open
// file description (dup, fork).
type RegFile struct {
	v   *FS
	ino *Inode
	mu  sync.Mutex // f_pos_lock
	off int64
}

// Inode returns the file's inode.
func (f *RegFile) Inode() *Inode { return f.ino }

// Read implements fs.File: from the position, which moves on.
func (f *RegFile) Read(p []byte) (int, error) {
	f.mu.Lock()
	n := f.v.readAt(f.ino, p, f.off)
	f.off += int64(n)
	f.mu.Unlock()
	return n, nil
}

// Write implements fs.File: at the position, which moves on. An image is
// never open for writing.
func (f *RegFile) Write(p []byte) (int, error) { return f.write(p, false) }

// Append implements Appender: an O_APPEND write, at the end of the file;
// the position moves to the end of what was written.
func (f *RegFile) Append(p []byte) (int, error) { return f.write(p, true) }

// LockAppend and UnlockAppend bracket an O_APPEND write that takes several
// Append and Write calls, so that no other appender of the inode gets in
// between (Linux holds i_rwsem for a whole write).
func (f *RegFile) LockAppend()   { f.ino.appendMu.Lock() }
func (f *RegFile) UnlockAppend() { f.ino.appendMu.Unlock() }

func (f *RegFile) write(p []byte, appending bool) (int, error) {
	if f.ino.readOnly {
		return 0, errno.EBADF
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	n, pos, err := f.v.writeAt(f.ino, p, f.off, appending)
	if n > 0 {
		f.off = pos + int64(n)
	}
	return n, err
}

// Poll implements fs.File: regular files are always ready.
func (f *RegFile) Poll() uint32 { return defaultPollMask }

// Wait implements fs.File.
func (f *RegFile) Wait() *fs.WaitQueue { return &neverWoken }

// Release implements fs.File: the last close of an unlinked file frees its
// data.
func (f *RegFile) Release() {
	f.v.mu.Lock()
	f.ino.opens--
	f.v.maybeEvict(f.ino)
	f.v.mu.Unlock()
}

// Seek implements Seeker (shmem_file_llseek, generic_file_llseek).
func (f *RegFile) Seek(off int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if whence == SEEK_DATA || whence == SEEK_HOLE {
		n, err := f.ino.seekHoleData(off, whence)
		if err == nil {
			f.off = n
		}
		return n, err
	}
	var size int64
	if whence == SEEK_END {
		f.ino.mu.Lock()
		size = f.ino.fileSize()
		f.ino.mu.Unlock()
	}
	return seek(&f.off, size, off, whence)
}

func seek(pos *int64, size, off int64, whence int) (int64, error) {
	var n int64
	switch whence {
	case SEEK_SET:
		n = off
	case SEEK_CUR:
		n = *pos + off
	case SEEK_END:
		n = size + off
	default:
		return 0, errno.EINVAL
	}
	if n < 0 {
		return 0, errno.EINVAL
	}
	*pos = n
	return n, nil
}

// DEFAULT_POLLMASK: what poll reports for files without a poll method.
const defaultPollMask = fs.POLLIN | fs.POLLOUT | fs.POLLRDNORM | fs.POLLWRNORM

// neverWoken is the queue of files that are always ready.
var neverWoken fs.WaitQueue

// nullFile is /dev/null: reads see EOF, writes vanish.
type nullFile struct{}

func (nullFile) Read(p []byte) (int, error)     { return 0, nil }
func (nullFile) Write(p []byte) (int, error)    { return len(p), nil }
func (nullFile) Poll() uint32                   { return defaultPollMask }
func (nullFile) Wait() *fs.WaitQueue            { return &neverWoken }
func (nullFile) Release()                       {}
func (nullFile) Seek(int64, int) (int64, error) { return 0, nil } // null_lseek
func (zeroFile) Read(p []byte) (int, error)     { clear(p); return len(p), nil }
func (zeroFile) Write(p []byte) (int, error)    { return len(p), nil }
func (zeroFile) Poll() uint32                   { return defaultPollMask }
func (zeroFile) Wait() *fs.WaitQueue            { return &neverWoken }
func (zeroFile) Release()                       {}
func (zeroFile) Seek(int64, int) (int64, error) { return 0, nil }
func (d *Dir) Read(p []byte) (int, error)       { return 0, errno.EISDIR }
func (d *Dir) Write(p []byte) (int, error)      { return 0, errno.EBADF }
func (d *Dir) Poll() uint32                     { return defaultPollMask }
func (d *Dir) Wait() *fs.WaitQueue              { return &neverWoken }
func (d *Dir) Release()                         {}
func (d *Dir) Inode() *Inode                    { return d.ino }
func (d *Dir) Seek(off int64, whence int) (int64, error) {
	if whence != SEEK_SET && whence != SEEK_CUR {
		return 0, errno.EINVAL
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return seek(&d.pos, 0, off, whence)
}

// zeroFile is /dev/zero: reads give zeros, writes vanish.
type zeroFile struct{}

// Dir is an open directory; reads are EISDIR, getdents64 lists it.
type Dir struct {
	v   *FS
	ino *Inode
	mu  sync.Mutex
	pos int64 // index of the next entry: 0 ".", 1 "..", then the children
}

// Directory entry types (d_type): the file type bits shifted down.
const (
	DT_FIFO = 1
	DT_CHR  = 2
	DT_DIR  = 4
	DT_BLK  = 6
	DT_REG  = 8
	DT_LNK  = 10
	DT_SOCK = 12
)

func dtype(mode uint32) byte { return byte(mode & S_IFMT >> 12) }

// Getdents64 fills at most size bytes with struct linux_dirent64 records
// from the current position (iterate_dir + filldir64). It returns no bytes
// at the end, EINVAL when not even one record fits, and ENOENT for a
// removed directory. Positions: 0 is ".", 1 is "..", then each entry's
// own (d_off is the position after it), so entries made or removed during
// a listing do not make a reader skip or repeat others.
func (d *Dir) Getdents64(size int) ([]byte, error) {
	type ent struct {
		ino  uint64
		typ  byte
		name string
		pos  int64
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.v.mu.Lock()
	dead, parent := d.ino.dead, d.ino.parent.inoOr(d.ino)
	d.v.mu.Unlock()
	if dead {
		return nil, errno.ENOENT
	}
	var ents []ent
	if d.pos == 0 {
		ents = append(ents, ent{d.ino.Ino, DT_DIR, ".", 0})
	}
	if d.pos <= 1 {
		ents = append(ents, ent{parent, DT_DIR, "..", 1})
	}
	if d.ino.synth != nil {
		// A synthetic directory (procfs): positions count its entries.
		des, err := synthDirents(d.ino)
		if err != nil {
			return nil, err
		}
		for i, e := range des {
			if pos := int64(2 + i); pos >= d.pos {
				ents = append(ents, ent{e.Ino, e.Type, e.Name, pos})
			}
		}
	}
	for _, c := range d.v.children(d.ino, d.pos) {
		ents = append(ents, ent{c.ino.Ino, dtype(c.ino.Mode), c.name, c.pos})
	}
	var out []byte
	for _, e := range ents {
		reclen := (19 + len(e.name) + 1 + 7) &^ 7
		if len(out)+reclen > size {
			if len(out) == 0 {
				return nil, errno.EINVAL
			}
			break
		}
		rec := make([]byte, reclen)
		binary.LittleEndian.PutUint64(rec[0:], e.ino)
		binary.LittleEndian.PutUint64(rec[8:], uint64(e.pos+1)) // d_off: the next position
		binary.LittleEndian.PutUint16(rec[16:], uint16(reclen))
		rec[18] = e.typ
		copy(rec[19:], e.name)
		out = append(out, rec...)
		d.pos = e.pos + 1
	}
	return out, nil
}

func (i *Inode) inoOr(def *Inode) uint64 {
	if i == nil {
		return def.Ino
	}
	return i.Ino
}
