package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/sched"
)

// sched_setattr and sched_getattr (kernel/sched/core.c): the scheduling
// policy, priority and nice in one extensible structure, struct sched_attr.

const (
	SYS_sched_setattr = 314
	SYS_sched_getattr = 315

	schedAttrSizeVer0 = 48 // up to sched_period
	schedAttrSizeVer1 = 56 // sched_util_min and sched_util_max

	SCHED_FLAG_RESET_ON_FORK  = 0x01
	SCHED_FLAG_KEEP_POLICY    = 0x08
	SCHED_FLAG_KEEP_PARAMS    = 0x10
	SCHED_FLAG_UTIL_CLAMP_MIN = 0x20
	SCHED_FLAG_UTIL_CLAMP_MAX = 0x40
	schedFlagAll              = 0x7f // SCHED_FLAG_ALL
	schedFlagSugov            = 0x10000000
)

func init() {
	syscallTable[SYS_sched_setattr] = sysSchedSetattr
	syscallTable[SYS_sched_getattr] = sysSchedGetattr
}

// schedAttr is struct sched_attr.
type schedAttr struct {
	size, policy              uint32
	flags                     uint64
	nice                      int32
	priority                  uint32
	runtime, deadline, period uint64
	utilMin, utilMax          uint32
}

func (a *schedAttr) encode() []byte {
	b := make([]byte, schedAttrSizeVer1)
	le := binary.LittleEndian
	le.PutUint32(b[0:], a.size)
	le.PutUint32(b[4:], a.policy)
	le.PutUint64(b[8:], a.flags)
	le.PutUint32(b[16:], uint32(a.nice))
	le.PutUint32(b[20:], a.priority)
	le.PutUint64(b[24:], a.runtime)
	le.PutUint64(b[32:], a.deadline)
	le.PutUint64(b[40:], a.period)
	le.PutUint32(b[48:], a.utilMin)
	le.PutUint32(b[52:], a.utilMax)
	return b
}

// copySchedAttr is sched_copy_attr: size 0 means VER0; a size outside
// VER0..PAGE_SIZE, or non-zero bytes past the structure tamix knows, is
// E2BIG with the kernel's size written back.
func (t *Task) copySchedAttr(va uint64) (schedAttr, error) {
	var a schedAttr
	var sz [4]byte
	if err := t.copyInto(sz[:], va); err != nil {
		return a, err
	}
	size := binary.LittleEndian.Uint32(sz[:])
	if size == 0 {
		size = schedAttrSizeVer0
	}
	tooBig := func() (schedAttr, error) {
		if err := t.putInt32(va, schedAttrSizeVer1); err != nil {
			return a, err
		}
		return a, errno.E2BIG
	}
	if size < schedAttrSizeVer0 || size > 4096 {
		return tooBig()
	}
	b, err := t.copyIn(va, int(size))
	if err != nil {
		return a, err
	}
	for _, x := range b[min(size, schedAttrSizeVer1):] {
		if x != 0 {
			return tooBig()
		}
	}
	b = append(b, make([]byte, schedAttrSizeVer1)...)
	le := binary.LittleEndian
	a = schedAttr{size: size, policy: le.Uint32(b[4:]), flags: le.Uint64(b[8:]), nice: int32(le.Uint32(b[16:])),
		priority: le.Uint32(b[20:]), runtime: le.Uint64(b[24:]), deadline: le.Uint64(b[32:]), period: le.Uint64(b[40:]),
		utilMin: le.Uint32(b[48:]), utilMax: le.Uint32(b[52:])}
	if a.flags&(SCHED_FLAG_UTIL_CLAMP_MIN|SCHED_FLAG_UTIL_CLAMP_MAX) != 0 && size < schedAttrSizeVer1 {
		return a, errno.EINVAL
	}
	a.nice = max(-20, min(19, a.nice))
	return a, nil
}

// sysSchedSetattr is sched_setattr(pid, attr, flags): __sched_setscheduler
// with the nice value as well. SCHED_FLAG_KEEP_POLICY keeps the policy;
// SCHED_FLAG_KEEP_PARAMS keeps policy, priority and nice (it is meant for
// changing only the clamps or reset-on-fork). tamix has no utilization
// clamping (a kernel without CONFIG_UCLAMP_TASK: EOPNOTSUPP) and no
// SCHED_DEADLINE (EINVAL, as sched_setscheduler).
func sysSchedSetattr(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if a[1] == 0 || int32(a[0]) < 0 || a[2] != 0 {
		return 0, errno.EINVAL
	}
	attr, err := t.copySchedAttr(a[1])
	if err != nil {
		return 0, err
	}
	if int32(attr.policy) < 0 {
		return 0, errno.EINVAL
	}
	p, err := k.schedTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	policy := sched.Policy(attr.policy)
	reset := attr.flags&SCHED_FLAG_RESET_ON_FORK != 0
	if attr.flags&SCHED_FLAG_KEEP_POLICY != 0 {
		policy, reset = p.Policy, p.ResetOnFork // SETPARAM_POLICY
	}
	keepParams := attr.flags&SCHED_FLAG_KEEP_PARAMS != 0
	if keepParams {
		attr.priority, attr.nice = uint32(p.RTPriority), int32(p.Nice())
	}
	if attr.flags&^(schedFlagAll|schedFlagSugov) != 0 {
		return 0, errno.EINVAL
	}
	if attr.priority > 99 {
		return 0, errno.EINVAL
	}
	if err := sched.CheckSchedParams(policy, int(attr.priority)); err != nil {
		return 0, err
	}
	fair := policy == sched.SchedNormal || policy == sched.SchedBatch
	if fair && int(attr.nice) < p.Nice() && !t.canNice(p, int(attr.nice)) {
		return 0, errno.EPERM
	}
	if err := t.schedSetschedulerPerm(p, policy, int(attr.priority), reset); err != nil {
		return 0, err
	}
	if attr.flags&schedFlagSugov != 0 {
		return 0, errno.EINVAL // the cpufreq governor's flag: not for user space
	}
	if attr.flags&(SCHED_FLAG_UTIL_CLAMP_MIN|SCHED_FLAG_UTIL_CLAMP_MAX) != 0 {
		return 0, errno.EOPNOTSUPP
	}
	if keepParams {
		// Neither policy nor parameters change (__setscheduler_params is
		// skipped); only the reset-on-fork flag may.
		return 0, k.Sched.SetScheduler(&p.Task, p.Policy, p.RTPriority, reset)
	}
	if err := k.Sched.SetScheduler(&p.Task, policy, int(attr.priority), reset); err != nil {
		return 0, err
	}
	if fair {
		k.Sched.SetUserNice(&p.Task, int(attr.nice))
	}
	return 0, nil
}

// sysSchedGetattr is sched_getattr(pid, attr, size, flags): the policy,
// reset-on-fork, and the real-time priority or the nice value; size says
// how much of the structure the caller has room for.
func sysSchedGetattr(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	usize := uint32(a[2])
	if a[1] == 0 || int32(a[0]) < 0 || usize > 4096 || usize < schedAttrSizeVer0 || a[3] != 0 {
		return 0, errno.EINVAL
	}
	p, err := k.schedTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	attr := schedAttr{policy: uint32(p.Policy)}
	if p.ResetOnFork {
		attr.flags |= SCHED_FLAG_RESET_ON_FORK
	}
	if sched.RTPolicy(p.Policy) {
		attr.priority = uint32(p.RTPriority)
	} else {
		attr.nice = int32(p.Nice())
	}
	attr.size = min(usize, schedAttrSizeVer1)
	return 0, t.copyOut(a[1], attr.encode()[:attr.size])
}
