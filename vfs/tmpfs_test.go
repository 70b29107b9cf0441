package vfs

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/mm"
)

// clockFS is a namespace whose clock the test moves.
type clockFS struct {
	*FS
	now int64
}

func newClockFS(t *testing.T, c Config) *clockFS {
	t.Helper()
	cf := &clockFS{now: 1_700_000_000_000_000_000}
	c.Now = func() int64 { return cf.now }
	if c.Images == nil {
		c.Images = map[string][]byte{"/bin/cat": []byte("\x7fELFcat")}
	}
	cf.FS = New(c)
	return cf
}

// openFile opens path with flags (making it 0644) as open(2) does.
func openFile(t *testing.T, v *FS, path string, flags int) *RegFile {
	t.Helper()
	ino, err := v.Open(nil, path, flags, 0o644)
	require.NoError(t, err, path)
	f, err := v.OpenInode(ino, flags, &ipc.FifoOpen{})
	require.NoError(t, err, path)
	return f.(*RegFile)
}

func readAll(t *testing.T, f *RegFile) []byte {
	t.Helper()
	_, err := f.Seek(0, SEEK_SET)
	require.NoError(t, err)
	var out []byte
	buf := make([]byte, 777)
	for {
		n, err := f.Read(buf)
		require.NoError(t, err)
		if n == 0 {
			return out
		}
		out = append(out, buf[:n]...)
	}
}

func TestRegularFileReadWriteSeek(t *testing.T) {
	v := newClockFS(t, Config{})
	f := openFile(t, v.FS, "/tmp/f", fs.O_RDWR|fs.O_CREAT|fs.O_EXCL)
	st := v.Stat(f.Inode())
	assert.Equal(t, uint32(S_IFREG|0o644), st.Mode)
	assert.Equal(t, uint64(1), st.Nlink)
	assert.Zero(t, st.Size)
	assert.Zero(t, st.Blocks)
	assert.Equal(t, devTmp, st.Dev)

	v.now += 1000
	n, err := f.Write([]byte("hello, world"))
	require.NoError(t, err)
	assert.Equal(t, 12, n)
	st = v.Stat(f.Inode())
	assert.Equal(t, int64(12), st.Size)
	assert.Equal(t, int64(8), st.Blocks, "one page: 8 blocks of 512 bytes")
	assert.Equal(t, v.now, st.Mtime)
	assert.Equal(t, v.now, st.Ctime)

	tests := []struct {
		off    int64
		whence int
		want   int64
		err    error
	}{
		{0, SEEK_CUR, 12, nil},
		{7, SEEK_SET, 7, nil},
		{-2, SEEK_CUR, 5, nil},
		{-5, SEEK_END, 7, nil},
		{100, SEEK_END, 112, nil},
		{-1, SEEK_SET, 0, errno.EINVAL},
		{-113, SEEK_CUR, 0, errno.EINVAL},
		{0, 9, 0, errno.EINVAL},
		{0, SEEK_DATA, 0, nil},
		{3, SEEK_HOLE, 12, nil},
		{12, SEEK_DATA, 0, errno.ENXIO},
		{-1, SEEK_HOLE, 0, errno.ENXIO},
		{1 << 62, SEEK_SET, 1 << 62, nil},
		{1 << 62, SEEK_CUR, 0, errno.EINVAL}, // past MaxFileSize
	}
	for i, tc := range tests {
		pos, err := f.Seek(tc.off, tc.whence)
		assert.Equal(t, tc.err, err, "case %d", i)
		if tc.err == nil {
			assert.Equal(t, tc.want, pos, "case %d", i)
		}
	}
	assert.Equal(t, "hello, world", string(readAll(t, f)))

	// A second open has its own position; O_APPEND writes at the end.
	g := openFile(t, v.FS, "/tmp/f", fs.O_RDWR)
	n, err = g.Append([]byte("!"))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	pos, _ := g.Seek(0, SEEK_CUR)
	assert.Equal(t, int64(13), pos, "the position follows an append")
	_, err = f.Seek(0, SEEK_SET)
	require.NoError(t, err)
	n, err = f.Append([]byte("?"))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = f.WriteAt([]byte("H"), 0)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, "Hello, world!?", string(readAll(t, g)))
	b := make([]byte, 5)
	n, err = g.ReadAt(b, 7)
	require.NoError(t, err)
	assert.Equal(t, "world", string(b[:n]))
	_, err = g.ReadAt(b, -1)
	assert.Equal(t, errno.EINVAL, err)

	// Images are read-only.
	cat := openFile(t, v.FS, "/bin/cat", fs.O_RDONLY)
	_, err = cat.Write([]byte("x"))
	assert.Equal(t, errno.EBADF, err)
	_, err = cat.Append([]byte("x"))
	assert.Equal(t, errno.EBADF, err)
	pos, err = cat.Seek(2, SEEK_DATA)
	assert.NoError(t, err)
	assert.Equal(t, int64(2), pos)
	pos, err = cat.Seek(2, SEEK_HOLE)
	assert.NoError(t, err)
	assert.Equal(t, int64(7), pos)
	assert.Equal(t, int64(8), v.Stat(cat.Inode()).Blocks)
	assert.True(t, IsRegular(cat))
	assert.False(t, IsRegular(nullFile{}))
}

func TestSparseFilesAndTruncate(t *testing.T) {
	v := newClockFS(t, Config{})
	f := openFile(t, v.FS, "/tmp/s", fs.O_RDWR|fs.O_CREAT)
	ino := f.Inode()
	_, err := f.Seek(3*PageSize+10, SEEK_SET)
	require.NoError(t, err)
	_, err = f.Write([]byte("xyz"))
	require.NoError(t, err)
	st := v.Stat(ino)
	assert.Equal(t, int64(3*PageSize+13), st.Size)
	assert.Equal(t, int64(8), st.Blocks, "only the written page")
	data := readAll(t, f)
	assert.Equal(t, make([]byte, 3*PageSize+10), data[:3*PageSize+10], "the hole reads as zeros")
	assert.Equal(t, "xyz", string(data[3*PageSize+10:]))

	for _, tc := range []struct {
		off    int64
		whence int
		want   int64
		err    error
	}{
		{0, SEEK_DATA, 3 * PageSize, nil},
		{0, SEEK_HOLE, 0, nil},
		{3*PageSize + 1, SEEK_DATA, 3*PageSize + 1, nil},
		{3*PageSize + 1, SEEK_HOLE, 3*PageSize + 13, nil},
		{3*PageSize + 13, SEEK_HOLE, 0, errno.ENXIO},
	} {
		pos, err := f.Seek(tc.off, tc.whence)
		assert.Equal(t, tc.err, err, "%d %d", tc.off, tc.whence)
		assert.Equal(t, tc.want, pos, "%d %d", tc.off, tc.whence)
	}

	// Shrinking frees pages and zeroes the rest of the last one.
	_, err = f.Seek(0, SEEK_SET)
	require.NoError(t, err)
	_, err = f.Write(bytes.Repeat([]byte{0xaa}, 2*PageSize))
	require.NoError(t, err)
	assert.Equal(t, int64(3*8), v.Stat(ino).Blocks)
	v.now += 5
	require.NoError(t, v.Truncate(ino, 100))
	st = v.Stat(ino)
	assert.Equal(t, int64(100), st.Size)
	assert.Equal(t, int64(8), st.Blocks)
	assert.Equal(t, v.now, st.Mtime)
	require.NoError(t, v.Truncate(ino, 2*PageSize))
	data = readAll(t, f)
	assert.Equal(t, bytes.Repeat([]byte{0xaa}, 100), data[:100])
	assert.Equal(t, make([]byte, 2*PageSize-100), data[100:], "grown again: zeros")
	used, _ := v.TmpfsUsage()
	assert.Equal(t, 1, used)

	for _, tc := range []struct {
		path string
		size int64
		err  error
	}{
		{"/tmp", 0, errno.EISDIR},
		{"/bin/cat", 0, errno.EROFS},
		{"/dev/null", 0, errno.EINVAL},
		{"/tmp/s", -1, errno.EINVAL},
		{"/tmp/s", 1 << 40, nil},
	} {
		ino, err := v.Lookup(nil, tc.path)
		require.NoError(t, err)
		assert.Equal(t, tc.err, v.Truncate(ino, tc.size), tc.path)
	}
	assert.Equal(t, int64(1<<40), v.Stat(ino).Size)

	// O_TRUNC empties a file; a FIFO or device ignores it.
	openFile(t, v.FS, "/tmp/s", fs.O_WRONLY|fs.O_TRUNC)
	assert.Zero(t, v.Stat(ino).Size)
	used, _ = v.TmpfsUsage()
	assert.Zero(t, used)
	_, err = v.Open(nil, "/dev/null", fs.O_WRONLY|fs.O_TRUNC, 0)
	assert.NoError(t, err)

	// The largest size.
	_, err = f.Seek(MaxFileSize-2, SEEK_SET)
	require.NoError(t, err)
	n, err := f.Write([]byte("abcd"))
	assert.NoError(t, err)
	assert.Equal(t, 2, n, "cut at MaxFileSize")
	_, err = f.Write([]byte("e"))
	assert.Equal(t, errno.EFBIG, err)
}

func TestTmpfsSizeLimit(t *testing.T) {
	v := newClockFS(t, Config{TmpfsPages: 4})
	f := openFile(t, v.FS, "/tmp/a", fs.O_RDWR|fs.O_CREAT)
	n, err := f.Write(make([]byte, 3*PageSize-1))
	require.NoError(t, err)
	assert.Equal(t, 3*PageSize-1, n)
	g := openFile(t, v.FS, "/tmp/b", fs.O_RDWR|fs.O_CREAT)
	n, err = g.Write(make([]byte, 2*PageSize))
	assert.NoError(t, err)
	assert.Equal(t, PageSize, n, "a short write: what fits in the last free page")
	n, err = g.Write(make([]byte, 10))
	assert.Equal(t, errno.ENOSPC, err)
	assert.Zero(t, n)
	used, max := v.TmpfsUsage()
	assert.Equal(t, 4, used)
	assert.Equal(t, 4, max)

	// Unlinking an open file keeps its pages until the last close.
	require.NoError(t, v.Unlink(nil, "/tmp/a"))
	assert.Equal(t, uint64(0), v.Stat(f.Inode()).Nlink)
	used, _ = v.TmpfsUsage()
	assert.Equal(t, 4, used)
	assert.Equal(t, 3*PageSize-1, len(readAll(t, f)), "the unlinked file still reads")
	f.Release()
	used, _ = v.TmpfsUsage()
	assert.Equal(t, 1, used, "the last close freed a's pages")
	n, err = g.Write(make([]byte, PageSize))
	assert.NoError(t, err)
	assert.Equal(t, PageSize, n)

	// A rename over a file nobody has open frees it at once.
	h := openFile(t, v.FS, "/tmp/h", fs.O_RDWR|fs.O_CREAT)
	h.Write([]byte("x"))
	h.Release()
	used, _ = v.TmpfsUsage()
	require.Equal(t, 3, used)
	require.NoError(t, v.Rename(nil, "/tmp/b", nil, "/tmp/h", 0))
	used, _ = v.TmpfsUsage()
	assert.Equal(t, 2, used)
	g.Release()
	require.NoError(t, v.Unlink(nil, "/tmp/h"))
	used, _ = v.TmpfsUsage()
	assert.Zero(t, used)
}

// TestTmpfsFrames: with a frame allocator the data lives in frames, which
// go back when the file does; the default limit is half the frames.
func TestTmpfsFrames(t *testing.T) {
	const base, nframes = 1 << 20, 64
	mem := mm.NewArena(0, base+nframes*mm.PageSize)
	frames := mm.NewFrameAllocator(mem, []mm.Range{{Start: base, End: base + nframes*mm.PageSize}})
	v := newClockFS(t, Config{Frames: frames})
	_, max := v.TmpfsUsage()
	assert.Equal(t, nframes/2, max)
	f := openFile(t, v.FS, "/tmp/f", fs.O_RDWR|fs.O_CREAT)
	data := make([]byte, 5*PageSize)
	for i := range data {
		data[i] = byte(i * 7)
	}
	n, err := f.Write(data)
	require.NoError(t, err)
	assert.Equal(t, len(data), n)
	assert.Equal(t, nframes-5, frames.FreeCount())
	assert.Equal(t, data, readAll(t, f))
	n, err = f.Write(make([]byte, 40*PageSize))
	assert.NoError(t, err)
	assert.Equal(t, (nframes/2-5)*PageSize, n, "stops at the limit")
	require.NoError(t, v.Unlink(nil, "/tmp/f"))
	assert.Equal(t, nframes/2, frames.FreeCount(), "open: the frames stay")
	f.Release()
	assert.Equal(t, nframes, frames.FreeCount(), "the last close gave them back")
}

// FuzzFileData checks file data against a plain byte slice under writes,
// appends, truncates and reads at arbitrary offsets.
func FuzzFileData(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte("\x00\x10\x00\x50\x02\x00\x00\x01\x01\xff\x03\x10\x04\x00"))
	f.Fuzz(func(t *testing.T, ops []byte) {
		v := New(Config{TmpfsPages: 8})
		ino, err := v.Open(nil, "/tmp/f", fs.O_RDWR|fs.O_CREAT, 0o644)
		require.NoError(t, err)
		fl, err := v.OpenInode(ino, fs.O_RDWR, nil)
		require.NoError(t, err)
		file := fl.(*RegFile)
		var model []byte
		for len(ops) >= 4 {
			op, arg := ops[0]%4, int64(binary.LittleEndian.Uint16(ops[1:3]))*3
			n := int(ops[3]) * 61
			ops = ops[4:]
			switch op {
			case 0, 1: // write n bytes at arg, or append
				p := bytes.Repeat([]byte{byte(arg) | 1}, n)
				var got int
				var err error
				off := arg
				if op == 0 {
					got, err = file.WriteAt(p, arg)
				} else {
					off = int64(len(model))
					got, err = file.Append(p)
				}
				if err != nil {
					require.Equal(t, errno.ENOSPC, err)
				}
				if got > 0 {
					if need := off + int64(got); need > int64(len(model)) {
						model = append(model, make([]byte, need-int64(len(model)))...)
					}
					copy(model[off:], p[:got])
				}
			case 2: // truncate
				require.NoError(t, v.Truncate(ino, arg))
				if arg < int64(len(model)) {
					model = model[:arg]
				} else {
					model = append(model, make([]byte, arg-int64(len(model)))...)
				}
			case 3: // read n bytes at arg
				b := make([]byte, n)
				got, err := file.ReadAt(b, arg)
				require.NoError(t, err)
				want := 0
				if arg < int64(len(model)) {
					want = min(n, len(model)-int(arg))
				}
				require.Equal(t, want, got)
				require.True(t, bytes.Equal(model[min(arg, int64(len(model))):][:want], b[:got]), "data at %d", arg)
			}
			require.Equal(t, int64(len(model)), v.Stat(ino).Size)
			used, max := v.TmpfsUsage()
			require.LessOrEqual(t, used, max)
			require.LessOrEqual(t, int64(used), (int64(len(model))+PageSize-1)/PageSize)
		}
		file.Release()
		require.NoError(t, v.Unlink(nil, "/tmp/f"))
		used, _ := v.TmpfsUsage()
		require.Zero(t, used)
	})
}
