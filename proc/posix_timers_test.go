package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

// sigeventBytes builds a sigevent_t.
func sigeventBytes(notify, signo int32, value uint64, tid int32) []byte {
	b := make([]byte, sigeventSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], value)
	le.PutUint32(b[8:], uint32(signo))
	le.PutUint32(b[12:], uint32(notify))
	le.PutUint32(b[16:], uint32(tid))
	return b
}

// timerCreate makes a timer and returns its ID.
func (u *utask) timerCreate(t *testing.T, clock int32, ev []byte) uint64 {
	t.Helper()
	var evVA uint64
	if ev != nil {
		evVA = u.bytes(ev)
	}
	idVA := u.alloc(4)
	_, err := u.call(SYS_timer_create, uint64(uint32(clock)), evVA, idVA)
	require.NoError(t, err)
	return uint64(u.u32(idVA))
}

func (u *utask) timerSet(t *testing.T, id uint64, flags uint64, value, interval int64) {
	t.Helper()
	_, err := u.call(SYS_timer_settime, id, flags, u.itimerspec(value, interval), 0)
	require.NoError(t, err)
}

func (u *utask) timerGet(t *testing.T, id uint64) (int64, int64) {
	t.Helper()
	va := u.alloc(itimerspecSize)
	_, err := u.call(SYS_timer_gettime, id, va)
	require.NoError(t, err)
	return u.readItimerspec(va)
}

func TestTimerCreateErrors(t *testing.T) {
	tests := []struct {
		name  string
		clock int32
		ev    []byte
		err   error
	}{
		{"NULL sigevent", CLOCK_MONOTONIC, nil, nil},
		{"SIGEV_SIGNAL", CLOCK_REALTIME, sigeventBytes(SIGEV_SIGNAL, SIGUSR1, 0, 0), nil},
		{"SIGEV_NONE ignores the signal", CLOCK_BOOTTIME, sigeventBytes(SIGEV_NONE, 0, 0, 0), nil},
		{"SIGEV_THREAD is SIGEV_SIGNAL", CLOCK_MONOTONIC, sigeventBytes(SIGEV_THREAD, SIGRTMIN, 0, 0), nil},
		{"process CPU clock", CLOCK_PROCESS_CPUTIME_ID, nil, nil},
		{"thread CPU clock", CLOCK_THREAD_CPUTIME_ID, nil, nil},
		{"alarm clock", CLOCK_REALTIME_ALARM, nil, errno.EOPNOTSUPP},
		{"TAI", CLOCK_TAI, nil, nil},
		{"bad clock", 99, nil, errno.EINVAL},
		{"clock 10", 10, nil, errno.EINVAL},
		{"MONOTONIC_RAW cannot carry timers", CLOCK_MONOTONIC_RAW, nil, errno.EOPNOTSUPP},
		{"COARSE cannot carry timers", CLOCK_REALTIME_COARSE, nil, errno.EOPNOTSUPP},
		{"a posix clock fd", ^3<<3 | clockfd, nil, errno.EINVAL},
		{"CPU clock of no process", ^1000<<3 | cpuclockSched, nil, errno.EINVAL},
		{"CPU clock 3", ^0<<3 | 3, nil, errno.EINVAL},
		{"bad notify", CLOCK_MONOTONIC, sigeventBytes(3, SIGUSR1, 0, 0), errno.EINVAL},
		{"NONE|THREAD_ID", CLOCK_MONOTONIC, sigeventBytes(SIGEV_NONE|SIGEV_THREAD_ID, SIGUSR1, 0, 0), errno.EINVAL},
		{"signal 0", CLOCK_MONOTONIC, sigeventBytes(SIGEV_SIGNAL, 0, 0, 0), errno.EINVAL},
		{"signal 65", CLOCK_MONOTONIC, sigeventBytes(SIGEV_SIGNAL, 65, 0, 0), errno.EINVAL},
		{"THREAD_ID of no thread", CLOCK_MONOTONIC, sigeventBytes(SIGEV_THREAD_ID, SIGUSR1, 0, 4000), errno.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newHarness(t).newTask(t)
			var evVA uint64
			if tc.ev != nil {
				evVA = u.bytes(tc.ev)
			}
			idVA := u.alloc(4)
			_, err := u.call(SYS_timer_create, uint64(uint32(tc.clock)), evVA, idVA)
			assert.Equal(t, tc.err, err)
		})
	}
	u := newHarness(t).newTask(t)
	_, err := u.call(SYS_timer_create, CLOCK_MONOTONIC, badAddr, u.alloc(4))
	assert.Equal(t, errno.EFAULT, err, "bad sigevent")
	_, err = u.call(SYS_timer_create, CLOCK_MONOTONIC, 0, badAddr)
	assert.Equal(t, errno.EFAULT, err, "bad ID pointer")
	assert.Equal(t, uint64(1), u.timerCreate(t, CLOCK_MONOTONIC, nil), "the failed call used up ID 0")
	_, err = u.call(SYS_timer_create, CLOCK_BOOTTIME_ALARM, 0, u.alloc(4))
	assert.Equal(t, errno.EOPNOTSUPP, err)
	assert.Equal(t, uint64(3), u.timerCreate(t, CLOCK_MONOTONIC, nil), "so did the alarm clock's")
	_, err = u.call(SYS_timer_create, CLOCK_MONOTONIC_RAW, 0, u.alloc(4))
	assert.Equal(t, errno.EOPNOTSUPP, err)
	assert.Equal(t, uint64(4), u.timerCreate(t, CLOCK_MONOTONIC, nil), "not MONOTONIC_RAW's: it has no timer_create")
}

func TestTimerOneShotSignal(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGUSR1)
	id := u.timerCreate(t, CLOCK_MONOTONIC, sigeventBytes(SIGEV_SIGNAL, SIGUSR1, 42, 0))
	assert.Equal(t, uint64(0), id, "IDs start at 0")
	value, interval := u.timerGet(t, id)
	assert.Zero(t, value+interval, "a new timer is disarmed")
	u.timerSet(t, id, 0, 20*ms, 0)
	h.advance(5 * ms)
	value, _ = u.timerGet(t, id)
	assert.Equal(t, 15*ms, value)
	h.advance(15 * ms)
	require.True(t, u.pendingGroup(SIGUSR1), "the signal goes to the process")
	value, _ = u.timerGet(t, id)
	assert.Zero(t, value, "a fired one-shot timer reads 0")
	si, ok := h.k.dequeueSignalFrom(u.Task, Bit(SIGUSR1))
	require.True(t, ok)
	b := si.encode()
	le := binary.LittleEndian
	assert.Equal(t, int32(SI_TIMER), int32(le.Uint32(b[8:])), "si_code")
	assert.Equal(t, uint32(id), le.Uint32(b[16:]), "si_timerid")
	assert.Zero(t, le.Uint32(b[20:]), "si_overrun")
	assert.Equal(t, uint64(42), le.Uint64(b[24:]), "si_value")
	n, err := u.call(SYS_timer_getoverrun, id)
	require.NoError(t, err)
	assert.Zero(t, n)

	// A NULL sigevent: SIGALRM with the ID as value.
	id2 := u.timerCreate(t, CLOCK_MONOTONIC, nil)
	assert.Equal(t, uint64(1), id2)
	u.Blocked |= Bit(SIGALRM)
	u.timerSet(t, id2, 0, ms, 0)
	h.advance(ms)
	si, ok = h.k.dequeueSignalFrom(u.Task, Bit(SIGALRM))
	require.True(t, ok)
	assert.Equal(t, uint64(id2), si.Value)
	assert.Equal(t, int32(id2), si.TimerID)
}

func TestTimerPeriodicOverrun(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGRTMIN)
	id := u.timerCreate(t, CLOCK_MONOTONIC, sigeventBytes(SIGEV_SIGNAL, SIGRTMIN, 0, 0))
	u.timerSet(t, id, 0, 10*ms, 10*ms)
	h.advance(10 * ms)
	require.True(t, u.pendingGroup(SIGRTMIN))
	// The timer waits for the signal to be dequeued: no more signals.
	for range 10 {
		h.advance(10 * ms)
	}
	assert.Len(t, u.Signal.SharedPending.queue, 1, "one signal, however long it waits")
	value, interval := u.timerGet(t, id)
	assert.Equal(t, 10*ms, value, "timer_gettime forwards it")
	assert.Equal(t, 10*ms, interval)
	h.advance(5 * ms)
	si, ok := h.k.dequeueSignalFrom(u.Task, Bit(SIGRTMIN))
	require.True(t, ok)
	assert.Equal(t, int32(10), si.Overrun, "the periods missed since it fired")
	n, _ := u.call(SYS_timer_getoverrun, id)
	assert.Equal(t, uint64(10), n)
	value, _ = u.timerGet(t, id)
	assert.Equal(t, 5*ms, value, "re-armed on its next period")
	h.advance(5 * ms)
	si, ok = h.k.dequeueSignalFrom(u.Task, Bit(SIGRTMIN))
	require.True(t, ok)
	assert.Zero(t, si.Overrun)

	// Re-setting the timer while its signal waits: the dequeue does not
	// re-arm the new setting.
	h.advance(10 * ms)
	require.True(t, u.pendingGroup(SIGRTMIN))
	u.timerSet(t, id, 0, 100*ms, 0)
	_, ok = h.k.dequeueSignalFrom(u.Task, Bit(SIGRTMIN))
	require.True(t, ok)
	value, interval = u.timerGet(t, id)
	assert.Equal(t, 100*ms, value)
	assert.Zero(t, interval)
}

func TestTimerIgnoredSignalKeepsTicking(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	id := u.timerCreate(t, CLOCK_MONOTONIC, sigeventBytes(SIGEV_SIGNAL, SIGCHLD, 0, 0)) // ignored by default
	u.timerSet(t, id, 0, 10*ms, 10*ms)
	h.advance(10 * ms)
	assert.False(t, u.pendingGroup(SIGCHLD))
	_, queued := h.k.timers.state(&u.Signal.posix.timers[int32(id)].hr)
	assert.True(t, queued, "re-armed at once, as no dequeue will")
}

func TestTimerSigevNone(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	id := u.timerCreate(t, CLOCK_MONOTONIC, sigeventBytes(SIGEV_NONE, 0, 0, 0))
	u.timerSet(t, id, 0, 10*ms, 0)
	assert.Zero(t, h.k.timers.Len(), "never queued")
	h.advance(4 * ms)
	value, _ := u.timerGet(t, id)
	assert.Equal(t, 6*ms, value)
	h.advance(10 * ms)
	value, _ = u.timerGet(t, id)
	assert.Zero(t, value, "an expired SIGEV_NONE one-shot reads 0")
	u.timerSet(t, id, 0, 10*ms, 4*ms)
	h.advance(15 * ms)
	value, _ = u.timerGet(t, id)
	assert.Equal(t, 3*ms, value, "periodic: the time to the next period")
	u.timerSet(t, id, 0, 10*ms, 0)
	u.timerSet(t, id, 0, 0, 0)
	value, interval := u.timerGet(t, id)
	assert.Equal(t, 10*ms, value, "disarmed, it still reads its old expiry, as in Linux")
	assert.Zero(t, interval)
}

func TestTimerAbstime(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGUSR1)
	id := u.timerCreate(t, CLOCK_REALTIME, sigeventBytes(SIGEV_SIGNAL, SIGUSR1, 0, 0))
	u.timerSet(t, id, TIMER_ABSTIME, h.k.Wall()+30*ms, 0)
	value, _ := u.timerGet(t, id)
	assert.Equal(t, 30*ms, value)
	h.advance(29 * ms)
	assert.False(t, u.pendingGroup(SIGUSR1))
	h.advance(ms)
	assert.True(t, u.pendingGroup(SIGUSR1))
}

func TestTimerSettimeErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	id := u.timerCreate(t, CLOCK_MONOTONIC, nil)
	badNsec := u.itimerspec(0, 0)
	require.NoError(t, u.MM.CopyOut(badNsec+24, binary.LittleEndian.AppendUint64(nil, 1e9)))
	good := u.itimerspec(1e9, 0)
	tests := []struct {
		name   string
		id, va uint64
		err    error
	}{
		{"ok", id, good, nil},
		{"NULL", id, 0, errno.EINVAL},
		{"bad pointer", id, badAddr, errno.EFAULT},
		{"EFAULT before a bad ID", 77, badAddr, errno.EFAULT},
		{"tv_nsec 1e9", id, badNsec, errno.EINVAL},
		{"unknown ID", 77, good, errno.EINVAL},
		{"negative ID", uint64(0xffffffff), good, errno.EINVAL},
		{"ID in the upper bits", 1<<32 | id, good, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(SYS_timer_settime, tc.id, 0, tc.va, 0)
			assert.Equal(t, tc.err, err)
		})
	}
	old := u.alloc(itimerspecSize)
	_, err := u.call(SYS_timer_settime, id, 0, u.itimerspec(5e9, 1e9), old)
	require.NoError(t, err)
	value, _ := u.readItimerspec(old)
	assert.Equal(t, int64(1e9), value, "the old value")
	_, err = u.call(SYS_timer_delete, id)
	require.NoError(t, err)
	for _, nr := range []uint64{SYS_timer_delete, SYS_timer_getoverrun} {
		_, err = u.call(nr, id)
		assert.Equal(t, errno.EINVAL, err)
	}
	_, err = u.call(SYS_timer_gettime, id, old)
	assert.Equal(t, errno.EINVAL, err)
	assert.Zero(t, h.k.timers.Len(), "delete dequeued it")
}

func TestTimerThreadID(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	other := h.newTask(t)
	_, err := u.call(SYS_timer_create, CLOCK_MONOTONIC, u.bytes(sigeventBytes(SIGEV_THREAD_ID, SIGUSR1, 0, int32(other.PID))), u.alloc(4))
	assert.Equal(t, errno.EINVAL, err, "another process's thread")
	u.Blocked = Bit(SIGUSR1)
	id := u.timerCreate(t, CLOCK_MONOTONIC, sigeventBytes(SIGEV_THREAD_ID, SIGUSR1, 0, int32(u.PID)))
	u.timerSet(t, id, 0, ms, 0)
	h.advance(ms)
	assert.True(t, u.Pending.Set.Has(SIGUSR1), "queued for the thread")
	assert.False(t, u.pendingGroup(SIGUSR1))
}

func TestTimersNotInheritedDeletedAtExit(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	id := u.timerCreate(t, CLOCK_MONOTONIC, nil)
	u.timerSet(t, id, 0, 10*ms, 0)
	c := h.fork(t, u.Task)
	_, err := c.call(SYS_timer_gettime, id, c.alloc(itimerspecSize))
	assert.Equal(t, errno.EINVAL, err, "fork does not copy timers")
	assert.Equal(t, uint64(0), c.timerCreate(t, CLOCK_MONOTONIC, nil), "the child's IDs start at 0")
	h.k.exitPosixTimers(u.Signal)
	assert.Zero(t, h.k.timers.Len())
}

func TestTimerExecFlushesSignals(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGUSR1) | Bit(SIGUSR2)
	id := u.timerCreate(t, CLOCK_MONOTONIC, sigeventBytes(SIGEV_SIGNAL, SIGUSR1, 0, 0))
	u.timerSet(t, id, 0, ms, 0)
	h.advance(ms)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR2, Code: SI_USER}, true)
	h.k.execPosixTimers(u.Task)
	assert.False(t, u.pendingGroup(SIGUSR1), "the timer's signal is dropped")
	assert.True(t, u.pendingGroup(SIGUSR2), "others stay")
	_, err := u.call(SYS_timer_gettime, id, u.alloc(itimerspecSize))
	assert.Equal(t, errno.EINVAL, err)
}

func TestTimerCPUClock(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGUSR1)
	id := u.timerCreate(t, CLOCK_PROCESS_CPUTIME_ID, sigeventBytes(SIGEV_SIGNAL, SIGUSR1, 0, 0))
	u.timerSet(t, id, 0, 10*ms, 4*ms)
	assert.True(t, u.Signal.posix.cpuArmed.Load())
	tick := func(d int64) {
		u.Utime += d
		h.k.checkPosixCPUTimers(u.Task)
	}
	tick(4 * ms)
	value, interval := u.timerGet(t, id)
	assert.Equal(t, 6*ms, value)
	assert.Equal(t, 4*ms, interval)
	tick(6 * ms)
	require.True(t, u.pendingGroup(SIGUSR1))
	assert.False(t, u.Signal.posix.cpuArmed.Load(), "disarmed until the dequeue")
	tick(9 * ms)
	si, ok := h.k.dequeueSignalFrom(u.Task, Bit(SIGUSR1))
	require.True(t, ok)
	assert.Equal(t, int32(2), si.Overrun, "two periods passed meanwhile")
	assert.True(t, u.Signal.posix.cpuArmed.Load(), "re-armed")
	value, _ = u.timerGet(t, id)
	assert.Equal(t, 3*ms, value)

	// A thread clock runs on that thread's time only.
	tid := u.timerCreate(t, CLOCK_THREAD_CPUTIME_ID, sigeventBytes(SIGEV_NONE, 0, 0, 0))
	u.timerSet(t, tid, 0, 10*ms, 0)
	u.Utime += 3 * ms
	value, _ = u.timerGet(t, tid)
	assert.Equal(t, 7*ms, value)

	// A time already passed fires at once.
	u.Blocked |= Bit(SIGUSR2)
	id2 := u.timerCreate(t, CLOCK_PROCESS_CPUTIME_ID, sigeventBytes(SIGEV_SIGNAL, SIGUSR2, 0, 0))
	u.timerSet(t, id2, TIMER_ABSTIME, ms, 0)
	assert.True(t, u.pendingGroup(SIGUSR2))
}

// FuzzTimerSyscalls feeds arbitrary sigevents and itimerspecs: errors,
// never a panic.
func FuzzTimerSyscalls(f *testing.F) {
	f.Add(int32(CLOCK_MONOTONIC), sigeventBytes(SIGEV_SIGNAL, SIGUSR1, 1, 0), make([]byte, itimerspecSize), uint64(0))
	f.Add(int32(CLOCK_PROCESS_CPUTIME_ID), sigeventBytes(SIGEV_NONE, 0, 0, 0), make([]byte, itimerspecSize), uint64(TIMER_ABSTIME))
	f.Fuzz(func(t *testing.T, clock int32, ev, spec []byte, flags uint64) {
		h := newHarness(t)
		u := h.newTask(t)
		ev = append(ev, make([]byte, sigeventSize)...)[:sigeventSize]
		spec = append(spec, make([]byte, itimerspecSize)...)[:itimerspecSize]
		idVA := u.alloc(4)
		if _, err := u.call(SYS_timer_create, uint64(uint32(clock)), u.bytes(ev), idVA); err != nil {
			return
		}
		id := uint64(u.u32(idVA))
		out := u.alloc(itimerspecSize)
		u.call(SYS_timer_settime, id, flags, u.bytes(spec), out)
		h.advance(1e9)
		u.Utime += 1e9
		h.k.checkPosixCPUTimers(u.Task)
		u.call(SYS_timer_gettime, id, out)
		u.call(SYS_timer_getoverrun, id)
		h.k.dequeueSignal(u.Task)
		u.call(SYS_timer_delete, id)
	})
}

func TestCPUClockByPID(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	other := h.newTask(t)
	u.Utime, u.Stime = 3*ms, 2*ms
	other.Utime = 7 * ms
	mk := func(pid int, thread bool, which int32) uint64 {
		c := ^int32(pid)<<3 | which
		if thread {
			c |= cpuclockPerthreadMask
		}
		return uint64(uint32(c))
	}
	tests := []struct {
		name  string
		clock uint64
		want  int64
		res   int64
		err   error
	}{
		{"own process, SCHED", mk(u.PID, false, cpuclockSched), 5 * ms, 1, nil},
		{"own process, VIRT", mk(u.PID, false, cpuclockVirt), 3 * ms, 4 * ms, nil},
		{"PID 0 thread, PROF", mk(0, true, cpuclockProf), 5 * ms, 4 * ms, nil},
		{"another process", mk(other.PID, false, cpuclockSched), 7 * ms, 1, nil},
		{"another process's thread", mk(other.PID, true, cpuclockSched), 0, 0, errno.EINVAL},
		{"no such PID", mk(4000, false, cpuclockSched), 0, 0, errno.EINVAL},
		{"which 3", mk(0, false, 3), 0, 0, errno.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			va := u.alloc(16)
			_, err := u.call(SYS_clock_gettime, tc.clock, va)
			require.Equal(t, tc.err, err)
			if err != nil {
				return
			}
			b := u.read(va, 16)
			assert.Equal(t, tc.want, int64(binary.LittleEndian.Uint64(b[8:])))
			_, err = u.call(SYS_clock_getres, tc.clock, va)
			require.NoError(t, err)
			assert.Equal(t, tc.res, int64(binary.LittleEndian.Uint64(u.read(va, 16)[8:])))
		})
	}
}
