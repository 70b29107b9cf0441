package proc

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/vfs"
)

func (u *utask) openMode(t *testing.T, path string, flags int, mode uint64) uint64 {
	t.Helper()
	fd, err := u.call(SYS_open, u.str(path), uint64(flags), mode)
	require.NoError(t, err, path)
	return fd
}

func (u *utask) fstat(t *testing.T, fd uint64) vfs.Stat {
	t.Helper()
	buf := u.alloc(vfs.StatSize)
	_, err := u.call(SYS_fstat, fd, buf)
	require.NoError(t, err)
	return decodeStat(u.read(buf, vfs.StatSize))
}

func (u *utask) lseek(t *testing.T, fd uint64, off int64, whence int) uint64 {
	t.Helper()
	pos, err := u.call(SYS_lseek, fd, uint64(off), uint64(whence))
	require.NoError(t, err)
	return pos
}

func TestTmpfsFileSyscalls(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd := u.openMode(t, "/tmp/f", fs.O_RDWR|fs.O_CREAT|fs.O_EXCL, 0o777)
	st := u.fstat(t, fd)
	assert.Equal(t, uint32(vfs.S_IFREG|0o755), st.Mode, "umask 022")
	assert.Equal(t, uint64(1), st.Nlink)

	// One write and one read of more than the 64 KiB bounce buffer.
	data := make([]byte, 100<<10)
	for i := range data {
		data[i] = byte(i*13 + i>>9)
	}
	n, err := u.call(SYS_write, fd, u.bytes(data), uint64(len(data)))
	require.NoError(t, err)
	assert.Equal(t, uint64(len(data)), n)
	assert.Equal(t, int64(len(data)), u.fstat(t, fd).Size)
	assert.Equal(t, uint64(len(data)), u.lseek(t, fd, 0, vfs.SEEK_CUR))
	u.lseek(t, fd, 0, vfs.SEEK_SET)
	buf := u.alloc(len(data) + 100)
	n, err = u.call(SYS_read, fd, buf, uint64(len(data)+100))
	require.NoError(t, err)
	assert.Equal(t, uint64(len(data)), n, "a regular file reads to the end in one call")
	assert.True(t, bytes.Equal(data, u.read(buf, len(data))))
	n, err = u.call(SYS_read, fd, buf, 10)
	assert.NoError(t, err)
	assert.Zero(t, n)

	// lseek.
	for _, tc := range []struct {
		off    int64
		whence int
		want   uint64
		err    error
	}{
		{-10, vfs.SEEK_END, uint64(len(data) - 10), nil},
		{0, vfs.SEEK_DATA, 0, nil},
		{0, vfs.SEEK_HOLE, uint64(len(data)), nil},
		{int64(len(data)), vfs.SEEK_DATA, 0, errno.ENXIO},
		{-1, vfs.SEEK_SET, 0, errno.EINVAL},
		{0, 5, 0, errno.EINVAL},
	} {
		pos, err := u.call(SYS_lseek, fd, uint64(tc.off), uint64(tc.whence))
		assert.Equal(t, tc.err, err, "%d %d", tc.off, tc.whence)
		assert.Equal(t, tc.want, pos, "%d %d", tc.off, tc.whence)
	}
	r, _ := u.mkpipe(t, 0)
	_, err = u.call(SYS_lseek, uint64(r), 0, vfs.SEEK_DATA)
	assert.Equal(t, errno.ESPIPE, err)

	// The offset is shared by dup and by a forked child.
	fd2, err := u.call(SYS_dup, fd)
	require.NoError(t, err)
	u.lseek(t, fd, 5, vfs.SEEK_SET)
	assert.Equal(t, uint64(5), u.lseek(t, fd2, 0, vfs.SEEK_CUR))
	c := h.fork(t, u.Task)
	_, err = c.call(SYS_write, fd, c.bytes([]byte("child")), 5)
	require.NoError(t, err)
	assert.Equal(t, uint64(10), u.lseek(t, fd, 0, vfs.SEEK_CUR), "the child's write moved the parent's offset")

	// O_APPEND: two open files, each appending; F_SETFL switches it.
	require.NoError(t, err)
	a := u.openMode(t, "/tmp/log", fs.O_WRONLY|fs.O_CREAT|fs.O_APPEND, 0o644)
	b := c.openMode(t, "/tmp/log", fs.O_WRONLY|fs.O_APPEND, 0)
	for i := 0; i < 3; i++ {
		_, err = u.call(SYS_write, a, u.bytes([]byte("AA")), 2)
		require.NoError(t, err)
		_, err = c.call(SYS_write, b, c.bytes([]byte("bbb")), 3)
		require.NoError(t, err)
	}
	assert.Equal(t, uint64(15), c.lseek(t, b, 0, vfs.SEEK_CUR))
	_, err = u.call(SYS_fcntl, a, F_SETFL, 0)
	require.NoError(t, err)
	u.lseek(t, a, 0, vfs.SEEK_SET)
	_, err = u.call(SYS_write, a, u.bytes([]byte("X")), 1)
	require.NoError(t, err)
	_, err = u.call(SYS_fcntl, a, F_SETFL, fs.O_APPEND)
	require.NoError(t, err)
	_, err = u.call(SYS_write, a, u.bytes([]byte("Z")), 1)
	require.NoError(t, err)
	rd := u.openMode(t, "/tmp/log", fs.O_RDONLY, 0)
	n, _ = u.call(SYS_read, rd, buf, 64)
	assert.Equal(t, "XAbbbAAbbbAAbbbZ", string(u.read(buf, int(n))))

	// O_TRUNC, then O_CREAT|O_DIRECTORY.
	u.openMode(t, "/tmp/log", fs.O_WRONLY|fs.O_TRUNC, 0)
	assert.Zero(t, u.fstat(t, rd).Size)
	_, err = u.call(SYS_open, u.str("/tmp/log"), fs.O_RDONLY|fs.O_CREAT|fs.O_DIRECTORY, 0)
	assert.Equal(t, errno.EINVAL, err)
	_, err = u.call(SYS_open, 0, fs.O_RDONLY|fs.O_CREAT|fs.O_DIRECTORY, 0)
	assert.Equal(t, errno.EINVAL, err, "flags are checked before the path")
}

func TestTruncateFsync(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd := u.openMode(t, "/tmp/f", fs.O_RDWR|fs.O_CREAT, 0o644)
	ro := u.openMode(t, "/tmp/f", fs.O_RDONLY, 0)
	dir := u.openMode(t, "/tmp", fs.O_RDONLY|fs.O_DIRECTORY, 0)
	null := u.openMode(t, "/dev/null", fs.O_RDWR, 0)
	r, _ := u.mkpipe(t, 0)
	neg := uint64(1) << 63
	tests := []struct {
		nr   uint64
		args []uint64
		err  error
	}{
		{SYS_ftruncate, []uint64{fd, 3000}, nil},
		{SYS_ftruncate, []uint64{99, neg}, errno.EINVAL}, // the length first
		{SYS_ftruncate, []uint64{99, 0}, errno.EBADF},
		{SYS_ftruncate, []uint64{ro, 0}, errno.EINVAL},
		{SYS_ftruncate, []uint64{dir, 0}, errno.EINVAL},
		{SYS_ftruncate, []uint64{uint64(r), 0}, errno.EINVAL},
		{SYS_truncate, []uint64{u.str("/tmp/f"), 5000}, nil},
		{SYS_truncate, []uint64{0, neg}, errno.EINVAL},
		{SYS_truncate, []uint64{0, 0}, errno.EFAULT},
		{SYS_truncate, []uint64{u.str("/tmp"), 0}, errno.EISDIR},
		{SYS_truncate, []uint64{u.str("/dev/null"), 0}, errno.EINVAL},
		{SYS_truncate, []uint64{u.str("/bin/cat"), 0}, errno.EROFS},
		{SYS_truncate, []uint64{u.str("/tmp/nope"), 0}, errno.ENOENT},
		{SYS_fsync, []uint64{fd}, nil},
		{SYS_fdatasync, []uint64{ro}, nil},
		{SYS_fsync, []uint64{dir}, nil},
		{SYS_fsync, []uint64{null}, errno.EINVAL},
		{SYS_fsync, []uint64{uint64(r)}, errno.EINVAL},
		{SYS_fdatasync, []uint64{99}, errno.EBADF},
	}
	for i, tc := range tests {
		_, err := u.call(tc.nr, tc.args...)
		assert.Equal(t, tc.err, err, "case %d", i)
	}
	st := u.fstat(t, fd)
	assert.Equal(t, int64(5000), st.Size)
}

// TestUnlinkOpenFileFrames: the data of an unlinked file lives in frames
// until the last descriptor closes, in whichever process.
func TestUnlinkOpenFileFrames(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd := u.openMode(t, "/tmp/f", fs.O_RDWR|fs.O_CREAT, 0o644)
	c := h.fork(t, u.Task)
	data, path := u.bytes(make([]byte, 3*4096)), u.str("/tmp/f")
	u.fstat(t, fd) // touches the stat buffer's page
	free := h.k.Frames.FreeCount()
	_, err := u.call(SYS_write, fd, data, 3*4096)
	require.NoError(t, err)
	assert.Equal(t, free-3, h.k.Frames.FreeCount())
	_, err = u.call(SYS_unlink, path)
	require.NoError(t, err)
	_, err = u.call(SYS_close, fd)
	require.NoError(t, err)
	assert.Equal(t, free-3, h.k.Frames.FreeCount(), "the child still has it open")
	n, err := c.call(SYS_lseek, fd, 0, vfs.SEEK_END)
	require.NoError(t, err)
	assert.Equal(t, uint64(3*4096), n)
	_, err = c.call(SYS_close, fd)
	require.NoError(t, err)
	assert.Equal(t, free, h.k.Frames.FreeCount(), "the last close freed the pages")
}

func TestNamespaceSyscalls(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	for _, p := range []string{"/tmp/f", "/tmp/g"} {
		u.openMode(t, p, fs.O_WRONLY|fs.O_CREAT, 0o644)
	}
	tmp := u.openMode(t, "/tmp", fs.O_RDONLY|fs.O_DIRECTORY, 0)
	f := u.openMode(t, "/tmp/f", fs.O_RDONLY, 0)
	r, _ := u.mkpipe(t, 0)
	tests := []struct {
		name string
		nr   uint64
		args []uint64
		err  error
	}{
		{"mkdir", SYS_mkdir, []uint64{u.str("/tmp/d"), 0o777}, nil},
		{"mkdir existing", SYS_mkdir, []uint64{u.str("/tmp/d"), 0o777}, errno.EEXIST},
		{"mkdir EFAULT", SYS_mkdir, []uint64{0, 0o777}, errno.EFAULT},
		{"mkdirat", SYS_mkdirat, []uint64{tmp, u.str("d2"), 0o1777}, nil},
		{"mkdirat not a dir", SYS_mkdirat, []uint64{f, u.str("x"), 0o755}, errno.ENOTDIR},
		{"mkdirat EBADF", SYS_mkdirat, []uint64{77, u.str("x"), 0o755}, errno.EBADF},
		{"rmdir", SYS_rmdir, []uint64{u.str("/tmp/d2")}, nil},
		{"rmdir .", SYS_rmdir, []uint64{u.str("/tmp/d/.")}, errno.EINVAL},
		{"symlink", SYS_symlink, []uint64{u.str("f"), u.str("/tmp/l")}, nil},
		{"symlink empty", SYS_symlink, []uint64{u.str(""), u.str("/tmp/l2")}, errno.ENOENT},
		{"symlink EFAULT", SYS_symlink, []uint64{0, u.str("/tmp/l2")}, errno.EFAULT},
		{"symlinkat", SYS_symlinkat, []uint64{u.str("/tmp/d"), tmp, u.str("ld")}, nil},
		{"link", SYS_link, []uint64{u.str("/tmp/l"), u.str("/tmp/hl")}, nil},
		{"linkat follow", SYS_linkat, []uint64{atFdcwd, u.str("/tmp/l"), tmp, u.str("hf"), AT_SYMLINK_FOLLOW}, nil},
		{"linkat bad flags", SYS_linkat, []uint64{atFdcwd, 0, atFdcwd, 0, 1}, errno.EINVAL},
		{"linkat empty without AT_EMPTY_PATH", SYS_linkat, []uint64{f, u.str(""), atFdcwd, u.str("/tmp/e"), 0}, errno.ENOENT},
		{"linkat AT_EMPTY_PATH", SYS_linkat, []uint64{f, u.str(""), atFdcwd, u.str("/tmp/e"), AT_EMPTY_PATH}, nil},
		{"linkat AT_EMPTY_PATH pipe", SYS_linkat, []uint64{uint64(r), u.str(""), atFdcwd, u.str("/tmp/p"), AT_EMPTY_PATH}, errno.EXDEV},
		{"linkat AT_EMPTY_PATH cwd", SYS_linkat, []uint64{atFdcwd, u.str(""), atFdcwd, u.str("/tmp/p"), AT_EMPTY_PATH}, errno.EXDEV},
		{"link dir", SYS_link, []uint64{u.str("/tmp/d"), u.str("/tmp/dd")}, errno.EPERM},
		{"rename", SYS_rename, []uint64{u.str("/tmp/g"), u.str("/tmp/d/g")}, nil},
		{"rename EFAULT", SYS_rename, []uint64{u.str("/tmp/d/g"), 0}, errno.EFAULT},
		{"renameat", SYS_renameat, []uint64{tmp, u.str("d/g"), tmp, u.str("g")}, nil},
		{"renameat2 bad flags before EFAULT", SYS_renameat2, []uint64{atFdcwd, 0, atFdcwd, 0, 3}, errno.EINVAL},
		{"renameat2 NOREPLACE", SYS_renameat2, []uint64{atFdcwd, u.str("/tmp/g"), atFdcwd, u.str("/tmp/f"), vfs.RENAME_NOREPLACE}, errno.EEXIST},
		{"renameat2 EXCHANGE", SYS_renameat2, []uint64{atFdcwd, u.str("/tmp/g"), atFdcwd, u.str("/tmp/d"), vfs.RENAME_EXCHANGE}, nil},
		{"renameat2 back", SYS_renameat2, []uint64{atFdcwd, u.str("/tmp/g"), atFdcwd, u.str("/tmp/d"), vfs.RENAME_EXCHANGE}, nil},
		{"chmod", SYS_chmod, []uint64{u.str("/tmp/l"), 0o600}, nil},
		{"chmod read-only", SYS_chmod, []uint64{u.str("/bin/cat"), 0o600}, errno.EROFS},
		{"fchmod", SYS_fchmod, []uint64{f, 0o640}, nil},
		{"fchmod AT_FDCWD", SYS_fchmod, []uint64{atFdcwd, 0o640}, errno.EBADF},
		{"fchmod pipe", SYS_fchmod, []uint64{uint64(r), 0o640}, nil},
		{"fchmodat", SYS_fchmodat, []uint64{tmp, u.str("g"), 0o604}, nil},
		{"fchmodat2 bad flags", SYS_fchmodat2, []uint64{tmp, u.str("g"), 0o604, 1}, errno.EINVAL},
		{"fchmodat2 link", SYS_fchmodat2, []uint64{tmp, u.str("l"), 0o604, AT_SYMLINK_NOFOLLOW}, errno.EOPNOTSUPP},
		{"fchmodat2 AT_EMPTY_PATH", SYS_fchmodat2, []uint64{tmp, u.str(""), 0o1777, AT_EMPTY_PATH}, nil},
		{"unlink a link", SYS_unlink, []uint64{u.str("/tmp/hl")}, nil},
	}
	for _, tc := range tests {
		_, err := u.call(tc.nr, tc.args...)
		assert.Equal(t, tc.err, err, tc.name)
	}
	mode := func(path string) uint32 {
		st, err := u.stat(t, path)
		require.NoError(t, err, path)
		return st.Mode
	}
	assert.Equal(t, uint32(vfs.S_IFDIR|0o755), mode("/tmp/d"))
	assert.Equal(t, uint32(vfs.S_IFREG|0o640), mode("/tmp/f"), "chmod through the link, then fchmod")
	assert.Equal(t, uint32(vfs.S_IFREG|0o604), mode("/tmp/g"))
	assert.Equal(t, uint32(vfs.S_IFDIR|0o1777), mode("/tmp"))
	st, _ := u.stat(t, "/tmp/f")
	assert.Equal(t, uint64(3), st.Nlink, "f, hf and e")

	// stat follows a link, lstat and AT_SYMLINK_NOFOLLOW do not.
	sb := u.alloc(vfs.StatSize)
	_, err := u.call(SYS_lstat, u.str("/tmp/l"), sb)
	require.NoError(t, err)
	assert.Equal(t, uint32(vfs.S_IFLNK|0o777), decodeStat(u.read(sb, vfs.StatSize)).Mode)
	assert.Equal(t, int64(1), decodeStat(u.read(sb, vfs.StatSize)).Size)
	_, err = u.call(SYS_newfstatat, tmp, u.str("ld"), sb, AT_SYMLINK_NOFOLLOW)
	require.NoError(t, err)
	assert.Equal(t, uint32(vfs.S_IFLNK|0o777), decodeStat(u.read(sb, vfs.StatSize)).Mode)
	_, err = u.call(SYS_newfstatat, tmp, u.str("ld"), sb, 0)
	require.NoError(t, err)
	assert.Equal(t, uint32(vfs.S_IFDIR|0o755), decodeStat(u.read(sb, vfs.StatSize)).Mode)
	_, err = u.call(SYS_faccessat2, tmp, u.str("l"), vfs.W_OK, AT_SYMLINK_NOFOLLOW)
	assert.NoError(t, err)

	// readlink.
	buf := u.alloc(64)
	for _, tc := range []struct {
		nr   uint64
		args []uint64
		want string
		err  error
	}{
		{SYS_readlink, []uint64{u.str("/tmp/ld"), buf, 64}, "/tmp/d", nil},
		{SYS_readlink, []uint64{u.str("/tmp/ld"), buf, 4}, "/tmp", nil},
		{SYS_readlink, []uint64{u.str("/tmp/ld"), buf, 0}, "", errno.EINVAL},
		{SYS_readlink, []uint64{u.str("/tmp/ld"), buf, uint64(0xffffffff)}, "", errno.EINVAL}, // -1
		{SYS_readlink, []uint64{u.str("/tmp/ld"), 0, 64}, "", errno.EFAULT},
		{SYS_readlink, []uint64{u.str("/tmp/f"), buf, 64}, "", errno.EINVAL},
		{SYS_readlink, []uint64{u.str(""), buf, 64}, "", errno.ENOENT},
		{SYS_readlinkat, []uint64{tmp, u.str("l"), buf, 64}, "f", nil},
		{SYS_readlinkat, []uint64{f, u.str(""), buf, 64}, "", errno.ENOENT},
		{SYS_readlinkat, []uint64{77, u.str(""), buf, 64}, "", errno.EBADF},
	} {
		n, err := u.call(tc.nr, tc.args...)
		assert.Equal(t, tc.err, err, "%v", tc.args)
		assert.Equal(t, tc.want, string(u.read(buf, int(n))), "%v", tc.args)
	}

	// getdents64 lists what was made.
	d := u.openMode(t, "/tmp", fs.O_RDONLY|fs.O_DIRECTORY, 0)
	dbuf := u.alloc(4096)
	n, err := u.call(SYS_getdents64, d, dbuf, 4096)
	require.NoError(t, err)
	var names []string
	for _, e := range parseDirentsProc(u.read(dbuf, int(n))) {
		names = append(names, e)
	}
	assert.ElementsMatch(t, []string{".", "..", "f", "d", "l", "ld", "hf", "e", "g"}, names)

	// A removed working directory.
	_, err = u.call(SYS_chdir, u.str("/tmp/d"))
	require.NoError(t, err)
	_, err = u.call(SYS_rmdir, u.str("/tmp/d"))
	require.NoError(t, err)
	_, err = u.call(SYS_getcwd, buf, 64)
	assert.Equal(t, errno.ENOENT, err)
	_, err = u.call(SYS_open, u.str("x"), fs.O_CREAT|fs.O_WRONLY, 0o644)
	assert.Equal(t, errno.ENOENT, err)
	h.k.ExitFS(u.Task)
}

func TestTmpfileSyscalls(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd := u.openMode(t, "/tmp", vfs.O_TMPFILE|fs.O_RDWR, 0o666)
	st := u.fstat(t, fd)
	assert.Equal(t, uint32(vfs.S_IFREG|0o644), st.Mode)
	assert.Zero(t, st.Nlink)
	fl, _ := u.call(SYS_fcntl, fd, F_GETFL)
	assert.Equal(t, uint64(vfs.O_TMPFILE|fs.O_RDWR|O_LARGEFILE), fl, "F_GETFL keeps O_TMPFILE, as Linux")
	_, err := u.call(SYS_linkat, fd, u.str(""), atFdcwd, u.str("/tmp/named"), AT_EMPTY_PATH)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), u.fstat(t, fd).Nlink)
	_, err = u.call(SYS_open, u.str("/tmp"), vfs.O_TMPFILE|fs.O_RDONLY, 0)
	assert.Equal(t, errno.EINVAL, err)
	_, err = u.call(SYS_open, 0, vfs.O__TMPFILE|fs.O_RDWR, 0)
	assert.Equal(t, errno.EINVAL, err, "checked before the path")
}

func TestUmask(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	mode := func(u *utask, path string) uint32 {
		st, err := u.stat(t, path)
		require.NoError(t, err, path)
		return st.Mode & 0o7777
	}
	old, err := u.call(SYS_umask, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(0o022), old, "the default")
	u.openMode(t, "/tmp/a", fs.O_WRONLY|fs.O_CREAT, 0o666)
	assert.Equal(t, uint32(0o666), mode(u, "/tmp/a"))
	old, _ = u.call(SYS_umask, 0o7077) // only the permission bits count
	assert.Zero(t, old)
	_, err = u.call(SYS_mkdir, u.str("/tmp/d"), 0o1777)
	require.NoError(t, err)
	assert.Equal(t, uint32(0o1700), mode(u, "/tmp/d"))
	_, err = u.call(SYS_mknod, u.str("/tmp/p"), vfs.S_IFIFO|0o666, 0)
	require.NoError(t, err)
	assert.Equal(t, uint32(0o600), mode(u, "/tmp/p"))

	c := h.fork(t, u.Task)
	old, _ = c.call(SYS_umask, 0o002)
	assert.Equal(t, uint64(0o077), old, "a child inherits the umask")
	old, _ = u.call(SYS_umask, 0o022)
	assert.Equal(t, uint64(0o077), old, "the child's change is its own")
	c.openMode(t, "/tmp/b", fs.O_WRONLY|fs.O_CREAT, 0o666)
	assert.Equal(t, uint32(0o664), mode(c, "/tmp/b"))
	h.k.ExitFS(c.Task)
	h.k.ExitFS(u.Task)
}

func TestPositionalTmpfs(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd := u.openMode(t, "/tmp/f", fs.O_RDWR|fs.O_CREAT, 0o644)
	big := make([]byte, 70<<10) // more than one bounce-buffer chunk
	for i := range big {
		big[i] = byte(i*7 + 1)
	}
	n, err := u.call(SYS_pwrite64, fd, u.bytes(big), uint64(len(big)), 5000)
	require.NoError(t, err)
	assert.Equal(t, uint64(len(big)), n)
	assert.Equal(t, uint64(0), u.lseek(t, fd, 0, vfs.SEEK_CUR))
	assert.Equal(t, int64(5000+len(big)), u.fstat(t, fd).Size)
	buf := u.alloc(len(big) + 5000)
	n, err = u.call(SYS_pread64, fd, buf, uint64(len(big)+5000), 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(len(big)+5000), n)
	got := u.read(buf, int(n))
	assert.Equal(t, make([]byte, 5000), got[:5000], "the hole")
	assert.True(t, bytes.Equal(big, got[5000:]))

	// pwrite on an O_APPEND file appends, in one piece, and leaves the
	// position; pread is not affected.
	a := u.openMode(t, "/tmp/f", fs.O_WRONLY|fs.O_APPEND, 0)
	u.lseek(t, a, 10, vfs.SEEK_SET)
	n, err = u.call(SYS_pwrite64, a, u.bytes(big), uint64(len(big)), 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(len(big)), n)
	assert.Equal(t, uint64(10), u.lseek(t, a, 0, vfs.SEEK_CUR))
	assert.Equal(t, int64(5000+2*len(big)), u.fstat(t, a).Size)
	n, _ = u.call(SYS_pread64, fd, buf, uint64(len(big)), uint64(5000+len(big)))
	assert.Equal(t, uint64(len(big)), n)
	assert.True(t, bytes.Equal(big, u.read(buf, int(n))), "appended whole at the end")
	n, err = u.call(SYS_pwrite64, a, u.bytes([]byte("x")), 0, 0)
	assert.NoError(t, err)
	assert.Zero(t, n)
}

// TestEpollRegular: regular files, directories and /dev/null have no poll
// method (file_can_poll): epoll_ctl refuses them.
func TestEpollRegular(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	ep, err := u.call(SYS_epoll_create1, 0)
	require.NoError(t, err)
	ev := u.alloc(12)
	r, _ := u.mkpipe(t, 0)
	for _, tc := range []struct {
		fd  uint64
		err error
	}{
		{u.openMode(t, "/tmp/f", fs.O_RDWR|fs.O_CREAT, 0o644), errno.EPERM},
		{u.openMode(t, "/tmp", fs.O_RDONLY|fs.O_DIRECTORY, 0), errno.EPERM},
		{u.openMode(t, "/bin/cat", fs.O_RDONLY, 0), errno.EPERM},
		{u.openMode(t, "/dev/null", fs.O_RDONLY, 0), errno.EPERM},
		{uint64(r), nil},
	} {
		_, err := u.call(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, tc.fd, ev)
		assert.Equal(t, tc.err, err, "fd %d", tc.fd)
	}
}

func parseDirentsProc(b []byte) []string {
	var out []string
	for len(b) > 0 {
		rl := int(b[16]) | int(b[17])<<8
		out = append(out, string(bytes.TrimRight(b[19:rl], "\x00")))
		b = b[rl:]
	}
	return out
}
