package vfs

import (
	"tamix/errno"
	"tamix/fs"
)

// Synthetic filesystems (procfs): a directory mounted with Mount hands the
// lookup, listing and opening of everything below it to a Synthetic, which
// makes its inodes on demand from live kernel state, as Linux's procfs
// does with its own inode_operations and file_operations. The rest of the
// namespace (the path walk, stat, getdents64, the fd table) treats these
// inodes like any other.
//
// Names that depend on who asks (/proc/self) need the caller: LookupAs,
// OpenAs, AccessAs and ReadlinkAs resolve a path on behalf of a task (Linux's
// current); the plain calls resolve with no caller.

// DT_LNK is d_type for a symbolic link.
const DT_LNK = 10

// Dirent is one entry of a synthetic directory listing.
type Dirent struct {
	Ino  uint64
	Type byte // DT_*
	Name string
}

// Synthetic is a filesystem whose objects are made on demand. Lookup and
// Readlink are called with the namespace locked (during a path walk): they
// must not call back into the FS.
type Synthetic interface {
	// Lookup finds name in dir (an inode of this filesystem) for caller
	// (nil: no task): ENOENT when it does not exist.
	Lookup(caller any, dir *Inode, name string) (*Inode, error)
	// Readdir lists dir without "." and "..".
	Readdir(dir *Inode) ([]Dirent, error)
	// Open opens a non-directory inode (directories open as *Dir).
	Open(ino *Inode, flags int) (fs.File, error)
	// Readlink returns a symbolic link's target for caller.
	Readlink(caller any, ino *Inode) (string, error)
}

// maxSymlinks bounds the links followed in one path walk (MAXSYMLINKS).
const maxSymlinks = 40

// Mount makes /name a directory (mode S_IFDIR|perm, device dev) whose
// contents s supplies. It is meant for boot, before any process runs.
func (v *FS) Mount(name string, perm uint32, dev uint64, s Synthetic) *Inode {
	v.mu.Lock()
	defer v.mu.Unlock()
	ino := v.link(v.root, name, v.newInode(S_IFDIR|perm, dev, v.root, name))
	ino.synth = s
	ino.children = nil
	return ino
}

// NewSyntheticInode makes an inode of dir's synthetic filesystem, named
// name in dir, with a fixed inode number and private data for the
// filesystem (Linux's proc_pid_make_inode and i_private).
func (v *FS) NewSyntheticInode(dir *Inode, name string, ino uint64, mode uint32, nlink uint64, private any) *Inode {
	now := v.now()
	return &Inode{Ino: ino, Mode: mode, Nlink: nlink, Dev: dir.Dev, Mtime: now, Ctime: now,
		name: name, parent: dir, synth: dir.synth, Private: private}
}

// Synthetic returns the filesystem an inode belongs to (nil for the
// in-memory ones).
func (i *Inode) Synthetic() Synthetic { return i.synth }

// Name is the inode's name in its directory.
func (i *Inode) Name() string { return i.name }

// Parent is the inode's directory.
func (i *Inode) Parent() *Inode { return i.parent }

// IsLink tests for a symbolic link.
func (i *Inode) IsLink() bool { return i.Mode&S_IFMT == S_IFLNK }

// withCaller sets the caller for one walk; v.mu must be held.
func (v *FS) withCaller(caller any) func() {
	prev := v.caller
	v.caller = caller
	return func() { v.caller = prev }
}

// synthStep looks name up in a synthetic directory, following a symbolic
// link when follow is set (relative targets start in dir).
func (v *FS) synthStep(dir *Inode, name string, follow bool) (*Inode, error) {
	ino, err := dir.synth.Lookup(v.caller, dir, name)
	if err != nil || !follow || !ino.IsLink() {
		return ino, err
	}
	target, err := ino.synth.Readlink(v.caller, ino)
	if err != nil {
		return nil, err
	}
	if v.linkDepth >= maxSymlinks {
		return nil, errno.ELOOP
	}
	v.linkDepth++
	defer func() { v.linkDepth-- }()
	return v.lookup(dir, target)
}

// synthCreate is what creating name in a synthetic directory gets: EEXIST
// when it exists, else the lookup's error (procfs's lookups fail with
// ENOENT rather than leave a negative dentry to create on).
func (v *FS) synthCreate(dir *Inode, name string) error {
	_, err := dir.synth.Lookup(v.caller, dir, name)
	if err == nil {
		return errno.EEXIST
	}
	return err
}

// synthUnlink: ENOENT for a missing name, else EPERM (no ->unlink).
func (v *FS) synthUnlink(dir *Inode, name string) error {
	if _, err := dir.synth.Lookup(v.caller, dir, name); err != nil {
		return err
	}
	return errno.EPERM
}

// LookupAs is Lookup on behalf of caller. With nofollow, a symbolic link
// as the last component is returned itself (lstat, AT_SYMLINK_NOFOLLOW).
func (v *FS) LookupAs(caller any, base *Inode, path string, nofollow bool) (*Inode, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer v.withCaller(caller)()
	if !nofollow {
		return v.lookup(base, path)
	}
	return v.lookupNoFollow(base, path)
}

func (v *FS) lookupNoFollow(base *Inode, path string) (*Inode, error) {
	dir, last, slash, err := v.walk(base, path)
	if err != nil {
		return nil, err
	}
	if slash || dir.synth == nil || last == "." || last == ".." || last == "" {
		return v.lookup(base, path)
	}
	if _, ok := dir.children[last]; ok {
		return v.lookup(base, path)
	}
	return v.synthStep(dir, last, false)
}

// OpenAs is Open on behalf of caller.
func (v *FS) OpenAs(caller any, base *Inode, path string, flags int, perm uint32) (*Inode, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer v.withCaller(caller)()
	return v.open(base, path, flags, perm)
}

// AccessAs is Access on behalf of caller.
func (v *FS) AccessAs(caller any, base *Inode, path string, mode uint32) error {
	if mode&^uint32(R_OK|W_OK|X_OK) != 0 {
		return errno.EINVAL
	}
	ino, err := v.LookupAs(caller, base, path, false)
	if err != nil {
		return err
	}
	return v.access(ino, mode)
}

// ReadlinkAs reads the symbolic link path names (readlinkat): EINVAL when
// it is not a link.
func (v *FS) ReadlinkAs(caller any, base *Inode, path string) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	defer v.withCaller(caller)()
	ino, err := v.lookupNoFollow(base, path)
	if err != nil {
		return "", err
	}
	if !ino.IsLink() || ino.synth == nil {
		return "", errno.EINVAL
	}
	return ino.synth.Readlink(v.caller, ino)
}

// synthDirents lists a synthetic directory for getdents64.
func synthDirents(dir *Inode) ([]Dirent, error) { return dir.synth.Readdir(dir) }

// DevicePath names the device files that have no inode of their own once
// open (/dev/null, /dev/zero), for /proc/PID/fd; "" for any other file.
func DevicePath(f fs.File) string {
	switch f.(type) {
	case nullFile:
		return "/dev/null"
	case zeroFile:
		return "/dev/zero"
	}
	return ""
}
