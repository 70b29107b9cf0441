package vfs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
)

func openPath(t *testing.T, v *FS, path string) fs.File {
	t.Helper()
	ino, err := v.Lookup(nil, path)
	require.NoError(t, err)
	f, err := v.OpenInode(ino, fs.O_RDONLY, nil)
	require.NoError(t, err)
	return f
}

func TestPositional(t *testing.T) {
	v, _ := newFS(t)
	cat := openPath(t, v, "/bin/cat").(*RegFile)
	buf := make([]byte, 4)
	tests := []struct {
		name  string
		f     fs.File
		off   int64
		write bool
		want  string
		n     int
		err   error
	}{
		{"file from 0", cat, 0, false, "\x7fELF", 4, nil},
		{"file short at the end", cat, 5, false, "at", 2, nil},
		{"file past the end", cat, 100, false, "", 0, nil},
		{"file write", cat, 0, true, "", 0, errno.EBADF},
		{"null read", openPath(t, v, "/dev/null"), 10, false, "", 0, nil},
		{"null write", openPath(t, v, "/dev/null"), 10, true, "", 4, nil},
		{"zero read", openPath(t, v, "/dev/zero"), 1 << 40, false, "\x00\x00\x00\x00", 4, nil},
		{"zero write", openPath(t, v, "/dev/zero"), 0, true, "", 4, nil},
		{"directory read", openPath(t, v, "/bin"), 0, false, "", 0, errno.EISDIR},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ok := tc.f.(Positional)
			require.True(t, ok)
			copy(buf, "????")
			var n int
			var err error
			if tc.write {
				n, err = p.WriteAt(buf, tc.off)
			} else {
				n, err = p.ReadAt(buf, tc.off)
				assert.Equal(t, tc.want, string(buf[:n]))
			}
			assert.Equal(t, tc.n, n)
			assert.Equal(t, tc.err, err)
		})
	}
	// The file position does not move.
	n, _ := cat.Read(buf[:2])
	assert.Equal(t, "\x7fE", string(buf[:n]))

	// Streams have no offsets.
	r, w := ipc.NewPipeFiles()
	for _, f := range []fs.File{r, w, v.console} {
		_, ok := f.(Positional)
		assert.False(t, ok, "%T", f)
	}
	_, err := v.Mknod(nil, "/tmp/fifo", S_IFIFO|0o600, 0)
	require.NoError(t, err)
	ino, _ := v.Lookup(nil, "/tmp/fifo")
	f, err := v.OpenInode(ino, fs.O_RDWR, &ipc.FifoOpen{})
	require.NoError(t, err)
	_, ok := f.(Positional)
	assert.False(t, ok, "FIFO")
}
