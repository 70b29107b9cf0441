package mm

import (
	"fmt"
	"unsafe"
)

// PageSize is the size of a base page and of a page-table page.
const PageSize = 4096

const pageShift = 12
const pageMask = PageSize - 1

// PhysMemory gives the kernel access to physical frames. On the machine this is
// the identity map (pa == kernel va); host tests use an Arena. pa must be page
// aligned.
type PhysMemory interface {
	Page(pa uint64) *[PageSize]byte
}

// Range is a half-open address range [Start, End).
type Range struct{ Start, End uint64 }

// Overlaps reports whether r and [start, end) share at least one byte.
func (r Range) Overlaps(start, end uint64) bool { return start < r.End && r.Start < end }

// Arena is a PhysMemory over a Go slice that stands for physical addresses
// [base, base+size). It backs the page tables and frames of host tests.
type Arena struct {
	base, size uint64
	mem        []uint64 // uint64 so that page-table pages are 8-byte aligned
}

// NewArena returns an arena covering [base, base+size); size is rounded up to
// a whole page.
func NewArena(base, size uint64) *Arena {
	size = pageUp(size)
	return &Arena{base: base, size: size, mem: make([]uint64, size/8)}
}

// Page returns the frame at pa. It panics on an address outside the arena or
// not page aligned: that is a kernel bug, as touching a wild address would be
// on the machine.
func (a *Arena) Page(pa uint64) *[PageSize]byte {
	if pa&pageMask != 0 || pa < a.base || pa-a.base >= a.size {
		panic(fmt.Sprintf("mm: arena access to pa %#x outside [%#x, %#x)", pa, a.base, a.base+a.size))
	}
	return (*[PageSize]byte)(unsafe.Pointer(&a.mem[(pa-a.base)/8]))
}

// table views a page-table page as its 512 entries.
func table(mem PhysMemory, pa uint64) *[512]uint64 {
	return (*[512]uint64)(unsafe.Pointer(mem.Page(pa)))
}

func pageDown(x uint64) uint64 { return x &^ pageMask }
func pageUp(x uint64) uint64   { return (x + pageMask) &^ pageMask }

// IdentityMemory is the PhysMemory of the running kernel: TamaGo identity-maps
// physical memory (0-6 GiB), so a frame's kernel address is its physical
// address. Only valid on the machine; host tests use an Arena.
type IdentityMemory struct{}

// Page returns the frame at pa through the identity map.
func (IdentityMemory) Page(pa uint64) *[PageSize]byte {
	return (*[PageSize]byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(pa)))
}
