package mm

import (
	"fmt"

	"tamix/errno"
)

// Signal numbers and si_code values for faults (Linux x86-64 values).
const (
	SIGBUS  = 7
	SIGKILL = 9
	SIGSEGV = 11

	SEGV_MAPERR = 1 // address not mapped to object
	SEGV_ACCERR = 2 // invalid permissions for mapped object
	BUS_ADRERR  = 2 // non-existent physical address (file mapping past EOF)
)

// Access describes a faulting access.
type Access uint8

const (
	AccessRead Access = 1 << iota
	AccessWrite
	AccessExec
	AccessUser // from ring 3 (informational; kernel accesses are checked alike)
)

// AccessFromErrorCode decodes the #PF error code the CPU pushes: bit 1 write,
// bit 2 user mode, bit 4 instruction fetch.
func AccessFromErrorCode(code uint64) Access {
	a := AccessRead
	switch {
	case code&0x10 != 0:
		a = AccessExec
	case code&0x2 != 0:
		a = AccessWrite
	}
	if code&0x4 != 0 {
		a |= AccessUser
	}
	return a
}

// FaultResult says how a fault was resolved (Linux: vm_fault_t, plus detail
// for tests and statistics). Callers count Major() in maj_flt, else min_flt.
type FaultResult uint32

const (
	// FaultMajor: the fault needed I/O. Never set today: images are in RAM,
	// and Linux counts faults served without I/O as minor.
	FaultMajor    FaultResult = 1 << iota
	FaultZero                 // a new zeroed page (do_anonymous_page)
	FaultFile                 // a page filled from its FileBacking (do_read_fault)
	FaultShared               // a page of a shared anonymous object (shmem_fault)
	FaultCOW                  // a write to a shared page copied it (wp_page_copy)
	FaultReuse                // a write to a page nobody else maps made it writable (wp_page_reuse)
	FaultStack                // the stack VMA grew down to the address (expand_stack)
	FaultSpurious             // the PTE already allowed the access (another CPU resolved it)
)

// Major reports whether the fault counts as major.
func (r FaultResult) Major() bool { return r&FaultMajor != 0 }

// FaultError is a fault the MM cannot resolve: the task gets Signal with
// si_code Code and si_addr Addr. When memory runs out Signal is SIGKILL and
// Err is errno.ENOMEM (Linux's OOM killer would pick a victim instead).
type FaultError struct {
	Signal int
	Code   int
	Addr   uint64
	Err    error
}

func (e *FaultError) Error() string {
	name := map[int]string{SIGBUS: "SIGBUS", SIGKILL: "SIGKILL", SIGSEGV: "SIGSEGV"}[e.Signal]
	if e.Err != nil {
		return fmt.Sprintf("%s at %#x: %v", name, e.Addr, e.Err)
	}
	return fmt.Sprintf("%s (code %d) at %#x", name, e.Code, e.Addr)
}

func segv(code int, va uint64) *FaultError { return &FaultError{Signal: SIGSEGV, Code: code, Addr: va} }

func oom(va uint64) *FaultError {
	return &FaultError{Signal: SIGKILL, Addr: va, Err: errno.ENOMEM}
}

// HandleFault resolves a page fault at va (Linux handle_mm_fault, reached from
// do_user_addr_fault): demand-zero and file pages, copy-on-write, stack
// growth. On failure the error is a *FaultError naming the signal to send.
func (mm *MM) HandleFault(va uint64, access Access) (FaultResult, error) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	res, fe := mm.handleFault(va, access)
	if fe != nil {
		return 0, fe
	}
	return res, nil
}

func (mm *MM) handleFault(va uint64, access Access) (FaultResult, *FaultError) {
	if mm.pt == nil || mm.pt.Root == 0 || va >= TaskSize {
		return 0, segv(SEGV_MAPERR, va)
	}
	page := pageDown(va)
	i := mm.findVMA(va)
	if i == len(mm.vmas) {
		return 0, segv(SEGV_MAPERR, va)
	}
	v := mm.vmas[i]
	var res FaultResult
	if va < v.Start {
		if v.Flags&VMGrowsDown == 0 || !mm.expandStack(i, page) {
			return 0, segv(SEGV_MAPERR, va)
		}
		res |= FaultStack
	}
	if !accessOK(v.Flags, access) {
		return 0, segv(SEGV_ACCERR, va)
	}
	pte, err := mm.pt.userPTE(page, true)
	if err != nil {
		return 0, oom(va)
	}
	e := *pte
	if e&PTEPresent == 0 && e&pteProtNone != 0 {
		// mprotect keeps leaves in step with the VMA; be safe anyway.
		e = e&PTEAddrMask | v.pteFlags()
		*pte = e
	}
	var r FaultResult
	var fe *FaultError
	switch {
	case e&PTEPresent == 0:
		r, fe = mm.doFault(v, page, pte, access)
	case access&AccessWrite != 0 && e&PTEWrite == 0:
		r, fe = mm.doWPPage(v, page, pte)
	default:
		// The PTE allows the access: another CPU resolved it, or this CPU
		// had a stale entry, which the #PF itself invalidated.
		r = FaultSpurious
	}
	if fe != nil {
		fe.Addr = va // si_addr is the faulting byte, not its page
		return 0, fe
	}
	res |= r
	if res.Major() {
		mm.majFlt++
	} else {
		mm.minFlt++
	}
	return res, nil
}

// accessOK is Linux's access_error inverted: writes need VM_WRITE, instruction
// fetches VM_EXEC, reads any access right (x86 cannot map write- or
// exec-only pages, so those are readable too).
func accessOK(f VMFlags, a Access) bool {
	switch {
	case a&AccessWrite != 0:
		return f&VMWrite != 0
	case a&AccessExec != 0:
		if NXEnabled {
			return f&VMExec != 0
		}
		return f&vmAccessFlags != 0
	default:
		return f&vmAccessFlags != 0
	}
}

// doFault fills a missing PTE (do_pte_missing): from the shared object, from
// the page cache, from the file bytes, or with a zeroed frame.
func (mm *MM) doFault(v *VMA, page uint64, pte *uint64, access Access) (FaultResult, *FaultError) {
	pgoff := v.PgOff + (page-v.Start)>>pageShift
	var res FaultResult
	switch {
	case v.shm != nil:
		pa, ok, err := v.shm.page(pgoff)
		if err != nil {
			return 0, oom(page)
		}
		if !ok {
			return 0, &FaultError{Signal: SIGBUS, Code: BUS_ADRERR, Addr: page}
		}
		*pte = pa | v.pteFlags()
		res = FaultShared
	case v.cache != nil:
		pa, fe := v.cache.faultPage(pgoff, page)
		if fe != nil {
			return 0, fe
		}
		res = FaultFile
		if access&AccessWrite != 0 && v.Flags&VMShared == 0 {
			// do_cow_fault: a write to a private mapping gets its own
			// copy at once; the cache page stays as it is.
			cp, err := mm.alloc.alloc(false)
			if err != nil {
				mm.alloc.Put(pa)
				return 0, oom(page)
			}
			*mm.mem.Page(cp) = *mm.mem.Page(pa)
			mm.alloc.Put(pa)
			pa = cp
			*pte = pa | v.exclusiveFlags()
			res |= FaultCOW
		} else {
			// do_read_fault / do_shared_fault: the cache's own frame.
			*pte = pa | v.pteFlags()
		}
	case v.File != nil:
		data := v.File.Data
		n := 0
		if off := pgoff << pageShift; pgoff < 1<<(64-pageShift) && off < uint64(len(data)) {
			n = int(min(uint64(len(data))-off, PageSize))
			data = data[off : off+uint64(n)]
		} else if !v.File.ZeroPastEOF {
			return 0, &FaultError{Signal: SIGBUS, Code: BUS_ADRERR, Addr: page}
		}
		pa, err := mm.alloc.alloc(n < PageSize)
		if err != nil {
			return 0, oom(page)
		}
		copy(mm.mem.Page(pa)[:], data[:n])
		// The frame is a private copy, so a writable mapping may write it
		// at once: no COW step as with Linux's page cache.
		*pte = pa | v.exclusiveFlags()
		res = FaultFile
	default:
		pa, err := mm.alloc.Alloc()
		if err != nil {
			return 0, oom(page)
		}
		*pte = pa | v.exclusiveFlags()
		res = FaultZero
	}
	mm.addRSS()
	return res, nil
}

// doWPPage handles a write to a present read-only page of a writable VMA
// (do_wp_page): after fork the frame may be shared. If this PTE holds the only
// reference the page is reused in place (no copy, no flush: the permission
// only grows); otherwise it is copied and the old translation flushed before
// the old frame is released.
func (mm *MM) doWPPage(v *VMA, page uint64, pte *uint64) (FaultResult, *FaultError) {
	e := *pte
	if v.Flags&VMShared != 0 {
		*pte = e | PTEWrite | PTEDirty | PTEAccessed
		return FaultReuse, nil
	}
	old := e & PTEAddrMask
	if mm.alloc.RefCount(old) == 1 {
		*pte = e | PTEWrite | PTEDirty | PTEAccessed
		return FaultReuse, nil
	}
	pa, err := mm.alloc.alloc(false)
	if err != nil {
		return 0, oom(page)
	}
	*mm.mem.Page(pa) = *mm.mem.Page(old)
	*pte = pa | v.exclusiveFlags()
	mm.tlb.FlushPage(mm, page)
	mm.alloc.Put(old)
	return FaultCOW, nil
}

// expandStack grows the stack VMA vmas[i] down to page (expand_downwards) if
// the stack stays within StackLimit and keeps StackGuardGap from the mapping
// below it.
func (mm *MM) expandStack(i int, page uint64) bool {
	v := mm.vmas[i]
	if v.End-page > mm.StackLimit || !userRangeOK(page, v.Start) {
		return false
	}
	if i > 0 {
		prev := mm.vmas[i-1]
		if prev.Flags&VMGrowsDown == 0 && prev.Flags&vmAccessFlags != 0 && page-prev.End < StackGuardGap {
			return false
		}
	}
	if v.privateAnon() {
		v.PgOff = page >> pageShift
	} else {
		return false // only anonymous private stacks grow
	}
	v.Start = page
	return true
}
