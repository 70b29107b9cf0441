package proc

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
)

func (u *utask) u64(v uint64) uint64 { return u.bytes(binary.LittleEndian.AppendUint64(nil, v)) }

func TestEventfdCreate(t *testing.T) {
	tests := []struct {
		name             string
		nr               uint64
		initval, flags   uint64
		err              error
		cloexec, nonblok bool
		count            uint64
	}{
		{"eventfd", SYS_eventfd, 5, 0, nil, false, false, 5},
		{"eventfd takes an unsigned int", SYS_eventfd, 1<<32 | 3, 0, nil, false, false, 3},
		{"eventfd2 0", SYS_eventfd2, 0, 0, nil, false, false, 0},
		{"eventfd2 all flags", SYS_eventfd2, 1, EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK, nil, true, true, 1},
		{"eventfd2 bad flags", SYS_eventfd2, 0, 4, errno.EINVAL, false, false, 0},
		{"eventfd2 O_RDWR is not a flag", SYS_eventfd2, 0, fs.O_RDWR, errno.EINVAL, false, false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newHarness(t).newTask(t)
			fd, err := u.call(tc.nr, tc.initval, tc.flags)
			if tc.err != nil {
				assert.Equal(t, tc.err, err)
				return
			}
			require.NoError(t, err)
			c, _ := u.Files.Cloexec(int(fd))
			assert.Equal(t, tc.cloexec, c)
			of, _ := u.Files.Get(int(fd))
			defer of.put()
			assert.Equal(t, tc.nonblok, of.Nonblock())
			assert.Equal(t, fs.O_RDWR, of.Flags&fs.O_ACCMODE)
			assert.Equal(t, tc.count, of.File.(*ipc.EventFD).Count())
		})
	}
}

func TestEventfdReadWrite(t *testing.T) {
	type op struct {
		write bool
		n     uint64 // bytes
		val   uint64 // written, or expected read
		err   error
	}
	tests := []struct {
		name    string
		initval uint32
		flags   uint64
		ops     []op
	}{
		{"read takes all", 5, EFD_NONBLOCK, []op{{false, 8, 5, nil}, {false, 8, 0, errno.EAGAIN}}},
		{"read with 16 bytes", 5, EFD_NONBLOCK, []op{{false, 16, 5, nil}}},
		{"short read", 5, EFD_NONBLOCK, []op{{false, 4, 0, errno.EINVAL}, {false, 0, 0, errno.EINVAL}, {false, 8, 5, nil}}},
		{"writes add", 0, EFD_NONBLOCK, []op{{true, 8, 3, nil}, {true, 8, 4, nil}, {false, 8, 7, nil}}},
		{"write size must be 8", 0, EFD_NONBLOCK, []op{{true, 7, 1, errno.EINVAL}, {true, 16, 1, errno.EINVAL}, {true, 0, 1, errno.EINVAL}}},
		{"write of 2^64-1", 0, EFD_NONBLOCK, []op{{true, 8, math.MaxUint64, errno.EINVAL}}},
		{"overflow", 0, EFD_NONBLOCK, []op{{true, 8, math.MaxUint64 - 1, nil}, {true, 8, 1, errno.EAGAIN}, {true, 8, 0, nil}, {false, 8, math.MaxUint64 - 1, nil}}},
		{"semaphore", 2, EFD_NONBLOCK | EFD_SEMAPHORE, []op{{false, 8, 1, nil}, {false, 8, 1, nil}, {false, 8, 0, errno.EAGAIN}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newHarness(t).newTask(t)
			fd, err := u.call(SYS_eventfd2, uint64(tc.initval), tc.flags)
			require.NoError(t, err)
			for i, o := range tc.ops {
				if o.write {
					buf := u.alloc(16)
					u.MM.CopyOut(buf, binary.LittleEndian.AppendUint64(nil, o.val))
					n, err := u.call(SYS_write, fd, buf, o.n)
					assert.Equal(t, o.err, err, "op %d", i)
					if err == nil {
						assert.Equal(t, uint64(8), n)
					}
					continue
				}
				buf := u.alloc(16)
				n, err := u.call(SYS_read, fd, buf, o.n)
				assert.Equal(t, o.err, err, "op %d", i)
				if err == nil {
					assert.Equal(t, uint64(8), n)
					assert.Equal(t, o.val, binary.LittleEndian.Uint64(u.read(buf, 8)), "op %d", i)
				}
			}
		})
	}
}

func TestEventfdPoll(t *testing.T) {
	e := ipc.NewEventFD(0, false)
	assert.Equal(t, uint32(fs.POLLOUT), e.Poll())
	e = ipc.NewEventFD(1, false)
	assert.Equal(t, uint32(fs.POLLIN|fs.POLLOUT), e.Poll())
	_, err := e.Write(binary.LittleEndian.AppendUint64(nil, math.MaxUint64-2))
	require.NoError(t, err)
	assert.Equal(t, uint32(fs.POLLIN), e.Poll(), "full: a write of 1 does not fit")
}

func TestEventfdBlocking(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd, err := u.call(SYS_eventfd2, 0, 0)
	require.NoError(t, err)
	c := h.fork(t, u.Task)
	buf := u.alloc(8)
	_, err = u.call(SYS_read, fd, buf, 8)
	require.ErrorIs(t, err, errBlock)
	require.True(t, u.sleeping())
	_, err = c.call(SYS_write, fd, c.u64(7), 8)
	require.NoError(t, err)
	assert.False(t, u.sleeping(), "the child's write woke the reader")
	n, err := u.call(SYS_read, fd, buf, 8)
	require.NoError(t, err)
	assert.Equal(t, uint64(8), n)
	assert.Equal(t, uint64(7), binary.LittleEndian.Uint64(u.read(buf, 8)))

	// A write that does not fit sleeps until a read makes room.
	_, err = u.call(SYS_write, fd, u.u64(math.MaxUint64-1), 8)
	require.NoError(t, err)
	_, err = c.call(SYS_write, fd, c.u64(1), 8)
	require.ErrorIs(t, err, errBlock)
	require.True(t, c.sleeping())
	_, err = u.call(SYS_read, fd, buf, 8)
	require.NoError(t, err)
	assert.False(t, c.sleeping())
	n, err = c.call(SYS_write, fd, c.u64(1), 8)
	require.NoError(t, err)
	assert.Equal(t, uint64(8), n)

	// A signal interrupts a blocked read: ERESTARTSYS.
	_, err = u.call(SYS_read, fd, buf, 8)
	require.NoError(t, err)
	_, err = u.call(SYS_read, fd, buf, 8)
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	_, err = u.call(SYS_read, fd, buf, 8)
	assert.Equal(t, errno.ERESTARTSYS, err)
}

func TestEventfdEpollEdge(t *testing.T) {
	u := newHarness(t).newTask(t)
	fd, err := u.call(SYS_eventfd2, 0, EFD_NONBLOCK)
	require.NoError(t, err)
	ep := u.epollCreate(t)
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, int(fd), EPOLLIN|EPOLLET, 1))
	ev, _ := u.wait(t, ep, 2, 0)
	assert.Empty(t, ev)
	for range 2 {
		_, err = u.call(SYS_write, fd, u.u64(1), 8)
		require.NoError(t, err)
		ev, _ = u.wait(t, ep, 2, 0)
		assert.Equal(t, []epollEvent{{EPOLLIN, 1}}, ev, "every write is an edge")
		ev, _ = u.wait(t, ep, 2, 0)
		assert.Empty(t, ev)
	}
}
