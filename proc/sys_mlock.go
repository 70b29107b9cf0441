package proc

import (
	"tamix/errno"
	"tamix/mm"
)

// System call numbers of this file.
const (
	SYS_mlock      = 149
	SYS_munlock    = 150
	SYS_mlockall   = 151
	SYS_munlockall = 152
	SYS_mlock2     = 325
)

// mlock2 and mlockall flags.
const (
	MLOCK_ONFAULT = 1
	MCL_CURRENT   = 1
	MCL_FUTURE    = 2
	MCL_ONFAULT   = 4
)

// Memory locking only validates its arguments: tamix never swaps or
// reclaims user pages, so every page is resident once touched and stays
// so, which is all mlock promises. Pages are not faulted in ahead (Linux
// populates a locked range; that shows only in RSS counters). Every
// process runs as root (CAP_IPC_LOCK), so RLIMIT_MEMLOCK never applies.
func init() {
	syscallTable[SYS_mlock] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return 0, t.checkLockRange(a[0], a[1])
	}
	syscallTable[SYS_munlock] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return 0, t.checkLockRange(a[0], a[1])
	}
	syscallTable[SYS_mlock2] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		if a[2]&^MLOCK_ONFAULT != 0 {
			return 0, errno.EINVAL
		}
		return 0, t.checkLockRange(a[0], a[1])
	}
	syscallTable[SYS_mlockall] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		flags := a[0]
		if flags == 0 || flags&^(MCL_CURRENT|MCL_FUTURE|MCL_ONFAULT) != 0 || flags == MCL_ONFAULT {
			return 0, errno.EINVAL
		}
		return 0, nil
	}
	syscallTable[SYS_munlockall] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return 0, nil
	}
}

// checkLockRange is do_mlock's and munlock's range handling: the start is
// rounded down to a page and the length, plus the start's offset, up;
// a range that wraps is EINVAL, an empty one succeeds, and one that is not
// wholly mapped is ENOMEM (apply_vma_lock_flags).
func (t *Task) checkLockRange(start, length uint64) error {
	const page = mm.PageSize
	length = (length + start%page + page - 1) &^ (page - 1) // PAGE_ALIGN, wrapping as in C
	start &^= page - 1
	end := start + length
	if end < start {
		return errno.EINVAL
	}
	if end == start {
		return nil
	}
	next := start
	for _, v := range t.MM.VMAs() {
		if v.End <= next {
			continue
		}
		if v.Start > next {
			return errno.ENOMEM
		}
		next = v.End
		if next >= end {
			return nil
		}
	}
	return errno.ENOMEM
}
