package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/sched"
)

func init() {
	syscallTable[SYS_sched_yield] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		k.Sched.Yield(&t.Task)
		return 0, nil
	}
	syscallTable[SYS_sched_setaffinity] = sysSchedSetaffinity
	syscallTable[SYS_sched_getaffinity] = sysSchedGetaffinity
	syscallTable[SYS_sched_setscheduler] = sysSchedSetscheduler
	syscallTable[SYS_sched_setparam] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		p, err := k.schedTarget(t, a[0])
		if err != nil {
			return 0, err
		}
		pol := uint64(p.Policy) // SETPARAM_POLICY: the policy and its reset-on-fork flag stay
		if p.ResetOnFork {
			pol |= sched.SchedResetOnFork
		}
		return sysSchedSetschedulerOn(k, t, p, pol, a[1])
	}
	syscallTable[SYS_sched_getscheduler] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		p, err := k.schedTarget(t, a[0])
		if err != nil {
			return 0, err
		}
		pol := uint64(p.Policy)
		if p.ResetOnFork {
			pol |= sched.SchedResetOnFork
		}
		return pol, nil
	}
	syscallTable[SYS_sched_getparam] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		if a[1] == 0 {
			return 0, errno.EINVAL
		}
		p, err := k.schedTarget(t, a[0])
		if err != nil {
			return 0, err
		}
		return 0, t.putInt32(a[1], int32(p.RTPriority))
	}
	syscallTable[SYS_sched_get_priority_max] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		n, err := sched.PriorityMax(sched.Policy(int32(a[0])))
		return uint64(n), err
	}
	syscallTable[SYS_sched_get_priority_min] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		n, err := sched.PriorityMin(sched.Policy(int32(a[0])))
		return uint64(n), err
	}
	syscallTable[SYS_sched_rr_get_interval] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		p, err := k.schedTarget(t, a[0])
		if err != nil {
			return 0, err
		}
		return 0, putTimespec(t, a[1], k.Sched.RRInterval(&p.Task))
	}
	syscallTable[SYS_getpriority] = sysGetpriority
	syscallTable[SYS_setpriority] = sysSetpriority
}

// schedTarget finds the task a sched_* call names: 0 is the caller.
func (k *Kernel) schedTarget(t *Task, pid uint64) (*Task, error) {
	id := int(int32(pid))
	if id < 0 {
		return nil, errno.EINVAL
	}
	if id == 0 {
		return t, nil
	}
	p := k.FindTask(id)
	if p == nil || p.ExitState != 0 || p.IsKernelThread() {
		return nil, errno.ESRCH
	}
	return p, nil
}

func sysSchedSetaffinity(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	p, err := k.schedTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	n := int(a[1])
	if n < 0 {
		return 0, errno.EINVAL
	}
	if n > sched.NRCPUs/8 {
		n = sched.NRCPUs / 8
	}
	b, err := t.copyIn(a[2], n)
	if err != nil {
		return 0, err
	}
	if !t.Cred().sameOwner(p.Cred()) && !t.Cred().Capable(CAP_SYS_NICE) {
		return 0, errno.EPERM
	}
	return 0, k.Sched.SetAffinity(&p.Task, sched.MaskFromBytes(b))
}

func sysSchedGetaffinity(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	p, err := k.schedTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	// The length must hold every possible CPU (nr_cpu_ids bits) and be a
	// multiple of sizeof(long), as Linux checks.
	size := int(a[1])
	need := (k.NCPU + 63) / 64 * 8
	if size < need || size%8 != 0 {
		return 0, errno.EINVAL
	}
	return uint64(need), t.copyOut(a[2], k.Sched.GetAffinity(&p.Task).Bytes(need))
}

func sysSchedSetscheduler(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if int64(a[1]) < 0 || a[2] == 0 {
		return 0, errno.EINVAL
	}
	p, err := k.schedTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	return sysSchedSetschedulerOn(k, t, p, a[1], a[2])
}

func sysSchedSetschedulerOn(k *Kernel, t, p *Task, policy, param uint64) (uint64, error) {
	if param == 0 {
		return 0, errno.EINVAL
	}
	b, err := t.copyIn(param, 4)
	if err != nil {
		return 0, err
	}
	prio := int(int32(binary.LittleEndian.Uint32(b)))
	reset := policy&sched.SchedResetOnFork != 0
	pol := sched.Policy(policy &^ sched.SchedResetOnFork)
	if err := sched.CheckSchedParams(pol, prio); err != nil {
		return 0, err
	}
	if err := t.schedSetschedulerPerm(p, pol, prio, reset); err != nil {
		return 0, err
	}
	return 0, k.Sched.SetScheduler(&p.Task, pol, prio, reset)
}

// getpriority/setpriority "which".
const (
	PRIO_PROCESS = 0
	PRIO_PGRP    = 1
	PRIO_USER    = 2
)

// prioTargets lists the threads getpriority/setpriority act on: one
// thread (PRIO_PROCESS), every thread of a process group (PRIO_PGRP, 0 is
// the caller's), or every thread of a user (PRIO_USER, 0 is the caller's
// real user). An empty list is ESRCH for the caller.
func (k *Kernel) prioTargets(t *Task, which, who uint64) ([]*Task, error) {
	id := int(int32(who))
	switch which {
	case PRIO_PROCESS:
		p, err := k.schedTarget(t, who)
		if err != nil || id < 0 {
			return nil, nil
		}
		return []*Task{p}, nil
	case PRIO_PGRP:
		if id == 0 {
			id = t.Signal.Pgrp
		}
		return k.tasksWhere(func(p *Task) bool { return p.Signal.Pgrp == id }), nil
	case PRIO_USER:
		uid := uint32(who)
		if uid == 0 {
			uid = t.Cred().UID
		}
		return k.tasksWhere(func(p *Task) bool { return p.Cred().UID == uid }), nil
	}
	return nil, errno.EINVAL
}

// tasksWhere lists the live user threads for which match holds.
func (k *Kernel) tasksWhere(match func(*Task) bool) []*Task {
	var out []*Task
	for _, p := range k.Tasks() {
		if !p.IsKernelThread() && p.ExitState == 0 && p.PID != 0 && match(p) {
			out = append(out, p)
		}
	}
	return out
}

// sysGetpriority returns 20 - nice (1..40) of the highest-priority target,
// as the raw system call does.
func sysGetpriority(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	ps, err := k.prioTargets(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	best := -1
	for _, p := range ps {
		if v := 20 - p.Nice(); v > best {
			best = v
		}
	}
	if best < 0 {
		return 0, errno.ESRCH
	}
	return uint64(best), nil
}

func sysSetpriority(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	ps, err := k.prioTargets(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	nice := max(-20, min(19, int(int32(a[2]))))
	err = errno.ESRCH
	for _, p := range ps {
		err = k.setOnePrio(t, p, nice, err)
	}
	return 0, err
}
