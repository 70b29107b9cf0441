package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/vfs"
)

// System calls that change an inode's owner and times (fs/open.c
// chown_common, fs/utimes.c).
const (
	SYS_chown     = 92
	SYS_fchown    = 93
	SYS_lchown    = 94
	SYS_utime     = 132
	SYS_utimes    = 235
	SYS_fchownat  = 260
	SYS_futimesat = 261
	SYS_utimensat = 280
)

func init() {
	syscallTable[SYS_chown] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFchownat(t, AT_FDCWD, a[0], a[1], a[2], 0)
	}
	syscallTable[SYS_lchown] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFchownat(t, AT_FDCWD, a[0], a[1], a[2], AT_SYMLINK_NOFOLLOW)
	}
	syscallTable[SYS_fchownat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFchownat(t, int(int32(a[0])), a[1], a[2], a[3], int(int32(a[4])))
	}
	syscallTable[SYS_fchown] = sysFchown
	syscallTable[SYS_utimensat] = sysUtimensat
	syscallTable[SYS_utimes] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFutimesat(t, AT_FDCWD, a[0], a[1])
	}
	syscallTable[SYS_futimesat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doFutimesat(t, int(int32(a[0])), a[1], a[2])
	}
	syscallTable[SYS_utime] = sysUtime
}

// attrTarget finds the inode an *at call with AT_SYMLINK_NOFOLLOW and
// AT_EMPTY_PATH names: the file open on dfd for an empty path, else the
// path from dfd, its last symbolic link followed unless nofollow. A nil
// inode (an anonymous pipe on dfd) has no attributes to change.
func (k *Kernel) attrTarget(t *Task, dfd int, pathVA uint64, flags int) (*vfs.FS, *vfs.Inode, error) {
	v, err := k.namespace()
	if err != nil {
		return nil, nil, err
	}
	path, err := t.getname(pathVA, flags&AT_EMPTY_PATH != 0)
	if err != nil {
		return nil, nil, err
	}
	if path == "" {
		ino, err := k.fdInode(t, dfd)
		return v, ino, err
	}
	base, err := k.startDir(t, dfd, path)
	if err != nil {
		return nil, nil, err
	}
	lookup := v.As(t).Lookup
	if flags&AT_SYMLINK_NOFOLLOW != 0 {
		lookup = v.As(t).LookupNoFollow
	}
	ino, err := lookup(base, path)
	return v, ino, err
}

// doFchownat is do_fchownat: uid or gid -1 leaves that one as it is.
func (k *Kernel) doFchownat(t *Task, dfd int, pathVA, uid, gid uint64, flags int) (uint64, error) {
	if flags&^(AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) != 0 {
		return 0, errno.EINVAL
	}
	v, ino, err := k.attrTarget(t, dfd, pathVA, flags)
	if err != nil || ino == nil {
		return 0, err
	}
	return 0, v.As(t).Chown(ino, uint32(uid), uint32(gid))
}

func sysFchown(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	ino, err := k.fileInode(t, int(int32(a[0])))
	if err != nil || ino == nil {
		return 0, err
	}
	return 0, v.As(t).Chown(ino, uint32(a[1]), uint32(a[2]))
}

// nsecValid is nsec_valid: a real nanosecond count, or one of the two
// special values.
func nsecValid(ns int64) bool {
	return ns >= 0 && ns <= 999_999_999 || ns == vfs.UTIME_NOW || ns == vfs.UTIME_OMIT
}

// utimesTarget applies times (nil: both now) to the inode an *at call
// names (do_utimes → vfs_utimes). Each time is ns since the epoch or
// UTIME_NOW/UTIME_OMIT.
func (k *Kernel) utimesTarget(t *Task, dfd int, pathVA uint64, times *[2]int64, flags int) (uint64, error) {
	if flags&^(AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH) != 0 {
		return 0, errno.EINVAL
	}
	var v *vfs.FS
	var ino *vfs.Inode
	var err error
	if pathVA == 0 && dfd != AT_FDCWD {
		// utimensat(fd, NULL, ...): the open file itself (do_utimes_fd).
		if flags&^AT_EMPTY_PATH != 0 {
			return 0, errno.EINVAL
		}
		if v, err = k.namespace(); err == nil {
			ino, err = k.fileInode(t, dfd)
		}
	} else {
		v, ino, err = k.attrTarget(t, dfd, pathVA, flags)
	}
	if err != nil || ino == nil {
		return 0, err
	}
	at, mt := int64(vfs.UTIME_NOW), int64(vfs.UTIME_NOW)
	if times != nil {
		at, mt = times[0], times[1]
	}
	return 0, v.As(t).Utimes(ino, at, mt)
}

// sysUtimensat is utimensat(dfd, path, times[2], flags): timespecs, with
// UTIME_NOW and UTIME_OMIT in tv_nsec. Both omitted does nothing, without
// even looking at the path.
func sysUtimensat(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var times *[2]int64
	if a[2] != 0 {
		b, err := t.copyIn(a[2], 32)
		if err != nil {
			return 0, err
		}
		var ts [2]int64
		for i := range ts {
			sec := int64(binary.LittleEndian.Uint64(b[16*i:]))
			nsec := int64(binary.LittleEndian.Uint64(b[16*i+8:]))
			if !nsecValid(nsec) {
				return 0, errno.EINVAL
			}
			ts[i] = nsec
			if nsec != vfs.UTIME_NOW && nsec != vfs.UTIME_OMIT {
				ts[i] = sec*1e9 + nsec
			}
		}
		if ts[0] == vfs.UTIME_OMIT && ts[1] == vfs.UTIME_OMIT {
			return 0, nil
		}
		times = &ts
	}
	return k.utimesTarget(t, int(int32(a[0])), a[1], times, int(int32(a[3])))
}

// doFutimesat is futimesat/utimes: timevals (microseconds, which must be
// 0..999999).
func (k *Kernel) doFutimesat(t *Task, dfd int, pathVA, tvVA uint64) (uint64, error) {
	var times *[2]int64
	if tvVA != 0 {
		b, err := t.copyIn(tvVA, 32)
		if err != nil {
			return 0, err
		}
		var ts [2]int64
		for i := range ts {
			sec := int64(binary.LittleEndian.Uint64(b[16*i:]))
			usec := int64(binary.LittleEndian.Uint64(b[16*i+8:]))
			if usec < 0 || usec >= 1_000_000 {
				return 0, errno.EINVAL
			}
			ts[i] = sec*1e9 + usec*1e3
		}
		times = &ts
	}
	if pathVA == 0 {
		return 0, errno.EFAULT // futimesat has no NULL-path form
	}
	return k.utimesTarget(t, dfd, pathVA, times, 0)
}

// sysUtime is utime(path, struct utimbuf *): whole seconds.
func sysUtime(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var times *[2]int64
	if a[1] != 0 {
		b, err := t.copyIn(a[1], 16)
		if err != nil {
			return 0, err
		}
		times = &[2]int64{int64(binary.LittleEndian.Uint64(b)) * 1e9, int64(binary.LittleEndian.Uint64(b[8:])) * 1e9}
	}
	return k.utimesTarget(t, AT_FDCWD, a[0], times, 0)
}
