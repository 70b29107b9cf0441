package sched

import "sync/atomic"

// The load averages (kernel/sched/loadavg.c): every LOAD_FREQ the number
// of runnable tasks is folded into three exponentially decaying averages,
// kept in fixed point with FSHIFT bits of fraction.
const (
	FShift  = 11          // FSHIFT: bits of precision
	Fixed1  = 1 << FShift // FIXED_1: 1.0
	exp1    = 1884        // EXP_1: 1/exp(5s/1min) in fixed point
	exp5    = 2014        // EXP_5: 1/exp(5s/5min)
	exp15   = 2037        // EXP_15: 1/exp(5s/15min)
	maxMiss = 1 << 12     // folds of missed periods done at once, at most
)

// loadAvg is the scheduler's avenrun[] and the time of its next update.
type loadAvg struct {
	avenrun [3]atomic.Uint64
	next    atomic.Int64 // calc_load_update, ns
}

// calcLoad is calc_load: one decay step of load towards active (both fixed
// point), rounding up while the load rises as Linux does.
func calcLoad(load, exp, active uint64) uint64 {
	newload := load*exp + active*(Fixed1-exp)
	if active >= load {
		newload += Fixed1 - 1
	}
	return newload / Fixed1
}

// loadFreq is LOAD_FREQ: 5 s and one tick.
func (s *Scheduler) loadFreq() int64 {
	return 5e9 + 1e9/int64(max(s.HZ, 1))
}

// CalcGlobalLoad is calc_global_load: when LOAD_FREQ has passed, fold the
// number of runnable tasks (idle tasks excluded; tamix does not count
// TASK_UNINTERRUPTIBLE sleepers, which Linux adds) into the averages, once
// per period that passed. Called from any CPU's tick; cheap otherwise.
func (s *Scheduler) CalcGlobalLoad() {
	now := s.Clock()
	next := s.load.next.Load()
	if next == 0 {
		s.load.next.CompareAndSwap(0, now+s.loadFreq())
		return
	}
	if now < next {
		return
	}
	periods := (now-next)/s.loadFreq() + 1
	if !s.load.next.CompareAndSwap(next, next+periods*s.loadFreq()) {
		return // another CPU folds this period
	}
	var active uint64
	for _, rq := range s.RQs {
		active += uint64(max(rq.nrA.Load(), 0))
	}
	active *= Fixed1
	for i, e := range [3]uint64{exp1, exp5, exp15} {
		load := s.load.avenrun[i].Load()
		for n := min(periods, maxMiss); n > 0; n-- {
			load = calcLoad(load, e, active)
		}
		s.load.avenrun[i].Store(load)
	}
}

// LoadAvg returns the 1, 5 and 15 minute load averages in fixed point
// (avenrun; divide by Fixed1).
func (s *Scheduler) LoadAvg() [3]uint64 {
	return [3]uint64{s.load.avenrun[0].Load(), s.load.avenrun[1].Load(), s.load.avenrun[2].Load()}
}
