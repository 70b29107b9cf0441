package proc

import (
	"encoding/binary"
	"math/rand"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

const (
	ms      = int64(1_000_000)
	badAddr = uint64(0xffff800000000000)
)

// itimerval builds a struct itimerval {interval, value} from ns.
func itimerval(value, interval int64) []byte {
	le := binary.LittleEndian
	b := le.AppendUint64(nil, uint64(interval/1e9))
	b = le.AppendUint64(b, uint64(interval%1e9/1e3))
	b = le.AppendUint64(b, uint64(value/1e9))
	return le.AppendUint64(b, uint64(value%1e9/1e3))
}

// rawItimerval builds one from raw fields, to pass invalid ones.
func rawItimerval(isec, iusec, vsec, vusec int64) []byte {
	le := binary.LittleEndian
	b := le.AppendUint64(nil, uint64(isec))
	b = le.AppendUint64(b, uint64(iusec))
	b = le.AppendUint64(b, uint64(vsec))
	return le.AppendUint64(b, uint64(vusec))
}

// getitimer returns (value, interval) in ns, microsecond precision.
func (u *utask) getitimer(t *testing.T, which int) (int64, int64) {
	t.Helper()
	va := u.alloc(32)
	_, err := u.call(SYS_getitimer, uint64(which), va)
	require.NoError(t, err)
	b := u.read(va, 32)
	le := binary.LittleEndian
	tv := func(o int) int64 { return int64(le.Uint64(b[o:]))*1e9 + int64(le.Uint64(b[o+8:]))*1e3 }
	return tv(16), tv(0)
}

func (u *utask) setitimer(t *testing.T, which int, value, interval int64) {
	t.Helper()
	_, err := u.call(SYS_setitimer, uint64(which), u.bytes(itimerval(value, interval)), 0)
	require.NoError(t, err)
}

// pendingGroup reports whether sig waits in the process's shared queue.
func (u *utask) pendingGroup(sig int) bool { return u.Signal.SharedPending.Set.Has(sig) }

func (h *harness) advance(d int64) {
	h.now += d
	h.k.RunTimers(h.now)
}

func TestTimerQueueOrderAndCancel(t *testing.T) {
	h := newHarness(t)
	q := &h.k.timers
	rng := rand.New(rand.NewSource(1))
	var fired []int64
	tms := make([]hrtimer, 200)
	for i := range tms {
		tm := &tms[i]
		tm.fn = func(k *Kernel) { fired = append(fired, tm.when) }
		q.start(tm, rng.Int63n(1000)+1)
	}
	// Restart a few (they move), cancel a few (they never fire).
	var want []int64
	for i := range tms {
		switch i % 5 {
		case 0:
			q.start(&tms[i], rng.Int63n(1000)+1)
		case 1:
			assert.True(t, q.cancel(&tms[i]))
			assert.False(t, q.cancel(&tms[i]), "cancelling twice")
			continue
		}
		want = append(want, tms[i].when)
	}
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	assert.Equal(t, want[0], h.k.NextTimer())
	h.k.RunTimers(500)
	h.k.RunTimers(1000)
	assert.Equal(t, want, fired, "every timer fired once, in deadline order")
	assert.Zero(t, q.Len())
	assert.Zero(t, h.k.NextTimer())
	for i := range tms {
		_, queued := q.state(&tms[i])
		assert.False(t, queued)
	}
}

func TestTimerQueueSleepersAndTimers(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.SetState(TASK_INTERRUPTIBLE)
	h.k.timers.add(h.now+20*ms, u.Task)
	n := 0
	tm := &hrtimer{fn: func(k *Kernel) {
		n++
		k.timers.start(&hrtimer{fn: func(*Kernel) { n += 10 }}, h.now) // a function may start timers
	}}
	h.k.timers.start(tm, h.now+10*ms)
	assert.Equal(t, h.now+10*ms, h.k.NextTimer())
	h.advance(10 * ms)
	assert.Equal(t, 11, n, "the timer and the one it started ran")
	assert.True(t, u.sleeping())
	assert.Equal(t, h.now+10*ms, h.k.NextTimer())
	h.advance(10 * ms)
	assert.False(t, u.sleeping(), "the sleeper woke")
	assert.Zero(t, h.k.NextTimer())
}

func TestAlarmReturnValue(t *testing.T) {
	for _, tc := range []struct {
		name    string
		first   uint64 // alarm(first)
		elapsed int64  // then this much time passes
		want    uint64 // what alarm(0) returns
	}{
		{"no alarm pending", 0, 0, 0},
		{"full seconds", 5, 0, 5},
		{"3.8 s left rounds up", 5, 1200 * ms, 4},
		{"2.5 s left rounds up", 5, 2500 * ms, 3},
		{"2.4 s left rounds down", 5, 2600 * ms, 2},
		{"0.1 s left is still 1", 5, 4900 * ms, 1},
		{"1 ns left is still 1", 5, 5000*ms - 1, 1},
		{"expired alarm", 5, 5000 * ms, 0},
		{"the argument is an unsigned int", 1<<32 + 7, 0, 7},
		{"UINT_MAX seconds", 1<<32 - 1, 0, 1<<32 - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			u := h.newTask(t)
			r, err := u.call(SYS_alarm, tc.first)
			require.NoError(t, err)
			assert.Zero(t, r)
			h.advance(tc.elapsed)
			r, err = u.call(SYS_alarm, 0)
			require.NoError(t, err)
			assert.Equal(t, tc.want, r)
			r, _ = u.call(SYS_alarm, 0)
			assert.Zero(t, r, "alarm(0) cancelled it")
			assert.Zero(t, h.k.timers.Len())
		})
	}
}

func TestAlarmDeliversSIGALRM(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	_, err := u.call(SYS_alarm, 1)
	require.NoError(t, err)
	_, err = u.call(SYS_pause)
	require.ErrorIs(t, err, errBlock)
	h.advance(999 * ms)
	assert.True(t, u.sleeping(), "not yet")
	assert.False(t, u.pendingGroup(SIGALRM))
	h.advance(1 * ms)
	assert.False(t, u.sleeping(), "SIGALRM woke pause")
	require.True(t, u.pendingGroup(SIGALRM), "sent to the process")
	_, err = u.call(SYS_pause)
	assert.Equal(t, errno.ERESTARTNOHAND, err, "pause returns (EINTR once a handler runs)")
	si, ok := h.k.dequeueSignal(u.Task)
	require.True(t, ok)
	assert.Equal(t, SigInfo{Signo: SIGALRM, Code: SI_KERNEL}, si, "SEND_SIG_PRIV: si_code SI_KERNEL, no sender")
	r, _ := u.call(SYS_alarm, 0)
	assert.Zero(t, r, "a one-shot alarm is gone after firing")
	assert.Zero(t, h.k.timers.Len())
}

func TestSetitimerRealPeriodic(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.setitimer(t, ITIMER_REAL, 10*ms, 25*ms)
	v, i := u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, [2]int64{10 * ms, 25 * ms}, [2]int64{v, i})
	h.advance(4*ms + 500)
	v, _ = u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, 5*ms+999*1000, v, "time left, microseconds truncated")

	h.advance(6 * ms) // 10.0005 ms: fired
	assert.True(t, u.pendingGroup(SIGALRM))
	v, i = u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, [2]int64{0, 25 * ms}, [2]int64{v, i}, "not re-armed until the SIGALRM is dequeued")

	// Dequeued 40 ms late: the next expiry is forwarded past now by whole
	// intervals (10 -> 35 -> 60 ms after the start), no burst of signals.
	h.advance(40 * ms) // now = start + 50.0005 ms
	_, ok := h.k.dequeueSignal(u.Task)
	require.True(t, ok)
	v, _ = u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, 9*ms+999*1000, v, "60 ms after the start")
	h.advance(10 * ms)
	assert.True(t, u.pendingGroup(SIGALRM))
	h.k.dequeueSignal(u.Task)
	v, _ = u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, 25*ms-1000, v, "85 ms after the start")

	// A SIGALRM from kill does not re-arm a queued timer twice.
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGALRM, Code: SI_USER}, true)
	h.k.dequeueSignal(u.Task)
	v2, _ := u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, v, v2)

	// Disarm returns the old setting.
	old := u.alloc(32)
	_, err := u.call(SYS_setitimer, ITIMER_REAL, u.bytes(itimerval(0, 5*ms)), old)
	require.NoError(t, err)
	assert.Equal(t, itimerval(25*ms-1000, 25*ms), u.read(old, 32))
	v, i = u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, [2]int64{0, 0}, [2]int64{v, i}, "a zero value clears the interval too")
	assert.Zero(t, h.k.timers.Len())
}

func TestItimerRealBlockedAndIgnored(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked |= Bit(SIGALRM)
	u.setitimer(t, ITIMER_REAL, 10*ms, 10*ms)
	h.advance(100 * ms)
	assert.True(t, u.pendingGroup(SIGALRM), "blocked: stays pending")
	v, i := u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, [2]int64{0, 10 * ms}, [2]int64{v, i})
	u.Blocked = 0
	_, ok := h.k.dequeueSignal(u.Task)
	require.True(t, ok)
	v, _ = u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, 10*ms, v, "re-armed on dequeue")

	// Ignored: the signal is discarded when sent, so a periodic timer
	// stops (nothing dequeues it), as on Linux.
	u.Sighand.Action[SIGALRM-1].Handler = SIG_IGN
	h.advance(10 * ms)
	assert.False(t, u.pendingGroup(SIGALRM))
	v, i = u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, [2]int64{0, 10 * ms}, [2]int64{v, i})
	h.advance(100 * ms)
	assert.Zero(t, h.k.timers.Len())
}

func TestSetitimerErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	good := u.bytes(itimerval(1000*ms, 0))
	for _, tc := range []struct {
		name       string
		which      uint64
		value, old uint64
		want       error
	}{
		{"bad which", 3, good, 0, errno.EINVAL},
		{"negative which", ^uint64(0), good, 0, errno.EINVAL},
		{"which is an int", 1<<32 | ITIMER_REAL, good, 0, nil},
		{"bad value pointer before bad which", 3, badAddr, 0, errno.EFAULT},
		{"bad value pointer", ITIMER_REAL, badAddr, 0, errno.EFAULT},
		{"usec 1000000", ITIMER_REAL, u.bytes(rawItimerval(0, 0, 0, 1_000_000)), 0, errno.EINVAL},
		{"negative usec", ITIMER_REAL, u.bytes(rawItimerval(0, 0, 0, -1)), 0, errno.EINVAL},
		{"negative sec", ITIMER_REAL, u.bytes(rawItimerval(0, 0, -1, 0)), 0, errno.EINVAL},
		{"bad interval usec", ITIMER_VIRTUAL, u.bytes(rawItimerval(0, 1_000_000, 1, 0)), 0, errno.EINVAL},
		{"negative interval sec", ITIMER_PROF, u.bytes(rawItimerval(-5, 0, 1, 0)), 0, errno.EINVAL},
		{"usec 999999", ITIMER_REAL, u.bytes(rawItimerval(0, 999_999, 0, 999_999)), 0, nil},
		{"bad old pointer", ITIMER_REAL, good, badAddr, errno.EFAULT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(SYS_setitimer, tc.which, tc.value, tc.old)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.Equal(t, tc.want, err)
			}
		})
	}
	v, _ := u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, 1000*ms, v, "set even though the old value could not be written")

	_, err := u.call(SYS_setitimer, ITIMER_REAL, 0, 0)
	assert.NoError(t, err, "a NULL value disarms")
	v, _ = u.getitimer(t, ITIMER_REAL)
	assert.Zero(t, v)

	for _, tc := range []struct {
		name  string
		which uint64
		va    uint64
		want  error
	}{
		{"getitimer bad which", 3, u.alloc(32), errno.EINVAL},
		{"getitimer bad which and pointer", 7, badAddr, errno.EINVAL},
		{"getitimer bad pointer", ITIMER_REAL, badAddr, errno.EFAULT},
		{"getitimer NULL", ITIMER_VIRTUAL, 0, errno.EFAULT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(SYS_getitimer, tc.which, tc.va)
			assert.Equal(t, tc.want, err)
		})
	}
}

func TestSetitimerHugeValue(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	_, err := u.call(SYS_setitimer, ITIMER_REAL, u.bytes(rawItimerval(0, 0, 1<<62, 0)), 0)
	require.NoError(t, err)
	v, _ := u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, (ktimeMax-h.now)/1000*1000, v, "saturated at KTIME_MAX")
	h.advance(1 << 40)
	assert.False(t, u.pendingGroup(SIGALRM))
}

func TestItimersForkExit(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.setitimer(t, ITIMER_REAL, 1000*ms, 1000*ms)
	u.setitimer(t, ITIMER_VIRTUAL, 1000*ms, 0)
	c := h.fork(t, u.Task)
	for _, which := range []int{ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF} {
		v, i := c.getitimer(t, which)
		assert.Zero(t, v+i, "fork does not inherit timer %d", which)
	}
	r, _ := c.call(SYS_alarm, 0)
	assert.Zero(t, r)
	v, _ := u.getitimer(t, ITIMER_REAL)
	assert.Equal(t, 1000*ms, v, "the parent's is untouched")

	// A thread shares them; the process's exit cancels them.
	th, err := h.k.copyProcess(u.Task, CloneArgs{Flags: CLONE_VM | CLONE_SIGHAND | CLONE_THREAD})
	require.NoError(t, err)
	tu := &utask{Task: th, h: h, base: u.base, next: u.next + 64<<10} // same mm
	v, _ = tu.getitimer(t, ITIMER_REAL)
	assert.Equal(t, 1000*ms, v)
	h.k.DoExit(u.Task, 0)
	assert.Equal(t, 1, h.k.timers.Len(), "a thread is left: the timers stay")
	h.k.DoExit(th, 0)
	assert.Zero(t, h.k.timers.Len(), "the last thread's exit cancels ITIMER_REAL")
	assert.False(t, u.Signal.it.cpuArmed.Load())
	h.advance(2000 * ms)
}

func TestItimerRealFromThreadAfterLeaderExit(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	th, err := h.k.copyProcess(u.Task, CloneArgs{Flags: CLONE_VM | CLONE_SIGHAND | CLONE_THREAD})
	require.NoError(t, err)
	h.k.WakeUpNewTask(th)
	_, err = u.call(SYS_alarm, 1)
	require.NoError(t, err)
	h.k.DoExit(u.Task, 0) // the leader exits (pthread_exit from main)
	th.SetState(TASK_INTERRUPTIBLE)
	h.advance(1000 * ms)
	assert.True(t, u.pendingGroup(SIGALRM), "the process still gets it")
	assert.Equal(t, int32(TASK_RUNNING), th.State(), "through its live thread")
}

func TestItimerVirtualProf(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	tick := h.k.tickNsec()
	u.Utime, u.Stime = 100*ms, 50*ms
	u.setitimer(t, ITIMER_VIRTUAL, 10*ms, 20*ms)
	u.setitimer(t, ITIMER_PROF, 10*ms, 0)
	v, i := u.getitimer(t, ITIMER_VIRTUAL)
	assert.Equal(t, [2]int64{10*ms + tick, 20 * ms}, [2]int64{v, i}, "one tick longer, as set_cpu_itimer")
	assert.True(t, u.Signal.it.cpuArmed.Load())
	assert.True(t, u.exitWork(), "the way to user mode checks them")

	u.Stime += 8 * ms // system time: PROF only
	require.True(t, h.k.PrepareToRun(u.Task))
	v, _ = u.getitimer(t, ITIMER_VIRTUAL)
	assert.Equal(t, 10*ms+tick, v)
	v, _ = u.getitimer(t, ITIMER_PROF)
	assert.Equal(t, 2*ms+tick, v)
	assert.False(t, u.pendingGroup(SIGPROF))

	u.Utime += 10 * ms
	h.k.checkCPUItimers(u.Task)
	assert.True(t, u.pendingGroup(SIGPROF), "PROF: 18 ms of user+system time")
	assert.False(t, u.pendingGroup(SIGVTALRM), "VIRTUAL: 10 ms of user time, needs %d", 10*ms+tick)
	v, i = u.getitimer(t, ITIMER_PROF)
	assert.Equal(t, [2]int64{0, 0}, [2]int64{v, i}, "one-shot PROF disarmed")

	// Another thread's user time counts for the process.
	th, err := h.k.copyProcess(u.Task, CloneArgs{Flags: CLONE_VM | CLONE_SIGHAND | CLONE_THREAD})
	require.NoError(t, err)
	th.Utime = tick
	h.k.checkCPUItimers(th)
	assert.True(t, u.pendingGroup(SIGVTALRM))
	v, i = u.getitimer(t, ITIMER_VIRTUAL)
	assert.Equal(t, [2]int64{20 * ms, 20 * ms}, [2]int64{v, i}, "reloaded from the interval")

	// The time of a thread that exited stays in the process's clocks.
	h.k.DoExit(th, 0)
	v, _ = u.getitimer(t, ITIMER_VIRTUAL)
	assert.Equal(t, 20*ms, v)

	// Old values come back relative; an expired one as a tick.
	old := u.alloc(32)
	u.Utime += 30 * ms // past the expiry, not yet checked
	_, err = u.call(SYS_setitimer, ITIMER_VIRTUAL, u.bytes(itimerval(0, 7*ms)), old)
	require.NoError(t, err)
	assert.Equal(t, itimerval(tick, 20*ms), u.read(old, 32))
	v, i = u.getitimer(t, ITIMER_VIRTUAL)
	assert.Equal(t, [2]int64{0, 7 * ms}, [2]int64{v, i}, "the interval is kept while disarmed")
	assert.False(t, u.Signal.it.cpuArmed.Load())
	u.Signal.SharedPending = SigPending{}
	u.Signal.sigpending.Store(false)
	u.sigpending.Store(false)
	assert.False(t, u.exitWork(), "nothing armed: the fast path again")
}

func TestTimes(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Utime, u.Stime = 1234*ms, 56*ms
	th, err := h.k.copyProcess(u.Task, CloneArgs{Flags: CLONE_VM | CLONE_SIGHAND | CLONE_THREAD})
	require.NoError(t, err)
	th.Utime, th.Stime = 100*ms, 10*ms
	h.k.DoExit(th, 0) // a dead thread's time still counts

	// A child with a thread of its own and a reaped grandchild.
	c := h.fork(t, u.Task)
	c.Utime, c.Stime = 300*ms, 30*ms
	cth, err := h.k.copyProcess(c.Task, CloneArgs{Flags: CLONE_VM | CLONE_SIGHAND | CLONE_THREAD})
	require.NoError(t, err)
	cth.Utime, cth.Stime = 20*ms, 9*ms
	c.Signal.CUtime, c.Signal.CStime = 5*ms, 1*ms
	h.k.DoExit(cth, 0)
	h.k.DoExit(c.Task, 0)
	buf := u.alloc(32)
	r, err := u.call(SYS_times, buf)
	require.NoError(t, err)
	assert.Equal(t, uint64(h.now/10_000_000), r, "clock ticks since boot")
	b := u.read(buf, 32)
	le := binary.LittleEndian
	tms := [4]uint64{le.Uint64(b), le.Uint64(b[8:]), le.Uint64(b[16:]), le.Uint64(b[24:])}
	assert.Equal(t, [4]uint64{133, 6, 0, 0}, tms, "the child is not reaped yet")

	res, ok, err := h.k.doWait(u.Task, -1, 0)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, 325*ms, res.Utime, "wait4's rusage: the child's threads and its children")
	_, err = u.call(SYS_times, buf)
	require.NoError(t, err)
	b = u.read(buf, 32)
	tms = [4]uint64{le.Uint64(b), le.Uint64(b[8:]), le.Uint64(b[16:]), le.Uint64(b[24:])}
	assert.Equal(t, [4]uint64{133, 6, 32, 4}, tms, "cutime 325 ms, cstime 40 ms")

	// getrusage agrees.
	ru := u.alloc(144)
	_, err = u.call(SYS_getrusage, uint64(RUSAGE_CHILDREN&0xffffffff), ru)
	require.NoError(t, err)
	assert.Equal(t, uint64(325_000), le.Uint64(u.read(ru+8, 8)))
	_, err = u.call(SYS_getrusage, RUSAGE_SELF, ru)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), le.Uint64(u.read(ru, 8)))
	assert.Equal(t, uint64(334_000), le.Uint64(u.read(ru+8, 8)), "1.334 s of user time")

	h.now += 25 * ms
	r, err = u.call(SYS_times, 0)
	require.NoError(t, err, "NULL buffer")
	assert.Equal(t, uint64(h.now/10_000_000), r)
	_, err = u.call(SYS_times, badAddr)
	assert.Equal(t, errno.EFAULT, err)
}

func TestGettimeofday(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	h.now += 123_456_789
	tv := u.alloc(16)
	tz := u.bytes([]byte{1, 2, 3, 4, 5, 6, 7, 8})
	_, err := u.call(SYS_gettimeofday, tv, tz)
	require.NoError(t, err)
	wall := h.k.Wall()
	le := binary.LittleEndian
	assert.Equal(t, uint64(wall/1e9), le.Uint64(u.read(tv, 8)))
	assert.Equal(t, uint64(wall%1e9/1e3), le.Uint64(u.read(tv+8, 8)), "microseconds, truncated")
	assert.Equal(t, make([]byte, 8), u.read(tz, 8), "sys_tz: zeros")

	for _, tc := range []struct {
		name   string
		tv, tz uint64
		want   error
	}{
		{"both NULL", 0, 0, nil},
		{"tz only", 0, tz, nil},
		{"bad tv", badAddr, 0, errno.EFAULT},
		{"bad tz", tv, badAddr, errno.EFAULT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(SYS_gettimeofday, tc.tv, tc.tz)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.Equal(t, tc.want, err)
			}
		})
	}
}

func TestSysinfo(t *testing.T) {
	for _, tc := range []struct {
		name   string
		now    int64
		uptime uint64
	}{
		{"whole seconds", 7_000_000_000, 7},
		{"rounded up", 7_000_000_001, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			u := h.newTask(t)
			h.fork(t, u.Task)
			h.now = tc.now
			va := u.bytes(make([]byte, sysinfoSize+8))
			_, err := u.call(SYS_sysinfo, va)
			require.NoError(t, err)
			b := u.read(va, sysinfoSize+8)
			le := binary.LittleEndian
			assert.Equal(t, tc.uptime, le.Uint64(b[0:]))
			assert.Equal(t, make([]byte, 24), b[8:32], "loads")
			total, free := le.Uint64(b[32:]), le.Uint64(b[40:])
			assert.Equal(t, uint64(harnessFrames*4096), total)
			assert.Equal(t, uint64(h.k.Frames.FreeCount()*4096), free)
			assert.Less(t, free, total)
			assert.Equal(t, uint16(2), le.Uint16(b[80:]), "procs: the two tasks")
			assert.Equal(t, uint32(1), le.Uint32(b[104:]), "mem_unit")
			assert.Equal(t, make([]byte, 8), b[sysinfoSize:], "nothing written past the struct")
		})
	}
	h := newHarness(t)
	u := h.newTask(t)
	_, err := u.call(SYS_sysinfo, badAddr)
	assert.Equal(t, errno.EFAULT, err)
	_, err = u.call(SYS_sysinfo, 0)
	assert.Equal(t, errno.EFAULT, err)
}

func TestGetcpu(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	const untouched = 0x09090909
	cpu, node := u.alloc(4), u.alloc(4)
	for _, tc := range []struct {
		name      string
		cpu, node uint64
		want      error
		wantCPU   uint32
		wantNode  uint32
	}{
		{"both", cpu, node, nil, 0, 0},
		{"neither", 0, 0, nil, untouched, untouched},
		{"bad cpu, node still written", badAddr, node, errno.EFAULT, untouched, 0},
		{"bad node, cpu still written", cpu, badAddr, errno.EFAULT, 0, untouched},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u.MM.CopyOut(cpu, []byte{9, 9, 9, 9})
			u.MM.CopyOut(node, []byte{9, 9, 9, 9})
			_, err := u.call(SYS_getcpu, tc.cpu, tc.node, 0)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.Equal(t, tc.want, err)
			}
			assert.Equal(t, tc.wantCPU, u.u32(cpu))
			assert.Equal(t, tc.wantNode, u.u32(node))
		})
	}
}
