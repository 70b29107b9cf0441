package proc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

func TestKcmpAndUnshare(t *testing.T) {
	h := newHarness(t)
	p := h.newTask(t)
	c := h.fork(t, p.Task)
	kcmp := func(a, b *utask, typ uint64) (uint64, error) {
		return a.call(SYS_kcmp, uint64(a.PID), uint64(b.PID), typ, 0, 0)
	}
	for _, tc := range []struct {
		name  string
		typ   uint64
		equal bool
	}{
		{"vm", KCMP_VM, false},
		{"files", KCMP_FILES, false},
		{"fs", KCMP_FS, false},
		{"sighand", KCMP_SIGHAND, false},
		{"sysvsem: none yet on both", KCMP_SYSVSEM, true},
	} {
		r, err := kcmp(p, c, tc.typ)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.equal, r == 0, tc.name)
	}
	_, err := kcmp(p, c, 99)
	assert.Equal(t, errno.EINVAL, err)

	// A CLONE_FS|CLONE_FILES child shares both until it unshares them.
	child, err := h.k.KernelClone(p.Task, CloneArgs{Flags: CLONE_FS | CLONE_FILES, ExitSignal: SIGCHLD})
	require.NoError(t, err)
	s := &utask{Task: child, h: h, base: p.base, next: p.next}
	for _, typ := range []uint64{KCMP_FS, KCMP_FILES} {
		r, err := kcmp(p, s, typ)
		require.NoError(t, err)
		assert.Zero(t, r, "shared: %d", typ)
	}
	d, err := h.k.VFS.Lookup(nil, "/tmp")
	require.NoError(t, err)
	h.k.setCwd(child, d)
	assert.Equal(t, d, h.k.cwd(p.Task), "a CLONE_FS child's chdir moves the parent")
	_, err = s.call(SYS_unshare, CLONE_FS|CLONE_FILES)
	require.NoError(t, err)
	for _, typ := range []uint64{KCMP_FS, KCMP_FILES} {
		r, err := kcmp(p, s, typ)
		require.NoError(t, err)
		assert.NotZero(t, r, "unshared: %d", typ)
	}
	h.k.setCwd(child, h.k.VFS.Root())
	assert.Equal(t, d, h.k.cwd(p.Task), "no longer")
	_, err = s.call(SYS_unshare, CLONE_NEWNS)
	assert.Equal(t, errno.EINVAL, err, "no namespaces")
}
