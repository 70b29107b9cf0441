package vfs

import (
	"encoding/binary"
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
)

// Open resolves path for open(2) with flags (do_filp_open): O_CREAT,
// O_EXCL, O_DIRECTORY, O_TRUNC and the access mode are checked here in
// Linux's order; perm (already masked by the umask) is the mode of a
// created file. The caller opens the inode with OpenInode.
//
// Regular files cannot be created: /tmp behaves as a tmpfs with no room
// for data (ENOSPC), the other mounts are read-only (EROFS).
func (v *FS) Open(base *Inode, path string, flags int, perm uint32) (*Inode, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.open(base, path, flags, perm)
}

func (v *FS) open(base *Inode, path string, flags int, perm uint32) (*Inode, error) {
	var ino *Inode
	if flags&fs.O_CREAT != 0 {
		dir, last, slash, err := v.walk(base, path)
		if err != nil {
			return nil, err
		}
		if last == "" || last == "." || last == ".." || slash {
			return nil, errno.EISDIR
		}
		ex, ok := dir.children[last]
		if !ok && dir.synth != nil && !slash {
			if e, err := v.synthStep(dir, last, true); err == nil {
				ex, ok = e, true
			}
		}
		if ok {
			if flags&fs.O_EXCL != 0 {
				return nil, errno.EEXIST
			}
			if ex.IsDir() {
				return nil, errno.EISDIR
			}
			ino = ex
		} else {
			if _, err := v.create(base, path, S_IFREG|perm&0o7777, 0); err != nil {
				return nil, err
			}
		}
	} else {
		var err error
		if ino, err = v.lookup(base, path); err != nil {
			return nil, err
		}
	}
	acc := flags & fs.O_ACCMODE
	write := acc == fs.O_WRONLY || acc == fs.O_RDWR || flags&fs.O_TRUNC != 0
	if flags&fs.O_DIRECTORY != 0 && !ino.IsDir() {
		return nil, errno.ENOTDIR
	}
	if ino.IsDir() && (acc != fs.O_RDONLY || flags&fs.O_TRUNC != 0) {
		return nil, errno.EISDIR
	}
	if write && ino.readOnly && ino.IsReg() {
		return nil, errno.EROFS
	}
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
		return &RegFile{ino: ino}, nil
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
	s := Stat{Dev: ino.Dev, Ino: ino.Ino, Nlink: ino.Nlink, Mode: ino.Mode, Rdev: ino.Rdev,
		Blksize: 4096, Atime: ino.Mtime, Mtime: ino.Mtime, Ctime: ino.Ctime}
	switch {
	case ino.synth != nil: // size 0, as procfs reports
	case ino.IsReg():
		s.Size = int64(len(ino.data))
		s.Blocks = (s.Size + 4095) / 4096 * 8
	case ino.IsDir():
		s.Size = 40 + 20*int64(len(ino.children)) // tmpfs's BOGO_DIRENT_SIZE
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

// RegFile is an open regular file (an image in /bin): reads from its bytes
// at the file position.
type RegFile struct {
	ino *Inode
	mu  sync.Mutex // f_pos_lock
	off int64
}

// Inode returns the file's inode.
func (f *RegFile) Inode() *Inode { return f.ino }

// Read implements fs.File.
func (f *RegFile) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data := f.ino.data
	if f.off >= int64(len(data)) {
		return 0, nil
	}
	n := copy(p, data[f.off:])
	f.off += int64(n)
	return n, nil
}

// Write implements fs.File: the mount is read-only.
func (f *RegFile) Write(p []byte) (int, error) { return 0, errno.EBADF }

// Poll implements fs.File: regular files are always ready.
func (f *RegFile) Poll() uint32 { return defaultPollMask }

// Wait implements fs.File.
func (f *RegFile) Wait() *fs.WaitQueue { return &neverWoken }

// Release implements fs.File.
func (f *RegFile) Release() {}

// Seek implements Seeker (generic_file_llseek).
func (f *RegFile) Seek(off int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return seek(&f.off, int64(len(f.ino.data)), off, whence)
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

// Directory entry types (d_type).
const (
	DT_FIFO = 1
	DT_CHR  = 2
	DT_DIR  = 4
	DT_REG  = 8
)

func dtype(mode uint32) byte {
	switch mode & S_IFMT {
	case S_IFIFO:
		return DT_FIFO
	case S_IFCHR:
		return DT_CHR
	case S_IFDIR:
		return DT_DIR
	case S_IFREG:
		return DT_REG
	}
	return 0
}

// Getdents64 fills at most size bytes with struct linux_dirent64 records
// from the current position (iterate_dir + filldir64). It returns no bytes
// at the end, and EINVAL when not even one record fits.
func (d *Dir) Getdents64(size int) ([]byte, error) {
	type ent struct {
		ino  uint64
		typ  byte
		name string
	}
	ents := []ent{{d.ino.Ino, DT_DIR, "."}, {d.ino.parent.inoOr(d.ino), DT_DIR, ".."}}
	if d.ino.synth != nil {
		des, err := synthDirents(d.ino)
		if err != nil {
			return nil, err
		}
		for _, e := range des {
			ents = append(ents, ent{e.Ino, e.Type, e.Name})
		}
	}
	for _, c := range d.v.children(d.ino) {
		ents = append(ents, ent{c.Ino, dtype(c.Mode), c.name})
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []byte
	for d.pos < int64(len(ents)) {
		e := ents[d.pos]
		reclen := (19 + len(e.name) + 1 + 7) &^ 7
		if len(out)+reclen > size {
			if len(out) == 0 {
				return nil, errno.EINVAL
			}
			break
		}
		rec := make([]byte, reclen)
		binary.LittleEndian.PutUint64(rec[0:], e.ino)
		binary.LittleEndian.PutUint64(rec[8:], uint64(d.pos+1)) // d_off: the next position
		binary.LittleEndian.PutUint16(rec[16:], uint16(reclen))
		rec[18] = e.typ
		copy(rec[19:], e.name)
		out = append(out, rec...)
		d.pos++
	}
	return out, nil
}

func (i *Inode) inoOr(def *Inode) uint64 {
	if i == nil {
		return def.Ino
	}
	return i.Ino
}
