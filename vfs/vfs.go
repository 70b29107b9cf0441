// Package vfs is tamix's small in-memory namespace, after Linux's fs/namei.c,
// fs/open.c, fs/stat.c and mm/shmem.c, with these mounts:
//
//	/      read-only root (EROFS for anything that would change it)
//	/bin   read-only: the embedded executables, regular files, mode 0755
//	/dev   devtmpfs-like: console (5:1), tty (5:0), null (1:3), zero (1:5);
//	       writable like /tmp
//	/tmp   tmpfs, mode 01777: regular files (data in page frames, sparse,
//	       ENOSPC past the size limit: half the RAM's frames by default),
//	       directories, symbolic links, hard links, FIFOs, device nodes
//	/proc  a synthetic filesystem (package procfs) mounted with Mount:
//	       its Synthetic makes the inodes on each lookup (synthetic.go)
//
// Path resolution follows symbolic links as Linux does (at most 40 per
// lookup, then ELOOP). Everything is plain Go: proc's system calls call in
// here with kernel strings, so it is tested on the host.
package vfs

import (
	"sort"
	"strings"
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/mm"
)

// File type and permission bits (include/uapi/linux/stat.h).
const (
	S_IFMT   = 0o170000
	S_IFSOCK = 0o140000
	S_IFLNK  = 0o120000
	S_IFREG  = 0o100000
	S_IFBLK  = 0o060000
	S_IFDIR  = 0o040000
	S_IFCHR  = 0o020000
	S_IFIFO  = 0o010000
	S_ISVTX  = 0o1000
)

// Path limits (include/uapi/linux/limits.h).
const (
	PATH_MAX = 4096 // with the NUL: a path has at most 4095 bytes
	NAME_MAX = 255
)

// access(2) modes.
const (
	F_OK = 0
	X_OK = 1
	W_OK = 2
	R_OK = 4
)

// Device numbers of the mounts (st_dev) and of the character devices.
var (
	devRoot   = Mkdev(0, 1)
	devDev    = Mkdev(0, 5)
	devTmp    = Mkdev(0, 32)
	devPipefs = Mkdev(0, 12)

	RdevConsole = Mkdev(5, 1)
	RdevTty     = Mkdev(5, 0)
	RdevNull    = Mkdev(1, 3)
	RdevZero    = Mkdev(1, 5)
)

// Mkdev encodes major:minor as the kernel's new_encode_dev (st_dev, st_rdev).
func Mkdev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 | uint64(minor&^0xff)<<12
}

// Inode is one object of the namespace.
type Inode struct {
	Ino  uint64
	Mode uint32 // S_IF* | permissions
	// UID and GID own the inode (i_uid, i_gid): whoever made it, as
	// initOwner sets them; the images, /dev and /proc belong to root.
	UID, GID uint32
	Nlink    uint64
	Dev      uint64 // the mount's device (st_dev)
	Rdev     uint64 // for device nodes
	// Atime, Mtime and Ctime are ns since the epoch, under mu.
	Atime, Mtime, Ctime int64

	readOnly bool
	// name and parent place a directory (for "..", getcwd); another inode
	// may have many names (hard links): these are the one it was made or
	// renamed with, for /proc/PID/fd (parent nil: no name left).
	name   string
	parent *Inode
	// deletedFrom is the directory a file's last name was removed from:
	// d_path still names it, with " (deleted)".
	deletedFrom *Inode
	children    map[string]*Inode // directories
	data        []byte            // regular files (the images)
	pipe        *ipc.Pipe         // FIFOs

	// mu is i_rwsem for a file's data: pages, size and the timestamps.
	// Lock order: FS.mu, then Inode.mu.
	mu      sync.Mutex
	cache   *mm.PageCache    // tmpfs regular files: the data; images: once mapped
	seals   uint32           // memfd seals (F_ADD_SEALS)
	target  string           // symbolic links
	opens   int              // open RegFiles: the data lives while > 0
	cookies map[string]int64 // directories: each entry's readdir position
	nextPos int64            // directories: the next entry's position
	dead    bool             // a removed directory (IS_DEADDIR)
	// appendMu orders O_APPEND writes that take several chunks.
	appendMu sync.Mutex
	// linkable marks an O_TMPFILE file that linkat may still give a
	// name (I_LINKABLE).
	linkable bool

	synth   Synthetic // the synthetic filesystem it belongs to (synthetic.go)
	Private any       // the synthetic filesystem's data (i_private)
}

// IsDir, IsFifo, IsReg and IsChr test the file type.
func (i *Inode) IsDir() bool  { return i.Mode&S_IFMT == S_IFDIR }
func (i *Inode) IsFifo() bool { return i.Mode&S_IFMT == S_IFIFO }
func (i *Inode) IsReg() bool  { return i.Mode&S_IFMT == S_IFREG }
func (i *Inode) IsChr() bool  { return i.Mode&S_IFMT == S_IFCHR }

// Pipe is a FIFO's pipe (nil for other inodes).
func (i *Inode) Pipe() *ipc.Pipe { return i.pipe }

// Config describes a new namespace.
type Config struct {
	// Images are the embedded executables by path ("/bin/cat").
	Images map[string][]byte
	// Console is the terminal that /dev/console and /dev/tty open.
	Console fs.File
	// Now returns ns since the epoch for timestamps; nil means 0.
	Now func() int64
	// Frames, when set, holds the tmpfs file pages (mm.FrameAllocator);
	// without it they come from the Go heap.
	Frames Frames
	// TmpfsPages caps the pages of file data (ENOSPC beyond); 0 means half
	// of Frames' frames (tmpfs's default size), or 64 MiB without Frames.
	TmpfsPages int
}

// FS is the namespace.
type FS struct {
	mu      sync.Mutex
	root    *Inode
	nextIno uint64
	now     func() int64
	console fs.File
	devs    map[uint64]func() fs.File // character devices by rdev
	conIno  *Inode
	store   *pageStore // tmpfs data pages
	frames  Frames     // Config.Frames, or Go memory standing in for frames

	// caller belongs to the walk in progress (v.mu held): the task it
	// resolves for (/proc/self), nil for none; cred is whom it acts as
	// (perm.go).
	caller any
	cred   Cred
}

// New builds the namespace.
func New(c Config) *FS {
	v := &FS{now: c.Now, console: c.Console, nextIno: 1}
	if v.now == nil {
		v.now = func() int64 { return 0 }
	}
	v.frames = c.Frames
	if v.frames == nil {
		v.frames = newHeapFrames()
	}
	v.store = newPageStore(v.frames, c.TmpfsPages)
	v.devs = map[uint64]func() fs.File{
		RdevNull: func() fs.File { return nullFile{} },
		RdevZero: func() fs.File { return zeroFile{} },
	}
	if c.Console != nil {
		v.devs[RdevConsole] = func() fs.File { return c.Console }
		v.devs[RdevTty] = func() fs.File { return c.Console }
	}
	v.root = v.newInode(S_IFDIR|0o755, devRoot, nil, "")
	v.root.parent = v.root
	v.root.readOnly = true
	bin := v.mkdir(v.root, "bin", 0o755, devRoot, true)
	dev := v.mkdir(v.root, "dev", 0o755, devDev, false)
	v.mkdir(v.root, "tmp", S_ISVTX|0o777, devTmp, false)
	names := make([]string, 0, len(c.Images))
	for p := range c.Images {
		names = append(names, p)
	}
	sort.Strings(names)
	for _, p := range names {
		name, ok := strings.CutPrefix(p, "/bin/")
		if !ok || name == "" || strings.Contains(name, "/") {
			continue
		}
		ino := v.link(bin, name, v.newInode(S_IFREG|0o755, devRoot, nil, name))
		ino.data = c.Images[p]
		ino.readOnly = true
	}
	for _, d := range []struct {
		name string
		mode uint32
		rdev uint64
	}{
		{"console", 0o600, RdevConsole},
		{"tty", 0o666, RdevTty},
		{"null", 0o666, RdevNull},
		{"zero", 0o666, RdevZero},
	} {
		if _, ok := v.devs[d.rdev]; !ok {
			continue
		}
		ino := v.link(dev, d.name, v.newInode(S_IFCHR|d.mode, devDev, nil, d.name))
		ino.Rdev = d.rdev
		if d.rdev == RdevConsole {
			v.conIno = ino
		}
	}
	return v
}

// Root is "/".
func (v *FS) Root() *Inode { return v.root }

func (v *FS) newInode(mode uint32, dev uint64, parent *Inode, name string) *Inode {
	now := v.now()
	ino := &Inode{Ino: v.nextIno, Mode: mode, Nlink: 1, Dev: dev, Atime: now, Mtime: now, Ctime: now, parent: parent, name: name}
	v.nextIno++
	v.initOwner(ino, parent)
	if ino.IsDir() {
		ino.Nlink = 2
		ino.children = map[string]*Inode{}
		ino.cookies = map[string]int64{}
		ino.nextPos = 2 // after "." and ".."
	}
	return ino
}

// link enters ino in dir under name (d_add), at the end of dir's readdir
// order.
func (v *FS) link(dir *Inode, name string, ino *Inode) *Inode {
	if ino.IsDir() {
		dir.Nlink++
	}
	if ino.IsDir() || ino.parent == nil {
		ino.parent, ino.name = dir, name // a file keeps its first name
	}
	dir.children[name] = ino
	dir.cookies[name] = dir.nextPos
	dir.nextPos++
	dir.touch(v.now(), true)
	return ino
}

// unlinkEntry takes name out of dir (d_delete): a directory loses its ".."
// link to dir.
func (v *FS) unlinkEntry(dir *Inode, name string) {
	if ino := dir.children[name]; ino != nil && ino.IsDir() {
		dir.Nlink--
	}
	delete(dir.children, name)
	delete(dir.cookies, name)
	dir.touch(v.now(), true)
}

// touch sets the change time, and the modification time with mtime.
func (i *Inode) touch(now int64, mtime bool) {
	i.mu.Lock()
	i.Ctime = now
	if mtime {
		i.Mtime = now
	}
	i.mu.Unlock()
}

func (v *FS) mkdir(dir *Inode, name string, perm uint32, dev uint64, ro bool) *Inode {
	ino := v.link(dir, name, v.newInode(S_IFDIR|perm, dev, dir, name))
	ino.readOnly = ro
	return ino
}

// Path returns the absolute path of a directory (for getcwd), "" for a
// removed one (d_unlinked).
func (v *FS) Path(dir *Inode) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if dir == v.root {
		return "/"
	}
	var parts []string
	for d := dir; d != v.root; d = d.parent {
		if d.parent == nil || d.dead {
			return "" // unlinked
		}
		parts = append(parts, d.name)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	return b.String()
}

// walk resolves path from base (a directory; nil means the root) to its
// parent directory and last component (path_parentat), following symbolic
// links on the way. The last component is "" for "/" and may be "." or
// "..". trailingSlash reports a path that ends in "/" (the object must then
// be a directory).
func (v *FS) walk(base *Inode, path string) (dir *Inode, last string, trailingSlash bool, err error) {
	nd := nameidata{v: v}
	return nd.parentAt(base, path)
}

// step looks up one component in dir (lookup_fast/lookup_slow), without
// following a symbolic link: ENOENT, and ENAMETOOLONG for a name longer
// than NAME_MAX. ".." of the root is the root. A synthetic directory makes
// the inode for the caller of the walk.
func (v *FS) step(dir *Inode, name string) (*Inode, error) {
	switch name {
	case ".", "":
		return dir, nil
	case "..":
		if dir.parent == nil {
			return nil, errno.ENOENT // an unlinked directory
		}
		return dir.parent, nil
	}
	if dir.dead {
		return nil, errno.ENOENT
	}
	if len(name) > NAME_MAX {
		return nil, errno.ENAMETOOLONG
	}
	ino, ok := dir.children[name]
	if !ok {
		if dir.synth != nil {
			return dir.synth.Lookup(v.caller, dir, name)
		}
		return nil, errno.ENOENT
	}
	return ino, nil
}

// Lookup resolves path from base (nil: the root) to an inode
// (filename_lookup with LOOKUP_FOLLOW): ENOENT, ENOTDIR, ENAMETOOLONG,
// ELOOP as Linux.
func (v *FS) Lookup(base *Inode, path string) (*Inode, error) { return v.As(nil).Lookup(base, path) }

// Lookup is FS.Lookup on behalf of the caller.
func (c Caller) Lookup(base *Inode, path string) (*Inode, error) {
	v := c.v
	defer c.lock()()
	return v.lookup(base, path)
}

// LookupNoFollow is Lookup without following a symbolic link in the last
// component (lstat, AT_SYMLINK_NOFOLLOW); a trailing slash still follows.
func (v *FS) LookupNoFollow(base *Inode, path string) (*Inode, error) {
	return v.As(nil).LookupNoFollow(base, path)
}

// LookupNoFollow is FS.LookupNoFollow on behalf of the caller.
func (c Caller) LookupNoFollow(base *Inode, path string) (*Inode, error) {
	v := c.v
	defer c.lock()()
	nd := nameidata{v: v}
	return nd.lookupAt(base, path, false)
}

func (v *FS) lookup(base *Inode, path string) (*Inode, error) {
	nd := nameidata{v: v}
	return nd.lookupAt(base, path, true)
}

// Mknod creates a node (vfs_mknod): a regular file, a FIFO, a character
// or block device (we are root), or a socket inode; type 0 is a regular
// file. perm is already masked by the umask. Errors as do_mknodat: EPERM
// for S_IFDIR, EINVAL for an unknown type, EEXIST before EROFS,
// ENOENT/ENOTDIR for the parent.
func (v *FS) Mknod(base *Inode, path string, mode uint32, rdev uint64) (*Inode, error) {
	return v.As(nil).Mknod(base, path, mode, rdev)
}

// Mknod is FS.Mknod on behalf of the caller.
func (c Caller) Mknod(base *Inode, path string, mode uint32, rdev uint64) (*Inode, error) {
	v := c.v
	switch mode & S_IFMT {
	case S_IFDIR:
		return nil, errno.EPERM
	case 0, S_IFREG, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK:
	default:
		return nil, errno.EINVAL
	}
	if mode&S_IFMT == 0 {
		mode |= S_IFREG
	}
	defer c.lock()()
	return v.create(base, path, mode, rdev)
}

// create is filename_create + vfs_mknod under v.mu.
func (v *FS) create(base *Inode, path string, mode uint32, rdev uint64) (*Inode, error) {
	nd := nameidata{v: v}
	dir, last, err := nd.filenameCreate(base, path, false)
	if err != nil {
		return nil, err
	}
	return v.newChild(dir, last, mode, rdev), nil
}

// newChild makes a node of type and permissions mode in dir (the mount's
// create method).
func (v *FS) newChild(dir *Inode, name string, mode uint32, rdev uint64) *Inode {
	ino := v.newInode(mode&(S_IFMT|0o7777), dir.Dev, dir, name)
	switch mode & S_IFMT {
	case S_IFIFO:
		ino.pipe = ipc.NewPipe()
	case S_IFCHR, S_IFBLK:
		ino.Rdev = rdev
	}
	return v.link(dir, name, ino)
}

// Unlink removes a name (do_unlinkat): EROFS on a read-only mount, ENOENT,
// EISDIR for a directory. A symbolic link itself is removed. An open file
// keeps its data until its last close; open FIFOs keep working.
func (v *FS) Unlink(base *Inode, path string) error { return v.As(nil).Unlink(base, path) }

// Unlink is FS.Unlink on behalf of the caller.
func (c Caller) Unlink(base *Inode, path string) error {
	v := c.v
	defer c.lock()()
	dir, last, slash, err := v.walk(base, path)
	if err != nil {
		return err
	}
	if last == "" || last == "." || last == ".." {
		return errno.EISDIR
	}
	if dir.synth != nil {
		return v.synthUnlink(dir, last)
	}
	if dir.readOnly {
		return errno.EROFS
	}
	ino, err := v.step(dir, last)
	if err != nil {
		return err
	}
	if slash {
		if ino.IsDir() {
			return errno.EISDIR
		}
		return errno.ENOTDIR
	}
	if err := v.mayDelete(dir, ino); err != nil {
		return err
	}
	if ino.IsDir() {
		return errno.EISDIR
	}
	v.unlinkEntry(dir, last)
	v.dropLink(ino)
	return nil
}

// dropLink takes one link from a non-directory (drop_nlink); the last
// link of a file nobody has open frees its data (evict).
func (v *FS) dropLink(ino *Inode) {
	ino.Nlink--
	if ino.Nlink == 0 {
		ino.deletedFrom, ino.parent = ino.parent, nil
	}
	ino.touch(v.now(), false)
	v.maybeEvict(ino)
}

// Access checks access(2)'s mode (do_faccessat): EROFS for writing on a
// read-only mount, then the permission bits for the caller's credentials
// (the real IDs: proc passes them with WithCred), where root may read and
// write anything and execute what has an x bit (or a directory).
func (v *FS) Access(base *Inode, path string, mode uint32) error {
	return v.AccessAt(base, path, mode, true)
}

// Access is FS.Access on behalf of the caller.
func (c Caller) Access(base *Inode, path string, mode uint32) error {
	return c.AccessAt(base, path, mode, true)
}

// AccessAt is Access; follow false is AT_SYMLINK_NOFOLLOW.
func (v *FS) AccessAt(base *Inode, path string, mode uint32, follow bool) error {
	return v.As(nil).AccessAt(base, path, mode, follow)
}

// AccessAt is FS.AccessAt on behalf of the caller.
func (c Caller) AccessAt(base *Inode, path string, mode uint32, follow bool) error {
	v := c.v
	if mode&^uint32(R_OK|W_OK|X_OK) != 0 {
		return errno.EINVAL
	}
	defer c.lock()()
	nd := nameidata{v: v}
	ino, err := nd.lookupAt(base, path, follow)
	if err != nil {
		return err
	}
	if mode&W_OK != 0 && ino.readOnly && (ino.IsReg() || ino.IsDir() || ino.IsLink()) {
		return errno.EROFS
	}
	return v.permission(ino, mode)
}

// dentry is one directory entry as getdents64 lists it.
type dentry struct {
	name string
	ino  *Inode
	pos  int64 // its readdir position (d_off of the entry before it)
}

// children lists a directory's entries from readdir position pos on, in
// the order they were made (as tmpfs's stable offsets since Linux 6.6):
// entries made or removed while a reader goes through the directory move
// nothing else.
func (v *FS) children(dir *Inode, pos int64) []dentry {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]dentry, 0, len(dir.children))
	for name, c := range dir.children {
		if p := dir.cookies[name]; p >= pos {
			out = append(out, dentry{name, c, p})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pos < out[j].pos })
	return out
}
