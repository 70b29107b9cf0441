package vfs

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
)

// fakeConsole stands in for the tty.
type fakeConsole struct{ q fs.WaitQueue }

func (c *fakeConsole) Read(p []byte) (int, error)  { return 0, errno.EAGAIN }
func (c *fakeConsole) Write(p []byte) (int, error) { return len(p), nil }
func (c *fakeConsole) Poll() uint32                { return fs.POLLOUT }
func (c *fakeConsole) Wait() *fs.WaitQueue         { return &c.q }
func (c *fakeConsole) Release()                    {}

func newFS(t *testing.T) (*FS, *fakeConsole) {
	t.Helper()
	con := &fakeConsole{}
	v := New(Config{
		Images:  map[string][]byte{"/bin/cat": []byte("\x7fELFcat"), "/bin/sh": make([]byte, 5000)},
		Console: con,
		Now:     func() int64 { return 1_700_000_000_123_456_789 },
	})
	return v, con
}

func TestLookup(t *testing.T) {
	v, _ := newFS(t)
	tmp, err := v.Lookup(nil, "/tmp")
	require.NoError(t, err)
	_, err = v.Mknod(nil, "/tmp/f", S_IFIFO|0o600, 0)
	require.NoError(t, err)
	long := "/" + strings.Repeat("a", 256)
	tests := []struct {
		base *Inode
		path string
		want string // name of the inode found ("/" for the root)
		err  error
	}{
		{nil, "/", "/", nil},
		{nil, "//", "/", nil},
		{nil, "/bin/cat", "cat", nil},
		{nil, "/bin//cat", "cat", nil},
		{nil, "/bin/./cat", "cat", nil},
		{nil, "/bin/../bin/cat", "cat", nil},
		{nil, "/..", "/", nil},
		{nil, "/../../dev/null", "null", nil},
		{nil, "bin/cat", "cat", nil},
		{tmp, "f", "f", nil},
		{tmp, "../bin/cat", "cat", nil},
		{tmp, ".", "tmp", nil},
		{nil, "/bin/", "bin", nil},
		{nil, "", "", errno.ENOENT},
		{nil, "/nope", "", errno.ENOENT},
		{nil, "/bin/nope", "", errno.ENOENT},
		{nil, "/nope/cat", "", errno.ENOENT},
		{nil, "/bin/cat/", "", errno.ENOTDIR},
		{nil, "/bin/cat/x", "", errno.ENOTDIR},
		{nil, "/tmp/f/", "", errno.ENOTDIR},
		{nil, long, "", errno.ENAMETOOLONG},
		{nil, "/" + strings.Repeat("a/", 2047) + "b", "", errno.ENAMETOOLONG}, // 4096 bytes
		{nil, strings.Repeat("./", 2047) + "b", "", errno.ENOENT},             // 4095 bytes: walked
	}
	for _, tc := range tests {
		ino, err := v.Lookup(tc.base, tc.path)
		assert.Equal(t, tc.err, err, "%.40q", tc.path)
		if tc.err == nil && assert.NotNil(t, ino, tc.path) {
			name := ino.name
			if ino == v.Root() {
				name = "/"
			}
			assert.Equal(t, tc.want, name, tc.path)
		}
	}
}

func TestMknod(t *testing.T) {
	tests := []struct {
		name string
		path string
		mode uint32
		rdev uint64
		err  error
	}{
		{"FIFO in /tmp", "/tmp/f", S_IFIFO | 0o600, 0, nil},
		{"FIFO in /dev", "/dev/f", S_IFIFO | 0o644, 0, nil},
		{"char device (root may)", "/tmp/mynull", S_IFCHR | 0o666, RdevNull, nil},
		{"socket inode", "/tmp/s", S_IFSOCK | 0o600, 0, nil},
		{"existing name", "/tmp/exists", S_IFIFO | 0o600, 0, errno.EEXIST},
		{"EEXIST before EROFS", "/bin/cat", S_IFIFO | 0o600, 0, errno.EEXIST},
		{"read-only /bin", "/bin/f", S_IFIFO | 0o600, 0, errno.EROFS},
		{"read-only /", "/f", S_IFIFO | 0o600, 0, errno.EROFS},
		{"missing parent", "/tmp/no/f", S_IFIFO | 0o600, 0, errno.ENOENT},
		{"parent not a directory", "/bin/cat/f", S_IFIFO | 0o600, 0, errno.ENOTDIR},
		{"directory type", "/tmp/d", S_IFDIR | 0o755, 0, errno.EPERM},
		{"bad type", "/tmp/x", 0o170000, 0, errno.EINVAL},
		{"regular file in /tmp", "/tmp/r", S_IFREG | 0o644, 0, nil},
		{"regular file in /dev", "/dev/r", S_IFREG | 0o600, 0, nil},
		{"block device", "/tmp/b", S_IFBLK | 0o600, Mkdev(8, 0), nil},
		{"the root", "/", S_IFIFO | 0o600, 0, errno.EEXIST},
		{"trailing slash", "/tmp/new/", S_IFIFO | 0o600, 0, errno.ENOENT},
		{"empty path", "", S_IFIFO | 0o600, 0, errno.ENOENT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, _ := newFS(t)
			_, err := v.Mknod(nil, "/tmp/exists", S_IFIFO|0o600, 0)
			require.NoError(t, err)
			ino, err := v.Mknod(nil, tc.path, tc.mode, tc.rdev)
			assert.Equal(t, tc.err, err)
			if tc.err == nil {
				got, err := v.Lookup(nil, tc.path)
				require.NoError(t, err)
				assert.Same(t, ino, got)
				st := v.Stat(got)
				assert.Equal(t, tc.mode, st.Mode)
				assert.Equal(t, tc.rdev, st.Rdev)
				assert.Equal(t, uint64(1), st.Nlink)
			}
		})
	}
}

func TestUnlink(t *testing.T) {
	tests := []struct {
		path string
		err  error
	}{
		{"/tmp/f", nil},
		{"/tmp/nope", errno.ENOENT},
		{"/tmp", errno.EROFS}, // its parent, /, is read-only
		{"/tmp/.", errno.EISDIR},
		{"/bin/cat", errno.EROFS},
		{"/bin/nope", errno.EROFS}, // mnt_want_write comes before the lookup
		{"/dev/null", nil},
		{"/tmp/f/", errno.ENOTDIR},
		{"/tmp/nope/x", errno.ENOENT},
	}
	for _, tc := range tests {
		v, _ := newFS(t)
		_, err := v.Mknod(nil, "/tmp/f", S_IFIFO|0o600, 0)
		require.NoError(t, err)
		assert.Equal(t, tc.err, v.Unlink(nil, tc.path), tc.path)
		if tc.err == nil {
			_, err := v.Lookup(nil, tc.path)
			assert.Equal(t, errno.ENOENT, err)
		}
	}
}

func TestUnlinkOpenFifoKeepsWorking(t *testing.T) {
	v, _ := newFS(t)
	ino, err := v.Mknod(nil, "/tmp/f", S_IFIFO|0o600, 0)
	require.NoError(t, err)
	var st ipc.FifoOpen
	f, err := v.OpenInode(ino, fs.O_RDWR, &st)
	require.NoError(t, err)
	require.NoError(t, v.Unlink(nil, "/tmp/f"))
	f.Write([]byte("x"))
	b := make([]byte, 1)
	n, err := f.Read(b)
	assert.NoError(t, err)
	assert.Equal(t, 1, n)
	s, ok := v.StatFile(f)
	require.True(t, ok)
	assert.Equal(t, uint64(0), s.Nlink)
	_, err = v.Mknod(nil, "/tmp/f", S_IFIFO|0o600, 0)
	assert.NoError(t, err, "the name is free again")
}

func TestOpen(t *testing.T) {
	const (
		rd   = fs.O_RDONLY
		wr   = fs.O_WRONLY
		rdwr = fs.O_RDWR
	)
	tests := []struct {
		path  string
		flags int
		err   error
	}{
		{"/bin/cat", rd, nil},
		{"/bin/cat", wr, errno.EROFS},
		{"/bin/cat", rdwr, errno.EROFS},
		{"/bin/cat", rd | fs.O_TRUNC, errno.EROFS},
		{"/bin/cat", rd | fs.O_CREAT, nil},
		{"/bin/cat", rd | fs.O_CREAT | fs.O_EXCL, errno.EEXIST},
		{"/bin/cat", rd | fs.O_DIRECTORY, errno.ENOTDIR},
		{"/bin", rd, nil},
		{"/bin", rd | fs.O_DIRECTORY, nil},
		{"/bin", wr, errno.EISDIR},
		{"/bin", rd | fs.O_CREAT, errno.EISDIR},
		{"/", rd | fs.O_CREAT, errno.EISDIR},
		{"/tmp/new/", wr | fs.O_CREAT, errno.EISDIR},
		{"/tmp/new", wr | fs.O_CREAT, nil},
		{"/tmp/new", rd | fs.O_CREAT | fs.O_EXCL, nil},
		{"/tmp/.", rd | fs.O_CREAT | fs.O_EXCL, errno.EEXIST},
		{"/tmp/.", rd | fs.O_CREAT, errno.EISDIR},
		{"/tmp", rd | fs.O_CREAT | fs.O_EXCL, errno.EEXIST},
		{"/dev/new", rdwr | fs.O_CREAT, nil},
		{"/bin/new", wr | fs.O_CREAT, errno.EROFS},
		{"/nodir/new", wr | fs.O_CREAT, errno.ENOENT},
		{"/tmp/new", rd, errno.ENOENT},
		{"/dev/null", rdwr, nil},
		{"/dev/console", rdwr, nil},
		{"/tmp/f", rdwr | fs.O_CREAT, nil},
		{"/tmp/f", rdwr | fs.O_CREAT | fs.O_EXCL, errno.EEXIST},
	}
	for _, tc := range tests {
		v, _ := newFS(t)
		_, err := v.Mknod(nil, "/tmp/f", S_IFIFO|0o600, 0)
		require.NoError(t, err)
		_, err = v.Open(nil, tc.path, tc.flags, 0o644)
		assert.Equal(t, tc.err, err, "%s %#x", tc.path, tc.flags)
	}
}

func TestOpenInodeFiles(t *testing.T) {
	v, con := newFS(t)
	open := func(path string, flags int) fs.File {
		ino, err := v.Open(nil, path, flags, 0)
		require.NoError(t, err)
		var st ipc.FifoOpen
		f, err := v.OpenInode(ino, flags, &st)
		require.NoError(t, err, path)
		return f
	}
	assert.Same(t, con, open("/dev/console", fs.O_RDWR).(*fakeConsole))
	assert.Same(t, con, open("/dev/tty", fs.O_RDWR).(*fakeConsole))

	null := open("/dev/null", fs.O_RDWR)
	n, err := null.Read(make([]byte, 8))
	assert.NoError(t, err)
	assert.Zero(t, n, "/dev/null reads EOF")
	n, err = null.Write(make([]byte, 100))
	assert.NoError(t, err)
	assert.Equal(t, 100, n, "/dev/null swallows writes")

	zero := open("/dev/zero", fs.O_RDONLY)
	b := []byte{1, 2, 3}
	n, _ = zero.Read(b)
	assert.Equal(t, 3, n)
	assert.Equal(t, []byte{0, 0, 0}, b)

	cat := open("/bin/cat", fs.O_RDONLY)
	buf := make([]byte, 4)
	n, _ = cat.Read(buf)
	assert.Equal(t, "\x7fELF", string(buf[:n]))
	n, _ = cat.Read(buf)
	assert.Equal(t, "cat", string(buf[:n]))
	n, err = cat.Read(buf)
	assert.NoError(t, err)
	assert.Zero(t, n)
	pos, err := cat.(Seeker).Seek(1, SEEK_SET)
	require.NoError(t, err)
	assert.Equal(t, int64(1), pos)
	n, _ = cat.Read(buf[:3])
	assert.Equal(t, "ELF", string(buf[:n]))
	pos, _ = cat.(Seeker).Seek(-2, SEEK_END)
	assert.Equal(t, int64(5), pos)
	_, err = cat.(Seeker).Seek(-10, SEEK_CUR)
	assert.Equal(t, errno.EINVAL, err)
	_, err = cat.(Seeker).Seek(0, 7)
	assert.Equal(t, errno.EINVAL, err)

	dir := open("/bin", fs.O_RDONLY)
	_, err = dir.Read(buf)
	assert.Equal(t, errno.EISDIR, err)

	// A device node without a driver.
	ino, err := v.Mknod(nil, "/tmp/nodrv", S_IFCHR|0o600, Mkdev(42, 0))
	require.NoError(t, err)
	_, err = v.OpenInode(ino, fs.O_RDWR, &ipc.FifoOpen{})
	assert.Equal(t, errno.ENXIO, err)
	// mknod'ed /dev/null twin works like /dev/null.
	_, err = v.Mknod(nil, "/tmp/null2", S_IFCHR|0o666, RdevNull)
	require.NoError(t, err)
	n, _ = open("/tmp/null2", fs.O_WRONLY).Write([]byte("xx"))
	assert.Equal(t, 2, n)
}

func TestFifoOpenThroughNamespace(t *testing.T) {
	v, _ := newFS(t)
	ino, err := v.Mknod(nil, "/tmp/f", S_IFIFO|0o600, 0)
	require.NoError(t, err)
	var st ipc.FifoOpen
	_, err = v.OpenInode(ino, fs.O_WRONLY|fs.O_NONBLOCK, &st)
	assert.Equal(t, errno.ENXIO, err)
	_, err = v.OpenInode(ino, fs.O_RDONLY, &st)
	assert.Equal(t, errno.EAGAIN, err, "blocking reader waits")
	w, err := v.OpenInode(ino, fs.O_WRONLY|fs.O_NONBLOCK, &ipc.FifoOpen{})
	require.NoError(t, err)
	r, err := v.OpenInode(ino, fs.O_RDONLY, &st)
	require.NoError(t, err)
	w.Write([]byte("ping"))
	b := make([]byte, 8)
	n, _ := r.Read(b)
	assert.Equal(t, "ping", string(b[:n]))
	assert.True(t, IsPipe(r))
	s, ok := v.StatFile(r)
	require.True(t, ok)
	assert.Equal(t, ino.Ino, s.Ino)
	assert.Equal(t, uint32(S_IFIFO|0o600), s.Mode)
}

func TestAccess(t *testing.T) {
	v, _ := newFS(t)
	_, err := v.Mknod(nil, "/tmp/f", S_IFIFO|0o600, 0)
	require.NoError(t, err)
	tests := []struct {
		path string
		mode uint32
		err  error
	}{
		{"/bin/cat", F_OK, nil},
		{"/bin/cat", R_OK | X_OK, nil},
		{"/bin/cat", W_OK, errno.EROFS},
		{"/bin", W_OK, errno.EROFS},
		{"/tmp", W_OK | X_OK, nil},
		{"/tmp/f", R_OK | W_OK, nil},
		{"/tmp/f", X_OK, errno.EACCES},
		{"/dev/null", W_OK, nil},
		{"/dev/null", X_OK, errno.EACCES},
		{"/nope", F_OK, errno.ENOENT},
		{"/bin/cat", 8, errno.EINVAL},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.err, v.Access(nil, tc.path, tc.mode), "%s %d", tc.path, tc.mode)
	}
}

func TestStat(t *testing.T) {
	v, con := newFS(t)
	tests := []struct {
		path  string
		mode  uint32
		rdev  uint64
		size  int64
		nlink uint64
	}{
		{"/", S_IFDIR | 0o755, 0, 40 + 3*20, 5},
		{"/bin", S_IFDIR | 0o755, 0, 40 + 2*20, 2},
		{"/tmp", S_IFDIR | 0o1777, 0, 40, 2},
		{"/bin/sh", S_IFREG | 0o755, 0, 5000, 1},
		{"/dev/console", S_IFCHR | 0o600, Mkdev(5, 1), 0, 1},
		{"/dev/null", S_IFCHR | 0o666, Mkdev(1, 3), 0, 1},
		{"/dev/zero", S_IFCHR | 0o666, Mkdev(1, 5), 0, 1},
	}
	inos := map[uint64]bool{}
	for _, tc := range tests {
		ino, err := v.Lookup(nil, tc.path)
		require.NoError(t, err, tc.path)
		s := v.Stat(ino)
		assert.Equal(t, tc.mode, s.Mode, tc.path)
		assert.Equal(t, tc.rdev, s.Rdev, tc.path)
		assert.Equal(t, tc.size, s.Size, tc.path)
		assert.Equal(t, tc.nlink, s.Nlink, tc.path)
		assert.Equal(t, int64(4096), s.Blksize)
		assert.False(t, inos[s.Ino], "st_ino unique")
		inos[s.Ino] = true
	}
	assert.Equal(t, uint64(0x501), Mkdev(5, 1))
	assert.Equal(t, uint64(0x103), Mkdev(1, 3))
	assert.Equal(t, uint64(0x1000012), Mkdev(0, 0x1012), "minor bits above 8 go to bits 20+")
	assert.Equal(t, uint64(0xfff00), Mkdev(0xfff, 0))

	s, ok := v.StatFile(con)
	require.True(t, ok, "the console stats as /dev/console")
	assert.Equal(t, uint32(S_IFCHR|0o600), s.Mode)
	r, _ := ipc.NewPipeFiles()
	s, ok = (*FS)(nil).StatFile(r)
	require.True(t, ok, "pipes stat without a namespace")
	assert.Equal(t, uint32(S_IFIFO|0o600), s.Mode)
	assert.Equal(t, r.Pipe().Ino, s.Ino)
	_, ok = (*FS)(nil).StatFile(con)
	assert.False(t, ok)
}

func TestStatEncode(t *testing.T) {
	s := Stat{Dev: 1, Ino: 2, Nlink: 3, Mode: 4, UID: 5, GID: 6, Rdev: 7, Size: 8, Blksize: 9, Blocks: 10,
		Atime: 11_000_000_012, Mtime: 13_000_000_014, Ctime: 15_000_000_016}
	b := s.Encode()
	require.Len(t, b, 144)
	le := binary.LittleEndian
	for off, want := range map[int]uint64{0: 1, 8: 2, 16: 3, 40: 7, 48: 8, 56: 9, 64: 10,
		72: 11, 80: 12, 88: 13, 96: 14, 104: 15, 112: 16, 120: 0, 128: 0, 136: 0} {
		assert.Equal(t, want, le.Uint64(b[off:]), "offset %d", off)
	}
	for off, want := range map[int]uint32{24: 4, 28: 5, 32: 6, 36: 0} {
		assert.Equal(t, want, le.Uint32(b[off:]), "offset %d", off)
	}
}

func TestPath(t *testing.T) {
	v, _ := newFS(t)
	for _, p := range []string{"/", "/bin", "/tmp", "/dev"} {
		ino, err := v.Lookup(nil, p)
		require.NoError(t, err)
		assert.Equal(t, p, v.Path(ino))
	}
}

type dirent struct {
	ino  uint64
	off  uint64
	typ  byte
	name string
}

func parseDirents(b []byte) []dirent {
	var out []dirent
	for len(b) > 0 {
		reclen := int(binary.LittleEndian.Uint16(b[16:]))
		name := string(b[19:reclen])
		name = name[:strings.IndexByte(name, 0)]
		out = append(out, dirent{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:]), b[18], name})
		b = b[reclen:]
	}
	return out
}

func TestGetdents64(t *testing.T) {
	v, _ := newFS(t)
	ino, err := v.Open(nil, "/dev", fs.O_RDONLY|fs.O_DIRECTORY, 0)
	require.NoError(t, err)
	f, err := v.OpenInode(ino, fs.O_RDONLY, nil)
	require.NoError(t, err)
	d := f.(*Dir)
	_, err = d.Getdents64(10)
	assert.Equal(t, errno.EINVAL, err, "buffer too small for one record")
	var names []string
	var types []byte
	for {
		b, err := d.Getdents64(64) // two or three records at a time
		require.NoError(t, err)
		if len(b) == 0 {
			break
		}
		for _, e := range parseDirents(b) {
			names = append(names, e.name)
			types = append(types, e.typ)
		}
	}
	assert.Equal(t, []string{".", "..", "console", "tty", "null", "zero"}, names, "in the order they were made")
	assert.Equal(t, []byte{DT_DIR, DT_DIR, DT_CHR, DT_CHR, DT_CHR, DT_CHR}, types)
	_, err = d.Seek(0, SEEK_SET)
	require.NoError(t, err)
	b, err := d.Getdents64(4096)
	require.NoError(t, err)
	ents := parseDirents(b)
	require.Len(t, ents, 6)
	assert.Equal(t, ino.Ino, ents[0].ino)
	assert.Equal(t, v.Root().Ino, ents[1].ino)
	assert.Equal(t, uint64(3), ents[2].off)
	for off := 0; off < len(b); {
		reclen := int(binary.LittleEndian.Uint16(b[off+16:]))
		assert.Zero(t, reclen%8, "records are 8-byte aligned")
		off += reclen
	}
}
