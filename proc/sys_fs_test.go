package proc

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/vfs"
)

const atFdcwd = uint64(0xffffffffffffff9c) // AT_FDCWD as a register value

func (u *utask) stat(t *testing.T, path string) (vfs.Stat, error) {
	t.Helper()
	buf := u.alloc(vfs.StatSize)
	_, err := u.call(SYS_stat, u.str(path), buf)
	if err != nil {
		return vfs.Stat{}, err
	}
	return decodeStat(u.read(buf, vfs.StatSize)), nil
}

func decodeStat(b []byte) vfs.Stat {
	le := binary.LittleEndian
	return vfs.Stat{Dev: le.Uint64(b), Ino: le.Uint64(b[8:]), Nlink: le.Uint64(b[16:]), Mode: le.Uint32(b[24:]),
		Rdev: le.Uint64(b[40:]), Size: int64(le.Uint64(b[48:])), Blksize: int64(le.Uint64(b[56:]))}
}

func TestMknodFifoStatUnlink(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	p := u.str("/tmp/f")
	_, err := u.call(SYS_mknod, p, vfs.S_IFIFO|0o666, 0)
	require.NoError(t, err)
	_, err = u.call(SYS_mknod, p, vfs.S_IFIFO|0o600, 0)
	assert.Equal(t, errno.EEXIST, err)
	st, err := u.stat(t, "/tmp/f")
	require.NoError(t, err)
	assert.Equal(t, uint32(vfs.S_IFIFO|0o644), st.Mode, "umask 022 applies")
	assert.Equal(t, int64(4096), st.Blksize)

	// mknodat relative to an open directory.
	dfd, err := u.call(SYS_openat, atFdcwd, u.str("/tmp"), fs.O_RDONLY|fs.O_DIRECTORY, 0)
	require.NoError(t, err)
	_, err = u.call(SYS_mknodat, dfd, u.str("g"), vfs.S_IFIFO|0o600, 0)
	require.NoError(t, err)
	_, err = u.stat(t, "/tmp/g")
	require.NoError(t, err)
	_, err = u.call(SYS_mknodat, uint64(99), u.str("g"), vfs.S_IFIFO|0o600, 0)
	assert.Equal(t, errno.EBADF, err)
	_, err = u.call(SYS_mknodat, uint64(99), u.str("/tmp/h"), vfs.S_IFIFO|0o600, 0)
	assert.NoError(t, err, "an absolute path ignores dirfd")

	tests := []struct {
		nr   uint64
		args []uint64
		err  error
	}{
		{SYS_mknod, []uint64{u.str("/tmp/c"), vfs.S_IFCHR | 0o600, 0x103}, nil},
		{SYS_mknod, []uint64{u.str("/tmp/d"), vfs.S_IFDIR | 0o755, 0}, errno.EPERM},
		{SYS_mknod, []uint64{u.str("/bin/x"), vfs.S_IFIFO | 0o600, 0}, errno.EROFS},
		{SYS_mknod, []uint64{0, vfs.S_IFIFO | 0o600, 0}, errno.EFAULT},
		{SYS_mknod, []uint64{u.str(""), vfs.S_IFIFO | 0o600, 0}, errno.ENOENT},
		{SYS_unlink, []uint64{p}, nil},
		{SYS_unlink, []uint64{p}, errno.ENOENT},
		{SYS_unlink, []uint64{u.str("/tmp")}, errno.EROFS},
		{SYS_unlinkat, []uint64{dfd, u.str("g"), 0}, nil},
		{SYS_unlinkat, []uint64{dfd, u.str("h"), 0x1}, errno.EINVAL},
		{SYS_unlinkat, []uint64{atFdcwd, u.str("/tmp/h"), AT_REMOVEDIR}, errno.ENOTDIR},
		{SYS_unlinkat, []uint64{atFdcwd, u.str("/tmp"), AT_REMOVEDIR}, errno.EROFS},
		{SYS_rmdir, []uint64{u.str("/")}, errno.EBUSY},
	}
	for i, tc := range tests {
		_, err := u.call(tc.nr, tc.args...)
		assert.Equal(t, tc.err, err, "case %d", i)
	}
	st, err = u.stat(t, "/tmp/c")
	require.NoError(t, err)
	assert.Equal(t, uint64(0x103), st.Rdev)
}

func TestOpenErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	long := "/" + strings.Repeat("x", 4095) // 4096 bytes and the NUL
	tests := []struct {
		path  string
		flags int
		err   error
	}{
		{"/bin/cat", fs.O_RDONLY, nil},
		{"/bin/cat", fs.O_WRONLY, errno.EROFS},
		{"/bin/cat/", fs.O_RDONLY, errno.ENOTDIR},
		{"/bin", fs.O_RDWR, errno.EISDIR},
		{"/bin/cat", fs.O_RDONLY | fs.O_DIRECTORY, errno.ENOTDIR},
		{"/nope", fs.O_RDONLY, errno.ENOENT},
		{"/tmp/new", fs.O_WRONLY | fs.O_CREAT, nil},
		{"/bin/cat", fs.O_RDONLY | fs.O_CREAT | fs.O_EXCL, errno.EEXIST},
		{"", fs.O_RDONLY, errno.ENOENT},
		{long, fs.O_RDONLY, errno.ENAMETOOLONG},
		{"/dev/null", fs.O_RDWR, nil},
		{"/dev/console", fs.O_RDWR, nil},
	}
	for _, tc := range tests {
		_, err := u.call(SYS_open, u.str(tc.path), uint64(tc.flags), 0o644)
		assert.Equal(t, tc.err, err, "%.30q %#x", tc.path, tc.flags)
	}
	_, err := u.call(SYS_open, 0xffff800000000000, 0, 0)
	assert.Equal(t, errno.EFAULT, err)
	_, err = u.call(SYS_openat, 5, u.str("cat"), 0, 0)
	assert.Equal(t, errno.EBADF, err, "relative path with a closed dirfd")
	fd, _ := u.call(SYS_open, u.str("/dev/null"), 0, 0)
	_, err = u.call(SYS_openat, fd, u.str("cat"), 0, 0)
	assert.Equal(t, errno.ENOTDIR, err, "relative path with a dirfd that is not a directory")
}

func TestOpenFilesBehave(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	buf := u.alloc(64)
	null, err := u.call(SYS_open, u.str("/dev/null"), fs.O_RDWR|fs.O_CLOEXEC, 0)
	require.NoError(t, err)
	c, _ := u.Files.Cloexec(int(null))
	assert.True(t, c)
	fl, _ := u.call(SYS_fcntl, null, F_GETFL)
	assert.Equal(t, uint64(fs.O_RDWR|O_LARGEFILE), fl)
	n, err := u.call(SYS_write, null, buf, 64)
	assert.NoError(t, err)
	assert.Equal(t, uint64(64), n)
	n, err = u.call(SYS_read, null, buf, 64)
	assert.NoError(t, err)
	assert.Zero(t, n)

	cat, err := u.call(SYS_open, u.str("/bin/cat"), fs.O_RDONLY, 0)
	require.NoError(t, err)
	n, _ = u.call(SYS_read, cat, buf, 4)
	assert.Equal(t, "\x7fELF", string(u.read(buf, int(n))))
	off, err := u.call(SYS_lseek, cat, 1, vfs.SEEK_SET)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), off)
	_, err = u.call(SYS_lseek, cat, 0, 9)
	assert.Equal(t, errno.EINVAL, err)

	sb := u.alloc(vfs.StatSize)
	_, err = u.call(SYS_fstat, cat, sb)
	require.NoError(t, err)
	st := decodeStat(u.read(sb, vfs.StatSize))
	assert.Equal(t, uint32(vfs.S_IFREG|0o755), st.Mode)
	assert.Equal(t, int64(8), st.Size)

	con, err := u.call(SYS_open, u.str("/dev/console"), fs.O_RDWR, 0)
	require.NoError(t, err)
	_, err = u.call(SYS_fstat, con, sb)
	require.NoError(t, err)
	st = decodeStat(u.read(sb, vfs.StatSize))
	assert.Equal(t, uint32(vfs.S_IFCHR|0o600), st.Mode)
	assert.Equal(t, vfs.Mkdev(5, 1), st.Rdev)
	_, err = u.call(SYS_lseek, con, 0, 0)
	assert.Equal(t, errno.ESPIPE, err, "ttys do not seek")

	r, _ := u.mkpipe(t, 0)
	_, err = u.call(SYS_fstat, uint64(r), sb)
	require.NoError(t, err)
	st = decodeStat(u.read(sb, vfs.StatSize))
	assert.Equal(t, uint32(vfs.S_IFIFO|0o600), st.Mode)
	_, err = u.call(SYS_fstat, 99, sb)
	assert.Equal(t, errno.EBADF, err)
	_, err = u.call(SYS_fstat, uint64(r), 0)
	assert.Equal(t, errno.EFAULT, err)

	// newfstatat with AT_EMPTY_PATH is fstat.
	_, err = u.call(SYS_newfstatat, uint64(r), u.str(""), sb, AT_EMPTY_PATH)
	require.NoError(t, err)
	assert.Equal(t, uint32(vfs.S_IFIFO|0o600), decodeStat(u.read(sb, vfs.StatSize)).Mode)
	_, err = u.call(SYS_newfstatat, uint64(r), u.str(""), sb, 0)
	assert.Equal(t, errno.ENOENT, err)
	_, err = u.call(SYS_newfstatat, atFdcwd, u.str("/dev/null"), sb, 0x4)
	assert.Equal(t, errno.EINVAL, err)
	_, err = u.call(SYS_lstat, u.str("/dev/null"), sb)
	require.NoError(t, err)
	assert.Equal(t, vfs.Mkdev(1, 3), decodeStat(u.read(sb, vfs.StatSize)).Rdev)
}

func TestFifoOpenSyscallRendezvous(t *testing.T) {
	h := newHarness(t)
	a := h.newTask(t)
	b := h.newTask(t)
	_, err := a.call(SYS_mknod, a.str("/tmp/f"), vfs.S_IFIFO|0o600, 0)
	require.NoError(t, err)
	pa, pb := a.str("/tmp/f"), b.str("/tmp/f")

	_, err = b.call(SYS_open, pb, fs.O_WRONLY|fs.O_NONBLOCK, 0)
	assert.Equal(t, errno.ENXIO, err)

	_, err = a.call(SYS_open, pa, fs.O_RDONLY, 0)
	require.ErrorIs(t, err, errBlock, "blocking O_RDONLY waits for a writer")
	require.True(t, a.sleeping())
	// A spurious re-run still waits.
	_, err = a.call(SYS_open, pa, fs.O_RDONLY, 0)
	require.ErrorIs(t, err, errBlock)

	w, err := b.call(SYS_open, pb, fs.O_WRONLY, 0)
	require.NoError(t, err, "the waiting reader counts: the writer does not block")
	assert.False(t, a.sleeping(), "the writer's open woke the reader")
	r, err := a.call(SYS_open, pa, fs.O_RDONLY, 0)
	require.NoError(t, err)

	_, err = b.call(SYS_write, w, b.bytes([]byte("ping")), 4)
	require.NoError(t, err)
	buf := a.alloc(8)
	n, err := a.call(SYS_read, r, buf, 8)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(a.read(buf, int(n))))

	// Unlinking the name keeps the open FIFO working.
	_, err = a.call(SYS_unlink, pa)
	require.NoError(t, err)
	b.call(SYS_close, w)
	n, err = a.call(SYS_read, r, buf, 8)
	assert.NoError(t, err)
	assert.Zero(t, n)
}

func TestFifoOpenInterrupted(t *testing.T) {
	h := newHarness(t)
	a := h.newTask(t)
	_, err := a.call(SYS_mknod, a.str("/tmp/f"), vfs.S_IFIFO|0o600, 0)
	require.NoError(t, err)
	p := a.str("/tmp/f")
	_, err = a.call(SYS_open, p, fs.O_WRONLY, 0)
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(a.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	assert.False(t, a.sleeping(), "the signal woke the opener")
	_, err = a.call(SYS_open, p, fs.O_WRONLY, 0)
	assert.Equal(t, errno.ERESTARTSYS, err)
	ino, err := h.k.VFS.Lookup(nil, "/tmp/f")
	require.NoError(t, err)
	rd, wr := ino.Pipe().Counts()
	assert.Zero(t, rd)
	assert.Zero(t, wr, "the interrupted writer no longer counts")
	assert.Zero(t, a.Files.Count())
}

func TestAccessGetcwdChdir(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	tests := []struct {
		nr   uint64
		args []uint64
		err  error
	}{
		{SYS_access, []uint64{u.str("/bin/cat"), vfs.X_OK}, nil},
		{SYS_access, []uint64{u.str("/bin/cat"), vfs.W_OK}, errno.EROFS},
		{SYS_access, []uint64{u.str("/nope"), 0}, errno.ENOENT},
		{SYS_access, []uint64{u.str("/bin/cat"), 8}, errno.EINVAL},
		{SYS_faccessat, []uint64{atFdcwd, u.str("/dev/null"), vfs.R_OK | vfs.W_OK}, nil},
		{SYS_faccessat2, []uint64{atFdcwd, u.str("/dev/null"), vfs.R_OK, AT_EACCESS}, nil},
		{SYS_faccessat2, []uint64{atFdcwd, u.str("/dev/null"), vfs.R_OK, 0x1}, errno.EINVAL},
		{SYS_chdir, []uint64{u.str("/bin/cat")}, errno.ENOTDIR},
		{SYS_chdir, []uint64{u.str("/nope")}, errno.ENOENT},
	}
	for i, tc := range tests {
		_, err := u.call(tc.nr, tc.args...)
		assert.Equal(t, tc.err, err, "case %d", i)
	}
	buf := u.alloc(64)
	n, err := u.call(SYS_getcwd, buf, 64)
	require.NoError(t, err)
	assert.Equal(t, "/\x00", string(u.read(buf, int(n))))
	_, err = u.call(SYS_chdir, u.str("/tmp"))
	require.NoError(t, err)
	n, err = u.call(SYS_getcwd, buf, 64)
	require.NoError(t, err)
	assert.Equal(t, "/tmp\x00", string(u.read(buf, int(n))))
	_, err = u.call(SYS_getcwd, buf, 4)
	assert.Equal(t, errno.ERANGE, err)
	_, err = u.call(SYS_mknod, u.str("rel"), vfs.S_IFIFO|0o600, 0)
	require.NoError(t, err, "relative paths resolve against the cwd")
	_, err = u.stat(t, "/tmp/rel")
	assert.NoError(t, err)
	_, err = u.call(SYS_chdir, u.str(".."))
	require.NoError(t, err)
	n, _ = u.call(SYS_getcwd, buf, 64)
	assert.Equal(t, "/\x00", string(u.read(buf, int(n))))
	dfd, _ := u.call(SYS_open, u.str("/dev"), fs.O_RDONLY|fs.O_DIRECTORY, 0)
	_, err = u.call(SYS_fchdir, dfd)
	require.NoError(t, err)
	n, _ = u.call(SYS_getcwd, buf, 64)
	assert.Equal(t, "/dev\x00", string(u.read(buf, int(n))))
	h.k.ExitFS(u.Task)
}

func TestGetdents64Syscall(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd, err := u.call(SYS_open, u.str("/bin"), fs.O_RDONLY|fs.O_DIRECTORY, 0)
	require.NoError(t, err)
	buf := u.alloc(4096)
	n, err := u.call(SYS_getdents64, fd, buf, 4096)
	require.NoError(t, err)
	b := u.read(buf, int(n))
	var names []string
	for len(b) > 0 {
		rl := int(binary.LittleEndian.Uint16(b[16:]))
		names = append(names, strings.TrimRight(string(b[19:rl]), "\x00"))
		b = b[rl:]
	}
	assert.Equal(t, []string{".", "..", "cat"}, names)
	n, err = u.call(SYS_getdents64, fd, buf, 4096)
	assert.NoError(t, err)
	assert.Zero(t, n, "end of directory")
	null, _ := u.call(SYS_open, u.str("/dev/null"), 0, 0)
	_, err = u.call(SYS_getdents64, null, buf, 4096)
	assert.Equal(t, errno.ENOTDIR, err)
}
