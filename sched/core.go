package sched

import "tamix/errno"

// Class dispatch (p->sched_class->...), as in kernel/sched/core.c.

func (s *Scheduler) enqueueTask(rq *RQ, p *Task, flags int) {
	switch p.class {
	case classFair:
		s.enqueueTaskFair(rq, p, flags)
	case classRT:
		s.enqueueTaskRT(rq, p, flags)
	}
}

func (s *Scheduler) dequeueTask(rq *RQ, p *Task, flags int) {
	switch p.class {
	case classFair:
		s.dequeueTaskFair(rq, p, flags)
	case classRT:
		s.dequeueTaskRT(rq, p)
	}
}

// activateTask / deactivateTask maintain p.OnRQ around enqueue/dequeue.
func (s *Scheduler) activateTask(rq *RQ, p *Task, flags int) {
	s.enqueueTask(rq, p, flags)
	p.OnRQ = true
}

func (s *Scheduler) deactivateTask(rq *RQ, p *Task, flags int) {
	p.OnRQ = false
	s.dequeueTask(rq, p, flags)
}

// putPrevTask is put_prev_task.
func (s *Scheduler) putPrevTask(rq *RQ, prev *Task) {
	switch prev.class {
	case classFair:
		s.putPrevEntity(rq, &prev.SE)
	case classRT:
		s.updateCurrRT(rq)
	case classIdle:
		// Account idle time so `sched` can show it.
		if d := rq.Clock - prev.SE.ExecStart; d > 0 {
			prev.SE.SumExecRuntime += d
		}
		prev.SE.ExecStart = rq.Clock
	}
}

// setNextTask is set_next_task: p, already current, continues after a change.
func (s *Scheduler) setNextTask(rq *RQ, p *Task) {
	switch p.class {
	case classFair:
		s.setNextEntity(rq, &p.SE)
	default:
		p.SE.ExecStart = rq.Clock
	}
}

// checkPreemptCurr is check_preempt_curr: a task of a higher class always
// preempts; within a class the class decides.
func (s *Scheduler) checkPreemptCurr(rq *RQ, p *Task) {
	curr := rq.Curr
	switch {
	case p.class == curr.class && p.class == classFair:
		s.checkPreemptWakeup(rq, p)
	case p.class == curr.class && p.class == classRT:
		s.checkPreemptCurrRT(rq, p)
	case p.class > curr.class:
		s.reschedCurr(rq)
	}
}

// InitIdle is init_idle: idle becomes cpu's idle task and its current task.
// Linux's init_task (PID 0) is the idle task of CPU 0.
func (s *Scheduler) InitIdle(cpu int, idle *Task) {
	rq := s.RQs[cpu]
	rq.lock.Lock()
	defer rq.lock.Unlock()
	s.updateRQClock(rq)
	idle.Policy = SchedNormal
	idle.StaticPrio = DefaultPrio
	idle.NormalPrio = DefaultPrio
	idle.Prio = DefaultPrio
	idle.RTPriority = 0
	idle.class = classIdle
	idle.SE = SchedEntity{task: idle, ExecStart: rq.Clock}
	idle.setLoadWeight()
	idle.CPUsMask = MaskOf(cpu)
	idle.CPU = cpu
	idle.cpu.Store(int32(cpu))
	idle.OnRQ = true // like Linux: the idle task is always "queued"
	idle.OnCPU = true
	if rq.Curr != nil && rq.Curr != idle {
		rq.Curr.OnCPU = false
	}
	rq.Idle = idle
	rq.Curr = idle
	rq.publish()
}

// SchedFork is sched_fork (with sched_cgroup_fork/task_fork_fair): p, a
// child of parent (nil for a first task), inherits its policy and nice,
// gets fresh accounting and a vruntime placed after the parent's
// (START_DEBIT). p is not runnable until WakeUpNewTask.
func (s *Scheduler) SchedFork(p *Task, parent *Task) {
	// __sched_fork
	p.OnRQ, p.OnCPU = false, false
	p.SE = SchedEntity{task: p}
	p.RT = RTEntity{TimeSlice: s.rrTimeslice()}
	p.Nvcsw, p.Nivcsw, p.NrSwitches = 0, 0, 0
	p.migrating.Store(false)

	cpu := 0
	var rq *RQ
	if parent != nil {
		// The parent's fields are read under its runqueue lock, where
		// sched_setscheduler and sched_setaffinity write them.
		rq = s.taskRQLock(parent)
		cpu = rq.CPU
		p.Policy = parent.Policy
		p.StaticPrio = parent.StaticPrio
		p.RTPriority = parent.RTPriority
		p.NormalPrio = parent.NormalPrio
		p.ResetOnFork = parent.ResetOnFork
		p.CPUsMask = parent.CPUsMask
		if parent.class == classIdle {
			// Children of the idle task (init, kthreads) may run anywhere.
			p.CPUsMask = s.Online
		}
	} else {
		p.Policy = SchedNormal
		p.StaticPrio = DefaultPrio
		p.RTPriority = 0
		p.NormalPrio = DefaultPrio
		p.CPUsMask = s.Online
		rq = s.RQs[cpu]
		rq.lock.Lock()
	}
	defer rq.lock.Unlock()
	// Priority inheritance is not inherited.
	p.Prio = p.NormalPrio
	if p.ResetOnFork {
		if rtPolicy(p.Policy) {
			p.Policy = SchedNormal
			p.StaticPrio = DefaultPrio
			p.RTPriority = 0
		} else if PrioToNice(p.StaticPrio) < 0 {
			p.StaticPrio = DefaultPrio
		}
		p.NormalPrio = normalPrio(p.Policy, p.RTPriority, p.StaticPrio)
		p.Prio = p.NormalPrio
		p.ResetOnFork = false
	}
	p.setLoadWeight()
	p.class = classOf(p.Prio)
	p.CPU = cpu
	p.cpu.Store(int32(cpu))
	p.WakeCPU = cpu

	if p.class == classFair {
		s.updateRQClock(rq)
		s.taskForkFair(rq, p)
	}
}

// WakeUpNewTask is wake_up_new_task: put the forked task on the runqueue of
// the least busy allowed CPU and see whether it preempts. It returns the
// CPU that must reschedule (send it an IPI if it is not this one), or -1.
func (s *Scheduler) WakeUpNewTask(p *Task) int {
	p.pi.Lock()
	defer p.pi.Unlock()
	// p is not queued anywhere: its (relative) vruntime follows it.
	cpu := s.selectTaskRQ(p, p.CPU, wfFork)
	p.setTaskCPU(cpu)
	p.SE.NrMigrations = 0
	p.WakeCPU = cpu
	rq := s.RQs[cpu]
	rq.lock.Lock()
	defer rq.lock.Unlock()
	s.updateRQClock(rq)
	s.activateTask(rq, p, 0)
	s.checkPreemptCurr(rq, p)
	if rq.needResched.Load() {
		return cpu
	}
	return -1
}

// TryToWakeUp is try_to_wake_up for a task that the caller put to sleep:
// it returns false if p was already runnable. The CPU that must reschedule
// is signalled through SendReschedIPI; Wake also returns it.
func (s *Scheduler) TryToWakeUp(p *Task) bool {
	ok, _ := s.Wake(p)
	return ok
}

// Wake is TryToWakeUp returning also the CPU that needs a reschedule (-1
// if none): the wakee's CPU when it preempts the task running there.
func (s *Scheduler) Wake(p *Task) (woken bool, reschedCPU int) {
	p.pi.Lock()
	defer p.pi.Unlock()
	rq := s.taskRQLock(p)
	if p.OnRQ || p.class == classIdle {
		rq.lock.Unlock()
		return false, -1 // ttwu_runnable: nothing to do
	}
	flags := enqueueWakeup
	src := rq.CPU
	dst := src
	// A task that blocked but whose CPU has not yet switched away from it
	// (p->on_cpu) must be queued where it is, or two CPUs could run it.
	if !p.OnCPU {
		dst = s.selectTaskRQ(p, src, wfTTWU)
	}
	if dst != src {
		// migrate_task_rq_fair: keep only the lag against the old cfs_rq.
		if p.class == classFair {
			p.SE.Vruntime -= rq.CFS.MinVruntime
		}
		p.setTaskCPU(dst)
		flags |= enqueueMigrated
		rq.lock.Unlock()
		rq = s.RQs[dst]
		rq.lock.Lock()
	}
	p.WakeCPU = dst
	s.updateRQClock(rq)
	s.activateTask(rq, p, flags)
	s.checkPreemptCurr(rq, p)
	reschedCPU = -1
	if rq.needResched.Load() {
		reschedCPU = dst
	}
	rq.lock.Unlock()
	return true, reschedCPU
}

// selectTaskRQ is select_task_rq: the class proposes a CPU, and a CPU the
// task may not use is replaced by select_fallback_rq.
func (s *Scheduler) selectTaskRQ(p *Task, prev int, wf int) int {
	var cpu int
	if p.class == classRT {
		cpu = s.selectTaskRQRT(p, prev)
	} else if wf&wfFork != 0 {
		cpu = s.findIdlestCPU(p, prev)
	} else {
		cpu = s.selectIdleSibling(p, prev)
	}
	if !s.cpuAllowed(p, cpu) {
		cpu = s.selectFallbackRQ(p)
	}
	return cpu
}

func (s *Scheduler) cpuAllowed(p *Task, cpu int) bool {
	return cpu >= 0 && cpu < len(s.RQs) && p.CPUsMask.Test(cpu) && s.Online.Test(cpu)
}

// selectIdleSibling is the wakeup path of select_task_rq_fair: stay on the
// previous CPU (its caches are warm) if it is idle, else take an idle CPU
// near it, else stay on the previous CPU and leave it to the balancer.
func (s *Scheduler) selectIdleSibling(p *Task, prev int) int {
	n := len(s.RQs)
	if s.cpuAllowed(p, prev) && s.idleCPU(prev) {
		return prev
	}
	for i := 1; i < n; i++ {
		c := (prev + i) % n
		if s.cpuAllowed(p, c) && s.idleCPU(c) {
			return c
		}
	}
	if s.cpuAllowed(p, prev) {
		return prev
	}
	return s.selectFallbackRQ(p)
}

// findIdlestCPU is find_idlest_cpu for fork balancing: the allowed CPU with
// the fewest runnable tasks, then the least load, preferring prev.
func (s *Scheduler) findIdlestCPU(p *Task, prev int) int {
	best := -1
	var bestNr int32
	var bestLoad uint64
	consider := func(c int) {
		if !s.cpuAllowed(p, c) {
			return
		}
		nr, load := s.RQs[c].nrA.Load(), s.RQs[c].loadA.Load()
		if best < 0 || nr < bestNr || (nr == bestNr && load < bestLoad) {
			best, bestNr, bestLoad = c, nr, load
		}
	}
	consider(prev)
	for c := range s.RQs {
		consider(c)
	}
	if best < 0 {
		return s.selectFallbackRQ(p)
	}
	return best
}

// selectTaskRQRT is select_task_rq_rt/find_lowest_rq: if something at
// least as important occupies prev, go to the allowed CPU running the
// least important work (idle first), so RT tasks spread out at once.
func (s *Scheduler) selectTaskRQRT(p *Task, prev int) int {
	if s.cpuAllowed(p, prev) && int(s.RQs[prev].cpuprioA.Load()) > p.Prio {
		return prev
	}
	best, bestPrio := -1, int32(-1)
	for i := range s.RQs {
		c := (prev + i) % len(s.RQs)
		if !s.cpuAllowed(p, c) {
			continue
		}
		if pr := s.RQs[c].cpuprioA.Load(); pr > bestPrio {
			best, bestPrio = c, pr
		}
	}
	if best < 0 || int(bestPrio) <= p.Prio {
		if s.cpuAllowed(p, prev) {
			return prev
		}
	}
	if best < 0 {
		return s.selectFallbackRQ(p)
	}
	return best
}

// selectFallbackRQ is select_fallback_rq: the least loaded allowed online
// CPU. If the mask holds no online CPU (cannot happen through SetAffinity),
// Linux widens it to all CPUs ("cpuset_cpus_allowed_fallback").
func (s *Scheduler) selectFallbackRQ(p *Task) int {
	allowed := p.CPUsMask.And(s.Online)
	if allowed.Empty() {
		p.CPUsMask = s.Online
		allowed = s.Online
	}
	best := -1
	var bestNr int32
	for c := allowed.First(); c < len(s.RQs); c = allowed.Next(c) {
		if nr := s.RQs[c].nrA.Load(); best < 0 || nr < bestNr {
			best, bestNr = c, nr
		}
	}
	return best
}

// Dequeue is deactivate_task for a task that blocks (sleep=true) or exits
// or is stopped (sleep=false). If p is running, its CPU is asked to
// reschedule; the caller then calls Schedule on it.
func (s *Scheduler) Dequeue(p *Task, sleep bool) {
	rq := s.taskRQLock(p)
	defer rq.lock.Unlock()
	if !p.OnRQ || p.class == classIdle {
		return
	}
	s.updateRQClock(rq)
	flags := dequeueSleep
	if !sleep {
		flags = dequeueSave
	}
	s.deactivateTask(rq, p, flags)
	if rq.Curr == p {
		s.reschedCurr(rq)
	}
}

// Tick is scheduler_tick, called HZ times a second on every CPU with the
// CPU's current task interrupted: account the running task, preempt it if
// its class says so, refresh RT bandwidth, and balance load periodically
// (trigger_load_balance). It reports whether the CPU must call Schedule.
func (s *Scheduler) Tick(cpu int) (resched bool) {
	rq := s.RQs[cpu]
	rq.lock.Lock()
	s.updateRQClock(rq)
	s.rtPeriodTimer(rq)
	curr := rq.Curr
	switch curr.class {
	case classFair:
		s.taskTickFair(rq, curr)
	case classRT:
		s.taskTickRT(rq, curr)
	}
	balance := rq.Clock >= rq.nextBalance
	idle := curr == rq.Idle
	if balance {
		rq.nextBalance = rq.Clock + s.balanceInterval(idle)
	}
	rq.lock.Unlock()
	if balance && len(s.RQs) > 1 {
		s.LoadBalance(cpu, idle)
	}
	s.CalcGlobalLoad()
	return rq.needResched.Load()
}

// balanceInterval is the sched_domain balance interval: sd_weight ms when
// idle, busy_factor times longer when busy, at most HZ/10.
func (s *Scheduler) balanceInterval(idle bool) int64 {
	ms := int64(len(s.RQs))
	if !idle {
		ms *= busyFactor
	}
	return min(ms, maxBalanceIntervalMS) * NSecPerMSec
}

// Schedule is __schedule: put the previous task back, pick the next one
// over the classes rt > fair > idle (balancing from other CPUs first when
// this one would go idle), and account the switch. prevVoluntary says the
// previous task gave up the CPU itself (it blocked: Dequeue was called);
// a still-runnable task (preempted, yielding) counts as involuntary, as in
// Linux. It returns the task to run, the idle task when nothing else.
func (s *Scheduler) Schedule(cpu int, prevVoluntary bool) *Task {
	rq := s.RQs[cpu]
	rq.lock.Lock()
	prev := rq.Curr
	s.updateRQClock(rq)
	s.rtPeriodTimer(rq)
	rq.needResched.Store(false)

	s.putPrevTask(rq, prev)
	// The previous task may no longer run here (SetAffinity while it ran):
	// take it off now and queue it on an allowed CPU after the switch.
	var move *Task
	if prev.OnRQ && prev.class != classIdle && !prev.CPUsMask.Test(cpu) {
		s.deactivateTask(rq, prev, dequeueSave|dequeueMove)
		prev.migrating.Store(true)
		move = prev
	}
	if !rq.rtRunnable() && rq.CFS.NrRunning == 0 {
		// newidle_balance: the lock is dropped while pulling.
		rq.lock.Unlock()
		s.LoadBalance(cpu, true)
		rq.lock.Lock()
		s.updateRQClock(rq)
	}
	next := s.pickNextTaskRT(rq)
	if next == nil {
		next = s.pickNextTaskFair(rq)
	}
	if next == nil {
		next = rq.Idle
		next.SE.ExecStart = rq.Clock
	}
	rq.needResched.Store(false)
	if next != prev {
		rq.NrSwitches++
		if prevVoluntary && !prev.OnRQ {
			prev.Nvcsw++
		} else {
			prev.Nivcsw++
		}
		next.NrSwitches++
		prev.OnCPU = false
		next.OnCPU = true
		rq.Curr = next
	}
	rq.publish()
	rq.lock.Unlock()
	if move != nil {
		s.attachMigrating(move)
	}
	return next
}

// attachMigrating ends a move_queued_task: p was taken off its old
// runqueue with migrating set; queue it on an allowed CPU.
func (s *Scheduler) attachMigrating(p *Task) {
	dst := s.selectFallbackRQ(p)
	rq := s.RQs[dst]
	rq.lock.Lock()
	s.updateRQClock(rq)
	p.setTaskCPU(dst)
	s.activateTask(rq, p, enqueueRestore|enqueueMove)
	p.migrating.Store(false)
	s.checkPreemptCurr(rq, p)
	rq.lock.Unlock()
}

// Yield is sched_yield's class part (do_sched_yield): an RT task goes to
// the tail of its priority list; a fair task becomes the skip buddy. p
// must be running; its CPU is marked for rescheduling and the caller then
// calls Schedule(cpu, false).
func (s *Scheduler) Yield(p *Task) {
	rq := s.taskRQLock(p)
	defer rq.lock.Unlock()
	if rq.Curr != p || !p.OnRQ {
		return
	}
	s.updateRQClock(rq)
	switch p.class {
	case classRT:
		s.updateCurrRT(rq)
		s.requeueTaskRT(rq, p, false)
	case classFair:
		s.yieldTaskFair(rq)
	}
	s.reschedCurr(rq)
}

// SetUserNice is set_user_nice. Out-of-range values are ignored, as in
// Linux; setpriority(2) and nice(2) clamp before calling it.
func (s *Scheduler) SetUserNice(p *Task, nice int) {
	if nice < MinNice || nice > MaxNice || p.class == classIdle {
		return
	}
	p.pi.Lock()
	defer p.pi.Unlock()
	rq := s.taskRQLock(p)
	defer rq.lock.Unlock()
	if p.Nice() == nice {
		return
	}
	s.updateRQClock(rq)
	// An RT task's nice only matters once it goes back to SCHED_NORMAL.
	if rtPolicy(p.Policy) {
		p.StaticPrio = NiceToPrio(nice)
		return
	}
	queued, running := p.OnRQ, rq.Curr == p
	if queued {
		s.dequeueTask(rq, p, dequeueSave)
	}
	if running {
		s.putPrevTask(rq, p)
	}
	p.StaticPrio = NiceToPrio(nice)
	s.reweightTask(rq, p)
	oldPrio := p.Prio
	p.NormalPrio = normalPrio(p.Policy, p.RTPriority, p.StaticPrio)
	p.Prio = p.NormalPrio
	if queued {
		s.enqueueTask(rq, p, enqueueRestore)
	}
	if running {
		s.setNextTask(rq, p)
	}
	s.prioChanged(rq, p, oldPrio)
}

// prioChanged is the classes' prio_changed.
func (s *Scheduler) prioChanged(rq *RQ, p *Task, oldPrio int) {
	if !p.OnRQ || oldPrio == p.Prio {
		return
	}
	running := rq.Curr == p
	switch p.class {
	case classFair:
		if rq.CFS.NrRunning == 1 {
			return
		}
		if running {
			if p.Prio > oldPrio {
				s.reschedCurr(rq)
			}
		} else {
			s.checkPreemptCurr(rq, p)
		}
	case classRT:
		if running {
			if oldPrio < p.Prio {
				s.reschedCurr(rq) // a queued RT task may now be more important
			}
		} else if rq.Curr.class < classRT || rq.Curr.Prio > p.Prio {
			s.reschedCurr(rq)
		}
	}
}

// CheckSchedParams is the validity half of __sched_setscheduler: a known
// policy, and a priority of 1-99 for the real-time ones and 0 for the rest
// (SCHED_DEADLINE needs sched_setattr's parameters: EINVAL here). It comes
// before the permission checks, as in Linux.
func CheckSchedParams(policy Policy, prio int) error {
	if !validPolicy(policy) || policy == SchedDeadline {
		return errno.EINVAL
	}
	if prio < 0 || prio > MaxUserRTPrio-1 {
		return errno.EINVAL
	}
	if rtPolicy(policy) != (prio != 0) {
		return errno.EINVAL
	}
	return nil
}

// RTPolicy reports whether policy is SCHED_FIFO or SCHED_RR.
func RTPolicy(policy Policy) bool { return rtPolicy(policy) }

// SetScheduler is sched_setscheduler(2) (__sched_setscheduler) once the
// caller's permission is checked (proc does that: it knows credentials and
// rlimits): CheckSchedParams' EINVAL cases, and EINVAL for the idle task.
func (s *Scheduler) SetScheduler(p *Task, policy Policy, prio int, resetOnFork bool) error {
	if err := CheckSchedParams(policy, prio); err != nil {
		return err
	}
	if p.class == classIdle {
		return errno.EINVAL
	}
	p.pi.Lock()
	defer p.pi.Unlock()
	rq := s.taskRQLock(p)
	defer rq.lock.Unlock()
	// Nothing changes: only the reset-on-fork flag is updated.
	if policy == p.Policy && (!rtPolicy(policy) || prio == p.RTPriority) {
		p.ResetOnFork = resetOnFork
		return nil
	}
	s.updateRQClock(rq)
	queued, running := p.OnRQ, rq.Curr == p
	newPrio := normalPrio(policy, prio, p.StaticPrio)
	if p.class == classRT && newPrio == p.Prio {
		// The effective priority stays: the RT task keeps its place in
		// its list (DEQUEUE_SAVE without DEQUEUE_MOVE), e.g. FIFO -> RR.
		p.Policy = policy
		p.ResetOnFork = resetOnFork
		return nil
	}
	if queued {
		s.dequeueTask(rq, p, dequeueSave|dequeueMove)
	}
	if running {
		s.putPrevTask(rq, p)
	}
	oldPrio, oldClass := p.Prio, p.class
	p.Policy = policy
	p.RTPriority = prio
	p.NormalPrio = newPrio
	p.setLoadWeight()
	p.Prio = p.NormalPrio
	p.ResetOnFork = resetOnFork
	p.class = classOf(p.Prio)
	if !queued && oldClass != p.class {
		// detach_task_cfs_rq/attach_task_cfs_rq for a sleeping task: a
		// fair task's vruntime is absolute only while it is in the fair class.
		if oldClass == classFair {
			s.placeEntity(&rq.CFS, &p.SE, false)
			p.SE.Vruntime -= rq.CFS.MinVruntime
		} else if p.class == classFair {
			p.SE.Vruntime += rq.CFS.MinVruntime
		}
	}
	if oldClass == classRT && p.class == classRT {
		p.RT.TimeSlice = max(p.RT.TimeSlice, 1)
	}
	if queued {
		flags := enqueueRestore | enqueueMove
		// A lowered RT task keeps its place at the head (it was running).
		if oldPrio < p.Prio {
			flags |= enqueueHead
		}
		s.enqueueTask(rq, p, flags)
	}
	if running {
		s.setNextTask(rq, p)
	}
	if oldClass != p.class {
		// switched_to_*: check whether p now preempts or must yield.
		if p.OnRQ {
			if running {
				s.reschedCurr(rq)
			} else {
				s.checkPreemptCurr(rq, p)
			}
		}
	} else {
		s.prioChanged(rq, p, oldPrio)
	}
	return nil
}

// SetAffinity is sched_setaffinity(2) (__set_cpus_allowed_ptr): EINVAL when
// the mask holds no online CPU. A queued task on a CPU it may no longer use
// is moved at once; a running one is asked to reschedule and moves when
// it is switched out.
func (s *Scheduler) SetAffinity(p *Task, mask CPUMask) error {
	newMask := mask.And(s.Online)
	if newMask.Empty() || p.class == classIdle {
		return errno.EINVAL
	}
	p.pi.Lock()
	defer p.pi.Unlock()
	rq := s.taskRQLock(p)
	p.CPUsMask = newMask
	if newMask.Test(rq.CPU) {
		rq.lock.Unlock()
		return nil
	}
	switch {
	case rq.Curr == p:
		s.reschedCurr(rq)
		rq.lock.Unlock()
	case p.OnRQ:
		// move_queued_task
		s.updateRQClock(rq)
		s.deactivateTask(rq, p, dequeueSave|dequeueMove)
		p.migrating.Store(true)
		rq.lock.Unlock()
		s.attachMigrating(p)
	default:
		rq.lock.Unlock() // sleeping: the wakeup picks an allowed CPU
	}
	return nil
}

// GetAffinity is sched_getaffinity(2): cpus_mask ∩ online.
func (s *Scheduler) GetAffinity(p *Task) CPUMask {
	rq := s.taskRQLock(p)
	defer rq.lock.Unlock()
	return p.CPUsMask.And(s.Online)
}
