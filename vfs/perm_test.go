package vfs

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

// testCred is a caller's credentials for the tests.
type testCred struct {
	uid, gid uint32
	groups   []uint32
	caps     []int
}

func (c *testCred) FSIDs() (uint32, uint32) { return c.uid, c.gid }
func (c *testCred) InGroup(g uint32) bool   { return g == c.gid || slices.Contains(c.groups, g) }
func (c *testCred) Capable(cap int) bool    { return slices.Contains(c.caps, cap) }
func (c *testCred) FSCred() Cred            { return c }

var (
	alice = &testCred{uid: 1000, gid: 1000}
	bob   = &testCred{uid: 1001, gid: 1001, groups: []uint32{1000}}
	eve   = &testCred{uid: 1002, gid: 1002}
)

func TestGenericPermission(t *testing.T) {
	file := &Inode{Mode: S_IFREG | 0o640, UID: 1000, GID: 1000}
	noexec := &Inode{Mode: S_IFREG | 0o600, UID: 1000, GID: 1000}
	dir := &Inode{Mode: S_IFDIR | 0o700, UID: 1000, GID: 1000}
	ownerLess := &Inode{Mode: S_IFREG | 0o077, UID: 1000, GID: 1000}
	for _, tc := range []struct {
		name string
		cred Cred
		ino  *Inode
		mask uint32
		err  error
	}{
		{"owner reads", alice, file, MAY_READ, nil},
		{"owner writes", alice, file, MAY_WRITE, nil},
		{"owner cannot execute", alice, file, MAY_EXEC, errno.EACCES},
		{"group member reads", bob, file, MAY_READ, nil},
		{"group member cannot write", bob, file, MAY_WRITE, errno.EACCES},
		{"others cannot read", eve, file, MAY_READ, errno.EACCES},
		{"the owner's bits alone count for the owner", alice, ownerLess, MAY_READ, errno.EACCES},
		{"root reads anything", kernelCred{}, file, MAY_READ | MAY_WRITE, nil},
		{"root executes only with an x bit", kernelCred{}, noexec, MAY_EXEC, errno.EACCES},
		{"root searches any directory", kernelCred{}, dir, MAY_EXEC | MAY_WRITE, nil},
		{"others cannot search", eve, dir, MAY_EXEC, errno.EACCES},
		{"DAC_READ_SEARCH reads", &testCred{uid: 5, caps: []int{CAP_DAC_READ_SEARCH}}, file, MAY_READ, nil},
		{"DAC_READ_SEARCH does not write", &testCred{uid: 5, caps: []int{CAP_DAC_READ_SEARCH}}, file, MAY_WRITE, errno.EACCES},
		{"DAC_READ_SEARCH searches", &testCred{uid: 5, caps: []int{CAP_DAC_READ_SEARCH}}, dir, MAY_EXEC | MAY_READ, nil},
	} {
		assert.Equal(t, tc.err, genericPermission(tc.cred, tc.ino, tc.mask), tc.name)
	}
}

func TestPermissionsOnPaths(t *testing.T) {
	v, _ := newFS(t)
	root, a, b := v.As(nil), v.As(alice), v.As(bob)
	require.NoError(t, root.Mkdir(nil, "/tmp/home", 0o755))
	home, err := v.Lookup(nil, "/tmp/home")
	require.NoError(t, err)
	require.NoError(t, root.Chown(home, 1000, 1000))

	// Alice's files belong to her.
	require.NoError(t, a.Mkdir(nil, "/tmp/home/private", 0o700))
	ino, err := a.Open(nil, "/tmp/home/private/f", fs.O_CREAT|fs.O_WRONLY, 0o644)
	require.NoError(t, err)
	st := v.Stat(ino)
	assert.Equal(t, []uint32{1000, 1000}, []uint32{st.UID, st.GID})

	// Bob cannot search her private directory or make files in her home.
	_, err = b.Open(nil, "/tmp/home/private/f", fs.O_RDONLY, 0)
	assert.Equal(t, errno.EACCES, err, "search permission on the way")
	_, err = b.Open(nil, "/tmp/home/g", fs.O_CREAT|fs.O_WRONLY, 0o644)
	assert.Equal(t, errno.EACCES, err, "no write permission on the directory")
	assert.Equal(t, errno.EACCES, b.Mkdir(nil, "/tmp/home/d", 0o755))
	assert.Equal(t, errno.EACCES, b.Unlink(nil, "/tmp/home/private"), "EACCES before EISDIR")
	assert.Equal(t, errno.EACCES, b.Access(nil, "/tmp/home/private/f", 0))
	assert.NoError(t, b.Access(nil, "/tmp/home", R_OK|X_OK))
	assert.Equal(t, errno.EACCES, b.Access(nil, "/tmp/home", W_OK))

	// Chmod is the owner's; chown needs CAP_CHOWN.
	assert.Equal(t, errno.EPERM, b.Chmod(home, 0o777))
	require.NoError(t, a.Chmod(ino, 0o600))
	assert.Equal(t, errno.EPERM, a.Chown(ino, 1001, ^uint32(0)), "giving a file away")
	assert.Equal(t, errno.EPERM, a.Chown(ino, ^uint32(0), 1001), "a group she is not in")
	require.NoError(t, a.Chown(ino, 1000, ^uint32(0)), "chown to herself is allowed")

	// The sticky /tmp: Bob may not remove Alice's file there.
	_, err = a.Open(nil, "/tmp/alices", fs.O_CREAT|fs.O_WRONLY, 0o666)
	require.NoError(t, err)
	assert.Equal(t, errno.EPERM, b.Unlink(nil, "/tmp/alices"))
	assert.Equal(t, errno.EPERM, b.Rename(nil, "/tmp/alices", nil, "/tmp/bobs", 0))
	require.NoError(t, a.Unlink(nil, "/tmp/alices"))
}

func TestChownClearsSetID(t *testing.T) {
	v, _ := newFS(t)
	root := v.As(nil)
	ino, err := root.Open(nil, "/tmp/prog", fs.O_CREAT|fs.O_WRONLY, 0o6755)
	require.NoError(t, err)
	require.NoError(t, root.Chown(ino, ^uint32(0), ^uint32(0)))
	assert.Equal(t, uint32(S_IFREG|0o755), v.Stat(ino).Mode, "set-user-ID and group-executable set-group-ID go")
	require.NoError(t, root.Chmod(ino, 0o2645))
	require.NoError(t, root.Chown(ino, 7, 7))
	assert.Equal(t, uint32(S_IFREG|0o2645), v.Stat(ino).Mode, "S_ISGID without group x is mandatory locking: kept")
}

func TestSetgidDirectory(t *testing.T) {
	v, _ := newFS(t)
	root := v.As(nil)
	require.NoError(t, root.Mkdir(nil, "/tmp/shared", 0o2777))
	d, err := v.Lookup(nil, "/tmp/shared")
	require.NoError(t, err)
	require.NoError(t, root.Chown(d, 0, 50))
	require.NoError(t, root.Chmod(d, 0o2777)) // mkdir itself never sets S_ISGID
	a := v.As(alice)
	require.NoError(t, a.Mkdir(nil, "/tmp/shared/sub", 0o755))
	sub, err := v.Lookup(nil, "/tmp/shared/sub")
	require.NoError(t, err)
	st := v.Stat(sub)
	assert.Equal(t, uint32(50), st.GID, "the directory's group")
	assert.NotZero(t, st.Mode&S_ISGID, "a new directory inherits S_ISGID")
	f, err := a.Open(nil, "/tmp/shared/f", fs.O_CREAT|fs.O_WRONLY, 0o2755)
	require.NoError(t, err)
	assert.Zero(t, v.Stat(f).Mode&S_ISGID, "not in group 50, no CAP_FSETID: S_ISGID dropped")
}

func TestUtimes(t *testing.T) {
	v, _ := newFS(t)
	root := v.As(nil)
	ino, err := root.Open(nil, "/tmp/f", fs.O_CREAT|fs.O_WRONLY, 0o666)
	require.NoError(t, err)
	require.NoError(t, root.Chown(ino, 1000, 1000))
	for _, tc := range []struct {
		name       string
		cred       Cred
		at, mt     int64
		err        error
		wantA, wan int64
	}{
		{"owner sets explicit times", alice, 5e9, 6e9, nil, 5e9, 6e9},
		{"owner omits one", alice, UTIME_OMIT, 7e9, nil, 5e9, 7e9},
		{"writer may touch", bob, UTIME_NOW, UTIME_NOW, nil, -1, -1},
		{"writer may not set", bob, 1e9, UTIME_NOW, errno.EPERM, 0, 0},
		{"root sets", kernelCred{}, 1e9, 2e9, nil, 1e9, 2e9},
	} {
		err := v.As(tc.cred).Utimes(ino, tc.at, tc.mt)
		assert.Equal(t, tc.err, err, tc.name)
		if err == nil && tc.wantA >= 0 {
			st := v.Stat(ino)
			assert.Equal(t, []int64{tc.wantA, tc.wan}, []int64{st.Atime, st.Mtime}, tc.name)
		}
	}
	require.NoError(t, root.Chmod(ino, 0o644))
	assert.Equal(t, errno.EACCES, v.As(bob).Utimes(ino, UTIME_NOW, UTIME_NOW), "touch needs write permission")
}
