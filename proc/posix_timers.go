package proc

import (
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"

	"tamix/errno"
)

// POSIX per-process timers (kernel/time/posix-timers.c and, for the CPU
// clocks, posix-cpu-timers.c). A timer belongs to the process that made it:
// its threads share it by ID, fork does not copy it, execve and the last
// thread's exit delete it. When it expires it sends its signal once, from
// a preallocated siginfo (si_code SI_TIMER); while that signal waits the
// timer stays disarmed, and dequeuing the signal re-arms a periodic timer,
// forwarding it by whole intervals and counting the ones it missed as the
// overrun (si_overrun, timer_getoverrun). Timers on CLOCK_REALTIME,
// MONOTONIC and BOOTTIME run on the kernel's hrtimer queue (sleep.go), the
// one ITIMER_REAL and nanosleep use; timers on a CPU clock are checked on
// the way back to user mode after a tick charged CPU time, as ITIMER_PROF is.

// System call numbers of this file.
const (
	SYS_timer_create     = 222
	SYS_timer_settime    = 223
	SYS_timer_gettime    = 224
	SYS_timer_getoverrun = 225
	SYS_timer_delete     = 226
)

// sigev_notify (include/uapi/asm-generic/siginfo.h).
const (
	SIGEV_SIGNAL    = 0
	SIGEV_NONE      = 1
	SIGEV_THREAD    = 2 // the C library's; to the kernel it is SIGEV_SIGNAL
	SIGEV_THREAD_ID = 4
)

// More clock IDs: those a POSIX timer cannot use (no timer_create of their
// k_clock) and the CPU clocks made from a PID (clock_getcpuclockid,
// pthread_getcpuclockid): ~pid << 3 | perthread << 2 | which.
const (
	CLOCK_REALTIME_ALARM = 8
	CLOCK_BOOTTIME_ALARM = 9
	CLOCK_TAI            = 11

	cpuclockProf          = 0 // user + system time
	cpuclockVirt          = 1 // user time
	cpuclockSched         = 2 // the scheduler's runtime (tamix: user + system)
	cpuclockMax           = 3
	cpuclockPerthreadMask = 4
	cpuclockClockMask     = 3
	clockfd               = 3 // a dynamic posix clock from an fd: none here
)

const (
	sigeventSize     = 64 // sizeof(sigevent_t)
	itimerspecSize   = 32
	requeuePendingOn = 1 // REQUEUE_PENDING: a periodic timer's signal waits
)

func init() {
	syscallTable[SYS_timer_create] = sysTimerCreate
	syscallTable[SYS_timer_settime] = sysTimerSettime
	syscallTable[SYS_timer_gettime] = sysTimerGettime
	syscallTable[SYS_timer_getoverrun] = sysTimerGetoverrun
	syscallTable[SYS_timer_delete] = sysTimerDelete
}

// posixTimers is a process's part of the POSIX timers, in its signal
// struct: the timers it owns by ID (signal->posix_timers) and the
// CPU-clock timers whose clock is this process or one of its threads
// (signal->posix_cputimers), which its threads check.
//
// Lock order: a timer's mu, then posixTimers.mu, then a siglock.
type posixTimers struct {
	mu     sync.Mutex
	nextID int32 // posix_timer_id: the next ID to try
	timers map[int32]*kItimer
	cpu    []*kItimer
	// cpuArmed says one of cpu is armed: the way back to user mode
	// then checks them (see checkPosixCPUTimers).
	cpuArmed atomic.Bool
}

// kItimer is struct k_itimer.
type kItimer struct {
	mu     sync.Mutex
	id     int32
	clock  int32 // it_clock
	notify int   // it_sigev_notify
	signo  int
	value  uint64 // sigev_value
	// target is who the signal goes to (it_pid): a thread for
	// SIGEV_THREAD_ID, else the process through its leader.
	target *Task
	// owner is the process whose timer this is (it_signal); nil once
	// the timer is deleted.
	owner *SignalStruct

	interval    int64 // it_interval, ns
	overrun     int64 // it_overrun: intervals missed since the last signal, -1 based
	overrunLast int64 // it_overrun_last: what the last signal reported
	// requeuePending counts armings and firings (it_requeue_pending):
	// odd while a periodic timer's signal waits to re-arm it; the
	// signal carries the value it was sent with (si_sys_private).
	requeuePending int
	active         bool  // it_active: armed to send a signal
	expires        int64 // the expiry: monotonic ns, or ns on the CPU clock

	hr hrtimer // CLOCK_REALTIME, MONOTONIC, BOOTTIME

	// CPU clocks (struct cpu_timer): the process whose clock it is, the
	// thread for a thread clock, whether it is armed (in the clock
	// process's list to check), and dead once its task is gone.
	cpu         bool
	clockProc   *SignalStruct
	clockThread *Task
	cpuQueued   atomic.Bool
	dead        bool
}

// sigNone reports a SIGEV_NONE timer: it never sends a signal, and
// timer_gettime shows where it would be.
func (tm *kItimer) sigNone() bool { return tm.notify&^SIGEV_THREAD_ID == SIGEV_NONE }

// overrunToInt is timer_overrun_to_int: si_overrun and timer_getoverrun
// are ints, clamped at INT_MAX.
func overrunToInt(tm *kItimer, base int64) int32 {
	sum := tm.overrunLast + base
	if sum > math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(sum)
}

// timerForward is hrtimer_forward (and bump_cpu_timer): it moves an
// expired expiry forward by whole intervals past now and returns it with
// the number of intervals moved; one still in the future stays.
func timerForward(expires, now, interval int64) (int64, int64) {
	if now < expires {
		return expires, 0
	}
	next := hrtimerForward(expires, now, interval)
	return next, (next - expires) / max(interval, 1)
}

// sigevent is the kernel's sigevent_t: sigev_value, sigev_signo,
// sigev_notify and, for SIGEV_THREAD_ID, the thread (sigev_notify_thread_id).
type sigevent struct {
	value         uint64
	signo, notify int32
	tid           int32
}

func decodeSigevent(b []byte) sigevent {
	le := binary.LittleEndian
	return sigevent{le.Uint64(b[0:]), int32(le.Uint32(b[8:])), int32(le.Uint32(b[12:])), int32(le.Uint32(b[16:]))}
}

// cpuClockTarget resolves a CPU clock ID to the process (and thread, for
// a thread clock) whose time it measures (pid_for_clock): PID 0 is the
// caller; a thread clock must name a thread of the caller's process; a
// process clock a process (or, for clock_gettime, the caller's own thread
// ID). Anything else is EINVAL.
func (k *Kernel) cpuClockTarget(t *Task, clock int32, gettime bool) (proc *SignalStruct, thread *Task, err error) {
	if clock&cpuclockClockMask >= cpuclockMax {
		return nil, nil, errno.EINVAL
	}
	perThread := clock&cpuclockPerthreadMask != 0
	pid := int(^(clock >> 3))
	if pid == 0 {
		if perThread {
			return t.Signal, t, nil
		}
		return t.Signal, nil, nil
	}
	p := k.FindTask(pid)
	if p == nil || p.ExitState == EXIT_DEAD || p.IsKernelThread() {
		return nil, nil, errno.EINVAL
	}
	if perThread {
		if p.TGID != t.TGID || p.ExitState != 0 {
			return nil, nil, errno.EINVAL
		}
		return p.Signal, p, nil
	}
	if !p.ThreadGroupLeader() && !(gettime && p == t) {
		return nil, nil, errno.EINVAL
	}
	return p.Signal, nil, nil
}

// cpuClockSample reads a CPU clock (cpu_clock_sample and
// cpu_clock_sample_group): VIRT is user time, PROF and SCHED user plus
// system time, of the thread or of the whole process.
func (k *Kernel) cpuClockSample(clock int32, proc *SignalStruct, thread *Task) int64 {
	var ut, st int64
	if thread != nil {
		ut, st = thread.Utime, thread.Stime
	} else {
		ut, st = k.signalCPUTime(proc)
	}
	if clock&cpuclockClockMask == cpuclockVirt {
		return ut
	}
	return ut + st
}

// signalCPUTime is groupCPUTime for a process known by its signal struct.
func (k *Kernel) signalCPUTime(s *SignalStruct) (utime, stime int64) {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	utime, stime = s.Utime, s.Stime
	for _, p := range k.pids.tasks {
		if p.Signal == s && p.ExitState == 0 {
			utime += p.Utime
			stime += p.Stime
		}
	}
	return utime, stime
}

// clockCPUNow is clock_gettime on a CPU clock made from a PID.
func (k *Kernel) clockCPUNow(t *Task, clock int32) (int64, error) {
	if clock&7 == clockfd {
		return 0, errno.EINVAL // a posix clock fd: tamix has none
	}
	proc, thread, err := k.cpuClockTarget(t, clock, true)
	if err != nil {
		return 0, err
	}
	return k.cpuClockSample(clock, proc, thread), nil
}

// timerClock checks a timer_create clock ID (clockid_to_kclock, then its
// timer_create): EINVAL for no such clock, EOPNOTSUPP for a clock that
// cannot carry timers. It reports a CPU clock and, for the process and
// thread CPU-time clocks, the PID-0 CPU clock it stands for.
func timerClock(clock int32) (int32, bool, error) {
	switch clock {
	case CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI:
		return clock, false, nil
	case CLOCK_PROCESS_CPUTIME_ID:
		return ^0<<3 | cpuclockSched, true, nil
	case CLOCK_THREAD_CPUTIME_ID:
		return ^0<<3 | cpuclockPerthreadMask | cpuclockSched, true, nil
	case CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE:
		return 0, false, errno.EOPNOTSUPP
	case CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM:
		return clock, false, nil // refused by alarmTimerCreate
	}
	if clock < 0 && clock&7 != clockfd {
		return clock, true, nil
	}
	return 0, false, errno.EINVAL
}

// sysTimerCreate is timer_create(clockid, sevp, timerid) (do_timer_create).
// A NULL sevp means SIGEV_SIGNAL with SIGALRM and the timer ID as value.
// The ID is taken before the sigevent is checked, as Linux does: a failed
// call uses one up.
func sysTimerCreate(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var ev *sigevent
	if a[1] != 0 {
		var b [sigeventSize]byte
		if err := t.copyInto(b[:], a[1]); err != nil {
			return 0, err
		}
		e := decodeSigevent(b[:])
		ev = &e
	}
	clock, cpu, err := timerClock(int32(a[0]))
	if err != nil {
		return 0, err
	}
	ps := &t.Signal.posix
	tm := &kItimer{clock: clock, cpu: cpu, overrun: -1}
	id, err := ps.add(tm)
	if err != nil {
		return 0, err
	}
	fail := func(err error) (uint64, error) {
		ps.remove(id)
		return 0, err
	}
	tm.id = id
	if ev != nil {
		target, err := k.goodSigevent(t, ev)
		if err != nil {
			return fail(err)
		}
		tm.target, tm.notify, tm.signo, tm.value = target, int(ev.notify), int(ev.signo), ev.value
	} else {
		tm.target, tm.notify, tm.signo, tm.value = t.GroupLeader, SIGEV_SIGNAL, SIGALRM, uint64(id)
	}
	if err := t.putInt32(a[2], id); err != nil {
		return fail(err)
	}
	// The clock's own timer_create.
	if clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM {
		// alarm_timer_create: tamix has no RTC alarm to wake the
		// machine with (as Linux without one): the ID is used up all
		// the same.
		return fail(errno.EOPNOTSUPP)
	}
	if cpu {
		proc, thread, err := k.cpuClockTarget(t, clock, false)
		if err != nil {
			return fail(err)
		}
		tm.clockProc, tm.clockThread = proc, thread
		proc.posix.attachCPU(tm)
	} else {
		tm.hr.fn = func(k *Kernel) { k.posixTimerFn(tm) }
	}
	tm.mu.Lock()
	tm.owner = t.Signal
	tm.mu.Unlock()
	return 0, nil
}

// goodSigevent checks a sigevent and returns who its signals go to
// (good_sigevent): a thread of the caller's process for SIGEV_THREAD_ID,
// else the process; a signal number in 1..SIGRTMAX unless SIGEV_NONE.
func (k *Kernel) goodSigevent(t *Task, ev *sigevent) (*Task, error) {
	target := t.GroupLeader
	switch ev.notify {
	case SIGEV_SIGNAL | SIGEV_THREAD_ID:
		p := k.FindTask(int(ev.tid))
		if p == nil || p.TGID != t.TGID || p.ExitState != 0 {
			return nil, errno.EINVAL
		}
		target = p
		fallthrough
	case SIGEV_SIGNAL, SIGEV_THREAD:
		if !validSignal(int(ev.signo)) {
			return nil, errno.EINVAL
		}
	case SIGEV_NONE:
	default:
		return nil, errno.EINVAL
	}
	return target, nil
}

// add gives tm the next free ID (posix_timer_add): IDs count up from 0
// per process and wrap at INT_MAX; EAGAIN when every one is taken.
func (ps *posixTimers) add(tm *kItimer) (int32, error) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.timers == nil {
		ps.timers = map[int32]*kItimer{}
	}
	first := ps.nextID
	for {
		id := ps.nextID
		if ps.nextID++; ps.nextID < 0 {
			ps.nextID = 0
		}
		if ps.timers[id] == nil {
			ps.timers[id] = tm
			return id, nil
		}
		if ps.nextID == first {
			return 0, errno.EAGAIN
		}
	}
}

// remove drops ID id and returns its timer.
func (ps *posixTimers) remove(id int32) *kItimer {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	tm := ps.timers[id]
	delete(ps.timers, id)
	return tm
}

// lockTimer finds the caller's process's timer id and locks it
// (lock_timer); nil for a bad or deleted ID.
func (t *Task) lockTimer(id int32) *kItimer {
	if id < 0 {
		return nil
	}
	ps := &t.Signal.posix
	ps.mu.Lock()
	tm := ps.timers[id]
	ps.mu.Unlock()
	if tm == nil {
		return nil
	}
	tm.mu.Lock()
	if tm.owner != t.Signal {
		tm.mu.Unlock()
		return nil
	}
	return tm
}

// attachCPU lists a CPU-clock timer with the process whose clock it is.
func (ps *posixTimers) attachCPU(tm *kItimer) {
	ps.mu.Lock()
	ps.cpu = append(ps.cpu, tm)
	ps.mu.Unlock()
}

// detachCPU takes a CPU-clock timer off that list.
func (ps *posixTimers) detachCPU(tm *kItimer) {
	ps.mu.Lock()
	for i, x := range ps.cpu {
		if x == tm {
			ps.cpu = append(ps.cpu[:i], ps.cpu[i+1:]...)
			break
		}
	}
	ps.updateCPUArmed()
	ps.mu.Unlock()
}

// updateCPUArmed recomputes cpuArmed. Under ps.mu.
func (ps *posixTimers) updateCPUArmed() {
	armed := false
	for _, tm := range ps.cpu {
		armed = armed || tm.cpuQueued.Load()
	}
	ps.cpuArmed.Store(armed)
}

// getItimerspec reads a struct itimerspec (it_interval, then it_value):
// EFAULT here, EINVAL (invalid) for a negative or out-of-range timespec,
// which the callers report after other checks, as Linux does.
func getItimerspec(t *Task, va uint64) (value, interval int64, valid bool, err error) {
	var b [itimerspecSize]byte
	if err := t.copyInto(b[:], va); err != nil {
		return 0, 0, false, err
	}
	le := binary.LittleEndian
	conv := func(sec, nsec int64) (int64, bool) {
		if sec < 0 || nsec < 0 || nsec >= 1e9 {
			return 0, false
		}
		if sec >= ktimeMax/1_000_000_000 {
			return ktimeMax, true // KTIME_SEC_MAX: saturate
		}
		return sec*1e9 + nsec, true
	}
	interval, ok1 := conv(int64(le.Uint64(b[0:])), int64(le.Uint64(b[8:])))
	value, ok2 := conv(int64(le.Uint64(b[16:])), int64(le.Uint64(b[24:])))
	return value, interval, ok1 && ok2, nil
}

// putItimerspec writes a struct itimerspec.
func putItimerspec(t *Task, va uint64, value, interval int64) error {
	var b [itimerspecSize]byte
	le := binary.LittleEndian
	le.PutUint64(b[0:], uint64(interval/1e9))
	le.PutUint64(b[8:], uint64(interval%1e9))
	le.PutUint64(b[16:], uint64(value/1e9))
	le.PutUint64(b[24:], uint64(value%1e9))
	return t.copyOut(va, b[:])
}

// sysTimerSettime is timer_settime(timerid, flags, new, old): NULL new is
// EINVAL, then EFAULT, then an invalid timespec, then a bad timer (both
// EINVAL). Only TIMER_ABSTIME of flags counts.
func sysTimerSettime(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if a[2] == 0 {
		return 0, errno.EINVAL
	}
	value, interval, valid, err := getItimerspec(t, a[2])
	if err != nil {
		return 0, err
	}
	if !valid {
		return 0, errno.EINVAL
	}
	tm := t.lockTimer(int32(a[0]))
	if tm == nil {
		return 0, errno.EINVAL
	}
	var ovalue, ointerval int64
	if tm.cpu {
		ovalue, ointerval, err = k.cpuTimerSet(tm, a[1]&TIMER_ABSTIME != 0, value, interval)
	} else {
		ovalue, ointerval = k.commonTimerSet(tm, a[1]&TIMER_ABSTIME != 0, value, interval)
	}
	tm.mu.Unlock()
	if err != nil || a[3] == 0 {
		return 0, err
	}
	return 0, putItimerspec(t, a[3], ovalue, ointerval)
}

// sysTimerGettime is timer_gettime(timerid, curr).
func sysTimerGettime(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	tm := t.lockTimer(int32(a[0]))
	if tm == nil {
		return 0, errno.EINVAL
	}
	var value, interval int64
	if tm.cpu {
		value, interval = k.cpuTimerGet(tm)
	} else {
		value, interval = k.commonTimerGet(tm)
	}
	tm.mu.Unlock()
	return 0, putItimerspec(t, a[1], value, interval)
}

// sysTimerGetoverrun returns the overrun the last signal reported.
func sysTimerGetoverrun(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	tm := t.lockTimer(int32(a[0]))
	if tm == nil {
		return 0, errno.EINVAL
	}
	n := overrunToInt(tm, 0)
	tm.mu.Unlock()
	return uint64(n), nil
}

// sysTimerDelete is timer_delete: the timer stops and its ID is free. A
// signal it already queued stays queued, as in Linux (sigqueue_free).
func sysTimerDelete(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	tm := t.lockTimer(int32(a[0]))
	if tm == nil {
		return 0, errno.EINVAL
	}
	k.timerDeleteLocked(tm)
	tm.mu.Unlock()
	t.Signal.posix.remove(tm.id)
	return 0, nil
}

// timerDeleteLocked disarms tm for good (timer_delete_hook). Under tm.mu.
func (k *Kernel) timerDeleteLocked(tm *kItimer) {
	tm.interval = 0
	tm.active = false
	tm.owner = nil
	if tm.cpu {
		tm.cpuQueued.Store(false)
		if !tm.dead {
			tm.clockProc.posix.detachCPU(tm)
		}
		return
	}
	k.timers.cancel(&tm.hr)
}

// exitPosixTimers deletes every timer of a process (exit_itimers): its
// last thread exited, or it called execve.
func (k *Kernel) exitPosixTimers(s *SignalStruct) {
	ps := &s.posix
	ps.mu.Lock()
	timers := ps.timers
	ps.timers = nil
	ps.mu.Unlock()
	for _, tm := range timers {
		tm.mu.Lock()
		k.timerDeleteLocked(tm)
		tm.mu.Unlock()
	}
}

// posixCPUTimersExit stops the CPU-clock timers whose clock was t's
// (posix_cpu_timers_exit), or its process's when the whole group is gone
// (posix_cpu_timers_exit_group): they read 0 from then on and
// timer_settime says ESRCH.
func (k *Kernel) posixCPUTimersExit(t *Task, groupDead bool) {
	ps := &t.Signal.posix
	ps.mu.Lock()
	var gone []*kItimer
	keep := ps.cpu[:0]
	for _, tm := range ps.cpu {
		if groupDead || tm.clockThread == t {
			gone = append(gone, tm)
			continue
		}
		keep = append(keep, tm)
	}
	clear(ps.cpu[len(keep):])
	ps.cpu = keep
	ps.updateCPUArmed()
	ps.mu.Unlock()
	for _, tm := range gone {
		tm.mu.Lock()
		tm.dead = true
		tm.cpuQueued.Store(false)
		tm.mu.Unlock()
	}
}

// execPosixTimers is what execve does to the timers: the process's own
// are deleted and the signals they queued discarded (exit_itimers,
// flush_itimer_signals); CPU timers on the calling thread's clock stop.
func (k *Kernel) execPosixTimers(t *Task) {
	k.exitPosixTimers(t.Signal)
	sh := t.Sighand
	sh.mu.Lock()
	t.Pending.flushTimerSignals()
	t.Signal.SharedPending.flushTimerSignals()
	sh.mu.Unlock()
}

// flushTimerSignals drops every SI_TIMER signal (__flush_itimer_signals).
func (p *SigPending) flushTimerSignals() {
	var keep SigSet
	out := p.queue[:0]
	for _, q := range p.queue {
		if q.Code == SI_TIMER {
			continue
		}
		keep |= Bit(int(q.Signo))
		out = append(out, q)
	}
	clear(p.queue[len(out):])
	p.queue = out
	p.Set = keep // every pending signal has its siginfo queued
}

// posixTimerEvent sends tm's signal (posix_timer_event) and reports
// whether it was dropped as ignored: then no dequeue will re-arm the
// timer, and the caller re-arms it itself.
func (k *Kernel) posixTimerEvent(tm *kItimer, siPrivate int) bool {
	si := SigInfo{Signo: int32(tm.signo), Code: SI_TIMER, TimerID: tm.id, Value: tm.value, timer: tm, sysPrivate: siPrivate}
	target, group := tm.target, tm.notify&SIGEV_THREAD_ID == 0
	if group {
		target = k.processTarget(target)
		if target == nil {
			return false
		}
	}
	return k.sendSignal(target, si, group) == sigDropped
}

// processTarget is the thread a process-directed signal is queued
// through: the leader, or a live thread once the leader has exited.
func (k *Kernel) processTarget(leader *Task) *Task {
	if leader.ExitState == 0 && leader.Flags&PF_EXITING == 0 {
		return leader
	}
	for _, th := range k.threadsOf(leader) {
		if th.Flags&PF_EXITING == 0 {
			return th
		}
	}
	return nil
}

// posixtimerRearm re-arms a periodic timer when its signal is dequeued
// (posixtimer_rearm), unless the timer was set again or deleted since the
// signal was sent, and adds the intervals it missed to si_overrun.
func (k *Kernel) posixtimerRearm(t *Task, si *SigInfo) {
	tm := si.timer
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.owner != t.Signal || tm.interval == 0 || tm.requeuePending != si.sysPrivate {
		return
	}
	if tm.cpu {
		k.cpuTimerRearm(tm)
	} else {
		var n int64
		tm.expires, n = timerForward(tm.expires, k.Clock(), tm.interval)
		tm.overrun += n
		k.timers.start(&tm.hr, tm.expires)
	}
	tm.active = true
	tm.overrunLast, tm.overrun = tm.overrun, -1
	tm.requeuePending++
	si.Overrun = overrunToInt(tm, int64(si.Overrun))
}

// The hrtimer-based clocks (common_timer_*). Expiries are kept on
// CLOCK_MONOTONIC, the timer queue's clock: an absolute CLOCK_REALTIME
// time is converted with the current offset between the two (tamix has no
// clock_settime, so the offset never changes under a queued timer).

// monoExpiry turns a timer's setting into a monotonic expiry.
func (k *Kernel) monoExpiry(clock int32, abs bool, value int64) int64 {
	if !abs {
		return satAdd(k.Clock(), value)
	}
	if clock == CLOCK_REALTIME || clock == CLOCK_TAI {
		return value - (k.Wall() - k.Clock())
	}
	return value
}

// commonTimerGet is common_timer_get: the time left (at least 1 ns while
// a signal is due or waiting; a SIGEV_NONE timer reads 0 once it
// expired) and the interval. A periodic timer whose signal waits, or a
// SIGEV_NONE one, is forwarded first, counting overruns. As in Linux, a
// SIGEV_NONE timer that was disarmed still reads the time its last
// setting had left: disarming keeps the expiry. Under tm.mu.
func (k *Kernel) commonTimerGet(tm *kItimer) (value, interval int64) {
	iv := tm.interval
	if iv == 0 && !tm.active && !tm.sigNone() {
		return 0, 0
	}
	now := k.Clock()
	if iv != 0 && (tm.requeuePending&requeuePendingOn != 0 || tm.sigNone()) {
		var n int64
		tm.expires, n = timerForward(tm.expires, now, iv)
		tm.overrun += n
	}
	if rem := tm.expires - now; rem > 0 {
		return rem, iv
	}
	if !tm.sigNone() {
		return 1, iv
	}
	return 0, iv
}

// commonTimerSet is common_timer_set: it returns the old setting, stops
// the timer and arms it again unless value is 0. Under tm.mu.
func (k *Kernel) commonTimerSet(tm *kItimer, abs bool, value, interval int64) (ovalue, ointerval int64) {
	ovalue, ointerval = k.commonTimerGet(tm)
	tm.interval = 0
	k.timers.cancel(&tm.hr)
	tm.active = false
	tm.requeuePending = (tm.requeuePending + 2) &^ requeuePendingOn
	tm.overrunLast = 0
	if value == 0 {
		return
	}
	tm.interval = interval
	tm.expires = k.monoExpiry(tm.clock, abs, value)
	if !tm.sigNone() {
		k.timers.start(&tm.hr, tm.expires)
		tm.active = true
	}
	return
}

// posixTimerFn runs when an hrtimer-based timer expires (posix_timer_fn):
// it sends the signal; a periodic timer re-arms when the signal is
// dequeued, or at once if the signal was ignored (then never more often
// than once a tick).
func (k *Kernel) posixTimerFn(tm *kItimer) {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	if tm.owner == nil || !tm.active {
		return // deleted or disarmed since it was taken off the queue
	}
	if _, queued := k.timers.state(&tm.hr); queued {
		return // set again meanwhile
	}
	tm.active = false
	siPrivate := 0
	if tm.interval != 0 {
		tm.requeuePending++
		siPrivate = tm.requeuePending
	}
	if k.posixTimerEvent(tm, siPrivate) && tm.interval != 0 {
		now := k.Clock()
		if tick := k.tickNsec(); tm.interval < tick {
			now += tick
		}
		var n int64
		tm.expires, n = timerForward(tm.expires, now, tm.interval)
		tm.overrun += n
		k.timers.start(&tm.hr, tm.expires)
		tm.requeuePending++
		tm.active = true
	}
}

// The CPU-clock timers (posix-cpu-timers.c). tm.expires is on the clock
// itself; 0 means disarmed.

// cpuTimerSample reads tm's clock.
func (k *Kernel) cpuTimerSample(tm *kItimer) int64 {
	return k.cpuClockSample(tm.clock, tm.clockProc, tm.clockThread)
}

// cpuTimerGet is posix_cpu_timer_get. Under tm.mu.
func (k *Kernel) cpuTimerGet(tm *kItimer) (value, interval int64) {
	if tm.expires == 0 || tm.dead {
		return 0, tm.interval
	}
	return k.cpuTimerRemaining(tm, k.cpuTimerSample(tm)), tm.interval
}

// cpuTimerRemaining is __posix_cpu_timer_get's it_value at now.
func (k *Kernel) cpuTimerRemaining(tm *kItimer, now int64) int64 {
	iv := tm.interval
	if iv != 0 && (tm.requeuePending&requeuePendingOn != 0 || tm.sigNone()) {
		var n int64
		tm.expires, n = timerForward(tm.expires, now, iv)
		tm.overrun += n
	}
	if now < tm.expires {
		return tm.expires - now
	}
	if !tm.sigNone() {
		return 1
	}
	return 0
}

// cpuTimerSet is posix_cpu_timer_set. A time already passed fires at
// once, even if the clock never moves again. Under tm.mu.
func (k *Kernel) cpuTimerSet(tm *kItimer, abs bool, value, interval int64) (ovalue, ointerval int64, err error) {
	if tm.dead {
		return 0, 0, errno.ESRCH
	}
	old := tm.expires
	tm.cpuQueued.Store(false)
	now := k.cpuTimerSample(tm)
	ointerval = tm.interval
	if old != 0 {
		ovalue = k.cpuTimerRemaining(tm, now)
	}
	if value != 0 && !abs {
		value = satAdd(value, now)
	}
	tm.expires = value
	if !tm.sigNone() && value != 0 && now < value {
		k.cpuTimerArm(tm)
	} else {
		k.cpuTimerUpdateArmed(tm)
	}
	tm.interval = interval
	tm.requeuePending = (tm.requeuePending + 2) &^ requeuePendingOn
	tm.overrunLast, tm.overrun = 0, -1
	if !tm.sigNone() && value != 0 && now >= value {
		k.cpuTimerFire(tm)
	}
	return ovalue, ointerval, nil
}

// cpuTimerArm puts tm among the armed timers of its clock's process
// (arm_timer).
func (k *Kernel) cpuTimerArm(tm *kItimer) {
	tm.cpuQueued.Store(true)
	k.cpuTimerUpdateArmed(tm)
}

func (k *Kernel) cpuTimerUpdateArmed(tm *kItimer) {
	ps := &tm.clockProc.posix
	ps.mu.Lock()
	ps.updateCPUArmed()
	ps.mu.Unlock()
}

// cpuTimerRearm forwards a periodic CPU timer past its clock's time and
// arms it again (posix_cpu_timer_rearm). Under tm.mu.
func (k *Kernel) cpuTimerRearm(tm *kItimer) {
	if tm.dead {
		return
	}
	var n int64
	tm.expires, n = timerForward(tm.expires, k.cpuTimerSample(tm), tm.interval)
	tm.overrun += n
	k.cpuTimerArm(tm)
}

// cpuTimerFire is cpu_timer_fire: a one-shot timer sends its signal and
// is done; a periodic one waits for the dequeue to re-arm it, unless the
// signal was ignored. Under tm.mu, tm not armed.
func (k *Kernel) cpuTimerFire(tm *kItimer) {
	switch {
	case tm.sigNone():
		tm.expires = 0
	case tm.interval == 0:
		k.posixTimerEvent(tm, 0)
		tm.expires = 0
	default:
		tm.requeuePending++
		if k.posixTimerEvent(tm, tm.requeuePending) {
			k.cpuTimerRearm(tm)
			tm.requeuePending++
		}
	}
}

// checkPosixCPUTimers fires the CPU-clock timers on t's process and
// thread clocks that expired (run_posix_cpu_timers). It runs on the way
// back to user mode while one is armed, and looks only when t's own CPU
// time moved since it last did: only its ticks move those clocks.
func (k *Kernel) checkPosixCPUTimers(t *Task) {
	own := t.Utime + t.Stime
	if own == t.ptSample {
		return
	}
	t.ptSample = own
	ps := &t.Signal.posix
	ps.mu.Lock()
	timers := append([]*kItimer(nil), ps.cpu...)
	ps.mu.Unlock()
	for _, tm := range timers {
		if !tm.cpuQueued.Load() || tm.clockThread != nil && tm.clockThread != t {
			continue
		}
		tm.mu.Lock()
		if tm.cpuQueued.Load() && !tm.dead && tm.expires != 0 && k.cpuTimerSample(tm) >= tm.expires {
			tm.cpuQueued.Store(false)
			k.cpuTimerUpdateArmed(tm)
			k.cpuTimerFire(tm)
		}
		tm.mu.Unlock()
	}
}
