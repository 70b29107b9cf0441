package proc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
)

const pg = mm.PageSize

// openFile opens path with flags (creating it 0644 with O_CREAT) in u.
func (u *utask) openFile(t *testing.T, path string, flags int) uint64 {
	t.Helper()
	fd, err := u.call(SYS_open, u.str(path), uint64(flags), 0o644)
	require.NoError(t, err)
	return fd
}

func TestMmapFileErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	rw := u.openFile(t, "/tmp/f", fs.O_RDWR|fs.O_CREAT)
	_, err := u.call(SYS_ftruncate, rw, 3*pg)
	require.NoError(t, err)
	ro := u.openFile(t, "/tmp/f", fs.O_RDONLY)
	wo := u.openFile(t, "/tmp/f", fs.O_WRONLY)
	img := u.openFile(t, "/bin/cat", fs.O_RDONLY)
	null := u.openFile(t, "/dev/null", fs.O_RDWR)
	zero := u.openFile(t, "/dev/zero", fs.O_RDWR)
	dir := u.openFile(t, "/tmp", fs.O_RDONLY)
	con := u.openFile(t, "/dev/console", fs.O_RDWR)
	p := u.alloc(8)
	_, err = u.call(SYS_pipe, p)
	require.NoError(t, err)
	pr := uint64(u.u32(p))

	const (
		R, RW = mm.PROT_READ, mm.PROT_READ | mm.PROT_WRITE
		S, P  = mm.MAP_SHARED, mm.MAP_PRIVATE
		badFD = 99
	)
	tests := []struct {
		name        string
		prot, flags int
		fd, off     uint64
		err         error
	}{
		{"shared rw of O_RDWR", RW, S, rw, 0, nil},
		{"shared r of O_RDONLY", R, S, ro, 0, nil},
		{"shared rw of O_RDONLY", RW, S, ro, 0, errno.EACCES},
		{"private rw of O_RDONLY", RW, P, ro, 0, nil},
		{"any map of O_WRONLY", R, P, wo, 0, errno.EACCES},
		{"unaligned offset", R, S, rw, 100, errno.EINVAL},
		{"offset past EOF maps", R, S, rw, 10 * pg, nil},
		{"bad fd", R, S, badFD, 0, errno.EBADF},
		{"image private", R | mm.PROT_EXEC, P, img, 0, nil},
		{"image shared r", R, S, img, 0, nil},
		{"image shared rw", RW, S, img, 0, errno.EACCES},
		{"pipe", R, S, pr, 0, errno.ENODEV},
		{"/dev/null", R, S, null, 0, errno.ENODEV},
		{"/dev/zero", RW, S, zero, 0, nil},
		{"directory", R, P, dir, 0, errno.ENODEV},
		{"console", R, S, con, 0, errno.ENODEV},
		{"bad type", R, 0, rw, 0, errno.EINVAL},
		{"MAP_SYNC", R, mm.MAP_SHARED_VALIDATE | mm.MAP_SYNC, rw, 0, errno.EOPNOTSUPP},
		{"MAP_SHARED_VALIDATE", RW, mm.MAP_SHARED_VALIDATE, rw, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(SYS_mmap, 0, pg, uint64(tc.prot), uint64(tc.flags), tc.fd, tc.off)
			assert.Equal(t, tc.err, err)
		})
	}
}

// TestMmapFileShared: a MAP_SHARED mapping, write() and a forked child's
// mapping see the same bytes; the mapping outlives close and unlink.
func TestMmapFileShared(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd := u.openFile(t, "/tmp/f", fs.O_RDWR|fs.O_CREAT)
	_, err := u.call(SYS_write, fd, u.bytes([]byte("hello")), 5)
	require.NoError(t, err)
	va, err := u.call(SYS_mmap, 0, 2*pg, mm.PROT_READ|mm.PROT_WRITE, mm.MAP_SHARED, fd, 0)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(u.read(va, 5)))
	require.NoError(t, u.MM.CopyOut(va, []byte("J")))
	_, err = u.call(SYS_close, fd)
	require.NoError(t, err)
	_, err = u.call(SYS_unlink, u.str("/tmp/f"))
	require.NoError(t, err)

	child, err := u.MM.Fork()
	require.NoError(t, err)
	require.NoError(t, child.CopyOut(va+1, []byte("E")))
	assert.Equal(t, "JEllo", string(u.read(va, 5)))
	b := make([]byte, 1)
	assert.Error(t, child.CopyIn(b, va+pg), "past EOF (5 bytes): the second page")
	child.Release()
	_, err = u.call(SYS_munmap, va, 2*pg)
	require.NoError(t, err)
}

func TestMemfd(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	tests := []struct {
		name  string
		flags uint64
		nameL int
		err   error
	}{
		{"plain", 0, 3, nil},
		{"cloexec and sealing", MFD_CLOEXEC | MFD_ALLOW_SEALING, 3, nil},
		{"longest name", 0, 249, nil},
		{"name too long", 0, 250, errno.EINVAL},
		{"unknown flag", 0x100, 3, errno.EINVAL},
		{"hugetlb", MFD_HUGETLB, 3, errno.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := make([]byte, tc.nameL)
			for i := range name {
				name[i] = 'a'
			}
			fd, err := u.call(SYS_memfd_create, u.str(string(name)), tc.flags)
			assert.Equal(t, tc.err, err)
			if err != nil {
				return
			}
			c, _ := u.Files.Cloexec(int(fd))
			assert.Equal(t, tc.flags&MFD_CLOEXEC != 0, c)
			seals, err := u.call(SYS_fcntl, fd, F_GET_SEALS)
			require.NoError(t, err)
			if tc.flags&MFD_ALLOW_SEALING == 0 {
				assert.EqualValues(t, 1, seals) // F_SEAL_SEAL
			} else {
				assert.EqualValues(t, 0, seals)
			}
			u.call(SYS_close, fd)
		})
	}
	_, err := u.call(SYS_memfd_create, 8, 0)
	assert.Equal(t, errno.EFAULT, err, "bad name pointer")
}

func TestMemfdSeals(t *testing.T) {
	const (
		sealSeal, sealShrink, sealGrow, sealWrite = 1, 2, 4, 8
	)
	h := newHarness(t)
	u := h.newTask(t)
	fd, err := u.call(SYS_memfd_create, u.str("s"), MFD_ALLOW_SEALING)
	require.NoError(t, err)
	buf := u.bytes(make([]byte, 8))
	_, err = u.call(SYS_write, fd, buf, 8)
	require.NoError(t, err)
	va, err := u.call(SYS_mmap, 0, pg, mm.PROT_READ|mm.PROT_WRITE, mm.MAP_SHARED, fd, 0)
	require.NoError(t, err)
	p := u.alloc(8)
	_, err = u.call(SYS_pipe, p)
	require.NoError(t, err)
	pr := uint64(u.u32(p))

	steps := []struct {
		name string
		nr   uint64
		args []uint64
		err  error
	}{
		{"write seal with a writable mapping", SYS_fcntl, []uint64{fd, F_ADD_SEALS, sealWrite}, errno.EBUSY},
		{"unknown seal", SYS_fcntl, []uint64{fd, F_ADD_SEALS, 0x100}, errno.EINVAL},
		{"unmap", SYS_munmap, []uint64{va, pg}, nil},
		{"seal shrink+grow+write", SYS_fcntl, []uint64{fd, F_ADD_SEALS, sealShrink | sealGrow | sealWrite}, nil},
		{"write", SYS_write, []uint64{fd, buf, 1}, errno.EPERM},
		{"shrink", SYS_ftruncate, []uint64{fd, 4}, errno.EPERM},
		{"grow", SYS_ftruncate, []uint64{fd, 4 * pg}, errno.EPERM},
		{"same size", SYS_ftruncate, []uint64{fd, 8}, nil},
		{"shared writable map", SYS_mmap, []uint64{0, pg, mm.PROT_READ | mm.PROT_WRITE, mm.MAP_SHARED, fd, 0}, errno.EPERM},
		{"seal the seals", SYS_fcntl, []uint64{fd, F_ADD_SEALS, sealSeal}, nil},
		{"no more seals", SYS_fcntl, []uint64{fd, F_ADD_SEALS, sealShrink}, errno.EPERM},
		{"seals of a pipe", SYS_fcntl, []uint64{pr, F_GET_SEALS}, errno.EINVAL},
	}
	for _, s := range steps {
		_, err := u.call(s.nr, s.args...)
		assert.Equal(t, s.err, err, s.name)
	}
	got, err := u.call(SYS_fcntl, fd, F_GET_SEALS)
	require.NoError(t, err)
	assert.EqualValues(t, sealSeal|sealShrink|sealGrow|sealWrite, got)
	va, err = u.call(SYS_mmap, 0, pg, mm.PROT_READ, mm.MAP_PRIVATE, fd, 0)
	assert.NoError(t, err, "private mappings are fine")
}
