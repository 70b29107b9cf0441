package mm

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

func TestCopyInOut(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	a, err := mm.Mmap(0, 3*PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	ro, err := mm.Mmap(a+3*PageSize, PageSize, PROT_READ, anonRW|MAP_FIXED, nil, 0)
	require.NoError(t, err)

	src := make([]byte, 2*PageSize+100)
	for i := range src {
		src[i] = byte(i * 13)
	}
	// Across two page boundaries, starting mid-page.
	require.NoError(t, mm.CopyOut(a+PageSize/2, src))
	got := make([]byte, len(src))
	require.NoError(t, mm.CopyIn(got, a+PageSize/2))
	assert.True(t, bytes.Equal(src, got))

	tests := []struct {
		name string
		va   uint64
		n    int
		in   error // CopyIn
		out  error // CopyOut
	}{
		{"empty at a bad address", 0, 0, nil, nil},
		{"null", 0, 1, errno.EFAULT, errno.EFAULT},
		{"kernel identity map", 0x10000000, 8, errno.EFAULT, errno.EFAULT},
		{"kernel half", 0xffff800000001000, 8, errno.EFAULT, errno.EFAULT},
		{"wraps around", ^uint64(0) - 3, 8, errno.EFAULT, errno.EFAULT},
		{"ends past TASK_SIZE", TaskSize - 4, 8, errno.EFAULT, errno.EFAULT},
		{"read-only page", ro, 8, nil, errno.EFAULT},
		{"into read-only page", ro - 4, 8, nil, errno.EFAULT},
		{"past the end of the mapping", ro + PageSize - 4, 8, errno.EFAULT, errno.EFAULT},
		{"before the mapping", a - 4, 8, errno.EFAULT, errno.EFAULT},
		{"ok", a + 10, 8, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf := make([]byte, tc.n)
			assert.Equal(t, tc.in, mm.CopyIn(buf, tc.va))
			assert.Equal(t, tc.out, mm.CopyOut(tc.va, buf))
		})
	}
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestCopyOutBreaksCOW(t *testing.T) {
	e := newEnv(t, 64)
	p := e.newMM(t)
	a, err := p.Mmap(0, PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	require.NoError(t, p.CopyOut(a, []byte("parent")))
	c, err := p.Fork()
	require.NoError(t, err)
	require.NoError(t, c.CopyOut(a, []byte("child!")))
	s, err := p.CopyInString(a, 100)
	require.NoError(t, err)
	assert.Equal(t, "parent", s)
	s, err = c.CopyInString(a, 100)
	require.NoError(t, err)
	assert.Equal(t, "child!", s)
	assert.Equal(t, uint64(1), c.Counters().MinFlt, "the COW break counts as a fault")
	checkMM(t, p)
	checkMM(t, c)
	p.Release()
	c.Release()
	e.noLeaks(t)
}

func TestCopyInString(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	a, err := mm.Mmap(0, 2*PageSize, rw, anonRW, nil, 0)
	require.NoError(t, err)
	end := a + 2*PageSize
	require.NoError(t, mm.CopyOut(a+100, []byte("hello\x00")))
	require.NoError(t, mm.CopyOut(a+PageSize-3, []byte("abcdef\x00")))
	require.NoError(t, mm.CopyOut(end-3, []byte("xyz"))) // no NUL before the end

	tests := []struct {
		name string
		va   uint64
		max  int
		want string
		err  error
	}{
		{"simple", a + 100, 100, "hello", nil},
		{"across pages", a + PageSize - 3, 100, "abcdef", nil},
		{"exact fit", a + PageSize - 3, 7, "abcdef", nil},
		{"too long", a + PageSize - 3, 6, "", ErrStringTooLong},
		{"max 0", a, 0, "", ErrStringTooLong},
		{"empty", a, 10, "", nil},
		{"runs off the mapping", end - 3, 100, "", errno.EFAULT},
		{"limit before the bad page", end - 3, 3, "", ErrStringTooLong},
		{"unmapped", 0x10000000, 10, "", errno.EFAULT},
		{"kernel half", 0xffff800000000000, 10, "", errno.EFAULT},
	}
	for _, tc := range tests {
		s, err := mm.CopyInString(tc.va, tc.max)
		assert.Equal(t, tc.err, err, tc.name)
		assert.Equal(t, tc.want, s, tc.name)
	}
	mm.Release()
	e.noLeaks(t)
}
