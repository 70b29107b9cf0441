package vfs

import (
	"math"
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
)

// tmpfs file data (mm/shmem.c): a regular file of a writable mount keeps
// its bytes in page-sized frames indexed by page number. A page that was
// never written is a hole and reads as zeros; st_blocks counts the pages
// there are. Every page counts against the mount's size limit (ENOSPC).

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
	Put(pa uint64)
	TotalCount() int
	Mem() mm.PhysMemory
}

// page is one page of a file: a frame, or Go memory when there is no
// frame allocator.
type page struct {
	pa  uint64
	mem *[PageSize]byte
}

// pageStore allocates file pages within the size limit (shmem_sb_info's
// max_blocks and used_blocks).
type pageStore struct {
	frames    Frames
	mu        sync.Mutex
	used, max int
}

func newPageStore(f Frames, max int) *pageStore {
	if max <= 0 {
		if f != nil {
			max = f.TotalCount() / 2 // tmpfs's default size: half the RAM
		} else {
			max = 64 << 20 / PageSize
		}
	}
	return &pageStore{frames: f, max: max}
}

// alloc returns a zeroed page, or ENOSPC past the limit or when memory is
// short.
func (s *pageStore) alloc() (*page, error) {
	s.mu.Lock()
	if s.used >= s.max {
		s.mu.Unlock()
		return nil, errno.ENOSPC
	}
	s.used++
	s.mu.Unlock()
	if s.frames == nil {
		return &page{mem: new([PageSize]byte)}, nil
	}
	pa, err := s.frames.Alloc()
	if err != nil {
		s.mu.Lock()
		s.used--
		s.mu.Unlock()
		return nil, errno.ENOSPC
	}
	return &page{pa: pa, mem: s.frames.Mem().Page(pa)}, nil
}

func (s *pageStore) free(p *page) {
	if s.frames != nil {
		s.frames.Put(p.pa)
	}
	s.mu.Lock()
	s.used--
	s.mu.Unlock()
}

// TmpfsUsage reports the pages of file data in use and the limit (statfs's
// f_blocks - f_bfree and f_blocks, in pages).
func (v *FS) TmpfsUsage() (used, max int) {
	v.store.mu.Lock()
	defer v.store.mu.Unlock()
	return v.store.used, v.store.max
}

// fileSize is a regular file's size; ino.mu is held for a tmpfs file.
func (i *Inode) fileSize() int64 {
	if i.readOnly {
		return int64(len(i.data))
	}
	return i.size
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
	if off >= ino.size {
		return 0
	}
	n := int(min(int64(len(p)), ino.size-off))
	for done := 0; done < n; {
		pos := off + int64(done)
		po := int(pos % PageSize)
		c := min(PageSize-po, n-done)
		if pg := ino.pages[pos/PageSize]; pg != nil {
			copy(p[done:done+c], pg.mem[po:])
		} else {
			clear(p[done : done+c])
		}
		done += c
	}
	return n
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
// MaxFileSize. A write updates the modification and change times.
func (v *FS) writeAt(ino *Inode, p []byte, off int64, appending bool) (int, int64, error) {
	ino.mu.Lock()
	defer ino.mu.Unlock()
	if appending {
		off = ino.size
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
	if ino.pages == nil {
		ino.pages = map[int64]*page{}
	}
	n := 0
	var err error
	for n < len(p) {
		pos := off + int64(n)
		pg := ino.pages[pos/PageSize]
		if pg == nil {
			if pg, err = v.store.alloc(); err != nil {
				break
			}
			ino.pages[pos/PageSize] = pg
		}
		n += copy(pg.mem[pos%PageSize:], p[n:])
	}
	if n == 0 {
		return 0, off, err
	}
	if end := off + int64(n); end > ino.size {
		ino.size = end
	}
	now := v.now()
	ino.Mtime, ino.Ctime = now, now
	return n, off, nil
}

// truncate sets a tmpfs file's size (shmem_setattr): pages past the new
// end are freed and the rest of the last page is zeroed, so that growing
// the file again shows zeros; growing makes a hole.
func (v *FS) truncate(ino *Inode, size int64) {
	ino.mu.Lock()
	defer ino.mu.Unlock()
	if size < ino.size {
		keep := (size + PageSize - 1) / PageSize
		for idx, pg := range ino.pages {
			if idx >= keep {
				v.store.free(pg)
				delete(ino.pages, idx)
			}
		}
		if off := size % PageSize; off != 0 {
			if pg := ino.pages[size/PageSize]; pg != nil {
				clear(pg.mem[off:])
			}
		}
	}
	ino.size = size
	now := v.now()
	ino.Mtime, ino.Ctime = now, now
}

// maybeEvict frees the data of a file that has neither a name nor an open
// descriptor any more (iput_final → shmem_evict_inode). Under v.mu.
func (v *FS) maybeEvict(ino *Inode) {
	if ino.Nlink != 0 || ino.opens != 0 || !ino.IsReg() || ino.readOnly {
		return
	}
	ino.mu.Lock()
	for idx, pg := range ino.pages {
		v.store.free(pg)
		delete(ino.pages, idx)
	}
	ino.size = 0
	ino.mu.Unlock()
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
	idx := off / PageSize
	if whence == SEEK_DATA {
		first := int64(-1)
		for k := range ino.pages {
			if k >= idx && (first < 0 || k < first) {
				first = k
			}
		}
		if first < 0 {
			return 0, errno.ENXIO
		}
		return max(off, first*PageSize), nil
	}
	for ino.pages[idx] != nil {
		idx++
	}
	return min(max(off, idx*PageSize), size), nil
}

// blocks is st_blocks in 512-byte units.
func (i *Inode) blocks() int64 {
	switch {
	case i.IsReg() && i.readOnly:
		return (int64(len(i.data)) + PageSize - 1) / PageSize * (PageSize / 512)
	case i.IsReg():
		return int64(len(i.pages)) * (PageSize / 512)
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
