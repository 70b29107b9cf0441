package sched

import (
	"math/bits"

	"tamix/errno"
)

// Policy is a scheduling policy with Linux's numbering (include/uapi/linux/sched.h).
type Policy int

const (
	SchedNormal   Policy = 0 // SCHED_NORMAL (SCHED_OTHER): CFS
	SchedFIFO     Policy = 1 // SCHED_FIFO: real-time, runs until it blocks or yields
	SchedRR       Policy = 2 // SCHED_RR: real-time with a round-robin timeslice
	SchedBatch    Policy = 3 // SCHED_BATCH: CFS, never preempts on wakeup
	SchedIdle     Policy = 5 // SCHED_IDLE: CFS with weight 3
	SchedDeadline Policy = 6 // SCHED_DEADLINE: not supported (EINVAL)

	// SchedResetOnFork is the flag that sched_setscheduler(2) takes ORed into
	// the policy; the syscall layer strips it and passes resetOnFork.
	SchedResetOnFork = 0x40000000
)

func (p Policy) String() string {
	switch p {
	case SchedNormal:
		return "SCHED_NORMAL"
	case SchedFIFO:
		return "SCHED_FIFO"
	case SchedRR:
		return "SCHED_RR"
	case SchedBatch:
		return "SCHED_BATCH"
	case SchedIdle:
		return "SCHED_IDLE"
	case SchedDeadline:
		return "SCHED_DEADLINE"
	}
	return "SCHED_?"
}

// Priority ranges (include/linux/sched/prio.h). Lower prio is more important:
// 0..99 are real-time, 100..139 are nice -20..19.
const (
	MaxNice       = 19
	MinNice       = -20
	NiceWidth     = MaxNice - MinNice + 1 // 40
	MaxUserRTPrio = 100
	MaxRTPrio     = MaxUserRTPrio           // MAX_RT_PRIO
	MaxPrio       = MaxRTPrio + NiceWidth   // MAX_PRIO = 140
	DefaultPrio   = MaxRTPrio + NiceWidth/2 // 120, nice 0
)

// NiceToPrio is NICE_TO_PRIO.
func NiceToPrio(nice int) int { return nice + DefaultPrio }

// PrioToNice is PRIO_TO_NICE.
func PrioToNice(prio int) int { return prio - DefaultPrio }

func rtPolicy(p Policy) bool   { return p == SchedFIFO || p == SchedRR }
func fairPolicy(p Policy) bool { return p == SchedNormal || p == SchedBatch || p == SchedIdle }
func validPolicy(p Policy) bool {
	return fairPolicy(p) || rtPolicy(p) || p == SchedDeadline
}

// rtPrio reports whether prio belongs to the real-time class (rt_prio()).
func rtPrio(prio int) bool { return prio < MaxRTPrio }

// normalPrio is __normal_prio: the priority a task has without priority
// inheritance. Real-time priorities are inverted so that rt_priority 99 is
// the most important (prio 0).
func normalPrio(policy Policy, rtPriority, staticPrio int) int {
	if rtPolicy(policy) {
		return MaxRTPrio - 1 - rtPriority
	}
	return staticPrio
}

// PriorityMax is sched_get_priority_max(2).
func PriorityMax(policy Policy) (int, error) {
	switch {
	case rtPolicy(policy):
		return MaxUserRTPrio - 1, nil
	case fairPolicy(policy), policy == SchedDeadline:
		return 0, nil
	}
	return 0, errno.EINVAL
}

// PriorityMin is sched_get_priority_min(2).
func PriorityMin(policy Policy) (int, error) {
	switch {
	case rtPolicy(policy):
		return 1, nil
	case fairPolicy(policy), policy == SchedDeadline:
		return 0, nil
	}
	return 0, errno.EINVAL
}

// NICE_0_LOAD. Linux on 64-bit scales weights by 1<<10 for resolution
// (scale_load); tamix keeps the unscaled values, which is what
// scale_load_down gives back anyway and what the tables below hold.
const (
	Nice0Load      = 1024
	WeightIdlePrio = 3          // WEIGHT_IDLEPRIO: SCHED_IDLE tasks
	wmultIdlePrio  = 1431655765 // WMULT_IDLEPRIO = 2^32 / 3
	wmultConst     = ^uint32(0) // WMULT_CONST
	wmultShift     = 32         // WMULT_SHIFT
)

// SchedPrioToWeight is sched_prio_to_weight: nice -20..19 to load weight.
// Each step is ~1.25x, so a task one nice level lower gets ~10% more CPU
// than one at the same level as another task.
var SchedPrioToWeight = [NiceWidth]uint64{
	/* -20 */ 88761, 71755, 56483, 46273, 36291,
	/* -15 */ 29154, 23254, 18705, 14949, 11916,
	/* -10 */ 9548, 7620, 6100, 4904, 3906,
	/*  -5 */ 3121, 2501, 1991, 1586, 1277,
	/*   0 */ 1024, 820, 655, 526, 423,
	/*   5 */ 335, 272, 215, 172, 137,
	/*  10 */ 110, 87, 70, 56, 45,
	/*  15 */ 36, 29, 23, 18, 15,
}

// SchedPrioToWmult is sched_prio_to_wmult: 2^32/weight, precalculated so that
// divisions by a weight become multiplications and shifts.
var SchedPrioToWmult = [NiceWidth]uint32{
	/* -20 */ 48388, 59856, 76040, 92818, 118348,
	/* -15 */ 147320, 184698, 229616, 287308, 360437,
	/* -10 */ 449829, 563644, 704093, 875809, 1099582,
	/*  -5 */ 1376151, 1717300, 2157191, 2708050, 3363326,
	/*   0 */ 4194304, 5237765, 6557202, 8165337, 10153587,
	/*   5 */ 12820798, 15790321, 19976592, 24970740, 31350126,
	/*  10 */ 39045157, 49367440, 61356676, 76695844, 95443717,
	/*  15 */ 119304647, 148102320, 186737708, 238609294, 286331153,
}

// NiceToWeight returns the load weight of a nice value (clamped to -20..19).
func NiceToWeight(nice int) uint64 {
	return SchedPrioToWeight[clampNice(nice)-MinNice]
}

func clampNice(n int) int {
	if n < MinNice {
		return MinNice
	}
	if n > MaxNice {
		return MaxNice
	}
	return n
}

// LoadWeight is struct load_weight: a weight and its cached inverse.
type LoadWeight struct {
	Weight    uint64
	InvWeight uint32 // 2^32/Weight, 0 = not computed yet
}

func (lw *LoadWeight) set(w uint64) { lw.Weight = w; lw.InvWeight = 0 }
func (lw *LoadWeight) add(w uint64) { lw.Weight += w; lw.InvWeight = 0 }
func (lw *LoadWeight) sub(w uint64) { lw.Weight -= w; lw.InvWeight = 0 }

// updateInvWeight is __update_inv_weight.
func (lw *LoadWeight) updateInvWeight() {
	if lw.InvWeight != 0 {
		return
	}
	switch w := lw.Weight; {
	case w >= uint64(wmultConst):
		lw.InvWeight = 1
	case w == 0:
		lw.InvWeight = wmultConst
	default:
		lw.InvWeight = uint32(uint64(wmultConst) / w)
	}
}

// calcDelta is __calc_delta: delta * weight / lw.Weight computed as
// (delta * weight * lw.InvWeight) >> 32 without a division, keeping the
// 32x32 product from overflowing by shifting precision away when the
// factors are large.
func calcDelta(delta uint64, weight uint64, lw *LoadWeight) uint64 {
	lw.updateInvWeight()
	fact := weight
	shift := uint(wmultShift)
	if hi := fact >> 32; hi != 0 {
		fs := uint(bits.Len64(hi))
		shift -= fs
		fact >>= fs
	}
	fact = uint64(uint32(fact)) * uint64(lw.InvWeight)
	if hi := fact >> 32; hi != 0 {
		fs := uint(bits.Len64(hi))
		shift -= fs
		fact >>= fs
	}
	return mulU64U32Shr(delta, uint32(fact), shift)
}

// mulU64U32Shr is mul_u64_u32_shr: (a * mul) >> shift with a 96-bit product.
func mulU64U32Shr(a uint64, mul uint32, shift uint) uint64 {
	hi, lo := bits.Mul64(a, uint64(mul))
	if shift == 0 {
		return lo
	}
	return hi<<(64-shift) | lo>>shift
}
