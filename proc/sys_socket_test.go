package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/net/unix"
	"tamix/vfs"
)

// mksockpair makes a socketpair of typ and returns its fds.
func (u *utask) mksockpair(t *testing.T, typ int) (uint64, uint64) {
	t.Helper()
	sv := u.alloc(8)
	_, err := u.call(SYS_socketpair, unix.AF_UNIX, uint64(typ), 0, sv)
	require.NoError(t, err)
	return uint64(u.u32(sv)), uint64(u.u32(sv + 4))
}

func TestSocketCreate(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		family, typ, protocol uint64
		err                   error
		cloexec, nonblock     bool
	}{
		{"stream", unix.AF_UNIX, unix.SOCK_STREAM, 0, nil, false, false},
		{"flags", unix.AF_UNIX, unix.SOCK_DGRAM | unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC, 0, nil, true, true},
		{"unknown flag", unix.AF_UNIX, unix.SOCK_STREAM | 0x100000, 0, errno.EINVAL, false, false},
		{"inet", 2, unix.SOCK_STREAM, 0, errno.EAFNOSUPPORT, false, false},
		{"type 0", unix.AF_UNIX, 0, 0, errno.ESOCKTNOSUPPORT, false, false},
		{"type 12", unix.AF_UNIX, 12, 0, errno.EINVAL, false, false},
		{"protocol", unix.AF_UNIX, unix.SOCK_STREAM, 17, errno.EPROTONOSUPPORT, false, false},
	} {
		for _, nr := range []uint64{SYS_socket, SYS_socketpair} {
			t.Run(tc.name, func(t *testing.T) {
				h := newHarness(t)
				u := h.newTask(t)
				sv := u.alloc(8)
				fd, err := u.call(nr, tc.family, tc.typ, tc.protocol, sv)
				require.Equal(t, tc.err, err)
				if err != nil {
					assert.Zero(t, u.Files.Count(), "no descriptor leaks")
					return
				}
				if nr == SYS_socketpair {
					fd = uint64(u.u32(sv + 4))
					assert.Equal(t, u.u32(sv)+1, uint32(fd))
				}
				c, _ := u.call(SYS_fcntl, fd, F_GETFD)
				assert.Equal(t, tc.cloexec, c == FD_CLOEXEC)
				fl, _ := u.call(SYS_fcntl, fd, F_GETFL)
				assert.Equal(t, tc.nonblock, fl&fs.O_NONBLOCK != 0)
				assert.Equal(t, uint64(fs.O_RDWR), fl&fs.O_ACCMODE)
				st := u.alloc(vfs.StatSize)
				_, err = u.call(SYS_fstat, fd, st)
				require.NoError(t, err)
				assert.Equal(t, uint32(vfs.S_IFSOCK|0o777), u.u32(st+24))
			})
		}
	}
	h := newHarness(t)
	u := h.newTask(t)
	_, err := u.call(SYS_socketpair, unix.AF_UNIX, unix.SOCK_STREAM, 0, 8)
	assert.Equal(t, errno.EFAULT, err)
	assert.Zero(t, u.Files.Count(), "the descriptors were closed again")
}

func TestSocketNotASocket(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, _ := u.mkpipe(t, 0)
	buf := u.alloc(64)
	for _, nr := range []uint64{SYS_shutdown, SYS_getsockname, SYS_getpeername, SYS_getsockopt, SYS_setsockopt,
		SYS_sendto, SYS_recvfrom, SYS_sendmsg, SYS_recvmsg, SYS_bind, SYS_listen, SYS_connect, SYS_accept} {
		_, err := u.call(nr, uint64(r), buf, buf, buf, buf, buf)
		assert.Equal(t, errno.ENOTSOCK, err, "nr %d", nr)
		_, err = u.call(nr, 77, buf, buf, buf, buf, buf)
		assert.Equal(t, errno.EBADF, err, "nr %d", nr)
	}
}

func TestSocketReadWriteBlocking(t *testing.T) {
	h := newHarness(t)
	a := h.newTask(t)
	s0, s1 := a.mksockpair(t, unix.SOCK_STREAM)
	b := h.fork(t, a.Task)
	buf := a.alloc(16)
	_, err := a.call(SYS_read, s1, buf, 16)
	require.ErrorIs(t, err, errBlock)
	require.True(t, a.sleeping())
	n, err := b.call(SYS_write, s0, b.bytes([]byte("ping")), 4)
	require.NoError(t, err)
	assert.Equal(t, uint64(4), n)
	assert.False(t, a.sleeping(), "the write woke the reader")
	n, err = a.call(SYS_read, s1, buf, 16)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(a.read(buf, int(n))))

	// A full send buffer puts the writer to sleep; a read wakes it.
	_, err = a.call(SYS_fcntl, s0, F_SETFL, fs.O_NONBLOCK)
	require.NoError(t, err)
	one := a.bytes([]byte("x"))
	count := 0
	for {
		_, err := a.call(SYS_write, s0, one, 1)
		if err == errno.EAGAIN {
			break
		}
		require.NoError(t, err)
		count++
	}
	assert.Equal(t, 278, count)
	_, err = a.call(SYS_fcntl, s0, F_SETFL, 0)
	require.NoError(t, err)
	_, err = a.call(SYS_write, s0, one, 1)
	require.ErrorIs(t, err, errBlock)
	big := b.alloc(1024)
	n, err = b.call(SYS_read, s1, big, 1024)
	require.NoError(t, err)
	assert.Equal(t, uint64(278), n)
	assert.False(t, a.sleeping(), "the read woke the writer")
	n, err = a.call(SYS_write, s0, one, 1)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
}

func TestSocketSIGPIPE(t *testing.T) {
	for _, tc := range []struct {
		name    string
		typ     int
		flags   uint64
		err     error
		sigpipe bool
	}{
		{"stream", unix.SOCK_STREAM, 0, errno.EPIPE, true},
		{"stream MSG_NOSIGNAL", unix.SOCK_STREAM, unix.MSG_NOSIGNAL, errno.EPIPE, false},
		{"seqpacket", unix.SOCK_SEQPACKET, 0, errno.EPIPE, false},
		{"dgram", unix.SOCK_DGRAM, 0, errno.ECONNREFUSED, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			u := h.newTask(t)
			s0, s1 := u.mksockpair(t, tc.typ)
			_, err := u.call(SYS_close, s1)
			require.NoError(t, err)
			_, err = u.call(SYS_sendto, s0, u.bytes([]byte("x")), 1, tc.flags, 0, 0)
			assert.Equal(t, tc.err, err)
			assert.Equal(t, tc.sigpipe, u.Pending.Set.Has(SIGPIPE))
		})
	}
}

// msg lays out a struct user_msghdr in u's memory.
func (u *utask) msg(name uint64, namelen uint32, iov uint64, iovlen uint64, ctl uint64, ctllen uint64) uint64 {
	b := make([]byte, msghdrSize)
	le := binary.LittleEndian
	le.PutUint64(b, name)
	le.PutUint32(b[8:], namelen)
	le.PutUint64(b[16:], iov)
	le.PutUint64(b[24:], iovlen)
	le.PutUint64(b[32:], ctl)
	le.PutUint64(b[40:], ctllen)
	return u.bytes(b)
}

// iov lays out one struct iovec.
func (u *utask) iov(base, n uint64) uint64 {
	b := binary.LittleEndian.AppendUint64(nil, base)
	return u.bytes(binary.LittleEndian.AppendUint64(b, n))
}

func rightsCmsg(fds ...uint32) []byte {
	b := make([]byte, unix.CmsgSpace(4*len(fds)))
	binary.LittleEndian.PutUint64(b, uint64(unix.CmsgLen(4*len(fds))))
	binary.LittleEndian.PutUint32(b[8:], unix.SOL_SOCKET)
	binary.LittleEndian.PutUint32(b[12:], unix.SCM_RIGHTS)
	for i, fd := range fds {
		binary.LittleEndian.PutUint32(b[16+4*i:], fd)
	}
	return b
}

func TestSocketPassFiles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ctllen  uint64
		flags   uint64
		got     int
		ctrunc  bool
		cloexec bool
		usedCtl uint64
	}{
		{"room for both", 24, 0, 2, false, false, 24},
		{"MSG_CMSG_CLOEXEC", 24, unix.MSG_CMSG_CLOEXEC, 2, false, true, 24},
		{"room for one", 20, 0, 1, true, false, 20},
		{"header only", 16, 0, 0, true, false, 0},
		{"no buffer", 0, 0, 0, true, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			sender := h.newTask(t)
			s0, s1 := sender.mksockpair(t, unix.SOCK_DGRAM)
			receiver := h.fork(t, sender.Task)
			sender.call(SYS_close, s1)
			receiver.call(SYS_close, s0)
			r, w := sender.mkpipe(t, 0)
			ctl := sender.bytes(rightsCmsg(uint32(r), uint32(w)))
			m := sender.msg(0, 0, sender.iov(sender.bytes([]byte("fd")), 2), 1, ctl, 24)
			n, err := sender.call(SYS_sendmsg, s0, m, 0)
			require.NoError(t, err)
			assert.Equal(t, uint64(2), n)
			sender.call(SYS_close, uint64(r))
			sender.call(SYS_close, uint64(w))
			before := receiver.Files.Count()

			buf := receiver.alloc(8)
			rctl := receiver.alloc(32)
			rm := receiver.msg(0, 0, receiver.iov(buf, 8), 1, rctl, tc.ctllen)
			if tc.ctllen == 0 {
				rm = receiver.msg(0, 0, receiver.iov(buf, 8), 1, 0, 0)
			}
			n, err = receiver.call(SYS_recvmsg, s1, rm, tc.flags)
			require.NoError(t, err)
			assert.Equal(t, uint64(2), n)
			assert.Equal(t, before+tc.got, receiver.Files.Count(), "descriptors installed")
			flags := receiver.u32(rm + 48)
			assert.Equal(t, tc.ctrunc, flags&unix.MSG_CTRUNC != 0)
			assert.Equal(t, tc.flags, uint64(flags&unix.MSG_CMSG_CLOEXEC))
			assert.Equal(t, tc.usedCtl, binary.LittleEndian.Uint64(receiver.read(rm+40, 8)))
			if tc.got > 0 {
				c := receiver.read(rctl, 16+4*tc.got)
				assert.Equal(t, uint64(unix.CmsgLen(4*tc.got)), binary.LittleEndian.Uint64(c))
				fd := uint64(binary.LittleEndian.Uint32(c[16:]))
				fl, err := receiver.call(SYS_fcntl, fd, F_GETFL)
				require.NoError(t, err)
				assert.Equal(t, uint64(fs.O_RDONLY), fl&fs.O_ACCMODE, "the pipe's read end came first")
				cl, _ := receiver.call(SYS_fcntl, fd, F_GETFD)
				assert.Equal(t, tc.cloexec, cl == FD_CLOEXEC)
			}
			if tc.got < 2 {
				// The write end was dropped with the message: the
				// pipe's reader (if received) sees EOF.
				if tc.got == 1 {
					fd := uint64(binary.LittleEndian.Uint32(receiver.read(rctl+16, 4)))
					n, err := receiver.call(SYS_read, fd, buf, 8)
					assert.NoError(t, err)
					assert.Zero(t, n)
				}
			}
		})
	}
}

func TestSocketSendmsgErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	s0, _ := u.mksockpair(t, unix.SOCK_DGRAM)
	data := u.iov(u.bytes([]byte("x")), 1)
	for _, tc := range []struct {
		name string
		msg  uint64
		err  error
	}{
		{"bad msghdr", 8, errno.EFAULT},
		{"iovlen over UIO_MAXIOV", u.msg(0, 0, data, 1025, 0, 0), errno.EMSGSIZE},
		{"bad iovec", u.msg(0, 0, 8, 1, 0, 0), errno.EFAULT},
		{"bad control", u.msg(0, 0, data, 1, 8, 16), errno.EFAULT},
		{"control over optmem_max", u.msg(0, 0, data, 1, u.alloc(8), unix.OptmemMax+1), errno.ENOBUFS},
		{"closed fd passed", u.msg(0, 0, data, 1, u.bytes(rightsCmsg(99)), 24), errno.EBADF},
		{"bad address family", u.msg(u.bytes([]byte{2, 0, 'x', 0}), 4, data, 1, 0, 0), errno.EINVAL},
		{"name too long", u.msg(u.alloc(200), 200, data, 1, 0, 0), errno.EINVAL}, // cut to 128, then > sizeof(sockaddr_un)
		{"no such name", u.msg(u.bytes([]byte{1, 0, 0, 'n'}), 4, data, 1, 0, 0), errno.ECONNREFUSED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(SYS_sendmsg, s0, tc.msg, 0)
			assert.Equal(t, tc.err, err)
		})
	}
}

// FuzzSendmsg: any msghdr and control bytes give an error or a message,
// never a panic, and every file reference taken for SCM_RIGHTS is either
// received or dropped again.
func FuzzSendmsg(f *testing.F) {
	f.Add(uint32(0), uint64(1), rightsCmsg(3, 4), uint64(24), uint64(0))
	f.Add(uint32(4), uint64(1), rightsCmsg(3), uint64(20), uint64(unix.MSG_CMSG_CLOEXEC))
	f.Add(uint32(0), uint64(0), []byte{16, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}, uint64(16), uint64(0))
	f.Fuzz(func(t *testing.T, namelen uint32, iovlen uint64, ctl []byte, ctllen uint64, rflags uint64) {
		if len(ctl) > 4096 {
			return
		}
		h := newHarness(t)
		u := h.newTask(t)
		s0, s1 := u.mksockpair(t, unix.SOCK_DGRAM)
		r, w := u.mkpipe(t, 0)
		name := u.bytes([]byte{1, 0, 0, 'z'})
		c := u.bytes(append(ctl, make([]byte, 8)...))
		m := u.msg(name, namelen, u.iov(u.bytes([]byte("data")), 4), iovlen%3, c, ctllen%uint64(len(ctl)+9))
		u.call(SYS_sendmsg, s0, m, 0)
		rc := u.alloc(64)
		rm := u.msg(u.alloc(128), 128, u.iov(u.alloc(8), 8), 1, rc, 64)
		u.call(SYS_recvmsg, s1, rm, rflags|unix.MSG_DONTWAIT)
		// Close everything: then the pipe's ends must be gone, which
		// they are only if no reference leaked.
		of, err := u.Files.Get(r)
		require.NoError(t, err)
		p := of.File.(*ipc.File).Pipe()
		of.put()
		u.Files.closeAll()
		readers, writers := p.Counts()
		require.Zero(t, readers, "read end leaked (w=%d)", w)
		require.Zero(t, writers)
	})
}
