package unix

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

func TestCheckCreate(t *testing.T) {
	for _, tc := range []struct {
		name                  string
		family, typ, protocol int
		want                  error
	}{
		{"stream", AF_UNIX, SOCK_STREAM, 0, nil},
		{"dgram PF_UNIX", AF_UNIX, SOCK_DGRAM, AF_UNIX, nil},
		{"raw is dgram", AF_UNIX, SOCK_RAW, 0, nil},
		{"seqpacket", AF_UNIX, SOCK_SEQPACKET, 0, nil},
		{"rdm", AF_UNIX, SOCK_RDM, 0, errno.ESOCKTNOSUPPORT},
		{"type 0", AF_UNIX, 0, 0, errno.ESOCKTNOSUPPORT},
		{"packet", AF_UNIX, SOCK_PACKET, 0, errno.ESOCKTNOSUPPORT},
		{"type past SOCK_MAX", AF_UNIX, 11, 0, errno.EINVAL},
		{"protocol first", AF_UNIX, 0, 6, errno.EPROTONOSUPPORT},
		{"inet", 2, SOCK_STREAM, 0, errno.EAFNOSUPPORT},
		{"family too big", 1000, SOCK_STREAM, 0, errno.EAFNOSUPPORT},
		{"negative family", -1, SOCK_STREAM, 0, errno.EAFNOSUPPORT},
		{"bad family before bad type", 1000, 12, 0, errno.EAFNOSUPPORT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, CheckCreate(tc.family, tc.typ, tc.protocol))
		})
	}
	assert.Equal(t, SOCK_DGRAM, NewNet().New(SOCK_RAW).Type())
}

func TestTruesize(t *testing.T) {
	for _, tc := range []struct{ linear, data, want int }{
		{1, 0, 768},          // a small skb: kmalloc-512 head + struct sk_buff
		{0, 4096, 4864},      // a page write: empty head, one page
		{3776, 32768, 37120}, // the largest stream skb
		{16064, 0, 16640},    // the largest linear datagram
		{100, 0, 768},
		{200, 0, 1280},
	} {
		assert.Equal(t, tc.want, truesize(tc.linear, tc.data), "%+v", tc)
	}
}

// fill sends size-byte messages on s until EAGAIN and counts them.
func fill(t *testing.T, s *Sock, size int) int {
	n := 0
	for {
		w, err := s.SendMsg(make([]byte, size), nil, nil, &Scm{}, 0)
		if err == errno.EAGAIN {
			return n
		}
		require.NoError(t, err)
		require.Equal(t, size, w)
		n++
	}
}

func TestSendBufferAccounting(t *testing.T) {
	n := NewNet()
	for _, tc := range []struct {
		name      string
		typ, size int
		want      int
	}{
		{"stream bytes", SOCK_STREAM, 1, 278},
		{"stream pages", SOCK_STREAM, 4096, 44},
		{"dgram bytes", SOCK_DGRAM, 1, 278},
		{"seqpacket bytes", SOCK_SEQPACKET, 1, 278},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := n.Pair(tc.typ, Cred{PID: 1})
			assert.Equal(t, uint32(fs.POLLOUT|fs.POLLWRNORM|POLLWRBAND), a.Poll())
			assert.Equal(t, tc.want, fill(t, a, tc.size))
			assert.Zero(t, a.Poll()&fs.POLLOUT, "a full buffer is not writable")
			assert.NotZero(t, b.Poll()&fs.POLLIN)
			got := 0
			for {
				r, err := b.RecvMsg(make([]byte, 1<<16), 0, 1)
				if err == errno.EAGAIN {
					break
				}
				require.NoError(t, err)
				got += r.N
			}
			assert.Equal(t, tc.want*tc.size, got)
			assert.Zero(t, a.wmem.Load(), "every skb was freed")
			assert.NotZero(t, a.Poll()&fs.POLLOUT)
		})
	}
}

func TestStreamSendSplitsLargeWrites(t *testing.T) {
	a, b := NewNet().Pair(SOCK_STREAM, Cred{})
	w, err := a.SendMsg(make([]byte, 300000), nil, nil, &Scm{}, 0)
	require.NoError(t, err)
	// Skbs of at most sndbuf/2-64 = 106432 bytes, truesize-charged until
	// the buffer is full: 36544-byte skbs cost 37120, six fit.
	assert.Equal(t, 6*36544, w)
	assert.Len(t, b.recvQ, 6)
}

func TestDgramBoundaries(t *testing.T) {
	for _, typ := range []int{SOCK_DGRAM, SOCK_SEQPACKET} {
		a, b := NewNet().Pair(typ, Cred{})
		for _, m := range []string{"abc", "defgh", "", "ij"} {
			n, err := a.SendMsg([]byte(m), nil, nil, &Scm{}, 0)
			require.NoError(t, err)
			require.Equal(t, len(m), n)
		}
		for _, tc := range []struct {
			limit, flags int
			want         string
			len, rflags  int
		}{
			{10, 0, "abc", 3, 0},
			{2, MSG_PEEK, "de", 5, MSG_TRUNC},
			{2, 0, "de", 5, MSG_TRUNC},
			{10, 0, "", 0, 0},
			{10, 0, "ij", 2, 0},
		} {
			r, err := b.RecvDgram(tc.limit, tc.flags)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(r.Data))
			assert.Equal(t, tc.len, r.Len)
			assert.Equal(t, tc.rflags, r.Flags)
		}
		_, err := b.RecvDgram(10, 0)
		assert.Equal(t, errno.EAGAIN, err)
		require.NoError(t, b.Shutdown(0))
		_, err = b.RecvDgram(10, 0)
		assert.Equal(t, ErrEOF, err)
	}
}

func TestStreamRecv(t *testing.T) {
	a, b := NewNet().Pair(SOCK_STREAM, Cred{})
	for _, m := range []string{"hello", " world"} {
		_, err := a.SendMsg([]byte(m), nil, nil, &Scm{}, 0)
		require.NoError(t, err)
	}
	buf := make([]byte, 64)
	r, err := b.RecvStream(buf, MSG_PEEK, 1)
	require.NoError(t, err)
	assert.Equal(t, "hello world", string(buf[:r.N]), "peek crosses skbs")
	r, err = b.RecvStream(buf[:3], 0, 1)
	require.NoError(t, err)
	assert.Equal(t, "hel", string(buf[:r.N]))
	r, err = b.RecvStream(buf, 0, 20)
	assert.Equal(t, errno.EAGAIN, err, "short of the target")
	assert.Equal(t, "lo world", string(buf[:r.N]), "but what was there is taken")
	_, err = b.RecvStream(buf, MSG_OOB, 1)
	assert.Equal(t, errno.EINVAL, err)
	require.NoError(t, a.Shutdown(1))
	r, err = b.RecvStream(buf, 0, 1)
	assert.NoError(t, err)
	assert.Zero(t, r.N, "EOF")
	_, err = a.SendMsg([]byte("x"), nil, nil, &Scm{}, 0)
	assert.Equal(t, errno.EPIPE, err)
	_, err = NewNet().New(SOCK_STREAM).RecvStream(buf, 0, 1)
	assert.Equal(t, errno.EINVAL, err, "not connected")
}

func TestRelease(t *testing.T) {
	n := NewNet()
	for _, tc := range []struct {
		name      string
		typ       int
		unread    bool
		poll      uint32
		sendErr   error
		sendAgain error
	}{
		{"stream", SOCK_STREAM, false, fs.POLLIN | fs.POLLRDNORM | fs.POLLHUP | POLLRDHUP | fs.POLLOUT | fs.POLLWRNORM | POLLWRBAND, errno.EPIPE, errno.EPIPE},
		{"stream unread", SOCK_STREAM, true, fs.POLLERR | fs.POLLIN | fs.POLLRDNORM | fs.POLLHUP | POLLRDHUP | fs.POLLOUT | fs.POLLWRNORM | POLLWRBAND, errno.EPIPE, errno.EPIPE}, // SEND_SHUTDOWN is checked before sk_err
		{"seqpacket", SOCK_SEQPACKET, false, fs.POLLIN | fs.POLLRDNORM | fs.POLLHUP | POLLRDHUP | fs.POLLOUT | fs.POLLWRNORM | POLLWRBAND, errno.EPIPE, errno.EPIPE},
		{"dgram", SOCK_DGRAM, false, fs.POLLOUT | fs.POLLWRNORM | POLLWRBAND, errno.ECONNREFUSED, errno.ENOTCONN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := n.Pair(tc.typ, Cred{})
			if tc.unread {
				_, err := a.SendMsg([]byte("x"), nil, nil, &Scm{}, 0)
				require.NoError(t, err)
			}
			b.Release()
			assert.Equal(t, tc.poll, a.Poll())
			_, err := a.SendMsg([]byte("y"), nil, nil, &Scm{}, 0)
			assert.Equal(t, tc.sendErr, err)
			_, err = a.SendMsg([]byte("y"), nil, nil, &Scm{}, 0)
			assert.Equal(t, tc.sendAgain, err)
			assert.Zero(t, a.wmem.Load(), "the dead peer's queue was freed")
		})
	}
}

// countedFile is a PassedFile that counts its references.
type countedFile struct{ refs *int }

func (c countedFile) Drop()           { *c.refs-- }
func (c countedFile) Dup() PassedFile { *c.refs++; return c }

type fakeSource struct {
	refs *int
	pids map[int32]bool
}

func (f fakeSource) FileRef(fd int32) (PassedFile, error) {
	if fd < 0 || fd > 10 {
		return nil, errno.EBADF
	}
	*f.refs++
	return countedFile{f.refs}, nil
}

func (f fakeSource) PIDExists(pid int32) bool { return f.pids[pid] }

// MayClaim: the fake sender is uid 0 without CAP_SETUID, gid 0 with
// CAP_SETGID, and pid 5 with CAP_SYS_ADMIN.
func (f fakeSource) MayClaim(c Cred) bool { return c.UID == 0 || c.UID == 1000 }

// cmsg builds one control message.
func cmsg(level, typ int32, data []byte, claimed int) []byte {
	b := make([]byte, CmsgSpace(len(data)))
	if claimed < 0 {
		claimed = CmsgLen(len(data))
	}
	binary.LittleEndian.PutUint64(b, uint64(claimed))
	binary.LittleEndian.PutUint32(b[8:], uint32(level))
	binary.LittleEndian.PutUint32(b[12:], uint32(typ))
	copy(b[16:], data)
	return b
}

func fds(v ...int32) []byte {
	var b []byte
	for _, fd := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(fd))
	}
	return b
}

func TestSendScm(t *testing.T) {
	many := make([]int32, SCM_MAX_FD+1)
	for _, tc := range []struct {
		name  string
		ctl   []byte
		err   error
		files int
		cred  Cred
	}{
		{"empty", nil, nil, 0, Cred{PID: 5}},
		{"under a header", make([]byte, 15), nil, 0, Cred{PID: 5}},
		{"zeroed header", make([]byte, 16), errno.EINVAL, 0, Cred{}},
		{"one fd", cmsg(SOL_SOCKET, SCM_RIGHTS, fds(3), -1), nil, 1, Cred{PID: 5}},
		{"two messages", append(cmsg(SOL_SOCKET, SCM_RIGHTS, fds(3, 4), -1), cmsg(SOL_SOCKET, SCM_RIGHTS, fds(5), -1)...), nil, 3, Cred{PID: 5}},
		{"no fds", cmsg(SOL_SOCKET, SCM_RIGHTS, nil, -1), nil, 0, Cred{PID: 5}},
		{"bad fd drops the rest", cmsg(SOL_SOCKET, SCM_RIGHTS, fds(3, 99), -1), errno.EBADF, 0, Cred{}},
		{"too many", cmsg(SOL_SOCKET, SCM_RIGHTS, fds(many...), -1), errno.EINVAL, 0, Cred{}},
		{"len past the buffer", cmsg(SOL_SOCKET, SCM_RIGHTS, fds(3), 40), errno.EINVAL, 0, Cred{}},
		{"len under a header", cmsg(SOL_SOCKET, SCM_RIGHTS, fds(3), 8), errno.EINVAL, 0, Cred{}},
		{"other level ignored", cmsg(6, 1, fds(3), -1), nil, 0, Cred{PID: 5}},
		{"unknown type", cmsg(SOL_SOCKET, 99, nil, -1), errno.EINVAL, 0, Cred{}},
		{"credentials", cmsg(SOL_SOCKET, SCM_CREDENTIALS, EncodeUcred(Cred{7, 1000, 2}), -1), nil, 0, Cred{7, 1000, 2}},
		{"not ours to claim", cmsg(SOL_SOCKET, SCM_CREDENTIALS, EncodeUcred(Cred{7, 1, 2}), -1), errno.EPERM, 0, Cred{}},
		{"own pid", cmsg(SOL_SOCKET, SCM_CREDENTIALS, EncodeUcred(Cred{5, 0, 0}), -1), nil, 0, Cred{PID: 5}},
		{"no such pid", cmsg(SOL_SOCKET, SCM_CREDENTIALS, EncodeUcred(Cred{8, 0, 0}), -1), errno.ESRCH, 0, Cred{}},
		{"uid -1", cmsg(SOL_SOCKET, SCM_CREDENTIALS, EncodeUcred(Cred{7, ^uint32(0), 0}), -1), errno.EINVAL, 0, Cred{}},
		{"short ucred", cmsg(SOL_SOCKET, SCM_CREDENTIALS, make([]byte, 8), -1), errno.EINVAL, 0, Cred{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			refs := 0
			scm := &Scm{Cred: Cred{PID: 5}}
			cmsgs, err := ParseCmsgs(tc.ctl)
			if err == nil {
				err = SendScm(cmsgs, fakeSource{&refs, map[int32]bool{7: true}}, scm)
			}
			assert.Equal(t, tc.err, err)
			assert.Equal(t, tc.files, refs, "references held")
			assert.Len(t, scm.Files, tc.files)
			if err == nil {
				assert.Equal(t, tc.cred, scm.Cred)
			}
			scm.Destroy()
			assert.Zero(t, refs)
		})
	}
}

// FuzzParseCmsgs: any control buffer either parses into messages that lie
// inside it or is EINVAL; SendScm then never leaks a reference.
func FuzzParseCmsgs(f *testing.F) {
	f.Add(cmsg(SOL_SOCKET, SCM_RIGHTS, fds(1, 2), -1))
	f.Add(append(cmsg(SOL_SOCKET, SCM_CREDENTIALS, EncodeUcred(Cred{7, 0, 0}), -1), cmsg(SOL_SOCKET, SCM_RIGHTS, fds(99), -1)...))
	f.Add(cmsg(SOL_SOCKET, SCM_RIGHTS, nil, 1<<62))
	f.Add(make([]byte, 17))
	f.Fuzz(func(t *testing.T, ctl []byte) {
		cmsgs, err := ParseCmsgs(ctl)
		if err != nil {
			require.Equal(t, errno.EINVAL, err)
			return
		}
		total := 0
		for _, c := range cmsgs {
			total += CmsghdrSize + len(c.Data)
		}
		require.LessOrEqual(t, total, len(ctl))
		refs := 0
		scm := &Scm{}
		err = SendScm(cmsgs, fakeSource{&refs, map[int32]bool{7: true}}, scm)
		if err != nil {
			require.Zero(t, refs)
		}
		require.LessOrEqual(t, len(scm.Files), SCM_MAX_FD)
		scm.Destroy()
		require.Zero(t, refs)
	})
}

func TestCmsgWriter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		size   int
		nfds   int
		cred   bool
		used   int
		trunc  bool
		gotFds int
	}{
		{"room for all", 64, 2, false, 24, false, 2},
		{"room for one", 20, 2, false, 20, true, 1},
		{"header only", 16, 1, false, 0, true, 0},
		{"none", 0, 1, false, 0, true, 0},
		{"cred then fd", 56, 1, true, 56, false, 1},
		{"cred, no room for the fd", 48, 1, true, 32, true, 0},
		{"cred cut", 20, 0, true, 20, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := CmsgWriter{Size: tc.size}
			if tc.cred {
				w.Put(SOL_SOCKET, SCM_CREDENTIALS, EncodeUcred(Cred{1, 2, 3}))
			}
			n := min(w.MaxFDs(), tc.nfds)
			var got []int32
			for i := 0; i < n; i++ {
				got = append(got, int32(10+i))
			}
			if tc.nfds > 0 {
				w.PutRights(got, tc.nfds)
			}
			assert.Equal(t, tc.used, w.Used)
			assert.Equal(t, tc.trunc, w.Trunc)
			assert.Equal(t, tc.gotFds, n)
			end := 0
			for _, wr := range w.Writes {
				assert.GreaterOrEqual(t, wr.Off, end, "writes in order, no overlap")
				end = wr.Off + len(wr.B)
				assert.LessOrEqual(t, end, tc.size, "inside the buffer")
			}
		})
	}
}

func TestParseAddr(t *testing.T) {
	sun := func(path string) []byte {
		return append(binary.LittleEndian.AppendUint16(nil, AF_UNIX), path...)
	}
	for _, tc := range []struct {
		name string
		in   []byte
		path string
		raw  int
		err  error
	}{
		{"path", sun("/tmp/s\x00junk"), "/tmp/s", 9, nil},
		{"path without NUL", sun("/tmp/s"), "/tmp/s", 9, nil},
		{"abstract", sun("\x00name"), "", 7, nil},
		{"family only", sun(""), "", 0, errno.EINVAL},
		{"too long", sun(string(make([]byte, 109))), "", 0, errno.EINVAL},
		{"108 bytes", sun("/" + string(make([]byte, 107))), "/", 4, nil},
		{"wrong family", []byte{2, 0, '/', 0}, "", 0, errno.EINVAL},
		{"short", []byte{1}, "", 0, errno.EINVAL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := ParseAddr(tc.in)
			assert.Equal(t, tc.err, err)
			if err == nil {
				assert.Equal(t, tc.path, a.Path)
				assert.Len(t, a.Raw, tc.raw)
			}
		})
	}
	assert.True(t, IsAutobind(sun("")))
}

func FuzzParseAddr(f *testing.F) {
	f.Add([]byte{1, 0, '/', 'x', 0})
	f.Add([]byte{1, 0, 0, 'a'})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAddr(b)
		if err != nil {
			return
		}
		require.LessOrEqual(t, len(a.Raw), SockaddrUnLen+1)
		require.GreaterOrEqual(t, len(a.Raw), SunPathOffset+1)
		if !a.Abstract() {
			require.NotContains(t, a.Path, "\x00")
		}
	})
}

func TestSockopt(t *testing.T) {
	s := NewNet().New(SOCK_SEQPACKET)
	i32 := func(v int32) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }
	for _, tc := range []struct {
		name   string
		set    int
		val    int32
		setErr error
		get    int
		want   []byte
		getErr error
	}{
		{"type", 0, 0, nil, SO_TYPE, i32(SOCK_SEQPACKET), nil},
		{"domain", 0, 0, nil, SO_DOMAIN, i32(AF_UNIX), nil},
		{"sndbuf doubled", SO_SNDBUF, 10000, nil, SO_SNDBUF, i32(20000), nil},
		{"sndbuf min", SO_SNDBUF, 1, nil, SO_SNDBUF, i32(SockMinSndbuf), nil},
		{"sndbuf negative is huge", SO_SNDBUF, -1, nil, SO_SNDBUF, i32(2 * WmemMax), nil},
		{"sndbufforce", SO_SNDBUFFORCE, 1 << 20, nil, SO_SNDBUF, i32(2 << 20), nil},
		{"sndbufforce negative", SO_SNDBUFFORCE, -5, nil, SO_SNDBUF, i32(SockMinSndbuf), nil},
		{"rcvbuf", SO_RCVBUF, 1 << 30, nil, SO_RCVBUF, i32(2 * RmemMax), nil},
		{"rcvbuf min", SO_RCVBUF, 0, nil, SO_RCVBUF, i32(SockMinRcvbuf), nil},
		{"passcred", SO_PASSCRED, 5, nil, SO_PASSCRED, i32(1), nil},
		{"keepalive", SO_KEEPALIVE, 1, nil, SO_KEEPALIVE, i32(1), nil},
		{"rcvlowat", SO_RCVLOWAT, 0, nil, SO_RCVLOWAT, i32(1), nil},
		{"peercred unconnected", 0, 0, nil, SO_PEERCRED, EncodeUcred(Cred{0, overflowID, overflowID}), nil},
		{"set type", SO_TYPE, 1, errno.ENOPROTOOPT, SO_ERROR, i32(0), nil},
		{"unknown", 9999, 1, errno.ENOPROTOOPT, 9999, nil, errno.ENOPROTOOPT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.set != 0 {
				assert.Equal(t, tc.setErr, s.SetSockopt(SOL_SOCKET, tc.set, i32(tc.val)))
			}
			v, err := s.GetSockopt(SOL_SOCKET, tc.get)
			assert.Equal(t, tc.getErr, err)
			assert.Equal(t, tc.want, v)
		})
	}
	assert.Equal(t, errno.EINVAL, s.SetSockopt(SOL_SOCKET, SO_SNDBUF, []byte{1, 2}))
	assert.Equal(t, errno.EOPNOTSUPP, s.SetSockopt(6, 1, i32(1)))
	_, err := s.GetSockopt(6, 1)
	assert.Equal(t, errno.EOPNOTSUPP, err)
}

func TestBindConnectAccept(t *testing.T) {
	n := NewNet()
	l := n.New(SOCK_STREAM)
	a, err := ParseAddr([]byte("\x01\x00\x00srv"))
	require.NoError(t, err)
	assert.Equal(t, errno.EINVAL, l.Listen(5, Cred{}), "unbound")
	require.NoError(t, n.BindAbstract(l, a))
	assert.Equal(t, errno.EINVAL, n.BindAbstract(l, a), "bound already")
	assert.Equal(t, errno.EADDRINUSE, n.BindAbstract(n.New(SOCK_STREAM), a))
	require.NoError(t, n.BindAbstract(n.New(SOCK_DGRAM), a), "another type has its own names")
	found, err := n.FindAbstract(a, SOCK_STREAM)
	require.NoError(t, err)
	c := n.New(SOCK_STREAM)
	assert.Equal(t, errno.ECONNREFUSED, c.Connect(found, Cred{PID: 9}), "not listening")
	require.NoError(t, l.Listen(1, Cred{PID: 3}))
	_, err = l.Accept()
	assert.Equal(t, errno.EAGAIN, err)
	require.NoError(t, c.Connect(l, Cred{PID: 9}))
	assert.Equal(t, errno.EISCONN, c.Connect(l, Cred{PID: 9}))
	c2 := n.New(SOCK_STREAM)
	require.NoError(t, c2.Connect(l, Cred{}), "backlog 1: the queue holds two (> test)")
	assert.Equal(t, errno.EAGAIN, n.New(SOCK_STREAM).Connect(l, Cred{}), "backlog full")
	s, err := l.Accept()
	require.NoError(t, err)
	assert.Equal(t, a.Raw, s.Name(), "the accepted socket has the listener's name")
	pn, err := c.PeerName()
	require.NoError(t, err)
	assert.Equal(t, a.Raw, pn)
	v, _ := c.GetSockopt(SOL_SOCKET, SO_PEERCRED)
	assert.Equal(t, EncodeUcred(Cred{PID: 3}), v, "the listener's credentials")
	_, err = c.SendMsg([]byte("hi"), nil, nil, &Scm{}, 0)
	require.NoError(t, err)
	r, err := s.RecvStream(make([]byte, 8), 0, 1)
	require.NoError(t, err)
	assert.Equal(t, 2, r.N)
	// Closing the listener resets the connection nobody accepted.
	l.Release()
	_, err = c2.RecvStream(make([]byte, 8), 0, 1)
	assert.Equal(t, errno.ECONNRESET, err)
	_, err = n.FindAbstract(a, SOCK_STREAM)
	assert.Equal(t, errno.ECONNREFUSED, err, "the name went with the listener")
	d := n.New(SOCK_DGRAM)
	require.NoError(t, n.Autobind(d))
	assert.Len(t, d.Name(), 8)
	assert.Equal(t, []byte{1, 0, 0, '0', '0', '0', '0', '1'}, d.Name())
}

// TestConcurrentPair has both ends send and receive at once, with the
// socket's own operations racing (go test -race): no deadlock between the
// two sockets' locks, and every byte arrives once.
func TestConcurrentPair(t *testing.T) {
	for _, typ := range []int{SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET} {
		a, b := NewNet().Pair(typ, Cred{})
		const total = 200000
		done := make(chan int, 4)
		send := func(s *Sock) {
			sent := 0
			for sent < total {
				n, err := s.SendMsg(make([]byte, min(1000, total-sent)), nil, nil, &Scm{}, 0)
				if err == errno.EAGAIN {
					continue
				}
				if err != nil {
					panic(err)
				}
				sent += n
			}
			done <- sent
		}
		recv := func(s *Sock) {
			got := 0
			buf := make([]byte, 4096)
			for got < total {
				r, err := s.RecvMsg(buf, 0, 1)
				if err == errno.EAGAIN {
					s.Poll()
					continue
				}
				if err != nil {
					panic(err)
				}
				got += r.N
			}
			done <- got
		}
		go send(a)
		go send(b)
		go recv(a)
		go recv(b)
		for i := 0; i < 4; i++ {
			assert.Equal(t, total, <-done)
		}
		assert.Zero(t, a.wmem.Load())
		assert.Zero(t, b.wmem.Load())
		a.Release()
		b.Release()
	}
}
