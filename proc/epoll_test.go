package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
)

const (
	noTimeout = uint64(0xffffffff) // -1 as an int argument
	kernelVA  = 0xffff800000000000
)

func (u *utask) epollCreate(t testing.TB) int {
	t.Helper()
	fd, err := u.call(SYS_epoll_create1, 0)
	require.NoError(t, err)
	return int(fd)
}

func (u *utask) event(events uint32, data uint64) uint64 {
	var b [epollEventSize]byte
	epollEvent{events, data}.encode(b[:])
	return u.bytes(b[:])
}

func (u *utask) ctl(ep, op, fd int, events uint32, data uint64) error {
	_, err := u.call(SYS_epoll_ctl, uint64(ep), uint64(op), uint64(fd), u.event(events, data))
	return err
}

// wait runs epoll_wait and returns the events it reported.
func (u *utask) wait(t *testing.T, ep int, max int, timeout uint64) ([]epollEvent, error) {
	t.Helper()
	buf := u.alloc(max * epollEventSize)
	n, err := u.call(SYS_epoll_wait, uint64(ep), buf, uint64(max), timeout)
	if err != nil {
		return nil, err
	}
	raw := u.read(buf, int(n)*epollEventSize)
	out := make([]epollEvent, n)
	for i := range out {
		out[i] = decodeEpollEvent(raw[i*epollEventSize:])
	}
	return out, nil
}

func (u *utask) write1(t *testing.T, fd int) {
	t.Helper()
	_, err := u.call(SYS_write, uint64(fd), u.bytes([]byte("x")), 1)
	require.NoError(t, err)
}

func (u *utask) drain(t *testing.T, fd int) {
	t.Helper()
	_, err := u.call(SYS_read, uint64(fd), u.alloc(4096), 4096)
	require.NoError(t, err)
}

func TestEpollCreate(t *testing.T) {
	tests := []struct {
		name    string
		nr      uint64
		arg     uint64
		err     error
		cloexec bool
	}{
		{"create size 1", SYS_epoll_create, 1, nil, false},
		{"create size 0", SYS_epoll_create, 0, errno.EINVAL, false},
		{"create size -1", SYS_epoll_create, uint64(0xffffffff), errno.EINVAL, false},
		{"create1 0", SYS_epoll_create1, 0, nil, false},
		{"create1 cloexec", SYS_epoll_create1, EPOLL_CLOEXEC, nil, true},
		{"create1 bad flags", SYS_epoll_create1, 1, errno.EINVAL, false},
		{"create1 nonblock is not a flag", SYS_epoll_create1, fs.O_NONBLOCK, errno.EINVAL, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newHarness(t).newTask(t)
			fd, err := u.call(tc.nr, tc.arg)
			if tc.err != nil {
				assert.Equal(t, tc.err, err)
				return
			}
			require.NoError(t, err)
			c, _ := u.Files.Cloexec(int(fd))
			assert.Equal(t, tc.cloexec, c)
			of, _ := u.Files.Get(int(fd))
			defer of.put()
			assert.IsType(t, &eventPoll{}, of.File)
			assert.Equal(t, fs.O_RDWR, of.Flags)
		})
	}
}

func TestEpollCtlErrors(t *testing.T) {
	u := newHarness(t).newTask(t)
	ep := u.epollCreate(t)
	r, w := u.mkpipe(t, 0)
	ep2 := u.epollCreate(t)
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, r, EPOLLIN, 1))
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, w, EPOLLOUT|EPOLLEXCLUSIVE, 2))
	dupEp, err := u.call(SYS_dup, uint64(ep))
	require.NoError(t, err)
	tests := []struct {
		name      string
		ep, op    int
		fd        int
		events    uint32
		eventAddr uint64
		err       error
	}{
		{"add twice", ep, EPOLL_CTL_ADD, r, EPOLLIN, 0, errno.EEXIST},
		{"mod unregistered", ep, EPOLL_CTL_MOD, ep2, EPOLLIN, 0, errno.ENOENT},
		{"del unregistered", ep, EPOLL_CTL_DEL, ep2, 0, 0, errno.ENOENT},
		{"bad epfd", 99, EPOLL_CTL_ADD, r, EPOLLIN, 0, errno.EBADF},
		{"bad fd", ep, EPOLL_CTL_ADD, 99, EPOLLIN, 0, errno.EBADF},
		{"epfd not epoll", r, EPOLL_CTL_ADD, w, EPOLLIN, 0, errno.EINVAL},
		{"fd == epfd", ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0, errno.EINVAL},
		{"dup of epfd: same file", ep, EPOLL_CTL_ADD, int(dupEp), EPOLLIN, 0, errno.EINVAL},
		{"bad op", ep, 7, ep2, EPOLLIN, 0, errno.EINVAL},
		{"bad op, bad pointer: EFAULT first", ep, 7, ep2, 0, kernelVA, errno.EFAULT},
		{"add, bad pointer", ep, EPOLL_CTL_ADD, ep2, 0, kernelVA, errno.EFAULT},
		{"del ignores the pointer", ep, EPOLL_CTL_DEL, ep2, 0, kernelVA, errno.ENOENT},
		{"exclusive on mod", ep, EPOLL_CTL_MOD, r, EPOLLIN | EPOLLEXCLUSIVE, 0, errno.EINVAL},
		{"exclusive with oneshot", ep, EPOLL_CTL_ADD, ep2, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0, errno.EINVAL},
		{"exclusive on an epoll file", ep, EPOLL_CTL_ADD, ep2, EPOLLIN | EPOLLEXCLUSIVE, 0, errno.EINVAL},
		{"mod of an exclusive item", ep, EPOLL_CTL_MOD, w, EPOLLOUT, 0, errno.EINVAL},
		{"nested epoll ok", ep, EPOLL_CTL_ADD, ep2, EPOLLIN, 0, nil},
		{"loop", ep2, EPOLL_CTL_ADD, ep, EPOLLIN, 0, errno.ELOOP},
		{"mod", ep, EPOLL_CTL_MOD, r, EPOLLIN | EPOLLET, 0, nil},
		{"del", ep, EPOLL_CTL_DEL, r, 0, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := tc.eventAddr
			if addr == 0 {
				addr = u.event(tc.events, 0)
			}
			_, err := u.call(SYS_epoll_ctl, uint64(tc.ep), uint64(tc.op), uint64(tc.fd), addr)
			assert.Equal(t, tc.err, err)
		})
	}
}

func TestEpollNestingDepth(t *testing.T) {
	u := newHarness(t).newTask(t)
	eps := make([]int, 7)
	for i := range eps {
		eps[i] = u.epollCreate(t)
	}
	// eps[i] watches eps[i+1]: a chain built from the bottom.
	var err error
	i := len(eps) - 2
	for ; i >= 0; i-- {
		if err = u.ctl(eps[i], EPOLL_CTL_ADD, eps[i+1], EPOLLIN, 0); err != nil {
			break
		}
	}
	assert.Equal(t, errno.ELOOP, err, "nesting deeper than EP_MAX_NESTS")
	assert.Equal(t, len(eps)-2-epMaxNests, i)
}

func TestEpollWaitArgs(t *testing.T) {
	u := newHarness(t).newTask(t)
	ep := u.epollCreate(t)
	r, _ := u.mkpipe(t, 0)
	buf := u.alloc(64)
	tests := []struct {
		name     string
		ep       int
		buf, max uint64
		err      error
	}{
		{"maxevents 0", ep, buf, 0, errno.EINVAL},
		{"maxevents -1", ep, buf, uint64(0xffffffff), errno.EINVAL},
		{"maxevents too big", ep, buf, epMaxEvents + 1, errno.EINVAL},
		{"kernel buffer", ep, kernelVA, 1, errno.EFAULT},
		{"buffer past user space", ep, 0x7ffffffff000 - 12, 2, errno.EFAULT},
		{"bad fd", 99, buf, 1, errno.EBADF},
		{"not epoll", r, buf, 1, errno.EINVAL},
		{"nothing ready", ep, buf, 1, nil},
		{"NULL without events is fine", ep, 0, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := u.call(SYS_epoll_wait, uint64(tc.ep), tc.buf, tc.max, 0)
			assert.Equal(t, tc.err, err)
			assert.Zero(t, n)
		})
	}
}

func TestEpollLevelEdgeOneshot(t *testing.T) {
	tests := []struct {
		name   string
		events uint32
		// after a write: reported by the first wait, the second, and after
		// a partial read and after a second write
		first, again, afterRead, afterWrite int
	}{
		{"level", EPOLLIN, 1, 1, 1, 1},
		{"edge", EPOLLIN | EPOLLET, 1, 0, 0, 1},
		{"oneshot", EPOLLIN | EPOLLONESHOT, 1, 0, 0, 0},
		{"edge oneshot", EPOLLIN | EPOLLET | EPOLLONESHOT, 1, 0, 0, 0},
		{"write end only", EPOLLOUT | EPOLLET, 1, 0, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newHarness(t).newTask(t)
			ep := u.epollCreate(t)
			r, w := u.mkpipe(t, 0)
			fd := r
			if tc.events&EPOLLOUT != 0 {
				fd = w
			}
			require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, fd, tc.events, 5))
			if fd == r {
				ev, err := u.wait(t, ep, 4, 0)
				require.NoError(t, err)
				assert.Empty(t, ev)
			} else {
				ev, _ := u.wait(t, ep, 4, 0) // writable from the start
				require.Len(t, ev, 1)
			}
			_, err := u.call(SYS_write, uint64(w), u.bytes([]byte("ab")), 2)
			require.NoError(t, err)
			count := func() int {
				ev, err := u.wait(t, ep, 4, 0)
				require.NoError(t, err)
				for _, e := range ev {
					assert.Equal(t, uint64(5), e.Data)
				}
				return len(ev)
			}
			if fd == r {
				assert.Equal(t, tc.first, count(), "first")
			}
			assert.Equal(t, tc.again, count(), "again")
			_, err = u.call(SYS_read, uint64(r), u.alloc(1), 1)
			require.NoError(t, err)
			assert.Equal(t, tc.afterRead, count(), "after a partial read")
			u.write1(t, w)
			assert.Equal(t, tc.afterWrite, count(), "after another write")
			if tc.events&EPOLLONESHOT != 0 {
				require.NoError(t, u.ctl(ep, EPOLL_CTL_MOD, fd, tc.events, 6))
				ev, _ := u.wait(t, ep, 4, 0)
				require.Len(t, ev, 1, "re-armed by MOD")
				assert.Equal(t, uint64(6), ev[0].Data)
			}
		})
	}
}

func TestEpollHupAndClose(t *testing.T) {
	u := newHarness(t).newTask(t)
	ep := u.epollCreate(t)
	r, w := u.mkpipe(t, 0)
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, r, EPOLLIN, 1))
	d, err := u.call(SYS_dup, uint64(r))
	require.NoError(t, err)
	require.NoError(t, u.Files.Close(r))
	u.write1(t, w)
	ev, _ := u.wait(t, ep, 4, 0)
	require.Len(t, ev, 1, "the dup keeps the registration")
	assert.Equal(t, epollEvent{EPOLLIN, 1}, ev[0])
	u.drain(t, int(d))
	require.NoError(t, u.Files.Close(w))
	ev, _ = u.wait(t, ep, 4, 0)
	require.Len(t, ev, 1)
	assert.Equal(t, uint32(EPOLLHUP), ev[0].Events, "EPOLLHUP without asking")

	of, _ := u.Files.Get(ep)
	epoll := of.File.(*eventPoll)
	of.put()
	rof, _ := u.Files.Get(int(d))
	q := rof.File.Wait()
	rof.put()
	assert.Equal(t, 1, q.Len(), "the registration waits on the pipe")
	require.NoError(t, u.Files.Close(int(d)))
	assert.Empty(t, epoll.items, "the last close removed it")
	assert.Zero(t, q.Len())
	ev, _ = u.wait(t, ep, 4, 0)
	assert.Empty(t, ev)

	// Closing the epoll file takes its registrations off the files' queues.
	r, _ = u.mkpipe(t, 0)
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, r, EPOLLIN, 1))
	rof, _ = u.Files.Get(r)
	defer rof.put()
	assert.Equal(t, 1, rof.File.Wait().Len())
	require.NoError(t, u.Files.Close(ep))
	assert.Zero(t, rof.File.Wait().Len())
	assert.Nil(t, rof.epitems)
}

func TestEpollRoundRobin(t *testing.T) {
	u := newHarness(t).newTask(t)
	ep := u.epollCreate(t)
	r, w := u.mkpipe(t, 0)
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, r, EPOLLIN, 1))
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, w, EPOLLOUT, 2))
	u.write1(t, w)
	var got []uint64
	for range 4 {
		ev, _ := u.wait(t, ep, 1, 0)
		require.Len(t, ev, 1)
		got = append(got, ev[0].Data)
	}
	// The writable end was ready first; the reported level-triggered item
	// goes behind the one not reached (ep_send_events, ep_done_scan).
	assert.Equal(t, []uint64{2, 1, 2, 1}, got)
}

func TestEpollWaitBlocks(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	ep := u.epollCreate(t)
	r, w := u.mkpipe(t, 0)
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, r, EPOLLIN, 3))
	buf := u.alloc(24)

	// Woken by a write.
	_, err := u.call(SYS_epoll_wait, uint64(ep), buf, 2, noTimeout)
	require.ErrorIs(t, err, errBlock)
	u.pending = true
	assert.True(t, u.sleeping())
	u.write1(t, w)
	assert.False(t, u.sleeping(), "the write woke the waiter")
	n, err := u.call(SYS_epoll_wait, uint64(ep), buf, 2, noTimeout)
	u.pending = false
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
	assert.Equal(t, epollEvent{EPOLLIN, 3}, decodeEpollEvent(u.read(buf, 12)))
	u.drain(t, r)

	// A timeout.
	_, err = u.call(SYS_epoll_wait, uint64(ep), buf, 2, 10)
	require.ErrorIs(t, err, errBlock)
	u.pending = true
	h.now += 10_000_000
	h.k.RunTimers(h.now)
	assert.False(t, u.sleeping())
	n, err = u.call(SYS_epoll_wait, uint64(ep), buf, 2, 10)
	u.pending = false
	assert.NoError(t, err)
	assert.Zero(t, n)
	of, _ := u.Files.Get(ep)
	assert.Zero(t, of.File.Wait().Len(), "no entry left behind")
	of.put()

	// A signal: EINTR, never a restart.
	_, err = u.call(SYS_epoll_wait, uint64(ep), buf, 2, noTimeout)
	require.ErrorIs(t, err, errBlock)
	u.pending = true
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	assert.False(t, u.sleeping())
	_, err = u.call(SYS_epoll_wait, uint64(ep), buf, 2, noTimeout)
	u.pending = false
	assert.Equal(t, errno.EINTR, err)
	assert.False(t, u.restart.armed)
}

func TestEpollPwaitSigmask(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	ep := u.epollCreate(t)
	r, w := u.mkpipe(t, 0)
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, r, EPOLLIN, 3))
	buf := u.alloc(24)
	mask := u.bytes(binary.LittleEndian.AppendUint64(nil, uint64(Bit(SIGUSR1))))

	_, err := u.call(SYS_epoll_pwait, uint64(ep), buf, 2, noTimeout, mask, 4)
	assert.Equal(t, errno.EINVAL, err, "sigsetsize must be 8")
	_, err = u.call(SYS_epoll_pwait, uint64(ep), buf, 2, noTimeout, kernelVA, 8)
	assert.Equal(t, errno.EFAULT, err)
	_, err = u.call(SYS_epoll_pwait, uint64(ep), buf, 0, noTimeout, mask, 8)
	assert.Equal(t, errno.EINVAL, err)
	assert.False(t, u.Blocked.Has(SIGUSR1), "the mask is restored after an error")

	_, err = u.call(SYS_epoll_pwait, uint64(ep), buf, 2, noTimeout, mask, 8)
	require.ErrorIs(t, err, errBlock)
	u.pending = true
	assert.True(t, u.Blocked.Has(SIGUSR1), "the wait's mask is in force")
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	assert.True(t, u.sleeping(), "a blocked signal does not interrupt")
	u.write1(t, w)
	n, err := u.call(SYS_epoll_pwait, uint64(ep), buf, 2, noTimeout, mask, 8)
	u.pending = false
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
	assert.False(t, u.Blocked.Has(SIGUSR1), "the old mask is back")

	// EINTR leaves the wait's mask for the handler's sigreturn.
	u.drain(t, r)
	empty := u.bytes(make([]byte, 8))
	u.Blocked |= Bit(SIGUSR2)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR2, Code: SI_USER}, false)
	_, err = u.call(SYS_epoll_pwait, uint64(ep), buf, 2, noTimeout, empty, 8)
	assert.Equal(t, errno.EINTR, err)
	assert.True(t, u.restoreSigmask)
	assert.True(t, u.savedSigmask.Has(SIGUSR2))
}

func TestEpollNestedPoll(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	inner, outer := u.epollCreate(t), u.epollCreate(t)
	r, w := u.mkpipe(t, 0)
	require.NoError(t, u.ctl(inner, EPOLL_CTL_ADD, r, EPOLLIN, 1))
	require.NoError(t, u.ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, 2))
	pf := u.bytes(pollfds(int32(inner), fs.POLLIN))
	n, err := u.call(SYS_poll, pf, 1, 0)
	require.NoError(t, err)
	assert.Zero(t, n)

	// The outer's waiter is woken through the inner's queue.
	buf := u.alloc(24)
	_, err = u.call(SYS_epoll_wait, uint64(outer), buf, 2, noTimeout)
	require.ErrorIs(t, err, errBlock)
	u.pending = true
	u.write1(t, w)
	assert.False(t, u.sleeping())
	ev, err := u.wait(t, outer, 2, noTimeout)
	u.pending = false
	require.NoError(t, err)
	require.Len(t, ev, 1)
	assert.Equal(t, epollEvent{EPOLLIN, 2}, ev[0])
	n, err = u.call(SYS_poll, pf, 1, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
	assert.Equal(t, uint16(fs.POLLIN), u.revents(pf, 0))
	u.drain(t, r)
	ev, _ = u.wait(t, outer, 2, 0)
	assert.Empty(t, ev)
	_, err = u.call(SYS_read, uint64(inner), u.alloc(8), 8)
	assert.Equal(t, errno.EINVAL, err)
}

func TestEpollFork(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	ep := u.epollCreate(t)
	r, w := u.mkpipe(t, 0)
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, r, EPOLLIN, 9))
	c := h.fork(t, u.Task)
	_, err := u.call(SYS_epoll_wait, uint64(ep), u.alloc(12), 1, noTimeout)
	require.ErrorIs(t, err, errBlock)
	u.pending = true
	c.write1(t, w)
	assert.False(t, u.sleeping(), "the child's write woke the parent")
	ev, err := u.wait(t, ep, 1, noTimeout)
	u.pending = false
	require.NoError(t, err)
	assert.Equal(t, []epollEvent{{EPOLLIN, 9}}, ev)
	// The child shares the instance: it sees the same interest list.
	ev, err = c.wait(t, ep, 1, 0)
	require.NoError(t, err)
	assert.Equal(t, []epollEvent{{EPOLLIN, 9}}, ev)
}

func FuzzEpollEvent(f *testing.F) {
	f.Add(uint32(EPOLLIN), uint64(1), 1, uint64(0))
	f.Add(uint32(EPOLLOUT|EPOLLET), uint64(1<<63), 3, uint64(5))
	f.Add(uint32(0xffffffff), uint64(0), 0, uint64(scratchSize-12))
	h := newHarness(f)
	u := h.newTask(f)
	ep := u.epollCreate(f)
	fds := u.alloc(8)
	_, err := u.call(SYS_pipe2, fds, 0)
	require.NoError(f, err)
	w := int(u.u32(fds + 4))
	region := u.alloc(4096)
	evVA := u.alloc(epollEventSize)
	f.Fuzz(func(t *testing.T, events uint32, data uint64, max int, off uint64) {
		var b [epollEventSize]byte
		epollEvent{events, data}.encode(b[:])
		assert.Equal(t, epollEvent{events, data}, decodeEpollEvent(b[:]))
		require.NoError(t, u.MM.CopyOut(evVA, b[:]))
		_, err := u.call(SYS_epoll_ctl, uint64(ep), EPOLL_CTL_ADD, uint64(w), evVA)
		if err != nil {
			assert.Equal(t, errno.EINVAL, err) // only EPOLLEXCLUSIVE mixes fail
			return
		}
		defer func() {
			_, err := u.call(SYS_epoll_ctl, uint64(ep), EPOLL_CTL_DEL, uint64(w), 0)
			require.NoError(t, err)
		}()
		va := region + off%4096
		n, err := u.call(SYS_epoll_wait, uint64(ep), va, uint64(int64(max)), 0)
		switch {
		case max <= 0 || max > epMaxEvents:
			assert.Equal(t, errno.EINVAL, err)
		case err == errno.EFAULT:
			assert.Greater(t, va+12, region+4096, "EFAULT only past the mapping")
		default:
			require.NoError(t, err)
			// The write end of an empty pipe with a reader: POLLOUT|POLLWRNORM.
			want := uint32(fs.POLLOUT|fs.POLLWRNORM) & events
			if want == 0 {
				assert.Zero(t, n)
				return
			}
			require.Equal(t, uint64(1), n)
			got := decodeEpollEvent(u.read(va, 12))
			assert.Equal(t, epollEvent{want, data}, got)
		}
	})
}

func TestEpollWaitFault(t *testing.T) {
	u := newHarness(t).newTask(t)
	ep := u.epollCreate(t)
	r, w := u.mkpipe(t, 0)
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, r, EPOLLIN, 1))
	require.NoError(t, u.ctl(ep, EPOLL_CTL_ADD, w, EPOLLOUT, 2))
	u.write1(t, w)
	// A fault on the first event is EFAULT, and the events stay ready.
	_, err := u.call(SYS_epoll_wait, uint64(ep), 0, 4, 0)
	assert.Equal(t, errno.EFAULT, err)
	ev, _ := u.wait(t, ep, 4, 0)
	assert.Len(t, ev, 2)

	// A fault after the first event returns what was written.
	last, err := u.MM.Mmap(0, 2*mm.PageSize, mm.PROT_READ|mm.PROT_WRITE, mm.MAP_PRIVATE|mm.MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	require.NoError(t, u.MM.Munmap(last+mm.PageSize, mm.PageSize))
	n, err := u.call(SYS_epoll_wait, uint64(ep), last+4096-epollEventSize, 4, 0)
	assert.NoError(t, err)
	assert.Equal(t, uint64(1), n)
}
