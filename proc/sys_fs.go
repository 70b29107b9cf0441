package proc

import (
	"errors"
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/ipc/mqueue"
	"tamix/mm"
	"tamix/net/unix"
	"tamix/vfs"
)

// *at flags (include/uapi/linux/fcntl.h).
const (
	AT_FDCWD            = -100
	AT_SYMLINK_NOFOLLOW = 0x100
	AT_REMOVEDIR        = 0x200
	AT_EACCESS          = 0x200
	AT_NO_AUTOMOUNT     = 0x800
	AT_EMPTY_PATH       = 0x1000
)

func init() {
	syscallTable[SYS_open] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doSysOpen(t, AT_FDCWD, a[0], int(int32(a[1])), uint32(a[2]))
	}
	syscallTable[SYS_openat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doSysOpen(t, int(int32(a[0])), a[1], int(int32(a[2])), uint32(a[3]))
	}
	syscallTable[SYS_mknod] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doMknodat(t, AT_FDCWD, a[0], uint32(a[1]), uint32(a[2]))
	}
	syscallTable[SYS_mknodat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doMknodat(t, int(int32(a[0])), a[1], uint32(a[2]), uint32(a[3]))
	}
	syscallTable[SYS_unlink] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doUnlinkat(t, AT_FDCWD, a[0], 0)
	}
	syscallTable[SYS_unlinkat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doUnlinkat(t, int(int32(a[0])), a[1], int(int32(a[2])))
	}
	syscallTable[SYS_rmdir] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doUnlinkat(t, AT_FDCWD, a[0], AT_REMOVEDIR)
	}
	syscallTable[SYS_stat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFstatat(t, AT_FDCWD, a[0], a[1], 0)
	}
	syscallTable[SYS_lstat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFstatat(t, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW)
	}
	syscallTable[SYS_newfstatat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFstatat(t, int(int32(a[0])), a[1], a[2], int(int32(a[3])))
	}
	syscallTable[SYS_fstat] = sysFstat
	syscallTable[SYS_access] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFaccessat(t, AT_FDCWD, a[0], uint32(a[1]), 0)
	}
	syscallTable[SYS_faccessat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFaccessat(t, int(int32(a[0])), a[1], uint32(a[2]), 0)
	}
	syscallTable[SYS_faccessat2] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFaccessat(t, int(int32(a[0])), a[1], uint32(a[2]), int(int32(a[3])))
	}
	syscallTable[SYS_getcwd] = sysGetcwd
	syscallTable[SYS_chdir] = sysChdir
	syscallTable[SYS_fchdir] = sysFchdir
	syscallTable[SYS_lseek] = sysLseek
	syscallTable[SYS_getdents64] = sysGetdents64
	syscallTable[SYS_umask] = sysUmask
}

// Per-task state of the calls in this file and sys_poll.go, kept beside the
// task (task.go belongs to others): an open that sleeps for a FIFO partner,
// a poll's wait-queue entries.
type fsTaskState struct {
	fifo    ipc.FifoOpen
	fifoIno *vfs.Inode
	fifoFl  int
	poll    []pollEntry
}

var fsStates sync.Map // *Task → *fsTaskState, while a call sleeps

func fsState(t *Task) *fsTaskState {
	if s, ok := fsStates.Load(t); ok {
		return s.(*fsTaskState)
	}
	s := &fsTaskState{}
	fsStates.Store(t, s)
	return s
}

func peekFsState(t *Task) *fsTaskState {
	if s, ok := fsStates.Load(t); ok {
		return s.(*fsTaskState)
	}
	return nil
}

// sysUmask sets the file mode creation mask to mask&0777 and returns the
// old one; children inherit it, execve keeps it.
func sysUmask(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	fs := t.fsOf()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	old := fs.umask
	fs.umask = uint32(a[0]) & 0o777
	return uint64(old), nil
}

// getname copies a path from user memory (getname_flags): EFAULT for a bad
// pointer, ENAMETOOLONG with no NUL in PATH_MAX bytes, ENOENT for "" unless
// the call allows an empty path.
func (t *Task) getname(va uint64, allowEmpty bool) (string, error) {
	s, err := t.MM.CopyInString(va, vfs.PATH_MAX)
	if err != nil {
		if errors.Is(err, mm.ErrStringTooLong) {
			return "", errno.ENAMETOOLONG
		}
		return "", errno.EFAULT
	}
	if s == "" && !allowEmpty {
		return "", errno.ENOENT
	}
	return s, nil
}

// startDir is where a relative path of an *at call begins (path_init):
// the working directory for AT_FDCWD, else the directory open on dfd. An
// absolute path ignores dfd.
func (k *Kernel) startDir(t *Task, dfd int, path string) (*vfs.Inode, error) {
	if path != "" && path[0] == '/' || dfd == AT_FDCWD {
		return k.cwd(t), nil
	}
	of, err := t.Files.Get(dfd)
	if err != nil {
		return nil, err
	}
	defer of.put()
	d, ok := of.File.(*vfs.Dir)
	if !ok {
		return nil, errno.ENOTDIR
	}
	return d.Inode(), nil
}

func (k *Kernel) namespace() (*vfs.FS, error) {
	if k.VFS == nil {
		return nil, errno.ENOENT
	}
	return k.VFS, nil
}

// doSysOpen is do_sys_open: resolve, open, install the lowest free
// descriptor. A FIFO open that must wait for its partner sleeps on the
// pipe's queue and runs again from the state kept in fsTaskState, without
// resolving the path again.
func (k *Kernel) doSysOpen(t *Task, dfd int, pathVA uint64, flags int, mode uint32) (uint64, error) {
	var (
		ino *vfs.Inode
		st  = peekFsState(t)
	)
	if st != nil && st.fifo.Waiting() {
		ino, flags = st.fifoIno, st.fifoFl
		// A wake-up by a signal leaves our entry queued.
		ino.Pipe().Wait().Remove(&t.waiter)
	} else {
		if err := vfs.CheckOpenFlags(flags); err != nil {
			return 0, err
		}
		v, base, path, err := k.resolveAt(t, dfd, pathVA, false)
		if err != nil {
			return 0, err
		}
		if ino, err = v.As(t).Open(base, path, flags, mode&0o7777&^k.umask(t)); err != nil {
			return 0, err
		}
		st = fsState(t)
	}
	f, err := k.VFS.OpenInode(ino, flags, &st.fifo)
	if err == errno.EAGAIN && st.fifo.Waiting() {
		// fifo_open's wait_for_partner, interruptible.
		if k.signalPending(t) {
			st.fifo.Abort()
			fsStates.Delete(t)
			return 0, errno.ERESTARTSYS
		}
		q := ino.Pipe().Wait()
		k.prepareToWait(t, q)
		if f, err = k.VFS.OpenInode(ino, flags, &st.fifo); err == errno.EAGAIN {
			st.fifoIno, st.fifoFl = ino, flags
			return 0, errBlock
		}
		k.finishWait(t, q)
	}
	fsStates.Delete(t)
	if err != nil {
		return 0, err
	}
	// f_flags keep the status flags; creation flags are dropped
	// (do_dentry_open).
	fl := flags&^(fs.O_CREAT|fs.O_EXCL|fs.O_NOCTTY|fs.O_TRUNC|fs.O_CLOEXEC) | O_LARGEFILE
	of := NewOpenFile(f, fl)
	fd, err := t.Files.Install(of, 0, flags&fs.O_CLOEXEC != 0)
	if err != nil {
		of.put()
		return 0, err
	}
	return uint64(fd), nil
}

// doMknodat is do_mknodat. The mode's permissions are masked by the umask;
// dev is the user's dev_t, whose encoding (new_encode_dev) st_rdev keeps.
func (k *Kernel) doMknodat(t *Task, dfd int, pathVA uint64, mode, dev uint32) (uint64, error) {
	v, base, path, err := k.resolveAt(t, dfd, pathVA, false)
	if err != nil {
		return 0, err
	}
	_, err = v.As(t).Mknod(base, path, mode&vfs.S_IFMT|mode&0o7777&^k.umask(t), uint64(dev))
	return 0, err
}

// doUnlinkat is do_unlinkat, and do_rmdir for AT_REMOVEDIR.
func (k *Kernel) doUnlinkat(t *Task, dfd int, pathVA uint64, flags int) (uint64, error) {
	if flags&^AT_REMOVEDIR != 0 {
		return 0, errno.EINVAL
	}
	v, base, path, err := k.resolveAt(t, dfd, pathVA, false)
	if err != nil {
		return 0, err
	}
	if flags&AT_REMOVEDIR == 0 {
		return 0, v.As(t).Unlink(base, path)
	}
	return 0, v.As(t).Rmdir(base, path)
}

// statOpenFile is vfs_fstat for an open file. A file the namespace does
// not know (the console when there is no namespace) stats as the console
// device, the only such file.
func (k *Kernel) statOpenFile(f fs.File) vfs.Stat {
	if s, ok := f.(*unix.Sock); ok {
		// A sockfs inode: S_IFSOCK, rwx for all (sock_alloc).
		return vfs.Stat{Dev: vfs.Mkdev(0, 8), Ino: s.Ino, Nlink: 1, Mode: vfs.S_IFSOCK | 0o777, Blksize: 4096}
	}
	if mf, ok := f.(*mqueue.File); ok {
		return mqStat(mf)
	}
	if s, ok := k.VFS.StatFile(f); ok {
		return s
	}
	if f == k.Console {
		return vfs.Stat{Mode: vfs.S_IFCHR | 0o600, Nlink: 1, Rdev: vfs.RdevConsole, Dev: vfs.Mkdev(0, 5), Blksize: 4096}
	}
	return vfs.Stat{Mode: 0o600, Nlink: 1, Blksize: 4096} // an anonymous inode
}

func sysFstat(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	s := k.statOpenFile(of.File)
	return 0, t.copyOut(a[1], s.Encode())
}

// doFstatat is vfs_fstatat (stat, lstat, newfstatat): AT_SYMLINK_NOFOLLOW
// stats a symbolic link itself.
func (k *Kernel) doFstatat(t *Task, dfd int, pathVA, buf uint64, flags int) (uint64, error) {
	if flags&^(AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT|AT_EMPTY_PATH) != 0 {
		return 0, errno.EINVAL
	}
	s, _, err := k.statAt(t, dfd, pathVA, flags)
	if err != nil {
		return 0, err
	}
	return 0, t.copyOut(buf, s.Encode())
}

// statAt finds what an *at stat call names and returns its attributes,
// with the inode when it is in the namespace: an empty path (with
// AT_EMPTY_PATH) is the file open on dfd, or the working directory.
func (k *Kernel) statAt(t *Task, dfd int, pathVA uint64, flags int) (vfs.Stat, *vfs.Inode, error) {
	path, err := t.getname(pathVA, flags&AT_EMPTY_PATH != 0)
	if err != nil {
		return vfs.Stat{}, nil, err
	}
	v, err := k.namespace()
	if path == "" && dfd != AT_FDCWD {
		of, err := t.Files.Get(dfd)
		if err != nil {
			return vfs.Stat{}, nil, err
		}
		defer of.put()
		var ino *vfs.Inode
		if v != nil {
			ino = v.InodeOf(of.File)
		}
		return k.statOpenFile(of.File), ino, nil
	}
	if err != nil {
		return vfs.Stat{}, nil, err
	}
	if path == "" {
		d := k.cwd(t)
		if d == nil {
			d = v.Root()
		}
		return v.Stat(d), d, nil
	}
	base, err := k.startDir(t, dfd, path)
	if err != nil {
		return vfs.Stat{}, nil, err
	}
	ino, err := v.LookupAs(t, base, path, flags&AT_SYMLINK_NOFOLLOW != 0)
	if err != nil {
		return vfs.Stat{}, nil, err
	}
	return v.Stat(ino), ino, nil
}

// doFaccessat is do_faccessat: the check is made with the real user and
// group IDs (access_override_creds) unless AT_EACCESS.
func (k *Kernel) doFaccessat(t *Task, dfd int, pathVA uint64, mode uint32, flags int) (uint64, error) {
	if mode&^uint32(vfs.R_OK|vfs.W_OK|vfs.X_OK) != 0 {
		return 0, errno.EINVAL
	}
	if flags&^(AT_EACCESS|AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) != 0 {
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
	base, err := k.startDir(t, dfd, path)
	if err != nil {
		return 0, err
	}
	if path == "" {
		path = "."
	}
	caller := v.As(t)
	if flags&AT_EACCESS == 0 {
		caller = caller.WithCred(t.Cred().accessCreds())
	}
	return 0, caller.AccessAt(base, path, mode, flags&AT_SYMLINK_NOFOLLOW == 0)
}

// sysGetcwd copies the working directory's path: its length with the NUL,
// ERANGE if it does not fit, ENOENT when the directory was removed.
func sysGetcwd(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	p := "/"
	if k.VFS != nil {
		if d := k.cwd(t); d != nil {
			if p = k.VFS.Path(d); p == "" {
				return 0, errno.ENOENT
			}
		}
	}
	b := append([]byte(p), 0)
	if uint64(len(b)) > a[1] {
		return 0, errno.ERANGE
	}
	if err := t.copyOut(a[0], b); err != nil {
		return 0, err
	}
	return uint64(len(b)), nil
}

func sysChdir(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	path, err := t.getname(a[0], false)
	if err != nil {
		return 0, err
	}
	d, err := v.LookupAs(t, k.cwd(t), path, false)
	if err != nil {
		return 0, err
	}
	if !d.IsDir() {
		return 0, errno.ENOTDIR
	}
	k.setCwd(t, d)
	return 0, nil
}

func sysFchdir(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	d, ok := of.File.(*vfs.Dir)
	if !ok {
		return 0, errno.ENOTDIR
	}
	k.setCwd(t, d.Inode())
	return 0, nil
}

// sysLseek is ksys_lseek: whence is checked first (EINVAL), then files
// without a position — pipes, FIFOs, terminals — are ESPIPE (no_llseek);
// a position past MAX_LFS_FILESIZE or below 0 is EINVAL.
func sysLseek(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	whence := int(uint32(a[2]))
	if whence > 4 { // SEEK_MAX (SEEK_HOLE)
		return 0, errno.EINVAL
	}
	s, ok := of.File.(vfs.Seeker)
	if !ok {
		return 0, errno.ESPIPE
	}
	// Each file checks whence: SEEK_DATA/SEEK_HOLE are for regular files.
	off, err := s.Seek(int64(a[1]), whence)
	return uint64(off), err
}

// sysGetdents64 lists a directory open on fd into the user's buffer.
func sysGetdents64(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	d, ok := of.File.(*vfs.Dir)
	if !ok {
		return 0, errno.ENOTDIR
	}
	n := int(min(uint64(uint32(a[2])), 1<<20))
	b, err := d.Getdents64(n)
	if err != nil {
		return 0, err
	}
	if err := t.copyOut(a[1], b); err != nil {
		return 0, err
	}
	return uint64(len(b)), nil
}

// resolveAt is what every *at call does first: the namespace, the path
// copied from user memory (getname) and the directory it starts from.
func (k *Kernel) resolveAt(t *Task, dfd int, pathVA uint64, allowEmpty bool) (*vfs.FS, *vfs.Inode, string, error) {
	v, err := k.namespace()
	if err != nil {
		return nil, nil, "", err
	}
	path, err := t.getname(pathVA, allowEmpty)
	if err != nil {
		return nil, nil, "", err
	}
	base, err := k.startDir(t, dfd, path)
	if err != nil {
		return nil, nil, "", err
	}
	return v, base, path, nil
}
