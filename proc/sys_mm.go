package proc

import (
	"errors"

	"tamix/errno"
)

func init() {
	syscallTable[SYS_brk] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) { return t.MM.Brk(a[0]), nil }
	syscallTable[SYS_mmap] = sysMmap
	syscallTable[SYS_munmap] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return 0, asErrno(t.MM.Munmap(a[0], a[1]))
	}
	syscallTable[SYS_mprotect] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return 0, asErrno(t.MM.Mprotect(a[0], a[1], int(a[2])))
	}
	syscallTable[SYS_madvise] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return 0, asErrno(t.MM.Madvise(a[0], a[1], int(a[2])))
	}
}

const mapAnonymous = 0x20

func sysMmap(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	flags := int(a[3])
	if flags&mapAnonymous == 0 {
		return k.mmapFile(t, a[0], a[1], int(a[2]), flags, int(int32(a[4])), a[5])
	}
	addr, err := t.MM.Mmap(a[0], a[1], int(a[2]), flags, nil, a[5])
	return addr, asErrno(err)
}

// asErrno makes sure an error from a lower layer is an errno.
func asErrno(err error) error {
	if err == nil {
		return nil
	}
	var e errno.Errno
	if errors.As(err, &e) {
		return e
	}
	return errno.EINVAL
}
