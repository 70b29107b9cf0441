package mm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

func TestPageTableMapWalkUnmap(t *testing.T) {
	e := newEnv(t, 256)
	pt, err := NewPageTable(e.alloc, e.kroot)
	require.NoError(t, err)
	require.Equal(t, 1, pt.Tables())

	// The copy of the kernel PML4 already reaches kernel memory.
	pte, ok := pt.Walk(0x10000000)
	require.True(t, ok)
	assert.Equal(t, uint64(0x10000000)|PTEPresent|PTEWrite|PTEHuge, *pte&^PTEAddrMask|*pte&PTEAddrMask)
	pte, ok = pt.Walk(0x5000)
	require.True(t, ok)
	assert.Equal(t, uint64(0x5000), *pte&PTEAddrMask)
	_, ok = pt.Walk(0) // page 0 unmapped by the kernel
	assert.False(t, ok)

	frame, _ := e.alloc.Alloc()
	flags := PTEUser | PTEWrite | PTENX
	tests := []struct {
		name   string
		va     uint64
		tables int // new tables this mapping needs
	}{
		{"under a kernel 2 MiB page: PDPT and PD cloned, fresh PT", 0x400000, 3},
		{"same PT", 0x401000, 0},
		{"other 2 MiB block of GiB 0", 0x800000, 1},
		{"top of user space: fresh PDPT, PD, PT", TaskSize - PageSize, 3},
		{"above the 6 GiB map: fresh PD and PT", 7 << 30, 2},
		{"page 0, below 2 MiB: kernel PT cloned", 0, 1},
	}
	for _, tc := range tests {
		before := pt.Tables()
		require.NoError(t, pt.Map(tc.va, frame, flags), tc.name)
		assert.Equal(t, tc.tables, pt.Tables()-before, tc.name)
		pte, ok := pt.Walk(tc.va)
		require.True(t, ok, tc.name)
		assert.Equal(t, frame|flags|PTEPresent, *pte, tc.name)
		assert.ErrorIs(t, pt.Map(tc.va, frame, flags), errno.EEXIST, tc.name)
	}
	// Kernel mappings survive in the process page table.
	var kpte *uint64
	for _, va := range []uint64{0x5000, 0x200000, 0x10000000, 1 << 30, 5<<30 + 12345} {
		kpte, ok = pt.Walk(va)
		require.True(t, ok, "%#x", va)
		assert.Zero(t, *kpte&PTEUser, "%#x became user", va)
	}
	// A 1 GiB kernel page where a user page goes is replaced: GiB 3.
	require.NoError(t, pt.Map(3<<30, frame, flags))
	_, ok = pt.Walk(3<<30 + PageSize)
	assert.False(t, ok, "rest of the replaced huge page is empty")
	kpte, _ = pt.Walk(3<<30 + 4<<20)
	assert.Nil(t, kpte, "no table there")

	// Upper-level entries with PTEUser point to tables we own.
	root := table(e.mem, pt.Root)
	assert.NotZero(t, root[0]&PTEUser)
	assert.NotEqual(t, uint64(kPDPT), root[0]&PTEAddrMask)
	assert.Equal(t, e.kernel[0][1:255], root[1:255], "kernel PML4 entries copied")
	// The cloned PT below 2 MiB kept the kernel's 4 KiB identity pages.
	kpte, ok = pt.Walk(0x1ff000)
	require.True(t, ok)
	assert.Equal(t, uint64(0x1ff000)|PTEPresent|PTEWrite, *kpte)

	assert.ErrorIs(t, pt.Map(0x400001, frame, flags), errno.EINVAL)
	assert.ErrorIs(t, pt.Map(1<<47, frame, flags), errno.EINVAL, "non-canonical")

	// Protect.
	require.NoError(t, pt.Protect(0x400000, PTEUser))
	pte, _ = pt.Walk(0x400000)
	assert.Equal(t, frame|PTEUser|PTEPresent, *pte)
	assert.ErrorIs(t, pt.Protect(0x402000, PTEUser), errno.EFAULT)
	assert.ErrorIs(t, pt.Protect(0x10000000, PTEUser), errno.EFAULT, "kernel page not ours")

	// Unmap.
	pa, ok := pt.Unmap(0x400000)
	assert.True(t, ok)
	assert.Equal(t, frame, pa)
	_, ok = pt.Unmap(0x400000)
	assert.False(t, ok)
	_, ok = pt.Unmap(0x10000000)
	assert.False(t, ok, "kernel mappings are not unmapped")
	_, ok = pt.Walk(0x400000)
	assert.False(t, ok)

	pt.Free()
	e.alloc.Put(frame)
	e.noLeaks(t)
}

func TestPageTablePrune(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	_, err := mm.Mmap(0x40000000-PageSize, 2*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, nil, 0)
	require.ErrorIs(t, err, errno.ENOMEM, "kernel-reserved")
	addr, err := mm.Mmap(0, 4*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	touch(t, mm, addr, 4*PageSize)
	require.Equal(t, 4, mm.pt.Tables()) // root, PDPT, PD, PT
	require.NoError(t, mm.Munmap(addr, PageSize))
	require.Equal(t, 4, mm.pt.Tables())
	require.NoError(t, mm.Munmap(addr, 4*PageSize))
	require.Equal(t, 1, mm.pt.Tables(), "empty tables freed")
	mm.Release()
	e.noLeaks(t)
}

func TestPageTableNX(t *testing.T) {
	e := newEnv(t, 64)
	// A kernel upper-level NX entry: cloning pushes NX down to kernel leaves.
	table(e.mem, kPML4)[0] |= PTENX
	pt, err := NewPageTable(e.alloc, e.kroot)
	require.NoError(t, err)
	f, _ := e.alloc.Alloc()
	require.NoError(t, pt.Map(0x400000, f, PTEUser))
	pte, ok := pt.Walk(1 << 30)
	require.True(t, ok)
	assert.NotZero(t, *pte&PTENX)
	pt.Free()
	e.alloc.Put(f)
	table(e.mem, kPML4)[0] &^= PTENX
	e.noLeaks(t)
}
