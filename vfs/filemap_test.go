package vfs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
)

// framesFS is a namespace whose files live in real (arena) frames, so
// they can be mapped.
func framesFS(t *testing.T) (*clockFS, *mm.FrameAllocator) {
	t.Helper()
	const base, n = 1 << 20, 256
	frames := mm.NewFrameAllocator(mm.NewArena(0, base+n*mm.PageSize), []mm.Range{{Start: base, End: base + n*mm.PageSize}})
	return newClockFS(t, Config{Frames: frames}), frames
}

// TestPageCacheIsTheData: a tmpfs file's bytes are its page cache's, so
// what write() puts there a mapping sees and the other way round; every
// open file of the inode maps the same cache; the image gets one filled
// from its bytes; without frames nothing maps.
func TestPageCacheIsTheData(t *testing.T) {
	v, frames := framesFS(t)
	f := openFile(t, v.FS, "/tmp/f", fs.O_RDWR|fs.O_CREAT)
	g := openFile(t, v.FS, "/tmp/f", fs.O_RDONLY)
	_, err := f.Write([]byte("hello"))
	require.NoError(t, err)
	cf, err := f.PageCache()
	require.NoError(t, err)
	cg, err := g.PageCache()
	require.NoError(t, err)
	assert.Same(t, cf, cg, "one cache per inode")
	buf := make([]byte, 5)
	cf.ReadAt(buf, 0)
	assert.Equal(t, "hello", string(buf))
	cf.WriteAt([]byte("J"), 0)
	assert.Equal(t, "Jello", string(readAll(t, g)), "read() sees the cache")
	assert.Equal(t, int64(8), v.Stat(f.Inode()).Blocks, "one page")

	img := openFile(t, v.FS, "/bin/cat", fs.O_RDONLY)
	ci, err := img.PageCache()
	require.NoError(t, err)
	assert.Equal(t, int64(len("\x7fELFcat")), ci.Size())
	ci.ReadAt(buf[:4], 0)
	assert.Equal(t, "\x7fELF", string(buf[:4]))
	assert.Same(t, img.Inode(), ci.Owner, "the cache names its file")

	// Close and unlink: the data goes with the last holder.
	free := frames.FreeCount()
	cf.Get() // a mapping
	f.Release()
	g.Release()
	require.NoError(t, v.Unlink(nil, "/tmp/f"))
	assert.Equal(t, free, frames.FreeCount(), "the mapping holds the data")
	cf.Put()
	assert.Equal(t, free+1, frames.FreeCount(), "the last holder frees it")

	heap := newClockFS(t, Config{})
	h := openFile(t, heap.FS, "/tmp/h", fs.O_RDWR|fs.O_CREAT)
	_, err = h.PageCache()
	assert.Equal(t, errno.ENODEV, err, "Go-heap pages cannot be mapped")
}

func TestMemfdSeals(t *testing.T) {
	const shrink, grow, write, seal = F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_WRITE, F_SEAL_SEAL
	v, _ := framesFS(t)
	plain := v.Memfd("plain", false)
	s, err := plain.Seals()
	require.NoError(t, err)
	assert.EqualValues(t, seal, s, "without MFD_ALLOW_SEALING: F_SEAL_SEAL")
	assert.Equal(t, errno.EPERM, plain.AddSeals(grow, true))
	assert.Equal(t, "memfd:plain", plain.Inode().Name())
	assert.Nil(t, plain.Inode().Parent(), "no name in any directory")

	m := v.Memfd("m", true)
	_, err = m.Write([]byte("12345678"))
	require.NoError(t, err)
	tests := []struct {
		name string
		op   func() error
		err  error
	}{
		{"unknown seal", func() error { return m.AddSeals(0x100, true) }, errno.EINVAL},
		{"not open for writing", func() error { return m.AddSeals(grow, false) }, errno.EPERM},
		{"seal shrink", func() error { return m.AddSeals(shrink, true) }, nil},
		{"shrink", func() error { return v.Truncate(m.Inode(), 4) }, errno.EPERM},
		{"grow is fine", func() error { return v.Truncate(m.Inode(), 16) }, nil},
		{"seal grow", func() error { return m.AddSeals(grow, true) }, nil},
		{"grow", func() error { return v.Truncate(m.Inode(), 32) }, errno.EPERM},
		{"write past the end", func() error { _, err := m.WriteAt([]byte("x"), 16); return err }, errno.EPERM},
		{"write inside", func() error { _, err := m.WriteAt([]byte("x"), 0); return err }, nil},
		{"seal write", func() error { return m.AddSeals(write, true) }, nil},
		{"write", func() error { _, err := m.WriteAt([]byte("x"), 0); return err }, errno.EPERM},
		{"seal seals", func() error { return m.AddSeals(seal, true) }, nil},
		{"no more", func() error { return m.AddSeals(shrink, true) }, errno.EPERM},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.err, tc.op(), tc.name)
	}
	assert.True(t, m.MapDenied(true, true), "shared writable mapping denied")
	assert.False(t, m.MapDenied(false, true), "private is fine")

	img := openFile(t, v.FS, "/bin/cat", fs.O_RDONLY)
	_, err = img.Seals()
	assert.Equal(t, errno.EINVAL, err, "not a tmpfs file")
}
