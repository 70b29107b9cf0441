package mm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

const anonRW = MAP_PRIVATE | MAP_ANONYMOUS
const rw = PROT_READ | PROT_WRITE

func TestMmapErrors(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	file := &FileBacking{Data: make([]byte, 3*PageSize)}
	_, err := mm.Mmap(0x10000000-2*PageSize, PageSize, rw, anonRW|MAP_FIXED, nil, 0)
	require.NoError(t, err)
	tests := []struct {
		name   string
		addr   uint64
		length uint64
		prot   int
		flags  int
		file   *FileBacking
		off    uint64
		want   error
	}{
		{"length 0", 0, 0, rw, anonRW, nil, 0, errno.EINVAL},
		{"no type", 0, PageSize, rw, MAP_ANONYMOUS, nil, 0, errno.EINVAL},
		{"bad type", 0, PageSize, rw, 0xf | MAP_ANONYMOUS, nil, 0, errno.EINVAL},
		{"unaligned offset", 0, PageSize, PROT_READ, MAP_PRIVATE, file, 100, errno.EINVAL},
		{"unaligned MAP_FIXED", 0x400100, PageSize, rw, anonRW | MAP_FIXED, nil, 0, errno.EINVAL},
		{"length overflows", 0, ^uint64(0) - 10, rw, anonRW, nil, 0, errno.ENOMEM},
		{"longer than user space", 0, TaskSize + PageSize, rw, anonRW, nil, 0, errno.ENOMEM},
		{"MAP_FIXED past TASK_SIZE", TaskSize - PageSize, 2 * PageSize, rw, anonRW | MAP_FIXED, nil, 0, errno.ENOMEM},
		{"MAP_FIXED at 0 (kernel-reserved, tamix)", 0, PageSize, rw, anonRW | MAP_FIXED, nil, 0, errno.ENOMEM},
		{"MAP_FIXED on the identity map (tamix)", 0x10000000, PageSize, rw, anonRW | MAP_FIXED, nil, 0, errno.ENOMEM},
		{"MAP_FIXED straddling 256 MiB (tamix)", 0x10000000 - PageSize, 2 * PageSize, rw, anonRW | MAP_FIXED, nil, 0, errno.ENOMEM},
		{"MAP_FIXED_NOREPLACE over a mapping", 0x10000000 - 3*PageSize, 2 * PageSize, rw, anonRW | MAP_FIXED_NOREPLACE, nil, 0, errno.EEXIST},
		{"file without file", 0, PageSize, PROT_READ, MAP_PRIVATE, nil, 0, errno.EBADF},
		{"shared writable file (read-only)", 0, PageSize, rw, MAP_SHARED, file, 0, errno.EACCES},
		{"shared growsdown", 0, PageSize, rw, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, nil, 0, errno.EINVAL},
		{"hugetlb", 0, PageSize, rw, anonRW | MAP_HUGETLB, nil, 0, errno.ENOMEM},
		{"validate unknown flag", 0, PageSize, rw, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x200, nil, 0, errno.EOPNOTSUPP},
		{"ok: anon", 0, PageSize, rw, anonRW, nil, 0, nil},
		{"ok: norezerve/populate/stack/denywrite", 0, PageSize, rw, anonRW | MAP_NORESERVE | MAP_POPULATE | MAP_STACK | MAP_DENYWRITE, nil, 0, nil},
		{"ok: shared anon", 0, PageSize, rw, MAP_SHARED | MAP_ANONYMOUS, nil, 0, nil},
		{"ok: shared validate", 0, PageSize, rw, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, nil, 0, nil},
		{"ok: shared read-only file", 0, PageSize, PROT_READ, MAP_SHARED, file, PageSize, nil},
		{"ok: growsdown", 0, PageSize, rw, anonRW | MAP_GROWSDOWN, nil, 0, nil},
		{"ok: unaligned length", 0, 1, rw, anonRW, nil, 0, nil},
		{"ok: MAP_FIXED_NOREPLACE free", 0x8000000 - PageSize, PageSize, rw, anonRW | MAP_FIXED_NOREPLACE, nil, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr, err := mm.Mmap(tc.addr, tc.length, tc.prot, tc.flags, tc.file, tc.off)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			assert.Zero(t, addr&pageMask)
			checkMM(t, mm)
		})
	}
	mm.Release()
	e.noLeaks(t)
}

func TestMmapPlacement(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	base := mm.MmapBase
	assert.Equal(t, uint64(0x7ffff7fff000), base, "Linux's mmap_base without ASLR")
	a, err := mm.Mmap(0, 2*PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	assert.Equal(t, base-2*PageSize, a, "top-down from mmap_base")
	b, err := mm.Mmap(0, PageSize, PROT_READ, anonRW, nil, 0)
	require.NoError(t, err)
	assert.Equal(t, a-PageSize, b)
	// A free hint is honoured (rounded down to a page).
	h, err := mm.Mmap(0x8000123, PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(0x8000000), h)
	// A busy hint is not.
	h2, err := mm.Mmap(0x8000000, PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	assert.Equal(t, b-PageSize, h2)
	// A hint in the kernel-reserved range moves elsewhere.
	h3, err := mm.Mmap(0x10000000, PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	assert.False(t, reservedOverlap(h3, h3+PageSize))
	// A hole left by munmap is reused top-down.
	require.NoError(t, mm.Munmap(a, 2*PageSize))
	c, err := mm.Mmap(0, PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	assert.Equal(t, base-PageSize, c)
	// The bottom-up fallback starts at TASK_UNMAPPED_BASE.
	d, ok := mm.searchBottomUp(PageSize, TaskUnmappedBase, TaskSize)
	assert.True(t, ok)
	assert.Equal(t, TaskUnmappedBase, d)
	// Fill the room between the reserved range (6 GiB) and mmap_base...
	big, err := mm.Mmap(0, base-6<<30-64*PageSize, PROT_NONE, anonRW|MAP_NORESERVE, nil, 0)
	require.NoError(t, err)
	assert.True(t, big >= 6<<30, "%#x", big)
	// ...then top-down continues below the reserved range, into the low
	// window (as Linux goes down to mmap_min_addr)...
	low, err := mm.Mmap(0, 64<<20, PROT_NONE, anonRW, nil, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(256<<20-64<<20), low)
	// ...and once that is full too, a mapping that fits nowhere below
	// mmap_base goes bottom-up.
	_, err = mm.Mmap(2<<20, 0x8000000-2<<20, PROT_NONE, anonRW|MAP_FIXED, nil, 0)
	require.NoError(t, err)
	_, err = mm.Mmap(0x8000000+PageSize, low-0x8000000-PageSize, PROT_NONE, anonRW|MAP_FIXED, nil, 0)
	require.NoError(t, err)
	up, err := mm.Mmap(0, 100<<20, PROT_NONE, anonRW, nil, 0)
	require.NoError(t, err)
	assert.True(t, up >= base, "%#x", up)
	_, err = mm.Mmap(0, 100<<20, PROT_NONE, anonRW, nil, 0)
	assert.ErrorIs(t, err, errno.ENOMEM, "no room left")
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestMunmapSplit(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	a, err := mm.Mmap(0, 8*PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	touch(t, mm, a, 8*PageSize)
	free := e.alloc.FreeCount()
	e.tlb.reset()
	require.NoError(t, mm.Munmap(a+2*PageSize, 3*PageSize))
	assert.Equal(t, free+3, e.alloc.FreeCount(), "unmapped frames freed")
	assert.ElementsMatch(t, []uint64{a + 2*PageSize, a + 3*PageSize, a + 4*PageSize}, e.tlb.pages)
	vs := mm.VMAs()
	require.Len(t, vs, 2)
	assert.Equal(t, [2]uint64{a, a + 2*PageSize}, [2]uint64{vs[0].Start, vs[0].End})
	assert.Equal(t, [2]uint64{a + 5*PageSize, a + 8*PageSize}, [2]uint64{vs[1].Start, vs[1].End})
	requireSignal(t, mustFault(mm, a+3*PageSize, AccessRead), SIGSEGV, SEGV_MAPERR)
	b, _ := userByte(mm, a+6*PageSize)
	assert.Equal(t, byte((a+6*PageSize)>>12), b, "the rest keeps its data")

	for _, tc := range []struct {
		addr, length uint64
		want         error
	}{
		{a + 1, PageSize, errno.EINVAL},
		{a, 0, errno.EINVAL},
		{TaskSize, PageSize, errno.EINVAL},
		{TaskSize - PageSize, 2 * PageSize, errno.EINVAL},
		{0x10000000, PageSize, nil}, // nothing mapped: fine
		{a, 1, nil},                 // rounded up to a page
	} {
		assert.Equal(t, tc.want, mm.Munmap(tc.addr, tc.length), "%#x+%#x", tc.addr, tc.length)
	}
	// MAP_FIXED over the middle of a mapping replaces it with fresh memory.
	r, err := mm.Mmap(a+6*PageSize, PageSize, PROT_READ, anonRW|MAP_FIXED, nil, 0)
	require.NoError(t, err)
	assert.Equal(t, a+6*PageSize, r)
	require.Len(t, mm.VMAs(), 4)
	got := []byte{1}
	require.NoError(t, mm.CopyIn(got, r))
	assert.Equal(t, byte(0), got[0])
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestMprotect(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	a, err := mm.Mmap(0, 4*PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	touch(t, mm, a, 4*PageSize)

	e.tlb.reset()
	require.NoError(t, mm.Mprotect(a+PageSize, 2*PageSize, PROT_READ))
	require.Len(t, mm.VMAs(), 3)
	assert.Len(t, e.tlb.pages, 2)
	assert.Zero(t, pteOf(t, mm, a+PageSize)&PTEWrite)
	assert.NotZero(t, pteOf(t, mm, a)&PTEWrite)
	requireSignal(t, mustFault(mm, a+PageSize, AccessWrite), SIGSEGV, SEGV_ACCERR)
	assert.ErrorIs(t, mm.CopyOut(a+2*PageSize, []byte{1}), errno.EFAULT)

	require.NoError(t, mm.Mprotect(a+PageSize, 2*PageSize, PROT_NONE))
	requireSignal(t, mustFault(mm, a+PageSize, AccessRead), SIGSEGV, SEGV_ACCERR)
	assert.ErrorIs(t, mm.CopyIn(make([]byte, 1), a+PageSize), errno.EFAULT)
	checkMM(t, mm)

	// Back to RW: merged into one VMA, data kept, write re-enabled by a
	// reuse fault (the frame is exclusive).
	require.NoError(t, mm.Mprotect(a, 4*PageSize, rw))
	require.Len(t, mm.VMAs(), 1)
	b, ok := userByte(mm, a+PageSize)
	require.True(t, ok)
	assert.Equal(t, byte((a+PageSize)>>12), b)
	res, err := mm.HandleFault(a+PageSize, AccessWrite)
	require.NoError(t, err)
	assert.Equal(t, FaultReuse, res)

	// Exec toggles NX.
	require.NoError(t, mm.Mprotect(a, PageSize, PROT_READ|PROT_EXEC))
	assert.Zero(t, pteOf(t, mm, a)&PTENX)

	for _, tc := range []struct {
		name   string
		addr   uint64
		length uint64
		prot   int
		want   error
	}{
		{"unaligned", a + 1, PageSize, PROT_READ, errno.EINVAL},
		{"bad prot", a, PageSize, 0x10, errno.EINVAL},
		{"growsup and down", a, PageSize, PROT_GROWSDOWN | PROT_GROWSUP, errno.EINVAL},
		{"growsdown on a plain mapping", a, PageSize, PROT_READ | PROT_GROWSDOWN, errno.EINVAL},
		{"length 0", a + 100*PageSize, 0, PROT_READ, nil},
		{"unmapped", a + 100*PageSize, PageSize, PROT_READ, errno.ENOMEM},
		{"hole at the end", a, 5 * PageSize, PROT_READ, errno.ENOMEM},
		{"overflow", a, ^uint64(0) - PageSize, PROT_READ, errno.ENOMEM},
		{"ok: PROT_SEM", a, PageSize, PROT_READ | PROT_SEM, nil},
	} {
		assert.Equal(t, tc.want, mm.Mprotect(tc.addr, tc.length, tc.prot), tc.name)
	}
	// "hole at the end" changed the VMA before the hole, as Linux does.
	vs := mm.VMAs()
	assert.Equal(t, VMRead, vs[len(vs)-1].Flags&vmAccessFlags)

	// VM_MAYWRITE: a shared read-only file mapping cannot become writable.
	f, err := mm.Mmap(0, PageSize, PROT_READ, MAP_SHARED, &FileBacking{Data: []byte("x")}, 0)
	require.NoError(t, err)
	assert.Equal(t, errno.EACCES, mm.Mprotect(f, PageSize, rw))
	assert.NoError(t, mm.Mprotect(f, PageSize, PROT_READ|PROT_EXEC))

	// PROT_GROWSDOWN extends to the start of a stack VMA.
	require.NoError(t, mm.SetupStack(StackTop, 0))
	require.NoError(t, mm.Mprotect(StackTop-PageSize, PageSize, PROT_READ|PROT_GROWSDOWN))
	vs = mm.VMAs()
	assert.Equal(t, VMRead, vs[len(vs)-1].Flags&vmAccessFlags)
	assert.Equal(t, StackTop-stackExpand, vs[len(vs)-1].Start)
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestBrk(t *testing.T) {
	e := newEnv(t, 128)
	mm := e.newMM(t)
	assert.Equal(t, uint64(0), mm.Brk(0x500000), "no heap before exec")
	file := make([]byte, PageSize)
	require.NoError(t, mm.MapImage(0x400000, 0x1800, rw, file, 0, 0x800))
	mm.SetBrk(0x401800)
	assert.Equal(t, uint64(0x402000), mm.StartBrk)
	start := mm.StartBrk

	assert.Equal(t, start, mm.Brk(0), "brk(0) queries")
	assert.Equal(t, start, mm.Brk(start-1), "below start_brk refused")
	assert.Equal(t, start+10, mm.Brk(start+10))
	assert.Equal(t, start+5*PageSize+1, mm.Brk(start+5*PageSize+1))
	touch(t, mm, start, 6*PageSize)
	free := e.alloc.FreeCount()
	// Shrink frees the pages above the new break.
	assert.Equal(t, start+PageSize, mm.Brk(start+PageSize))
	assert.Equal(t, free+5, e.alloc.FreeCount())
	requireSignal(t, mustFault(mm, start+PageSize, AccessRead), SIGSEGV, SEGV_MAPERR)
	// Grow again: fresh zero pages.
	assert.Equal(t, start+3*PageSize, mm.Brk(start+3*PageSize))
	got := []byte{1}
	require.NoError(t, mm.CopyIn(got, start+2*PageSize))
	assert.Equal(t, byte(0), got[0])
	require.Len(t, mm.VMAs(), 2, "image and heap")

	// The heap cannot reach the kernel-reserved range at 256 MiB (tamix)...
	assert.Equal(t, start+3*PageSize, mm.Brk(0x10000000+PageSize))
	// ...nor come within a page of another mapping.
	_, err := mm.Mmap(0x800000, PageSize, rw, anonRW|MAP_FIXED, nil, 0)
	require.NoError(t, err)
	assert.Equal(t, start+3*PageSize, mm.Brk(0x800000))
	assert.Equal(t, uint64(0x7ff000), mm.Brk(0x7ff000))
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestMadvise(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	a, err := mm.Mmap(0, 4*PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	touch(t, mm, a, 4*PageSize)
	free := e.alloc.FreeCount()
	require.NoError(t, mm.Madvise(a, 2*PageSize, MADV_DONTNEED))
	assert.Equal(t, free+2, e.alloc.FreeCount())
	got := []byte{1}
	require.NoError(t, mm.CopyIn(got, a))
	assert.Equal(t, byte(0), got[0], "zero after DONTNEED")
	require.NoError(t, mm.CopyIn(got, a+3*PageSize))
	assert.Equal(t, byte((a+3*PageSize)>>12), got[0])

	// File pages come back from the file.
	f, err := mm.Mmap(0, PageSize, rw, MAP_PRIVATE, &FileBacking{Data: []byte("file")}, 0)
	require.NoError(t, err)
	require.NoError(t, mm.CopyOut(f, []byte("FILE")))
	require.NoError(t, mm.Madvise(f, PageSize, MADV_DONTNEED))
	s, err := mm.CopyInString(f, 10)
	require.NoError(t, err)
	assert.Equal(t, "file", s)

	for _, tc := range []struct {
		name         string
		addr, length uint64
		advice       int
		want         error
	}{
		{"unknown", a, PageSize, 99, errno.EINVAL},
		{"unaligned", a + 1, PageSize, MADV_DONTNEED, errno.EINVAL},
		{"length 0", a, 0, MADV_DONTNEED, nil},
		{"unmapped", 0x8000000, PageSize, MADV_DONTNEED, errno.ENOMEM},
		{"hole", f - PageSize, 2 * PageSize, MADV_NORMAL, errno.ENOMEM},
		{"free on file", f, PageSize, MADV_FREE, errno.EINVAL},
		{"ok: willneed", a, 4 * PageSize, MADV_WILLNEED, nil},
		{"ok: free", a, 4 * PageSize, MADV_FREE, nil},
		{"ok: hugepage", a, 4 * PageSize, MADV_HUGEPAGE, nil},
		{"ok: populate write", a, 4 * PageSize, MADV_POPULATE_WRITE, nil},
	} {
		assert.Equal(t, tc.want, mm.Madvise(tc.addr, tc.length, tc.advice), tc.name)
	}
	assert.Equal(t, uint64(5), mm.Counters().RSS)
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestMmapPopulate(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	a, err := mm.Mmap(0, 4*PageSize, rw, anonRW|MAP_POPULATE, nil, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(4), mm.Counters().RSS)
	assert.NotZero(t, pteOf(t, mm, a)&PTEWrite)
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}
