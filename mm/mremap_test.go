package mm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

// remapBase is a free stretch of user space for the mremap tests.
const remapBase = 0x8000000

func mapAt(t testing.TB, mm *MM, va, n uint64, prot, flags int) {
	t.Helper()
	got, err := mm.Mmap(va, n*PageSize, prot, flags|MAP_FIXED, nil, 0)
	require.NoError(t, err)
	require.Equal(t, va, got)
}

// frameAt returns the frame mapped at va (0 when none).
func frameAt(mm *MM, va uint64) uint64 {
	pte, ok := mm.pt.Walk(va)
	if !ok || *pte&PTEUser == 0 {
		return 0
	}
	return *pte & PTEAddrMask
}

func TestMremapErrors(t *testing.T) {
	e := newEnv(t, 128)
	mm := e.newMM(t)
	a := uint64(remapBase)
	mapAt(t, mm, a, 4, rw, anonRW)                               // [a, a+4p)
	mapAt(t, mm, a+4*PageSize, 1, PROT_READ, anonRW)             // blocks growth in place
	mapAt(t, mm, a+16*PageSize, 2, rw, MAP_SHARED|MAP_ANONYMOUS) // shared
	const mv, fx, du = MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP
	tests := []struct {
		name                 string
		addr, oldLen, newLen uint64
		flags                int
		newAddr              uint64
		want                 error
	}{
		{"unknown flag", a, PageSize, PageSize, 8, 0, errno.EINVAL},
		{"unaligned addr", a + 1, PageSize, PageSize, 0, 0, errno.EINVAL},
		{"new length 0", a, PageSize, 0, mv, 0, errno.EINVAL},
		{"new length wraps to 0", a, PageSize, ^uint64(0), mv, 0, errno.EINVAL},
		{"new length beyond user space", a, PageSize, TaskSize + PageSize, mv, 0, errno.EINVAL},
		{"FIXED without MAYMOVE", a, PageSize, PageSize, fx, a + 64*PageSize, errno.EINVAL},
		{"DONTUNMAP without MAYMOVE", a, PageSize, PageSize, du, a + 64*PageSize, errno.EINVAL},
		{"FIXED unaligned new address", a, PageSize, PageSize, fx | mv, a + 64*PageSize + 8, errno.EINVAL},
		{"FIXED unaligned new address, nothing at addr", a + 40*PageSize, PageSize, 2 * PageSize, fx | mv, 1, errno.EINVAL},
		{"FIXED past user space", a, PageSize, 2 * PageSize, fx | mv, TaskSize - PageSize, errno.EINVAL},
		{"FIXED overlapping", a, 2 * PageSize, 2 * PageSize, fx | mv, a + PageSize, errno.EINVAL},
		{"DONTUNMAP resizing", a, PageSize, 2 * PageSize, du | mv, a + 64*PageSize, errno.EINVAL},
		{"nothing mapped at addr", a + 40*PageSize, PageSize, 2 * PageSize, mv, 0, errno.EFAULT},
		{"nothing mapped at addr, shrink", a + 40*PageSize, 2 * PageSize, PageSize, 0, 0, errno.EFAULT},
		{"grow across the VMA end", a, 5 * PageSize, 6 * PageSize, mv, 0, errno.EFAULT},
		{"FIXED resize across the VMA end", a + 3*PageSize, 2 * PageSize, 3 * PageSize, fx | mv, a + 64*PageSize, errno.EFAULT},
		{"pure move starting in a hole", a + 5*PageSize, 4 * PageSize, 4 * PageSize, fx | mv, a + 64*PageSize, errno.EFAULT},
		{"duplicate private memory", a, 0, PageSize, mv, 0, errno.EINVAL},
		{"grow blocked without MAYMOVE", a, 4 * PageSize, 5 * PageSize, 0, 0, errno.ENOMEM},
		{"grow inside the VMA without MAYMOVE", a, 2 * PageSize, 3 * PageSize, 0, 0, errno.ENOMEM},
		{"FIXED onto the identity map (tamix)", a, PageSize, PageSize, fx | mv, 0x10000000, errno.ENOMEM},
		{"shrink past user space", a, TaskSize, PageSize, 0, 0, errno.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := mm.VMAs()
			got, err := mm.Mremap(tc.addr, tc.oldLen, tc.newLen, tc.flags, tc.newAddr)
			require.ErrorIs(t, err, tc.want)
			assert.Zero(t, got)
			assert.Equal(t, before, mm.VMAs(), "a failed mremap changes nothing")
			checkMM(t, mm)
		})
	}
	mm.Release()
	e.noLeaks(t)
}

func TestMremapShrink(t *testing.T) {
	e := newEnv(t, 128)
	mm := e.newMM(t)
	a := uint64(remapBase)
	mapAt(t, mm, a, 8, rw, anonRW)
	touch(t, mm, a, 8*PageSize)
	free := e.alloc.FreeCount()
	got, err := mm.Mremap(a, 8*PageSize, 3*PageSize+1, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	assert.Equal(t, free+4, e.alloc.FreeCount(), "the 4 pages past the new end are freed")
	vmas := mm.VMAs()
	require.Len(t, vmas, 1)
	assert.Equal(t, a+4*PageSize, vmas[0].End, "the length rounds up to a page")
	b, _ := userByte(mm, a+3*PageSize)
	assert.Equal(t, byte((a+3*PageSize)>>12), b)

	// Same size: nothing to do. A shrink may reach past the VMA.
	got, err = mm.Mremap(a, 4*PageSize, 4*PageSize, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	got, err = mm.Mremap(a, 100*PageSize, PageSize, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, a, got)
	assert.Equal(t, a+PageSize, mm.VMAs()[0].End)
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestMremapGrowInPlace(t *testing.T) {
	e := newEnv(t, 128)
	mm := e.newMM(t)
	a := uint64(remapBase)
	mapAt(t, mm, a, 4, rw, anonRW)
	mapAt(t, mm, a+8*PageSize, 2, rw, anonRW)
	touch(t, mm, a, 4*PageSize)
	f0 := frameAt(mm, a)
	got, err := mm.Mremap(a, 4*PageSize, 8*PageSize, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, a, got, "grown in place")
	assert.Equal(t, f0, frameAt(mm, a), "same frames")
	vmas := mm.VMAs()
	require.Len(t, vmas, 1, "merged with the mapping it now touches")
	assert.Equal(t, Range{a, a + 10*PageSize}, Range{vmas[0].Start, vmas[0].End})
	touch(t, mm, a+4*PageSize, 4*PageSize) // the new pages are usable
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestMremapMove(t *testing.T) {
	e := newEnv(t, 128)
	mm := e.newMM(t)
	a := uint64(remapBase)
	mapAt(t, mm, a, 4, rw, anonRW)
	mapAt(t, mm, a+4*PageSize, 1, PROT_READ, anonRW)
	touch(t, mm, a, 4*PageSize)
	frames := make([]uint64, 4)
	for i := range frames {
		frames[i] = frameAt(mm, a+uint64(i)*PageSize)
	}
	free := e.alloc.FreeCount()
	rss := mm.Counters().RSS
	e.tlb.reset()
	got, err := mm.Mremap(a, 4*PageSize, 6*PageSize, MREMAP_MAYMOVE, 0)
	require.NoError(t, err)
	assert.NotEqual(t, a, got, "moved: the next page is taken")
	for i, f := range frames {
		va := got + uint64(i)*PageSize
		assert.Equal(t, f, frameAt(mm, va), "page %d moved with its frame", i)
		b, ok := userByte(mm, va)
		assert.True(t, ok)
		assert.Equal(t, byte((a+uint64(i)*PageSize)>>12), b)
		assert.NotZero(t, pteOf(t, mm, va)&PTEWrite, "still exclusive and writable")
		assert.Contains(t, e.tlb.pages, a+uint64(i)*PageSize, "old translation flushed")
	}
	assert.Nil(t, mm.vmaAt(a), "old range unmapped")
	assert.Equal(t, rss, mm.Counters().RSS)
	assert.LessOrEqual(t, free-e.alloc.FreeCount(), 3, "no frame copied (only new page tables)")
	require.NoError(t, mm.CopyOut(got+5*PageSize, []byte{1}), "the grown part is usable")
	checkMM(t, mm)

	// MREMAP_FIXED replaces the destination; a shrink and a move at once.
	d := uint64(remapBase + 32*PageSize)
	mapAt(t, mm, d, 8, PROT_READ, anonRW)
	touch(t, mm, d, 0) // nothing
	require.NoError(t, mm.Mprotect(d, 8*PageSize, rw))
	touch(t, mm, d, 8*PageSize)
	got2, err := mm.Mremap(got, 6*PageSize, 2*PageSize, MREMAP_MAYMOVE|MREMAP_FIXED, d+2*PageSize)
	require.NoError(t, err)
	assert.Equal(t, d+2*PageSize, got2)
	assert.Equal(t, frames[1], frameAt(mm, d+3*PageSize))
	b, _ := userByte(mm, d)
	assert.Equal(t, byte(d>>12), b, "the rest of the destination mapping stays")
	b, _ = userByte(mm, d+4*PageSize)
	assert.Equal(t, byte((d+4*PageSize)>>12), b)
	assert.Nil(t, mm.vmaAt(got), "source gone")
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestMremapKeepsCOW(t *testing.T) {
	e := newEnv(t, 256)
	parent := e.newMM(t)
	a := uint64(remapBase)
	mapAt(t, parent, a, 4, rw, anonRW)
	touch(t, parent, a, 4*PageSize)
	child, err := parent.Fork()
	require.NoError(t, err)
	f := frameAt(parent, a)
	dst := uint64(remapBase + 64*PageSize)
	got, err := parent.Mremap(a, 4*PageSize, 4*PageSize, MREMAP_MAYMOVE|MREMAP_FIXED, dst)
	require.NoError(t, err)
	require.Equal(t, dst, got)
	assert.Equal(t, f, frameAt(parent, dst), "moved, still sharing the child's frame")
	assert.Equal(t, 2, e.alloc.RefCount(f))
	assert.Zero(t, pteOf(t, parent, dst)&PTEWrite, "still write-protected")
	checkMM(t, parent)

	res, err := parent.HandleFault(dst, AccessWrite|AccessUser)
	require.NoError(t, err)
	assert.Equal(t, FaultCOW, res, "a write copies")
	require.NoError(t, parent.CopyOut(dst, []byte{0xaa}))
	b, _ := userByte(child, a)
	assert.Equal(t, byte(a>>12), b, "the child keeps its data")
	res, err = child.HandleFault(a, AccessWrite|AccessUser)
	require.NoError(t, err)
	assert.Equal(t, FaultReuse, res, "the child now owns the old frame alone")

	// The child moves its copy too; both stay sound.
	got, err = child.Mremap(a+PageSize, 3*PageSize, 5*PageSize, MREMAP_MAYMOVE, 0)
	require.NoError(t, err)
	require.NoError(t, child.CopyOut(got, []byte{0xbb}))
	b, _ = userByte(parent, dst+PageSize)
	assert.Equal(t, byte((a+PageSize)>>12), b)
	checkMM(t, parent)
	checkMM(t, child)
	child.Release()
	checkMM(t, parent)
	parent.Release()
	e.noLeaks(t)
}

func TestMremapDontunmap(t *testing.T) {
	e := newEnv(t, 128)
	mm := e.newMM(t)
	a := uint64(remapBase)
	mapAt(t, mm, a, 2, rw, anonRW)
	touch(t, mm, a, 2*PageSize)
	f := frameAt(mm, a)
	got, err := mm.Mremap(a, 2*PageSize, 2*PageSize, MREMAP_MAYMOVE|MREMAP_DONTUNMAP, 0)
	require.NoError(t, err)
	assert.NotEqual(t, a, got)
	assert.Equal(t, f, frameAt(mm, got))
	require.NotNil(t, mm.vmaAt(a), "the old mapping stays")
	assert.Zero(t, frameAt(mm, a), "empty")
	var buf [1]byte
	require.NoError(t, mm.CopyIn(buf[:], a))
	assert.Zero(t, buf[0], "private memory reads back as zeros")
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestMremapShared(t *testing.T) {
	e := newEnv(t, 128)
	mm := e.newMM(t)
	a := uint64(remapBase)
	mapAt(t, mm, a, 2, rw, MAP_SHARED|MAP_ANONYMOUS)
	touch(t, mm, a, 2*PageSize)
	// oldLen 0 maps the same object again.
	dup, err := mm.Mremap(a, 0, 2*PageSize, MREMAP_MAYMOVE, 0)
	require.NoError(t, err)
	require.NoError(t, mm.CopyOut(dup+PageSize, []byte{0x77}))
	b, _ := userByte(mm, a+PageSize)
	assert.Equal(t, byte(0x77), b, "both map the same pages")
	// Growing past the object: the new page faults with SIGBUS.
	got, err := mm.Mremap(dup, 2*PageSize, 3*PageSize, MREMAP_MAYMOVE, 0)
	require.NoError(t, err)
	requireSignal(t, mustFault(mm, got+2*PageSize, AccessRead|AccessUser), SIGBUS, BUS_ADRERR)
	require.NoError(t, mm.CopyIn(make([]byte, 1), got+PageSize))
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestMremapMultiVMA(t *testing.T) {
	e := newEnv(t, 128)
	mm := e.newMM(t)
	a := uint64(remapBase)
	d := uint64(remapBase + 64*PageSize)
	mapAt(t, mm, a, 2, rw, anonRW)
	mapAt(t, mm, a+3*PageSize, 1, PROT_READ, anonRW)
	mapAt(t, mm, d, 6, rw, anonRW)
	touch(t, mm, a, 2*PageSize)
	touch(t, mm, d, 6*PageSize)
	got, err := mm.Mremap(a, 6*PageSize, 6*PageSize, MREMAP_MAYMOVE|MREMAP_FIXED, d)
	require.NoError(t, err)
	assert.Equal(t, d, got)
	b, _ := userByte(mm, d+PageSize)
	assert.Equal(t, byte((a+PageSize)>>12), b, "first VMA moved")
	b, _ = userByte(mm, d+2*PageSize)
	assert.Equal(t, byte((d+2*PageSize)>>12), b, "the gap keeps the destination's page")
	v := mm.vmaAt(d + 3*PageSize)
	require.NotNil(t, v)
	assert.Equal(t, VMRead, v.Flags&vmAccessFlags, "second VMA moved to the same offset")
	b, _ = userByte(mm, d+5*PageSize)
	assert.Equal(t, byte((d+5*PageSize)>>12), b, "a trailing gap leaves the destination alone")
	assert.False(t, mm.overlaps(a, a+6*PageSize), "sources unmapped")
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestMremapOOM(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	a := uint64(remapBase)
	mapAt(t, mm, a, 4, rw, anonRW)
	touch(t, mm, a, 4*PageSize)
	var hog []uint64
	for {
		pa, err := e.alloc.Alloc()
		if err != nil {
			break
		}
		hog = append(hog, pa)
	}
	// Far away: the destination needs new page tables, and there is no frame.
	_, err := mm.Mremap(a, 4*PageSize, 4*PageSize, MREMAP_MAYMOVE|MREMAP_FIXED, 0x700000000000)
	require.ErrorIs(t, err, errno.ENOMEM)
	for i := range uint64(4) {
		b, ok := userByte(mm, a+i*PageSize)
		assert.True(t, ok)
		assert.Equal(t, byte((a+i*PageSize)>>12), b, "data still in place")
	}
	assert.Nil(t, mm.vmaAt(0x700000000000))
	checkMM(t, mm)
	for _, pa := range hog {
		e.alloc.Put(pa)
	}
	mm.Release()
	e.noLeaks(t)
}

func TestMsync(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	a := uint64(remapBase)
	mapAt(t, mm, a, 2, rw, anonRW)
	mapAt(t, mm, a+3*PageSize, 1, rw, anonRW)
	tests := []struct {
		name          string
		start, length uint64
		flags         int
		want          error
	}{
		{"mapped", a, 2 * PageSize, MS_SYNC, nil},
		{"partial page length", a, 1, MS_ASYNC, nil},
		{"invalidate", a, PageSize, MS_INVALIDATE, nil},
		{"zero length anywhere", 0x1000, 0, MS_SYNC, nil},
		{"length wraps to 0", a, ^uint64(0), MS_SYNC, nil},
		{"unaligned", a + 1, PageSize, MS_SYNC, errno.EINVAL},
		{"unknown flag", a, PageSize, 8, errno.EINVAL},
		{"async and sync", a, PageSize, MS_ASYNC | MS_SYNC, errno.EINVAL},
		{"hole in the middle", a, 4 * PageSize, MS_SYNC, errno.ENOMEM},
		{"hole in the middle, async", a, 4 * PageSize, MS_ASYNC, errno.ENOMEM},
		{"unmapped", a + 8*PageSize, PageSize, 0, errno.ENOMEM},
		{"wraps", 0xfffffffffffff000, 2 * PageSize, 0, errno.ENOMEM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := mm.Msync(tc.start, tc.length, tc.flags)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
	mm.Release()
	e.noLeaks(t)
}

func TestMincore(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	a := uint64(remapBase)
	mapAt(t, mm, a, 4, rw, anonRW)
	require.NoError(t, mm.CopyOut(a+PageSize, []byte{1}))
	require.NoError(t, mm.CopyOut(a+3*PageSize, []byte{1}))
	require.NoError(t, mm.Mprotect(a+3*PageSize, PageSize, PROT_NONE))
	vec := make([]byte, 8)
	n, err := mm.Mincore(a, vec)
	require.NoError(t, err)
	assert.Equal(t, 3, n, "stops at the VMA's end")
	assert.Equal(t, []byte{0, 1, 0}, vec[:n])
	n, err = mm.Mincore(a+3*PageSize, vec)
	require.NoError(t, err)
	assert.Equal(t, []byte{1}, vec[:n], "a PROT_NONE page keeps its frame")
	_, err = mm.Mincore(a+4*PageSize, vec)
	require.ErrorIs(t, err, errno.ENOMEM)

	// Shared memory: a page another mapping touched is resident here too.
	s := uint64(remapBase + 16*PageSize)
	mapAt(t, mm, s, 2, rw, MAP_SHARED|MAP_ANONYMOUS)
	dup, err := mm.Mremap(s, 0, 2*PageSize, MREMAP_MAYMOVE, 0)
	require.NoError(t, err)
	require.NoError(t, mm.CopyOut(dup+PageSize, []byte{1}))
	n, err = mm.Mincore(s, vec[:2])
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1}, vec[:n])

	// File pages are in memory; pages past the end of the file are not.
	require.NoError(t, mm.MapImage(0x400000, 3*PageSize, PROT_READ, make([]byte, PageSize+10), 0, PageSize+10))
	n, err = mm.Mincore(0x400000, vec)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 1, 0}, vec[:n])
	mm.Release()
	e.noLeaks(t)
}
