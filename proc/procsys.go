package proc

import (
	"sync"
	"sync/atomic"
)

// System call numbers added with waitid, prctl, the rlimit calls and
// rt_sigtimedwait (the others they use are in syscall.go's list).
const (
	SYS_waitid = 247
)

// procsysTask is the per-thread state of prctl and rt_sigtimedwait,
// embedded in Task.
type procsysTask struct {
	// pdeathSignal is sent to the thread's process when the thread that
	// forked it exits (pdeath_signal, PR_SET_PDEATHSIG).
	pdeathSignal atomic.Int32
	// noNewPrivs is PFA_NO_NEW_PRIVS (PR_SET_NO_NEW_PRIVS): inherited by
	// fork and kept across exec, never cleared.
	noNewPrivs bool
	// realBlocked is the mask rt_sigtimedwait sleeps with temporarily
	// replaced (real_blocked): signals in it are not ignored on send.
	realBlocked SigSet
	// sigwaitSet is the set rt_sigtimedwait waits for while it sleeps.
	sigwaitSet SigSet
}

// procsysSignal is the per-process state of prctl and the rlimit calls,
// embedded in SignalStruct.
type procsysSignal struct {
	// isChildSubreaper is PR_SET_CHILD_SUBREAPER: orphaned descendants
	// are reparented here rather than to init (is_child_subreaper).
	isChildSubreaper atomic.Bool
	// dumpable is PR_SET_DUMPABLE's value. Linux keeps it in mm->flags;
	// tamix keeps it per process (the same unless CLONE_VM without
	// CLONE_THREAD).
	dumpable atomic.Int32

	rlimMu sync.Mutex
	rlim   [RLIM_NLIMITS]Rlimit // signal->rlim, under rlimMu
}

// SUID_DUMP_* values of PR_SET_DUMPABLE.
const (
	SUID_DUMP_DISABLE = 0
	SUID_DUMP_USER    = 1
)

// initProcsysSignal fills a new process's signal_struct: the limits are
// copied from the parent's (copy_signal), the rest starts afresh
// (is_child_subreaper is not inherited; dumpable lives in the mm, which
// fork copies).
func initProcsysSignal(child, parent *SignalStruct) {
	child.rlim = parent.rlimits()
	child.dumpable.Store(parent.dumpable.Load())
	if child.rlim[RLIMIT_CPU].Cur != RLIM_INFINITY {
		child.armRlimitCPU() // the limit is inherited, the interval timers are not
	}
}
