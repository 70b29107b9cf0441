package sched

// TaskInfo is one task as the shell's `sched` and `ps` commands show it.
type TaskInfo struct {
	Owner          any // the proc task
	CPU            int
	Policy         Policy
	Prio           int
	Nice           int
	RTPriority     int
	Class          string
	Running        bool
	Vruntime       uint64 // raw se.vruntime
	Lag            int64  // vruntime - min_vruntime of its cfs_rq
	SumExecRuntime int64
	Nvcsw, Nivcsw  uint64
	CPUsMask       CPUMask
	// For /proc/PID/sched.
	ExecStart    int64  // se.exec_start
	NrMigrations uint64 // se.nr_migrations
	Weight       uint64 // se.load.weight (unscaled)
	NrSwitches   uint64 // times switched in (sched_info.pcount)
}

// CPUInfo is one runqueue (a /proc/sched_debug in small).
type CPUInfo struct {
	CPU         int
	NrRunning   int
	Load        uint64 // cfs_rq load weight
	MinVruntime uint64
	Clock       int64
	NrSwitches  uint64
	IdleTime    int64 // time spent in the idle task, ns
	RTNrRunning int
	RTTime      int64
	RTThrottled bool
	Curr        TaskInfo
	CurrIsIdle  bool
	Tasks       []TaskInfo // waiting fair tasks in tree order (smallest vruntime first)
	RTTasks     []TaskInfo // queued RT tasks, highest priority first, the running one included
	NeedResched bool
}

func taskInfo(rq *RQ, p *Task) TaskInfo {
	return TaskInfo{
		Owner:          p.Owner,
		CPU:            p.CPU,
		Policy:         p.Policy,
		Prio:           p.Prio,
		Nice:           p.Nice(),
		RTPriority:     p.RTPriority,
		Class:          p.class.String(),
		Running:        rq.Curr == p,
		Vruntime:       p.SE.Vruntime,
		Lag:            int64(p.SE.Vruntime - rq.CFS.MinVruntime),
		SumExecRuntime: p.SE.SumExecRuntime,
		Nvcsw:          p.Nvcsw,
		Nivcsw:         p.Nivcsw,
		CPUsMask:       p.CPUsMask,
		ExecStart:      p.SE.ExecStart,
		NrMigrations:   p.SE.NrMigrations,
		Weight:         p.SE.Load.Weight,
		NrSwitches:     p.NrSwitches,
	}
}

// Snapshot copies the state of every runqueue, one lock at a time.
func (s *Scheduler) Snapshot() []CPUInfo {
	out := make([]CPUInfo, 0, len(s.RQs))
	for _, rq := range s.RQs {
		rq.lock.Lock()
		ci := CPUInfo{
			CPU:         rq.CPU,
			NrRunning:   rq.NrRunning,
			Load:        rq.CFS.Load.Weight,
			MinVruntime: rq.CFS.MinVruntime,
			Clock:       rq.Clock,
			NrSwitches:  rq.NrSwitches,
			RTNrRunning: rq.RT.NrRunning,
			RTTime:      rq.RT.RTTime,
			RTThrottled: rq.RT.Throttled,
			NeedResched: rq.needResched.Load(),
		}
		if rq.Idle != nil {
			ci.IdleTime = rq.Idle.SE.SumExecRuntime
		}
		if rq.Curr != nil {
			ci.Curr = taskInfo(rq, rq.Curr)
			ci.CurrIsIdle = rq.Curr == rq.Idle
		}
		for se := rq.CFS.First(); se != nil; se = rbNext(se) {
			ci.Tasks = append(ci.Tasks, taskInfo(rq, se.task))
		}
		for prio := rq.RT.active.first(); prio < MaxRTPrio; prio++ {
			for p := rq.RT.active.queue[prio].head; p != nil; p = p.RT.next {
				ci.RTTasks = append(ci.RTTasks, taskInfo(rq, p))
			}
		}
		rq.lock.Unlock()
		out = append(out, ci)
	}
	return out
}

// TaskSnapshot copies one task's scheduling state (for ps and /proc/PID/sched).
func (s *Scheduler) TaskSnapshot(p *Task) TaskInfo {
	rq := s.taskRQLock(p)
	defer rq.lock.Unlock()
	return taskInfo(rq, p)
}
