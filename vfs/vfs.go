// Package vfs is tamix's small in-memory namespace, after Linux's fs/namei.c,
// fs/open.c and fs/stat.c, with these mounts:
//
//	/      read-only root (EROFS for anything that would change it)
//	/bin   read-only: the embedded executables, regular files, mode 0755
//	/dev   devtmpfs-like: console (5:1), tty (5:0), null (1:3), zero (1:5);
//	       root may add FIFOs and device nodes
//	/tmp   tmpfs-like, mode 01777: FIFOs (mkfifo, mknod S_IFIFO), device
//	       nodes; no regular files (see Open)
//	/proc  a synthetic filesystem (package procfs) mounted with Mount:
//	       its Synthetic makes the inodes on each lookup (synthetic.go)
//
// Everything is plain Go: proc's system calls call in here with kernel
// strings, so it is tested on the host.
package vfs

import (
	"sort"
	"strings"
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
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
	Ino   uint64
	Mode  uint32 // S_IF* | permissions
	Nlink uint64
	Dev   uint64 // the mount's device (st_dev)
	Rdev  uint64 // for device nodes
	// Mtime and Ctime are ns since the epoch.
	Mtime, Ctime int64

	readOnly bool
	name     string
	parent   *Inode
	children map[string]*Inode // directories
	data     []byte            // regular files (the images)
	pipe     *ipc.Pipe         // FIFOs

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

	// caller and linkDepth belong to the walk in progress (v.mu held):
	// the task it resolves for and the symbolic links it followed.
	caller    any
	linkDepth int
}

// New builds the namespace.
func New(c Config) *FS {
	v := &FS{now: c.Now, console: c.Console, nextIno: 1}
	if v.now == nil {
		v.now = func() int64 { return 0 }
	}
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
	ino := &Inode{Ino: v.nextIno, Mode: mode, Nlink: 1, Dev: dev, Mtime: now, Ctime: now, parent: parent, name: name}
	v.nextIno++
	if ino.IsDir() {
		ino.Nlink = 2
		ino.children = map[string]*Inode{}
	}
	return ino
}

func (v *FS) link(dir *Inode, name string, ino *Inode) *Inode {
	ino.parent, ino.name = dir, name
	dir.children[name] = ino
	if ino.IsDir() {
		dir.Nlink++
	}
	dir.Mtime, dir.Ctime = v.now(), v.now()
	return ino
}

func (v *FS) mkdir(dir *Inode, name string, perm uint32, dev uint64, ro bool) *Inode {
	ino := v.link(dir, name, v.newInode(S_IFDIR|perm, dev, dir, name))
	ino.readOnly = ro
	return ino
}

// Path returns the absolute path of a directory (for getcwd).
func (v *FS) Path(dir *Inode) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	if dir == v.root {
		return "/"
	}
	var parts []string
	for d := dir; d != v.root; d = d.parent {
		if d.parent == nil {
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
// parent directory and last component (path_parentat). The last component
// is "" for "/" and may be "." or "..". trailingSlash reports a path that
// ends in "/" (the object must then be a directory).
func (v *FS) walk(base *Inode, path string) (dir *Inode, last string, trailingSlash bool, err error) {
	if path == "" {
		return nil, "", false, errno.ENOENT
	}
	if len(path) >= PATH_MAX {
		return nil, "", false, errno.ENAMETOOLONG
	}
	dir = base
	if dir == nil || path[0] == '/' {
		dir = v.root
	}
	if !dir.IsDir() {
		return nil, "", false, errno.ENOTDIR
	}
	trailingSlash = strings.HasSuffix(path, "/")
	parts := strings.FieldsFunc(path, func(r rune) bool { return r == '/' })
	for _, p := range parts {
		if len(p) > NAME_MAX {
			return nil, "", false, errno.ENAMETOOLONG
		}
	}
	if len(parts) == 0 {
		return dir, "", true, nil
	}
	for _, p := range parts[:len(parts)-1] {
		next, err := v.step(dir, p)
		if err != nil {
			return nil, "", false, err
		}
		if !next.IsDir() {
			return nil, "", false, errno.ENOTDIR
		}
		dir = next
	}
	return dir, parts[len(parts)-1], trailingSlash, nil
}

// step looks up one component in dir.
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
	ino, ok := dir.children[name]
	if !ok {
		if dir.synth != nil {
			return v.synthStep(dir, name, true)
		}
		return nil, errno.ENOENT
	}
	return ino, nil
}

// Lookup resolves path from base (nil: the root) to an inode
// (filename_lookup): ENOENT, ENOTDIR, ENAMETOOLONG as Linux.
func (v *FS) Lookup(base *Inode, path string) (*Inode, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.lookup(base, path)
}

func (v *FS) lookup(base *Inode, path string) (*Inode, error) {
	dir, last, slash, err := v.walk(base, path)
	if err != nil {
		return nil, err
	}
	ino, err := v.step(dir, last)
	if err != nil {
		return nil, err
	}
	if slash && !ino.IsDir() {
		return nil, errno.ENOTDIR
	}
	return ino, nil
}

// Mknod creates a node (vfs_mknod): a FIFO, a character or block device
// (we are root), or a socket inode; S_IFREG or type 0 takes the regular
// file path of Open (ENOSPC in /tmp). perm is already masked by the umask.
// Errors as do_mknodat: EPERM for S_IFDIR, EINVAL for an unknown type,
// EEXIST before EROFS, ENOENT/ENOTDIR for the parent.
func (v *FS) Mknod(base *Inode, path string, mode uint32, rdev uint64) (*Inode, error) {
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
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.create(base, path, mode, rdev)
}

// create is filename_create + vfs_mknod under v.mu.
func (v *FS) create(base *Inode, path string, mode uint32, rdev uint64) (*Inode, error) {
	dir, last, slash, err := v.walk(base, path)
	if err != nil {
		return nil, err
	}
	if last == "" || last == "." || last == ".." {
		return nil, errno.EEXIST
	}
	if _, ok := dir.children[last]; ok {
		return nil, errno.EEXIST
	}
	if dir.synth != nil {
		return nil, v.synthCreate(dir, last)
	}
	if slash {
		return nil, errno.ENOENT // "a/" names a directory that is not there
	}
	if dir.readOnly {
		return nil, errno.EROFS
	}
	if mode&S_IFMT == S_IFREG {
		// tmpfs here holds no file data: like a tmpfs mounted with
		// size=1 block, creating a regular file finds no space.
		return nil, errno.ENOSPC
	}
	ino := v.newInode(mode&(S_IFMT|0o7777), dir.Dev, dir, last)
	switch mode & S_IFMT {
	case S_IFIFO:
		ino.pipe = ipc.NewPipe()
	case S_IFCHR, S_IFBLK:
		ino.Rdev = rdev
	}
	v.link(dir, last, ino)
	return ino, nil
}

// Unlink removes a name (do_unlinkat): EROFS on a read-only mount, ENOENT,
// EISDIR for a directory. Open FIFOs keep working.
func (v *FS) Unlink(base *Inode, path string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
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
	ino, ok := dir.children[last]
	if !ok {
		return errno.ENOENT
	}
	if ino.IsDir() {
		return errno.EISDIR
	}
	if slash {
		return errno.ENOTDIR
	}
	delete(dir.children, last)
	ino.Nlink--
	ino.parent = nil
	ino.Ctime = v.now()
	dir.Mtime, dir.Ctime = v.now(), v.now()
	return nil
}

// Access checks access(2)'s mode for root (do_faccessat): root may read
// and write anything, but not write on a read-only mount (EROFS), and may
// execute only what has an x bit (or a directory).
func (v *FS) Access(base *Inode, path string, mode uint32) error {
	if mode&^uint32(R_OK|W_OK|X_OK) != 0 {
		return errno.EINVAL
	}
	ino, err := v.Lookup(base, path)
	if err != nil {
		return err
	}
	return v.access(ino, mode)
}

func (v *FS) access(ino *Inode, mode uint32) error {
	if mode&W_OK != 0 && ino.readOnly && (ino.IsReg() || ino.IsDir()) {
		return errno.EROFS
	}
	if mode&X_OK != 0 && !ino.IsDir() && ino.Mode&0o111 == 0 {
		return errno.EACCES
	}
	return nil
}

// Children lists a directory's names in order (for getdents64).
func (v *FS) children(dir *Inode) []*Inode {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := make([]*Inode, 0, len(dir.children))
	for _, c := range dir.children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
