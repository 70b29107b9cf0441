package vfs

import (
	"math"
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
)

// tmpfs file data (mm/shmem.c): a regular file of a writable mount keeps
// its bytes in its page cache (mm.PageCache), page-sized frames indexed by
// page number, which mmap maps as they are. A page that was never written
// is a hole and reads as zeros; st_blocks counts the pages there are.
// Every page counts against the mount's size limit (ENOSPC).

// PageSize is the size of one page of file data.
const PageSize = mm.PageSize

// MaxFileSize is the largest file size (MAX_LFS_FILESIZE, tmpfs's
// s_maxbytes): a write that would go past it is cut short, or EFBIG.
const MaxFileSize = math.MaxInt64

// SEEK_DATA and SEEK_HOLE find the next data or hole at or after an offset.
const (
	SEEK_DATA = 3
	SEEK_HOLE = 4
)

// Frames hands out the page frames file data lives in, as the page cache
// takes its pages from the page allocator: mm.FrameAllocator.
type Frames interface {
	Alloc() (uint64, error) // a zeroed frame
	Get(pa uint64)
	Put(pa uint64)
	TotalCount() int
	Mem() mm.PhysMemory
}

// pageStore is the mm.PageSource of a tmpfs mount: it allocates file
// pages within the size limit (shmem_sb_info's max_blocks and
// used_blocks). Put is the page cache dropping a page: the page no longer
// counts, though its frame lives on while a mapping still maps it.
type pageStore struct {
	frames    Frames
	mu        sync.Mutex
	used, max int
}

func newPageStore(f Frames, max int) *pageStore {
	if max <= 0 {
		if _, heap := f.(*heapFrames); !heap {
			max = f.TotalCount() / 2 // tmpfs's default size: half the RAM
		} else {
			max = 64 << 20 / PageSize
		}
	}
	return &pageStore{frames: f, max: max}
}

// Alloc returns a zeroed page, or ENOSPC past the limit or when memory is
// short.
func (s *pageStore) Alloc() (uint64, error) {
	s.mu.Lock()
	if s.used >= s.max {
		s.mu.Unlock()
		return 0, errno.ENOSPC
	}
	s.used++
	s.mu.Unlock()
	pa, err := s.frames.Alloc()
	if err != nil {
		s.mu.Lock()
		s.used--
		s.mu.Unlock()
		return 0, errno.ENOSPC
	}
	return pa, nil
}

func (s *pageStore) Get(pa uint64) { s.frames.Get(pa) }

func (s *pageStore) Put(pa uint64) {
	s.frames.Put(pa)
	s.mu.Lock()
	s.used--
	s.mu.Unlock()
}

func (s *pageStore) Mem() mm.PhysMemory { return s.frames.Mem() }

// TmpfsUsage reports the pages of file data in use and the limit (statfs's
// f_blocks - f_bfree and f_blocks, in pages).
func (v *FS) TmpfsUsage() (used, max int) {
	v.store.mu.Lock()
	defer v.store.mu.Unlock()
	return v.store.used, v.store.max
}

// pageCache returns a tmpfs file's page cache, which holds its data,
// making it on first use. ino.mu is held.
func (v *FS) pageCache(ino *Inode) *mm.PageCache {
	if ino.cache == nil {
		ino.cache = mm.NewPageCache(v.store, 0, nil)
		ino.cache.Owner = ino
	}
	return ino.cache
}

// fileSize is a regular file's size; ino.mu is held for a tmpfs file.
func (i *Inode) fileSize() int64 {
	if i.readOnly {
		return int64(len(i.data))
	}
	if i.cache == nil {
		return 0
	}
	return i.cache.Size()
}

// readAt copies file bytes at off into p (shmem_file_read_iter) and returns
// how many; holes read as zeros.
func (v *FS) readAt(ino *Inode, p []byte, off int64) int {
	if ino.readOnly { // an image: read-only, so no lock and no atime
		if off >= int64(len(ino.data)) {
			return 0
		}
		return copy(p, ino.data[off:])
	}
	ino.mu.Lock()
	defer ino.mu.Unlock()
	ino.accessed(v.now())
	if ino.cache == nil {
		return 0
	}
	return ino.cache.ReadAt(p, off)
}

// accessed updates the access time as relatime does: when it is not newer
// than the last modification or change, or a day old.
func (i *Inode) accessed(now int64) {
	if i.Atime <= i.Mtime || i.Atime <= i.Ctime || now-i.Atime >= 24*3600*1e9 {
		i.Atime = now
	}
}

// writeAt copies p into the file at off, or at its end with appending set
// (under the inode lock: O_APPEND writes do not interleave), allocating
// pages as needed. It returns the bytes written and where they went; a
// short count when the mount fills up, ENOSPC when nothing fits, EFBIG at
// MaxFileSize, EPERM on a memfd sealed against it. A write updates the
// modification and change times.
func (v *FS) writeAt(ino *Inode, p []byte, off int64, appending bool) (int, int64, error) {
	ino.mu.Lock()
	defer ino.mu.Unlock()
	c := v.pageCache(ino)
	if appending {
		off = c.Size()
	}
	if ino.seals&(F_SEAL_WRITE|F_SEAL_FUTURE_WRITE) != 0 {
		return 0, off, errno.EPERM
	}
	if len(p) == 0 {
		return 0, off, nil
	}
	if off >= MaxFileSize {
		return 0, off, errno.EFBIG
	}
	if int64(len(p)) > MaxFileSize-off {
		p = p[:MaxFileSize-off]
	}
	if ino.seals&F_SEAL_GROW != 0 && off+int64(len(p)) > c.Size() {
		return 0, off, errno.EPERM // shmem_write_begin
	}
	n, err := c.WriteAt(p, off)
	if n == 0 {
		return 0, off, err
	}
	now := v.now()
	ino.Mtime, ino.Ctime = now, now
	return n, off, nil
}

// truncate sets a tmpfs file's size (shmem_setattr): pages past the new
// end are unmapped and freed and the rest of the last page is zeroed, so
// that growing the file again shows zeros; growing makes a hole. EPERM on
// a memfd sealed against it.
func (v *FS) truncate(ino *Inode, size int64) error {
	ino.mu.Lock()
	defer ino.mu.Unlock()
	c := v.pageCache(ino)
	if old := c.Size(); size < old && ino.seals&F_SEAL_SHRINK != 0 ||
		size > old && ino.seals&F_SEAL_GROW != 0 {
		return errno.EPERM
	}
	c.Truncate(size)
	now := v.now()
	ino.Mtime, ino.Ctime = now, now
	return nil
}

// maybeEvict drops the data of a file that has neither a name nor an open
// descriptor any more (iput_final → shmem_evict_inode): the page cache
// goes with the last mapping of it. Under v.mu.
func (v *FS) maybeEvict(ino *Inode) {
	if ino.Nlink != 0 || ino.opens != 0 || !ino.IsReg() || ino.readOnly {
		return
	}
	ino.mu.Lock()
	c := ino.cache
	ino.cache = nil
	ino.mu.Unlock()
	if c != nil {
		c.Put()
	}
}

// seekHoleData is SEEK_DATA and SEEK_HOLE (shmem_file_llseek): the first
// written page, or the first hole (the end of the file counts as one), at
// or after off; ENXIO at or past the end.
func (ino *Inode) seekHoleData(off int64, whence int) (int64, error) {
	if !ino.readOnly {
		ino.mu.Lock()
		defer ino.mu.Unlock()
	}
	size := ino.fileSize()
	if off < 0 || off >= size {
		return 0, errno.ENXIO
	}
	if ino.readOnly { // all data
		if whence == SEEK_DATA {
			return off, nil
		}
		return size, nil
	}
	idx := uint64(off / PageSize)
	if whence == SEEK_DATA {
		first, ok := ino.cache.NextPage(idx)
		if !ok {
			return 0, errno.ENXIO
		}
		return max(off, int64(first)*PageSize), nil
	}
	for ino.cache.Has(idx) {
		idx++
	}
	return min(max(off, int64(idx)*PageSize), size), nil
}

// blocks is st_blocks in 512-byte units.
func (i *Inode) blocks() int64 {
	switch {
	case i.IsReg() && i.readOnly:
		return (int64(len(i.data)) + PageSize - 1) / PageSize * (PageSize / 512)
	case i.IsReg() && i.cache != nil:
		return int64(i.cache.Resident()) * (PageSize / 512)
	case i.IsLink() && len(i.target)+1 > 128: // longer than SHORT_SYMLINK_LEN: a page
		return PageSize / 512
	}
	return 0
}

// Appender is implemented by files whose O_APPEND writes go to the end of
// the file, atomically (generic_write_checks' IOCB_APPEND).
type Appender interface {
	Append(p []byte) (int, error)
}

// IsRegular reports an open regular file: a read goes on until the count
// or the end of the file, never stopping after a chunk.
func IsRegular(f fs.File) bool {
	_, ok := f.(*RegFile)
	return ok
}
