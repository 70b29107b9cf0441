package ipc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

func TestFifoOpenRules(t *testing.T) {
	const (
		rd   = fs.O_RDONLY
		wr   = fs.O_WRONLY
		rdwr = fs.O_RDWR
		nb   = fs.O_NONBLOCK
	)
	tests := []struct {
		name    string
		already []int // opens that completed before (O_RDWR or non-blocking)
		flags   int
		want    error
	}{
		{"O_RDONLY with no writer blocks", nil, rd, errno.EAGAIN},
		{"O_RDONLY|O_NONBLOCK with no writer succeeds", nil, rd | nb, nil},
		{"O_WRONLY with no reader blocks", nil, wr, errno.EAGAIN},
		{"O_WRONLY|O_NONBLOCK with no reader is ENXIO", nil, wr | nb, errno.ENXIO},
		{"O_RDWR never blocks", nil, rdwr, nil},
		{"O_RDWR|O_NONBLOCK", nil, rdwr | nb, nil},
		{"O_WRONLY|O_NONBLOCK with a reader", []int{rd | nb}, wr | nb, nil},
		{"O_WRONLY with a reader", []int{rd | nb}, wr, nil},
		{"O_RDONLY with an O_RDWR opener", []int{rdwr}, rd, nil},
		{"O_WRONLY with an O_RDWR opener", []int{rdwr}, wr, nil},
		{"bad access mode", nil, 3, errno.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPipe()
			for _, fl := range tc.already {
				var st FifoOpen
				_, err := p.OpenFifo(fl, &st)
				require.NoError(t, err)
			}
			var st FifoOpen
			f, err := p.OpenFifo(tc.flags, &st)
			assert.Equal(t, tc.want, err)
			if tc.want == nil {
				require.NotNil(t, f)
				assert.False(t, st.Waiting())
			} else {
				assert.Nil(t, f)
				assert.Equal(t, tc.want == errno.EAGAIN, st.Waiting())
			}
		})
	}
}

func TestFifoRendezvous(t *testing.T) {
	p := NewPipe()
	var rst FifoOpen
	_, err := p.OpenFifo(fs.O_RDONLY, &rst)
	require.Equal(t, errno.EAGAIN, err)
	c := watch(p.Wait())
	_, err = p.OpenFifo(fs.O_RDONLY, &rst)
	require.Equal(t, errno.EAGAIN, err, "retry without a writer still waits")

	var wst FifoOpen
	w, err := p.OpenFifo(fs.O_WRONLY, &wst)
	require.NoError(t, err, "the waiting reader counts: the writer does not block")
	assert.Equal(t, 1, c.n, "the writer's open wakes the waiting reader")
	r, err := p.OpenFifo(fs.O_RDONLY, &rst)
	require.NoError(t, err, "the reader's retry sees the writer")
	assert.False(t, rst.Waiting())

	w.Write([]byte("hello fifo"))
	w.Release()
	buf := make([]byte, 32)
	n, _ := r.Read(buf)
	assert.Equal(t, "hello fifo", string(buf[:n]))
	n, err = r.Read(buf)
	assert.NoError(t, err)
	assert.Equal(t, 0, n, "EOF after the writer closed")
	r.Release()
	rd, wr := p.Counts()
	assert.Equal(t, 0, rd)
	assert.Equal(t, 0, wr)
}

func TestFifoWriterWaitsEvenIfReaderLeaves(t *testing.T) {
	// wait_for_partner waits for the counter to move, so a reader that
	// came and went still releases a blocked writer (which may then EPIPE).
	p := NewPipe()
	var wst FifoOpen
	_, err := p.OpenFifo(fs.O_WRONLY, &wst)
	require.Equal(t, errno.EAGAIN, err)
	var rst FifoOpen
	r, err := p.OpenFifo(fs.O_RDONLY, &rst)
	require.NoError(t, err)
	r.Release()
	w, err := p.OpenFifo(fs.O_WRONLY, &wst)
	require.NoError(t, err)
	_, err = w.Write([]byte("x"))
	assert.Equal(t, errno.EPIPE, err)
}

func TestFifoAbort(t *testing.T) {
	p := NewPipe()
	var st FifoOpen
	_, err := p.OpenFifo(fs.O_WRONLY, &st)
	require.Equal(t, errno.EAGAIN, err)
	c := watch(p.Wait())
	st.Abort()
	assert.Equal(t, 1, c.n)
	st.Abort() // idempotent
	rd, wr := p.Counts()
	assert.Equal(t, 0, rd)
	assert.Equal(t, 0, wr)
	var nst FifoOpen
	_, err = p.OpenFifo(fs.O_WRONLY|fs.O_NONBLOCK, &nst)
	assert.Equal(t, errno.ENXIO, err, "an aborted reader... no reader left")
}

func TestFifoNonblockReaderPollHUP(t *testing.T) {
	p := NewPipe()
	var st FifoOpen
	r, err := p.OpenFifo(fs.O_RDONLY|fs.O_NONBLOCK, &st)
	require.NoError(t, err)
	assert.Zero(t, r.Poll(), "no POLLHUP before any writer was seen")
	n, err := r.Read(make([]byte, 4))
	assert.NoError(t, err)
	assert.Equal(t, 0, n, "read with no writer returns 0")
	var wst FifoOpen
	w, err := p.OpenFifo(fs.O_WRONLY|fs.O_NONBLOCK, &wst)
	require.NoError(t, err)
	_, err = r.Read(make([]byte, 4))
	assert.Equal(t, errno.EAGAIN, err, "a writer and no data: EAGAIN")
	w.Release()
	assert.Equal(t, uint32(fs.POLLHUP), r.Poll(), "POLLHUP once a writer came and went")
}

func TestFifoDataDroppedWhenLastCloses(t *testing.T) {
	p := NewPipe()
	var st FifoOpen
	rw, err := p.OpenFifo(fs.O_RDWR, &st)
	require.NoError(t, err)
	rw.Write([]byte("lost"))
	rw.Release()
	var st2 FifoOpen
	r, err := p.OpenFifo(fs.O_RDWR, &st2)
	require.NoError(t, err)
	_, err = r.Read(make([]byte, 4))
	assert.Equal(t, errno.EAGAIN, err, "a FIFO's buffer goes with its last open file")
}
