package mm

import (
	"math"
	"sync"

	"tamix/errno"
)

// The page cache (Linux mm/filemap.c, struct address_space): the pages of
// one file, indexed by page offset, each a reference-counted frame. read()
// and write() copy to and from these pages, and every mapping of the file
// maps them: MAP_SHARED mappings in any process map the very frames, so all
// of them and the file's readers see the same bytes; MAP_PRIVATE mappings
// map them read-only and copy a page on the first write (do_cow_fault,
// wp_page_copy). A tmpfs file has no other storage (mm/shmem.c): its page
// cache is the file.

// PageSource hands out the frames of a page cache and takes them back:
// the frame allocator itself, or a tmpfs mount that counts its pages
// against its size limit first (shmem_inode_acct_block).
type PageSource interface {
	Alloc() (uint64, error) // a zeroed frame with one reference: the cache's
	Get(pa uint64)          // another reference (a PTE mapping the page)
	Put(pa uint64)          // drop a reference
	Mem() PhysMemory
}

// PageCache is a file's pages (address_space) and the bookkeeping of the
// mappings that map them (i_mmap).
type PageCache struct {
	mu    sync.Mutex
	src   PageSource
	pages map[uint64]uint64 // page index → frame; the cache holds one reference each
	size  int64             // i_size: faults past its last page get SIGBUS
	// fill reads page idx of a file whose bytes live elsewhere into a new
	// frame (a_ops->read_folio); nil for tmpfs, whose new pages are zeros.
	fill func(idx uint64, dst *[PageSize]byte)

	// refs counts the holders: the file (while it has a name or an open
	// descriptor) and every VMA mapping it. The pages go with the last.
	refs int
	// mmaps counts, per address space, the VMAs mapping the cache
	// (i_mmap), so truncation can unmap the pages it drops.
	mmaps map[*MM]int
	// writableMaps counts shared mappings that may write the file
	// (i_mmap_writable): F_SEAL_WRITE needs none.
	writableMaps int

	// Owner is the file (the inode), for /proc/PID/maps (mapping->host).
	Owner any
}

// NewPageCache returns an empty cache of a file of size bytes, with one
// reference for the file. fill, when set, supplies the bytes of a page the
// first time it is needed; without it new pages are zero.
func NewPageCache(src PageSource, size int64, fill func(idx uint64, dst *[PageSize]byte)) *PageCache {
	return &PageCache{src: src, pages: map[uint64]uint64{}, size: size, fill: fill, refs: 1, mmaps: map[*MM]int{}}
}

// Source is where the cache takes its frames from.
func (c *PageCache) Source() PageSource { return c.src }

// Size is the file size (i_size_read).
func (c *PageCache) Size() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

// Resident is the number of pages in the cache (a tmpfs file's st_blocks).
func (c *PageCache) Resident() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pages)
}

// Has reports whether page idx is in the cache (written, for tmpfs: not a
// hole).
func (c *PageCache) Has(idx uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.pages[idx]
	return ok
}

// NextPage returns the lowest index at or after idx that is in the cache.
func (c *PageCache) NextPage(idx uint64) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	best, found := uint64(0), false
	for k := range c.pages {
		if k >= idx && (!found || k < best) {
			best, found = k, true
		}
	}
	return best, found
}

// WritableMaps counts the shared mappings that may write the file.
func (c *PageCache) WritableMaps() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writableMaps
}

// Get takes a reference for another holder of the cache.
func (c *PageCache) Get() {
	c.mu.Lock()
	c.refs++
	c.mu.Unlock()
}

// Put drops a reference; the last one frees the pages (for tmpfs:
// shmem_evict_inode once the file has no name, descriptor or mapping).
func (c *PageCache) Put() {
	c.mu.Lock()
	c.refs--
	if c.refs > 0 {
		c.mu.Unlock()
		return
	}
	pages := c.pages
	c.pages = map[uint64]uint64{}
	c.size = 0
	c.mu.Unlock()
	for _, pa := range pages {
		c.src.Put(pa)
	}
}

// lastIndex is the number of pages a mapping may touch: the page that
// holds the last byte is the last one (Linux's SIGBUS rule). Under mu.
func (c *PageCache) pagesInFile() uint64 {
	return uint64(c.size+PageSize-1) >> pageShift
}

// findOrCreate returns page idx, reading or zero-filling a new one
// (filemap_fault / shmem_get_folio). Under mu.
func (c *PageCache) findOrCreate(idx uint64) (uint64, error) {
	if pa, ok := c.pages[idx]; ok {
		return pa, nil
	}
	pa, err := c.src.Alloc()
	if err != nil {
		return 0, err
	}
	if c.fill != nil {
		c.fill(idx, c.src.Mem().Page(pa))
	}
	c.pages[idx] = pa
	return pa, nil
}

// faultPage returns page idx with a new reference for a PTE, or the
// signal a fault there gets: SIGBUS past the last page of the file or
// when the mount is full, SIGKILL (OOM) when memory is out.
func (c *PageCache) faultPage(idx, va uint64) (uint64, *FaultError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if idx >= c.pagesInFile() {
		return 0, &FaultError{Signal: SIGBUS, Code: BUS_ADRERR, Addr: va}
	}
	pa, err := c.findOrCreate(idx)
	if err == errno.ENOSPC {
		return 0, &FaultError{Signal: SIGBUS, Code: BUS_ADRERR, Addr: va}
	}
	if err != nil {
		return 0, oom(va)
	}
	c.src.Get(pa)
	return pa, nil
}

// ReadAt copies the file's bytes at off into p and returns how many:
// none at or past the end, zeros for pages not in the cache that have no
// fill (tmpfs holes), read through fill otherwise (and then cached).
func (c *PageCache) ReadAt(p []byte, off int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off < 0 || off >= c.size {
		return 0
	}
	n := int(min(int64(len(p)), c.size-off))
	mem := c.src.Mem()
	for done := 0; done < n; {
		pos := off + int64(done)
		po := int(pos & pageMask)
		k := min(PageSize-po, n-done)
		idx := uint64(pos) >> pageShift
		pa, ok := c.pages[idx]
		if !ok && c.fill != nil {
			var err error
			if pa, err = c.findOrCreate(idx); err == nil {
				ok = true
			}
		}
		if ok {
			copy(p[done:done+k], mem.Page(pa)[po:])
		} else {
			clear(p[done : done+k])
		}
		done += k
	}
	return n
}

// WriteAt copies p into the file at off, adding pages as needed, and grows
// the size past the last byte written. It stops short when no page can be
// had; with nothing written it returns that error (ENOSPC from a full
// mount). off+len(p) must not overflow.
func (c *PageCache) WriteAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	mem := c.src.Mem()
	n := 0
	var err error
	for n < len(p) {
		pos := off + int64(n)
		var pa uint64
		if pa, err = c.findOrCreate(uint64(pos) >> pageShift); err != nil {
			break
		}
		n += copy(mem.Page(pa)[pos&pageMask:], p[n:])
	}
	if n == 0 && len(p) > 0 {
		return 0, err
	}
	if end := off + int64(n); end > c.size {
		c.size = end
	}
	return n, nil
}

// Truncate sets the file size (truncate_setsize). Growing only moves the
// size: the new pages are holes. Shrinking first unmaps, from every
// address space, the pages wholly past the new end, private copies
// included (unmap_mapping_range with even_cows), then drops them from the
// cache and zeroes the tail of the page that holds the new end
// (truncate_inode_pages_range), so that growing the file again shows
// zeros. A fault past the end gets SIGBUS from the moment the size moves.
func (c *PageCache) Truncate(size int64) {
	c.mu.Lock()
	old := c.size
	c.size = size
	first := c.pagesInFile()
	c.mu.Unlock()
	if size >= old {
		return
	}
	c.forEachMapper(func(m *MM) { m.unmapMapping(c, first) })
	c.mu.Lock()
	defer c.mu.Unlock()
	keep := c.pagesInFile() // the size may have grown again meanwhile
	for idx, pa := range c.pages {
		if idx >= keep {
			delete(c.pages, idx)
			c.src.Put(pa)
		}
	}
	if tail := c.size & pageMask; tail != 0 {
		if pa, ok := c.pages[uint64(c.size)>>pageShift]; ok {
			clear(c.src.Mem().Page(pa)[tail:])
		}
	}
}

// mapped and unmapped keep i_mmap and the cache reference of a VMA; they
// run under m's lock, so c.mu nests inside it.
func (c *PageCache) mapped(m *MM, f VMFlags) {
	c.mu.Lock()
	c.refs++
	c.mmaps[m]++
	if f&(VMShared|VMMayWrite) == VMShared|VMMayWrite {
		c.writableMaps++
	}
	c.mu.Unlock()
}

func (c *PageCache) unmapped(m *MM, f VMFlags) {
	c.mu.Lock()
	if c.mmaps[m]--; c.mmaps[m] <= 0 {
		delete(c.mmaps, m)
	}
	if f&(VMShared|VMMayWrite) == VMShared|VMMayWrite {
		c.writableMaps--
	}
	c.mu.Unlock()
	c.Put()
}

// unmapMapping zaps, in every VMA of mm mapping c, the pages at index
// first and beyond (unmap_mapping_pages for one address space).
func (mm *MM) unmapMapping(c *PageCache, first uint64) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.pt == nil || mm.pt.Root == 0 {
		return
	}
	for _, v := range mm.vmas {
		if v.cache != c {
			continue
		}
		start := v.Start
		if first > v.PgOff {
			if (first - v.PgOff) > (v.End-v.Start)>>pageShift {
				continue
			}
			start = v.Start + (first-v.PgOff)<<pageShift
		}
		if start < v.End {
			mm.zap(start, v.End)
		}
	}
}

// MaxPgoff bounds the page offset of a file mapping: offsets are int64
// file positions.
const MaxPgoff = math.MaxInt64 >> pageShift

// MmapFile maps the file whose page cache is c (do_mmap for a file with
// f_op->mmap = generic_file_mmap / shmem_mmap). readable and writable are
// the open file's mode: a mapping needs a readable file (EACCES), and a
// shared writable one a writable file (EACCES); a shared mapping of a file
// not open for writing also loses VM_MAYWRITE, so mprotect cannot make it
// writable later. The other rules are Mmap's.
func (mm *MM) MmapFile(addr, length uint64, prot, flags int, c *PageCache, off uint64, readable, writable bool) (uint64, error) {
	if !readable {
		return 0, errno.EACCES
	}
	return mm.mmap(addr, length, prot, flags, nil, c, off, writable)
}

// MapImageCache is MapImage for an executable whose file has a page
// cache (load_elf_binary's elf_map of the file, then the bss): the pages
// with file bytes, [va, PAGE_ALIGN(va+filesz)), map the cache privately,
// so every process running the program shares the frames of its text
// until one writes; when the bss begins inside the last file page that
// page gets this process's own copy with the rest zeroed (padzero); the
// pages after it are anonymous zero memory. va and fileOff are congruent
// modulo PageSize; errors as MapImage.
func (mm *MM) MapImageCache(va, memsz uint64, prot int, c *PageCache, fileOff, filesz uint64) error {
	if memsz == 0 {
		return nil
	}
	if filesz > memsz || va&pageMask != fileOff&pageMask || fileOff+filesz < fileOff ||
		int64(fileOff+filesz) > c.Size() {
		return errno.EINVAL
	}
	start, end := pageDown(va), pageUp(va+memsz)
	if va+memsz < va || end < start || !userRangeOK(start, end) {
		return errno.ENOMEM
	}
	flags := protToVM(prot) | VMMayRead | VMMayWrite | VMMayExec
	fileEnd := start
	if filesz > 0 {
		fileEnd = pageUp(va + filesz)
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	mm.unmapRange(start, end)
	if filesz > 0 {
		v := &VMA{Start: start, End: fileEnd, Flags: flags, cache: c,
			PgOff: (fileOff - (va - start)) >> pageShift}
		c.mapped(mm, flags)
		mm.insert(v)
		if tail := (va + filesz) & pageMask; tail != 0 && memsz > filesz {
			if err := mm.padZero(v, pageDown(va+filesz), tail); err != nil {
				return err
			}
		}
	}
	if fileEnd < end {
		mm.insert(&VMA{Start: fileEnd, End: end, Flags: flags, PgOff: fileEnd >> pageShift})
	}
	return nil
}

// padZero gives page of the private file VMA v this address space's own
// copy of the cache page, zero from byte tail on (padzero's clear_user,
// which breaks COW as a write would, whatever the segment's protection).
func (mm *MM) padZero(v *VMA, page, tail uint64) error {
	pte, err := mm.pt.userPTE(page, true)
	if err != nil {
		return errno.ENOMEM
	}
	pa, fe := v.cache.faultPage(v.PgOff+(page-v.Start)>>pageShift, page)
	if fe != nil {
		return errno.ENOMEM
	}
	cp, err := mm.alloc.alloc(false)
	if err != nil {
		mm.alloc.Put(pa)
		return errno.ENOMEM
	}
	dst := mm.mem.Page(cp)
	*dst = *mm.mem.Page(pa)
	clear(dst[tail:])
	mm.alloc.Put(pa)
	*pte = cp | v.exclusiveFlags()
	mm.addRSS()
	return nil
}

// madviseRemove is MADV_REMOVE on [start, end) (madvise_remove): for a
// file mapping, the range of the file is punched out (fallocate's
// FALLOC_FL_PUNCH_HOLE): its pages leave the page cache and every
// mapping, and read back as zeros. The mapping must be shared and
// writable (EACCES); anonymous memory and private mappings are EINVAL.
// A shared anonymous object only loses the mappings (tamix keeps its
// pages). ENOMEM when part of the range is unmapped. The hole is punched
// without the MM's lock, as Linux drops mmap_lock for vfs_fallocate.
func (mm *MM) madviseRemove(start, end uint64) error {
	type hole struct {
		c            *PageCache
		first, limit uint64
	}
	var holes []hole
	mm.mu.Lock()
	var ret error
	for nstart := start; nstart < end; {
		i := mm.findVMA(nstart)
		if i == len(mm.vmas) || mm.vmas[i].Start >= end {
			ret = errno.ENOMEM
			break
		}
		v := mm.vmas[i]
		if v.Start > nstart {
			ret = errno.ENOMEM
			nstart = v.Start
		}
		tmpEnd := min(v.End, end)
		switch {
		case v.cache == nil && v.shm == nil:
			mm.mu.Unlock()
			return errno.EINVAL
		case v.Flags&(VMShared|VMWrite) != VMShared|VMWrite:
			mm.mu.Unlock()
			return errno.EACCES
		case v.shm != nil:
			mm.zap(nstart, tmpEnd)
		default:
			first := v.PgOff + (nstart-v.Start)>>pageShift
			holes = append(holes, hole{v.cache, first, first + (tmpEnd-nstart)>>pageShift})
		}
		nstart = tmpEnd
	}
	mm.mu.Unlock()
	for _, h := range holes {
		h.c.PunchHole(h.first, h.limit)
	}
	return ret
}

// PunchHole drops the pages [first, limit) of the file (shmem_fallocate
// with FALLOC_FL_PUNCH_HOLE): they leave the cache first, so a fault from
// then on makes a new zero page, then every mapping of them goes (but not
// private copies: unmap_mapping_range without even_cows). The size stays.
func (c *PageCache) PunchHole(first, limit uint64) {
	c.mu.Lock()
	removed := map[uint64]uint64{}
	for idx, pa := range c.pages {
		if idx >= first && idx < limit {
			removed[idx] = pa
			delete(c.pages, idx)
		}
	}
	c.mu.Unlock()
	if len(removed) == 0 {
		return
	}
	c.forEachMapper(func(m *MM) { m.unmapPages(c, removed) })
	for _, pa := range removed {
		c.src.Put(pa)
	}
}

// unmapPages zaps, in every VMA of mm mapping c, the PTEs that map one of
// the frames removed (index → frame) at its index.
func (mm *MM) unmapPages(c *PageCache, removed map[uint64]uint64) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if mm.pt == nil || mm.pt.Root == 0 {
		return
	}
	g := mmuGather{mm: mm}
	for _, v := range mm.vmas {
		if v.cache != c {
			continue
		}
		mm.pt.forEachPT(v.Start, v.End, false, func(t *[512]uint64, va uint64, i, j int) {
			for k := i; k < j; k++ {
				e := t[k]
				if !pteHasFrame(e) {
					continue
				}
				addr := va + uint64(k-i)<<pageShift
				idx := v.PgOff + (addr-v.Start)>>pageShift
				if pa, ok := removed[idx]; ok && pa == e&PTEAddrMask {
					t[k] = 0
					mm.rss--
					g.remove(addr, e)
				}
			}
		})
	}
	g.finish()
}

// forEachMapper calls fn once for every MM that maps c, without c.mu held
// (a fault holds its MM's lock and then takes c.mu). A fork running
// meanwhile may copy PTEs into a child that was not in i_mmap yet, so it
// goes round again until no MM is left that fn has not seen.
func (c *PageCache) forEachMapper(fn func(*MM)) {
	done := map[*MM]bool{}
	for {
		var todo []*MM
		c.mu.Lock()
		for m := range c.mmaps {
			if !done[m] {
				todo = append(todo, m)
			}
		}
		c.mu.Unlock()
		if len(todo) == 0 {
			return
		}
		for _, m := range todo {
			fn(m)
			done[m] = true
		}
	}
}
