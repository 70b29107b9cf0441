package mm

import "tamix/errno"

// mremap flags (include/uapi/linux/mman.h).
const (
	MREMAP_MAYMOVE   = 1
	MREMAP_FIXED     = 2
	MREMAP_DONTUNMAP = 4
)

// msync flags (include/uapi/asm-generic/mman-common.h).
const (
	MS_ASYNC      = 1
	MS_INVALIDATE = 2
	MS_SYNC       = 4
)

// remapReq is one mremap operation on one VMA (Linux's vma_remap_struct).
type remapReq struct {
	addr, oldLen, newLen, newAddr uint64
	flags                         int
}

func (r *remapReq) impliesNewAddr() bool { return r.flags&(MREMAP_FIXED|MREMAP_DONTUNMAP) != 0 }

// Mremap resizes and/or moves the mapping at addr (sys_mremap), as Linux
// 6.17 and later do it:
//
//   - shrinking unmaps the tail in place; the range need not be one VMA;
//   - growing extends the VMA in place when [addr, addr+oldLen) reaches its
//     end and the address space after it is free, else moves it with
//     MREMAP_MAYMOVE (ENOMEM without);
//   - a move takes the page-table entries along: the frames move, nothing is
//     copied, and copy-on-write state (a read-only PTE on a frame shared
//     with another MM) moves with them;
//   - MREMAP_FIXED moves to newAddr, replacing what was there; with equal
//     lengths it moves every VMA of [addr, addr+oldLen) and keeps the gaps
//     between them (the range must start mapped);
//   - MREMAP_DONTUNMAP leaves the old VMA in place, empty;
//   - oldLen 0 on a shared mapping maps the same object a second time.
//
// Errors: EINVAL (bad flags, unaligned addr or newAddr, newLen 0, overlap
// of old and new ranges, oldLen 0 on private memory), EFAULT (no VMA at
// addr, or the range crosses its end), ENOMEM (no room; tamix: a
// kernel-reserved destination).
func (mm *MM) Mremap(addr, oldLen, newLen uint64, flags int, newAddr uint64) (uint64, error) {
	r := remapReq{addr: addr, oldLen: pageUp(oldLen), newLen: pageUp(newLen), newAddr: newAddr, flags: flags}
	if err := r.checkParams(); err != nil {
		return 0, err
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if len(mm.vmas)+4 > MaxMapCount { // check_map_count_against_split_early
		return 0, errno.ENOMEM
	}
	if r.flags&MREMAP_FIXED != 0 && r.oldLen == r.newLen {
		return mm.remapMove(r)
	}
	if err := mm.checkPrepVMA(&r); err != nil {
		return 0, err
	}
	if r.impliesNewAddr() {
		return mm.mremapTo(&r)
	}
	return mm.mremapAt(&r)
}

// checkParams is check_mremap_params: what can be judged without the VMAs.
func (r *remapReq) checkParams() error {
	if r.flags&^(MREMAP_FIXED|MREMAP_MAYMOVE|MREMAP_DONTUNMAP) != 0 ||
		r.addr&pageMask != 0 || r.newLen == 0 || r.newLen > TaskSize {
		return errno.EINVAL
	}
	if !r.impliesNewAddr() {
		return nil
	}
	if r.newAddr > TaskSize-r.newLen || r.newAddr&pageMask != 0 ||
		r.flags&MREMAP_MAYMOVE == 0 ||
		r.flags&MREMAP_DONTUNMAP != 0 && r.oldLen != r.newLen ||
		r.addr+r.oldLen > r.newAddr && r.newAddr+r.newLen > r.addr {
		return errno.EINVAL
	}
	return nil
}

// checkPrepVMA is check_prep_vma: the VMA at r.addr must exist, and a move
// or growth must stay inside it.
func (mm *MM) checkPrepVMA(r *remapReq) error {
	v := mm.vmaAt(r.addr)
	if v == nil {
		return errno.EFAULT
	}
	if !r.impliesNewAddr() {
		r.newAddr = r.addr
		if r.newLen <= r.oldLen {
			return nil // shrink or no-op, in place
		}
	}
	if r.oldLen == 0 && v.Flags&(VMShared|VMMayShare) == 0 {
		return errno.EINVAL // no "duplicate" of private memory
	}
	oldLen := min(r.oldLen, r.newLen) // a shrink may unmap past the VMA
	if oldLen > v.End-r.addr {
		return errno.EFAULT
	}
	if r.newLen == oldLen {
		return nil
	}
	pgoff := v.PgOff + (r.addr-v.Start)>>pageShift
	if pgoff+r.newLen>>pageShift < pgoff {
		return errno.EINVAL
	}
	if r.newLen > oldLen && !mm.mayExpandVM(v.Flags, (r.newLen-oldLen)>>pageShift, 0, 0) {
		return errno.ENOMEM // RLIMIT_AS or RLIMIT_DATA
	}
	return nil
}

// remapMove is remap_move: MREMAP_FIXED with equal lengths moves each VMA
// piece of [addr, addr+len) to the same offset from newAddr.
func (mm *MM) remapMove(r remapReq) (uint64, error) {
	start, end := r.addr, r.addr+r.oldLen
	if end < start {
		return 0, errno.EFAULT
	}
	var res, target, lastEnd uint64
	seen := false
	for cur := start; ; {
		i := mm.findVMA(cur)
		if i == len(mm.vmas) || mm.vmas[i].Start >= end {
			break
		}
		v := mm.vmas[i]
		if !seen && start < v.Start {
			return 0, errno.EFAULT // the range must start mapped
		}
		a := max(v.Start, start)
		l := min(end, v.End) - a
		var offset uint64
		if seen {
			offset = v.Start - lastEnd
		} else {
			target = r.newAddr
		}
		lastEnd = v.End
		piece := remapReq{addr: a, oldLen: l, newLen: l, newAddr: target + offset, flags: r.flags}
		if err := mm.checkPrepVMA(&piece); err != nil {
			return 0, err
		}
		na, err := mm.mremapTo(&piece)
		if err != nil {
			return 0, err
		}
		if !seen {
			res = na
		}
		seen = true
		target = na + l
		cur = lastEnd
	}
	if !seen {
		return 0, errno.EFAULT
	}
	return res, nil
}

// munmapChecked is do_munmap with its argument checks, for the unmaps
// mremap does on the way.
func (mm *MM) munmapChecked(start, length uint64) error {
	if start&pageMask != 0 || start > TaskSize || length > TaskSize-start {
		return errno.EINVAL
	}
	if length == 0 {
		return errno.EINVAL
	}
	mm.unmapRange(start, start+length)
	return nil
}

// mremapTo is mremap_to: move to a new address, given (MREMAP_FIXED) or
// hinted (MREMAP_DONTUNMAP alone).
func (mm *MM) mremapTo(r *remapReq) (uint64, error) {
	if r.flags&MREMAP_FIXED != 0 {
		if err := mm.munmapChecked(r.newAddr, r.newLen); err != nil {
			return 0, err
		}
		if mm.vmaAt(r.addr) == nil {
			return 0, errno.EFAULT
		}
	}
	if r.newLen < r.oldLen {
		if err := mm.munmapChecked(r.addr+r.newLen, r.oldLen-r.newLen); err != nil {
			return 0, err
		}
		if mm.vmaAt(r.addr) == nil {
			return 0, errno.EFAULT
		}
		r.oldLen = r.newLen
	}
	mapFlags := 0
	if r.flags&MREMAP_FIXED != 0 {
		mapFlags = MAP_FIXED
	}
	na, err := mm.getUnmappedArea(r.newAddr, r.newLen, mapFlags)
	if err != nil {
		return 0, err
	}
	return mm.moveVMA(r.addr, r.oldLen, na, r.newLen, r.flags&MREMAP_DONTUNMAP != 0)
}

// mremapAt is mremap_at: resize in place, or move anywhere to grow.
func (mm *MM) mremapAt(r *remapReq) (uint64, error) {
	switch {
	case r.newLen == r.oldLen:
		return r.addr, nil
	case r.newLen < r.oldLen:
		if err := mm.munmapChecked(r.addr+r.newLen, r.oldLen-r.newLen); err != nil {
			return 0, err
		}
		return r.addr, nil
	}
	i := mm.findVMA(r.addr)
	v := mm.vmas[i]
	delta := r.newLen - r.oldLen
	if v.End-r.addr == r.oldLen && mm.expandable(v, delta) {
		v.End += delta // vma_merge_extend
		mm.mergeAround(i, i+1)
		return r.addr, nil
	}
	if r.flags&MREMAP_MAYMOVE == 0 {
		return 0, errno.ENOMEM
	}
	na, err := mm.getUnmappedArea(0, r.newLen, 0)
	if err != nil {
		return 0, err
	}
	return mm.moveVMA(r.addr, r.oldLen, na, r.newLen, false)
}

// expandable is vma_expandable: v can grow by delta bytes in place.
func (mm *MM) expandable(v *VMA, delta uint64) bool {
	end := v.End + delta
	if end < v.End || mm.overlaps(v.End, end) {
		return false
	}
	_, err := mm.getUnmappedArea(v.Start, end-v.Start, MAP_FIXED)
	return err == nil
}

// moveVMA is move_vma: a VMA like the one at addr is set up at
// [newAddr, newAddr+newLen), the page-table entries of [addr, addr+oldLen)
// move there, and the old range is unmapped (kept, empty, with dontUnmap).
// The destination must be free.
func (mm *MM) moveVMA(addr, oldLen, newAddr, newLen uint64, dontUnmap bool) (uint64, error) {
	if len(mm.vmas) >= MaxMapCount-3 {
		return 0, errno.ENOMEM
	}
	v := mm.vmaAt(addr)
	n := &VMA{Start: newAddr, End: newAddr + newLen, Flags: v.Flags, File: v.File, shm: v.shm,
		cache: v.cache, Ops: v.Ops, PgOff: v.PgOff + (addr-v.Start)>>pageShift}
	n.open(mm)
	mm.insert(n)
	if moved, err := mm.movePTEs(addr, newAddr, oldLen); err != nil {
		// Put back what moved and drop the new mapping instead.
		mm.movePTEs(newAddr, addr, moved)
		mm.unmapRange(newAddr, newAddr+newLen)
		return 0, errno.ENOMEM
	}
	if !dontUnmap {
		mm.unmapRange(addr, addr+oldLen)
	}
	return newAddr, nil
}

// movePTEs moves the leaf entries of [from, from+length) to the same
// offsets from to (move_page_tables): frames, flags and COW state go
// along, and the old translations are flushed. On a page-table allocation
// failure it returns how many bytes from the start were moved.
func (mm *MM) movePTEs(from, to, length uint64) (uint64, error) {
	var b flushBatch
	var err error
	moved := length
	mm.pt.forEachPT(from, from+length, false, func(t *[512]uint64, va uint64, i, j int) {
		for k := i; k < j && err == nil; k++ {
			e := t[k]
			if e == 0 {
				continue
			}
			src := va + uint64(k-i)<<pageShift
			var dst *uint64
			if dst, err = mm.pt.userPTE(to+(src-from), true); err != nil {
				moved = src - from
				break
			}
			if *dst != 0 {
				panic("mm: mremap destination not empty")
			}
			*dst = e
			t[k] = 0
			if e&PTEPresent != 0 {
				b.add(src)
			}
		}
	})
	mm.flush(&b)
	return moved, err
}

// Msync checks [start, start+length) for msync(2): tamix has no file pages
// to write back, so it only reports errors as Linux does. EINVAL for
// unknown flags, MS_ASYNC with MS_SYNC or an unaligned start; ENOMEM when
// part of the range is unmapped (or start+length wraps).
func (mm *MM) Msync(start, length uint64, flags int) error {
	if flags&^(MS_ASYNC|MS_INVALIDATE|MS_SYNC) != 0 || start&pageMask != 0 ||
		flags&MS_ASYNC != 0 && flags&MS_SYNC != 0 {
		return errno.EINVAL
	}
	end := start + pageUp(length)
	if end < start {
		return errno.ENOMEM
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	var unmapped error
	for start < end {
		i := mm.findVMA(start)
		if i == len(mm.vmas) {
			return errno.ENOMEM
		}
		v := mm.vmas[i]
		if start < v.Start {
			if flags == MS_ASYNC || v.Start >= end {
				return errno.ENOMEM
			}
			unmapped = errno.ENOMEM
		}
		start = v.End
	}
	return unmapped
}

// Mincore fills vec with the residency of the pages from addr (page
// aligned), one byte each (1: resident), up to len(vec) pages or the end
// of the VMA containing addr, and returns how many it filled (do_mincore).
// ENOMEM when no VMA contains addr. A page is resident when it is mapped,
// or, not mapped here, when its shared anonymous object or its file holds
// it (the embedded images are always in memory, like a page-cache hit).
func (mm *MM) Mincore(addr uint64, vec []byte) (int, error) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	v := mm.vmaAt(addr)
	if v == nil {
		return 0, errno.ENOMEM
	}
	n := int(min(uint64(len(vec)), (v.End-addr)>>pageShift))
	for k := range n {
		va := addr + uint64(k)<<pageShift
		var r byte
		if pte, _ := mm.pt.userPTE(va, false); pte != nil && pteHasFrame(*pte) {
			r = 1
		} else {
			r = v.cached(v.PgOff + (va-v.Start)>>pageShift)
		}
		vec[k] = r
	}
	return n, nil
}

// cached reports whether the backing of v holds page pgoff without it
// being mapped (mincore_page): never for private anonymous memory.
func (v *VMA) cached(pgoff uint64) byte {
	switch {
	case v.shm != nil:
		v.shm.mu.Lock()
		defer v.shm.mu.Unlock()
		if pgoff < uint64(len(v.shm.pages)) && v.shm.pages[pgoff] != 0 {
			return 1
		}
	case v.cache != nil:
		if v.cache.Has(pgoff) {
			return 1
		}
	case v.File != nil:
		if pgoff < uint64(len(v.File.Data)+pageMask)>>pageShift {
			return 1
		}
	}
	return 0
}
