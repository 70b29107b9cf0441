package mm

import (
	"sync"
	"sync/atomic"

	"tamix/errno"
)

// TLB is how the MM asks the kernel to drop stale translations after it
// weakened or removed PTEs. The kernel implements shootdown to every CPU that
// may cache the address space (Linux: mm_cpumask); tests use a recorder.
// The MM calls it with its lock held: implementations must not call back
// into the MM.
type TLB interface {
	FlushPage(mm *MM, va uint64)
	FlushAll(mm *MM)
}

type noTLB struct{}

func (noTLB) FlushPage(*MM, uint64) {}
func (noTLB) FlushAll(*MM)          {}

// MM is an address space, Linux's mm_struct: a page table, the VMAs sorted by
// address, the layout of the program in it, and counters.
type MM struct {
	mu         sync.Mutex // mmap_lock
	alloc      *FrameAllocator
	mem        PhysMemory
	pt         *PageTable
	tlb        TLB
	kernelRoot uint64
	vmas       []*VMA // sorted by Start, non-overlapping

	// Layout, as in mm_struct; exec fills them in. CurBrk is Linux's
	// mm->brk (the Brk method is sys_brk). Exec sets StartBrk = CurBrk =
	// the page-aligned end of bss before Brk can grow the heap.
	StartCode, EndCode, StartData, EndData uint64
	StartBrk, CurBrk, StartStack, MmapBase uint64
	// VDSO is where exec mapped the vDSO (its vvar page is just below); 0: none.
	VDSO                               uint64
	ArgStart, ArgEnd, EnvStart, EnvEnd uint64
	// StackLimit bounds stack growth (RLIMIT_STACK); SetupStack sets it.
	StackLimit uint64
	// limits are RLIMIT_AS and RLIMIT_DATA (vmlimits.go).
	limits vmLimits

	rss, hiwaterRSS uint64 // resident pages (get_mm_rss, hiwater_rss)
	minFlt, majFlt  uint64 // faults served for this MM, uaccess included

	users atomic.Int32 // mm_users: tasks sharing the MM (CLONE_VM)
}

// NewMM creates an empty address space whose page table shares the kernel
// page table at kernelRoot. tlb may be nil (no other CPU ever runs it).
func NewMM(a *FrameAllocator, kernelRoot uint64, tlb TLB) (*MM, error) {
	pt, err := NewPageTable(a, kernelRoot)
	if err != nil {
		return nil, err
	}
	if tlb == nil {
		tlb = noTLB{}
	}
	mm := &MM{
		alloc: a, mem: a.mem, pt: pt, tlb: tlb, kernelRoot: kernelRoot,
		StackLimit: DefaultStackLimit,
		MmapBase:   mmapBase(DefaultStackLimit),
	}
	mm.users.Store(1)
	return mm, nil
}

// Root returns the physical address of the PML4: the value for CR3.
func (mm *MM) Root() uint64 { return mm.pt.Root }

// PageTable returns the MM's page table (for inspection; MM methods are the
// way to change it).
func (mm *MM) PageTable() *PageTable { return mm.pt }

// SetStackLimit changes the bound on stack growth (setrlimit(RLIMIT_STACK)
// while the program runs: Linux checks the limit at each growth).
func (mm *MM) SetStackLimit(n uint64) {
	mm.mu.Lock()
	mm.StackLimit = n
	mm.mu.Unlock()
}

// Mmget takes a reference for another task sharing the MM (CLONE_VM).
func (mm *MM) Mmget() { mm.users.Add(1) }

// Mmput drops a task's reference and releases the MM with the last one.
func (mm *MM) Mmput() {
	if mm.users.Add(-1) == 0 {
		mm.Release()
	}
}

// VMAs returns a copy of the VMA list, sorted (for /proc/pid/maps, tests).
func (mm *MM) VMAs() []VMA {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	out := make([]VMA, len(mm.vmas))
	for i, v := range mm.vmas {
		out[i] = *v
		out[i].shm = nil
	}
	return out
}

// Counters are the MM's statistics, in pages where sizes (mm_struct's
// total_vm, data_vm, exec_vm, stack_vm, RSS and its high-water mark).
type Counters struct {
	TotalVM, DataVM, ExecVM, StackVM uint64
	RSS, HiwaterRSS                  uint64
	MapCount                         int
	PageTables                       int
	// MinFlt and MajFlt count every fault served for this MM, also those
	// taken by CopyIn/CopyOut on behalf of a system call.
	MinFlt, MajFlt uint64
}

// Counters returns a snapshot of the statistics.
func (mm *MM) Counters() Counters {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	c := Counters{RSS: mm.rss, HiwaterRSS: mm.hiwaterRSS, MapCount: len(mm.vmas),
		MinFlt: mm.minFlt, MajFlt: mm.majFlt}
	if mm.pt != nil {
		c.PageTables = mm.pt.Tables()
	}
	for _, v := range mm.vmas {
		n := (v.End - v.Start) >> pageShift
		c.TotalVM += n
		switch {
		case v.Flags&VMGrowsDown != 0:
			c.StackVM += n
		case v.Flags&(VMWrite|VMShared) == VMWrite:
			c.DataVM += n
		case v.Flags&(VMExec|VMWrite) == VMExec:
			c.ExecVM += n
		}
	}
	return c
}

func (mm *MM) addRSS() {
	mm.rss++
	if mm.rss > mm.hiwaterRSS {
		mm.hiwaterRSS = mm.rss
	}
}

// tlbFlushCeiling: above this many pages one full flush is cheaper than
// single-page flushes (Linux tlb_single_page_flush_ceiling = 33).
const tlbFlushCeiling = 33

// flushBatch gathers the pages whose translations must go, without
// allocating (Linux: mmu_gather).
type flushBatch struct {
	n   int
	all bool
	va  [tlbFlushCeiling]uint64
}

func (b *flushBatch) add(va uint64) {
	if b.all {
		return
	}
	if b.n == len(b.va) {
		b.all = true
		return
	}
	b.va[b.n] = va
	b.n++
}

func (mm *MM) flush(b *flushBatch) {
	if b.all {
		mm.tlb.FlushAll(mm)
		return
	}
	for _, va := range b.va[:b.n] {
		mm.tlb.FlushPage(mm, va)
	}
}

// mmuGather batches the frames unmapped by a zap so they are freed only after
// the TLB flush: another CPU may still write through a stale translation
// until then (Linux: mmu_gather).
type mmuGather struct {
	mm    *MM
	flush flushBatch
	n     int
	pages [256]uint64
}

func (g *mmuGather) remove(va, e uint64) {
	if e&PTEPresent != 0 {
		g.flush.add(va)
	}
	if g.n == len(g.pages) {
		g.finish()
	}
	g.pages[g.n] = e & PTEAddrMask
	g.n++
}

func (g *mmuGather) finish() {
	g.mm.flush(&g.flush)
	g.flush.n, g.flush.all = 0, false
	for _, pa := range g.pages[:g.n] {
		g.mm.alloc.Put(pa)
	}
	g.n = 0
}

// zap removes the pages of [start, end) from the page table and drops their
// frame references after flushing the TLB (Linux zap_page_range).
func (mm *MM) zap(start, end uint64) {
	g := mmuGather{mm: mm}
	mm.pt.forEachPT(start, end, false, func(t *[512]uint64, va uint64, i, j int) {
		for k := i; k < j; k++ {
			if e := t[k]; pteHasFrame(e) {
				t[k] = 0
				mm.rss--
				g.remove(va+uint64(k-i)<<pageShift, e)
			}
		}
	})
	g.finish()
}

// unmapRange is do_munmap on page-aligned [start, end): split the VMAs at the
// edges, drop those inside, zap their pages and free emptied page tables.
func (mm *MM) unmapRange(start, end uint64) {
	if !mm.overlaps(start, end) {
		return
	}
	i, j := mm.splitAround(start, end)
	for _, v := range mm.vmas[i:j] {
		defer v.close(mm)
	}
	mm.vmas = append(mm.vmas[:i], mm.vmas[j:]...)
	mm.zap(start, end)
	mm.pt.prune(start, end)
}

// Fork duplicates the address space for a child (Linux dup_mmap): the VMAs are
// copied and copy_page_range shares every present private page copy-on-write,
// write-protecting it in both parent and child and taking a frame reference.
// Shared anonymous mappings stay shared: their pages come from the shared
// object. The parent's TLB is flushed once if any PTE lost PTEWrite.
func (mm *MM) Fork() (*MM, error) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	child, err := NewMM(mm.alloc, mm.kernelRoot, mm.tlb)
	if err != nil {
		return nil, err
	}
	child.StartCode, child.EndCode, child.StartData, child.EndData = mm.StartCode, mm.EndCode, mm.StartData, mm.EndData
	child.StartBrk, child.CurBrk, child.StartStack, child.MmapBase = mm.StartBrk, mm.CurBrk, mm.StartStack, mm.MmapBase
	child.VDSO = mm.VDSO
	child.ArgStart, child.ArgEnd, child.EnvStart, child.EnvEnd = mm.ArgStart, mm.ArgEnd, mm.EnvStart, mm.EnvEnd
	child.StackLimit = mm.StackLimit
	child.limits = mm.limits

	wp := false
	child.vmas = make([]*VMA, 0, len(mm.vmas))
	for _, v := range mm.vmas {
		if v.Flags&VMDontCopy != 0 {
			continue
		}
		n := *v
		n.open(child)
		child.vmas = append(child.vmas, &n)
		if v.shm != nil || v.cache != nil && v.Flags&VMShared != 0 || v.Flags&VMWipeOnFork != 0 {
			continue // Linux too leaves these to be faulted in (vma_needs_copy)
		}
		if err = mm.copyPageRange(child, v, &wp); err != nil {
			break
		}
	}
	if wp {
		mm.tlb.FlushAll(mm)
	}
	if err != nil {
		child.Release()
		return nil, err
	}
	return child, nil
}

// copyPageRange copies v's PTEs into child, one page-table page at a time,
// visiting only present tables (copy_pte_range).
func (mm *MM) copyPageRange(child *MM, v *VMA, wp *bool) error {
	private := v.Flags&VMShared == 0
	var err error
	mm.pt.forEachPT(v.Start, v.End, false, func(t *[512]uint64, va uint64, i, j int) {
		if err != nil {
			return
		}
		var dt *[512]uint64
		for k := i; k < j; k++ {
			e := t[k]
			if !pteHasFrame(e) {
				continue
			}
			if dt == nil {
				if dt, err = child.pt.leafTable(va, true); err != nil {
					return
				}
			}
			if private && e&PTEWrite != 0 {
				e &^= PTEWrite // COW: the next write in either MM faults
				t[k] = e
				*wp = true
			}
			mm.alloc.Get(e & PTEAddrMask)
			dt[k] = e
			child.addRSS()
		}
	})
	if err != nil {
		return errno.ENOMEM
	}
	return nil
}

// Release tears the address space down (Linux exit_mmap): it drops every
// frame reference the page table holds and frees every page-table page the MM
// owns. The caller must make sure no CPU still runs on this page table (load
// another CR3 first); FlushAll is called so the kernel's TLB code can drop it
// from its CPU masks. Release is idempotent.
func (mm *MM) Release() {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.pt == nil || mm.pt.Root == 0 {
		return
	}
	mm.tlb.FlushAll(mm)
	mm.pt.free(true)
	for _, v := range mm.vmas {
		v.close(mm)
	}
	mm.vmas = nil
	mm.rss = 0
}
