package sched

import (
	"sync"
	"sync/atomic"
)

// schedClass identifies struct sched_class. Larger values are consulted
// first by pick_next_task (sched_class_above).
type schedClass int

const (
	classIdle schedClass = iota // idle_sched_class: the per-CPU idle task
	classFair                   // fair_sched_class: SCHED_NORMAL/BATCH/IDLE
	classRT                     // rt_sched_class: SCHED_FIFO/RR
)

func (c schedClass) String() string {
	return [...]string{"idle", "fair", "rt"}[c]
}

// SchedEntity is struct sched_entity: what CFS knows about a task.
type SchedEntity struct {
	Load LoadWeight // weight from the nice level (set_load_weight)
	node rbNode     // links in cfs_rq.tasks_timeline
	OnRQ bool       // se->on_rq: queued on a cfs_rq (in the tree or cfs_rq.curr)

	ExecStart          int64  // rq clock when the entity last started running / was accounted
	SumExecRuntime     int64  // total CPU time, ns
	PrevSumExecRuntime int64  // SumExecRuntime when it was last picked: its slice started there
	Vruntime           uint64 // virtual runtime: ns weighted by NICE_0_LOAD/weight, wraps like Linux's u64
	NrMigrations       uint64

	task *Task
}

// Task returns the task owning the entity (task_of).
func (se *SchedEntity) Task() *Task { return se.task }

// RTEntity is struct sched_rt_entity.
type RTEntity struct {
	TimeSlice int // SCHED_RR ticks left (sched_rr_timeslice when refilled)

	next, prev *Task // run_list within rt_prio_array.queue[prio]
	onList     bool
}

// Task is the scheduler's part of Linux's task_struct. proc.Task embeds it,
// so p.Prio reads like Linux's p->prio. A Task must not be copied once
// InitIdle or SchedFork has been called on it (the entity points back to it).
//
// Fields are owned by the runqueue lock of the task's CPU; read them from
// outside the scheduler only through Snapshot or on the task's own CPU.
type Task struct {
	OnRQ    bool // p->on_rq: queued on a runqueue (running or waiting to run)
	OnCPU   bool // p->on_cpu: the current task of its CPU
	CPU     int  // task_cpu(p)
	WakeCPU int  // p->wake_cpu: CPU chosen by the last wakeup

	Prio        int    // effective priority (0..139, lower is more important)
	StaticPrio  int    // 120 + nice
	NormalPrio  int    // prio without inheritance: 99-rt_priority for RT, else static_prio
	RTPriority  int    // sched_param.sched_priority: 1..99 for FIFO/RR, else 0
	Policy      Policy // SCHED_*
	ResetOnFork bool   // sched_reset_on_fork

	SE       SchedEntity
	RT       RTEntity
	CPUsMask CPUMask // cpus_mask: where the task may run

	Nvcsw      uint64 // voluntary context switches (the task blocked)
	Nivcsw     uint64 // involuntary context switches (preempted, yielded)
	NrSwitches uint64 // times the task was switched in (sched_info.pcount)

	Owner any // back pointer to the proc task

	class     schedClass
	pi        sync.Mutex   // p->pi_lock: serialises wakeup/affinity/policy changes
	cpu       atomic.Int32 // authoritative copy of CPU for lockless task_rq()
	migrating atomic.Bool  // TASK_ON_RQ_MIGRATING: between two runqueues
}

// Nice returns the task's nice value (task_nice).
func (p *Task) Nice() int { return PrioToNice(p.StaticPrio) }

// Class names the task's scheduling class: "rt", "fair" or "idle".
func (p *Task) Class() string { return p.class.String() }

// setTaskCPU is set_task_cpu/__set_task_cpu.
func (p *Task) setTaskCPU(cpu int) {
	if p.CPU != cpu {
		p.SE.NrMigrations++
	}
	p.CPU = cpu
	p.cpu.Store(int32(cpu))
}

// setLoadWeight is set_load_weight: SCHED_IDLE tasks get the minimal weight,
// everybody else the weight of their nice level.
func (p *Task) setLoadWeight() {
	if p.Policy == SchedIdle {
		p.SE.Load = LoadWeight{Weight: WeightIdlePrio, InvWeight: wmultIdlePrio}
		return
	}
	i := p.StaticPrio - MaxRTPrio
	p.SE.Load = LoadWeight{Weight: SchedPrioToWeight[i], InvWeight: SchedPrioToWmult[i]}
}

// classOf picks the class a (non-idle) task belongs to from its priority,
// as __setscheduler_prio does.
func classOf(prio int) schedClass {
	if rtPrio(prio) {
		return classRT
	}
	return classFair
}
