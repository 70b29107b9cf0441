package sched

// The fair class: CFS as in Linux 6.1 kernel/sched/fair.c, without group
// scheduling, bandwidth control or PELT load tracking (the balancer uses
// the queued weight instead of the decayed average).

// Enqueue/dequeue flags (ENQUEUE_*, DEQUEUE_* in kernel/sched/sched.h).
const (
	dequeueSleep = 0x01 // the task blocks: keep its vruntime absolute
	dequeueSave  = 0x02 // a change of prio/policy/affinity follows
	dequeueMove  = 0x04

	enqueueWakeup   = 0x01 // the task was sleeping: place_entity credits it
	enqueueRestore  = 0x02
	enqueueMove     = 0x04
	enqueueHead     = 0x10 // RT: queue at the head of its list
	enqueueMigrated = 0x40 // the wakeup moved it: its vruntime is relative
)

// Wake flags (WF_*).
const (
	wfTTWU = 0x08
	wfFork = 0x04
)

// entityBefore is entity_before: signed difference, so the order survives
// the u64 wrap of vruntime.
func entityBefore(a, b *SchedEntity) bool { return int64(a.Vruntime-b.Vruntime) < 0 }

func maxVruntime(maxV, v uint64) uint64 {
	if int64(v-maxV) > 0 {
		return v
	}
	return maxV
}

func minVruntime(minV, v uint64) uint64 {
	if int64(v-minV) < 0 {
		return v
	}
	return minV
}

// calcDeltaFair is calc_delta_fair: wall time to virtual time,
// delta * NICE_0_LOAD / weight. A nice-0 task's vruntime advances at the
// speed of the clock, heavier tasks slower, lighter ones faster.
func calcDeltaFair(delta int64, se *SchedEntity) uint64 {
	if se.Load.Weight != Nice0Load {
		return calcDelta(uint64(delta), Nice0Load, &se.Load)
	}
	return uint64(delta)
}

// updateMinVruntime is update_min_vruntime: the floor follows the smallest
// of curr and leftmost, but never moves backwards, so that placing tasks
// relative to it cannot hand out time twice.
func (cfs *CFSRQ) updateMinVruntime() {
	curr := cfs.Curr
	v := cfs.MinVruntime
	if curr != nil {
		if curr.OnRQ {
			v = curr.Vruntime
		} else {
			curr = nil
		}
	}
	if left := cfs.tasksTimeline.first(); left != nil {
		if curr == nil {
			v = left.Vruntime
		} else {
			v = minVruntime(v, left.Vruntime)
		}
	}
	cfs.MinVruntime = maxVruntime(cfs.MinVruntime, v)
}

func (cfs *CFSRQ) enqueue(se *SchedEntity) { cfs.tasksTimeline.add(se, entityBefore) } // __enqueue_entity
func (cfs *CFSRQ) dequeue(se *SchedEntity) { cfs.tasksTimeline.erase(se) }             // __dequeue_entity

// First is __pick_first_entity: the queued entity with the smallest vruntime.
func (cfs *CFSRQ) First() *SchedEntity { return cfs.tasksTimeline.first() }

// updateCurr is update_curr: charge the running entity for the time since
// it was last accounted, in wall time and in virtual time.
func (s *Scheduler) updateCurr(rq *RQ) {
	cfs := &rq.CFS
	curr := cfs.Curr
	if curr == nil {
		return
	}
	delta := rq.Clock - curr.ExecStart
	if delta <= 0 {
		return
	}
	curr.ExecStart = rq.Clock
	curr.SumExecRuntime += delta
	curr.Vruntime += calcDeltaFair(delta, curr)
	cfs.updateMinVruntime()
}

// schedPeriod is __sched_period: the latency target stretches when there
// are more tasks than fit in it at min_granularity each.
func (s *Scheduler) schedPeriod(nrRunning int) int64 {
	if nrRunning > schedNrLatency {
		return int64(nrRunning) * s.MinGranularity
	}
	return s.SchedLatency
}

func seIsIdle(se *SchedEntity) bool { return se.task != nil && se.task.Policy == SchedIdle }

// schedIdleCFSRQ is sched_idle_cfs_rq: every queued task is SCHED_IDLE.
func (s *Scheduler) schedIdleCFSRQ(cfs *CFSRQ) bool {
	return cfs.NrRunning > 0 && cfs.NrRunning == cfs.idleNrRunning
}

// schedSlice is sched_slice: the wall-time share of the period that is
// se's, proportional to its weight (ALT_PERIOD and BASE_SLICE on, as in 6.1).
func (s *Scheduler) schedSlice(cfs *CFSRQ, se *SchedEntity) int64 {
	nr := cfs.NrRunning
	if !se.OnRQ {
		nr++
	}
	slice := s.schedPeriod(nr)
	load := cfs.Load
	if !se.OnRQ {
		load.add(se.Load.Weight)
	}
	slice = int64(calcDelta(uint64(slice), se.Load.Weight, &load))
	minGran := s.MinGranularity
	if seIsIdle(se) && !s.schedIdleCFSRQ(cfs) {
		minGran = s.IdleMinGranularity
	}
	return max(slice, minGran)
}

// schedVslice is sched_vslice: the slice in virtual time.
func (s *Scheduler) schedVslice(cfs *CFSRQ, se *SchedEntity) uint64 {
	return calcDeltaFair(s.schedSlice(cfs, se), se)
}

// placeEntity is place_entity. A new task starts one virtual slice after
// min_vruntime (START_DEBIT), so forking cannot be used to grab the CPU. A
// waking task is credited up to half a latency period of sleep
// (GENTLE_FAIR_SLEEPERS) so interactive tasks run soon, but never more, and
// a task never gains by moving its vruntime backwards.
func (s *Scheduler) placeEntity(cfs *CFSRQ, se *SchedEntity, initial bool) {
	v := cfs.MinVruntime
	if initial {
		v += s.schedVslice(cfs, se)
	} else {
		thresh := s.SchedLatency
		if seIsIdle(se) {
			thresh = s.MinGranularity
		}
		thresh >>= 1 // GENTLE_FAIR_SLEEPERS
		v -= uint64(thresh)
	}
	se.Vruntime = maxVruntime(se.Vruntime, v)
}

// enqueueEntity is enqueue_entity.
func (s *Scheduler) enqueueEntity(rq *RQ, se *SchedEntity, flags int) {
	cfs := &rq.CFS
	renorm := flags&enqueueWakeup == 0 || flags&enqueueMigrated != 0
	isCurr := cfs.Curr == se
	// A relative vruntime becomes absolute again against this cfs_rq. For
	// curr this happens before update_curr so min_vruntime cannot be
	// pushed past it.
	if renorm && isCurr {
		se.Vruntime += cfs.MinVruntime
	}
	s.updateCurr(rq)
	if renorm && !isCurr {
		se.Vruntime += cfs.MinVruntime
	}
	// account_entity_enqueue
	cfs.Load.add(se.Load.Weight)
	cfs.NrRunning++
	if seIsIdle(se) {
		cfs.idleNrRunning++
	}
	if flags&enqueueWakeup != 0 {
		s.placeEntity(cfs, se, false)
	}
	if !isCurr {
		cfs.enqueue(se)
	}
	se.OnRQ = true
}

// clearBuddies is clear_buddies: forget se as next/last/skip hint.
func (cfs *CFSRQ) clearBuddies(se *SchedEntity) {
	if cfs.last == se {
		cfs.last = nil
	}
	if cfs.next == se {
		cfs.next = nil
	}
	if cfs.skip == se {
		cfs.skip = nil
	}
}

// dequeueEntity is dequeue_entity.
func (s *Scheduler) dequeueEntity(rq *RQ, se *SchedEntity, flags int) {
	cfs := &rq.CFS
	s.updateCurr(rq)
	cfs.clearBuddies(se)
	if se != cfs.Curr {
		cfs.dequeue(se)
	}
	se.OnRQ = false
	// account_entity_dequeue
	cfs.Load.sub(se.Load.Weight)
	cfs.NrRunning--
	if seIsIdle(se) {
		cfs.idleNrRunning--
	}
	// A task that is not going to sleep is about to be moved or changed:
	// keep only its lag relative to this cfs_rq.
	if flags&dequeueSleep == 0 {
		se.Vruntime -= cfs.MinVruntime
	}
	if flags&(dequeueSave|dequeueMove) != dequeueSave {
		cfs.updateMinVruntime()
	}
}

// wakeupGran is wakeup_gran: the wakeup granularity in the wakee's virtual time.
func (s *Scheduler) wakeupGran(se *SchedEntity) uint64 {
	return calcDeltaFair(s.WakeupGranularity, se)
}

// wakeupPreemptEntity is wakeup_preempt_entity: 1 if se should preempt
// curr, i.e. curr is ahead of se by more than the wakeup granularity; 0 if
// ahead by less; -1 if curr is not ahead at all.
func (s *Scheduler) wakeupPreemptEntity(curr, se *SchedEntity) int {
	vdiff := int64(curr.Vruntime - se.Vruntime)
	if vdiff <= 0 {
		return -1
	}
	if vdiff > int64(s.wakeupGran(se)) {
		return 1
	}
	return 0
}

// pickNextEntity is pick_next_entity: the leftmost entity, unless it is
// the skip buddy (it yielded) and the second is close enough, or a
// next/last buddy is close enough to the leftmost to be run instead
// without being unfair.
func (s *Scheduler) pickNextEntity(cfs *CFSRQ, curr *SchedEntity) *SchedEntity {
	left := cfs.First()
	if left == nil || (curr != nil && entityBefore(curr, left)) {
		left = curr
	}
	se := left
	if cfs.skip != nil && cfs.skip == se {
		var second *SchedEntity
		if se == curr {
			second = cfs.First()
		} else {
			second = rbNext(se)
			if second == nil || (curr != nil && entityBefore(curr, second)) {
				second = curr
			}
		}
		if second != nil && s.wakeupPreemptEntity(second, left) < 1 {
			se = second
		}
	}
	if cfs.next != nil && s.wakeupPreemptEntity(cfs.next, left) < 1 {
		se = cfs.next
	} else if cfs.last != nil && s.wakeupPreemptEntity(cfs.last, left) < 1 {
		se = cfs.last
	}
	return se
}

// setNextEntity is set_next_entity: the running entity leaves the tree, and
// its slice starts now.
func (s *Scheduler) setNextEntity(rq *RQ, se *SchedEntity) {
	cfs := &rq.CFS
	cfs.clearBuddies(se)
	if se.OnRQ {
		cfs.dequeue(se)
	}
	se.ExecStart = rq.Clock
	cfs.Curr = se
	se.PrevSumExecRuntime = se.SumExecRuntime
}

// putPrevEntity is put_prev_entity: a still-runnable entity goes back into
// the tree at its new vruntime.
func (s *Scheduler) putPrevEntity(rq *RQ, prev *SchedEntity) {
	cfs := &rq.CFS
	if prev.OnRQ {
		s.updateCurr(rq)
		cfs.enqueue(prev)
	}
	cfs.Curr = nil
}

// checkPreemptTick is check_preempt_tick: preempt the running entity when
// it has used its slice, or when it is more than a slice ahead of the
// leftmost (after at least min_granularity, to bound switching).
func (s *Scheduler) checkPreemptTick(rq *RQ, curr *SchedEntity) {
	cfs := &rq.CFS
	idealRuntime := s.schedSlice(cfs, curr)
	deltaExec := curr.SumExecRuntime - curr.PrevSumExecRuntime
	if deltaExec > idealRuntime {
		s.reschedCurr(rq)
		cfs.clearBuddies(curr)
		return
	}
	if deltaExec < s.MinGranularity {
		return
	}
	se := cfs.First()
	delta := int64(curr.Vruntime - se.Vruntime)
	if delta < 0 {
		return
	}
	if delta > idealRuntime {
		s.reschedCurr(rq)
	}
}

// taskTickFair is task_tick_fair/entity_tick.
func (s *Scheduler) taskTickFair(rq *RQ, curr *Task) {
	s.updateCurr(rq)
	if rq.CFS.NrRunning > 1 {
		s.checkPreemptTick(rq, &curr.SE)
	}
}

// enqueueTaskFair / dequeueTaskFair are enqueue_task_fair/dequeue_task_fair.
func (s *Scheduler) enqueueTaskFair(rq *RQ, p *Task, flags int) {
	s.enqueueEntity(rq, &p.SE, flags)
	rq.addNrRunning(1)
}

func (s *Scheduler) dequeueTaskFair(rq *RQ, p *Task, flags int) {
	s.dequeueEntity(rq, &p.SE, flags)
	rq.subNrRunning(1)
}

// checkPreemptWakeup is check_preempt_wakeup: should the woken fair task p
// preempt the fair task running on rq?
func (s *Scheduler) checkPreemptWakeup(rq *RQ, p *Task) {
	curr := rq.Curr
	se, pse := &curr.SE, &p.SE
	if se == pse || rq.needResched.Load() {
		return
	}
	// An idle-policy task is preempted by any non-idle one.
	if curr.Policy == SchedIdle && p.Policy != SchedIdle {
		s.preemptWakeup(rq, se)
		return
	}
	// Batch and idle tasks do not preempt on wakeup; the tick does it.
	if p.Policy != SchedNormal {
		return
	}
	s.updateCurr(rq)
	if s.wakeupPreemptEntity(se, pse) == 1 {
		s.preemptWakeup(rq, se)
	}
}

func (s *Scheduler) preemptWakeup(rq *RQ, se *SchedEntity) {
	s.reschedCurr(rq)
	// LAST_BUDDY: try to give the CPU back to the preempted task soon.
	if se.OnRQ && rq.Curr != rq.Idle {
		rq.CFS.last = se
	}
}

// yieldTaskFair is yield_task_fair: charge the time so far and mark the
// task as the skip buddy, so pick_next_entity prefers someone else.
func (s *Scheduler) yieldTaskFair(rq *RQ) {
	curr := rq.Curr
	if rq.NrRunning == 1 {
		return
	}
	rq.CFS.clearBuddies(&curr.SE)
	if curr.Policy != SchedBatch {
		s.updateCurr(rq)
	}
	rq.CFS.skip = &curr.SE
}

// pickNextTaskFair is the simple path of pick_next_task_fair (prev already put).
func (s *Scheduler) pickNextTaskFair(rq *RQ) *Task {
	if rq.CFS.NrRunning == 0 {
		return nil
	}
	se := s.pickNextEntity(&rq.CFS, nil)
	s.setNextEntity(rq, se)
	return se.task
}

// taskForkFair is task_fork_fair: the child starts from the parent's
// vruntime, placed a slice later, and is kept relative until
// wake_up_new_task enqueues it (possibly on another CPU).
func (s *Scheduler) taskForkFair(rq *RQ, p *Task) {
	cfs := &rq.CFS
	se := &p.SE
	if curr := cfs.Curr; curr != nil {
		s.updateCurr(rq)
		se.Vruntime = curr.Vruntime
	} else {
		se.Vruntime = cfs.MinVruntime
	}
	s.placeEntity(cfs, se, true)
	if s.ChildRunsFirst && cfs.Curr != nil && entityBefore(cfs.Curr, se) {
		se.Vruntime, cfs.Curr.Vruntime = cfs.Curr.Vruntime, se.Vruntime
		s.reschedCurr(rq)
	}
	se.Vruntime -= cfs.MinVruntime
}

// reweightEntity is reweight_entity (set_user_nice on a queued task).
func (s *Scheduler) reweightTask(rq *RQ, p *Task) {
	se := &p.SE
	if se.OnRQ {
		if rq.CFS.Curr == se {
			s.updateCurr(rq)
		}
		rq.CFS.Load.sub(se.Load.Weight)
	}
	p.setLoadWeight()
	if se.OnRQ {
		rq.CFS.Load.add(se.Load.Weight)
	}
}
