package mm

import "tamix/errno"

// Page-table entry bits, as the x86-64 MMU defines them (SDM vol. 3, 4.5).
const (
	PTEPresent  uint64 = 1 << 0
	PTEWrite    uint64 = 1 << 1
	PTEUser     uint64 = 1 << 2
	PTEPWT      uint64 = 1 << 3
	PTEPCD      uint64 = 1 << 4
	PTEAccessed uint64 = 1 << 5
	PTEDirty    uint64 = 1 << 6
	PTEHuge     uint64 = 1 << 7 // PS: a 2 MiB (PD) or 1 GiB (PDPT) leaf
	PTEGlobal   uint64 = 1 << 8
	PTENX       uint64 = 1 << 63

	// PTEAddrMask selects the physical address in an entry.
	PTEAddrMask uint64 = 0x000ffffffffff000

	// pteProtNone is a software bit (ignored by the MMU) on a non-present
	// leaf that still holds its frame: a page of a PROT_NONE VMA. Linux uses
	// _PAGE_PROTNONE the same way.
	pteProtNone uint64 = 1 << 9
)

// NXEnabled says whether leaves get PTENX for non-executable pages. The kernel
// sets EFER.NXE; if the CPU lacks NX it must clear this before creating any
// address space (the bit is reserved then and would fault).
var NXEnabled = true

// levels: 3 = PML4, 2 = PDPT, 1 = PD, 0 = PT.
func ptIndex(va uint64, level int) int { return int(va>>(pageShift+9*uint(level))) & 511 }

// levelEnd returns the first address after the region mapped by va's entry at
// level (0 on wrap-around).
func levelEnd(va uint64, level int) uint64 {
	span := uint64(1) << (pageShift + 9*uint(level))
	return (va | (span - 1)) + 1
}

// owned reports whether an upper-level entry points to a table this address
// space owns. Invariant: PTEUser on an upper level means "ours"; the kernel's
// tables are supervisor-only.
func owned(e uint64) bool { return e&(PTEPresent|PTEUser|PTEHuge) == PTEPresent|PTEUser }

// pteHasFrame reports whether a leaf of a user table holds a reference to an
// allocator frame: a present user page or a PROT_NONE page.
func pteHasFrame(e uint64) bool {
	return e&(PTEPresent|PTEUser) == PTEPresent|PTEUser || e&pteProtNone != 0
}

func canonical(va uint64) bool { return va < 1<<47 || va >= 0xffff800000000000 }

// PageTable is a 4-level x86-64 page table. It starts as a copy of the kernel's
// PML4 ("copy on descend"): when a user mapping must go below an entry that
// points to a kernel table, that table is cloned into a frame this page table
// owns and the entry is repointed with PTEUser set; a kernel huge page in the
// way is replaced by a fresh empty table. The kernel's own tables are never
// written or freed, so the Go kernel keeps running with any process CR3.
type PageTable struct {
	Root uint64 // physical address of the PML4, loaded in CR3

	alloc *FrameAllocator
	mem   PhysMemory
	// owned lists the page-table pages below Root that this page table
	// owns, with their levels, so that tearing it down visits only them:
	// a walk of every entry of every level costs tens of thousands of
	// instructions for a small process, most of them on empty entries.
	owned []ownedTable
}

// ownedTable is one page-table page a PageTable owns.
type ownedTable struct {
	pa    uint64
	level int // of the entries it holds: 0 for a PT (leaves)
}

// NewPageTable allocates a PML4 holding a copy of the kernel PML4 at
// kernelRoot (0: no kernel mappings, for tests).
func NewPageTable(a *FrameAllocator, kernelRoot uint64) (*PageTable, error) {
	root, err := a.alloc(kernelRoot == 0)
	if err != nil {
		return nil, err
	}
	pt := &PageTable{Root: root, alloc: a, mem: a.mem, owned: make([]ownedTable, 0, 8)}
	if kernelRoot != 0 {
		*table(pt.mem, root) = *table(pt.mem, kernelRoot)
	}
	return pt, nil
}

// Tables returns the number of page-table pages this page table owns.
func (pt *PageTable) Tables() int {
	if pt.Root == 0 {
		return 0
	}
	return 1 + len(pt.owned)
}

func (pt *PageTable) root() *[512]uint64 { return table(pt.mem, pt.Root) }

// descend returns the table below the upper-level entry e (of a table at
// level), creating or cloning it as the copy-on-descend rule says.
func (pt *PageTable) descend(e *uint64, level int) (*[512]uint64, error) {
	v := *e
	if owned(v) {
		return table(pt.mem, v&PTEAddrMask), nil
	}
	clone := v&PTEPresent != 0 && v&PTEHuge == 0 // a kernel table: copy it
	pa, err := pt.alloc.alloc(!clone)
	if err != nil {
		return nil, err
	}
	pt.owned = append(pt.owned, ownedTable{pa, level - 1})
	t := table(pt.mem, pa)
	if clone {
		*t = *table(pt.mem, v&PTEAddrMask)
		if v&PTENX != 0 {
			// NX on an upper level covers everything below; push it down
			// to the kernel entries we copied, since the new entry has none.
			for i := range t {
				if t[i]&PTEPresent != 0 {
					t[i] |= PTENX
				}
			}
		}
		*e = pa | v&(PTEPWT|PTEPCD|PTEAccessed) | PTEPresent | PTEWrite | PTEUser
	} else {
		// Not present, or a kernel huge page where a user page must go:
		// start empty (the user range never overlaps what the kernel uses).
		*e = pa | PTEPresent | PTEWrite | PTEUser
	}
	return t, nil
}

// leafTable returns the owned PT covering va. With create it builds the path;
// without, it returns nil when some table on the way is missing or not ours.
func (pt *PageTable) leafTable(va uint64, create bool) (*[512]uint64, error) {
	t := pt.root()
	for level := 3; level > 0; level-- {
		e := &t[ptIndex(va, level)]
		if owned(*e) {
			t = table(pt.mem, *e&PTEAddrMask)
			continue
		}
		if !create {
			return nil, nil
		}
		var err error
		if t, err = pt.descend(e, level); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// userPTE returns the slot of va's leaf in an owned table, or nil.
func (pt *PageTable) userPTE(va uint64, create bool) (*uint64, error) {
	t, err := pt.leafTable(va, create)
	if t == nil {
		return nil, err
	}
	return &t[ptIndex(va, 0)], nil
}

// Map maps the page at va to the frame pa with flags (PTEPresent is implied).
// It fails with EINVAL on unaligned or non-canonical addresses, EEXIST when va
// is already mapped, ENOMEM when a table cannot be allocated. It neither takes
// a frame reference nor flushes the TLB: callers do.
func (pt *PageTable) Map(va, pa uint64, flags uint64) error {
	if va&pageMask != 0 || pa&pageMask != 0 || pa&^PTEAddrMask != 0 || !canonical(va) {
		return errno.EINVAL
	}
	pte, err := pt.userPTE(va, true)
	if err != nil {
		return err
	}
	if *pte&PTEPresent != 0 || *pte&pteProtNone != 0 {
		return errno.EEXIST
	}
	*pte = pa | flags&^PTEAddrMask | PTEPresent
	return nil
}

// Unmap clears va's leaf in an owned table and returns the frame it mapped.
// The frame reference and the TLB flush are the caller's business.
func (pt *PageTable) Unmap(va uint64) (pa uint64, ok bool) {
	pte, _ := pt.userPTE(va, false)
	if pte == nil || *pte&(PTEPresent|pteProtNone) == 0 {
		return 0, false
	}
	pa = *pte & PTEAddrMask
	*pte = 0
	return pa, true
}

// Walk follows va through every level, kernel tables included, without
// allocating. pte is the leaf slot (a 4 KiB PTE, or a PDE/PDPTE with PTEHuge),
// nil when a table on the way is missing; ok says the leaf is present.
func (pt *PageTable) Walk(va uint64) (pte *uint64, ok bool) {
	t := pt.root()
	for level := 3; level > 0; level-- {
		e := &t[ptIndex(va, level)]
		if *e&PTEPresent == 0 {
			return nil, false
		}
		if *e&PTEHuge != 0 {
			return e, true
		}
		t = table(pt.mem, *e&PTEAddrMask)
	}
	e := &t[ptIndex(va, 0)]
	return e, *e&PTEPresent != 0
}

// Protect replaces the flags of va's present leaf, keeping its frame.
// It returns EFAULT when va is not mapped by an owned table.
func (pt *PageTable) Protect(va uint64, flags uint64) error {
	pte, _ := pt.userPTE(va, false)
	if pte == nil || *pte&PTEPresent == 0 {
		return errno.EFAULT
	}
	*pte = *pte&PTEAddrMask | flags&^PTEAddrMask | PTEPresent
	return nil
}

// Free releases every page-table page this page table owns (never the
// kernel's). Leaf frames are not released: unmap them first (MM.Release does).
func (pt *PageTable) Free() { pt.free(false) }

func (pt *PageTable) free(putLeaves bool) {
	if pt.Root == 0 {
		return
	}
	for _, o := range pt.owned {
		if putLeaves && o.level == 0 {
			pt.putLeaves(table(pt.mem, o.pa))
		}
		pt.alloc.Put(o.pa)
	}
	pt.owned = pt.owned[:0]
	pt.alloc.Put(pt.Root)
	pt.Root = 0
}

// putLeaves drops the frame references held by the leaves of PT t.
func (pt *PageTable) putLeaves(t *[512]uint64) {
	for _, e := range t {
		if e != 0 && pteHasFrame(e) {
			pt.alloc.Put(e & PTEAddrMask)
		}
	}
}

// disown takes the table at pa off the owned list (it was freed).
func (pt *PageTable) disown(pa uint64) {
	for i, o := range pt.owned {
		if o.pa == pa {
			last := len(pt.owned) - 1
			pt.owned[i] = pt.owned[last]
			pt.owned = pt.owned[:last]
			return
		}
	}
}

// forEachPT calls fn for each owned PT covering part of [start, end), with
// the entry index range [i, j) inside it and the address of entry i. Missing
// subtrees are skipped in one step (512 GiB, 1 GiB or 2 MiB at a time) unless
// create is set, which builds them. start and end are page aligned.
func (pt *PageTable) forEachPT(start, end uint64, create bool, fn func(t *[512]uint64, va uint64, i, j int)) error {
	for va := start; va < end; {
		t := pt.root()
		next := uint64(0)
		for level := 3; level > 0; level-- {
			e := &t[ptIndex(va, level)]
			if owned(*e) {
				t = table(pt.mem, *e&PTEAddrMask)
				continue
			}
			if !create {
				next = levelEnd(va, level)
				break
			}
			var err error
			if t, err = pt.descend(e, level); err != nil {
				return err
			}
		}
		if next == 0 {
			next = levelEnd(va, 1)
			j := 512
			if end < next {
				j = ptIndex(end, 0)
			}
			fn(t, va, ptIndex(va, 0), j)
		}
		if next <= va { // wrapped at the top of the address space
			break
		}
		va = next
	}
	return nil
}

// prune frees owned tables under [start, end) that no longer map anything,
// as Linux's free_pgtables does after munmap. Tables cloned from the kernel
// still hold kernel entries and so are never empty.
func (pt *PageTable) prune(start, end uint64) {
	if start < end {
		pt.pruneLevel(pt.root(), 3, start, end-1)
	}
}

// pruneLevel prunes below t (at level) for addresses [first, last] and reports
// whether t is now all zero.
func (pt *PageTable) pruneLevel(t *[512]uint64, level int, first, last uint64) bool {
	if level > 0 {
		i, j := ptIndex(first, level), ptIndex(last, level)
		for k := i; k <= j; k++ {
			e := t[k]
			if !owned(e) {
				continue
			}
			span := uint64(1) << (pageShift + 9*uint(level))
			base := first&^(span-1) + uint64(k-i)*span
			lo, hi := max(first, base), min(last, base+span-1)
			pa := e & PTEAddrMask
			if pt.pruneLevel(table(pt.mem, pa), level-1, lo, hi) {
				t[k] = 0
				pt.alloc.Put(pa)
				pt.disown(pa)
			}
		}
	}
	for _, e := range t {
		if e != 0 {
			return false
		}
	}
	return true
}
