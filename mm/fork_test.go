package mm

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForkCOW(t *testing.T) {
	e := newEnv(t, 256)
	parent := e.newMM(t)
	const n = 8
	addr, err := parent.Mmap(0, n*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	touch(t, parent, addr, n*PageSize)
	frames := make([]uint64, n)
	for i := range frames {
		frames[i] = pteOf(t, parent, addr+uint64(i)*PageSize) & PTEAddrMask
	}

	e.tlb.reset()
	child, err := parent.Fork()
	require.NoError(t, err)
	assert.Equal(t, 1, e.tlb.all, "parent TLB flushed once after write-protecting")
	for i, f := range frames {
		va := addr + uint64(i)*PageSize
		assert.Equal(t, 2, e.alloc.RefCount(f))
		assert.Zero(t, pteOf(t, parent, va)&PTEWrite, "parent write-protected")
		assert.Zero(t, pteOf(t, child, va)&PTEWrite, "child write-protected")
		assert.Equal(t, f, pteOf(t, child, va)&PTEAddrMask, "shared frame")
	}
	assert.Equal(t, uint64(n), child.Counters().RSS)
	checkMM(t, parent)
	checkMM(t, child)

	// A write in the child: one fault per page, a copy, the parent unchanged.
	for i := range n {
		va := addr + uint64(i)*PageSize
		res, err := child.HandleFault(va, AccessWrite|AccessUser)
		require.NoError(t, err)
		assert.Equal(t, FaultCOW, res)
		require.NoError(t, child.CopyOut(va, []byte{0xcc}))
		res, err = child.HandleFault(va, AccessWrite|AccessUser)
		require.NoError(t, err)
		assert.Equal(t, FaultSpurious, res, "no second fault")
		b, _ := userByte(parent, va)
		assert.Equal(t, byte(va>>12), b, "parent still sees its data")
		b, _ = userByte(child, va)
		assert.Equal(t, byte(0xcc), b)
		assert.Equal(t, 1, e.alloc.RefCount(frames[i]))
	}
	assert.Contains(t, e.tlb.pages, addr, "COW copy flushed the old translation")

	// Now the parent holds the last reference: reuse without a copy.
	free := e.alloc.FreeCount()
	for i := range n {
		va := addr + uint64(i)*PageSize
		res, err := parent.HandleFault(va, AccessWrite|AccessUser)
		require.NoError(t, err)
		assert.Equal(t, FaultReuse, res)
		assert.Equal(t, frames[i], pteOf(t, parent, va)&PTEAddrMask, "same frame")
		assert.NotZero(t, pteOf(t, parent, va)&PTEWrite)
	}
	assert.Equal(t, free, e.alloc.FreeCount(), "no frame allocated for reuse")
	checkMM(t, parent)
	checkMM(t, child)
	child.Release()
	parent.Release()
	e.noLeaks(t)
}

func TestForkNested(t *testing.T) {
	e := newEnv(t, 256)
	a := e.newMM(t)
	addr, err := a.Mmap(0, 4*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	require.NoError(t, a.CopyOut(addr, []byte("A")))
	f := pteOf(t, a, addr) & PTEAddrMask

	b, err := a.Fork()
	require.NoError(t, err)
	c, err := b.Fork()
	require.NoError(t, err)
	assert.Equal(t, 3, e.alloc.RefCount(f))

	require.NoError(t, b.CopyOut(addr, []byte("B")))
	assert.Equal(t, 2, e.alloc.RefCount(f))
	require.NoError(t, c.CopyOut(addr, []byte("C")))
	assert.Equal(t, 1, e.alloc.RefCount(f))
	d, err := c.Fork()
	require.NoError(t, err)

	for _, tc := range []struct {
		mm   *MM
		want string
	}{{a, "A"}, {b, "B"}, {c, "C"}, {d, "C"}} {
		got := make([]byte, 1)
		require.NoError(t, tc.mm.CopyIn(got, addr))
		assert.Equal(t, tc.want, string(got))
		checkMM(t, tc.mm)
	}
	// a's page is now exclusive: reuse.
	res, err := a.HandleFault(addr, AccessWrite)
	require.NoError(t, err)
	assert.Equal(t, FaultReuse, res)

	for _, mm := range []*MM{b, d, a, c} {
		mm.Release()
	}
	e.noLeaks(t)
}

func TestForkReleaseCycles(t *testing.T) {
	e := newEnv(t, 512)
	parent := e.newMM(t)
	file := make([]byte, 3*PageSize)
	require.NoError(t, parent.MapImage(0x400000, 3*PageSize, PROT_READ|PROT_EXEC, file, 0, 3*PageSize))
	require.NoError(t, parent.MapImage(0x404000, 8*PageSize, PROT_READ|PROT_WRITE, file, 0, PageSize))
	require.NoError(t, parent.SetupStack(StackTop, 0))
	parent.SetBrk(0x40c000)
	require.Equal(t, uint64(0x40e000), parent.Brk(0x40e000))
	sh, err := parent.Mmap(0, 2*PageSize, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	touch(t, parent, 0x404000, 8*PageSize)
	touch(t, parent, StackTop-4*PageSize, 4*PageSize)
	touch(t, parent, sh, 2*PageSize)
	_, err = parent.HandleFault(0x400000, AccessExec)
	require.NoError(t, err)
	checkMM(t, parent)

	free := e.alloc.FreeCount()
	for i := range 1000 {
		child, err := parent.Fork()
		require.NoError(t, err)
		if i%100 == 0 {
			touch(t, child, 0x404000, 2*PageSize)
			touch(t, child, 0x40c000, 2*PageSize)
			checkMM(t, child)
		}
		child.Release()
		child.Release() // idempotent
	}
	assert.Equal(t, free, e.alloc.FreeCount())
	parent.Release()
	e.noLeaks(t)
}

func TestForkSharedAnon(t *testing.T) {
	e := newEnv(t, 64)
	p := e.newMM(t)
	sh, err := p.Mmap(0, 2*PageSize, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	require.NoError(t, p.CopyOut(sh, []byte("p")))
	c, err := p.Fork()
	require.NoError(t, err)
	// The child writes a page the parent already had and one nobody touched.
	require.NoError(t, c.CopyOut(sh, []byte("c")))
	require.NoError(t, c.CopyOut(sh+PageSize, []byte("C")))
	got := make([]byte, 1)
	require.NoError(t, p.CopyIn(got, sh))
	assert.Equal(t, "c", string(got))
	require.NoError(t, p.CopyIn(got, sh+PageSize))
	assert.Equal(t, "C", string(got))
	assert.NotZero(t, pteOf(t, p, sh)&PTEWrite, "shared pages stay writable")

	// Unmapping in the parent leaves the child's view.
	require.NoError(t, p.Munmap(sh, 2*PageSize))
	require.NoError(t, c.CopyIn(got, sh+PageSize))
	assert.Equal(t, "C", string(got))
	checkMM(t, p)
	checkMM(t, c)
	p.Release()
	c.Release()
	e.noLeaks(t)
}

func TestForkDontforkWipeonfork(t *testing.T) {
	e := newEnv(t, 64)
	p := e.newMM(t)
	a, err := p.Mmap(0, 3*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	touch(t, p, a, 3*PageSize)
	require.NoError(t, p.Madvise(a, PageSize, MADV_DONTFORK))
	require.NoError(t, p.Madvise(a+2*PageSize, PageSize, MADV_WIPEONFORK))
	require.Len(t, p.VMAs(), 3)
	c, err := p.Fork()
	require.NoError(t, err)
	vs := c.VMAs()
	require.Len(t, vs, 2)
	assert.Equal(t, a+PageSize, vs[0].Start)
	got := make([]byte, 1)
	require.NoError(t, c.CopyIn(got, a+2*PageSize))
	assert.Equal(t, byte(0), got[0], "wiped")
	require.NoError(t, c.CopyIn(got, a+PageSize))
	assert.Equal(t, byte((a+PageSize)>>12), got[0], "copied")
	require.NoError(t, p.Madvise(a, 3*PageSize, MADV_DOFORK))
	require.NoError(t, p.Madvise(a, 3*PageSize, MADV_KEEPONFORK))
	require.Len(t, p.VMAs(), 1, "merged back")
	checkMM(t, p)
	checkMM(t, c)
	p.Release()
	c.Release()
	e.noLeaks(t)
}

func TestForkOOM(t *testing.T) {
	e := newEnv(t, 40)
	p := e.newMM(t)
	// Spread pages so the child needs many page tables.
	for i := range 8 {
		a, err := p.Mmap(uint64(i)<<30+0x7f0000000000, PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
		require.NoError(t, err)
		touch(t, p, a, PageSize)
	}
	var kids []*MM
	for {
		c, err := p.Fork()
		if err != nil {
			break
		}
		kids = append(kids, c)
	}
	checkMM(t, p)
	for _, c := range kids {
		c.Release()
	}
	p.Release()
	e.noLeaks(t)
}

// Parent and child (and a second thread of the child, sharing its MM) write
// the same COW pages at once: each ends with its own data, nothing leaks.
func TestConcurrentCOW(t *testing.T) {
	const pages = 64
	e := newEnv(t, 4*pages+64)
	p := e.newMM(t)
	a, err := p.Mmap(0, pages*PageSize, rw, anonRW|MAP_POPULATE, nil, 0)
	require.NoError(t, err)
	c, err := p.Fork()
	require.NoError(t, err)
	var wg sync.WaitGroup
	for _, w := range []struct {
		mm  *MM
		val byte
		off uint64
	}{{p, 'p', 0}, {c, 'c', 0}, {c, 'c', 1}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range pages {
				va := a + uint64(i)*PageSize + w.off
				if _, err := w.mm.HandleFault(va, AccessWrite|AccessUser); err != nil {
					t.Error(err)
				}
				if err := w.mm.CopyOut(va, []byte{w.val}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for i := range pages {
		got := make([]byte, 2)
		require.NoError(t, p.CopyIn(got, a+uint64(i)*PageSize))
		assert.Equal(t, "p\x00", string(got))
		require.NoError(t, c.CopyIn(got, a+uint64(i)*PageSize))
		assert.Equal(t, "cc", string(got))
	}
	checkMM(t, p)
	checkMM(t, c)
	p.Release()
	c.Release()
	e.noLeaks(t)
}
