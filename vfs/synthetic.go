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
// Names that depend on who asks (/proc/self) need the caller: FS.As(task)
// gives every path call on behalf of a task (Linux's current), LookupAs,
// OpenAs, AccessAs and ReadlinkAs are shorthands; FS's own methods resolve
// with no caller. Symbolic links of a synthetic filesystem are followed by
// the same walk as tmpfs's (namei.go), their targets read with Readlink.

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
	return &Inode{Ino: ino, Mode: mode, Nlink: nlink, Dev: dir.Dev, Atime: now, Mtime: now, Ctime: now,
		name: name, parent: dir, synth: dir.synth, Private: private}
}

// Synthetic returns the filesystem an inode belongs to (nil for the
// in-memory ones).
func (i *Inode) Synthetic() Synthetic { return i.synth }

// Name is the inode's name in its directory.
func (i *Inode) Name() string { return i.name }

// Parent is the inode's directory.
func (i *Inode) Parent() *Inode { return i.parent }

// DeletedFrom is the directory of the last name of an unlinked file (nil
// for others).
func (i *Inode) DeletedFrom() *Inode { return i.deletedFrom }

// IsLink tests for a symbolic link.
func (i *Inode) IsLink() bool { return i.Mode&S_IFMT == S_IFLNK }

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
	if nofollow {
		return v.As(caller).LookupNoFollow(base, path)
	}
	return v.As(caller).Lookup(base, path)
}

// OpenAs is Open on behalf of caller.
func (v *FS) OpenAs(caller any, base *Inode, path string, flags int, perm uint32) (*Inode, error) {
	return v.As(caller).Open(base, path, flags, perm)
}

// AccessAs is Access on behalf of caller.
func (v *FS) AccessAs(caller any, base *Inode, path string, mode uint32) error {
	return v.As(caller).Access(base, path, mode)
}

// ReadlinkAs reads the symbolic link path names (readlinkat) on behalf of
// caller: EINVAL when it is not a link.
func (v *FS) ReadlinkAs(caller any, base *Inode, path string) (string, error) {
	return v.As(caller).Readlink(base, path)
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
