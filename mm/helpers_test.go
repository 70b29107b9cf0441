package mm

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Fake kernel page tables, laid out as TamaGo's cpuinit builds them.
const (
	kPML4 = 0x9000
	kPDPT = 0xa000
	kPD   = 0xb000
	kPT   = 0xc000

	frameBase = 1 << 20 // test frames start at 1 MiB of the arena
)

// buildKernelTree writes an identity map of 0-6 GiB into mem: the first 2 MiB
// in 4 KiB pages (page 0 unmapped), the rest of GiB 0 in 2 MiB pages, GiB 1-5
// as 1 GiB pages; supervisor-only.
func buildKernelTree(mem PhysMemory) uint64 {
	pml4, pdpt, pd, pt := table(mem, kPML4), table(mem, kPDPT), table(mem, kPD), table(mem, kPT)
	*pml4, *pdpt, *pd, *pt = [512]uint64{}, [512]uint64{}, [512]uint64{}, [512]uint64{}
	pml4[0] = kPDPT | PTEPresent | PTEWrite
	pdpt[0] = kPD | PTEPresent | PTEWrite
	for i := 1; i < 6; i++ {
		pdpt[i] = uint64(i)<<30 | PTEPresent | PTEWrite | PTEHuge
		if i >= 3 {
			pdpt[i] |= PTEPCD
		}
	}
	pd[0] = kPT | PTEPresent | PTEWrite
	for i := 1; i < 512; i++ {
		pd[i] = uint64(i)<<21 | PTEPresent | PTEWrite | PTEHuge
		pt[i] = uint64(i)<<12 | PTEPresent | PTEWrite
	}
	return kPML4
}

type tlbRecorder struct {
	mu    sync.Mutex
	pages []uint64
	all   int
}

func (r *tlbRecorder) FlushPage(_ *MM, va uint64) {
	r.mu.Lock()
	r.pages = append(r.pages, va)
	r.mu.Unlock()
}

func (r *tlbRecorder) FlushAll(*MM) {
	r.mu.Lock()
	r.all++
	r.mu.Unlock()
}

func (r *tlbRecorder) reset() {
	r.mu.Lock()
	r.pages, r.all = nil, 0
	r.mu.Unlock()
}

type env struct {
	mem    *Arena
	alloc  *FrameAllocator
	kroot  uint64
	tlb    *tlbRecorder
	kernel [4][512]uint64 // the kernel tables as built
	free0  int
}

func newEnv(t testing.TB, frames int) *env {
	t.Helper()
	mem := NewArena(0, frameBase+uint64(frames)*PageSize)
	e := &env{mem: mem, kroot: buildKernelTree(mem), tlb: &tlbRecorder{}}
	e.alloc = NewFrameAllocator(mem, []Range{{frameBase, frameBase + uint64(frames)*PageSize}})
	for i, pa := range []uint64{kPML4, kPDPT, kPD, kPT} {
		e.kernel[i] = *table(mem, pa)
	}
	e.free0 = e.alloc.FreeCount()
	return e
}

func (e *env) newMM(t testing.TB) *MM {
	t.Helper()
	mm, err := NewMM(e.alloc, e.kroot, e.tlb)
	require.NoError(t, err)
	return mm
}

// kernelIntact checks that no kernel table was written and all frames are back.
func (e *env) kernelIntact(t testing.TB) {
	t.Helper()
	for i, pa := range []uint64{kPML4, kPDPT, kPD, kPT} {
		require.Equal(t, e.kernel[i], *table(e.mem, pa), "kernel table %#x changed", pa)
	}
}

func (e *env) noLeaks(t testing.TB) {
	t.Helper()
	require.Equal(t, e.free0, e.alloc.FreeCount(), "frames leaked")
	e.kernelIntact(t)
}

// checkMM verifies the MM's invariants: VMAs sorted, non-overlapping, page
// aligned, inside user space and outside kernel-reserved ranges; every leaf
// holding a frame lies in a VMA and agrees with its flags; a private writable
// PTE maps a frame nobody else references (COW is sound); RSS matches.
func checkMM(t testing.TB, mm *MM) {
	t.Helper()
	mm.mu.Lock()
	defer mm.mu.Unlock()
	var prevEnd uint64
	for i, v := range mm.vmas {
		require.True(t, v.Start < v.End, "vma %d empty %#x-%#x", i, v.Start, v.End)
		require.Zero(t, v.Start&pageMask|v.End&pageMask, "vma %d unaligned", i)
		require.True(t, v.Start >= prevEnd, "vma %d overlaps or unsorted", i)
		require.True(t, userRangeOK(v.Start, v.End), "vma %d %#x-%#x outside user space", i, v.Start, v.End)
		prevEnd = v.End
		if i > 0 {
			require.False(t, mergeable(mm.vmas[i-1], v), "vma %d should have merged", i)
		}
	}
	var frames uint64
	mm.pt.forEachPT(0, TaskSize, false, func(tb *[512]uint64, va uint64, i, j int) {
		for k := i; k < j; k++ {
			e := tb[k]
			if !pteHasFrame(e) {
				continue
			}
			frames++
			addr := va + uint64(k-i)<<pageShift
			v := mm.vmaAt(addr)
			require.NotNil(t, v, "pte at %#x outside any vma", addr)
			pa := e & PTEAddrMask
			require.GreaterOrEqual(t, mm.alloc.RefCount(pa), 1, "pte at %#x maps free frame", addr)
			if v.Flags&vmAccessFlags == 0 {
				require.Zero(t, e&PTEPresent, "PROT_NONE page %#x present", addr)
				continue
			}
			require.NotZero(t, e&PTEPresent, "page %#x of accessible vma not present", addr)
			if e&PTEWrite != 0 {
				require.NotZero(t, v.Flags&VMWrite, "page %#x writable in read-only vma", addr)
				if v.Flags&VMShared == 0 {
					require.Equal(t, 1, mm.alloc.RefCount(pa), "private writable page %#x shared", addr)
				}
			}
			if NXEnabled {
				require.Equal(t, v.Flags&VMExec == 0, e&PTENX != 0, "NX of %#x", addr)
			}
		}
	})
	require.Equal(t, mm.rss, frames, "rss")
}

// touch writes one byte per page of [va, va+n) through the fault path.
func touch(t testing.TB, mm *MM, va, n uint64) {
	t.Helper()
	for p := va; p < va+n; p += PageSize {
		require.NoError(t, mm.CopyOut(p, []byte{byte(p >> 12)}))
	}
}

// userByte reads the byte at va as the process would see it now, without
// faulting: ok false when the page is not present.
func userByte(mm *MM, va uint64) (byte, bool) {
	pte, ok := mm.pt.Walk(va)
	if !ok || *pte&PTEUser == 0 {
		return 0, false
	}
	return mm.mem.Page(*pte & PTEAddrMask)[va&pageMask], true
}

func pteOf(t testing.TB, mm *MM, va uint64) uint64 {
	t.Helper()
	pte, ok := mm.pt.Walk(va)
	require.True(t, ok, "%#x not mapped", va)
	return *pte
}
