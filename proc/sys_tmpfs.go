package proc

import (
	"tamix/errno"
	"tamix/fs"
	"tamix/vfs"
)

// The system calls of files and directories on tmpfs: fsync, truncate,
// mkdir, rename, link, symlink, readlink, chmod (fs/namei.c, fs/open.c,
// fs/sync.c, fs/stat.c). Numbers not in syscall.go's list:
const (
	SYS_fsync      = 74
	SYS_fdatasync  = 75
	SYS_truncate   = 76
	SYS_ftruncate  = 77
	SYS_rename     = 82
	SYS_mkdir      = 83
	SYS_link       = 86
	SYS_symlink    = 88
	SYS_readlink   = 89
	SYS_chmod      = 90
	SYS_fchmod     = 91
	SYS_mkdirat    = 258
	SYS_renameat   = 264
	SYS_linkat     = 265
	SYS_symlinkat  = 266
	SYS_readlinkat = 267
	SYS_fchmodat   = 268
	SYS_renameat2  = 316
	SYS_fchmodat2  = 452
)

// AT_SYMLINK_FOLLOW makes linkat follow a symbolic link in oldpath.
const AT_SYMLINK_FOLLOW = 0x400

func init() {
	syscallTable[SYS_fsync] = sysFsync
	syscallTable[SYS_fdatasync] = sysFsync
	syscallTable[SYS_truncate] = sysTruncate
	syscallTable[SYS_ftruncate] = sysFtruncate
	syscallTable[SYS_mkdir] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doMkdirat(t, AT_FDCWD, a[0], uint16(a[1]))
	}
	syscallTable[SYS_mkdirat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doMkdirat(t, int(int32(a[0])), a[1], uint16(a[2]))
	}
	syscallTable[SYS_rename] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doRenameat2(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0)
	}
	syscallTable[SYS_renameat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doRenameat2(t, int(int32(a[0])), a[1], int(int32(a[2])), a[3], 0)
	}
	syscallTable[SYS_renameat2] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doRenameat2(t, int(int32(a[0])), a[1], int(int32(a[2])), a[3], uint32(a[4]))
	}
	syscallTable[SYS_link] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doLinkat(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0)
	}
	syscallTable[SYS_linkat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doLinkat(t, int(int32(a[0])), a[1], int(int32(a[2])), a[3], int(int32(a[4])))
	}
	syscallTable[SYS_symlink] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doSymlinkat(t, a[0], AT_FDCWD, a[1])
	}
	syscallTable[SYS_symlinkat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doSymlinkat(t, a[0], int(int32(a[1])), a[2])
	}
	syscallTable[SYS_readlink] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doReadlinkat(t, AT_FDCWD, a[0], a[1], int32(a[2]))
	}
	syscallTable[SYS_readlinkat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doReadlinkat(t, int(int32(a[0])), a[1], a[2], int32(a[3]))
	}
	syscallTable[SYS_chmod] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFchmodat(t, AT_FDCWD, a[0], uint16(a[1]), 0)
	}
	syscallTable[SYS_fchmod] = sysFchmod
	syscallTable[SYS_fchmodat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFchmodat(t, int(int32(a[0])), a[1], uint16(a[2]), 0)
	}
	syscallTable[SYS_fchmodat2] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFchmodat(t, int(int32(a[0])), a[1], uint16(a[2]), int(int32(a[3])))
	}
}

// sysFsync is fsync and fdatasync (vfs_fsync_range): tmpfs keeps nothing
// to write back, so files and directories of the namespace succeed;
// pipes, FIFOs, devices and /proc have no fsync method (EINVAL).
func sysFsync(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	switch f := of.File.(type) {
	case *vfs.RegFile:
		return 0, nil
	case *vfs.Dir:
		if f.Inode().Synthetic() == nil { // procfs has no fsync
			return 0, nil
		}
	}
	return 0, errno.EINVAL
}

// sysTruncate is do_sys_truncate: EINVAL for a negative length, then the
// path (followed) and vfs_truncate's checks.
func sysTruncate(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	length := int64(a[1])
	if length < 0 {
		return 0, errno.EINVAL
	}
	v, base, path, err := k.resolveAt(t, AT_FDCWD, a[0], false)
	if err != nil {
		return 0, err
	}
	ino, err := v.As(t).Lookup(base, path)
	if err != nil {
		return 0, err
	}
	if err := k.truncateLimit(t, ino, length); err != nil {
		return 0, err
	}
	return 0, v.As(t).Truncate(ino, length)
}

// sysFtruncate is do_sys_ftruncate: EINVAL for a negative length (before
// the descriptor is looked at), EBADF, then EINVAL unless the file is a
// regular file open for writing.
func sysFtruncate(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	length := int64(a[1])
	if length < 0 {
		return 0, errno.EINVAL
	}
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	f, ok := of.File.(*vfs.RegFile)
	if !ok || of.Flags&fs.O_ACCMODE == fs.O_RDONLY {
		return 0, errno.EINVAL
	}
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	if err := k.truncateLimit(t, f.Inode(), length); err != nil {
		return 0, err
	}
	return 0, v.Truncate(f.Inode(), length)
}

// doMkdirat is do_mkdirat: the mode keeps its permission and sticky bits,
// less the umask.
func (k *Kernel) doMkdirat(t *Task, dfd int, pathVA uint64, mode uint16) (uint64, error) {
	v, base, path, err := k.resolveAt(t, dfd, pathVA, false)
	if err != nil {
		return 0, err
	}
	return 0, v.As(t).Mkdir(base, path, uint32(mode)&0o1777&^k.umask(t))
}

// doRenameat2 is do_renameat2: bad flags first, then both paths.
func (k *Kernel) doRenameat2(t *Task, olddfd int, oldVA uint64, newdfd int, newVA uint64, flags uint32) (uint64, error) {
	oldPath, oerr := t.getname(oldVA, false)
	newPath, nerr := t.getname(newVA, false)
	if flags&^(vfs.RENAME_NOREPLACE|vfs.RENAME_EXCHANGE|vfs.RENAME_WHITEOUT) != 0 ||
		flags&(vfs.RENAME_NOREPLACE|vfs.RENAME_WHITEOUT) != 0 && flags&vfs.RENAME_EXCHANGE != 0 {
		return 0, errno.EINVAL
	}
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	if oerr != nil {
		return 0, oerr
	}
	oldBase, err := k.startDir(t, olddfd, oldPath)
	if err != nil {
		return 0, err
	}
	if nerr != nil {
		return 0, nerr
	}
	newBase, err := k.startDir(t, newdfd, newPath)
	if err != nil {
		return 0, err
	}
	return 0, v.As(t).Rename(oldBase, oldPath, newBase, newPath, flags)
}

// doLinkat is do_linkat: flags other than AT_SYMLINK_FOLLOW and
// AT_EMPTY_PATH are EINVAL; AT_EMPTY_PATH with "" links the file open on
// olddfd (we are root, so it is allowed).
func (k *Kernel) doLinkat(t *Task, olddfd int, oldVA uint64, newdfd int, newVA uint64, flags int) (uint64, error) {
	if flags&^(AT_SYMLINK_FOLLOW|AT_EMPTY_PATH) != 0 {
		return 0, errno.EINVAL
	}
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	oldPath, err := t.getname(oldVA, flags&AT_EMPTY_PATH != 0)
	if err != nil {
		return 0, err
	}
	var ino *vfs.Inode
	var oldBase *vfs.Inode
	if oldPath == "" {
		if ino, err = k.fdInode(t, olddfd); err != nil {
			return 0, err
		}
		if ino == nil {
			return 0, errno.EXDEV // an anonymous pipe: another mount
		}
	} else if oldBase, err = k.startDir(t, olddfd, oldPath); err != nil {
		return 0, err
	}
	_, newBase, newPath, err := k.resolveAt(t, newdfd, newVA, false)
	if err != nil {
		return 0, err
	}
	if ino != nil {
		return 0, v.As(t).LinkInode(ino, newBase, newPath)
	}
	return 0, v.As(t).Link(oldBase, oldPath, flags&AT_SYMLINK_FOLLOW != 0, newBase, newPath)
}

// fdInode is the inode of what fd names for the AT_EMPTY_PATH calls: the
// working directory for AT_FDCWD, else the open file's.
func (k *Kernel) fdInode(t *Task, fd int) (*vfs.Inode, error) {
	if fd == AT_FDCWD {
		if d := k.cwd(t); d != nil {
			return d, nil
		}
		return k.VFS.Root(), nil
	}
	return k.fileInode(t, fd)
}

// fileInode is the inode of the file open on fd (file_inode): nil for a
// file outside the namespace (an anonymous pipe).
func (k *Kernel) fileInode(t *Task, fd int) (*vfs.Inode, error) {
	of, err := t.Files.Get(fd)
	if err != nil {
		return nil, err
	}
	defer of.put()
	return k.VFS.InodeOf(of.File), nil
}

// doSymlinkat is do_symlinkat: the target (any string but "") is stored
// as it is.
func (k *Kernel) doSymlinkat(t *Task, targetVA uint64, newdfd int, newVA uint64) (uint64, error) {
	target, err := t.getname(targetVA, false)
	if err != nil {
		return 0, err
	}
	v, base, path, err := k.resolveAt(t, newdfd, newVA, false)
	if err != nil {
		return 0, err
	}
	return 0, v.As(t).Symlink(target, base, path)
}

// doReadlinkat is do_readlinkat: EINVAL for a size <= 0 or a path that is
// not a symbolic link (ENOENT for an empty one); the target is copied
// without a NUL, cut to bufsiz, and its length returned.
func (k *Kernel) doReadlinkat(t *Task, dfd int, pathVA, buf uint64, bufsiz int32) (uint64, error) {
	if bufsiz <= 0 {
		return 0, errno.EINVAL
	}
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	path, err := t.getname(pathVA, true)
	if err != nil {
		return 0, err
	}
	if path == "" {
		// The object on dfd, which cannot be a symbolic link: there is
		// no O_PATH.
		if _, err := k.fdInode(t, dfd); err != nil {
			return 0, err
		}
		return 0, errno.ENOENT
	}
	base, err := k.startDir(t, dfd, path)
	if err != nil {
		return 0, err
	}
	target, err := v.As(t).Readlink(base, path)
	if err != nil {
		return 0, err
	}
	b := []byte(target)
	if len(b) > int(bufsiz) {
		b = b[:bufsiz]
	}
	if err := t.copyOut(buf, b); err != nil {
		return 0, err
	}
	return uint64(len(b)), nil
}

// doFchmodat is do_fchmodat (fchmodat, and fchmodat2's flags): the path is
// followed unless AT_SYMLINK_NOFOLLOW (a link's own mode cannot change:
// EOPNOTSUPP); AT_EMPTY_PATH changes the file open on dfd.
func (k *Kernel) doFchmodat(t *Task, dfd int, pathVA uint64, mode uint16, flags int) (uint64, error) {
	if flags&^(AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) != 0 {
		return 0, errno.EINVAL
	}
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	path, err := t.getname(pathVA, flags&AT_EMPTY_PATH != 0)
	if err != nil {
		return 0, err
	}
	var ino *vfs.Inode
	if path == "" {
		if ino, err = k.fdInode(t, dfd); err != nil || ino == nil {
			return 0, err
		}
	} else {
		base, err := k.startDir(t, dfd, path)
		if err != nil {
			return 0, err
		}
		lookup := v.As(t).Lookup
		if flags&AT_SYMLINK_NOFOLLOW != 0 {
			lookup = v.As(t).LookupNoFollow
		}
		if ino, err = lookup(base, path); err != nil {
			return 0, err
		}
	}
	return 0, v.As(t).Chmod(ino, uint32(mode))
}

// sysFchmod is fchmod: chmod of the open file's inode (an anonymous pipe's
// mode is not kept: the call succeeds and changes nothing).
func sysFchmod(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	ino, err := k.fileInode(t, int(int32(a[0])))
	if err != nil || ino == nil {
		return 0, err
	}
	return 0, v.As(t).Chmod(ino, uint32(uint16(a[1])))
}

// positionalAppend is what pwrite and pwritev write through on an O_APPEND
// regular file: Linux appends there whatever the offset (a documented
// departure from POSIX), in one piece, and leaves the file position. nil
// for any other transfer; otherwise the caller unlocks a.f's appends.
func positionalAppend(of *OpenFile, p vfs.Positional, write bool) *appendAt {
	f, ok := p.(*vfs.RegFile)
	if !write || !ok || !of.appending() {
		return nil
	}
	f.LockAppend()
	return &appendAt{f: f}
}

// appendAt sends a positional write's first chunk to the end of the file
// and the next ones after it.
type appendAt struct {
	f     *vfs.RegFile
	delta int64 // where the write goes minus the offset asked for
	begun bool
}

func (a *appendAt) ReadAt(p []byte, off int64) (int, error) { return a.f.ReadAt(p, off) }

func (a *appendAt) WriteAt(p []byte, off int64) (int, error) {
	if a.begun {
		return a.f.WriteAt(p, off+a.delta)
	}
	n, at, err := a.f.AppendAt(p)
	if n > 0 {
		a.begun, a.delta = true, at-off
	}
	return n, err
}
