package vfs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

// fakeSynth is a small synthetic filesystem: a file "f", a link "who"
// naming the caller, a link "bin" to /bin, and a link "loop" to itself.
type fakeSynth struct{ v *FS }

func (s *fakeSynth) Lookup(caller any, dir *Inode, name string) (*Inode, error) {
	switch name {
	case "f":
		return s.v.NewSyntheticInode(dir, name, 100, S_IFREG|0o444, 1, nil), nil
	case "who", "bin", "loop":
		return s.v.NewSyntheticInode(dir, name, 101, S_IFLNK|0o777, 1, name), nil
	}
	return nil, errno.ENOENT
}

func (s *fakeSynth) Readdir(dir *Inode) ([]Dirent, error) {
	return []Dirent{{100, DT_REG, "f"}, {101, DT_LNK, "who"}}, nil
}

func (s *fakeSynth) Open(ino *Inode, flags int) (fs.File, error) { return nullFile{}, nil }

func (s *fakeSynth) Readlink(caller any, ino *Inode) (string, error) {
	switch ino.Private {
	case "who":
		if caller == nil {
			return "", errno.ENOENT
		}
		return caller.(string), nil
	case "bin":
		return "/bin", nil
	}
	return "loop", nil
}

func TestSyntheticMount(t *testing.T) {
	v, _ := newFS(t)
	s := &fakeSynth{v: v}
	root := v.Mount("syn", 0o555, Mkdev(0, 99), s)
	assert.Equal(t, "/syn", v.Path(root))

	ino, err := v.Lookup(nil, "/syn/f")
	require.NoError(t, err)
	assert.Equal(t, uint64(100), ino.Ino)
	st := v.Stat(ino)
	assert.Equal(t, Mkdev(0, 99), st.Dev)
	assert.Zero(t, st.Size)

	// Links: followed in the middle of a path and at the end, not by
	// lstat; the caller decides where "who" points.
	ino, err = v.LookupAs(nil, nil, "/syn/bin/../bin", false)
	require.NoError(t, err)
	assert.Equal(t, "/bin", v.Path(ino))
	ino, err = v.LookupAs(nil, nil, "/syn/bin", true)
	require.NoError(t, err)
	assert.True(t, ino.IsLink())
	ino, err = v.LookupAs("f", nil, "/syn/who", false)
	require.NoError(t, err)
	assert.Equal(t, uint64(100), ino.Ino)
	_, err = v.LookupAs(nil, nil, "/syn/who", false)
	assert.Equal(t, errno.ENOENT, err)
	target, err := v.ReadlinkAs("f", nil, "/syn/who")
	require.NoError(t, err)
	assert.Equal(t, "f", target)
	_, err = v.ReadlinkAs(nil, nil, "/syn/f")
	assert.Equal(t, errno.EINVAL, err)
	_, err = v.Lookup(nil, "/syn/loop")
	assert.Equal(t, errno.ELOOP, err)

	// Listing, opening, and what cannot be done there.
	f, err := v.OpenInode(root, fs.O_RDONLY, nil)
	require.NoError(t, err)
	b, err := f.(*Dir).Getdents64(4096)
	require.NoError(t, err)
	assert.Contains(t, string(b), "who")
	ino, err = v.OpenAs(nil, nil, "/syn/f", fs.O_RDONLY|fs.O_CREAT, 0o644)
	require.NoError(t, err)
	_, err = v.OpenInode(ino, fs.O_RDONLY, nil)
	require.NoError(t, err)
	_, err = v.Open(nil, "/syn/new", fs.O_WRONLY|fs.O_CREAT, 0o644)
	assert.Equal(t, errno.ENOENT, err)
	_, err = v.Mknod(nil, "/syn/f", S_IFIFO|0o644, 0)
	assert.Equal(t, errno.EEXIST, err)
	assert.Equal(t, errno.EPERM, v.Unlink(nil, "/syn/f"))
	assert.NoError(t, v.Access(nil, "/syn", W_OK), "root may write there (not EROFS)")
}
