package proc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/mm"
)

func TestMremapSyscalls(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	const pg = mm.PageSize
	addr, err := u.call(SYS_mmap, 0, 2*pg, mm.PROT_READ|mm.PROT_WRITE, mm.MAP_PRIVATE|mm.MAP_ANONYMOUS, ^uint64(0), 0)
	require.NoError(t, err)
	require.NoError(t, u.MM.CopyOut(addr+pg, []byte("moved")))

	// Grow by moving (the scratch mapping sits right above), contents kept.
	got, err := u.call(SYS_mremap, addr, 2*pg, 64*pg, mm.MREMAP_MAYMOVE, 0)
	require.NoError(t, err)
	assert.Equal(t, "moved", string(u.read(got+pg, 5)))
	_, err = u.call(SYS_mremap, got, 64*pg, 128*pg, 0, 0)
	assert.Equal(t, errno.ENOMEM, err, "no room to grow in place")
	_, err = u.call(SYS_mremap, got+1, pg, pg, 0, 0)
	assert.Equal(t, errno.EINVAL, err)
	_, err = u.call(SYS_mremap, got, pg, pg, 1<<40|mm.MREMAP_MAYMOVE, 0)
	assert.Equal(t, errno.EINVAL, err, "flags are a full unsigned long")

	vec := u.alloc(64)
	tests := []struct {
		name       string
		nr         uint64
		a0, a1, a2 uint64
		err        error
	}{
		{"msync", SYS_msync, got, 64 * pg, mm.MS_SYNC, nil},
		{"msync unaligned", SYS_msync, got + 1, pg, mm.MS_SYNC, errno.EINVAL},
		{"msync flags are an int", SYS_msync, got, pg, 1<<32 | mm.MS_SYNC, nil},
		{"msync unmapped", SYS_msync, addr, pg, mm.MS_ASYNC, errno.ENOMEM},
		{"mincore", SYS_mincore, got, 64 * pg, vec, nil},
		{"mincore partial page", SYS_mincore, got, 1, vec, nil},
		{"mincore length 0", SYS_mincore, got, 0, vec, nil},
		{"mincore unaligned", SYS_mincore, got + 8, pg, vec, errno.EINVAL},
		{"mincore past user space", SYS_mincore, mm.TaskSize - pg, 2 * pg, vec, errno.ENOMEM},
		{"mincore unmapped", SYS_mincore, addr, pg, vec, errno.ENOMEM},
		{"mincore vec outside user space", SYS_mincore, got, pg, 0xffff800000000000, errno.EFAULT},
		{"mincore vec not mapped", SYS_mincore, got, pg, addr, errno.EFAULT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(tc.nr, tc.a0, tc.a1, tc.a2)
			assert.Equal(t, tc.err, err)
		})
	}
	_, err = u.call(SYS_mincore, got, 3*pg, vec)
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 1, 0}, u.read(vec, 3))

	// Up to a hole: the bytes before it are written, then ENOMEM.
	_, err = u.call(SYS_munmap, got+2*pg, pg)
	require.NoError(t, err)
	u.MM.CopyOut(vec, []byte{9, 9, 9})
	_, err = u.call(SYS_mincore, got, 3*pg, vec)
	assert.Equal(t, errno.ENOMEM, err)
	assert.Equal(t, []byte{0, 1, 9}, u.read(vec, 3))
}
