package ipc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

// readAll empties the pipe behind r.
func readAll(t *testing.T, r *File) string {
	t.Helper()
	buf := make([]byte, 1<<20)
	n, _ := r.Read(buf)
	return string(buf[:n])
}

func TestSpliceFill(t *testing.T) {
	pageSeg := func(int) int { return PageSize }
	tests := []struct {
		name    string
		max     int
		seg     func(done int) int
		src     int // bytes the source has
		readers bool
		want    int
		bufs    uint // buffers used
		err     error
	}{
		{"one page", PageSize, pageSeg, 1 << 20, true, PageSize, 1, nil},
		{"a buffer per segment", 100, func(int) int { return 30 }, 1 << 20, true, 100, 4, nil},
		{"as much as fits", 1 << 20, pageSeg, 1 << 20, true, PipeSize, PipeDefBuffers, nil},
		{"the source runs short", 3 * PageSize, pageSeg, 5000, true, 5000, 2, nil},
		{"empty source", 100, pageSeg, 0, true, 0, 0, nil},
		{"no reader", 100, pageSeg, 100, false, 0, 0, errno.EPIPE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, w := NewPipeFiles()
			if !tc.readers {
				r.Release()
			}
			left := tc.src
			n, err := w.p.SpliceFill(tc.max, tc.seg, func(b []byte) (int, error) {
				k := min(len(b), left)
				for i := range b[:k] {
					b[i] = 'x'
				}
				left -= k
				return k, nil
			})
			assert.Equal(t, tc.err, err)
			assert.Equal(t, tc.want, n)
			assert.Equal(t, tc.bufs, w.p.head-w.p.tail)
		})
	}
	_, w := NewPipeFiles()
	w.Write(make([]byte, PipeSize))
	_, err := w.p.SpliceFill(10, pageSeg, func(b []byte) (int, error) { return len(b), nil })
	assert.Equal(t, errno.EAGAIN, err, "a full pipe")
}

func TestSpliceDrain(t *testing.T) {
	r, w := NewPipeFiles()
	w.Write([]byte("hello"))
	w.Write(make([]byte, PageSize)) // a second buffer
	var got []byte
	n, err := r.p.SpliceDrain(3, func(b []byte) (int, error) { got = append(got, b...); return len(b), nil })
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	assert.Equal(t, "hel", string(got))
	// A sink that takes only 1 byte: the rest stays.
	n, err = r.p.SpliceDrain(100, func(b []byte) (int, error) { return 1, nil })
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	buf := make([]byte, 1)
	r.Read(buf)
	assert.Equal(t, "o", string(buf), "the byte after the taken one")
	// A sink that fails at once: its error, nothing consumed.
	_, err = r.p.SpliceDrain(100, func(b []byte) (int, error) { return 0, errno.EAGAIN })
	assert.Equal(t, errno.EAGAIN, err)
	assert.Equal(t, PageSize, r.p.Len())
	readAll(t, r)
	_, err = r.p.SpliceDrain(100, func(b []byte) (int, error) { return len(b), nil })
	assert.Equal(t, errno.EAGAIN, err, "empty with a writer")
	w.Release()
	n, err = r.p.SpliceDrain(100, func(b []byte) (int, error) { return len(b), nil })
	assert.NoError(t, err, "empty without writers: EOF")
	assert.Zero(t, n)
}

func TestSplicePipes(t *testing.T) {
	tests := []struct {
		name    string
		data    []string // writes into in
		max     int
		tee     bool
		want    int
		out     string
		in      string // left in the source
		waitIn  bool
		waitOut bool
		err     error
	}{
		{"move all", []string{"abc", "defg"}, 100, false, 7, "abcdefg", "", false, false, nil},
		{"move part of a buffer", []string{"abcdef"}, 4, false, 4, "abcd", "ef", false, false, nil},
		{"tee all", []string{"abc"}, 100, true, 3, "abc", "abc", false, false, nil},
		{"tee part", []string{"abcdef"}, 2, true, 2, "ab", "abcdef", false, false, nil},
		{"empty source waits on it", nil, 10, false, 0, "", "", true, false, errno.EAGAIN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ir, iw := NewPipeFiles()
			or, _ := NewPipeFiles()
			for _, d := range tc.data {
				iw.Write([]byte(d))
			}
			n, wait, err := SplicePipes(ir.p, or.p, tc.max, tc.tee)
			assert.Equal(t, tc.err, err)
			assert.Equal(t, tc.want, n)
			assert.Equal(t, tc.waitIn, wait == ir.p)
			assert.Equal(t, tc.out, readAll(t, or))
			assert.Equal(t, tc.in, readAll(t, ir))
		})
	}

	ir, iw := NewPipeFiles()
	or, ow := NewPipeFiles()
	iw.Write([]byte("x"))
	ow.Write(make([]byte, PipeSize))
	_, wait, err := SplicePipes(ir.p, or.p, 1, false)
	assert.Equal(t, errno.EAGAIN, err)
	assert.Same(t, or.p, wait, "a full output: wait on it")
	or.Release()
	_, _, err = SplicePipes(ir.p, or.p, 1, false)
	assert.Equal(t, errno.EPIPE, err, "no reader on the output")
	iw.Release()
	readAll(t, ir)
	n, wait, err := SplicePipes(ir.p, or.p, 1, true)
	assert.NoError(t, err, "an empty source without writers: EOF")
	assert.Zero(t, n)
	assert.Nil(t, wait)
}
