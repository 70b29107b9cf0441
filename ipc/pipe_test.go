package ipc

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

// wakeCounter puts a waiter on q and counts its wake-ups; it re-queues
// itself like a task that sleeps again.
type wakeCounter struct {
	n int
	w fs.Waiter
}

func watch(q *fs.WaitQueue) *wakeCounter {
	c := &wakeCounter{}
	c.w.Wake = func() bool { c.n++; return true }
	q.Add(&c.w)
	return c
}

func fill(n int, c byte) []byte { return bytes.Repeat([]byte{c}, n) }

func TestPipeReadWrite(t *testing.T) {
	r, w := NewPipeFiles()
	n, err := w.Write([]byte("hello"))
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	buf := make([]byte, 16)
	n, err = r.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(buf[:n]))

	_, err = r.Read(buf)
	assert.Equal(t, errno.EAGAIN, err, "empty with a writer: EAGAIN")

	w.Write([]byte("abcdef"))
	n, _ = r.Read(buf[:2])
	assert.Equal(t, "ab", string(buf[:n]))
	n, _ = r.Read(buf)
	assert.Equal(t, "cdef", string(buf[:n]), "reads split a write")

	w.Write([]byte("tail"))
	w.Release()
	n, err = r.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "tail", string(buf[:n]), "data left after the writer closes is still read")
	n, err = r.Read(buf)
	assert.NoError(t, err)
	assert.Equal(t, 0, n, "EOF once every writer is gone")

	n, err = r.Read(nil)
	assert.NoError(t, err)
	assert.Equal(t, 0, n)
	r.Release()
	r.Release() // idempotent
	rd, wr := r.Pipe().Counts()
	assert.Equal(t, 0, rd)
	assert.Equal(t, 0, wr)
}

func TestPipeWrongEnd(t *testing.T) {
	r, w := NewPipeFiles()
	_, err := r.Write([]byte("x"))
	assert.Equal(t, errno.EBADF, err)
	_, err = w.Read(make([]byte, 1))
	assert.Equal(t, errno.EBADF, err)
	assert.True(t, r.Readable() && !r.Writable())
	assert.True(t, w.Writable() && !w.Readable())
}

func TestPipeEPIPE(t *testing.T) {
	r, w := NewPipeFiles()
	r.Release()
	n, err := w.Write([]byte("x"))
	assert.Equal(t, errno.EPIPE, err)
	assert.Equal(t, 0, n)
	n, err = w.Write(nil)
	assert.NoError(t, err, "a null write succeeds before the reader check, as pipe_write")
	assert.Equal(t, 0, n)
}

func TestPipeCapacity(t *testing.T) {
	tests := []struct {
		name     string
		chunk    int
		accepted int // bytes taken before EAGAIN
	}{
		{"4096-byte writes fill 16 pages", 4096, PipeSize},
		{"1-byte writes merge into pages", 1, PipeSize},
		{"1000-byte writes merge 4 to a page", 1000, 16 * 4000},
		{"3000-byte writes take a page each", 3000, 16 * 3000},
		{"2048-byte writes pack two to a page", 2048, PipeSize},
		{"4095-byte writes take a page each", 4095, 16 * 4095},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, w := NewPipeFiles()
			total := 0
			for {
				n, err := w.Write(fill(tc.chunk, 'x'))
				if err != nil {
					assert.Equal(t, errno.EAGAIN, err)
					assert.Equal(t, 0, n)
					break
				}
				require.Equal(t, tc.chunk, n, "a write of at most PIPE_BUF is all or nothing")
				total += n
				require.LessOrEqual(t, total, PipeSize)
			}
			assert.Equal(t, tc.accepted, total)
			assert.Equal(t, total, w.Pipe().Len())
			assert.Zero(t, w.Poll()&fs.POLLOUT, "full: no POLLOUT")
		})
	}
}

func TestPipePartialLargeWrite(t *testing.T) {
	tests := []struct {
		name    string
		prefill []int // writes before
		drain   int   // bytes read after the prefill
		write   int
		want    int
		wantErr error
	}{
		{"empty pipe takes 64 KiB of a 128 KiB write", nil, 0, 2 * PipeSize, PipeSize, nil},
		{"one free page takes 4096 of 8192", []int{PipeSize}, 4096, 8192, 4096, nil},
		{"full pipe: EAGAIN", []int{PipeSize}, 0, 8192, 0, errno.EAGAIN},
		{"sub-page tail merges first", []int{100}, 0, 4096 + 50, 4096 + 50, nil},
		{"atomic write does not fit in a half page when full", []int{PipeSize - 2048}, 0, 4096, 0, errno.EAGAIN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, w := NewPipeFiles()
			for _, n := range tc.prefill {
				for n > 0 {
					m, err := w.Write(fill(min(n, PIPE_BUF), 'p'))
					require.NoError(t, err)
					n -= m
				}
			}
			if tc.drain > 0 {
				n, err := r.Read(make([]byte, tc.drain))
				require.NoError(t, err)
				require.Equal(t, tc.drain, n)
			}
			n, err := w.Write(fill(tc.write, 'w'))
			assert.Equal(t, tc.wantErr, err)
			assert.Equal(t, tc.want, n)
		})
	}
}

func TestPipeOrderAcrossPages(t *testing.T) {
	r, w := NewPipeFiles()
	var want []byte
	for i := 0; i < 40; i++ {
		b := fill(i*97%5000+1, byte('a'+i%26))
		n, err := w.Write(b)
		if err != nil {
			break
		}
		want = append(want, b[:n]...)
	}
	got := make([]byte, 0, len(want))
	buf := make([]byte, 777)
	for {
		n, err := r.Read(buf)
		if err != nil {
			break
		}
		got = append(got, buf[:n]...)
	}
	assert.Equal(t, want, got)
}

func TestPipePoll(t *testing.T) {
	const in, out = fs.POLLIN | fs.POLLRDNORM, fs.POLLOUT | fs.POLLWRNORM
	tests := []struct {
		name         string
		data         int
		closeR       bool
		closeW       bool
		wantR, wantW uint32
	}{
		{"empty", 0, false, false, 0, out},
		{"data", 1, false, false, in, out},
		{"full", PipeSize, false, false, in, 0},
		{"writer gone, data left", 1, false, true, in | fs.POLLHUP, 0},
		{"writer gone, empty", 0, false, true, fs.POLLHUP, 0},
		{"reader gone", 0, true, false, 0, out | fs.POLLERR},
		{"reader gone, full", PipeSize, true, false, 0, fs.POLLERR},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, w := NewPipeFiles()
			for n := tc.data; n > 0; {
				m, err := w.Write(fill(min(n, PIPE_BUF), 'd'))
				require.NoError(t, err)
				n -= m
			}
			if tc.closeR {
				r.Release()
			}
			if tc.closeW {
				w.Release()
			}
			if !tc.closeR {
				assert.Equal(t, tc.wantR, r.Poll(), "read end")
			}
			if !tc.closeW {
				assert.Equal(t, tc.wantW, w.Poll(), "write end")
			}
		})
	}
}

func TestPipeWakeups(t *testing.T) {
	r, w := NewPipeFiles()
	q := r.Wait()
	require.Same(t, q, w.Wait(), "both ends share the pipe's queue")
	steps := []struct {
		name string
		do   func()
		wake bool
	}{
		{"write wakes readers", func() { w.Write([]byte("x")) }, true},
		{"read wakes writers", func() { r.Read(make([]byte, 1)) }, true},
		{"EAGAIN read does not wake", func() { r.Read(make([]byte, 1)) }, false},
		{"closing the writer wakes readers", func() { w.Release() }, true},
	}
	for _, s := range steps {
		c := watch(q)
		s.do()
		if s.wake {
			assert.Equal(t, 1, c.n, s.name)
			assert.Equal(t, 0, q.Len(), "WakeAll empties the queue")
		} else {
			assert.Equal(t, 0, c.n, s.name)
			q.Remove(&c.w)
		}
	}
	r2, w2 := NewPipeFiles()
	c := watch(w2.Wait())
	r2.Release()
	assert.Equal(t, 1, c.n, "closing the reader wakes writers (they get EPIPE)")
}

func TestPipeFIONREAD(t *testing.T) {
	r, w := NewPipeFiles()
	w.Write([]byte("xyz"))
	w.Write(fill(5000, 'a'))
	out, ret, err := r.Ioctl(FIONREAD, nil)
	require.NoError(t, err)
	assert.Zero(t, ret)
	assert.Equal(t, uint32(5003), binary.LittleEndian.Uint32(out))
	_, _, err = r.Ioctl(0x5401, nil)
	assert.Equal(t, errno.ENOTTY, err)
}

func TestPipeInoUnique(t *testing.T) {
	a, _ := NewPipeFiles()
	b, _ := NewPipeFiles()
	assert.NotEqual(t, a.Pipe().Ino, b.Pipe().Ino)
}

func TestSetSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		size uint64
		want int
		err  error
	}{
		{"zero is one page", 0, PageSize, nil},
		{"one byte rounds up to a page", 1, PageSize, nil},
		{"a page", PageSize, PageSize, nil},
		{"rounds up to a power of two pages", 5 * PageSize, 8 * PageSize, nil},
		{"1 MiB", 1 << 20, 1 << 20, nil},
		{"over 2 GiB", 1<<31 + 1, 0, errno.EINVAL},
		{"too big for tamix", 1 << 30, 0, errno.ENOMEM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPipe()
			got, err := p.SetSize(tc.size)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Equal(t, PipeSize, p.Size(), "size unchanged")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.want, p.Size())
		})
	}
}

func TestSetSizeKeepsDataAndRefusesToShrinkBelowIt(t *testing.T) {
	r, w := NewPipeFiles()
	p := r.Pipe()
	// Fill 5 slots with distinct pages, read one: 4 in use, tail moved.
	for i := 0; i < 5; i++ {
		n, err := w.Write(bytes.Repeat([]byte{byte('a' + i)}, PageSize))
		require.NoError(t, err)
		require.Equal(t, PageSize, n)
	}
	buf := make([]byte, PageSize)
	_, err := r.Read(buf)
	require.NoError(t, err)
	_, err = p.SetSize(2 * PageSize)
	require.ErrorIs(t, err, errno.EBUSY, "4 pages of data do not fit in 2")
	got, err := p.SetSize(4 * PageSize)
	require.NoError(t, err)
	assert.Equal(t, 4*PageSize, got)
	_, err = w.Write([]byte("x"))
	assert.ErrorIs(t, err, errno.EAGAIN, "exactly full now")
	for i := 1; i < 5; i++ {
		n, err := r.Read(buf)
		require.NoError(t, err)
		assert.Equal(t, bytes.Repeat([]byte{byte('a' + i)}, PageSize), buf[:n])
	}
	got, err = p.SetSize(64 * PageSize)
	require.NoError(t, err)
	assert.Equal(t, 64*PageSize, got)
	for i := 0; i < 64; i++ {
		_, err := w.Write(bytes.Repeat([]byte{'z'}, PageSize))
		require.NoError(t, err, "page %d", i)
	}
	_, err = w.Write([]byte("x"))
	assert.ErrorIs(t, err, errno.EAGAIN)
}
