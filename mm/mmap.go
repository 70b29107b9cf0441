package mm

import "tamix/errno"

// mmap/mprotect/madvise arguments, with Linux's values.
const (
	PROT_NONE      = 0x0
	PROT_READ      = 0x1
	PROT_WRITE     = 0x2
	PROT_EXEC      = 0x4
	PROT_SEM       = 0x8
	PROT_GROWSDOWN = 0x01000000
	PROT_GROWSUP   = 0x02000000

	MAP_SHARED          = 0x01
	MAP_PRIVATE         = 0x02
	MAP_SHARED_VALIDATE = 0x03
	MAP_TYPE            = 0x0f
	MAP_FIXED           = 0x10
	MAP_ANONYMOUS       = 0x20
	MAP_32BIT           = 0x40
	MAP_GROWSDOWN       = 0x100
	MAP_DENYWRITE       = 0x800
	MAP_EXECUTABLE      = 0x1000
	MAP_LOCKED          = 0x2000
	MAP_NORESERVE       = 0x4000
	MAP_POPULATE        = 0x8000
	MAP_NONBLOCK        = 0x10000
	MAP_STACK           = 0x20000
	MAP_HUGETLB         = 0x40000
	MAP_SYNC            = 0x80000
	MAP_FIXED_NOREPLACE = 0x100000

	MADV_NORMAL         = 0
	MADV_RANDOM         = 1
	MADV_SEQUENTIAL     = 2
	MADV_WILLNEED       = 3
	MADV_DONTNEED       = 4
	MADV_FREE           = 8
	MADV_REMOVE         = 9
	MADV_DONTFORK       = 10
	MADV_DOFORK         = 11
	MADV_MERGEABLE      = 12
	MADV_UNMERGEABLE    = 13
	MADV_HUGEPAGE       = 14
	MADV_NOHUGEPAGE     = 15
	MADV_DONTDUMP       = 16
	MADV_DODUMP         = 17
	MADV_WIPEONFORK     = 18
	MADV_KEEPONFORK     = 19
	MADV_COLD           = 20
	MADV_PAGEOUT        = 21
	MADV_POPULATE_READ  = 22
	MADV_POPULATE_WRITE = 23
)

// legacyMapMask: the flags MAP_SHARED_VALIDATE accepts (LEGACY_MAP_MASK).
const legacyMapMask = MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE |
	MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE |
	MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT | 0x3f<<26 // hugetlb size bits

// MAP_UNINITIALIZED is ignored, as on Linux without CONFIG_MMAP_ALLOW_UNINITIALIZED.
const MAP_UNINITIALIZED = 0x4000000

func protToVM(prot int) VMFlags {
	return VMFlags(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) // same bits
}

// Mmap creates a mapping (Linux do_mmap + mmap_region) and returns its
// address. file is nil for MAP_ANONYMOUS; otherwise off is the page-aligned
// file offset. Files are read-only to tamix: MAP_SHARED with PROT_WRITE gives
// EACCES, as for a file opened O_RDONLY. Errors follow Linux: EINVAL (length
// 0, bad type, unaligned offset or MAP_FIXED address), ENOMEM (no room,
// overflow, too many mappings, a kernel-reserved range), EEXIST
// (MAP_FIXED_NOREPLACE over a mapping), EBADF (no file without
// MAP_ANONYMOUS), EOPNOTSUPP (unknown MAP_SHARED_VALIDATE flags).
func (mm *MM) Mmap(addr, length uint64, prot, flags int, file *FileBacking, off uint64) (uint64, error) {
	return mm.mmap(addr, length, prot, flags, file, nil, off, false)
}

// mmap is do_mmap for anonymous memory, an embedded file (file) or a page
// cache (c, of a file open for writing when writable).
func (mm *MM) mmap(addr, length uint64, prot, flags int, file *FileBacking, c *PageCache, off uint64, writable bool) (uint64, error) {
	if off&pageMask != 0 {
		return 0, errno.EINVAL
	}
	typ := flags & MAP_TYPE
	if typ != MAP_SHARED && typ != MAP_PRIVATE && typ != MAP_SHARED_VALIDATE {
		return 0, errno.EINVAL
	}
	if typ == MAP_SHARED_VALIDATE && flags&^(legacyMapMask|MAP_SYNC|MAP_FIXED_NOREPLACE) != 0 {
		return 0, errno.EOPNOTSUPP
	}
	anon := flags&MAP_ANONYMOUS != 0
	if !anon && file == nil && c == nil {
		return 0, errno.EBADF
	}
	if !anon && typ == MAP_SHARED_VALIDATE && flags&MAP_SYNC != 0 {
		return 0, errno.EOPNOTSUPP // no DAX: no file supports MAP_SYNC
	}
	if anon {
		file, c, off = nil, nil, 0
	}
	if flags&MAP_HUGETLB != 0 {
		if !anon {
			return 0, errno.EINVAL
		}
		return 0, errno.ENOMEM // no huge pages reserved (nr_hugepages = 0)
	}
	if length == 0 {
		return 0, errno.EINVAL
	}
	if !(flags&MAP_FIXED != 0) {
		// round_hint_to_min
		addr = pageDown(addr)
		if addr != 0 && addr < MmapMinAddr {
			addr = MmapMinAddr
		}
	}
	length = pageUp(length)
	if length == 0 {
		return 0, errno.ENOMEM
	}
	pgoff := off >> pageShift
	if pgoff+length>>pageShift < pgoff || c != nil && pgoff+length>>pageShift > MaxPgoff {
		return 0, errno.EOVERFLOW
	}
	if flags&MAP_FIXED_NOREPLACE != 0 {
		flags |= MAP_FIXED
	}

	vmf := protToVM(prot) | VMMayRead | VMMayWrite | VMMayExec
	if flags&MAP_GROWSDOWN != 0 {
		vmf |= VMGrowsDown
	}
	if flags&MAP_NORESERVE != 0 {
		vmf |= VMNoReserve
	}
	shared := typ != MAP_PRIVATE
	switch {
	case !anon && shared:
		if !writable {
			// A file not open for writing (the images always): no
			// writable shared mapping now or after mprotect.
			if prot&PROT_WRITE != 0 {
				return 0, errno.EACCES
			}
			vmf &^= VMMayWrite
		}
		vmf |= VMShared | VMMayShare
	case !anon && vmf&VMGrowsDown != 0:
		return 0, errno.EINVAL
	case anon && shared:
		if vmf&VMGrowsDown != 0 {
			return 0, errno.EINVAL
		}
		vmf |= VMShared | VMMayShare
	}

	mm.mu.Lock()
	defer mm.mu.Unlock()
	if len(mm.vmas) >= MaxMapCount {
		return 0, errno.ENOMEM
	}
	start, err := mm.getUnmappedArea(addr, length, flags)
	if err != nil {
		return 0, err
	}
	end := start + length
	if flags&MAP_FIXED_NOREPLACE != 0 && mm.overlaps(start, end) {
		return 0, errno.EEXIST
	}
	if !mm.mayExpandVM(vmf, length>>pageShift, start, end) {
		return 0, errno.ENOMEM // RLIMIT_AS or RLIMIT_DATA
	}
	mm.unmapRange(start, end) // MAP_FIXED replaces what was there
	v := &VMA{Start: start, End: end, Flags: vmf, File: file, PgOff: pgoff, cache: c}
	switch {
	case anon && shared:
		v.shm = newShmem(mm.alloc, length>>pageShift)
		v.PgOff = 0
	case anon:
		v.PgOff = start >> pageShift
	}
	if c != nil {
		c.mapped(mm, vmf) // the mapping holds the file (vm_file)
	}
	mm.insert(v)
	if flags&(MAP_POPULATE|MAP_NONBLOCK) == MAP_POPULATE {
		mm.populate(start, end, vmf&(VMWrite|VMShared) == VMWrite)
	}
	return start, nil
}

// populate faults in [start, end), ignoring failures (mm_populate).
func (mm *MM) populate(start, end uint64, write bool) {
	acc := AccessRead
	if write {
		acc = AccessWrite
	}
	for va := start; va < end; va += PageSize {
		mm.handleFault(va, acc)
	}
}

// getUnmappedArea picks the address of a new mapping of length bytes (Linux
// get_unmapped_area): MAP_FIXED takes addr as is; a free hint is honoured;
// else the highest free gap below MmapBase (arch_get_unmapped_area_topdown),
// falling back to a bottom-up search from TaskUnmappedBase. Kernel-reserved
// ranges are never returned (tamix limit: ENOMEM for MAP_FIXED there).
func (mm *MM) getUnmappedArea(addr, length uint64, flags int) (uint64, error) {
	if length > TaskSize {
		return 0, errno.ENOMEM
	}
	if flags&MAP_FIXED != 0 {
		if addr > TaskSize-length {
			return 0, errno.ENOMEM
		}
		if addr&pageMask != 0 {
			return 0, errno.EINVAL
		}
		if !userRangeOK(addr, addr+length) {
			return 0, errno.ENOMEM
		}
		return addr, nil
	}
	if addr != 0 && addr <= TaskSize-length && mm.free(addr, addr+length) {
		return addr, nil
	}
	if a, ok := mm.searchTopDown(length, max(PageSize, MmapMinAddr), mm.MmapBase); ok {
		return a, nil
	}
	if a, ok := mm.searchBottomUp(length, TaskUnmappedBase, TaskSize); ok {
		return a, nil
	}
	return 0, errno.ENOMEM
}

// free reports whether [a, b) may take a new mapping: user space, no VMA and
// no stack guard gap in it.
func (mm *MM) free(a, b uint64) bool {
	if !userRangeOK(a, b) {
		return false
	}
	i := mm.findVMA(a)
	return i == len(mm.vmas) || mm.vmas[i].startGap() >= b
}

// conflict returns, for a range [a, b) that is not free, the lowest start
// (low=true) or highest end of what is in the way, to resume the search past it.
func (mm *MM) conflict(a, b uint64) (lowStart, highEnd uint64, found bool) {
	lowStart, highEnd = ^uint64(0), 0
	note := func(s, e uint64) {
		found = true
		lowStart = min(lowStart, s)
		highEnd = max(highEnd, e)
	}
	if a < MmapMinAddr {
		note(0, MmapMinAddr)
	}
	for _, r := range KernelReserved {
		if r.Overlaps(a, b) {
			note(r.Start, r.End)
		}
	}
	if i := mm.findVMA(a); i < len(mm.vmas) && mm.vmas[i].startGap() < b {
		note(mm.vmas[i].startGap(), mm.vmas[i].End)
	}
	return
}

func (mm *MM) searchTopDown(length, low, high uint64) (uint64, bool) {
	for end := high; end >= length && end-length >= low; {
		a := end - length
		s, _, found := mm.conflict(a, end)
		if !found {
			return a, true
		}
		end = pageDown(s)
	}
	return 0, false
}

func (mm *MM) searchBottomUp(length, low, high uint64) (uint64, bool) {
	for a := low; a <= high && length <= high-a; {
		_, e, found := mm.conflict(a, a+length)
		if !found {
			return a, true
		}
		if e <= a {
			return 0, false
		}
		a = pageUp(e)
	}
	return 0, false
}

// Munmap removes mappings in [addr, addr+length) (do_munmap), splitting VMAs
// at the edges. Unmapping nothing is not an error. EINVAL for an unaligned
// addr, length 0, or a range beyond TaskSize.
func (mm *MM) Munmap(addr, length uint64) error {
	if addr&pageMask != 0 || addr > TaskSize || length > TaskSize-addr {
		return errno.EINVAL
	}
	length = pageUp(length)
	if length == 0 {
		return errno.EINVAL
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mm.unmapRange(addr, addr+length)
	return nil
}

// Mprotect changes the protection of [addr, addr+length) (do_mprotect_pkey):
// EINVAL for an unaligned addr or unknown prot bits, ENOMEM when part of the
// range is unmapped (VMAs before the hole keep their new protection, as on
// Linux), EACCES when prot exceeds a VMA's VM_MAY* rights.
func (mm *MM) Mprotect(addr, length uint64, prot int) error {
	if addr&pageMask != 0 {
		return errno.EINVAL
	}
	grows := prot & (PROT_GROWSDOWN | PROT_GROWSUP)
	if prot&^(PROT_READ|PROT_WRITE|PROT_EXEC|PROT_SEM|PROT_GROWSDOWN|PROT_GROWSUP) != 0 ||
		grows == PROT_GROWSDOWN|PROT_GROWSUP {
		return errno.EINVAL
	}
	if length == 0 {
		return nil
	}
	length = pageUp(length)
	end := addr + length
	if end <= addr {
		return errno.ENOMEM
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	i := mm.findVMA(addr)
	if i == len(mm.vmas) {
		return errno.ENOMEM
	}
	v := mm.vmas[i]
	switch {
	case grows == PROT_GROWSUP:
		return errno.EINVAL // no VM_GROWSUP on x86
	case grows == PROT_GROWSDOWN:
		if v.Start >= end {
			return errno.ENOMEM
		}
		if v.Flags&VMGrowsDown == 0 {
			return errno.EINVAL
		}
		addr = v.Start
	case v.Start > addr:
		return errno.ENOMEM
	}
	want := protToVM(prot)
	for nstart := addr; nstart < end; {
		i = mm.findVMA(nstart)
		if i == len(mm.vmas) || mm.vmas[i].Start > nstart {
			return errno.ENOMEM
		}
		v = mm.vmas[i]
		nf := v.Flags&^vmAccessFlags | want
		// Each VM_MAY* bit sits four bits above its VM_* bit.
		if nf&^(nf>>4)&vmAccessFlags != 0 {
			return errno.EACCES
		}
		tmpEnd := min(v.End, end)
		mm.mprotectFixup(i, nstart, tmpEnd, nf)
		nstart = tmpEnd
	}
	return nil
}

// mprotectFixup gives [start, end), inside vmas[i], the flags nf: split,
// rewrite the present PTEs, flush, merge (Linux mprotect_fixup).
func (mm *MM) mprotectFixup(i int, start, end uint64, nf VMFlags) {
	if mm.vmas[i].Flags == nf {
		return
	}
	i, j := mm.splitAround(start, end)
	v := mm.vmas[i] // j == i+1
	v.Flags = nf
	var b flushBatch
	mm.pt.forEachPT(start, end, false, func(t *[512]uint64, va uint64, k0, k1 int) {
		for k := k0; k < k1; k++ {
			e := t[k]
			if !pteHasFrame(e) {
				continue
			}
			n := e&PTEAddrMask | v.pteFlags()
			if n&PTEPresent != 0 {
				n |= e & (PTEAccessed | PTEDirty)
				// A private page already writable is exclusive: keep it so.
				if e&PTEWrite != 0 && nf&VMWrite != 0 {
					n |= PTEWrite
				}
			}
			if n != e {
				t[k] = n
				if e&PTEPresent != 0 {
					b.add(va + uint64(k-k0)<<pageShift)
				}
			}
		}
	})
	mm.flush(&b)
	mm.mergeAround(i, j)
}

// Madvise applies advice to [addr, addr+length). MADV_DONTNEED (and MADV_FREE,
// which may behave the same) zap the pages: private anonymous memory reads
// back as zeros, file pages are refilled from the file, shared memory keeps
// its contents. DONTFORK/DOFORK and WIPEONFORK/KEEPONFORK set VMA flags;
// POPULATE_READ/WRITE fault pages in; other known advice is accepted and
// ignored. ENOMEM if part of the range is unmapped, EINVAL for unaligned addr
// or unknown advice.
func (mm *MM) Madvise(addr, length uint64, advice int) error {
	switch advice {
	case MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED,
		MADV_FREE, MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE,
		MADV_UNMERGEABLE, MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP,
		MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT,
		MADV_POPULATE_READ, MADV_POPULATE_WRITE:
	default:
		return errno.EINVAL
	}
	if addr&pageMask != 0 {
		return errno.EINVAL
	}
	l := pageUp(length)
	if length != 0 && l == 0 {
		return errno.EINVAL
	}
	end := addr + l
	if end < addr {
		return errno.EINVAL
	}
	if end == addr {
		return nil
	}
	if advice == MADV_REMOVE {
		return mm.madviseRemove(addr, end)
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	var ret error
	for nstart := addr; nstart < end; {
		i := mm.findVMA(nstart)
		if i == len(mm.vmas) || mm.vmas[i].Start >= end {
			return errno.ENOMEM
		}
		v := mm.vmas[i]
		if v.Start > nstart {
			ret = errno.ENOMEM // a hole: Linux carries on and reports it at the end
			nstart = v.Start
		}
		tmpEnd := min(v.End, end)
		if err := mm.madviseVMA(i, nstart, tmpEnd, advice); err != nil {
			return err
		}
		nstart = tmpEnd
	}
	return ret
}

func (mm *MM) madviseVMA(i int, start, end uint64, advice int) error {
	v := mm.vmas[i]
	setFlag := func(set, clear VMFlags) {
		nf := v.Flags&^clear | set
		if nf == v.Flags {
			return
		}
		i, j := mm.splitAround(start, end)
		mm.vmas[i].Flags = nf
		mm.mergeAround(i, j)
	}
	switch advice {
	case MADV_DONTNEED, MADV_FREE:
		if advice == MADV_FREE && !v.privateAnon() {
			return errno.EINVAL // MADV_FREE is for private anonymous memory
		}
		mm.zap(start, end)
	case MADV_REMOVE: // a shared anonymous object (madviseRemove has the rest)
		mm.zap(start, end) // tamix keeps the object's pages (no hole punching)
	case MADV_DONTFORK:
		setFlag(VMDontCopy, 0)
	case MADV_DOFORK:
		setFlag(0, VMDontCopy)
	case MADV_WIPEONFORK:
		if !v.privateAnon() {
			return errno.EINVAL
		}
		setFlag(VMWipeOnFork, 0)
	case MADV_KEEPONFORK:
		setFlag(0, VMWipeOnFork)
	case MADV_POPULATE_READ, MADV_POPULATE_WRITE:
		acc := AccessRead
		if advice == MADV_POPULATE_WRITE {
			acc = AccessWrite
		}
		if !accessOK(v.Flags, acc) {
			return errno.EINVAL
		}
		for va := start; va < end; va += PageSize {
			if _, fe := mm.handleFault(va, acc); fe != nil {
				if fe.Err != nil {
					return errno.ENOMEM
				}
				return errno.EFAULT
			}
		}
	}
	return nil
}

// Brk moves the program break (sys_brk) and returns the new break, or the
// current one when the request is refused, as Linux does: below StartBrk, into
// another mapping (keeping a page and any stack guard gap free), or into a
// kernel-reserved range (tamix: the heap ends below 256 MiB). Shrinking frees
// the pages.
func (mm *MM) Brk(newBrk uint64) uint64 {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.StartBrk == 0 || newBrk < mm.StartBrk || newBrk > TaskSize {
		return mm.CurBrk
	}
	newEnd, oldEnd := pageUp(newBrk), pageUp(mm.CurBrk)
	switch {
	case newEnd == oldEnd:
	case newBrk < mm.CurBrk:
		mm.unmapRange(newEnd, oldEnd)
	default:
		if !userRangeOK(oldEnd, newEnd) || len(mm.vmas) >= MaxMapCount {
			return mm.CurBrk
		}
		if i := mm.findVMA(oldEnd); i < len(mm.vmas) && newEnd+PageSize > mm.vmas[i].startGap() {
			return mm.CurBrk
		}
		if !mm.mayExpandVM(VMRead|VMWrite, (newEnd-oldEnd)>>pageShift, 0, 0) {
			return mm.CurBrk // RLIMIT_AS or RLIMIT_DATA
		}
		// do_brk_flags: extend the heap VMA or start one.
		mm.insert(&VMA{Start: oldEnd, End: newEnd, PgOff: oldEnd >> pageShift,
			Flags: VMRead | VMWrite | VMMayRead | VMMayWrite | VMMayExec})
	}
	mm.CurBrk = newBrk
	return newBrk
}

// MapImage maps an ELF segment for exec: [va, va+memsz) with prot, backed by
// file[fileOff : fileOff+filesz]. Nothing is copied now; each page is filled
// on first touch from the file bytes, zero past filesz (bss). Like Linux's
// elf_map it replaces what was mapped there. va and fileOff must be congruent
// modulo PageSize (EINVAL, as the ELF loader requires); ENOMEM for ranges
// outside user space or kernel-reserved.
func (mm *MM) MapImage(va, memsz uint64, prot int, file []byte, fileOff, filesz uint64) error {
	if memsz == 0 {
		return nil
	}
	if filesz > memsz || fileOff > uint64(len(file)) || filesz > uint64(len(file))-fileOff ||
		va&pageMask != fileOff&pageMask {
		return errno.EINVAL
	}
	start := pageDown(va)
	end := pageUp(va + memsz)
	if va+memsz < va || end < start || !userRangeOK(start, end) {
		return errno.ENOMEM
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mm.unmapRange(start, end)
	mm.insert(&VMA{
		Start: start, End: end,
		Flags: protToVM(prot) | VMMayRead | VMMayWrite | VMMayExec,
		File:  &FileBacking{Data: file[:fileOff+filesz], ZeroPastEOF: true},
		PgOff: (fileOff - (va - start)) >> pageShift,
	})
	return nil
}

// SetupStack creates the stack VMA below top (page aligned, at most TaskSize):
// 128 KiB to start with (fs/exec.c stack_expand), growing down on faults up to
// maxSize (RLIMIT_STACK; 0 means DefaultStackLimit) while keeping
// StackGuardGap from the mapping below. It sets StartStack, StackLimit and
// MmapBase as exec does.
func (mm *MM) SetupStack(top, maxSize uint64) error {
	if top&pageMask != 0 || top > TaskSize {
		return errno.EINVAL
	}
	if maxSize == 0 {
		maxSize = DefaultStackLimit
	}
	size := pageUp(min(stackExpand, maxSize))
	if size > top {
		return errno.ENOMEM
	}
	start := top - size
	if !userRangeOK(start, top) {
		return errno.ENOMEM
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.overlaps(start, top) {
		return errno.EEXIST
	}
	mm.insert(&VMA{Start: start, End: top, PgOff: start >> pageShift,
		Flags: VMRead | VMWrite | VMMayRead | VMMayWrite | VMMayExec | VMGrowsDown})
	mm.StackLimit = maxSize
	mm.StartStack = top
	mm.MmapBase = mmapBase(maxSize)
	return nil
}

// SetBrk starts the heap at start (rounded up to a page): StartBrk = CurBrk =
// start, as load_elf_binary sets them after the last segment. Exec calls it;
// the heap VMA appears with the first Brk that grows it.
func (mm *MM) SetBrk(start uint64) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mm.StartBrk = pageUp(start)
	mm.CurBrk = mm.StartBrk
}
