package mm

import (
	"sort"
	"sync"
)

// VMFlags are a VMA's flags, with Linux's vm_flags values.
type VMFlags uint64

const (
	VMRead     VMFlags = 0x1
	VMWrite    VMFlags = 0x2
	VMExec     VMFlags = 0x4
	VMShared   VMFlags = 0x8
	VMMayRead  VMFlags = 0x10 // the VM_MAY* bits bound what mprotect may enable
	VMMayWrite VMFlags = 0x20
	VMMayExec  VMFlags = 0x40
	VMMayShare VMFlags = 0x80

	VMGrowsDown  VMFlags = 0x100   // stack: faults just below grow it
	VMDontCopy   VMFlags = 0x20000 // MADV_DONTFORK: the child does not get it
	VMNoReserve  VMFlags = 0x200000
	VMWipeOnFork VMFlags = 0x2000000 // MADV_WIPEONFORK: the child gets it empty

	vmAccessFlags = VMRead | VMWrite | VMExec
)

// FileBacking is the content behind a file-backed mapping (Linux: vm_file):
// the bytes of a file embedded in the kernel. Faults copy them into private
// frames, so the file itself is never written.
type FileBacking struct {
	Data []byte // the file; Data[0] is file offset 0
	// ZeroPastEOF fills pages that lie wholly past the end of Data with zeros
	// (ELF bss) instead of raising SIGBUS as a real file mapping would.
	ZeroPastEOF bool
}

// VMA is a virtual memory area (Linux: vm_area_struct): [Start, End) with the
// same flags and backing. Start and End are page aligned.
type VMA struct {
	Start, End uint64
	Flags      VMFlags
	// PgOff is the offset of Start in the backing, in pages (vm_pgoff): into
	// File, or into the shared anonymous object. For private anonymous memory
	// it is Start>>12 as in Linux, and unused.
	PgOff uint64
	File  *FileBacking // nil for anonymous memory

	shm *shmem // MAP_SHARED|MAP_ANONYMOUS or a SysV segment: the object holding the pages
	// cache is the page cache of a mapped file (vm_file->f_mapping): the
	// VMA holds a reference to it, so the file outlives close and unlink.
	cache *PageCache
	// Ops, when set, hears of every copy and removal of the VMA (vm_ops):
	// a SysV shared memory attach counts its mappings with it. Such VMAs
	// never merge, as in Linux (a vm_ops->close forbids it).
	Ops VMOps
}

// Anonymous reports whether the VMA has no file behind it.
func (v *VMA) Anonymous() bool { return v.File == nil && v.cache == nil }

// PageCache is the page cache of the mapped file, nil for other VMAs.
func (v *VMA) PageCache() *PageCache { return v.cache }

// privateAnon reports private anonymous memory (no file, no shared object).
func (v *VMA) privateAnon() bool { return v.File == nil && v.shm == nil && v.cache == nil }

func (v *VMA) contains(va uint64) bool { return va >= v.Start && va < v.End }

// startGap is where the VMA's claim on address space begins: a stack keeps
// StackGuardGap free below itself (Linux vm_start_gap).
func (v *VMA) startGap() uint64 {
	if v.Flags&VMGrowsDown != 0 {
		if v.Start < StackGuardGap {
			return 0
		}
		return v.Start - StackGuardGap
	}
	return v.Start
}

// pteFlags returns the leaf flags for a page of v mapping a frame that may be
// shared with other address spaces: writable only for shared mappings. Pages
// of private writable mappings start read-only after fork and get PTEWrite
// from the write fault (do_wp_page), so COW needs no software bit.
func (v *VMA) pteFlags() uint64 {
	if v.Flags&vmAccessFlags == 0 {
		return pteProtNone // PROT_NONE: keep the frame, deny all access
	}
	f := PTEPresent | PTEUser | PTEAccessed
	if v.Flags&(VMWrite|VMShared) == VMWrite|VMShared {
		f |= PTEWrite | PTEDirty
	}
	if NXEnabled && v.Flags&VMExec == 0 {
		f |= PTENX
	}
	return f
}

// exclusiveFlags are the leaf flags for a frame only this VMA maps.
func (v *VMA) exclusiveFlags() uint64 {
	f := v.pteFlags()
	if f&PTEPresent != 0 && v.Flags&VMWrite != 0 {
		f |= PTEWrite | PTEDirty
	}
	return f
}

// mergeable reports whether b can be appended to a (vma_merge's test).
func mergeable(a, b *VMA) bool {
	if a.End != b.Start || a.Flags != b.Flags || a.File != b.File || a.shm != b.shm || a.cache != b.cache ||
		a.Ops != nil || b.Ops != nil {
		return false
	}
	if a.File != nil || a.shm != nil || a.cache != nil {
		return a.PgOff+(a.End-a.Start)>>pageShift == b.PgOff
	}
	return true
}

// shmem is the object behind a shared anonymous mapping (Linux: a shmem
// file from shmem_zero_setup): pages indexed by page offset, shared by every
// VMA (in any MM) that maps it.
type shmem struct {
	mu    sync.Mutex
	alloc *FrameAllocator
	pages []uint64 // 0: not allocated yet
	refs  int      // VMAs referencing the object
}

func newShmem(a *FrameAllocator, npages uint64) *shmem {
	return &shmem{alloc: a, pages: make([]uint64, npages), refs: 1}
}

func (s *shmem) get() {
	s.mu.Lock()
	s.refs++
	s.mu.Unlock()
}

func (s *shmem) put() {
	s.mu.Lock()
	s.refs--
	if s.refs > 0 {
		s.mu.Unlock()
		return
	}
	pages := s.pages
	s.pages = nil
	s.mu.Unlock()
	for _, pa := range pages {
		if pa != 0 {
			s.alloc.Put(pa)
		}
	}
}

// page returns the frame at pgoff with a new reference for the caller,
// allocating a zeroed one on first use (shmem_get_folio).
func (s *shmem) page(pgoff uint64) (uint64, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pgoff >= uint64(len(s.pages)) {
		return 0, false, nil
	}
	pa := s.pages[pgoff]
	if pa == 0 {
		var err error
		if pa, err = s.alloc.Alloc(); err != nil {
			return 0, false, err
		}
		s.pages[pgoff] = pa
	}
	s.alloc.Get(pa)
	return pa, true, nil
}

// findVMA returns the index of the first VMA with End > addr (Linux
// find_vma: the VMA containing addr, or the next one above it).
func (mm *MM) findVMA(addr uint64) int {
	return sort.Search(len(mm.vmas), func(i int) bool { return mm.vmas[i].End > addr })
}

// vmaAt returns the VMA containing addr, or nil.
func (mm *MM) vmaAt(addr uint64) *VMA {
	i := mm.findVMA(addr)
	if i < len(mm.vmas) && mm.vmas[i].Start <= addr {
		return mm.vmas[i]
	}
	return nil
}

// split cuts vmas[i] at addr (strictly inside it); both halves stay in the
// list (Linux __split_vma).
func (mm *MM) split(i int, addr uint64) {
	v := mm.vmas[i]
	n := *v
	n.Start = addr
	n.PgOff = v.PgOff + (addr-v.Start)>>pageShift
	v.End = addr
	n.open(mm)
	mm.vmas = append(mm.vmas, nil)
	copy(mm.vmas[i+2:], mm.vmas[i+1:])
	mm.vmas[i+1] = &n
}

// splitAround makes [start, end) begin and end on VMA boundaries and returns
// the index range [i, j) of the VMAs inside it.
func (mm *MM) splitAround(start, end uint64) (int, int) {
	i := mm.findVMA(start)
	if i < len(mm.vmas) && mm.vmas[i].Start < start {
		mm.split(i, start)
		i++
	}
	j := mm.findVMA(end)
	if j < len(mm.vmas) && mm.vmas[j].Start < end {
		mm.split(j, end)
		j++
	}
	return i, j
}

// insert adds v (which overlaps nothing) and merges it with its neighbours.
func (mm *MM) insert(v *VMA) {
	i := mm.findVMA(v.Start)
	mm.vmas = append(mm.vmas, nil)
	copy(mm.vmas[i+1:], mm.vmas[i:])
	mm.vmas[i] = v
	mm.mergeAround(i, i+1)
}

// mergeAround merges adjacent compatible VMAs among vmas[i-1 : j+1].
func (mm *MM) mergeAround(i, j int) {
	lo := max(i-1, 0)
	hi := min(j, len(mm.vmas)-1)
	for k := hi; k > lo; k-- {
		a, b := mm.vmas[k-1], mm.vmas[k]
		if mergeable(a, b) {
			a.End = b.End
			b.close(mm)
			mm.vmas = append(mm.vmas[:k], mm.vmas[k+1:]...)
		}
	}
}

// overlaps reports whether any VMA intersects [start, end).
func (mm *MM) overlaps(start, end uint64) bool {
	i := mm.findVMA(start)
	return i < len(mm.vmas) && mm.vmas[i].Start < end
}

// String renders the flags as /proc/pid/maps does ("rw-p", "r-xs").
func (f VMFlags) String() string {
	b := []byte("---p")
	if f&VMRead != 0 {
		b[0] = 'r'
	}
	if f&VMWrite != 0 {
		b[1] = 'w'
	}
	if f&VMExec != 0 {
		b[2] = 'x'
	}
	if f&VMMayShare != 0 {
		b[3] = 's'
	}
	return string(b)
}
