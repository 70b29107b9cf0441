package vfs

import (
	"strings"

	"tamix/errno"
	"tamix/fs"
)

// MAXSYMLINKS is how many symbolic links one path resolution may follow
// (include/linux/namei.h); the next one is ELOOP.
const MAXSYMLINKS = 40

// renameat2 flags (include/uapi/linux/fs.h).
const (
	RENAME_NOREPLACE = 1 << 0
	RENAME_EXCHANGE  = 1 << 1
	RENAME_WHITEOUT  = 1 << 2
)

// Open flags beyond fs's (include/uapi/asm-generic/fcntl.h).
const (
	O_NOFOLLOW = 0x20000
	O_TMPFILE  = O__TMPFILE | fs.O_DIRECTORY
	O__TMPFILE = 0x400000 // __O_TMPFILE
)

// Caller resolves paths on behalf of a task (Linux's current), for names
// whose meaning depends on who asks (/proc/self); FS's own methods resolve
// for nobody.
type Caller struct {
	v      *FS
	caller any
	cred   Cred // nil: the caller's own (credOf)
}

// As returns the namespace's calls on behalf of caller (nil: nobody).
func (v *FS) As(caller any) Caller { return Caller{v: v, caller: caller} }

// nameidata is the state of one path resolution (fs/namei.c): how many
// symbolic links it has followed. Callers hold v.mu.
type nameidata struct {
	v     *FS
	links int // total_link_count
}

// start is where path begins: the root for an absolute path or a nil base.
func (nd *nameidata) start(base *Inode, path string) *Inode {
	if base == nil || strings.HasPrefix(path, "/") {
		return nd.v.root
	}
	return base
}

// parentAt is path_parentat: every component but the last is walked (and a
// symbolic link among them followed); it returns the directory, the last
// component ("" for "/", or "." or "..") and whether slashes follow it.
func (nd *nameidata) parentAt(base *Inode, path string) (dir *Inode, last string, slash bool, err error) {
	if path == "" {
		return nil, "", false, errno.ENOENT
	}
	if len(path) >= PATH_MAX {
		return nil, "", false, errno.ENAMETOOLONG
	}
	dir = nd.start(base, path)
	if !dir.IsDir() {
		return nil, "", false, errno.ENOTDIR
	}
	rest := path
	for {
		rest = strings.TrimLeft(rest, "/")
		if rest == "" {
			return dir, "", true, nil // "/" or only slashes
		}
		// may_lookup: searching a directory needs its x permission.
		if err := nd.v.permission(dir, MAY_EXEC); err != nil {
			return nil, "", false, err
		}
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return dir, rest, false, nil
		}
		comp := rest[:i]
		rest = rest[i:]
		if strings.TrimLeft(rest, "/") == "" {
			return dir, comp, true, nil
		}
		if dir, err = nd.walkComponent(dir, comp); err != nil {
			return nil, "", false, err
		}
	}
}

// walkComponent steps into a component that is not the last: a symbolic
// link is followed, and the result must be a directory.
func (nd *nameidata) walkComponent(dir *Inode, name string) (*Inode, error) {
	next, err := nd.v.step(dir, name)
	if err != nil {
		return nil, err
	}
	if next.IsLink() {
		if next, err = nd.followLink(dir, next); err != nil {
			return nil, err
		}
	}
	if !next.IsDir() {
		return nil, errno.ENOTDIR
	}
	return next, nil
}

// followLink resolves a symbolic link found in dir (pick_link): its target
// is walked from dir, or from the root when absolute. The 41st link of a
// resolution is ELOOP.
func (nd *nameidata) followLink(dir, link *Inode) (*Inode, error) {
	nd.links++
	if nd.links > MAXSYMLINKS {
		return nil, errno.ELOOP
	}
	target, err := nd.v.linkTarget(link)
	if err != nil {
		return nil, err
	}
	return nd.lookupAt(dir, target, true)
}

// linkTarget is a symbolic link's target (its inode's get_link): the one
// place that reads it, for following and for readlink.
func (v *FS) linkTarget(link *Inode) (string, error) {
	if link.synth != nil {
		return link.synth.Readlink(v.caller, link)
	}
	return link.target, nil
}

// lookupAt is path_lookupat: the whole path, the last component followed
// when it is a symbolic link and follow is set (or the path ends in a
// slash, which also asks for a directory).
func (nd *nameidata) lookupAt(base *Inode, path string, follow bool) (*Inode, error) {
	dir, last, slash, err := nd.parentAt(base, path)
	if err != nil {
		return nil, err
	}
	ino, err := nd.v.step(dir, last)
	if err != nil {
		return nil, err
	}
	if ino.IsLink() && (follow || slash) {
		if ino, err = nd.followLink(dir, ino); err != nil {
			return nil, err
		}
	}
	if slash && !ino.IsDir() {
		return nil, errno.ENOTDIR
	}
	return ino, nil
}

// filenameCreate is filename_create: the directory and free name where a
// new object goes, with Linux's errors in Linux's order: EEXIST for "."
// "..", "/" and names in use (even on a read-only mount), ENOENT in a
// removed directory or for "name/" when not making a directory,
// ENAMETOOLONG, then EROFS.
func (nd *nameidata) filenameCreate(base *Inode, path string, wantDir bool) (*Inode, string, error) {
	dir, last, slash, err := nd.parentAt(base, path)
	if err != nil {
		return nil, "", err
	}
	if last == "" || last == "." || last == ".." {
		return nil, "", errno.EEXIST
	}
	if _, err := nd.v.step(dir, last); err == nil {
		return nil, "", errno.EEXIST
	} else if err != errno.ENOENT || dir.dead || dir.synth != nil {
		// A synthetic directory's lookup fails rather than leave a
		// negative dentry to create on (procfs: ENOENT).
		return nil, "", err
	}
	if slash && !wantDir {
		return nil, "", errno.ENOENT
	}
	if dir.readOnly {
		return nil, "", errno.EROFS
	}
	if err := nd.v.permission(dir, MAY_WRITE|MAY_EXEC); err != nil { // may_create
		return nil, "", err
	}
	return dir, last, nil
}

// Mkdir makes a directory (do_mkdirat); perm is already masked by the
// umask.
func (v *FS) Mkdir(base *Inode, path string, perm uint32) error {
	return v.As(nil).Mkdir(base, path, perm)
}

// Mkdir is FS.Mkdir on behalf of the caller.
func (c Caller) Mkdir(base *Inode, path string, perm uint32) error {
	v := c.v
	defer c.lock()()
	nd := nameidata{v: v}
	dir, last, err := nd.filenameCreate(base, path, true)
	if err != nil {
		return err
	}
	v.newChild(dir, last, S_IFDIR|perm&0o1777, 0)
	return nil
}

// Rmdir removes an empty directory (do_rmdir): EINVAL for ".", ENOTEMPTY
// for "..", EBUSY for "/" and mount points, EROFS, ENOENT, ENOTDIR (a
// symbolic link is not followed), ENOTEMPTY.
func (v *FS) Rmdir(base *Inode, path string) error { return v.As(nil).Rmdir(base, path) }

// Rmdir is FS.Rmdir on behalf of the caller.
func (c Caller) Rmdir(base *Inode, path string) error {
	v := c.v
	defer c.lock()()
	dir, last, _, err := v.walk(base, path)
	if err != nil {
		return err
	}
	switch last {
	case ".":
		return errno.EINVAL
	case "..":
		return errno.ENOTEMPTY
	case "":
		return errno.EBUSY
	}
	if dir.readOnly {
		return errno.EROFS
	}
	ino, err := v.step(dir, last)
	if err != nil {
		return err
	}
	if err := v.mayDelete(dir, ino); err != nil {
		return err
	}
	if !ino.IsDir() {
		return errno.ENOTDIR
	}
	if dir.synth != nil {
		return errno.EPERM // no ->rmdir
	}
	if ino.Dev != dir.Dev {
		return errno.EBUSY // a mount point
	}
	if len(ino.children) > 0 {
		return errno.ENOTEMPTY
	}
	v.unlinkEntry(dir, last)
	v.killDir(ino)
	return nil
}

// killDir marks a removed directory dead: no links, nothing can be made in
// it, getdents64 fails (its ".." still leads to where it was).
func (v *FS) killDir(ino *Inode) {
	ino.Nlink = 0
	ino.dead = true
	ino.touch(v.now(), false)
}

// Symlink makes a symbolic link to target (do_symlinkat): ENOENT for an
// empty target, then filename_create's errors.
func (v *FS) Symlink(target string, base *Inode, path string) error {
	return v.As(nil).Symlink(target, base, path)
}

// Symlink is FS.Symlink on behalf of the caller.
func (c Caller) Symlink(target string, base *Inode, path string) error {
	v := c.v
	if target == "" {
		return errno.ENOENT
	}
	if len(target) >= PATH_MAX {
		return errno.ENAMETOOLONG
	}
	defer c.lock()()
	nd := nameidata{v: v}
	dir, last, err := nd.filenameCreate(base, path, false)
	if err != nil {
		return err
	}
	ino := v.newChild(dir, last, S_IFLNK|0o777, 0)
	ino.target = target
	return nil
}

// Readlink returns a symbolic link's target (do_readlinkat): EINVAL when
// the path names something else.
func (v *FS) Readlink(base *Inode, path string) (string, error) {
	return v.As(nil).Readlink(base, path)
}

// Readlink is FS.Readlink on behalf of the caller.
func (c Caller) Readlink(base *Inode, path string) (string, error) {
	v := c.v
	defer c.lock()()
	nd := nameidata{v: v}
	ino, err := nd.lookupAt(base, path, false)
	if err != nil {
		return "", err
	}
	if !ino.IsLink() {
		return "", errno.EINVAL
	}
	return v.linkTarget(ino)
}

// Target is a symbolic link's target ("" for other inodes).
func (i *Inode) Target() string { return i.target }

// Link makes newPath a hard link to what oldPath names (do_linkat);
// follow is AT_SYMLINK_FOLLOW (link(2) itself does not follow).
func (v *FS) Link(oldBase *Inode, oldPath string, follow bool, newBase *Inode, newPath string) error {
	return v.As(nil).Link(oldBase, oldPath, follow, newBase, newPath)
}

// Link is FS.Link on behalf of the caller.
func (c Caller) Link(oldBase *Inode, oldPath string, follow bool, newBase *Inode, newPath string) error {
	v := c.v
	defer c.lock()()
	nd := nameidata{v: v}
	ino, err := nd.lookupAt(oldBase, oldPath, follow)
	if err != nil {
		return err
	}
	return v.linkTo(ino, newBase, newPath)
}

// LinkInode links an inode open on a descriptor (linkat's AT_EMPTY_PATH).
func (v *FS) LinkInode(ino *Inode, newBase *Inode, newPath string) error {
	return v.As(nil).LinkInode(ino, newBase, newPath)
}

// LinkInode is FS.LinkInode on behalf of the caller.
func (c Caller) LinkInode(ino *Inode, newBase *Inode, newPath string) error {
	v := c.v
	defer c.lock()()
	return v.linkTo(ino, newBase, newPath)
}

// linkTo is the rest of do_linkat and vfs_link: EXDEV across mounts, EPERM
// for a directory, ENOENT for an inode without links.
func (v *FS) linkTo(ino *Inode, newBase *Inode, newPath string) error {
	nd := nameidata{v: v}
	dir, last, err := nd.filenameCreate(newBase, newPath, false)
	if err != nil {
		return err
	}
	if ino.Dev != dir.Dev {
		return errno.EXDEV
	}
	if ino.IsDir() {
		return errno.EPERM
	}
	if ino.Nlink == 0 && !ino.linkable {
		return errno.ENOENT
	}
	ino.linkable = false
	ino.Nlink++
	ino.touch(v.now(), false)
	v.link(dir, last, ino)
	return nil
}

// isAncestor reports whether a is d or one of d's ancestors.
func (v *FS) isAncestor(a, d *Inode) bool {
	for {
		if d == a {
			return true
		}
		if d == v.root || d.parent == nil {
			return false
		}
		d = d.parent
	}
}

// Rename is renameat2 (do_renameat2, vfs_rename, shmem_rename2) with
// Linux's checks in Linux's order.
func (v *FS) Rename(oldBase *Inode, oldPath string, newBase *Inode, newPath string, flags uint32) error {
	return v.As(nil).Rename(oldBase, oldPath, newBase, newPath, flags)
}

// Rename is FS.Rename on behalf of the caller.
func (c Caller) Rename(oldBase *Inode, oldPath string, newBase *Inode, newPath string, flags uint32) error {
	v := c.v
	if flags&^(RENAME_NOREPLACE|RENAME_EXCHANGE|RENAME_WHITEOUT) != 0 {
		return errno.EINVAL
	}
	if flags&(RENAME_NOREPLACE|RENAME_WHITEOUT) != 0 && flags&RENAME_EXCHANGE != 0 {
		return errno.EINVAL
	}
	exchange := flags&RENAME_EXCHANGE != 0
	defer c.lock()()
	ond, nnd := nameidata{v: v}, nameidata{v: v}
	odir, olast, oslash, err := ond.parentAt(oldBase, oldPath)
	if err != nil {
		return err
	}
	ndir, nlast, nslash, err := nnd.parentAt(newBase, newPath)
	if err != nil {
		return err
	}
	if odir.Dev != ndir.Dev {
		return errno.EXDEV
	}
	dots := func(s string) bool { return s == "" || s == "." || s == ".." }
	if dots(olast) {
		return errno.EBUSY
	}
	if dots(nlast) {
		if flags&RENAME_NOREPLACE != 0 {
			return errno.EEXIST
		}
		return errno.EBUSY
	}
	if odir.readOnly || ndir.readOnly {
		return errno.EROFS
	}
	old, err := v.step(odir, olast)
	if err != nil {
		return err
	}
	tgt, err := v.step(ndir, nlast)
	if err == errno.ENOENT {
		tgt = nil
	} else if err != nil {
		return err
	}
	if flags&RENAME_NOREPLACE != 0 && tgt != nil {
		return errno.EEXIST
	}
	if exchange {
		if tgt == nil {
			return errno.ENOENT
		}
		if !tgt.IsDir() && nslash {
			return errno.ENOTDIR
		}
	}
	if !old.IsDir() && (oslash || !exchange && nslash) {
		return errno.ENOTDIR
	}
	if odir != ndir {
		// lock_rename's trap: the source may not be an ancestor of the
		// target's directory, nor the target one of the source's.
		if v.isAncestor(old, ndir) {
			return errno.EINVAL
		}
		if tgt != nil && v.isAncestor(tgt, odir) {
			if exchange {
				return errno.EINVAL
			}
			return errno.ENOTEMPTY
		}
	}
	if old == tgt {
		return nil // two names of one inode: nothing to do
	}
	if err := v.renamePermission(odir, old, ndir, tgt, exchange); err != nil {
		return err
	}
	if tgt != nil {
		isDir := old.IsDir()
		if exchange {
			isDir = tgt.IsDir()
		}
		if isDir && !tgt.IsDir() {
			return errno.ENOTDIR
		}
		if !isDir && tgt.IsDir() {
			return errno.EISDIR
		}
	}
	if odir.synth != nil {
		return errno.EPERM // no ->rename
	}
	if old.Dev != odir.Dev || tgt != nil && tgt.Dev != ndir.Dev {
		return errno.EBUSY // a mount point
	}
	now := v.now()
	if exchange {
		odir.children[olast], ndir.children[nlast] = tgt, old
		for _, m := range []struct {
			ino      *Inode
			from, to *Inode
			name     string
		}{{old, odir, ndir, nlast}, {tgt, ndir, odir, olast}} {
			m.ino.parent, m.ino.name = m.to, m.name
			if m.ino.IsDir() {
				m.from.Nlink--
				m.to.Nlink++
			}
			m.ino.touch(now, false)
		}
		odir.touch(now, true)
		ndir.touch(now, true)
		return nil
	}
	if tgt != nil && tgt.IsDir() && len(tgt.children) > 0 {
		return errno.ENOTEMPTY
	}
	if tgt != nil {
		v.unlinkEntry(ndir, nlast)
		if tgt.IsDir() {
			v.killDir(tgt)
		} else {
			v.dropLink(tgt)
		}
	}
	v.unlinkEntry(odir, olast)
	v.link(ndir, nlast, old)
	old.parent, old.name = ndir, nlast
	old.touch(now, false)
	if flags&RENAME_WHITEOUT != 0 {
		v.newChild(odir, olast, S_IFCHR, 0) // a whiteout: char device 0:0
	}
	return nil
}

// Chmod sets an inode's permission bits (chmod_common): EROFS on a
// read-only mount. A symbolic link's mode never changes (Linux: the call
// follows it, or fails with EOPNOTSUPP).
func (v *FS) Chmod(ino *Inode, mode uint32) error { return v.As(nil).Chmod(ino, mode) }

// Chmod is FS.Chmod on behalf of the caller: only the owner (or
// CAP_FOWNER) may change the mode (EPERM), and S_ISGID is dropped when the
// caller is not in the file's group and lacks CAP_FSETID.
func (c Caller) Chmod(ino *Inode, mode uint32) error {
	v := c.v
	defer c.lock()()
	if ino.readOnly {
		return errno.EROFS
	}
	if ino.IsLink() {
		return errno.EOPNOTSUPP
	}
	if ino.synth != nil {
		return errno.EPERM // proc_setattr
	}
	cred := v.currentCred()
	if !ownerOrCapable(cred, ino) {
		return errno.EPERM
	}
	if mode&S_ISGID != 0 && !cred.InGroup(ino.GID) && !cred.Capable(CAP_FSETID) {
		mode &^= S_ISGID
	}
	ino.mu.Lock()
	ino.Mode = ino.Mode&S_IFMT | mode&0o7777
	ino.Ctime = v.now()
	ino.mu.Unlock()
	return nil
}

// Truncate sets a regular file's size (vfs_truncate): EISDIR for a
// directory, EINVAL for anything else that is not a regular file or for a
// negative size, EROFS on a read-only mount.
func (v *FS) Truncate(ino *Inode, size int64) error {
	switch {
	case ino.IsDir():
		return errno.EISDIR
	case !ino.IsReg():
		return errno.EINVAL
	case ino.readOnly:
		return errno.EROFS
	case ino.synth != nil:
		return errno.EPERM
	case size < 0:
		return errno.EINVAL
	}
	return v.truncate(ino, size)
}

// InodeOf is the inode an open file refers to (file_inode), nil for files
// outside the namespace (anonymous pipes, the console without one).
func (v *FS) InodeOf(f fs.File) *Inode {
	switch f := f.(type) {
	case *RegFile:
		return f.ino
	case *Dir:
		return f.ino
	case *Fifo:
		return f.ino
	case nullFile:
		ino, _ := v.Lookup(nil, "/dev/null")
		return ino
	case zeroFile:
		ino, _ := v.Lookup(nil, "/dev/zero")
		return ino
	}
	if v.conIno != nil && f == v.console {
		return v.conIno
	}
	if f, ok := f.(interface{ Inode() *Inode }); ok {
		return f.Inode() // a synthetic filesystem's file
	}
	return nil
}
