package proc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

func TestFlock(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	path := u.str("/bin/cat")
	open := func() uint64 {
		fd, err := u.call(SYS_open, path, 0)
		require.NoError(t, err)
		return fd
	}
	a, b := open(), open()
	for _, tc := range []struct {
		name string
		fd   uint64
		op   int
		err  error
	}{
		{"exclusive", a, LOCK_EX, nil},
		{"again on the same open file", a, LOCK_EX, nil},
		{"another open file conflicts", b, LOCK_EX | LOCK_NB, errno.EAGAIN},
		{"shared conflicts with exclusive", b, LOCK_SH | LOCK_NB, errno.EAGAIN},
		{"unlock", a, LOCK_UN, nil},
		{"shared", b, LOCK_SH, nil},
		{"two shared", a, LOCK_SH | LOCK_NB, nil},
		{"conversion fails", a, LOCK_EX | LOCK_NB, errno.EAGAIN},
		{"and dropped the old lock", b, LOCK_EX | LOCK_NB, nil},
		{"bad operation", a, 0, errno.EINVAL},
		{"SH|EX", a, LOCK_SH | LOCK_EX, errno.EINVAL},
		{"unlock without a lock", a, LOCK_UN, nil},
	} {
		_, err := u.call(SYS_flock, tc.fd, uint64(tc.op))
		assert.Equal(t, tc.err, err, tc.name)
	}
	_, err := u.call(SYS_flock, 99, LOCK_SH)
	assert.Equal(t, errno.EBADF, err)

	// A blocking request sleeps and succeeds once the holder closes.
	_, err = u.call(SYS_flock, a, LOCK_SH)
	assert.Equal(t, errBlock, err)
	assert.True(t, u.sleeping())
	_, err = u.call(SYS_close, b)
	require.NoError(t, err)
	assert.Equal(t, int32(TASK_RUNNING), u.State(), "the last close woke the waiter")
	_, err = u.call(SYS_flock, a, LOCK_SH)
	assert.NoError(t, err)
	flocks.Lock()
	n := len(flocks.m)
	flocks.Unlock()
	_, err = u.call(SYS_close, a)
	require.NoError(t, err)
	flocks.Lock()
	assert.Len(t, flocks.m, n-1, "the context goes with the last lock")
	flocks.Unlock()
}

func TestCloseRange(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	path := u.str("/bin/cat")
	var fds []int
	for i := 0; i < 5; i++ {
		fd, err := u.call(SYS_open, path, 0)
		require.NoError(t, err)
		fds = append(fds, int(fd))
	}
	lo := uint64(fds[0])
	_, err := u.call(SYS_close_range, 5, 4, 0)
	assert.Equal(t, errno.EINVAL, err)
	_, err = u.call(SYS_close_range, lo, ^uint64(0), 1)
	assert.Equal(t, errno.EINVAL, err)
	_, err = u.call(SYS_close_range, lo+3, uint64(^uint32(0)), CLOSE_RANGE_CLOEXEC)
	require.NoError(t, err)
	on, err := u.Files.Cloexec(fds[3])
	require.NoError(t, err)
	assert.True(t, on)
	on, _ = u.Files.Cloexec(fds[2])
	assert.False(t, on)
	_, err = u.call(SYS_close_range, lo+1, lo+2, 0)
	require.NoError(t, err)
	_, err = u.Files.Cloexec(fds[1])
	assert.Equal(t, errno.EBADF, err)
	_, err = u.Files.Cloexec(fds[0])
	assert.NoError(t, err)
}
