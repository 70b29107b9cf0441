package sched

import "math/bits"

// The real-time class: Linux 6.1 kernel/sched/rt.c without RT group
// scheduling, push/pull IPIs or the RT_RUNTIME_SHARE feature (off by default
// in 6.1): each CPU's RT tasks may use RTRuntime of every RTPeriod.

// rtPrioArray is struct rt_prio_array: one FIFO list per priority and a
// bitmap of the non-empty lists, so the highest priority is found with a
// find-first-bit: the O(1) pick.
type rtPrioArray struct {
	bitmap [2]uint64
	queue  [MaxRTPrio]struct{ head, tail *Task }
}

// first is sched_find_first_bit; MaxRTPrio when empty.
func (a *rtPrioArray) first() int {
	if a.bitmap[0] != 0 {
		return bits.TrailingZeros64(a.bitmap[0])
	}
	if a.bitmap[1] != 0 {
		return 64 + bits.TrailingZeros64(a.bitmap[1])
	}
	return MaxRTPrio
}

func (a *rtPrioArray) add(p *Task, head bool) {
	q := &a.queue[p.Prio]
	rt := &p.RT
	rt.onList = true
	if q.head == nil {
		rt.next, rt.prev = nil, nil
		q.head, q.tail = p, p
	} else if head {
		rt.prev, rt.next = nil, q.head
		q.head.RT.prev = p
		q.head = p
	} else {
		rt.next, rt.prev = nil, q.tail
		q.tail.RT.next = p
		q.tail = p
	}
	a.bitmap[p.Prio/64] |= 1 << (p.Prio % 64)
}

func (a *rtPrioArray) del(p *Task, prio int) {
	q := &a.queue[prio]
	rt := &p.RT
	if rt.prev != nil {
		rt.prev.RT.next = rt.next
	} else {
		q.head = rt.next
	}
	if rt.next != nil {
		rt.next.RT.prev = rt.prev
	} else {
		q.tail = rt.prev
	}
	rt.next, rt.prev, rt.onList = nil, nil, false
	if q.head == nil {
		a.bitmap[prio/64] &^= 1 << (prio % 64)
	}
}

// rtPrioOf remembers the list a queued RT task sits on: its Prio may be
// changed by SetScheduler only while it is dequeued, so Prio is the key.
func rtPrioOf(p *Task) int { return p.Prio }

// enqueueTaskRT is enqueue_task_rt.
func (s *Scheduler) enqueueTaskRT(rq *RQ, p *Task, flags int) {
	rq.RT.active.add(p, flags&enqueueHead != 0)
	rq.RT.NrRunning++
	s.startRTBandwidth(rq)
	rq.addNrRunning(1)
}

// dequeueTaskRT is dequeue_task_rt.
func (s *Scheduler) dequeueTaskRT(rq *RQ, p *Task) {
	s.updateCurrRT(rq)
	rq.RT.active.del(p, rtPrioOf(p))
	rq.RT.NrRunning--
	rq.subNrRunning(1)
}

// requeueTaskRT is requeue_task_rt: to the tail (or head) of its list.
func (s *Scheduler) requeueTaskRT(rq *RQ, p *Task, head bool) {
	if !p.RT.onList {
		return
	}
	rq.RT.active.del(p, rtPrioOf(p))
	rq.RT.active.add(p, head)
}

// rtRunnable is sched_rt_runnable: RT tasks queued and not throttled.
func (rq *RQ) rtRunnable() bool { return rq.RT.NrRunning > 0 && !rq.RT.Throttled }

// pickNextTaskRT is pick_next_task_rt. The running RT task stays on its
// list (unlike CFS's curr), so a preempted FIFO task stays at the head.
func (s *Scheduler) pickNextTaskRT(rq *RQ) *Task {
	if !rq.rtRunnable() {
		return nil
	}
	p := rq.RT.active.queue[rq.RT.active.first()].head
	p.SE.ExecStart = rq.Clock // set_next_task_rt
	return p
}

// updateCurrRT is update_curr_rt: account the running RT task and charge
// the CPU's RT bandwidth; throttle when the period's runtime is used up.
func (s *Scheduler) updateCurrRT(rq *RQ) {
	curr := rq.Curr
	if curr == nil || curr.class != classRT {
		return
	}
	delta := rq.Clock - curr.SE.ExecStart
	if delta <= 0 {
		return
	}
	curr.SE.SumExecRuntime += delta
	curr.SE.ExecStart = rq.Clock
	if s.RTRuntime == RuntimeInf {
		return
	}
	rq.RT.RTTime += delta
	if s.rtRuntimeExceeded(rq) {
		s.reschedCurr(rq)
	}
}

// rtRuntimeExceeded is sched_rt_runtime_exceeded.
func (s *Scheduler) rtRuntimeExceeded(rq *RQ) bool {
	rt := &rq.RT
	if rt.Throttled {
		return true
	}
	if s.RTRuntime >= s.RTPeriod || s.RTRuntime == RuntimeInf {
		return false
	}
	if rt.RTTime > s.RTRuntime {
		rt.Throttled = true
		return true
	}
	return false
}

// startRTBandwidth is start_rt_bandwidth: arm the period timer.
func (s *Scheduler) startRTBandwidth(rq *RQ) {
	if s.RTRuntime == RuntimeInf || rq.RT.timerActive {
		return
	}
	rq.RT.timerActive = true
	rq.RT.periodEnd = rq.Clock + s.RTPeriod
}

// rtPeriodTimer plays sched_rt_period_timer/do_sched_rt_period_timer: at
// each period boundary the used RT time is paid back by one runtime per
// elapsed period and a throttled CPU runs its RT tasks again. Linux uses an
// hrtimer; here the tick and __schedule look at the clock.
func (s *Scheduler) rtPeriodTimer(rq *RQ) {
	rt := &rq.RT
	if !rt.timerActive || rq.Clock < rt.periodEnd {
		return
	}
	overrun := (rq.Clock-rt.periodEnd)/s.RTPeriod + 1
	rt.periodEnd += overrun * s.RTPeriod
	idle := true
	if rt.RTTime != 0 {
		runtime := max(s.RTRuntime, 0)
		rt.RTTime -= min(rt.RTTime, overrun*runtime)
		if rt.Throttled && rt.RTTime < runtime {
			rt.Throttled = false
			if rt.NrRunning > 0 {
				s.reschedCurr(rq)
			}
		}
		if rt.RTTime != 0 || rt.NrRunning != 0 {
			idle = false
		}
	} else if rt.NrRunning != 0 {
		idle = false
	}
	if rt.Throttled {
		idle = false
	}
	if idle {
		rt.timerActive = false
	}
}

// taskTickRT is task_tick_rt: SCHED_RR tasks rotate among their priority
// peers when their timeslice runs out; FIFO tasks run until they block,
// yield or are preempted by a higher priority.
func (s *Scheduler) taskTickRT(rq *RQ, p *Task) {
	s.updateCurrRT(rq)
	if p.Policy != SchedRR {
		return
	}
	p.RT.TimeSlice--
	if p.RT.TimeSlice > 0 {
		return
	}
	p.RT.TimeSlice = s.rrTimeslice()
	// Requeue to the end of the queue if we are not the only element.
	if q := rq.RT.active.queue[p.Prio]; q.head != q.tail {
		s.requeueTaskRT(rq, p, false)
		s.reschedCurr(rq)
	}
}

// checkPreemptCurrRT is check_preempt_curr_rt.
func (s *Scheduler) checkPreemptCurrRT(rq *RQ, p *Task) {
	if p.Prio < rq.Curr.Prio {
		s.reschedCurr(rq)
	}
}
