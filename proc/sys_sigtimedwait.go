package proc

import (
	"math"

	"tamix/errno"
)

func init() {
	syscallTable[SYS_rt_sigtimedwait] = sysRtSigtimedwait
}

// sysRtSigtimedwait is rt_sigtimedwait(set, info, timeout, sigsetsize)
// (do_sigtimedwait): it takes a pending signal of set — blocked or not —
// and returns its number, with its siginfo in *info. With none pending it
// sleeps with set unblocked (the real mask kept in realBlocked, so a signal
// of set is not discarded as ignored) until one comes, the timeout ends
// (EAGAIN; a zero timeout polls) or another signal interrupts it (EINTR,
// never restarted). The call runs again after each wake-up; its deadline
// lives in the restart block.
func sysRtSigtimedwait(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	rb := &t.restart
	if !rb.armed {
		if a[3] != 8 {
			return 0, errno.EINVAL
		}
		v, err := t.getUint64(a[0])
		if err != nil {
			return 0, err
		}
		set := SigSet(v) &^ unblockable
		deadline := int64(math.MaxInt64) // no timeout: wait for ever
		if a[2] != 0 {
			d, err := getTimespec(t, a[2])
			if err != nil {
				return 0, err
			}
			if now := k.Clock(); d < math.MaxInt64-now {
				deadline = now + d
			}
			if d == 0 {
				deadline = 0
			}
		}
		if si, ok := k.dequeueSignalFrom(t, set); ok {
			return k.sigtimedwaitDone(t, si, a[1])
		}
		if deadline == 0 {
			return 0, errno.EAGAIN
		}
		t.Sighand.mu.Lock()
		t.realBlocked, t.sigwaitSet = t.Blocked, set
		t.Blocked &^= set
		t.Sighand.mu.Unlock()
		rb.deadline, rb.armed = deadline, true
	}
	// With set unblocked, a signal of set or any other deliverable one
	// ends the sleep.
	woken := k.signalPending(t)
	if !woken && k.Clock() < rb.deadline {
		t.SetState(TASK_INTERRUPTIBLE)
		if rb.deadline != math.MaxInt64 {
			k.timers.add(rb.deadline, t)
		}
		return 0, errBlock
	}
	set := t.sigwaitSet
	k.sigtimedwaitEnd(t)
	if si, ok := k.dequeueSignalFrom(t, set); ok {
		return k.sigtimedwaitDone(t, si, a[1])
	}
	if woken {
		return 0, errno.EINTR
	}
	return 0, errno.EAGAIN
}

// sigtimedwaitEnd puts the real signal mask back after the sleep.
func (k *Kernel) sigtimedwaitEnd(t *Task) {
	t.Sighand.mu.Lock()
	t.Blocked, t.realBlocked, t.sigwaitSet = t.realBlocked, 0, 0
	t.Sighand.mu.Unlock()
	t.restart.armed = false
}

// sigtimedwaitDone copies the siginfo out and returns the signal.
func (k *Kernel) sigtimedwaitDone(t *Task, si SigInfo, info uint64) (uint64, error) {
	if info != 0 {
		if err := t.copyOut(info, si.encode()); err != nil {
			return 0, err
		}
	}
	return uint64(si.Signo), nil
}

// dequeueSignalFrom takes the signal dequeueSignal would, among those of
// set instead of the unblocked ones (dequeue_signal with a mask).
//
// A SIGALRM taken from the process's shared queue re-arms a periodic
// ITIMER_REAL (dequeue_signal → posixtimer_rearm_itimer), whichever call
// took it.
func (k *Kernel) dequeueSignalFrom(t *Task, set SigSet) (SigInfo, bool) {
	t.Sighand.mu.Lock()
	si, shared, ok := takeSignal(t, set)
	t.Sighand.mu.Unlock()
	if ok && shared && si.Signo == SIGALRM {
		k.rearmItimerReal(t.Signal)
	}
	if ok && si.timer != nil && si.sysPrivate != 0 {
		k.posixtimerRearm(t, &si)
	}
	return si, ok
}

// takeSignal takes the lowest-numbered signal of set pending for t, its own
// first, synchronous faults before the rest. Called with the siglock held.
func takeSignal(t *Task, set SigSet) (si SigInfo, shared, ok bool) {
	const synchronous = SigSet(1<<(SIGSEGV-1) | 1<<(SIGBUS-1) | 1<<(SIGILL-1) | 1<<(SIGTRAP-1) | 1<<(SIGFPE-1) | 1<<(SIGSYS-1))
	for _, p := range []*SigPending{&t.Pending, &t.Signal.SharedPending} {
		ready := p.Set & set
		if ready == 0 {
			continue
		}
		if ready&synchronous != 0 {
			ready &= synchronous
		}
		sig := 1
		for ready&1 == 0 {
			ready >>= 1
			sig++
		}
		return p.take(sig), p == &t.Signal.SharedPending, true
	}
	return SigInfo{}, false, false
}
