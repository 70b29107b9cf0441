package vfs

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/fs"
)

func TestStatfsOf(t *testing.T) {
	v, _ := newFS(t)
	for _, tc := range []struct {
		path  string
		magic int64
		flags int64
	}{
		{"/", RAMFS_MAGIC, ST_VALID | ST_RDONLY},
		{"/bin", RAMFS_MAGIC, ST_VALID | ST_RDONLY},
		{"/tmp", TMPFS_MAGIC, ST_VALID | ST_NOSUID | ST_NODEV},
		{"/dev/null", TMPFS_MAGIC, ST_VALID | ST_NOSUID},
	} {
		ino, err := v.Lookup(nil, tc.path)
		require.NoError(t, err, tc.path)
		s := v.StatfsOf(ino)
		assert.Equal(t, tc.magic, s.Type, tc.path)
		assert.Equal(t, tc.flags, s.Flags, tc.path)
		assert.Equal(t, int64(NAME_MAX), s.Namelen, tc.path)
	}
	tmp, _ := v.Lookup(nil, "/tmp")
	before := v.StatfsOf(tmp)
	f, err := v.Open(nil, "/tmp/a", fs.O_CREAT|fs.O_WRONLY, 0o644)
	require.NoError(t, err)
	_, _, err = v.writeAt(f, make([]byte, 3*PageSize), 0, false)
	require.NoError(t, err)
	after := v.StatfsOf(tmp)
	assert.Equal(t, before.Ffree-1, after.Ffree, "one more inode")
	assert.Equal(t, before.Bfree-3, after.Bfree, "three more pages")
	b := after.Encode()
	require.Len(t, b, StatfsSize)
	assert.Equal(t, uint64(TMPFS_MAGIC), binary.LittleEndian.Uint64(b))
	assert.Equal(t, uint64(NAME_MAX), binary.LittleEndian.Uint64(b[64:]))
}
