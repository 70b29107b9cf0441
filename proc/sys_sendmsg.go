package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/net/unix"
)

func init() {
	syscallTable[SYS_sendto] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		m := msghdr{iov: []iovec{{a[1], a[2]}}}
		if a[4] != 0 {
			m.name, m.namelen = a[4], int(int32(a[5]))
		}
		return k.sysSendmsg(t, int(int32(a[0])), &m, int(int32(a[3])))
	}
	syscallTable[SYS_recvfrom] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		m := msghdr{iov: []iovec{{a[1], a[2]}}, name: a[4]}
		return k.sysRecvmsg(t, int(int32(a[0])), &m, int(int32(a[3])), a[5])
	}
	syscallTable[SYS_sendmsg] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		if err := checkSockfd(t, int(int32(a[0]))); err != nil {
			return 0, err
		}
		m, err := t.copyMsghdr(a[1], true)
		if err != nil {
			return 0, err
		}
		return k.sysSendmsg(t, int(int32(a[0])), m, int(int32(a[2])))
	}
	syscallTable[SYS_recvmsg] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		if err := checkSockfd(t, int(int32(a[0]))); err != nil {
			return 0, err
		}
		m, err := t.copyMsghdr(a[1], false)
		if err != nil {
			return 0, err
		}
		m.user = a[1]
		return k.sysRecvmsg(t, int(int32(a[0])), m, int(int32(a[2])), 0)
	}
}

// msghdr is struct user_msghdr as copied in (copy_msghdr_from_user).
type msghdr struct {
	name       uint64
	namelen    int
	iov        []iovec
	control    uint64
	controllen uint64
	user       uint64 // where recvmsg writes back (0: recvfrom)
}

// msghdrSize is sizeof(struct user_msghdr) on x86-64.
const msghdrSize = 56

// parseMsghdr decodes struct user_msghdr (__copy_msghdr): a null name
// has no length; a negative length is EINVAL and one over
// sizeof(struct sockaddr_storage) is cut to it; more than UIO_MAXIOV
// iovecs is EMSGSIZE.
func parseMsghdr(b []byte) (m msghdr, iovVA, iovlen uint64, err error) {
	le := binary.LittleEndian
	m.name = le.Uint64(b)
	m.namelen = int(int32(le.Uint32(b[8:])))
	iovVA, iovlen = le.Uint64(b[16:]), le.Uint64(b[24:])
	m.control, m.controllen = le.Uint64(b[32:]), le.Uint64(b[40:])
	if m.name == 0 {
		m.namelen = 0
	}
	if m.namelen < 0 {
		return m, 0, 0, errno.EINVAL
	}
	m.namelen = min(m.namelen, sockaddrStorage)
	if iovlen > uioMaxIOV {
		return m, 0, 0, errno.EMSGSIZE
	}
	return m, iovVA, iovlen, nil
}

// copyMsghdr copies in a msghdr and its iovec array (import_iovec).
func (t *Task) copyMsghdr(va uint64, send bool) (*msghdr, error) {
	b, err := t.copyIn(va, msghdrSize)
	if err != nil {
		return nil, err
	}
	m, iovVA, iovlen, err := parseMsghdr(b)
	if err != nil {
		return nil, err
	}
	if m.iov, err = t.readIovec(iovVA, iovlen); err != nil {
		return nil, err
	}
	return &m, nil
}

func iovTotal(iov []iovec) uint64 {
	var total uint64
	for _, v := range iov {
		total += v.len
	}
	return min(total, maxRWCount)
}

// passedFile is an open file in flight in an SCM_RIGHTS message.
type passedFile struct{ of *OpenFile }

func (p passedFile) Drop()                { p.of.put() }
func (p passedFile) Dup() unix.PassedFile { p.of.get(); return p }

// scmSource lets unix.SendScm take references to the sender's files.
type scmSource struct {
	k *Kernel
	t *Task
}

func (s scmSource) FileRef(fd int32) (unix.PassedFile, error) {
	of, err := s.t.Files.Get(int(fd)) // fget_raw: the reference goes with the message
	if err != nil {
		return nil, err
	}
	return passedFile{of}, nil
}

// MayClaim is scm_check_creds: the sender's own pid, or CAP_SYS_ADMIN;
// one of its real, effective or saved uids, or CAP_SETUID; and likewise
// for the gid with CAP_SETGID.
func (s scmSource) MayClaim(c unix.Cred) bool {
	cr := s.t.Cred()
	return (c.PID == int32(s.t.TGID) || cr.Capable(CAP_SYS_ADMIN)) &&
		(c.UID == cr.UID || c.UID == cr.EUID || c.UID == cr.SUID || cr.Capable(CAP_SETUID)) &&
		(c.GID == cr.GID || c.GID == cr.EGID || c.GID == cr.SGID || cr.Capable(CAP_SETGID))
}

func (s scmSource) PIDExists(pid int32) bool {
	s.k.tasklistLock.Lock()
	defer s.k.tasklistLock.Unlock()
	return pid > 0 && s.k.pids.find(int(pid)) != nil
}

// sysSendmsg is ____sys_sendmsg and sock_sendmsg for a unix socket: the
// address and control data are copied in and checked, then the socket
// takes the data (unix_stream_sendmsg, unix_dgram_sendmsg), sleeping while
// its send buffer is full unless the call must not block.
func (k *Kernel) sysSendmsg(t *Task, fd int, m *msghdr, flags int) (uint64, error) {
	of, s, err := sockfdLookup(t, fd)
	if err != nil {
		return 0, err
	}
	defer of.put()
	var to *unix.Sock
	var toAddr []byte
	if m.name != 0 && m.namelen != 0 {
		b, err := t.moveAddrToKernel(m.name, m.namelen)
		if err != nil {
			return 0, err
		}
		if s.Type() == unix.SOCK_DGRAM {
			a, err := unix.ParseAddr(b)
			if err != nil {
				return 0, err
			}
			if to, err = k.findOther(t, a, s.Type()); err != nil {
				return 0, err
			}
			toAddr = a.Raw
		} else if s.Type() == unix.SOCK_STREAM {
			toAddr = b // unix_stream_sendmsg refuses any address
		}
	}
	scm := &unix.Scm{Cred: credOf(t)}
	if m.controllen > 0 {
		if m.controllen > unix.OptmemMax {
			return 0, errno.ENOBUFS
		}
		ctl, err := t.copyIn(m.control, int(m.controllen))
		if err != nil {
			return 0, err
		}
		cmsgs, err := unix.ParseCmsgs(ctl)
		if err != nil {
			return 0, err
		}
		if err := unix.SendScm(cmsgs, scmSource{k, t}, scm); err != nil {
			return 0, err
		}
	}
	defer scm.Destroy() // the files no message took
	if s.Passcred() || s.PeerPasscred() {
		if err := k.unixNet.Autobind(s); err != nil {
			return 0, err
		}
	}
	if of.Nonblock() {
		flags |= unix.MSG_DONTWAIT
	}
	n, err := k.sockSend(t, s, m.iov, to, toAddr, scm, flags)
	if err == errno.EPIPE && s.Type() == unix.SOCK_STREAM && flags&unix.MSG_NOSIGNAL == 0 {
		k.SendSignalInfo(t, SigInfo{Signo: SIGPIPE, Code: SI_USER, PID: int32(t.TGID)}, false)
	}
	return n, err
}

// sockSend moves the data of iov into the socket. A stream send goes on
// until every byte is queued, chunk by chunk through the bounce buffer,
// sleeping when the send buffer is full; the bytes queued before a sleep
// are kept in the restart block, and a signal then ends the call with
// that count. A datagram is copied whole and queued at once or not at all.
func (k *Kernel) sockSend(t *Task, s *unix.Sock, iov []iovec, to *unix.Sock, toAddr []byte, scm *unix.Scm, flags int) (uint64, error) {
	nonblock := flags&unix.MSG_DONTWAIT != 0
	_, timeo := s.Timeouts()
	total := iovTotal(iov)
	if s.Type() != unix.SOCK_STREAM {
		if err := s.CheckDgramSend(int(min(total, 1<<31)), to, toAddr != nil); err != nil {
			return 0, err
		}
		buf := make([]byte, total)
		if err := t.gatherIovec(buf, iov); err != nil {
			return 0, err
		}
		return k.sockWait(t, s, nonblock, timeo, func() (uint64, error) {
			n, err := s.SendMsg(buf, to, toAddr, scm, flags)
			return uint64(n), err
		})
	}
	done := uint64(0)
	if t.pending {
		done = t.restart.rwDone // the call runs again after a sleep
		if done > 0 {
			scm.Destroy() // the files went with the first skb
		}
	}
	t.restart.rwDone = done
	try := func() (uint64, error) {
		for {
			buf := t.rwBuffer(min(total-done, 64<<10))
			if err := t.gatherIovec(buf, skipIovec(iov, done)); err != nil {
				return partial(done, 0, err)
			}
			n, err := s.SendMsg(buf, nil, toAddr, scm, flags)
			done += uint64(n)
			t.restart.rwDone = done
			if err == errno.EAGAIN {
				return done, err
			}
			if err != nil || done >= total {
				return partial(done, 0, err)
			}
		}
	}
	n, err := try()
	if err != errno.EAGAIN {
		return n, err
	}
	if err := k.sockMayBlock(t, nonblock, timeo); err != nil {
		return partial(done, 0, err)
	}
	q := s.Wait()
	k.prepareToWait(t, q)
	if n, err = try(); err != errno.EAGAIN {
		k.finishWait(t, q)
		return partial(done, n, err)
	}
	k.sockArmTimeout(t, timeo)
	return 0, errBlock
}

// gatherIovec fills buf from the user buffers of iov (EFAULT if one is
// bad before buf is full).
func (t *Task) gatherIovec(buf []byte, iov []iovec) error {
	n := 0
	for _, v := range iov {
		if n == len(buf) {
			break
		}
		m := min(v.len, uint64(len(buf)-n))
		if err := t.copyInto(buf[n:n+int(m)], v.base); err != nil {
			return err
		}
		n += int(m)
	}
	return nil
}

// scatterIovec copies b to the user buffers of iov.
func (t *Task) scatterIovec(iov []iovec, b []byte) error {
	for _, v := range iov {
		if len(b) == 0 {
			break
		}
		m := min(uint64(len(b)), v.len)
		if err := t.copyOut(v.base, b[:m]); err != nil {
			return err
		}
		b = b[m:]
	}
	return nil
}

// sockRW is read and write on a socket (sock_read_iter, sock_write_iter):
// recvmsg and sendmsg with no flags but the descriptor's O_NONBLOCK. A
// zero-length read returns 0 at once; a zero-length write still sends
// (an empty datagram).
func (k *Kernel) sockRW(t *Task, of *OpenFile, write bool, iov []iovec) (uint64, error) {
	flags := 0
	if of.Nonblock() {
		flags = unix.MSG_DONTWAIT
	}
	s := of.sock
	if write {
		scm := &unix.Scm{Cred: credOf(t)}
		if s.Passcred() || s.PeerPasscred() {
			if err := k.unixNet.Autobind(s); err != nil {
				return 0, err
			}
		}
		n, err := k.sockSend(t, s, iov, nil, nil, scm, flags)
		if err == errno.EPIPE && s.Type() == unix.SOCK_STREAM {
			k.SendSignalInfo(t, SigInfo{Signo: SIGPIPE, Code: SI_USER, PID: int32(t.TGID)}, false)
		}
		return n, err
	}
	if iovTotal(iov) == 0 {
		return 0, nil
	}
	n, r, err := k.sockRecv(t, s, iov, flags)
	if r.Scm != nil {
		r.Scm.Destroy() // read(2) has nowhere to put passed files
	}
	return n, err
}

// sockRecv takes data from the socket into iov, sleeping for it unless
// the call must not block. It returns the count recvmsg reports (the full
// datagram length with MSG_TRUNC) and the first message's control data.
func (k *Kernel) sockRecv(t *Task, s *unix.Sock, iov []iovec, flags int) (uint64, unix.RecvResult, error) {
	nonblock := flags&unix.MSG_DONTWAIT != 0
	timeo, _ := s.Timeouts()
	total := iovTotal(iov)
	if s.Type() != unix.SOCK_STREAM {
		var res unix.RecvResult
		n, err := k.sockWait(t, s, nonblock, timeo, func() (uint64, error) {
			r, err := s.RecvDgram(int(total), flags)
			if err == unix.ErrEOF {
				// __skb_wait_for_more_packets sees the shutdown; a
				// non-blocking datagram read still says EAGAIN.
				if nonblock && s.Type() == unix.SOCK_DGRAM {
					return 0, errno.EAGAIN
				}
				return 0, nil
			}
			if err != nil {
				return 0, err
			}
			res = r
			if err := t.scatterIovec(iov, r.Data); err != nil {
				r.Scm.Destroy()
				res = unix.RecvResult{}
				return 0, err
			}
			if flags&unix.MSG_TRUNC != 0 {
				return uint64(r.Len), nil
			}
			return uint64(r.N), nil
		})
		return n, res, err
	}
	// A stream read: up to total bytes, waiting until target of them
	// are in (1, SO_RCVLOWAT, or all with MSG_WAITALL).
	target := uint64(s.RecvTarget(int(total), flags&unix.MSG_WAITALL != 0))
	done := uint64(0)
	if t.pending {
		done = t.restart.rwDone
	}
	t.restart.rwDone = done
	var res unix.RecvResult
	try := func() (uint64, error) {
		for {
			buf := t.rwBuffer(min(total-done, 64<<10))
			r, err := s.RecvStream(buf, flags, int(target-min(target, done)))
			if r.N > 0 || err == nil {
				if res.Scm == nil {
					res = r
				} else if r.Scm != nil {
					r.Scm.Destroy()
				}
				if cerr := t.scatterIovec(skipIovec(iov, done), buf[:r.N]); cerr != nil {
					return partial(done, 0, cerr)
				}
				done += uint64(r.N)
				t.restart.rwDone = done
			}
			if err == errno.EAGAIN {
				if done >= target {
					return done, nil
				}
				return done, err // wait for more
			}
			if err != nil {
				return partial(done, 0, err)
			}
			if r.N == 0 || done >= total || flags&unix.MSG_PEEK != 0 || r.Scm != nil && len(r.Scm.Files) > 0 {
				return done, nil
			}
		}
	}
	n, err := try()
	if err != errno.EAGAIN {
		return n, res, err
	}
	if err := k.sockMayBlock(t, nonblock, timeo); err != nil {
		n, err = partial(done, 0, err)
		return n, res, err
	}
	q := s.Wait()
	k.prepareToWait(t, q)
	if n, err = try(); err != errno.EAGAIN {
		k.finishWait(t, q)
		return n, res, err
	}
	if res.Scm != nil {
		res.Scm.Destroy()
	}
	k.sockArmTimeout(t, timeo)
	return 0, unix.RecvResult{}, errBlock
}

// sysRecvmsg is ____sys_recvmsg (and recvfrom, with addrlen at ulen): the
// data, then the sender's name, the control messages (credentials with
// SO_PASSCRED, passed files installed as new descriptors), the lengths
// used and msg_flags written back.
func (k *Kernel) sysRecvmsg(t *Task, fd int, m *msghdr, flags int, ulen uint64) (uint64, error) {
	of, s, err := sockfdLookup(t, fd)
	if err != nil {
		return 0, err
	}
	defer of.put()
	if of.Nonblock() {
		flags |= unix.MSG_DONTWAIT
	}
	n, r, err := k.sockRecv(t, s, m.iov, flags)
	if err != nil {
		return n, err
	}
	scm := r.Scm
	if scm == nil {
		scm = &unix.Scm{}
	}
	defer scm.Destroy()
	if m.user == 0 { // recvfrom
		if m.name != 0 {
			if err := t.moveAddrToUser(r.From, m.name, ulen); err != nil {
				return 0, err
			}
		}
		return n, nil
	}
	// msg_flags starts as the caller's MSG_CMSG_CLOEXEC (____sys_recvmsg).
	msgFlags := r.Flags | flags&unix.MSG_CMSG_CLOEXEC
	w := unix.CmsgWriter{Size: int(min(m.controllen, 1<<31))}
	if m.control == 0 {
		if r.HasCred || len(scm.Files) > 0 {
			msgFlags |= unix.MSG_CTRUNC
		}
	} else {
		if r.HasCred {
			w.Put(unix.SOL_SOCKET, unix.SCM_CREDENTIALS, unix.EncodeUcred(scm.Cred))
		}
		if len(scm.Files) > 0 {
			k.detachFds(t, m.control, &w, scm, flags&unix.MSG_CMSG_CLOEXEC != 0)
		}
		for _, wr := range w.Writes {
			if err := t.copyOut(m.control+uint64(wr.Off), wr.B); err != nil {
				return 0, err
			}
		}
		if w.Trunc {
			msgFlags |= unix.MSG_CTRUNC
		}
	}
	if m.name != 0 {
		// move_addr_to_user on the msghdr's msg_namelen.
		if err := t.moveAddrToUser(r.From, m.name, m.user+8); err != nil {
			return 0, err
		}
	}
	if err := t.putInt32(m.user+48, int32(msgFlags)); err != nil {
		return 0, err
	}
	if err := t.putUint64(m.user+40, uint64(w.Used)); err != nil {
		return 0, err
	}
	return n, nil
}

// detachFds is scm_detach_fds: each passed file that fits in the control
// buffer gets a new descriptor (O_CLOEXEC with MSG_CMSG_CLOEXEC), stopping
// at the first failure (EMFILE); the rest are dropped and MSG_CTRUNC says
// so.
func (k *Kernel) detachFds(t *Task, control uint64, w *unix.CmsgWriter, scm *unix.Scm, cloexec bool) {
	fdmax := min(w.MaxFDs(), len(scm.Files))
	var fds []int32
	for i := 0; i < fdmax; i++ {
		of := scm.Files[i].(passedFile).of
		of.get()
		fd, err := t.Files.Install(of, 0, cloexec)
		if err != nil {
			of.put()
			break
		}
		fds = append(fds, int32(fd))
	}
	w.PutRights(fds, len(scm.Files))
}
