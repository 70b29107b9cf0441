package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

func (u *utask) signalfd(t *testing.T, fd int64, mask SigSet, flags uint64) uint64 {
	t.Helper()
	n, err := u.call(SYS_signalfd4, uint64(fd), u.u64(uint64(mask)), 8, flags)
	require.NoError(t, err)
	return n
}

// ssi decodes the fields of a struct signalfd_siginfo the tests look at.
type ssi struct {
	signo, code, pid, uid, tid, overrun, status, intVal uint32
	ptr, addr                                           uint64
}

func decodeSSI(b []byte) ssi {
	le := binary.LittleEndian
	return ssi{
		signo: le.Uint32(b[0:]), code: le.Uint32(b[8:]), pid: le.Uint32(b[12:]), uid: le.Uint32(b[16:]),
		tid: le.Uint32(b[24:]), overrun: le.Uint32(b[32:]), status: le.Uint32(b[40:]), intVal: le.Uint32(b[44:]),
		ptr: le.Uint64(b[48:]), addr: le.Uint64(b[72:]),
	}
}

func TestSignalfdCreateErrors(t *testing.T) {
	u := newHarness(t).newTask(t)
	mask := u.u64(uint64(Bit(SIGUSR1)))
	pr, _ := u.mkpipe(t, 0)
	tests := []struct {
		name                string
		fd, va, size, flags uint64
		err                 error
	}{
		{"ok", ^uint64(0), mask, 8, 0, nil},
		{"sizemask 4", ^uint64(0), mask, 4, 0, errno.EINVAL},
		{"bad mask", ^uint64(0), badAddr, 8, 0, errno.EFAULT},
		{"bad flags", ^uint64(0), mask, 8, 1, errno.EINVAL},
		{"closed fd", 99, mask, 8, 0, errno.EBADF},
		{"fd -2", uint64(0xfffffffe), mask, 8, 0, errno.EBADF},
		{"a pipe", uint64(pr), mask, 8, 0, errno.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(SYS_signalfd4, tc.fd, tc.va, tc.size, tc.flags)
			assert.Equal(t, tc.err, err)
		})
	}
	fd := u.signalfd(t, -1, Bit(SIGUSR1), SFD_NONBLOCK|SFD_CLOEXEC)
	c, _ := u.Files.Cloexec(int(fd))
	assert.True(t, c)
	of, _ := u.Files.Get(int(fd))
	defer of.put()
	assert.True(t, of.Nonblock())
	assert.Equal(t, fs.O_RDWR, of.Flags&fs.O_ACCMODE)
	assert.Equal(t, Bit(SIGUSR1), of.sigfd.sigmask())
	assert.Equal(t, fd, u.signalfd(t, int64(fd), Bit(SIGKILL)|Bit(SIGSTOP)|Bit(SIGUSR2), 0), "a new mask through the fd")
	assert.Equal(t, Bit(SIGUSR2), of.sigfd.sigmask(), "never SIGKILL or SIGSTOP")
	assert.True(t, of.Nonblock(), "the flags stay")
	_, err := u.call(SYS_write, fd, u.alloc(128), 128)
	assert.Equal(t, errno.EINVAL, err, "no write")
}

func TestSignalfdRead(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGUSR1) | Bit(SIGRTMIN) | Bit(SIGUSR2)
	fd := u.signalfd(t, -1, Bit(SIGUSR1)|Bit(SIGRTMIN), SFD_NONBLOCK)
	of, _ := u.Files.Get(int(fd))
	defer of.put()
	buf := u.alloc(4 * signalfdSiginfoSize)
	_, err := u.call(SYS_read, fd, buf, 128)
	assert.Equal(t, errno.EAGAIN, err)
	_, err = u.call(SYS_read, fd, buf, 127)
	assert.Equal(t, errno.EINVAL, err)
	assert.Zero(t, of.pollFor(u.Task))

	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR2, Code: SI_USER}, true)
	assert.Zero(t, of.pollFor(u.Task), "outside the mask")
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER, PID: 7, UID: 3}, true)
	assert.Equal(t, uint32(fs.POLLIN), of.pollFor(u.Task))
	assert.Equal(t, uint32(fs.POLLIN), of.File.Poll(), "epoll's view: the owner's")
	for _, v := range []uint64{5, 6} {
		raw := new([128]byte)
		binary.LittleEndian.PutUint32(raw[8:], 0xffffffff) // SI_QUEUE
		binary.LittleEndian.PutUint64(raw[24:], v)
		h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGRTMIN, Code: SI_QUEUE, Raw: raw}, true)
	}
	n, err := u.call(SYS_read, fd, buf, 4*signalfdSiginfoSize)
	require.NoError(t, err)
	require.Equal(t, uint64(3*signalfdSiginfoSize), n)
	s := decodeSSI(u.read(buf, 128))
	assert.Equal(t, ssi{signo: SIGUSR1, code: SI_USER, pid: 7, uid: 3}, s)
	s = decodeSSI(u.read(buf+128, 128))
	assert.Equal(t, uint32(SIGRTMIN), s.signo)
	assert.Equal(t, uint32(5), s.intVal)
	assert.Equal(t, uint64(5), s.ptr)
	assert.Equal(t, uint32(6), decodeSSI(u.read(buf+256, 128)).intVal)
	assert.True(t, u.pendingGroup(SIGUSR2), "the signal outside the mask stays")
	assert.Zero(t, of.pollFor(u.Task))
}

func TestSignalfdBlockingRead(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGUSR1)
	fd := u.signalfd(t, -1, Bit(SIGUSR1), 0)
	buf := u.alloc(128)
	_, err := u.call(SYS_read, fd, buf, 128)
	require.ErrorIs(t, err, errBlock)
	require.True(t, u.sleeping())
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1, Code: SI_TKILL}, false)
	assert.False(t, u.sleeping(), "the signal woke the reader")
	n, err := u.call(SYS_read, fd, buf, 128)
	require.NoError(t, err)
	assert.Equal(t, uint64(128), n)

	// Another signal, not blocked, interrupts the read.
	_, err = u.call(SYS_read, fd, buf, 128)
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR2, Code: SI_USER}, false)
	assert.False(t, u.sleeping())
	_, err = u.call(SYS_read, fd, buf, 128)
	assert.Equal(t, errno.ERESTARTSYS, err)
}

func TestSignalfdTimerSignal(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGRTMIN)
	fd := u.signalfd(t, -1, Bit(SIGRTMIN), SFD_NONBLOCK)
	id := u.timerCreate(t, CLOCK_MONOTONIC, sigeventBytes(SIGEV_SIGNAL, SIGRTMIN, 9, 0))
	u.timerSet(t, id, 0, 10*ms, 10*ms)
	h.advance(35 * ms)
	buf := u.alloc(128)
	_, err := u.call(SYS_read, fd, buf, 128)
	require.NoError(t, err)
	s := decodeSSI(u.read(buf, 128))
	assert.Equal(t, uint32(0xfffffffe), s.code, "SI_TIMER")
	assert.Equal(t, uint32(id), s.tid)
	assert.Equal(t, uint32(2), s.overrun)
	assert.Equal(t, uint32(9), s.intVal)
	assert.Equal(t, uint64(9), s.ptr)
	h.advance(5 * ms)
	_, err = u.call(SYS_read, fd, buf, 128)
	require.NoError(t, err, "the read re-armed the timer")
}

func TestSignalfdForkReadsOwnSignals(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGUSR1)
	fd := u.signalfd(t, -1, Bit(SIGUSR1), SFD_NONBLOCK)
	c := h.fork(t, u.Task)
	c.Blocked = Bit(SIGUSR1)
	h.k.SendSignalInfo(c.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, true)
	_, err := u.call(SYS_read, fd, u.alloc(128), 128)
	assert.Equal(t, errno.EAGAIN, err, "the parent has none")
	n, err := c.call(SYS_read, fd, c.alloc(128), 128)
	require.NoError(t, err)
	assert.Equal(t, uint64(128), n, "the child takes its own")
}

func TestSiginfoLayout(t *testing.T) {
	tests := []struct {
		sig, code int32
		layout    int
	}{
		{SIGUSR1, SI_USER, silKill},
		{SIGUSR1, SI_KERNEL, silKill},
		{SIGALRM, SI_TIMER, silTimer},
		{SIGRTMIN, SI_QUEUE, silRT},
		{SIGUSR1, SI_TKILL, silRT},
		{SIGSEGV, SEGV_MAPERR, silFault},
		{SIGSEGV, 10, silKill}, // above NSIGSEGV and NSIGPOLL
		{SIGCHLD, CLD_EXITED, silChld},
		{SIGIO, 1, silPoll},
		{SIGUSR1, 3, silPoll}, // a code under NSIGPOLL
		{SIGSYS, 1, silSys},
		{SIGUSR1, -5, silPoll}, // SI_SIGIO
	}
	for _, tc := range tests {
		assert.Equal(t, tc.layout, siginfoLayout(tc.sig, tc.code), "signal %d code %d", tc.sig, tc.code)
	}
	b := signalfdSiginfo(&SigInfo{Signo: SIGSEGV, Code: SEGV_MAPERR, Addr: 0x1234})
	assert.Equal(t, ssi{signo: SIGSEGV, code: SEGV_MAPERR, addr: 0x1234}, decodeSSI(b))
	b = signalfdSiginfo(&SigInfo{Signo: SIGCHLD, Code: CLD_EXITED, PID: 5, Status: 3})
	assert.Equal(t, ssi{signo: SIGCHLD, code: CLD_EXITED, pid: 5, status: 3}, decodeSSI(b))
}
