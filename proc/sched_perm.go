package proc

import (
	"tamix/errno"
	"tamix/sched"
)

// Who may change a task's scheduling (kernel/sched/core.c, kernel/sys.c):
// its owner, within RLIMIT_NICE and RLIMIT_RTPRIO, or a holder of
// CAP_SYS_NICE.

// canNice is can_nice: raising p's priority to nice needs RLIMIT_NICE at
// 20-nice or more, or CAP_SYS_NICE.
func (t *Task) canNice(p *Task, nice int) bool {
	return uint64(20-nice) <= p.Signal.Rlimit(RLIMIT_NICE).Cur || t.Cred().Capable(CAP_SYS_NICE)
}

// setOnePrioPerm is set_one_prio_perm: the caller's euid owns p (as its
// real or effective user), or the caller has CAP_SYS_NICE.
func (t *Task) setOnePrioPerm(p *Task) bool {
	c, pc := t.Cred(), p.Cred()
	return pc.UID == c.EUID || pc.EUID == c.EUID || c.Capable(CAP_SYS_NICE)
}

// schedSetschedulerPerm is the permission half of __sched_setscheduler for
// a call from user space: without CAP_SYS_NICE a task may not raise a fair
// task's priority past RLIMIT_NICE, enter or climb in a real-time class past
// RLIMIT_RTPRIO, leave SCHED_IDLE unless RLIMIT_NICE allows its nice,
// touch another user's task, or clear reset-on-fork.
func (t *Task) schedSetschedulerPerm(p *Task, policy sched.Policy, prio int, reset bool) error {
	if t.Cred().Capable(CAP_SYS_NICE) {
		return nil
	}
	if sched.RTPolicy(policy) {
		rlim := p.Signal.Rlimit(RLIMIT_RTPRIO).Cur
		if policy != p.Policy && rlim == 0 {
			return errno.EPERM
		}
		if prio > p.RTPriority && uint64(prio) > rlim {
			return errno.EPERM
		}
	}
	if p.Policy == sched.SchedIdle && policy != sched.SchedIdle && !t.canNice(p, p.Nice()) {
		return errno.EPERM
	}
	if !t.Cred().sameOwner(p.Cred()) {
		return errno.EPERM
	}
	if p.ResetOnFork && !reset {
		return errno.EPERM
	}
	return nil
}

// setOnePrio is set_one_prio: it sets p's nice if the caller may, and
// folds the outcome into err as setpriority reports it (the last failure,
// or success once any task changed).
func (k *Kernel) setOnePrio(t, p *Task, nice int, err error) error {
	if !t.setOnePrioPerm(p) {
		return errno.EPERM
	}
	if nice < p.Nice() && !t.canNice(p, nice) {
		return errno.EACCES
	}
	k.Sched.SetUserNice(&p.Task, nice)
	if err == errno.ESRCH {
		err = nil
	}
	return err
}
