package proc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

func TestPidfd(t *testing.T) {
	h := newHarness(t)
	p := h.newTask(t)
	c := h.fork(t, p.Task)
	pid := uint64(c.PID)

	for _, tc := range []struct {
		name       string
		pid, flags uint64
		err        error
	}{
		{"pid 0", 0, 0, errno.EINVAL},
		{"negative", uint64(0xffffffff), 0, errno.EINVAL},
		{"unknown flag", pid, 1, errno.EINVAL},
		{"no such process", 9999, 0, errno.ESRCH},
	} {
		_, err := p.call(SYS_pidfd_open, tc.pid, tc.flags)
		assert.Equal(t, tc.err, err, tc.name)
	}
	fd, err := p.call(SYS_pidfd_open, pid, 0)
	require.NoError(t, err)
	cloexec, err := p.Files.Cloexec(int(fd))
	require.NoError(t, err)
	assert.True(t, cloexec, "close-on-exec")
	of, err := p.Files.Get(int(fd))
	require.NoError(t, err)
	pf := of.File.(*pidfdFile)
	of.put()
	assert.Zero(t, pf.Poll(), "not readable while the child lives")

	_, err = p.call(SYS_pidfd_send_signal, fd, 0, 0, 0x100)
	assert.Equal(t, errno.EINVAL, err, "flags")
	_, err = p.call(SYS_pidfd_send_signal, fd, 1000, 0, 0)
	assert.Equal(t, errno.EINVAL, err, "bad signal")

	// Block in waitid(P_PIDFD): the exit wakes the pidfd's queue too.
	woken := false
	pf.Wait().Add(&fs.Waiter{Wake: func() bool { woken = true; return true }})
	info := p.filled(128)
	_, err = p.call(SYS_waitid, P_PIDFD, fd, info, WEXITED, 0)
	assert.Equal(t, errBlock, err)
	h.k.DoExit(c.Task, exitStatus(3))
	assert.True(t, woken, "do_notify_pidfd")
	assert.Equal(t, uint32(fs.POLLIN|fs.POLLRDNORM), pf.Poll(), "readable after the exit")
	_, err = p.call(SYS_waitid, P_PIDFD, fd, info, WEXITED, 0)
	require.NoError(t, err)
	assert.Equal(t, siginfo{signo: SIGCHLD, code: CLD_EXITED, pid: int32(pid), status: 3}, p.siginfo(info))
	_, err = p.call(SYS_pidfd_send_signal, fd, SIGTERM, 0, 0)
	assert.Equal(t, errno.ESRCH, err, "reaped")
	_, err = p.call(SYS_waitid, P_PIDFD, fd, info, WEXITED, 0)
	assert.Equal(t, errno.ECHILD, err)
}
