package proc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

// mkpipe makes a pipe with pipe2(flags) and returns its fds.
func (u *utask) mkpipe(t *testing.T, flags int) (int, int) {
	t.Helper()
	fds := u.alloc(8)
	_, err := u.call(SYS_pipe2, fds, uint64(flags))
	require.NoError(t, err)
	return int(u.u32(fds)), int(u.u32(fds + 4))
}

func TestPipe2Flags(t *testing.T) {
	tests := []struct {
		name             string
		flags            int
		err              error
		cloexec, nonblok bool
	}{
		{"none", 0, nil, false, false},
		{"O_CLOEXEC", fs.O_CLOEXEC, nil, true, false},
		{"O_NONBLOCK", fs.O_NONBLOCK, nil, false, true},
		{"both", fs.O_CLOEXEC | fs.O_NONBLOCK, nil, true, true},
		{"O_DIRECT unsupported", 0x4000, errno.EINVAL, false, false},
		{"junk", 0x4, errno.EINVAL, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			u := h.newTask(t)
			fds := u.alloc(8)
			_, err := u.call(SYS_pipe2, fds, uint64(tc.flags))
			require.Equal(t, tc.err, err)
			if err != nil {
				assert.Zero(t, u.Files.Count(), "no descriptor leaks")
				return
			}
			r, w := uint64(u.u32(fds)), uint64(u.u32(fds+4))
			assert.Equal(t, r+1, w, "lowest free fds")
			for _, fd := range []uint64{r, w} {
				fd1, _ := u.call(SYS_fcntl, fd, F_GETFD)
				assert.Equal(t, tc.cloexec, fd1 == FD_CLOEXEC)
				fl, _ := u.call(SYS_fcntl, fd, F_GETFL)
				assert.Equal(t, tc.nonblok, fl&fs.O_NONBLOCK != 0)
			}
			fl, _ := u.call(SYS_fcntl, r, F_GETFL)
			assert.Equal(t, uint64(fs.O_RDONLY), fl&fs.O_ACCMODE)
			fl, _ = u.call(SYS_fcntl, w, F_GETFL)
			assert.Equal(t, uint64(fs.O_WRONLY), fl&fs.O_ACCMODE)
		})
	}
	h := newHarness(t)
	u := h.newTask(t)
	_, err := u.call(SYS_pipe, 0)
	assert.Equal(t, errno.EFAULT, err)
	assert.Zero(t, u.Files.Count(), "pipe(NULL) leaves no descriptors")
}

func TestPipeSyscallsReadWriteEOF(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, w := u.mkpipe(t, 0)
	n, err := u.call(SYS_write, uint64(w), u.bytes([]byte("hello")), 5)
	require.NoError(t, err)
	assert.Equal(t, uint64(5), n)
	buf := u.alloc(16)
	n, err = u.call(SYS_read, uint64(r), buf, 16)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(u.read(buf, int(n))))

	_, err = u.call(SYS_write, uint64(r), buf, 1)
	assert.Equal(t, errno.EBADF, err, "write to the read end")
	_, err = u.call(SYS_lseek, uint64(r), 0, 0)
	assert.Equal(t, errno.ESPIPE, err)

	_, err = u.call(SYS_close, uint64(w))
	require.NoError(t, err)
	n, err = u.call(SYS_read, uint64(r), buf, 16)
	assert.NoError(t, err)
	assert.Zero(t, n, "EOF")
}

func TestPipeBlockingReadIsWoken(t *testing.T) {
	h := newHarness(t)
	reader := h.newTask(t)
	r, w := reader.mkpipe(t, 0)
	writer := h.fork(t, reader.Task) // inherits both ends
	buf := reader.alloc(16)
	_, err := reader.call(SYS_read, uint64(r), buf, 16)
	require.ErrorIs(t, err, errBlock)
	require.True(t, reader.sleeping())

	_, err = writer.call(SYS_write, uint64(w), writer.bytes([]byte("late")), 4)
	require.NoError(t, err)
	assert.False(t, reader.sleeping(), "the write woke the reader")
	n, err := reader.call(SYS_read, uint64(r), buf, 16)
	require.NoError(t, err)
	assert.Equal(t, "late", string(reader.read(buf, int(n))))

	// EOF only after the last writer (both tasks hold one) closes.
	reader.call(SYS_close, uint64(w))
	_, err = reader.call(SYS_read, uint64(r), buf, 16)
	require.ErrorIs(t, err, errBlock)
	writer.Files.closeAll()
	assert.False(t, reader.sleeping(), "the last writer's close woke the reader")
	n, err = reader.call(SYS_read, uint64(r), buf, 16)
	assert.NoError(t, err)
	assert.Zero(t, n)
}

func TestPipeSIGPIPE(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(u *utask)
		pending bool
	}{
		{"default: SIGPIPE sent", func(u *utask) {}, true},
		{"ignored: only EPIPE", func(u *utask) { u.Sighand.Action[SIGPIPE-1].Handler = SIG_IGN }, false},
		{"blocked: stays pending", func(u *utask) { u.Blocked |= Bit(SIGPIPE) }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			u := h.newTask(t)
			r, w := u.mkpipe(t, 0)
			u.call(SYS_close, uint64(r))
			tc.setup(u)
			_, err := u.call(SYS_write, uint64(w), u.bytes([]byte("x")), 1)
			assert.Equal(t, errno.EPIPE, err)
			assert.Equal(t, tc.pending, u.Pending.Set.Has(SIGPIPE))
		})
	}
}

func TestPipeNonblockCapacity(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, w := u.mkpipe(t, fs.O_NONBLOCK)
	buf := u.alloc(8192)
	_, err := u.call(SYS_read, uint64(r), buf, 1)
	assert.Equal(t, errno.EAGAIN, err)
	total := uint64(0)
	for {
		n, err := u.call(SYS_write, uint64(w), buf, 4096)
		if err != nil {
			assert.Equal(t, errno.EAGAIN, err)
			break
		}
		total += n
	}
	assert.Equal(t, uint64(65536), total)
	u.call(SYS_read, uint64(r), buf, 4096)
	n, err := u.call(SYS_write, uint64(w), buf, 8192)
	assert.NoError(t, err)
	assert.Equal(t, uint64(4096), n, "partial write past PIPE_BUF")
	nr := u.alloc(4)
	_, err = u.call(SYS_ioctl, uint64(r), FIONREAD, nr)
	require.NoError(t, err)
	assert.Equal(t, uint32(65536), u.u32(nr))
}

func TestDup3(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, _ := u.mkpipe(t, 0)
	tests := []struct {
		old, new, flags int
		err             error
	}{
		{r, r, 0, errno.EINVAL},
		{r, 20, 0x4, errno.EINVAL},
		{77, 20, 0, errno.EBADF},
		{r, -1, 0, errno.EBADF},
		{r, 20, fs.O_CLOEXEC, nil},
		{r, 21, 0, nil},
	}
	for _, tc := range tests {
		n, err := u.call(SYS_dup3, uint64(tc.old), uint64(tc.new), uint64(tc.flags))
		assert.Equal(t, tc.err, err, "%+v", tc)
		if tc.err == nil {
			assert.Equal(t, uint64(tc.new), n)
			c, _ := u.Files.Cloexec(tc.new)
			assert.Equal(t, tc.flags == fs.O_CLOEXEC, c)
		}
	}
}
