package proc

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"tamix/errno"
	"tamix/mm"
)

// System call numbers of this file (the rest of the table is in syscall.go).
const (
	SYS_getitimer    = 36
	SYS_setitimer    = 38
	SYS_gettimeofday = 96
	SYS_getcpu       = 309
)

// Interval timers (getitimer/setitimer which).
const (
	ITIMER_REAL    = 0
	ITIMER_VIRTUAL = 1
	ITIMER_PROF    = 2
)

// USER_HZ is the unit of times(2) (clock_t ticks), AT_CLKTCK.
const USER_HZ = 100

// ktimeMax is KTIME_MAX: time values saturate there, as ktime_set does.
const ktimeMax = 1<<63 - 1

func init() {
	syscallTable[SYS_alarm] = sysAlarm
	syscallTable[SYS_getitimer] = sysGetitimer
	syscallTable[SYS_setitimer] = sysSetitimer
	syscallTable[SYS_times] = sysTimes
	syscallTable[SYS_gettimeofday] = sysGettimeofday
	syscallTable[SYS_sysinfo] = sysSysinfo
	syscallTable[SYS_getcpu] = sysGetcpu
}

// itimers are a process's interval timers, in its signal struct (Linux's
// real_timer, it_real_incr and it[]): shared by the threads, kept across
// execve, not inherited by fork, cancelled when the last thread exits.
//
// Lock order: mu, then the timer queue's lock. mu is never held while
// taking tasklistLock or a siglock.
type itimers struct {
	mu sync.Mutex
	// ITIMER_REAL: an hrtimer on CLOCK_MONOTONIC that sends SIGALRM
	// (it_real_fn); a periodic one is re-armed when the SIGALRM is
	// dequeued, as Linux does, not when it fires.
	real     hrtimer
	realIncr int64
	leader   *Task // who SIGALRM goes to (the thread group, by its leader)
	// ITIMER_VIRTUAL ([0]) and ITIMER_PROF ([1]) on the process's CPU
	// clocks; cpuArmed says either is set (checked on the way to user mode).
	cpu      [2]cpuItimer
	cpuArmed atomic.Bool
}

// cpuItimer is struct cpu_itimer: expires is absolute on the process's
// user (VIRTUAL) or user+system (PROF) time, 0 when disarmed.
type cpuItimer struct {
	expires, incr int64
}

// tickNsec is TICK_NSEC, one scheduler tick.
func (k *Kernel) tickNsec() int64 { return 1_000_000_000 / int64(k.Sched.HZ) }

// satAdd adds two non-negative times, saturating at KTIME_MAX.
func satAdd(a, b int64) int64 {
	if a > ktimeMax-b {
		return ktimeMax
	}
	return a + b
}

// timevalNs converts a validated timeval to ns (timespec64_to_ktime).
func timevalNs(sec, usec int64) int64 {
	if sec >= ktimeMax/1_000_000_000 {
		return ktimeMax
	}
	return sec*1_000_000_000 + usec*1000
}

// getItimerval reads a struct itimerval (it_interval, then it_value) and
// validates both timevals (get_itimerval): EFAULT, then EINVAL.
func getItimerval(t *Task, va uint64) (value, interval int64, err error) {
	var b [32]byte
	if err := t.copyInto(b[:], va); err != nil {
		return 0, 0, err
	}
	le := binary.LittleEndian
	isec, iusec := int64(le.Uint64(b[0:])), le.Uint64(b[8:])
	vsec, vusec := int64(le.Uint64(b[16:])), le.Uint64(b[24:])
	if isec < 0 || iusec >= 1e6 || vsec < 0 || vusec >= 1e6 {
		return 0, 0, errno.EINVAL
	}
	return timevalNs(vsec, int64(vusec)), timevalNs(isec, int64(iusec)), nil
}

// putItimerval writes a struct itimerval, the microseconds truncated.
func putItimerval(t *Task, va uint64, value, interval int64) error {
	var b [32]byte
	le := binary.LittleEndian
	le.PutUint64(b[0:], uint64(interval/1e9))
	le.PutUint64(b[8:], uint64(interval%1e9/1e3))
	le.PutUint64(b[16:], uint64(value/1e9))
	le.PutUint64(b[24:], uint64(value%1e9/1e3))
	return t.copyOut(va, b[:])
}

// realRemaining is itimer_get_remtime: the time left on the real timer, at
// least 1 us while it is queued, 0 when it is not. Under it.mu.
func (k *Kernel) realRemaining(it *itimers) int64 {
	when, queued := k.timers.state(&it.real)
	if !queued {
		return 0
	}
	rem := when - k.Clock()
	if rem <= 0 {
		rem = 1000
	}
	return rem
}

// groupCPUTime is the process's user and system time: its live threads'
// and its dead threads' (thread_group_cputime).
func (k *Kernel) groupCPUTime(t *Task) (utime, stime int64) {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	s := t.Signal
	utime, stime = s.Utime, s.Stime
	for _, p := range k.pids.tasks {
		if p.TGID == t.TGID && p.ExitState == 0 {
			utime += p.Utime
			stime += p.Stime
		}
	}
	return utime, stime
}

// cpuClock is the CPU clock an ITIMER_VIRTUAL (user) or ITIMER_PROF
// (user+system) timer runs on.
func cpuClock(which int, utime, stime int64) int64 {
	if which == ITIMER_VIRTUAL {
		return utime
	}
	return utime + stime
}

// doGetitimer returns the time left and the interval of timer which.
func (k *Kernel) doGetitimer(t *Task, which int) (value, interval int64, err error) {
	it := &t.Signal.it
	switch which {
	case ITIMER_REAL:
		it.mu.Lock()
		value, interval = k.realRemaining(it), it.realIncr
		it.mu.Unlock()
	case ITIMER_VIRTUAL, ITIMER_PROF:
		ut, st := k.groupCPUTime(t)
		now := cpuClock(which, ut, st)
		it.mu.Lock()
		c := it.cpu[which-1]
		it.mu.Unlock()
		value, interval = c.expires, c.incr
		if value != 0 {
			if value < now {
				value = k.tickNsec() // about to fire
			} else {
				value -= now
			}
		}
	default:
		return 0, 0, errno.EINVAL
	}
	return value, interval, nil
}

// doSetitimer arms (value > 0) or disarms timer which, and returns what it
// held before, as getitimer would have.
func (k *Kernel) doSetitimer(t *Task, which int, value, interval int64) (ovalue, ointerval int64, err error) {
	it := &t.Signal.it
	switch which {
	case ITIMER_REAL:
		it.mu.Lock()
		ovalue, ointerval = k.realRemaining(it), it.realIncr
		k.timers.cancel(&it.real)
		if value != 0 {
			if it.real.fn == nil {
				s := t.Signal
				it.real.fn = func(k *Kernel) { k.itRealFire(s) }
			}
			it.realIncr = interval
			it.leader = t.GroupLeader
			k.timers.start(&it.real, satAdd(k.Clock(), value))
		} else {
			it.realIncr = 0
		}
		it.mu.Unlock()
	case ITIMER_VIRTUAL, ITIMER_PROF:
		// set_cpu_itimer: the new value is relative, one tick longer,
		// made absolute on the process's clock; the old one comes back
		// relative (a tick when it is about to fire). The interval is
		// kept even when the timer is disarmed.
		ut, st := k.groupCPUTime(t)
		now := cpuClock(which, ut, st)
		it.mu.Lock()
		c := &it.cpu[which-1]
		ovalue, ointerval = c.expires, c.incr
		if ovalue != 0 {
			if ovalue <= now {
				ovalue = k.tickNsec()
			} else {
				ovalue -= now
			}
		}
		if value != 0 {
			value = satAdd(satAdd(value, k.tickNsec()), now)
		}
		c.expires, c.incr = value, interval
		it.cpuArmed.Store(t.Signal.cpuWatchNeeded())
		it.mu.Unlock()
	default:
		return 0, 0, errno.EINVAL
	}
	return ovalue, ointerval, nil
}

// itRealFire is it_real_fn: SIGALRM to the process, from the kernel
// (SEND_SIG_PRIV: si_code SI_KERNEL, no sender).
func (k *Kernel) itRealFire(s *SignalStruct) {
	s.it.mu.Lock()
	leader := s.it.leader
	s.it.mu.Unlock()
	if leader != nil {
		k.signalProcess(leader, SigInfo{Signo: SIGALRM, Code: SI_KERNEL})
	}
}

// signalProcess sends si to the thread group of leader, through a live
// thread when the leader itself has exited (kill_pid_info on the TGID).
func (k *Kernel) signalProcess(leader *Task, si SigInfo) {
	target := leader
	if leader.ExitState != 0 || leader.Flags&PF_EXITING != 0 {
		target = nil
		for _, th := range k.threadsOf(leader) {
			if th.Flags&PF_EXITING == 0 {
				target = th
				break
			}
		}
		if target == nil {
			return
		}
	}
	k.SendSignalInfo(target, si, true)
}

// rearmItimerReal restarts a periodic real timer when its SIGALRM is
// dequeued (posixtimer_rearm_itimer): forwarded past now by whole
// intervals, so a late or blocked signal does not pile up expirations.
// Called without the siglock.
func (k *Kernel) rearmItimerReal(s *SignalStruct) {
	it := &s.it
	it.mu.Lock()
	if it.realIncr != 0 {
		if when, queued := k.timers.state(&it.real); !queued {
			k.timers.start(&it.real, hrtimerForward(when, k.Clock(), it.realIncr))
		}
	}
	it.mu.Unlock()
}

// hrtimerForward moves expires forward by whole intervals until it is
// after now (hrtimer_forward); an expiry still in the future stays.
func hrtimerForward(expires, now, interval int64) int64 {
	delta := now - expires
	if delta < 0 {
		return expires
	}
	if interval < 1 {
		interval = 1 // hrtimer_resolution
	}
	if delta >= interval {
		orun := delta / interval
		if expires > 0 && orun > (ktimeMax-expires)/interval {
			return ktimeMax
		}
		expires += interval * orun
		if expires > now {
			return expires
		}
	}
	return satAdd(expires, interval)
}

// checkCPUItimers fires the process's ITIMER_VIRTUAL and ITIMER_PROF
// timers that expired (check_process_timers' check_cpu_itimer). It runs on
// the way back to user mode while one is armed, and does work only when
// t's own CPU time moved (a tick was charged to it) since it last looked:
// the process's clocks advance only by its threads' ticks.
func (k *Kernel) checkCPUItimers(t *Task) {
	own := t.Utime + t.Stime
	if own == t.itSample {
		return
	}
	t.itSample = own
	ut, st := k.groupCPUTime(t)
	it := &t.Signal.it
	var fire [2]bool
	it.mu.Lock()
	for i := range it.cpu {
		c := &it.cpu[i]
		now := cpuClock(i+1, ut, st)
		if c.expires == 0 || now < c.expires {
			continue
		}
		if c.incr != 0 {
			c.expires = satAdd(c.expires, c.incr)
		} else {
			c.expires = 0
		}
		fire[i] = true
	}
	it.cpuArmed.Store(t.Signal.cpuWatchNeeded())
	it.mu.Unlock()
	// Linux checks ITIMER_PROF first.
	if fire[ITIMER_PROF-1] {
		k.SendSignalInfo(t, SigInfo{Signo: SIGPROF, Code: SI_KERNEL}, true)
	}
	if fire[ITIMER_VIRTUAL-1] {
		k.SendSignalInfo(t, SigInfo{Signo: SIGVTALRM, Code: SI_KERNEL}, true)
	}
	k.checkRlimitCPU(t, ut+st)
}

// exitItimers cancels the timers of a process whose last thread exited
// (do_exit's hrtimer_cancel of real_timer, and the CPU timers).
func (k *Kernel) exitItimers(s *SignalStruct) {
	it := &s.it
	it.mu.Lock()
	k.timers.cancel(&it.real)
	it.realIncr = 0
	it.leader = nil
	it.cpu = [2]cpuItimer{}
	it.cpuArmed.Store(false)
	it.mu.Unlock()
}

// sysAlarm is alarm(2) (alarm_setitimer): a one-shot ITIMER_REAL of
// seconds; returns the whole seconds the previous alarm had left, rounded
// to the nearest second but never 0 while one was pending.
func sysAlarm(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	secs := int64(uint32(a[0]))
	old, _, _ := k.doSetitimer(t, ITIMER_REAL, secs*1e9, 0)
	sec, nsec := old/1e9, old%1e9
	if sec == 0 && nsec != 0 || nsec >= 500_000_000 {
		sec++
	}
	return uint64(sec), nil
}

func sysGetitimer(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	value, interval, err := k.doGetitimer(t, int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	return 0, putItimerval(t, a[1], value, interval)
}

// sysSetitimer: a NULL new value disarms the timer (a misfeature Linux
// keeps); the timer is set even when writing the old value faults.
func sysSetitimer(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var value, interval int64
	if a[1] != 0 {
		var err error
		if value, interval, err = getItimerval(t, a[1]); err != nil {
			return 0, err
		}
	}
	ovalue, ointerval, err := k.doSetitimer(t, int(int32(a[0])), value, interval)
	if err != nil || a[2] == 0 {
		return 0, err
	}
	return 0, putItimerval(t, a[2], ovalue, ointerval)
}

// nsToClockT is nsec_to_clock_t: ns in USER_HZ ticks.
func nsToClockT(ns int64) uint64 { return uint64(ns / (1e9 / USER_HZ)) }

// sysTimes fills struct tms with the process's and its reaped children's
// times, in USER_HZ ticks, and returns the ticks since boot (Linux returns
// jiffies, which start 5 minutes before wrapping: any fixed origin will do).
func sysTimes(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if a[0] != 0 {
		ut, st := k.groupCPUTime(t)
		k.tasklistLock.Lock()
		cut, cst := t.Signal.CUtime, t.Signal.CStime
		k.tasklistLock.Unlock()
		var b [32]byte
		le := binary.LittleEndian
		le.PutUint64(b[0:], nsToClockT(ut))
		le.PutUint64(b[8:], nsToClockT(st))
		le.PutUint64(b[16:], nsToClockT(cut))
		le.PutUint64(b[24:], nsToClockT(cst))
		if err := t.copyOut(a[0], b[:]); err != nil {
			return 0, err
		}
	}
	return nsToClockT(k.Clock()), nil
}

// sysGettimeofday: CLOCK_REALTIME in a timeval; the timezone, when asked
// for, is sys_tz, which nothing sets: zeros.
func sysGettimeofday(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if a[0] != 0 {
		now := k.Wall()
		var b [16]byte
		binary.LittleEndian.PutUint64(b[0:], uint64(now/1e9))
		binary.LittleEndian.PutUint64(b[8:], uint64(now%1e9/1e3))
		if err := t.copyOut(a[0], b[:]); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		var tz [8]byte
		if err := t.copyOut(a[1], tz[:]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// sysinfoSize is sizeof(struct sysinfo) on x86-64.
const sysinfoSize = 112

// sysSysinfo (do_sysinfo): uptime in seconds rounded up, no load average,
// RAM from the frame allocator in bytes (mem_unit 1), no swap, and the
// number of tasks.
func sysSysinfo(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var b [sysinfoSize]byte
	le := binary.LittleEndian
	up := k.Clock()
	le.PutUint64(b[0:], uint64((up+999_999_999)/1e9)) // uptime
	// loads[3] at 8: 0.
	if f := k.Frames; f != nil {
		le.PutUint64(b[32:], uint64(f.TotalCount())*mm.PageSize) // totalram
		le.PutUint64(b[40:], uint64(f.FreeCount())*mm.PageSize)  // freeram
	}
	// sharedram, bufferram, totalswap, freeswap: 0.
	le.PutUint16(b[80:], uint16(k.NrThreads())) // procs
	// totalhigh, freehigh: 0.
	le.PutUint32(b[104:], 1) // mem_unit
	return 0, t.copyOut(a[0], b[:])
}

// sysGetcpu reports the CPU the task runs on and its NUMA node (always 0);
// both are written even if one of them faults.
func sysGetcpu(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var err error
	if a[0] != 0 {
		if e := t.putInt32(a[0], int32(t.CPU)); e != nil {
			err = e
		}
	}
	if a[1] != 0 {
		if e := t.putInt32(a[1], 0); e != nil {
			err = e
		}
	}
	return 0, err
}
