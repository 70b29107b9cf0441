package mm

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

// fileWith returns a page cache of size bytes holding data at offset 0.
func fileWith(t *testing.T, e *env, data []byte, size int64) *PageCache {
	t.Helper()
	c := NewPageCache(e.alloc, 0, nil)
	if len(data) > 0 {
		n, err := c.WriteAt(data, 0)
		require.NoError(t, err)
		require.Equal(t, len(data), n)
	}
	c.Truncate(size)
	return c
}

func faultSignal(err error) int {
	var fe *FaultError
	if errors.As(err, &fe) {
		return fe.Signal
	}
	return 0
}

// TestPageCacheSharedMappings: MAP_SHARED mappings in two address spaces
// and the file's own reads and writes all see one set of frames.
func TestPageCacheSharedMappings(t *testing.T) {
	e := newEnv(t, 256)
	c := fileWith(t, e, []byte("hello"), 2*PageSize)
	a, b := e.newMM(t), e.newMM(t)
	va, err := a.MmapFile(0, 2*PageSize, PROT_READ|PROT_WRITE, MAP_SHARED, c, 0, true, true)
	require.NoError(t, err)
	vb, err := b.MmapFile(0, 2*PageSize, PROT_READ, MAP_SHARED, c, 0, true, false)
	require.NoError(t, err)

	got := make([]byte, 5)
	require.NoError(t, b.CopyIn(got, vb))
	assert.Equal(t, "hello", string(got))

	require.NoError(t, a.CopyOut(va+PageSize+7, []byte("world")))
	require.NoError(t, b.CopyIn(got, vb+PageSize+7))
	assert.Equal(t, "world", string(got), "the other process sees the write")
	buf := make([]byte, 5)
	assert.Equal(t, 5, c.ReadAt(buf, PageSize+7))
	assert.Equal(t, "world", string(buf), "read() sees the write")

	_, err = c.WriteAt([]byte("HELLO"), 0)
	require.NoError(t, err)
	require.NoError(t, a.CopyIn(got, va))
	assert.Equal(t, "HELLO", string(got), "the mapping sees write()")
	checkMM(t, a)
	checkMM(t, b)

	a.Release()
	b.Release()
	c.Put()
	e.noLeaks(t)
}

// TestPageCachePrivateCOW: a private mapping reads the cache until its
// first write, which copies the page (do_cow_fault / wp_page_copy).
func TestPageCachePrivateCOW(t *testing.T) {
	tests := []struct {
		name      string
		readFirst bool // a read fault maps the cache page before the write
	}{
		{"write fault on a missing page", false},
		{"write after a read fault", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 256)
			c := fileWith(t, e, []byte("abcdef"), PageSize)
			m := e.newMM(t)
			va, err := m.MmapFile(0, PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE, c, 0, true, false)
			require.NoError(t, err)
			got := make([]byte, 6)
			if tc.readFirst {
				require.NoError(t, m.CopyIn(got, va))
				assert.Equal(t, "abcdef", string(got))
				assert.Zero(t, pteOf(t, m, va)&PTEWrite, "the cache page is mapped read-only")
				_, err := c.WriteAt([]byte("X"), 0)
				require.NoError(t, err)
				require.NoError(t, m.CopyIn(got[:1], va))
				assert.Equal(t, "X", string(got[:1]), "not yet copied: the file's change shows")
			}
			require.NoError(t, m.CopyOut(va+1, []byte("Z")))
			buf := make([]byte, 6)
			c.ReadAt(buf, 0)
			assert.Equal(t, byte('b'), buf[1], "the file is not written")
			_, err = c.WriteAt([]byte("Q"), 2)
			require.NoError(t, err)
			require.NoError(t, m.CopyIn(got, va))
			assert.Equal(t, byte('Z'), got[1])
			assert.Equal(t, byte('c'), got[2], "the private copy no longer follows the file")
			checkMM(t, m)
			m.Release()
			c.Put()
			e.noLeaks(t)
		})
	}
}

// TestPageCacheEOF: the page holding the last byte maps (its tail reads
// zero), the pages after it raise SIGBUS; truncation moves that line and
// unmaps what is past it, in every address space.
func TestPageCacheEOF(t *testing.T) {
	e := newEnv(t, 256)
	c := fileWith(t, e, []byte("0123456789"), 3*PageSize+10)
	a, b := e.newMM(t), e.newMM(t)
	va, err := a.MmapFile(0, 6*PageSize, PROT_READ|PROT_WRITE, MAP_SHARED, c, 0, true, true)
	require.NoError(t, err)
	vb, err := b.MmapFile(0, 4*PageSize, PROT_READ, MAP_PRIVATE, c, 0, true, false)
	require.NoError(t, err)

	tests := []struct {
		name   string
		m      *MM
		va     uint64
		signal int
	}{
		{"first page", a, va, 0},
		{"page holding EOF", a, va + 3*PageSize + 100, 0},
		{"page past EOF", a, va + 4*PageSize, SIGBUS},
		{"far past EOF", a, va + 5*PageSize + 1, SIGBUS},
		{"private, page holding EOF", b, vb + 3*PageSize, 0},
	}
	for _, tc := range tests {
		_, err := tc.m.HandleFault(tc.va, AccessRead)
		assert.Equal(t, tc.signal, faultSignal(err), tc.name)
	}
	got := make([]byte, 1)
	require.NoError(t, a.CopyIn(got, va+3*PageSize+10))
	assert.Zero(t, got[0], "the tail of the last page is zero")

	// Shrink to one page: the pages beyond go from both address spaces.
	require.NoError(t, a.CopyOut(va+PageSize, []byte{1}))
	c.Truncate(100)
	_, ok := userByte(a, va+PageSize)
	assert.False(t, ok, "truncated page unmapped")
	_, ok = userByte(b, vb+3*PageSize)
	assert.False(t, ok, "truncated page unmapped in the other MM")
	_, err = a.HandleFault(va+PageSize, AccessRead)
	assert.Equal(t, SIGBUS, faultSignal(err))
	assert.Equal(t, 1, c.Resident())
	checkMM(t, a)
	checkMM(t, b)

	// Growing again makes a hole: zeros, no stale bytes.
	c.Truncate(2 * PageSize)
	require.NoError(t, a.CopyIn(got, va+PageSize))
	assert.Zero(t, got[0])
	a.Release()
	b.Release()
	c.Put()
	e.noLeaks(t)
}

// TestPageCacheLifetime: the mapping holds the file; the frames go with
// the last of the file and its mappings. Fork shares shared mappings.
func TestPageCacheLifetime(t *testing.T) {
	e := newEnv(t, 256)
	c := fileWith(t, e, nil, PageSize)
	m := e.newMM(t)
	va, err := m.MmapFile(0, PageSize, PROT_READ|PROT_WRITE, MAP_SHARED, c, 0, true, true)
	require.NoError(t, err)
	c.Put() // close + unlink
	child, err := m.Fork()
	require.NoError(t, err)
	require.NoError(t, child.CopyOut(va, []byte("kid")))
	got := make([]byte, 3)
	require.NoError(t, m.CopyIn(got, va))
	assert.Equal(t, "kid", string(got), "the parent sees the child's write")
	require.NoError(t, m.Munmap(va, PageSize))
	child.Release()
	m.Release()
	e.noLeaks(t)
}

// TestMmapFileErrors: the open mode's rules (EACCES) and mprotect's
// VM_MAYWRITE.
func TestMmapFileErrors(t *testing.T) {
	tests := []struct {
		name               string
		prot, flags        int
		off                uint64
		readable, writable bool
		want               error
	}{
		{"write-only file", PROT_READ, MAP_PRIVATE, 0, false, true, errno.EACCES},
		{"shared writable of read-only file", PROT_READ | PROT_WRITE, MAP_SHARED, 0, true, false, errno.EACCES},
		{"private writable of read-only file", PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, true, false, nil},
		{"shared read-only of read-only file", PROT_READ, MAP_SHARED, 0, true, false, nil},
		{"unaligned offset", PROT_READ, MAP_SHARED, 100, true, true, errno.EINVAL},
		{"offset past MAX_LFS_FILESIZE", PROT_READ, MAP_SHARED, 1 << 63, true, true, errno.EOVERFLOW},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, 64)
			c := fileWith(t, e, nil, PageSize)
			m := e.newMM(t)
			_, err := m.MmapFile(0, PageSize, tc.prot, tc.flags, c, tc.off, tc.readable, tc.writable)
			assert.Equal(t, tc.want, err)
			m.Release()
			c.Put()
			e.noLeaks(t)
		})
	}

	e := newEnv(t, 64)
	c := fileWith(t, e, nil, PageSize)
	m := e.newMM(t)
	va, err := m.MmapFile(0, PageSize, PROT_READ, MAP_SHARED, c, 0, true, false)
	require.NoError(t, err)
	assert.Equal(t, errno.EACCES, m.Mprotect(va, PageSize, PROT_READ|PROT_WRITE), "no VM_MAYWRITE")
	assert.Equal(t, 0, c.WritableMaps())
	vw, err := m.MmapFile(0, PageSize, PROT_READ, MAP_SHARED, c, 0, true, true)
	require.NoError(t, err)
	assert.Equal(t, 1, c.WritableMaps())
	assert.NoError(t, m.Mprotect(vw, PageSize, PROT_READ|PROT_WRITE))
	m.Release()
	assert.Equal(t, 0, c.WritableMaps())
	c.Put()
	e.noLeaks(t)
}

// TestPageCacheFill: a cache with a fill function (an embedded image)
// reads each page once, into a frame every mapping shares.
func TestPageCacheFill(t *testing.T) {
	e := newEnv(t, 64)
	data := make([]byte, PageSize+5)
	copy(data[PageSize:], "tail!")
	calls := 0
	c := NewPageCache(e.alloc, int64(len(data)), func(idx uint64, dst *[PageSize]byte) {
		calls++
		copy(dst[:], data[idx*PageSize:])
	})
	a, b := e.newMM(t), e.newMM(t)
	va, err := a.MmapFile(0, 2*PageSize, PROT_READ, MAP_PRIVATE, c, 0, true, false)
	require.NoError(t, err)
	vb, err := b.MmapFile(0, PageSize, PROT_READ, MAP_PRIVATE, c, PageSize, true, false)
	require.NoError(t, err)
	got := make([]byte, 5)
	require.NoError(t, a.CopyIn(got, va+PageSize))
	assert.Equal(t, "tail!", string(got))
	require.NoError(t, b.CopyIn(got, vb))
	assert.Equal(t, "tail!", string(got))
	assert.Equal(t, 1, calls, "one read of the page for both")
	assert.Equal(t, pteOf(t, a, va+PageSize)&PTEAddrMask, pteOf(t, b, vb)&PTEAddrMask, "same frame")
	a.Release()
	b.Release()
	c.Put()
	e.noLeaks(t)
}

// Fault costs: one read fault per page over a 4 MiB mapping, for
// anonymous memory (a zeroed frame), a shared file mapping (a page-cache
// hit: look the page up, take a reference), a private file mapping read
// (the same) and written (do_cow_fault: a copy of the cache page). The
// mapping is dropped and made again outside the timer every 1024 faults.
func benchmarkFault(b *testing.B, file bool, flags int, acc Access) {
	const pages = 1024
	e := newEnv(b, 3*pages+256)
	m := e.newMM(b)
	var c *PageCache
	if file {
		c = NewPageCache(e.alloc, 0, nil)
		if _, err := c.WriteAt(make([]byte, pages*PageSize), 0); err != nil {
			b.Fatal(err)
		}
	}
	mapIt := func() uint64 {
		var va uint64
		var err error
		if file {
			va, err = m.MmapFile(0, pages*PageSize, PROT_READ|PROT_WRITE, flags, c, 0, true, true)
		} else {
			va, err = m.Mmap(0, pages*PageSize, PROT_READ|PROT_WRITE, flags|MAP_ANONYMOUS, nil, 0)
		}
		if err != nil {
			b.Fatal(err)
		}
		return va
	}
	va := mapIt()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := uint64(i % pages)
		if k == 0 && i > 0 {
			b.StopTimer()
			m.Munmap(va, pages*PageSize)
			va = mapIt()
			b.StartTimer()
		}
		if _, err := m.HandleFault(va+k*PageSize, acc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFaultAnonRead(b *testing.B)  { benchmarkFault(b, false, MAP_PRIVATE, AccessRead) }
func BenchmarkFaultAnonWrite(b *testing.B) { benchmarkFault(b, false, MAP_PRIVATE, AccessWrite) }
func BenchmarkFaultFileShared(b *testing.B) {
	benchmarkFault(b, true, MAP_SHARED, AccessWrite)
}
func BenchmarkFaultFilePrivateRead(b *testing.B) {
	benchmarkFault(b, true, MAP_PRIVATE, AccessRead)
}
func BenchmarkFaultFilePrivateWrite(b *testing.B) {
	benchmarkFault(b, true, MAP_PRIVATE, AccessWrite)
}

// TestMapImageCache: exec through the page cache. Text pages are the
// cache's frames in every process; the page where the bss begins is a
// private copy zeroed past the file bytes; the bss beyond is anonymous.
func TestMapImageCache(t *testing.T) {
	e := newEnv(t, 128)
	file := make([]byte, 3*PageSize)
	for i := range file {
		file[i] = 0xee
	}
	c := NewPageCache(e.alloc, int64(len(file)), func(idx uint64, dst *[PageSize]byte) {
		copy(dst[:], file[idx*PageSize:])
	})
	const text, data = 0x400000, 0x402000
	tests := []struct {
		name string
		va   uint64
		off  uint64
		err  error
	}{
		{"text", text, 0, nil},
		{"misaligned", text + 1, 0, errno.EINVAL},
		{"past the end of the file", text, 3 * PageSize, errno.EINVAL},
	}
	for _, tc := range tests {
		m := e.newMM(t)
		assert.Equal(t, tc.err, m.MapImageCache(tc.va, PageSize, PROT_READ, c, tc.off, PageSize), tc.name)
		m.Release()
	}

	var ms [2]*MM
	for i := range ms {
		m := e.newMM(t)
		require.NoError(t, m.MapImageCache(text, 2*PageSize, PROT_READ|PROT_EXEC, c, 0, 2*PageSize))
		// data: 100 file bytes, then bss for two pages.
		require.NoError(t, m.MapImageCache(data, 100+2*PageSize, PROT_READ|PROT_WRITE, c, 2*PageSize, 100))
		ms[i] = m
		got := make([]byte, 2)
		require.NoError(t, m.CopyIn(got, data+99))
		assert.Equal(t, []byte{0xee, 0}, got, "file byte, then padzero")
		require.NoError(t, m.CopyIn(got, data+PageSize))
		assert.Equal(t, []byte{0, 0}, got, "anonymous bss")
		require.NoError(t, m.CopyIn(got, text+PageSize))
		assert.Equal(t, []byte{0xee, 0xee}, got)
		checkMM(t, m)
	}
	assert.Equal(t, pteOf(t, ms[0], text+PageSize)&PTEAddrMask, pteOf(t, ms[1], text+PageSize)&PTEAddrMask,
		"both processes map the same text frame")
	assert.NotEqual(t, pteOf(t, ms[0], data)&PTEAddrMask, pteOf(t, ms[1], data)&PTEAddrMask,
		"each has its own padzero page")
	for _, m := range ms {
		m.Release()
	}
	c.Put()
	e.noLeaks(t)
}

// TestMadviseRemove: MADV_REMOVE punches a hole in a tmpfs file through
// a shared writable mapping: every mapping loses the pages, private
// copies stay, the file reads zeros there and keeps its size.
func TestMadviseRemove(t *testing.T) {
	e := newEnv(t, 128)
	c := fileWith(t, e, []byte("abc"), 2*PageSize)
	_, err := c.WriteAt([]byte("def"), PageSize)
	require.NoError(t, err)
	a, b := e.newMM(t), e.newMM(t)
	va, err := a.MmapFile(0, 2*PageSize, PROT_READ|PROT_WRITE, MAP_SHARED, c, 0, true, true)
	require.NoError(t, err)
	ro, err := a.MmapFile(0, 2*PageSize, PROT_READ, MAP_SHARED, c, 0, true, true)
	require.NoError(t, err)
	vb, err := b.MmapFile(0, 2*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE, c, 0, true, false)
	require.NoError(t, err)
	got := make([]byte, 3)
	require.NoError(t, b.CopyIn(got, vb)) // maps the cache page
	require.NoError(t, b.CopyOut(vb+PageSize, []byte("P")))
	anon, err := a.Mmap(0, PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)

	tests := []struct {
		name string
		m    *MM
		va   uint64
		err  error
	}{
		{"anonymous", a, anon, errno.EINVAL},
		{"private file mapping", b, vb, errno.EACCES},
		{"read-only shared", a, ro, errno.EACCES},
		{"shared writable", a, va, nil},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.err, tc.m.Madvise(tc.va, 2*PageSize, MADV_REMOVE), tc.name)
	}
	assert.Equal(t, 0, c.Resident(), "the pages left the cache")
	assert.Equal(t, int64(2*PageSize), c.Size())
	_, ok := userByte(b, vb)
	assert.False(t, ok, "the other process's mapping of the cache page went")
	require.NoError(t, b.CopyIn(got[:1], vb+PageSize))
	assert.Equal(t, byte('P'), got[0], "its private copy stayed")
	require.NoError(t, a.CopyIn(got, va))
	assert.Equal(t, []byte{0, 0, 0}, got, "the hole reads zeros")
	checkMM(t, a)
	checkMM(t, b)
	a.Release()
	b.Release()
	c.Put()
	e.noLeaks(t)
}
