package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/mm"
)

// Robust futexes (kernel/futex/core.c exit_robust_list): a thread keeps a
// user-space list of the futex-based locks it holds; when it dies holding
// one — killed, or exiting without unlocking — the kernel marks each such
// lock FUTEX_OWNER_DIED and wakes a waiter, whose pthread_mutex_lock then
// returns EOWNERDEAD instead of hanging forever.

const (
	SYS_get_robust_list = 274

	// Bits of a robust futex word.
	FUTEX_WAITERS    = 0x80000000
	FUTEX_OWNER_DIED = 0x40000000
	FUTEX_TID_MASK   = 0x3fffffff

	// robustListHeadSize is sizeof(struct robust_list_head): the list
	// pointer, futex_offset, list_op_pending.
	robustListHeadSize = 24
	// ROBUST_LIST_LIMIT bounds the walk of a corrupt (circular) list.
	ROBUST_LIST_LIMIT = 2048
)

func init() {
	syscallTable[SYS_set_robust_list] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		if a[1] != robustListHeadSize {
			return 0, errno.EINVAL
		}
		t.robustList = a[0]
		return 0, nil
	}
	syscallTable[SYS_get_robust_list] = sysGetRobustList
}

// sysGetRobustList is get_robust_list(pid, head_ptr, len_ptr): pid 0 is
// the caller; reading another task's list needs the right to inspect it
// (the same user, or CAP_SYS_PTRACE).
func sysGetRobustList(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	p := t
	if pid := int(int32(a[0])); pid != 0 {
		if p = k.FindTask(pid); p == nil || p.IsKernelThread() {
			return 0, errno.ESRCH
		}
		if !t.mayAccess(p) {
			return 0, errno.EPERM
		}
	}
	if err := t.putUint64(a[2], robustListHeadSize); err != nil {
		return 0, err
	}
	return 0, t.putUint64(a[1], p.robustList)
}

// mayAccess is ptrace_may_access with PTRACE_MODE_REALCREDS, without
// ptrace itself: the caller's real IDs match all of the target's user and
// group IDs, or it has CAP_SYS_PTRACE; a process may always inspect
// itself.
func (t *Task) mayAccess(p *Task) bool {
	if t.TGID == p.TGID {
		return true
	}
	c, pc := t.Cred(), p.Cred()
	if c.UID == pc.UID && c.UID == pc.EUID && c.UID == pc.SUID &&
		c.GID == pc.GID && c.GID == pc.EGID && c.GID == pc.SGID {
		return true
	}
	return c.Capable(CAP_SYS_PTRACE)
}

// exitRobustList walks the dying (or exec'ing) thread's robust list and
// releases every lock it still holds. Faults end the walk quietly, as in
// Linux: the list is the program's, and may be garbage.
func (k *Kernel) exitRobustList(t *Task) {
	head := t.robustList
	t.robustList = 0
	m := t.MM
	if head == 0 || m == nil {
		return
	}
	var b [robustListHeadSize]byte
	if m.CopyIn(b[:], head) != nil {
		return
	}
	le := binary.LittleEndian
	entry := le.Uint64(b[0:])
	offset := int64(le.Uint64(b[8:]))
	pending := le.Uint64(b[16:])
	for limit := ROBUST_LIST_LIMIT; entry&^1 != head && limit > 0; limit-- {
		var next [8]byte
		if m.CopyIn(next[:], entry&^1) != nil {
			return
		}
		if entry&^1 != pending&^1 {
			k.handleFutexDeath(m, uint64(int64(entry&^1)+offset), t.PID, entry&1 != 0, false)
		}
		entry = le.Uint64(next[:])
	}
	if pending != 0 {
		k.handleFutexDeath(m, uint64(int64(pending&^1)+offset), t.PID, pending&1 != 0, true)
	}
}

// handleFutexDeath releases one robust lock owned by tid: the word keeps
// its FUTEX_WAITERS bit and gains FUTEX_OWNER_DIED in place of the owner,
// and one waiter is woken. A lock the thread was in the middle of taking
// (list_op_pending) that is still free gets a wake-up as well, so that the
// waiter it might have stolen the wake-up from tries again.
func (k *Kernel) handleFutexDeath(m *mm.MM, uaddr uint64, tid int, pi, pendingOp bool) {
	if uaddr%4 != 0 {
		return
	}
	for {
		var b [4]byte
		if m.CopyIn(b[:], uaddr) != nil {
			return
		}
		uval := binary.LittleEndian.Uint32(b[:])
		if pendingOp && !pi && uval == 0 {
			k.futexWake(m, uaddr, 1)
			return
		}
		if int(uval&FUTEX_TID_MASK) != tid {
			return
		}
		mval := uval&FUTEX_WAITERS | FUTEX_OWNER_DIED
		cur, err := m.CmpxchgUser32(uaddr, uval, mval)
		if err != nil {
			return
		}
		if cur != uval {
			continue // changed under us: look again
		}
		if !pi && uval&FUTEX_WAITERS != 0 {
			k.futexWake(m, uaddr, 1)
		}
		return
	}
}
