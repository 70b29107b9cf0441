package sched

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
)

// Nanoseconds per unit, for readable tunables.
const (
	NSecPerUSec = int64(1000)
	NSecPerMSec = int64(1000000)
	NSecPerSec  = int64(1000000000)
)

// Normalised (single-CPU) tunables of Linux 6.1; New scales the first three
// by 1 + ilog2(min(ncpus, 8)) (SCHED_TUNABLESCALING_LOG, update_sysctl).
const (
	normalizedSchedLatency        = 6 * NSecPerMSec   // sysctl_sched_latency
	normalizedMinGranularity      = 750 * NSecPerUSec // sysctl_sched_min_granularity
	normalizedWakeupGranularity   = 1 * NSecPerMSec   // sysctl_sched_wakeup_granularity
	sysctlSchedIdleMinGranularity = 750 * NSecPerUSec // not scaled in 6.1
	schedNrLatency                = 8                 // sched_latency / min_granularity
	DefaultHZ                     = 250
	DefaultRTPeriod               = 1000 * NSecPerMSec // sysctl_sched_rt_period (1 s)
	DefaultRTRuntime              = 950 * NSecPerMSec  // sysctl_sched_rt_runtime (0.95 s)
	RuntimeInf                    = int64(-1)          // RUNTIME_INF: RT throttling off
	rrTimesliceMS                 = 100                // RR_TIMESLICE in ms
	busyFactor                    = 16                 // sd->busy_factor
	maxBalanceIntervalMS          = 100                // max_load_balance_interval = HZ/10
)

// RQ is struct rq, one per CPU.
type RQ struct {
	lock sync.Mutex // rq->__lock; see the package comment for the order

	CPU        int
	NrRunning  int // runnable tasks of every class, the running one included, idle excluded
	CFS        CFSRQ
	RT         RTRQ
	Idle       *Task
	Curr       *Task
	Clock      int64 // rq->clock: ns, from Scheduler.Clock, never goes back
	NrSwitches uint64

	nextBalance int64 // rq->next_balance (ns)
	needResched atomic.Bool

	// Lockless mirrors read by other CPUs when they choose a CPU.
	nrA      atomic.Int32
	loadA    atomic.Uint64
	cpuprioA atomic.Int32 // cpupri: highest RT prio queued, MaxRTPrio if only fair, MaxRTPrio+1 if idle
	idleA    atomic.Bool  // idle_cpu(): running the idle task with nothing queued
}

// CFSRQ is struct cfs_rq.
type CFSRQ struct {
	Load        LoadWeight // sum of the weights of the queued entities
	NrRunning   int
	MinVruntime uint64 // monotonic floor of the queued vruntimes

	idleNrRunning int // idle_h_nr_running: queued SCHED_IDLE entities

	tasksTimeline rbRootCached
	Curr          *SchedEntity // the running entity, kept out of the tree

	next, last, skip *SchedEntity // buddies (pick_next_entity)
}

// RTRQ is struct rt_rq.
type RTRQ struct {
	active    rtPrioArray
	NrRunning int

	RTTime      int64 // RT execution time in the current period, ns
	Throttled   bool  // the period's runtime is used up: RT tasks wait
	timerActive bool  // sched_rt_period_timer armed
	periodEnd   int64 // when the timer fires next
}

// Scheduler holds the runqueues and the tunables.
type Scheduler struct {
	RQs    []*RQ
	Clock  func() int64 // ns, monotonic (sched_clock)
	HZ     int          // ticks per second; Tick must be called HZ times a second
	Online CPUMask      // cpu_online_mask

	load loadAvg // avenrun (loadavg.go)

	SchedLatency       int64 // sysctl_sched_latency, scaled
	MinGranularity     int64 // sysctl_sched_min_granularity, scaled
	WakeupGranularity  int64 // sysctl_sched_wakeup_granularity, scaled
	IdleMinGranularity int64 // sysctl_sched_idle_min_granularity
	ChildRunsFirst     bool  // sysctl_sched_child_runs_first (0 in Linux 6.1)
	RTPeriod           int64 // sysctl_sched_rt_period, ns
	RTRuntime          int64 // sysctl_sched_rt_runtime, ns; RuntimeInf turns throttling off

	// SendReschedIPI, when set, is called (with a runqueue lock held, as
	// Linux calls smp_send_reschedule) whenever need_resched is set on a
	// CPU, so the kernel can interrupt that CPU. It must not call back into
	// the scheduler.
	SendReschedIPI func(cpu int)
}

// tunableScale is the SCHED_TUNABLESCALING_LOG factor: 1 + ilog2(ncpus),
// ncpus capped at 8 (get_update_sysctl_factor).
func tunableScale(ncpus int) int64 {
	n := min(ncpus, 8)
	if n < 1 {
		n = 1
	}
	return int64(1 + bits.Len(uint(n)) - 1)
}

// New creates a scheduler for ncpus CPUs reading time from clock (ns).
// Install the idle tasks with InitIdle before scheduling.
func New(ncpus int, clock func() int64) *Scheduler {
	if ncpus < 1 || ncpus > NRCPUs {
		panic("sched: bad number of CPUs")
	}
	f := tunableScale(ncpus)
	s := &Scheduler{
		Clock:              clock,
		HZ:                 DefaultHZ,
		Online:             MaskFirstN(ncpus),
		SchedLatency:       normalizedSchedLatency * f,
		MinGranularity:     normalizedMinGranularity * f,
		WakeupGranularity:  normalizedWakeupGranularity * f,
		IdleMinGranularity: sysctlSchedIdleMinGranularity,
		RTPeriod:           DefaultRTPeriod,
		RTRuntime:          DefaultRTRuntime,
	}
	now := clock()
	for i := 0; i < ncpus; i++ {
		rq := &RQ{CPU: i, Clock: now}
		// init_cfs_rq starts min_vruntime just below the wrap point so that
		// wrap-around bugs show up early instead of after 208 days.
		rq.CFS.MinVruntime = ^uint64(0) - 1<<20 + 1
		rq.publish()
		s.RQs = append(s.RQs, rq)
	}
	return s
}

// NrCPUs is nr_cpu_ids.
func (s *Scheduler) NrCPUs() int { return len(s.RQs) }

// rrTimeslice is sched_rr_timeslice in ticks (RR_TIMESLICE = 100 ms).
func (s *Scheduler) rrTimeslice() int {
	return max(1, rrTimesliceMS*s.HZ/1000)
}

// RRInterval is sched_rr_get_interval(2) for p, ns: the RR timeslice, 0
// for FIFO, and the current CFS slice rounded to jiffies for fair tasks.
func (s *Scheduler) RRInterval(p *Task) int64 {
	rq := s.taskRQLock(p)
	defer rq.lock.Unlock()
	if p.Policy == SchedRR {
		return int64(s.rrTimeslice()) * NSecPerSec / int64(s.HZ)
	}
	if p.Policy == SchedFIFO {
		return 0
	}
	if p.class == classFair && rq.CFS.Load.Weight != 0 {
		// get_rr_interval_fair: the slice, in whole jiffies.
		jiffy := NSecPerSec / int64(s.HZ)
		return s.schedSlice(&rq.CFS, &p.SE) / jiffy * jiffy
	}
	return 0
}

// updateRQClock is update_rq_clock: the clock never goes backwards.
func (s *Scheduler) updateRQClock(rq *RQ) {
	if now := s.Clock(); now > rq.Clock {
		rq.Clock = now
	}
}

// publish refreshes the lockless mirrors after the runqueue changed.
func (rq *RQ) publish() {
	rq.nrA.Store(int32(rq.NrRunning))
	rq.loadA.Store(rq.CFS.Load.Weight)
	prio := int32(MaxRTPrio + 1)
	switch {
	case rq.RT.NrRunning > 0:
		prio = int32(rq.RT.active.first())
	case rq.NrRunning > 0:
		prio = MaxRTPrio
	}
	rq.cpuprioA.Store(prio)
	rq.idleA.Store(rq.Curr == rq.Idle && rq.NrRunning == 0)
}

func (rq *RQ) addNrRunning(n int) { rq.NrRunning += n; rq.publish() }
func (rq *RQ) subNrRunning(n int) { rq.NrRunning -= n; rq.publish() }

// idleCPU is idle_cpu(), lockless.
func (s *Scheduler) idleCPU(cpu int) bool { return s.RQs[cpu].idleA.Load() }

// reschedCurr is resched_curr: ask the CPU to call Schedule soon.
func (s *Scheduler) reschedCurr(rq *RQ) {
	if rq.needResched.Swap(true) {
		return
	}
	if s.SendReschedIPI != nil {
		s.SendReschedIPI(rq.CPU)
	}
}

// NeedResched reports whether cpu should call Schedule (TIF_NEED_RESCHED of
// its current task).
func (s *Scheduler) NeedResched(cpu int) bool { return s.RQs[cpu].needResched.Load() }

// SetNeedResched is resched_cpu: force cpu through Schedule, e.g. after a
// signal was queued for the task it runs.
func (s *Scheduler) SetNeedResched(cpu int) {
	rq := s.RQs[cpu]
	rq.lock.Lock()
	s.reschedCurr(rq)
	rq.lock.Unlock()
}

// Curr returns the task running on cpu (cpu_curr).
func (s *Scheduler) Curr(cpu int) *Task {
	rq := s.RQs[cpu]
	rq.lock.Lock()
	defer rq.lock.Unlock()
	return rq.Curr
}

// taskRQLock is task_rq_lock without pi_lock: lock the runqueue p is on,
// retrying if p moved meanwhile, and waiting while p is between runqueues.
func (s *Scheduler) taskRQLock(p *Task) *RQ {
	for {
		rq := s.RQs[p.cpu.Load()]
		rq.lock.Lock()
		if int(p.cpu.Load()) == rq.CPU && !p.migrating.Load() {
			return rq
		}
		rq.lock.Unlock()
		runtime.Gosched()
	}
}

// doubleRQLock is double_rq_lock: the lower CPU index is locked first so
// that two CPUs locking the same pair cannot deadlock.
func doubleRQLock(a, b *RQ) {
	switch {
	case a == b:
		a.lock.Lock()
	case a.CPU < b.CPU:
		a.lock.Lock()
		b.lock.Lock()
	default:
		b.lock.Lock()
		a.lock.Lock()
	}
}

func doubleRQUnlock(a, b *RQ) {
	a.lock.Unlock()
	if a != b {
		b.lock.Unlock()
	}
}
