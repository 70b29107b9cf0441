package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

// itimerspec puts a struct itimerspec in u's memory.
func (u *utask) itimerspec(value, interval int64) uint64 {
	b := make([]byte, itimerspecSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], uint64(interval/1e9))
	le.PutUint64(b[8:], uint64(interval%1e9))
	le.PutUint64(b[16:], uint64(value/1e9))
	le.PutUint64(b[24:], uint64(value%1e9))
	return u.bytes(b)
}

// readItimerspec reads a struct itimerspec back: value, interval.
func (u *utask) readItimerspec(va uint64) (int64, int64) {
	b := u.read(va, itimerspecSize)
	le := binary.LittleEndian
	return int64(le.Uint64(b[16:]))*1e9 + int64(le.Uint64(b[24:])), int64(le.Uint64(b[0:]))*1e9 + int64(le.Uint64(b[8:]))
}

func TestTimerfdCreate(t *testing.T) {
	tests := []struct {
		name          string
		clock, flags  uint64
		err           error
		cloexec, nblk bool
	}{
		{"monotonic", CLOCK_MONOTONIC, 0, nil, false, false},
		{"realtime, all flags", CLOCK_REALTIME, TFD_CLOEXEC | TFD_NONBLOCK, nil, true, true},
		{"boottime", CLOCK_BOOTTIME, 0, nil, false, false},
		{"alarm clock", CLOCK_BOOTTIME_ALARM, 0, nil, false, false},
		{"CPU clock", CLOCK_PROCESS_CPUTIME_ID, 0, errno.EINVAL, false, false},
		{"bad clock", 99, 0, errno.EINVAL, false, false},
		{"bad flags", CLOCK_MONOTONIC, 1, errno.EINVAL, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newHarness(t).newTask(t)
			fd, err := u.call(SYS_timerfd_create, tc.clock, tc.flags)
			if tc.err != nil {
				assert.Equal(t, tc.err, err)
				return
			}
			require.NoError(t, err)
			c, _ := u.Files.Cloexec(int(fd))
			assert.Equal(t, tc.cloexec, c)
			of, _ := u.Files.Get(int(fd))
			defer of.put()
			assert.Equal(t, tc.nblk, of.Nonblock())
			assert.Equal(t, fs.O_RDWR, of.Flags&fs.O_ACCMODE)
		})
	}
}

func TestTimerfdExpirations(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd, err := u.call(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_NONBLOCK)
	require.NoError(t, err)
	buf := u.alloc(8)
	read := func() (uint64, error) {
		_, err := u.call(SYS_read, fd, buf, 8)
		return binary.LittleEndian.Uint64(u.read(buf, 8)), err
	}
	_, err = read()
	assert.Equal(t, errno.EAGAIN, err)
	_, err = u.call(SYS_read, fd, buf, 7)
	assert.Equal(t, errno.EINVAL, err, "a read under 8 bytes")

	// A periodic timer: 10 ms, then every 10 ms.
	_, err = u.call(SYS_timerfd_settime, fd, 0, u.itimerspec(10e6, 10e6), 0)
	require.NoError(t, err)
	of, _ := u.Files.Get(int(fd))
	defer of.put()
	assert.Zero(t, of.File.Poll())
	h.advance(10e6)
	assert.Equal(t, uint32(fs.POLLIN), of.File.Poll())
	h.advance(45e6) // the timer waits for the read: 4.5 more periods
	n, err := read()
	require.NoError(t, err)
	assert.Equal(t, uint64(5), n, "the read counts the periods missed")
	cur := u.alloc(itimerspecSize)
	_, err = u.call(SYS_timerfd_gettime, fd, cur)
	require.NoError(t, err)
	value, interval := u.readItimerspec(cur)
	assert.Equal(t, int64(5e6), value, "re-armed on the next period")
	assert.Equal(t, int64(10e6), interval)

	// timerfd_gettime forwards an expired timer and keeps the count.
	h.advance(25e6)
	_, err = u.call(SYS_timerfd_gettime, fd, cur)
	require.NoError(t, err)
	value, _ = u.readItimerspec(cur)
	assert.Equal(t, int64(10e6), value)
	n, err = read()
	require.NoError(t, err)
	assert.Equal(t, uint64(3), n)

	// Settime returns the old setting and drops the count.
	h.advance(10e6)
	old := u.alloc(itimerspecSize)
	_, err = u.call(SYS_timerfd_settime, fd, 0, u.itimerspec(0, 0), old)
	require.NoError(t, err)
	value, interval = u.readItimerspec(old)
	assert.Equal(t, int64(10e6), value)
	assert.Equal(t, int64(10e6), interval)
	_, err = read()
	assert.Equal(t, errno.EAGAIN, err)
	h.advance(100e6)
	_, err = read()
	assert.Equal(t, errno.EAGAIN, err, "disarmed")
}

func TestTimerfdAbsolutePast(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd, err := u.call(SYS_timerfd_create, CLOCK_REALTIME, TFD_NONBLOCK)
	require.NoError(t, err)
	_, err = u.call(SYS_timerfd_settime, fd, TFD_TIMER_ABSTIME, u.itimerspec(h.k.Wall()-1e9, 100e6), 0)
	require.NoError(t, err)
	h.advance(0)
	buf := u.alloc(8)
	_, err = u.call(SYS_read, fd, buf, 8)
	require.NoError(t, err)
	assert.Equal(t, uint64(11), binary.LittleEndian.Uint64(u.read(buf, 8)), "the periods since the start, and the one now")
}

func TestTimerfdSettimeErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd, err := u.call(SYS_timerfd_create, CLOCK_MONOTONIC, 0)
	require.NoError(t, err)
	efd, err := u.call(SYS_eventfd2, 0, 0)
	require.NoError(t, err)
	good := u.itimerspec(1e9, 0)
	badNsec := u.itimerspec(0, 0)
	require.NoError(t, u.MM.CopyOut(badNsec+24, binary.LittleEndian.AppendUint64(nil, 1e9)))
	tests := []struct {
		name         string
		fd, flags, p uint64
		err          error
	}{
		{"ok", fd, 0, good, nil},
		{"bad flags", fd, 4, good, errno.EINVAL},
		{"tv_nsec 1e9", fd, 0, badNsec, errno.EINVAL},
		{"bad pointer", fd, 0, 0x10, errno.EFAULT},
		{"closed fd", 99, 0, good, errno.EBADF},
		{"not a timerfd", efd, 0, good, errno.EINVAL},
		{"EFAULT before EBADF", 99, 0, 0x10, errno.EFAULT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(SYS_timerfd_settime, tc.fd, tc.flags, tc.p, 0)
			assert.Equal(t, tc.err, err)
		})
	}
}

func TestTimerForwardNegativeExpiry(t *testing.T) {
	// An absolute CLOCK_REALTIME time before boot is a negative
	// monotonic expiry: forwarding it must not overflow.
	next, n := timerForward(-1_500_000_000, 2_000_000_000, 100_000_000)
	assert.Equal(t, int64(2_100_000_000), next)
	assert.Equal(t, int64(36), n)
	next, n = timerForward(5, 4, 10)
	assert.Equal(t, int64(5), next, "not expired yet")
	assert.Zero(t, n)
	next, _ = timerForward(ktimeMax-5, ktimeMax-1, 10)
	assert.Equal(t, int64(ktimeMax), next, "saturates")
}
