package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

func (u *utask) open(t *testing.T, path string, flags int) uint64 {
	t.Helper()
	fd, err := u.call(SYS_open, u.str(path), uint64(flags), 0)
	require.NoError(t, err)
	return fd
}

// iovecs puts struct iovec[] in user memory.
func (u *utask) iovecs(v ...uint64) uint64 {
	b := make([]byte, 0, len(v)*8)
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, x)
	}
	return u.bytes(b)
}

func TestPread(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	cat := u.open(t, "/bin/cat", fs.O_RDONLY) // "\x7fELF-cat"
	null := u.open(t, "/dev/null", fs.O_RDWR)
	nullW := u.open(t, "/dev/null", fs.O_WRONLY)
	zero := u.open(t, "/dev/zero", fs.O_RDONLY)
	dir := u.open(t, "/bin", fs.O_RDONLY|fs.O_DIRECTORY)
	con := u.open(t, "/dev/console", fs.O_RDWR)
	r, w := u.mkpipe(t, 0)
	buf := u.alloc(64)
	end := u.base + scratchSize // the page after is not mapped
	neg := uint64(1 << 63)
	tests := []struct {
		name       string
		nr         uint64
		fd         uint64
		buf, count uint64
		pos        uint64
		want       uint64
		err        error
		data       string
	}{
		{"file from 0", SYS_pread64, cat, buf, 4, 0, 4, nil, "\x7fELF"},
		{"file from 5, short", SYS_pread64, cat, buf, 10, 5, 3, nil, "cat"},
		{"file past the end", SYS_pread64, cat, buf, 10, 100, 0, nil, ""},
		{"file, count 0", SYS_pread64, cat, buf, 0, 0, 0, nil, ""},
		{"negative offset before the fd", SYS_pread64, 99, buf, 4, neg, 0, errno.EINVAL, ""},
		{"negative offset", SYS_pread64, cat, buf, 4, ^uint64(0), 0, errno.EINVAL, ""},
		{"closed fd", SYS_pread64, 99, buf, 4, 0, 0, errno.EBADF, ""},
		{"pipe read end", SYS_pread64, uint64(r), buf, 4, 0, 0, errno.ESPIPE, ""},
		{"pipe write end", SYS_pwrite64, uint64(w), buf, 4, 0, 0, errno.ESPIPE, ""},
		{"console", SYS_pread64, con, buf, 4, 0, 0, errno.ESPIPE, ""},
		{"pwrite to a read-only file", SYS_pwrite64, cat, buf, 4, 0, 0, errno.EBADF, ""},
		{"pread from a write-only file", SYS_pread64, nullW, buf, 4, 0, 0, errno.EBADF, ""},
		{"buffer outside user space", SYS_pread64, cat, 0xffff800000000000, 4, 0, 0, errno.EFAULT, ""},
		{"buffer not mapped", SYS_pread64, cat, end + 4096, 4, 0, 0, errno.EFAULT, ""},
		{"offset + count overflows", SYS_pread64, cat, buf, 4, 1<<63 - 2, 0, errno.EINVAL, ""},
		{"null read", SYS_pread64, null, buf, 4, 7, 0, nil, ""},
		{"null write", SYS_pwrite64, null, buf, 40, 7, 40, nil, ""},
		{"null write never reads the buffer", SYS_pwrite64, null, end + 4096, 40, 7, 40, nil, ""},
		{"null write, buffer outside user space", SYS_pwrite64, null, 0xffff800000000000, 4, 0, 0, errno.EFAULT, ""},
		{"zero read, far", SYS_pread64, zero, buf, 3, 1 << 40, 3, nil, "\x00\x00\x00"},
		{"zero read up to a fault", SYS_pread64, zero, end - 10, 100, 0, 10, nil, ""},
		{"directory", SYS_pread64, dir, buf, 4, 0, 0, errno.EISDIR, ""},
		{"directory, count 0", SYS_pread64, dir, buf, 0, 0, 0, errno.EISDIR, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u.MM.CopyOut(buf, []byte("????????"))
			n, err := u.call(tc.nr, tc.fd, tc.buf, tc.count, tc.pos)
			assert.Equal(t, tc.err, err)
			assert.Equal(t, tc.want, n)
			if tc.data != "" {
				assert.Equal(t, tc.data, string(u.read(buf, len(tc.data))))
			}
		})
	}

	// pread leaves the file offset alone, wherever it is.
	_, err := u.call(SYS_lseek, cat, 2, 0)
	require.NoError(t, err)
	n, err := u.call(SYS_pread64, cat, buf, 3, 0)
	require.NoError(t, err)
	require.Equal(t, uint64(3), n)
	off, err := u.call(SYS_lseek, cat, 0, 1)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), off)
	n, err = u.call(SYS_read, cat, buf, 2)
	require.NoError(t, err)
	assert.Equal(t, "LF", string(u.read(buf, int(n))))
}

func TestPreadv(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	cat := u.open(t, "/bin/cat", fs.O_RDONLY)
	null := u.open(t, "/dev/null", fs.O_WRONLY)
	dir := u.open(t, "/bin", fs.O_RDONLY|fs.O_DIRECTORY)
	r, _ := u.mkpipe(t, 0)
	a, b := u.alloc(8), u.alloc(8)
	end := u.base + scratchSize
	tests := []struct {
		name     string
		nr       uint64
		fd       uint64
		iov      uint64
		cnt, pos uint64
		want     uint64
		err      error
	}{
		{"scatter", SYS_preadv, cat, u.iovecs(a, 2, b, 3), 2, 1, 5, nil},
		{"no segments", SYS_preadv, cat, 0, 0, 0, 0, nil},
		{"empty segments on a directory", SYS_preadv, dir, u.iovecs(a, 0), 1, 0, 0, nil},
		{"directory", SYS_preadv, dir, u.iovecs(a, 1), 1, 0, 0, errno.EISDIR},
		{"gather to /dev/null", SYS_pwritev, null, u.iovecs(a, 2, b, 3), 2, 0, 5, nil},
		{"negative offset", SYS_preadv, 99, u.iovecs(a, 2), 1, 1 << 63, 0, errno.EINVAL},
		{"closed fd", SYS_preadv, 99, u.iovecs(a, 2), 1, 0, 0, errno.EBADF},
		{"pipe", SYS_preadv, uint64(r), u.iovecs(a, 2), 1, 0, 0, errno.ESPIPE},
		{"write-only", SYS_preadv, null, u.iovecs(a, 2), 1, 0, 0, errno.EBADF},
		{"too many segments", SYS_preadv, cat, u.iovecs(a, 2), 1025, 0, 0, errno.EINVAL},
		{"bad iovec array", SYS_preadv, cat, end, 1, 0, 0, errno.EFAULT},
		{"negative length", SYS_preadv, cat, u.iovecs(a, 1, b, 1<<63), 2, 0, 0, errno.EINVAL},
		{"segment outside user space", SYS_preadv, cat, u.iovecs(a, 1, 0xffff800000000000, 1), 2, 0, 0, errno.EFAULT},
		{"second segment faults", SYS_preadv, cat, u.iovecs(a, 2, end+4096, 3), 2, 0, 2, nil},
		{"offset + total overflows", SYS_preadv, cat, u.iovecs(a, 2, b, 3), 2, 1<<63 - 3, 0, errno.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := u.call(tc.nr, tc.fd, tc.iov, tc.cnt, tc.pos, 0)
			assert.Equal(t, tc.err, err)
			assert.Equal(t, tc.want, n)
		})
	}
	// The scatter read: "EL" then "F-c".
	u.MM.CopyOut(a, []byte("????"))
	n, err := u.call(SYS_preadv, cat, u.iovecs(a, 2, b, 3), 2, 1, 0)
	require.NoError(t, err)
	require.Equal(t, uint64(5), n)
	assert.Equal(t, "EL??", string(u.read(a, 4)))
	assert.Equal(t, "F-c", string(u.read(b, 3)))
}
