package mm

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

func TestFrameAllocRefcount(t *testing.T) {
	mem := NewArena(0x100000, 16*PageSize)
	// Unaligned edges are rounded inwards; empty ranges ignored.
	a := NewFrameAllocator(mem, []Range{{0x100800, 0x104000}, {0x108000, 0x110000}, {0x105000, 0x105000}})
	require.Equal(t, 3+8, a.TotalCount())
	require.Equal(t, 11, a.FreeCount())

	pa, err := a.Alloc()
	require.NoError(t, err)
	assert.Equal(t, uint64(0x101000), pa, "lowest frame first")
	assert.Equal(t, 1, a.RefCount(pa))
	mem.Page(pa)[7] = 42
	a.Get(pa)
	assert.Equal(t, 2, a.RefCount(pa))
	a.Put(pa)
	assert.Equal(t, 1, a.RefCount(pa))
	assert.Equal(t, 10, a.FreeCount())
	a.Put(pa)
	assert.Equal(t, 0, a.RefCount(pa))
	assert.Equal(t, 11, a.FreeCount())

	pa2, err := a.Alloc()
	require.NoError(t, err)
	assert.Equal(t, pa, pa2, "LIFO reuse")
	assert.Equal(t, [PageSize]byte{}, *mem.Page(pa2), "Alloc zeroes")
	a.Put(pa2)

	assert.Panics(t, func() { a.Put(pa2) }, "double free")
	assert.Panics(t, func() { a.Get(pa2) }, "get of free frame")
	assert.Panics(t, func() { a.Put(0x104000) }, "unmanaged frame")
	assert.Equal(t, 0, a.RefCount(0x104000))
}

func TestFrameExhaustion(t *testing.T) {
	mem := NewArena(0, 8*PageSize)
	a := NewFrameAllocator(mem, []Range{{0, 8 * PageSize}})
	seen := map[uint64]bool{}
	var got []uint64
	for range 8 {
		pa, err := a.Alloc()
		require.NoError(t, err)
		require.False(t, seen[pa])
		seen[pa] = true
		got = append(got, pa)
	}
	_, err := a.Alloc()
	require.ErrorIs(t, err, errno.ENOMEM)
	require.Equal(t, 0, a.FreeCount())
	for _, pa := range got {
		a.Put(pa)
	}
	require.Equal(t, 8, a.FreeCount())
}

func TestFrameConcurrent(t *testing.T) {
	mem := NewArena(0, 1024*PageSize)
	a := NewFrameAllocator(mem, []Range{{0, 1024 * PageSize}})
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				pa, err := a.Alloc()
				if err != nil {
					continue
				}
				a.Get(pa)
				a.Put(pa)
				a.Put(pa)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 1024, a.FreeCount())
}
