package vfs

import (
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
)

// Memory mapping of files (mm/filemap.c's generic_file_mmap, shmem_mmap):
// a regular file's mapping maps its page cache. A tmpfs file's page cache
// is its data; an embedded image gets one on its first mapping, whose
// pages are read from the image's bytes the first time a process touches
// them and then shared by every mapping of it.

// Mappable is an open file that mmap can map (f_op->mmap); other files
// give ENODEV.
type Mappable interface {
	// PageCache returns the page cache to map, ENODEV when the file's
	// pages cannot be mapped.
	PageCache() (*mm.PageCache, error)
}

// PageCache implements Mappable: the tmpfs file's data, or the image's
// cache. Without real frames (host tests of vfs alone) nothing maps.
func (f *RegFile) PageCache() (*mm.PageCache, error) {
	if c := f.v.PageCacheOf(f.ino); c != nil {
		return c, nil
	}
	return nil, errno.ENODEV
}

// PageCacheOf returns a regular file's page cache, making it on first
// use; nil when the namespace has no real frames to map.
func (v *FS) PageCacheOf(ino *Inode) *mm.PageCache {
	if _, heap := v.frames.(*heapFrames); heap {
		return nil
	}
	ino.mu.Lock()
	defer ino.mu.Unlock()
	if !ino.readOnly {
		return v.pageCache(ino)
	}
	if ino.cache == nil {
		data := ino.data
		ino.cache = mm.NewPageCache(v.frames, int64(len(data)), func(idx uint64, dst *[PageSize]byte) {
			copy(dst[:], data[min(idx*PageSize, uint64(len(data))):])
		})
		ino.cache.Owner = ino
	}
	return ino.cache
}

// IsDevZero reports /dev/zero, whose mappings are anonymous memory
// (mmap_zero).
func IsDevZero(f fs.File) bool {
	_, ok := f.(zeroFile)
	return ok
}

// memfd seals (include/uapi/linux/fcntl.h).
const (
	F_SEAL_SEAL         = 0x0001 // no more seals
	F_SEAL_SHRINK       = 0x0002
	F_SEAL_GROW         = 0x0004
	F_SEAL_WRITE        = 0x0008
	F_SEAL_FUTURE_WRITE = 0x0010

	allSeals = F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE
)

// Memfd makes the file of memfd_create (memfd.c): an unnamed tmpfs file
// that shows as "/memfd:NAME (deleted)". Without sealing it starts sealed
// with F_SEAL_SEAL, so F_ADD_SEALS fails.
func (v *FS) Memfd(name string, sealing bool) *RegFile {
	v.mu.Lock()
	defer v.mu.Unlock()
	ino := v.newInode(S_IFREG|0o777, devTmp, nil, "memfd:"+name)
	ino.Nlink = 0
	if !sealing {
		ino.seals = F_SEAL_SEAL
	}
	ino.opens++
	return &RegFile{v: v, ino: ino}
}

// Seals is F_GET_SEALS: EINVAL for a file that is not on tmpfs.
func (f *RegFile) Seals() (uint32, error) {
	if f.ino.readOnly {
		return 0, errno.EINVAL
	}
	f.ino.mu.Lock()
	defer f.ino.mu.Unlock()
	return f.ino.seals, nil
}

// AddSeals is F_ADD_SEALS (memfd_add_seals): EINVAL for unknown seals or
// a file not on tmpfs, EPERM when the file is not open for writing or
// already has F_SEAL_SEAL, EBUSY for F_SEAL_WRITE while a shared writable
// mapping exists (mapping_deny_writable).
func (f *RegFile) AddSeals(seals uint32, writable bool) error {
	if f.ino.readOnly || seals&^allSeals != 0 {
		return errno.EINVAL
	}
	if !writable {
		return errno.EPERM
	}
	ino := f.ino
	ino.mu.Lock()
	defer ino.mu.Unlock()
	if ino.seals&F_SEAL_SEAL != 0 {
		return errno.EPERM
	}
	if seals&F_SEAL_WRITE != 0 && ino.seals&F_SEAL_WRITE == 0 {
		if f.v.pageCache(ino).WritableMaps() > 0 {
			return errno.EBUSY
		}
	}
	ino.seals |= seals
	return nil
}

// MapDenied is the seal check of shmem_mmap and mapping_map_writable:
// with F_SEAL_WRITE or F_SEAL_FUTURE_WRITE, no shared mapping that may
// write (in Linux 6.1 a shared mapping of a file open for writing counts,
// even without PROT_WRITE).
func (f *RegFile) MapDenied(shared, mayWrite bool) bool {
	if f.ino.readOnly {
		return false
	}
	f.ino.mu.Lock()
	defer f.ino.mu.Unlock()
	return shared && mayWrite && f.ino.seals&(F_SEAL_WRITE|F_SEAL_FUTURE_WRITE) != 0
}

// heapFrames stands in for the frame allocator when the namespace has
// none (host tests of vfs alone): Go memory under made-up addresses,
// reference-counted like frames.
type heapFrames struct {
	mu    sync.Mutex
	next  uint64
	pages map[uint64]*heapPage
}

type heapPage struct {
	refs int
	mem  [PageSize]byte
}

func newHeapFrames() *heapFrames {
	return &heapFrames{next: PageSize, pages: map[uint64]*heapPage{}}
}

func (h *heapFrames) Alloc() (uint64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	pa := h.next
	h.next += PageSize
	h.pages[pa] = &heapPage{refs: 1}
	return pa, nil
}

func (h *heapFrames) Get(pa uint64) {
	h.mu.Lock()
	h.pages[pa].refs++
	h.mu.Unlock()
}

func (h *heapFrames) Put(pa uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.pages[pa]
	if p.refs--; p.refs == 0 {
		delete(h.pages, pa)
	}
}

func (h *heapFrames) TotalCount() int { return 0 }

func (h *heapFrames) Mem() mm.PhysMemory { return h }

// Page implements mm.PhysMemory.
func (h *heapFrames) Page(pa uint64) *[PageSize]byte {
	h.mu.Lock()
	defer h.mu.Unlock()
	return &h.pages[pa].mem
}
