package vfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
)

// build makes a tree from lines "d PATH", "f PATH" or "l PATH TARGET"
// (paths relative to base; nil base: the root).
func build(t testing.TB, v *FS, base *Inode, spec ...string) {
	t.Helper()
	for _, line := range spec {
		w := strings.SplitN(line, " ", 3)
		var err error
		switch w[0] {
		case "d":
			err = v.Mkdir(base, w[1], 0o755)
		case "f":
			_, err = v.Mknod(base, w[1], S_IFREG|0o644, 0)
		case "l":
			err = v.Symlink(w[2], base, w[1])
		}
		require.NoError(t, err, line)
	}
}

// tree is the namespace most tests below start from.
func tree(t *testing.T) (*clockFS, func(string) *Inode) {
	v := newClockFS(t, Config{})
	build(t, v.FS, nil,
		"d /tmp/d", "f /tmp/d/f", "d /tmp/d/sub", "f /tmp/d/sub/g",
		"l /tmp/d/lf f", "l /tmp/d/ld sub", "l /tmp/d/labs /tmp/d/f", "l /tmp/d/dang nope",
		"l /tmp/d/loop loop", "l /tmp/d/sub/back ..", "l /tmp/d/sub/up ../lf", "l /tmp/d/lbin /bin/",
		"l /tmp/d/ping pong", "l /tmp/d/pong ping")
	for i := 1; i <= 41; i++ {
		target := fmt.Sprintf("c%d", i-1)
		if i == 1 {
			target = "f"
		}
		require.NoError(t, v.Symlink(target, nil, fmt.Sprintf("/tmp/d/c%d", i)))
	}
	get := func(p string) *Inode {
		ino, err := v.LookupNoFollow(nil, p)
		require.NoError(t, err, p)
		return ino
	}
	return v, get
}

func TestSymlinkResolution(t *testing.T) {
	v, get := tree(t)
	d := get("/tmp/d")
	tests := []struct {
		base   *Inode
		path   string
		follow bool
		want   string // the path of the inode found (looked up without following)
		err    error
	}{
		{nil, "/tmp/d/lf", true, "/tmp/d/f", nil},
		{nil, "/tmp/d/lf", false, "/tmp/d/lf", nil},
		{d, "lf", true, "/tmp/d/f", nil},
		{nil, "/tmp/d/labs", true, "/tmp/d/f", nil},
		{nil, "/tmp/d/ld/g", false, "/tmp/d/sub/g", nil},
		{nil, "/tmp/d/ld", false, "/tmp/d/ld", nil},
		{nil, "/tmp/d/ld/", false, "/tmp/d/sub", nil}, // a trailing slash follows
		{nil, "/tmp/d/ld/.", false, "/tmp/d/sub", nil},
		{nil, "/tmp/d/ld/..", true, "/tmp/d", nil}, // ".." of the target
		{nil, "/tmp/d/sub/back/f", true, "/tmp/d/f", nil},
		{nil, "/tmp/d/sub/up", true, "/tmp/d/f", nil}, // two links in a row
		{nil, "/tmp/d/lbin/cat", true, "/bin/cat", nil},
		{nil, "/tmp/d/lf/", true, "", errno.ENOTDIR},
		{nil, "/tmp/d/lf/x", true, "", errno.ENOTDIR},
		{nil, "/tmp/d/dang", true, "", errno.ENOENT},
		{nil, "/tmp/d/dang", false, "/tmp/d/dang", nil},
		{nil, "/tmp/d/dang/", false, "", errno.ENOENT},
		{nil, "/tmp/d/loop", true, "", errno.ELOOP},
		{nil, "/tmp/d/loop", false, "/tmp/d/loop", nil},
		{nil, "/tmp/d/loop/x", false, "", errno.ELOOP},
		{nil, "/tmp/d/ping", true, "", errno.ELOOP},
		{nil, "/tmp/d/c40", true, "/tmp/d/f", nil}, // 40 links
		{nil, "/tmp/d/c41", true, "", errno.ELOOP}, // 41
		{nil, "/tmp/d/c41", false, "/tmp/d/c41", nil},
		{nil, "/tmp/d/c20/../d/c20", true, "", errno.ENOTDIR}, // c20 is a file
		{nil, "/tmp/d/ld/back/ld/back/lf", true, "/tmp/d/f", nil},
		{nil, "/tmp/d/" + strings.Repeat("a", 256), true, "", errno.ENAMETOOLONG},
		{nil, "/tmp/nope/" + strings.Repeat("a", 256), true, "", errno.ENOENT},
	}
	for _, tc := range tests {
		var ino *Inode
		var err error
		if tc.follow {
			ino, err = v.Lookup(tc.base, tc.path)
		} else {
			ino, err = v.LookupNoFollow(tc.base, tc.path)
		}
		assert.Equal(t, tc.err, err, "%s follow=%v", tc.path, tc.follow)
		if tc.err == nil && err == nil {
			assert.Same(t, get(tc.want), ino, "%s follow=%v", tc.path, tc.follow)
		}
	}

	// The 40 links are per lookup: a path through two chains of 21.
	build(t, v.FS, nil, "d /tmp/e", "l /tmp/e/x1 .")
	for i := 2; i <= 21; i++ {
		build(t, v.FS, nil, fmt.Sprintf("l /tmp/e/x%d x%d", i, i-1))
	}
	_, err := v.Lookup(nil, "/tmp/e/x20/x20")
	assert.NoError(t, err, "40 links in two chains")
	_, err = v.Lookup(nil, "/tmp/e/x20/x21")
	assert.Equal(t, errno.ELOOP, err, "41 links in two chains")

	s := v.Stat(get("/tmp/d/labs"))
	assert.Equal(t, uint32(S_IFLNK|0o777), s.Mode)
	assert.Equal(t, int64(len("/tmp/d/f")), s.Size)
	assert.Zero(t, s.Blocks, "a short link lives in the inode")
	build(t, v.FS, nil, "l /tmp/long "+strings.Repeat("x/", 100))
	assert.Equal(t, int64(8), v.Stat(get("/tmp/long")).Blocks)

	for _, tc := range []struct {
		path, want string
		err        error
	}{
		{"/tmp/d/lf", "f", nil},
		{"/tmp/d/labs", "/tmp/d/f", nil},
		{"/tmp/d/dang", "nope", nil},
		{"/tmp/d/f", "", errno.EINVAL},
		{"/tmp/d/ld/", "", errno.EINVAL}, // followed: a directory
		{"/tmp/d/nope", "", errno.ENOENT},
		{"/tmp/d/sub/up", "../lf", nil},
	} {
		got, err := v.Readlink(nil, tc.path)
		assert.Equal(t, tc.err, err, tc.path)
		assert.Equal(t, tc.want, got, tc.path)
	}

	assert.NoError(t, v.Access(nil, "/tmp/d/lf", R_OK|W_OK))
	assert.Equal(t, errno.ENOENT, v.Access(nil, "/tmp/d/dang", F_OK))
	assert.NoError(t, v.AccessAt(nil, "/tmp/d/dang", F_OK, false))
	assert.Equal(t, errno.EROFS, v.Access(nil, "/tmp/d/lbin/cat", W_OK))
}

func TestSymlinkMake(t *testing.T) {
	for _, tc := range []struct {
		target, path string
		err          error
	}{
		{"x", "/tmp/new", nil},
		{"", "/tmp/new", errno.ENOENT},
		{strings.Repeat("x", PATH_MAX), "/tmp/new", errno.ENAMETOOLONG},
		{strings.Repeat("x", PATH_MAX-1), "/tmp/new", nil},
		{"x", "/tmp/d", errno.EEXIST},
		{"x", "/tmp/d/dang", errno.EEXIST},
		{"x", "/tmp/new/", errno.ENOENT},
		{"x", "/tmp/d/lf/x", errno.ENOTDIR},
		{"x", "/bin/x", errno.EROFS},
		{"x", "/bin/cat", errno.EEXIST},
		{"x", "/tmp/d/ld/new", nil}, // through a link to a directory
		{"x", "/tmp/.", errno.EEXIST},
	} {
		v, _ := tree(t)
		assert.Equal(t, tc.err, v.Symlink(tc.target, nil, tc.path), "%.20s %s", tc.target, tc.path)
	}
}

func TestOpenThroughLinks(t *testing.T) {
	const (
		rd = fs.O_RDONLY
		wr = fs.O_WRONLY
	)
	tests := []struct {
		path  string
		flags int
		want  string // what was opened (or made)
		err   error
	}{
		{"/tmp/d/lf", rd, "/tmp/d/f", nil},
		{"/tmp/d/lf", rd | O_NOFOLLOW, "", errno.ELOOP},
		{"/tmp/d/lf", wr | fs.O_CREAT | O_NOFOLLOW, "", errno.ELOOP},
		{"/tmp/d/ld/g", rd | O_NOFOLLOW, "/tmp/d/sub/g", nil},
		{"/tmp/d/ld", rd | fs.O_DIRECTORY | O_NOFOLLOW, "", errno.ENOTDIR},
		{"/tmp/d/ld/", rd | O_NOFOLLOW, "/tmp/d/sub", nil},
		{"/tmp/d/dang", rd, "", errno.ENOENT},
		{"/tmp/d/dang", wr | fs.O_CREAT, "/tmp/d/nope", nil},
		{"/tmp/d/dang", wr | fs.O_CREAT | fs.O_EXCL, "", errno.EEXIST},
		{"/tmp/d/lf", wr | fs.O_CREAT, "/tmp/d/f", nil},
		{"/tmp/d/ld", wr | fs.O_CREAT, "", errno.EISDIR},
		{"/tmp/d/loop", wr | fs.O_CREAT, "", errno.ELOOP},
		{"/tmp/d/c41", wr | fs.O_CREAT, "", errno.ELOOP},
		{"/tmp/d/c40", wr | fs.O_CREAT, "/tmp/d/f", nil},
		{"/tmp/d/lbin/new", wr | fs.O_CREAT, "", errno.EROFS},
		{"/tmp/d/lbin/cat", rd | fs.O_CREAT, "/bin/cat", nil},
		{"/tmp/d/f/", wr | fs.O_CREAT, "", errno.EISDIR},
		{"/tmp/d/f", wr | fs.O_CREAT | fs.O_DIRECTORY, "", errno.EINVAL},
		{"/tmp/d/f", rd | fs.O_DIRECTORY, "", errno.ENOTDIR},
		{"/tmp/d/new/x", wr | fs.O_CREAT, "", errno.ENOENT},
	}
	for _, tc := range tests {
		v, get := tree(t)
		ino, err := v.Open(nil, tc.path, tc.flags, 0o600)
		assert.Equal(t, tc.err, err, "%s %#x", tc.path, tc.flags)
		if tc.err == nil && err == nil {
			assert.Same(t, get(tc.want), ino, "%s %#x", tc.path, tc.flags)
		}
	}
	// A file made through a dangling link has the mode asked for.
	v, get := tree(t)
	_, err := v.Open(nil, "/tmp/d/dang", fs.O_WRONLY|fs.O_CREAT, 0o640)
	require.NoError(t, err)
	assert.Equal(t, uint32(S_IFREG|0o640), v.Stat(get("/tmp/d/nope")).Mode)
}

func TestTmpfile(t *testing.T) {
	for _, tc := range []struct {
		path  string
		flags int
		err   error
	}{
		{"/tmp", O_TMPFILE | fs.O_RDWR, nil},
		{"/tmp/d/ld", O_TMPFILE | fs.O_WRONLY, nil},
		{"/dev", O_TMPFILE | fs.O_WRONLY, nil},
		{"/tmp/d/ld", O_TMPFILE | fs.O_WRONLY | O_NOFOLLOW, errno.ENOTDIR},
		{"/tmp", O_TMPFILE | fs.O_RDONLY, errno.EINVAL},
		{"/tmp", O__TMPFILE | fs.O_RDWR, errno.EINVAL},
		{"/tmp", O_TMPFILE | fs.O_RDWR | fs.O_CREAT, errno.EINVAL},
		{"/tmp/d/f", O_TMPFILE | fs.O_RDWR, errno.ENOTDIR},
		{"/tmp/nope", O_TMPFILE | fs.O_RDWR, errno.ENOENT},
		{"/", O_TMPFILE | fs.O_RDWR, errno.EROFS},
	} {
		v, _ := tree(t)
		_, err := v.Open(nil, tc.path, tc.flags, 0o600)
		assert.Equal(t, tc.err, err, "%s %#x", tc.path, tc.flags)
	}

	v, get := tree(t)
	f := openFile(t, v.FS, "/tmp", O_TMPFILE|fs.O_RDWR)
	ino := f.Inode()
	s := v.Stat(ino)
	assert.Equal(t, uint32(S_IFREG|0o644), s.Mode)
	assert.Zero(t, s.Nlink)
	assert.Equal(t, devTmp, s.Dev)
	f.Write([]byte("unnamed"))
	require.NoError(t, v.LinkInode(ino, nil, "/tmp/named"))
	assert.Same(t, ino, get("/tmp/named"))
	assert.Equal(t, uint64(1), v.Stat(ino).Nlink)
	require.NoError(t, v.Unlink(nil, "/tmp/named"))
	assert.Equal(t, errno.ENOENT, v.LinkInode(ino, nil, "/tmp/named"), "linkable only until it was named once")
	f.Release()
	used, _ := v.TmpfsUsage()
	assert.Zero(t, used, "the last close freed it")

	g := openFile(t, v.FS, "/tmp", O_TMPFILE|fs.O_RDWR|fs.O_EXCL)
	assert.Equal(t, errno.ENOENT, v.LinkInode(g.Inode(), nil, "/tmp/named"))
	assert.Equal(t, errno.EXDEV, v.LinkInode(openFile(t, v.FS, "/dev", O_TMPFILE|fs.O_RDWR).Inode(), nil, "/tmp/named"))
}

func TestMkdirRmdir(t *testing.T) {
	v, get := tree(t)
	tmp := get("/tmp")
	require.NoError(t, v.Mkdir(tmp, "m", 0o1777))
	s := v.Stat(get("/tmp/m"))
	assert.Equal(t, uint32(S_IFDIR|0o1777), s.Mode)
	assert.Equal(t, uint64(2), s.Nlink)
	assert.Equal(t, uint64(4), v.Stat(tmp).Nlink, "/tmp: 2 + d + m")
	for _, tc := range []struct {
		path string
		err  error
	}{
		{"/tmp/m/a/", nil},
		{"/tmp/m", errno.EEXIST},
		{"/tmp/d/dang", errno.EEXIST},
		{"/tmp/d/f", errno.EEXIST},
		{"/tmp/no/a", errno.ENOENT},
		{"/tmp/d/f/a", errno.ENOTDIR},
		{"/tmp/d/ld/a", nil},
		{"/tmp/m/..", errno.EEXIST},
		{"/", errno.EEXIST},
		{"/bin", errno.EEXIST},
		{"/new", errno.EROFS},
		{"/tmp/" + strings.Repeat("n", 256), errno.ENAMETOOLONG},
		{"/dev/dir", nil},
	} {
		assert.Equal(t, tc.err, v.Mkdir(nil, tc.path, 0o755), tc.path)
	}
	assert.Equal(t, uint64(3), v.Stat(get("/tmp/m")).Nlink)

	for _, tc := range []struct {
		path string
		err  error
	}{
		{"/tmp/m", errno.ENOTEMPTY},
		{"/tmp/m/.", errno.EINVAL},
		{"/tmp/m/a/..", errno.ENOTEMPTY},
		{"/", errno.EBUSY},
		{"/tmp", errno.EROFS},
		{"/bin", errno.EROFS},
		{"/tmp/d/f", errno.ENOTDIR},
		{"/tmp/d/ld", errno.ENOTDIR},
		{"/tmp/m/nope", errno.ENOENT},
		{"/tmp/d/ld/a/", nil}, // through a link, trailing slash
		{"/tmp/m/a", nil},
		{"/tmp/m", nil},
		{"/tmp/m", errno.ENOENT},
	} {
		assert.Equal(t, tc.err, v.Rmdir(nil, tc.path), tc.path)
	}
	assert.Equal(t, uint64(3), v.Stat(tmp).Nlink)

	// A removed directory: dead, no links, nothing made in it, "..".
	require.NoError(t, v.Mkdir(nil, "/tmp/gone", 0o755))
	gone := get("/tmp/gone")
	dir, err := v.OpenInode(gone, fs.O_RDONLY, nil)
	require.NoError(t, err)
	require.NoError(t, v.Rmdir(nil, "/tmp/gone"))
	assert.Equal(t, uint64(0), v.Stat(gone).Nlink)
	assert.Equal(t, "", v.Path(gone))
	_, err = v.Mknod(gone, "x", S_IFREG|0o644, 0)
	assert.Equal(t, errno.ENOENT, err)
	assert.Equal(t, errno.ENOENT, v.Mkdir(gone, "x", 0o755))
	_, err = v.Open(gone, "x", fs.O_CREAT|fs.O_WRONLY, 0o644)
	assert.Equal(t, errno.ENOENT, err)
	up, err := v.Lookup(gone, "..")
	assert.NoError(t, err)
	assert.Same(t, tmp, up)
	_, err = dir.(*Dir).Getdents64(4096)
	assert.Equal(t, errno.ENOENT, err)
}

func TestLink(t *testing.T) {
	tests := []struct {
		old    string
		follow bool
		new    string
		err    error
	}{
		{"/tmp/d/f", false, "/tmp/h", nil},
		{"/tmp/d/lf", false, "/tmp/h", nil}, // the link itself
		{"/tmp/d/lf", true, "/tmp/h", nil},  // its target
		{"/tmp/d/dang", true, "/tmp/h", errno.ENOENT},
		{"/tmp/d/nope", false, "/tmp/h", errno.ENOENT},
		{"/tmp/d/f", false, "/tmp/d/lf", errno.EEXIST},
		{"/tmp/d/f", false, "/tmp/d", errno.EEXIST},
		{"/tmp/d/f", false, "/tmp/h/", errno.ENOENT},
		{"/tmp/d/f", false, "/tmp/no/h", errno.ENOENT},
		{"/tmp/d", false, "/tmp/h", errno.EPERM},
		{"/tmp/d/f", false, "/dev/h", errno.EXDEV},
		{"/bin/cat", false, "/tmp/cat", errno.EXDEV},
		{"/bin/cat", false, "/bin/cat2", errno.EROFS},
		{"/dev/null", false, "/dev/null2", nil},
		{"/tmp/d/f", false, "/tmp/.", errno.EEXIST},
	}
	for _, tc := range tests {
		v, get := tree(t)
		err := v.Link(nil, tc.old, tc.follow, nil, tc.new)
		assert.Equal(t, tc.err, err, "%s %s", tc.old, tc.new)
		if tc.err == nil && err == nil {
			var want *Inode
			if tc.follow {
				want, _ = v.Lookup(nil, tc.old)
			} else {
				want = get(tc.old)
			}
			got := get(tc.new)
			assert.Same(t, want, got)
			assert.Equal(t, uint64(2), v.Stat(got).Nlink)
		}
	}
	// An unlinked open file cannot be linked again; a linked one can.
	v, get := tree(t)
	f := get("/tmp/d/f")
	require.NoError(t, v.LinkInode(f, nil, "/tmp/again"))
	require.NoError(t, v.Unlink(nil, "/tmp/again"))
	require.NoError(t, v.Unlink(nil, "/tmp/d/f"))
	assert.Equal(t, errno.ENOENT, v.LinkInode(f, nil, "/tmp/again"))
}

func TestRename(t *testing.T) {
	tests := []struct {
		name     string
		old, new string
		flags    uint32
		err      error
		check    func(t *testing.T, v *clockFS, get func(string) *Inode)
	}{
		{"file to a new name", "/tmp/d/f", "/tmp/d/f2", 0, nil, func(t *testing.T, v *clockFS, get func(string) *Inode) {
			_, err := v.LookupNoFollow(nil, "/tmp/d/f")
			assert.Equal(t, errno.ENOENT, err)
			assert.True(t, get("/tmp/d/f2").IsReg())
		}},
		{"file over a file", "/tmp/d/f", "/tmp/d/sub/g", 0, nil, nil},
		{"file over a link", "/tmp/d/f", "/tmp/d/lf", 0, nil, func(t *testing.T, v *clockFS, get func(string) *Inode) {
			assert.True(t, get("/tmp/d/lf").IsReg())
		}},
		{"a link is moved, not followed", "/tmp/d/ld", "/tmp/ld2", 0, nil, func(t *testing.T, v *clockFS, get func(string) *Inode) {
			assert.True(t, get("/tmp/ld2").IsLink())
			_, err := v.Lookup(nil, "/tmp/ld2/g")
			assert.Equal(t, errno.ENOENT, err, "relative target: now from /tmp")
		}},
		{"directory to another parent", "/tmp/d/sub", "/tmp/sub", 0, nil, func(t *testing.T, v *clockFS, get func(string) *Inode) {
			assert.Equal(t, uint64(2), v.Stat(get("/tmp/d")).Nlink)
			assert.Equal(t, uint64(5), v.Stat(get("/tmp")).Nlink, "2 + d + e + sub")
			up, _ := v.Lookup(nil, "/tmp/sub/..")
			assert.Same(t, get("/tmp"), up)
			assert.Equal(t, "/tmp/sub", v.Path(get("/tmp/sub")))
		}},
		{"directory over an empty one", "/tmp/d/sub", "/tmp/e", 0, nil, func(t *testing.T, v *clockFS, get func(string) *Inode) {
			assert.Equal(t, uint64(4), v.Stat(get("/tmp")).Nlink, "2 + d + e (now sub)")
			assert.Equal(t, uint64(2), v.Stat(get("/tmp/d")).Nlink)
		}},
		{"same inode: nothing", "/tmp/d/f", "/tmp/d/hard", 0, nil, func(t *testing.T, v *clockFS, get func(string) *Inode) {
			assert.Same(t, get("/tmp/d/f"), get("/tmp/d/hard"))
		}},
		{"to itself", "/tmp/d", "/tmp/d", 0, nil, nil},
		{"file over a directory", "/tmp/d/f", "/tmp/e", 0, errno.EISDIR, nil},
		{"directory over a file", "/tmp/e", "/tmp/d/f", 0, errno.ENOTDIR, nil},
		{"directory over a non-empty one", "/tmp/e", "/tmp/d", 0, errno.ENOTEMPTY, nil},
		{"directory into itself", "/tmp/d", "/tmp/d/sub/x", 0, errno.EINVAL, nil},
		{"directory onto its parent", "/tmp/d/sub", "/tmp/d", 0, errno.ENOTEMPTY, nil},
		{"file onto its ancestor", "/tmp/d/sub/g", "/tmp/d", 0, errno.ENOTEMPTY, nil},
		{"missing source", "/tmp/d/nope", "/tmp/x", 0, errno.ENOENT, nil},
		{"missing target directory", "/tmp/d/f", "/tmp/no/x", 0, errno.ENOENT, nil},
		{"file with a trailing slash", "/tmp/d/f/", "/tmp/x", 0, errno.ENOTDIR, nil},
		{"to a name with a trailing slash", "/tmp/d/f", "/tmp/x/", 0, errno.ENOTDIR, nil},
		{"directory with trailing slashes", "/tmp/d/sub/", "/tmp/x/", 0, nil, nil},
		{"from \".\"", "/tmp/d/.", "/tmp/x", 0, errno.EBUSY, nil},
		{"to \"..\"", "/tmp/d/f", "/tmp/d/sub/..", 0, errno.EBUSY, nil},
		{"to \"..\" with NOREPLACE", "/tmp/d/f", "/tmp/d/sub/..", RENAME_NOREPLACE, errno.EEXIST, nil},
		{"across mounts", "/tmp/d/f", "/dev/f", 0, errno.EXDEV, nil},
		{"a mount point", "/tmp", "/tmp2", 0, errno.EROFS, nil},
		{"read-only", "/bin/cat", "/bin/dog", 0, errno.EROFS, nil},
		{"NOREPLACE over a name", "/tmp/d/f", "/tmp/d/lf", RENAME_NOREPLACE, errno.EEXIST, nil},
		{"NOREPLACE to a new name", "/tmp/d/f", "/tmp/d/f3", RENAME_NOREPLACE, nil, nil},
		{"EXCHANGE file and directory", "/tmp/d/f", "/tmp/e", RENAME_EXCHANGE, nil, func(t *testing.T, v *clockFS, get func(string) *Inode) {
			assert.True(t, get("/tmp/d/f").IsDir())
			assert.True(t, get("/tmp/e").IsReg())
			assert.Equal(t, uint64(4), v.Stat(get("/tmp/d")).Nlink, "d gained e's \"..\"")
			assert.Equal(t, uint64(3), v.Stat(get("/tmp")).Nlink, "/tmp lost it")
			up, _ := v.Lookup(nil, "/tmp/d/f/..")
			assert.Same(t, get("/tmp/d"), up)
		}},
		{"EXCHANGE two directories", "/tmp/d", "/tmp/e", RENAME_EXCHANGE, nil, func(t *testing.T, v *clockFS, get func(string) *Inode) {
			assert.True(t, get("/tmp/e/f").IsReg())
		}},
		{"EXCHANGE with a missing target", "/tmp/d/f", "/tmp/x", RENAME_EXCHANGE, errno.ENOENT, nil},
		{"EXCHANGE with an ancestor", "/tmp/d/sub", "/tmp/d", RENAME_EXCHANGE, errno.EINVAL, nil},
		{"EXCHANGE|NOREPLACE", "/tmp/d/f", "/tmp/e", RENAME_EXCHANGE | RENAME_NOREPLACE, errno.EINVAL, nil},
		{"unknown flag", "/tmp/d/f", "/tmp/e", 8, errno.EINVAL, nil},
		{"WHITEOUT", "/tmp/d/f", "/tmp/w", RENAME_WHITEOUT, nil, func(t *testing.T, v *clockFS, get func(string) *Inode) {
			wo := get("/tmp/d/f")
			assert.True(t, wo.IsChr())
			assert.Zero(t, wo.Rdev)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, get := tree(t)
			build(t, v.FS, nil, "d /tmp/e")
			require.NoError(t, v.Link(nil, "/tmp/d/f", false, nil, "/tmp/d/hard"))
			err := v.Rename(nil, tc.old, nil, tc.new, tc.flags)
			assert.Equal(t, tc.err, err)
			if err == nil && tc.check != nil {
				tc.check(t, v, get)
			}
		})
	}

	// The replaced file lives on while open; its name points elsewhere.
	v, get := tree(t)
	g := openFile(t, v.FS, "/tmp/d/sub/g", fs.O_RDWR)
	g.Write([]byte("old g"))
	f := get("/tmp/d/f")
	require.NoError(t, v.Rename(nil, "/tmp/d/f", nil, "/tmp/d/sub/g", 0))
	assert.Equal(t, uint64(0), v.Stat(g.Inode()).Nlink)
	assert.Equal(t, "old g", string(readAll(t, g)))
	assert.Same(t, f, get("/tmp/d/sub/g"))
	assert.Equal(t, "g", f.Name(), "a renamed file's name, for /proc/PID/fd")
	assert.Same(t, get("/tmp/d/sub"), f.Parent())
	require.NoError(t, v.Link(nil, "/tmp/d/sub/g", false, nil, "/tmp/second"))
	assert.Equal(t, "g", f.Name(), "a file keeps its first name")
	assert.Nil(t, g.Inode().Parent(), "no name left")
}

func TestChmod(t *testing.T) {
	v, get := tree(t)
	f := get("/tmp/d/f")
	v.now += 10
	require.NoError(t, v.Chmod(f, 0o170755|0o4000))
	s := v.Stat(f)
	assert.Equal(t, uint32(S_IFREG|0o4755), s.Mode)
	assert.Equal(t, v.now, s.Ctime)
	assert.NotEqual(t, v.now, s.Mtime)
	assert.Equal(t, errno.EROFS, v.Chmod(get("/bin/cat"), 0o644))
	assert.Equal(t, errno.EROFS, v.Chmod(v.Root(), 0o700))
	assert.Equal(t, errno.EOPNOTSUPP, v.Chmod(get("/tmp/d/lf"), 0o600))
	assert.NoError(t, v.Chmod(get("/tmp"), 0o755))
	assert.NoError(t, v.Chmod(get("/dev/null"), 0o600))
	assert.Equal(t, uint32(S_IFCHR|0o600), v.Stat(get("/dev/null")).Mode)
	assert.Same(t, get("/dev/null"), v.InodeOf(nullFile{}))
	assert.Nil(t, v.InodeOf(&fakeConsole{}))
}

// TestGetdentsWhileChanging: entries made or removed during a listing do
// not make the reader miss or repeat the others.
func TestGetdentsWhileChanging(t *testing.T) {
	v, get := tree(t)
	require.NoError(t, v.Mkdir(nil, "/tmp/many", 0o755))
	for i := 0; i < 100; i++ {
		build(t, v.FS, nil, fmt.Sprintf("f /tmp/many/file%03d", i))
	}
	f, err := v.OpenInode(get("/tmp/many"), fs.O_RDONLY, &ipc.FifoOpen{})
	require.NoError(t, err)
	d := f.(*Dir)
	seen := map[string]int{}
	made := 0
	for {
		b, err := d.Getdents64(200) // a few entries at a time
		require.NoError(t, err)
		if len(b) == 0 {
			break
		}
		for _, e := range parseDirents(b) {
			seen[e.name]++
			if strings.HasPrefix(e.name, "file") {
				require.NoError(t, v.Unlink(nil, "/tmp/many/"+e.name))
				build(t, v.FS, nil, fmt.Sprintf("f /tmp/many/new%03d", made))
				made++
			}
		}
		if made > 300 {
			t.Fatal("the listing does not end")
		}
	}
	for i := 0; i < 100; i++ {
		assert.Equal(t, 1, seen[fmt.Sprintf("file%03d", i)], "file%03d", i)
	}
	for name, n := range seen {
		assert.Equal(t, 1, n, name)
	}
	// Seeking back to a d_off goes on from there.
	_, err = d.Seek(0, SEEK_SET)
	require.NoError(t, err)
	b, err := d.Getdents64(4096)
	require.NoError(t, err)
	ents := parseDirents(b)
	require.Greater(t, len(ents), 5)
	_, err = d.Seek(int64(ents[3].off), SEEK_SET)
	require.NoError(t, err)
	b, err = d.Getdents64(4096)
	require.NoError(t, err)
	assert.Equal(t, ents[4].name, parseDirents(b)[0].name)
	for _, e := range ents {
		if e.name == "." || e.name == ".." {
			assert.Equal(t, byte(DT_DIR), e.typ)
		} else {
			assert.Equal(t, byte(DT_REG), e.typ)
		}
	}
	dir, _ := v.OpenInode(get("/tmp/d"), fs.O_RDONLY, nil)
	b, _ = dir.(*Dir).Getdents64(8192)
	types := map[string]byte{}
	for _, e := range parseDirents(b) {
		types[e.name] = e.typ
	}
	assert.Equal(t, byte(DT_LNK), types["lf"])
	assert.Equal(t, byte(DT_DIR), types["sub"])
	assert.Equal(t, byte(DT_REG), types["f"])
}

// FuzzResolve compares path resolution with the host Linux's: the same
// tree, with three symbolic links whose relative targets the fuzzer picks,
// is made here and in a host directory, and a fuzzed path is looked up
// (following the last link and not) and opened with O_CREAT on both. The
// tree hangs below a chain of directories deeper than any resolution can
// climb, so ".." never leaves what both sides share. The fuzzer's bytes
// pick path components from a small alphabet, so that paths mean something.
func FuzzResolve(f *testing.F) {
	f.Add([]byte{1, 2}, []byte{8, 5}, []byte{8}, []byte{5, 6, 1})
	f.Add([]byte{5}, []byte{0}, []byte{1}, []byte{5})
	f.Add([]byte{0, 6, 11}, []byte{8, 8, 2}, []byte{7, 11}, []byte{0, 6, 8, 3})
	f.Add([]byte{2, 11}, []byte{3}, []byte{8, 8, 8, 9, 10, 0}, []byte{0, 1, 7})
	f.Add([]byte{9, 10}, []byte{1, 7}, []byte{0, 1, 7, 7}, []byte{0, 6, 4})
	tokens := []string{"a", "b", "f", "g", "nope", "l1", "l2", "l3", "..", "c", "t", ""}
	decode := func(b []byte) string {
		var w []string
		for _, c := range b {
			w = append(w, tokens[int(c)%len(tokens)])
		}
		return strings.Join(w, "/")
	}
	const depth = 90 // > 40 links × 2 ".." + 2
	chain := strings.Repeat("c/", depth) + "t"
	hostRoot := f.TempDir() // one per fuzzing process
	hostTop := filepath.Join(hostRoot, "z", chain)
	f.Fuzz(func(t *testing.T, b1, b2, b3, bp []byte) {
		t1, t2, t3, path := decode(b1), decode(b2), decode(b3), decode(bp)
		for _, s := range []string{t1, t2, t3, path} {
			if s == "" || len(s) > 64 || s[0] == '/' || strings.Count(s, "..") > 2 {
				return
			}
		}
		spec := []string{"d a", "d a/b", "f f", "f a/g", "l l1 " + t1, "l a/l2 " + t2, "l a/b/l3 " + t3}

		// Here: under /tmp.
		v := New(Config{})
		require.NoError(t, v.Mkdir(nil, "/tmp/z", 0o755))
		for i, p := 0, "/tmp/z"; i <= depth; i++ {
			p += "/" + strings.Split(chain, "/")[i]
			require.NoError(t, v.Mkdir(nil, p, 0o755))
		}
		top, err := v.Lookup(nil, "/tmp/z/"+chain)
		require.NoError(t, err)
		build(t, v, top, spec...)

		// On the host.
		// Afresh: an O_CREAT may have made a file anywhere in the chain.
		require.NoError(t, os.RemoveAll(filepath.Join(hostRoot, "z")))
		require.NoError(t, os.MkdirAll(hostTop, 0o755))
		for _, line := range spec {
			w := strings.SplitN(line, " ", 3)
			p := hostTop + "/" + w[1]
			switch w[0] {
			case "d":
				require.NoError(t, os.Mkdir(p, 0o755))
			case "f":
				require.NoError(t, os.WriteFile(p, nil, 0o644))
			case "l":
				require.NoError(t, os.Symlink(w[2], p))
			}
		}

		// Name every object by its path from the top, on both sides.
		names := []string{".", "a", "a/b", "f", "a/g", "l1", "a/l2", "a/b/l3"}
		for i, p := 0, ".."; i < depth; i, p = i+1, p+"/.." {
			names = append(names, p)
		}
		ours, theirs := map[*Inode]string{}, map[uint64]string{}
		for _, n := range names {
			ino, err := v.LookupNoFollow(top, n)
			require.NoError(t, err)
			ours[ino] = n
			fi, err := os.Lstat(hostTop + "/" + n)
			require.NoError(t, err)
			theirs[fi.Sys().(*syscall.Stat_t).Ino] = n
		}
		describeOurs := func(ino *Inode, err error) string {
			if err != nil {
				return err.Error()
			}
			if n, ok := ours[ino]; ok {
				return n
			}
			return "new " + fmt.Sprint(ino.Mode&S_IFMT)
		}
		describeHost := func(fi os.FileInfo, err error) string {
			if err != nil {
				var e syscall.Errno
				require.True(t, errors.As(err, &e), "%v", err)
				return errno.Errno(e).Error()
			}
			if n, ok := theirs[fi.Sys().(*syscall.Stat_t).Ino]; ok {
				return n
			}
			return "new " + fmt.Sprint(fi.Sys().(*syscall.Stat_t).Mode&S_IFMT)
		}
		hp := hostTop + "/" + path
		links := fmt.Sprintf("l1 -> %q, a/l2 -> %q, a/b/l3 -> %q", t1, t2, t3)
		assert.Equal(t, describeHost(os.Stat(hp)), describeOurs(v.Lookup(top, path)), "stat %q; %s", path, links)
		assert.Equal(t, describeHost(os.Lstat(hp)), describeOurs(v.LookupNoFollow(top, path)), "lstat %q; %s", path, links)

		_, ourErr := v.Open(top, path, fs.O_WRONLY|fs.O_CREAT, 0o644)
		hf, hostErr := os.OpenFile(hp, os.O_WRONLY|os.O_CREATE, 0o644)
		if hostErr == nil {
			hf.Close()
			assert.NoError(t, ourErr, "open O_CREAT %q; %s", path, links)
		} else {
			assert.Equal(t, describeHost(nil, hostErr), describeOurs(nil, ourErr), "open O_CREAT %q; %s", path, links)
		}
		assert.Equal(t, describeHost(os.Stat(hp)), describeOurs(v.Lookup(top, path)), "stat %q after O_CREAT; %s", path, links)
		for _, n := range []string{"f", "a/g", "nope", "a/nope", "a/b/nope", "l1/nope"} {
			assert.Equal(t, describeHost(os.Lstat(hostTop+"/"+n)), describeOurs(v.LookupNoFollow(top, n)), "%s after O_CREAT %q; %s", n, path, links)
		}
	})
}
