package proc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/net/unix"
)

// pipeFDs makes a pipe in u and returns its read and write ends.
func (u *utask) pipeFDs(t *testing.T) (uint64, uint64) {
	t.Helper()
	p := u.alloc(8)
	_, err := u.call(SYS_pipe, p)
	require.NoError(t, err)
	return uint64(u.u32(p)), uint64(u.u32(p + 4))
}

func TestSpliceErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	src := u.openFile(t, "/tmp/src", fs.O_RDWR|fs.O_CREAT)
	_, err := u.call(SYS_write, src, u.bytes([]byte("0123456789")), 10)
	require.NoError(t, err)
	dst := u.openFile(t, "/tmp/dst", fs.O_RDWR|fs.O_CREAT)
	app := u.openFile(t, "/tmp/dst", fs.O_WRONLY|fs.O_APPEND)
	wo := u.openFile(t, "/tmp/dst", fs.O_WRONLY)
	dir := u.openFile(t, "/tmp", fs.O_RDONLY)
	r, w := u.pipeFDs(t)
	r2, w2 := u.pipeFDs(t)
	off := u.u64(0)
	neg := u.u64(^uint64(0))
	const bad = 99

	tests := []struct {
		name string
		nr   uint64
		args []uint64
		want uint64
		err  error
	}{
		{"splice len 0", SYS_splice, []uint64{src, 0, dst, 0, 0, 0}, 0, nil},
		{"splice no pipe", SYS_splice, []uint64{src, 0, dst, 0, 10, 0}, 0, errno.EINVAL},
		{"splice bad flags", SYS_splice, []uint64{r, 0, dst, 0, 10, 0x10}, 0, errno.EINVAL},
		{"splice bad fd", SYS_splice, []uint64{bad, 0, w, 0, 10, 0}, 0, errno.EBADF},
		{"splice offset on pipe", SYS_splice, []uint64{r, off, dst, 0, 10, 0}, 0, errno.ESPIPE},
		{"splice bad offset pointer", SYS_splice, []uint64{src, 8, w, 0, 10, 0}, 0, errno.EFAULT},
		{"splice same pipe", SYS_splice, []uint64{r, 0, w, 0, 10, 0}, 0, errno.EINVAL},
		{"splice from write end", SYS_splice, []uint64{w, 0, dst, 0, 10, 0}, 0, errno.EBADF},
		{"splice empty nonblock", SYS_splice, []uint64{r, 0, dst, 0, 10, SPLICE_F_NONBLOCK}, 0, errno.EAGAIN},
		{"splice into O_APPEND", SYS_splice, []uint64{r, 0, app, 0, 10, 0}, 0, errno.EINVAL},
		{"splice file to pipe", SYS_splice, []uint64{src, off, w, 0, 4, 0}, 4, nil},
		{"splice pipe to pipe", SYS_splice, []uint64{r, 0, w2, 0, 3, 0}, 3, nil},
		{"splice pipe to file", SYS_splice, []uint64{r2, 0, dst, 0, 10, 0}, 3, nil},
		{"splice directory", SYS_splice, []uint64{dir, 0, w, 0, 10, 0}, 0, errno.EINVAL},
		{"tee file", SYS_tee, []uint64{src, w, 10, 0}, 0, errno.EINVAL},
		{"tee same pipe", SYS_tee, []uint64{r, w, 10, 0}, 0, errno.EINVAL},
		{"tee empty nonblock", SYS_tee, []uint64{r2, w, 10, SPLICE_F_NONBLOCK}, 0, errno.EAGAIN},
		{"vmsplice file", SYS_vmsplice, []uint64{src, u.u64(0), 1, 0}, 0, errno.EBADF},
		{"vmsplice bad flags", SYS_vmsplice, []uint64{w, 0, 0, 0x10}, 0, errno.EINVAL},
		{"sendfile O_APPEND", SYS_sendfile, []uint64{app, src, 0, 10}, 0, errno.EINVAL},
		{"sendfile from write-only", SYS_sendfile, []uint64{w, wo, 0, 10}, 0, errno.EBADF},
		{"sendfile to read-only pipe end", SYS_sendfile, []uint64{r, src, 0, 10}, 0, errno.EBADF},
		{"sendfile negative offset", SYS_sendfile, []uint64{w, src, neg, 10}, 0, errno.EINVAL},
		{"sendfile offset into pipe", SYS_sendfile, []uint64{w, r, off, 10}, 0, errno.ESPIPE},
		{"sendfile from pipe", SYS_sendfile, []uint64{dst, r, 0, 10}, 0, errno.EINVAL},
		{"sendfile file to file", SYS_sendfile, []uint64{dst, src, u.u64(2), 5}, 5, nil},
		{"copy_file_range flags", SYS_copy_file_range, []uint64{src, 0, dst, 0, 10, 1}, 0, errno.EINVAL},
		{"copy_file_range dir", SYS_copy_file_range, []uint64{dir, 0, dst, 0, 10, 0}, 0, errno.EISDIR},
		{"copy_file_range pipe", SYS_copy_file_range, []uint64{r, 0, dst, 0, 10, 0}, 0, errno.EINVAL},
		{"copy_file_range O_APPEND", SYS_copy_file_range, []uint64{src, 0, app, 0, 10, 0}, 0, errno.EBADF},
		{"copy_file_range overlap", SYS_copy_file_range, []uint64{src, u.u64(0), src, u.u64(2), 5, 0}, 0, errno.EINVAL},
		{"copy_file_range negative", SYS_copy_file_range, []uint64{src, neg, dst, 0, 5, 0}, 0, errno.EOVERFLOW},
		{"copy_file_range", SYS_copy_file_range, []uint64{src, u.u64(0), dst, u.u64(0), 100, 0}, 10, nil},
	}
	for _, tc := range tests {
		n, err := u.call(tc.nr, tc.args...)
		assert.Equal(t, tc.err, err, tc.name)
		assert.Equal(t, tc.want, n, tc.name)
	}
	assert.EqualValues(t, 4, u.read(off, 1)[0], "splice moved the offset")
}

// TestSpliceBlocks: a splice from an empty pipe sleeps, and runs again
// once a writer has written.
func TestSpliceBlocks(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	dst := u.openFile(t, "/tmp/dst", fs.O_RDWR|fs.O_CREAT)
	r, w := u.pipeFDs(t)
	_, err := u.call(SYS_splice, r, 0, dst, 0, 100, 0)
	assert.Equal(t, errBlock, err)
	assert.True(t, u.sleeping())
	_, err = u.call(SYS_write, w, u.bytes([]byte("wake")), 4)
	require.NoError(t, err)
	assert.False(t, u.sleeping(), "the write woke the splicer")
	n, err := u.call(SYS_splice, r, 0, dst, 0, 100, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 4, n)
	buf := u.alloc(8)
	n, err = u.call(SYS_pread64, dst, buf, 8, 0)
	require.NoError(t, err)
	assert.Equal(t, "wake", string(u.read(buf, int(n))))
}

// TestSpliceFromSocket: a stream (a socket) splices into a pipe; with
// nothing to read the call sleeps on the socket and the peer's send
// wakes it; an offset on a stream is EINVAL, and so is sendfile from one
// into a file.
func TestSpliceFromSocket(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	a, b := u.mksockpair(t, unix.SOCK_STREAM)
	r, w := u.pipeFDs(t)
	dst := u.openFile(t, "/tmp/dst", fs.O_RDWR|fs.O_CREAT)

	_, err := u.call(SYS_splice, b, u.u64(0), w, 0, 10, 0)
	assert.Equal(t, errno.EINVAL, err, "an offset on a socket")
	_, err = u.call(SYS_sendfile, dst, b, 0, 10)
	assert.Equal(t, errno.EINVAL, err, "sendfile from a socket into a file (tamix limit)")

	_, err = u.call(SYS_splice, b, 0, w, 0, 100, 0)
	assert.Equal(t, errBlock, err)
	assert.True(t, u.sleeping())
	_, err = u.call(SYS_write, a, u.bytes([]byte("sock")), 4)
	require.NoError(t, err)
	assert.False(t, u.sleeping(), "the send woke the splicer")
	n, err := u.call(SYS_splice, b, 0, w, 0, 100, 0)
	require.NoError(t, err)
	assert.EqualValues(t, 4, n)
	buf := u.alloc(8)
	n, err = u.call(SYS_read, r, buf, 8)
	require.NoError(t, err)
	assert.Equal(t, "sock", string(u.read(buf, int(n))))
	_, err = u.call(SYS_splice, b, 0, w, 0, 100, SPLICE_F_NONBLOCK)
	assert.Equal(t, errno.EAGAIN, err)
}
