package mm

import (
	"fmt"
	"sync"
	"sync/atomic"

	"tamix/errno"
)

// FrameAllocator hands out physical page frames and keeps one reference count
// per frame, like Linux's page allocator plus page->_refcount. Counts are
// atomic so that Get/Put on the fork and COW paths take no lock; the free list
// is protected by a mutex.
//
// The kernel hands it only RAM above its own Go heap, so every frame is
// reachable through the identity map whatever CR3 is loaded (DESIGN.md,
// decision 4).
type FrameAllocator struct {
	mem     PhysMemory
	regions []frameRegion
	refs    []atomic.Int32 // indexed by global frame number

	mu   sync.Mutex
	free []uint32 // stack of free global frame numbers (LIFO: cache friendly)
}

type frameRegion struct {
	start, end uint64 // page aligned
	first      uint32 // global frame number of start
}

// NewFrameAllocator manages the frames of ranges (each rounded inwards to whole
// pages). All frames start free.
func NewFrameAllocator(mem PhysMemory, ranges []Range) *FrameAllocator {
	a := &FrameAllocator{mem: mem}
	n := uint32(0)
	for _, r := range ranges {
		s, e := pageUp(r.Start), pageDown(r.End)
		if e <= s {
			continue
		}
		a.regions = append(a.regions, frameRegion{start: s, end: e, first: n})
		n += uint32((e - s) >> pageShift)
	}
	a.refs = make([]atomic.Int32, n)
	a.free = make([]uint32, 0, n)
	// Push in reverse so the lowest frames are handed out first.
	for i := int(n) - 1; i >= 0; i-- {
		a.free = append(a.free, uint32(i))
	}
	return a
}

// index returns pa's global frame number.
func (a *FrameAllocator) index(pa uint64) (uint32, bool) {
	for i := range a.regions {
		r := &a.regions[i]
		if pa >= r.start && pa < r.end {
			return r.first + uint32((pa-r.start)>>pageShift), true
		}
	}
	return 0, false
}

func (a *FrameAllocator) addr(idx uint32) uint64 {
	for i := len(a.regions) - 1; i >= 0; i-- {
		r := &a.regions[i]
		if idx >= r.first {
			return r.start + uint64(idx-r.first)<<pageShift
		}
	}
	panic("mm: bad frame index")
}

func (a *FrameAllocator) mustIndex(pa uint64, op string) uint32 {
	idx, ok := a.index(pa)
	if !ok || pa&pageMask != 0 {
		panic(fmt.Sprintf("mm: %s of frame %#x not managed by the allocator", op, pa))
	}
	return idx
}

// Alloc returns a zeroed frame with reference count 1, or errno.ENOMEM.
func (a *FrameAllocator) Alloc() (uint64, error) { return a.alloc(true) }

// alloc is Alloc with optional zeroing: callers that overwrite the whole frame
// (COW copies, full file pages) skip the clear.
func (a *FrameAllocator) alloc(zero bool) (uint64, error) {
	a.mu.Lock()
	n := len(a.free)
	if n == 0 {
		a.mu.Unlock()
		return 0, errno.ENOMEM
	}
	idx := a.free[n-1]
	a.free = a.free[:n-1]
	a.mu.Unlock()
	a.refs[idx].Store(1)
	pa := a.addr(idx)
	if zero {
		*a.mem.Page(pa) = [PageSize]byte{}
	}
	return pa, nil
}

// Get takes another reference to an allocated frame (Linux: get_page).
func (a *FrameAllocator) Get(pa uint64) {
	idx := a.mustIndex(pa, "Get")
	if a.refs[idx].Add(1) <= 1 {
		panic(fmt.Sprintf("mm: Get of free frame %#x", pa))
	}
}

// Put drops a reference and frees the frame when it was the last (put_page).
func (a *FrameAllocator) Put(pa uint64) {
	idx := a.mustIndex(pa, "Put")
	switch c := a.refs[idx].Add(-1); {
	case c > 0:
		return
	case c < 0:
		panic(fmt.Sprintf("mm: Put of free frame %#x", pa))
	}
	a.mu.Lock()
	a.free = append(a.free, idx)
	a.mu.Unlock()
}

// RefCount returns the frame's reference count (0 when free or not managed).
func (a *FrameAllocator) RefCount(pa uint64) int {
	idx, ok := a.index(pa)
	if !ok {
		return 0
	}
	return int(a.refs[idx].Load())
}

// FreeCount returns the number of free frames.
func (a *FrameAllocator) FreeCount() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.free)
}

// TotalCount returns the number of frames managed.
func (a *FrameAllocator) TotalCount() int { return len(a.refs) }

// Mem returns the physical memory the allocator's frames live in.
func (a *FrameAllocator) Mem() PhysMemory { return a.mem }
