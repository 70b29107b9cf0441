package sched

// Load balancing: a simplified load_balance (kernel/sched/fair.c) over a
// single flat domain of all CPUs, plus pull_rt_task for real-time tasks.
//
// Linux compares PELT-averaged loads of sched groups and computes an
// imbalance by group type. tamix has one level and instantaneous loads:
//   - when the busiest runqueue has at least two more runnable tasks than
//     this one, half the difference is moved (migrate_task, as Linux does
//     while a group has spare capacity);
//   - otherwise fair tasks whose weight is at most half the load difference
//     are moved (migrate_load).
// The running task is never moved (no active balancing), nor a task whose
// cpus_mask excludes this CPU (can_migrate_task).

// LoadBalance pulls tasks from the busiest runqueue to cpu: periodically
// from Tick (rebalance_domains) and when cpu is about to go idle
// (newidle_balance, from Schedule). idle says cpu has nothing to run. It
// returns the number of tasks moved. It takes the runqueue locks itself
// (two at a time, lower CPU first) and must be called without any.
func (s *Scheduler) LoadBalance(cpu int, idle bool) int {
	if len(s.RQs) < 2 {
		return 0
	}
	this := s.RQs[cpu]
	if moved := s.pullRTTask(this); moved > 0 {
		return moved
	}
	busiest := s.findBusiestQueue(cpu)
	if busiest == nil {
		return 0
	}
	doubleRQLock(this, busiest)
	defer doubleRQUnlock(this, busiest)
	s.updateRQClock(this)
	s.updateRQClock(busiest)

	moved := 0
	if diff := busiest.NrRunning - this.NrRunning; diff >= 2 {
		want := diff / 2
		s.detachAttach(busiest, this, func(p *Task) bool {
			if moved >= want {
				return false
			}
			moved++
			return true
		})
		return moved
	}
	if busiest.CFS.Load.Weight <= this.CFS.Load.Weight || busiest.CFS.NrRunning < 2 {
		return 0
	}
	imbalance := (busiest.CFS.Load.Weight - this.CFS.Load.Weight) / 2
	s.detachAttach(busiest, this, func(p *Task) bool {
		w := p.SE.Load.Weight
		if w > imbalance || busiest.CFS.NrRunning < 2 {
			return false
		}
		imbalance -= w
		moved++
		return true
	})
	return moved
}

// findBusiestQueue is find_busiest_queue: the other runqueue with the most
// runnable tasks (then the most load) that has a task to spare. It reads
// the lockless mirrors; the caller rechecks under the locks.
func (s *Scheduler) findBusiestQueue(cpu int) *RQ {
	var busiest *RQ
	var bNr int32
	var bLoad uint64
	for _, rq := range s.RQs {
		if rq.CPU == cpu {
			continue
		}
		nr, load := rq.nrA.Load(), rq.loadA.Load()
		if nr < 2 {
			continue
		}
		if busiest == nil || nr > bNr || (nr == bNr && load > bLoad) {
			busiest, bNr, bLoad = rq, nr, load
		}
	}
	return busiest
}

// canMigrateTask is can_migrate_task.
func (s *Scheduler) canMigrateTask(src, dst *RQ, p *Task) bool {
	return src.Curr != p && !p.OnCPU && p.CPUsMask.Test(dst.CPU) && s.Online.Test(dst.CPU)
}

// detachAttach is detach_tasks + attach_tasks with both locks held: walk
// the fair tasks of src from the right of the tree (those that would wait
// longest) and move those that may go and that take decides to take.
func (s *Scheduler) detachAttach(src, dst *RQ, take func(p *Task) bool) {
	var next *SchedEntity
	for se := src.CFS.tasksTimeline.last(); se != nil; se = next {
		next = rbPrev(se)
		p := se.task
		if !s.canMigrateTask(src, dst, p) {
			continue
		}
		if !take(p) {
			break
		}
		s.moveTaskLocked(src, dst, p)
	}
}

// moveTaskLocked moves a queued, not running task between two locked
// runqueues: dequeue (vruntime made relative), set_task_cpu, enqueue
// (vruntime made absolute again on dst), then see whether it preempts.
func (s *Scheduler) moveTaskLocked(src, dst *RQ, p *Task) {
	s.deactivateTask(src, p, dequeueSave|dequeueMove)
	p.setTaskCPU(dst.CPU)
	s.activateTask(dst, p, enqueueRestore|enqueueMove)
	s.checkPreemptCurr(dst, p)
}

// pullRTTask is pull_rt_task: take a queued but waiting RT task from an
// overloaded runqueue (two or more RT tasks) if it is more important than
// anything this CPU has.
func (s *Scheduler) pullRTTask(this *RQ) int {
	thisPrio := this.cpuprioA.Load()
	for _, src := range s.RQs {
		if src == this || src.cpuprioA.Load() >= int32(MaxRTPrio) || src.nrA.Load() < 2 {
			continue
		}
		doubleRQLock(this, src)
		moved := 0
		if src.RT.NrRunning >= 2 {
			// Highest priority first, skipping the running task.
			for prio := src.RT.active.first(); prio < MaxRTPrio && moved == 0; prio++ {
				if int32(prio) >= thisPrio {
					break
				}
				for p := src.RT.active.queue[prio].head; p != nil; p = p.RT.next {
					if s.canMigrateTask(src, this, p) {
						s.updateRQClock(this)
						s.updateRQClock(src)
						s.moveTaskLocked(src, this, p)
						moved = 1
						break
					}
				}
			}
		}
		doubleRQUnlock(this, src)
		if moved > 0 {
			return moved
		}
	}
	return 0
}
