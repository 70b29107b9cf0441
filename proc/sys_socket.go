package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/fs"
	"tamix/net/unix"
	"tamix/vfs"
)

// Socket system call numbers.
const (
	SYS_socket      = 41
	SYS_connect     = 42
	SYS_accept      = 43
	SYS_sendto      = 44
	SYS_recvfrom    = 45
	SYS_sendmsg     = 46
	SYS_recvmsg     = 47
	SYS_shutdown    = 48
	SYS_bind        = 49
	SYS_listen      = 50
	SYS_getsockname = 51
	SYS_getpeername = 52
	SYS_socketpair  = 53
	SYS_setsockopt  = 54
	SYS_getsockopt  = 55
	SYS_accept4     = 288
)

// sockaddrStorage is sizeof(struct sockaddr_storage): the most address
// bytes a call copies in.
const sockaddrStorage = 128

func init() {
	syscallTable[SYS_socket] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.sysSocket(t, int(int32(a[0])), int(int32(a[1])), int(int32(a[2])))
	}
	syscallTable[SYS_socketpair] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.sysSocketpair(t, int(int32(a[0])), int(int32(a[1])), int(int32(a[2])), a[3])
	}
	syscallTable[SYS_shutdown] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		of, s, err := sockfdLookup(t, int(int32(a[0])))
		if err != nil {
			return 0, err
		}
		defer of.put()
		return 0, s.Shutdown(int(int32(a[1])))
	}
	syscallTable[SYS_getsockname] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.getname(t, int(int32(a[0])), a[1], a[2], false)
	}
	syscallTable[SYS_getpeername] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.getname(t, int(int32(a[0])), a[1], a[2], true)
	}
	syscallTable[SYS_getsockopt] = sysGetsockopt
	syscallTable[SYS_setsockopt] = sysSetsockopt
	syscallTable[SYS_bind] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.sysBind(t, int(int32(a[0])), a[1], int(int32(a[2])))
	}
	syscallTable[SYS_listen] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		of, s, err := sockfdLookup(t, int(int32(a[0])))
		if err != nil {
			return 0, err
		}
		defer of.put()
		return 0, s.Listen(int(int32(a[1])), peerCredOf(t))
	}
	syscallTable[SYS_connect] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.sysConnect(t, int(int32(a[0])), a[1], int(int32(a[2])))
	}
	syscallTable[SYS_accept] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.sysAccept4(t, int(int32(a[0])), a[1], a[2], 0)
	}
	syscallTable[SYS_accept4] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.sysAccept4(t, int(int32(a[0])), a[1], a[2], int(int32(a[3])))
	}
}

// credOf is the credentials a message from t carries (scm_set_cred: the
// thread group's pid and the real uid and gid).
func credOf(t *Task) unix.Cred {
	c := t.Cred()
	return unix.Cred{PID: int32(t.TGID), UID: c.UID, GID: c.GID}
}

// peerCredOf is what SO_PEERCRED reports of t (init_peercred and
// cred_to_ucred: the effective uid and gid).
func peerCredOf(t *Task) unix.Cred {
	c := t.Cred()
	return unix.Cred{PID: int32(t.TGID), UID: c.EUID, GID: c.EGID}
}

// sockfdLookup is sockfd_lookup_light: EBADF for a closed descriptor,
// ENOTSOCK for one that is not a socket. The caller holds the open file
// for the call (a close by another thread does not end the socket under
// it) and drops it with put.
func sockfdLookup(t *Task, fd int) (*OpenFile, *unix.Sock, error) {
	of, err := t.Files.Get(fd)
	if err != nil {
		return nil, nil, err
	}
	if of.sock == nil {
		of.put()
		return nil, nil, errno.ENOTSOCK
	}
	return of, of.sock, nil
}

// checkSockfd is sockfdLookup for the EBADF and ENOTSOCK checks alone.
func checkSockfd(t *Task, fd int) error {
	of, _, err := sockfdLookup(t, fd)
	if err == nil {
		of.put()
	}
	return err
}

// socketFlags splits socket(2)'s type into the type and SOCK_NONBLOCK /
// SOCK_CLOEXEC; other high bits are EINVAL.
func socketFlags(typ int) (int, int, error) {
	flags := typ &^ unix.SOCK_TYPE_MASK
	if flags&^(unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK) != 0 {
		return 0, 0, errno.EINVAL
	}
	return typ & unix.SOCK_TYPE_MASK, flags, nil
}

// installSock puts a socket in the descriptor table (sock_map_fd).
func installSock(t *Task, s *unix.Sock, flags int) (int, error) {
	of := NewOpenFile(s, fs.O_RDWR|flags&fs.O_NONBLOCK)
	fd, err := t.Files.Install(of, 0, flags&fs.O_CLOEXEC != 0)
	if err != nil {
		of.put()
		return 0, err
	}
	return fd, nil
}

// sysSocket is __sys_socket.
func (k *Kernel) sysSocket(t *Task, family, typ, protocol int) (uint64, error) {
	typ, flags, err := socketFlags(typ)
	if err != nil {
		return 0, err
	}
	if err := unix.CheckCreate(family, typ, protocol); err != nil {
		return 0, err
	}
	fd, err := installSock(t, k.unixNet.New(typ), flags)
	return uint64(fd), err
}

// sysSocketpair is __sys_socketpair: two connected sockets, their
// descriptors written to sv[2].
func (k *Kernel) sysSocketpair(t *Task, family, typ, protocol int, sv uint64) (uint64, error) {
	typ, flags, err := socketFlags(typ)
	if err != nil {
		return 0, err
	}
	if err := unix.CheckCreate(family, typ, protocol); err != nil {
		return 0, err
	}
	a, b := k.unixNet.Pair(typ, peerCredOf(t))
	fd1, err := installSock(t, a, flags)
	if err != nil {
		b.Release()
		return 0, err
	}
	fd2, err := installSock(t, b, flags)
	if err != nil {
		t.Files.Close(fd1)
		return 0, err
	}
	var out [8]byte
	binary.LittleEndian.PutUint32(out[:], uint32(fd1))
	binary.LittleEndian.PutUint32(out[4:], uint32(fd2))
	if err := t.copyOut(sv, out[:]); err != nil {
		// Linux writes sv before fd_install; the user never sees these.
		t.Files.Close(fd1)
		t.Files.Close(fd2)
		return 0, err
	}
	return 0, nil
}

// moveAddrToUser is move_addr_to_user: at most *ulen bytes of addr go to
// uaddr, and *ulen becomes the full length. A negative *ulen is EINVAL.
func (t *Task) moveAddrToUser(addr []byte, uaddr, ulen uint64) error {
	l, err := t.getUint32(ulen)
	if err != nil {
		return err
	}
	n := int(int32(l))
	if n > len(addr) {
		n = len(addr)
	}
	if n < 0 {
		return errno.EINVAL
	}
	if n > 0 {
		if err := t.copyOut(uaddr, addr[:n]); err != nil {
			return err
		}
	}
	return t.putInt32(ulen, int32(len(addr)))
}

// moveAddrToKernel is move_addr_to_kernel: EINVAL for a length over
// sizeof(struct sockaddr_storage) or negative.
func (t *Task) moveAddrToKernel(uaddr uint64, n int) ([]byte, error) {
	if n < 0 || n > sockaddrStorage {
		return nil, errno.EINVAL
	}
	if n == 0 {
		return []byte{}, nil
	}
	return t.copyIn(uaddr, n)
}

// getname is getsockname and getpeername.
func (k *Kernel) getname(t *Task, fd int, uaddr, ulen uint64, peer bool) (uint64, error) {
	of, s, err := sockfdLookup(t, fd)
	if err != nil {
		return 0, err
	}
	defer of.put()
	addr := s.Name()
	if peer {
		if addr, err = s.PeerName(); err != nil {
			return 0, err
		}
	}
	return 0, t.moveAddrToUser(addr, uaddr, ulen)
}

// sysGetsockopt is __sys_getsockopt: the user's length is read first
// (negative: EINVAL), at most that many bytes of the value are written, and
// the length written back is what was copied.
func sysGetsockopt(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, s, err := sockfdLookup(t, int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	level, name, optval, optlen := int(int32(a[1])), int(int32(a[2])), a[3], a[4]
	if level != unix.SOL_SOCKET {
		return 0, errno.EOPNOTSUPP
	}
	l, err := t.getUint32(optlen)
	if err != nil {
		return 0, err
	}
	n := int(int32(l))
	if n < 0 {
		return 0, errno.EINVAL
	}
	v, err := s.GetSockopt(level, name)
	if err != nil {
		return 0, err
	}
	n = min(n, len(v))
	if err := t.copyOut(optval, v[:n]); err != nil {
		return 0, err
	}
	return 0, t.putInt32(optlen, int32(n))
}

// sysSetsockopt is __sys_setsockopt: a negative length is EINVAL.
func sysSetsockopt(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, s, err := sockfdLookup(t, int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	level, name, optval, optlen := int(int32(a[1])), int(int32(a[2])), a[3], int(int32(a[4]))
	if optlen < 0 {
		return 0, errno.EINVAL
	}
	if level != unix.SOL_SOCKET {
		return 0, errno.EOPNOTSUPP
	}
	if optlen < 4 {
		return 0, errno.EINVAL
	}
	v, err := t.copyIn(optval, min(optlen, 16)) // an int, or a struct timeval
	if err != nil {
		return 0, err
	}
	return 0, s.SetSockopt(level, name, v)
}

// sysBind is unix_bind: the family alone autobinds, an abstract name
// goes in the table, a path becomes a socket inode (mode 0777 less the
// umask; EADDRINUSE when the name exists).
func (k *Kernel) sysBind(t *Task, fd int, uaddr uint64, n int) (uint64, error) {
	of, s, err := sockfdLookup(t, fd)
	if err != nil {
		return 0, err
	}
	defer of.put()
	b, err := t.moveAddrToKernel(uaddr, n)
	if err != nil {
		return 0, err
	}
	if unix.IsAutobind(b) {
		return 0, k.unixNet.Autobind(s)
	}
	a, err := unix.ParseAddr(b)
	if err != nil {
		return 0, err
	}
	if a.Abstract() {
		return 0, k.unixNet.BindAbstract(s, a)
	}
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	base, err := k.startDir(t, AT_FDCWD, a.Path)
	if err != nil {
		return 0, err
	}
	ino, err := v.As(t).Mknod(base, a.Path, vfs.S_IFSOCK|0o777&^k.umask(t), 0)
	if err == errno.EEXIST {
		return 0, errno.EADDRINUSE
	}
	if err != nil {
		return 0, err
	}
	if err := k.unixNet.BindInode(s, ino, a); err != nil {
		v.As(t).Unlink(base, a.Path) // s was bound already: take the node back
		return 0, err
	}
	return 0, nil
}

// findOther is unix_find_other: the socket an address names. A path
// must lead to a socket inode the caller may write (ENOENT, EACCES) that
// someone is bound to (ECONNREFUSED), of the caller's type (EPROTOTYPE).
func (k *Kernel) findOther(t *Task, a unix.Addr, typ int) (*unix.Sock, error) {
	if a.Abstract() {
		return k.unixNet.FindAbstract(a, typ)
	}
	v, err := k.namespace()
	if err != nil {
		return nil, err
	}
	base, err := k.startDir(t, AT_FDCWD, a.Path)
	if err != nil {
		return nil, err
	}
	ino, err := v.As(t).Lookup(base, a.Path)
	if err != nil {
		return nil, err
	}
	// unix_find_bsd: the caller needs write permission on the inode.
	if err := v.As(t).Permission(ino, vfs.MAY_WRITE); err != nil {
		return nil, err
	}
	if v.Stat(ino).Mode&vfs.S_IFMT != vfs.S_IFSOCK {
		return nil, errno.ECONNREFUSED
	}
	return k.unixNet.FindInode(ino, typ)
}

// AF_UNSPEC in connect dissolves a datagram socket's association.
const afUnspec = 0

// sysConnect is __sys_connect: unix_stream_connect sleeps while the
// listener's backlog is full; unix_dgram_connect just sets the peer.
func (k *Kernel) sysConnect(t *Task, fd int, uaddr uint64, n int) (uint64, error) {
	of, s, err := sockfdLookup(t, fd)
	if err != nil {
		return 0, err
	}
	defer of.put()
	b, err := t.moveAddrToKernel(uaddr, n)
	if err != nil {
		return 0, err
	}
	if s.Type() == unix.SOCK_DGRAM && len(b) >= 2 && binary.LittleEndian.Uint16(b) == afUnspec {
		return 0, s.Connect(nil, peerCredOf(t))
	}
	a, err := unix.ParseAddr(b)
	if err != nil {
		return 0, err
	}
	if s.Passcred() {
		if err := k.unixNet.Autobind(s); err != nil {
			return 0, err
		}
	}
	other, err := k.findOther(t, a, s.Type())
	if err != nil {
		return 0, err
	}
	_, sndtimeo := s.Timeouts()
	return k.sockWait(t, s, of.Nonblock(), sndtimeo, func() (uint64, error) {
		return 0, s.Connect(other, peerCredOf(t))
	})
}

// sysAccept4 is __sys_accept4: the connection's socket gets a new
// descriptor (SOCK_NONBLOCK and SOCK_CLOEXEC as asked) and its peer's name
// goes to upeer_sockaddr.
func (k *Kernel) sysAccept4(t *Task, fd int, uaddr, ulen uint64, flags int) (uint64, error) {
	if flags&^(unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK) != 0 {
		return 0, errno.EINVAL
	}
	of, s, err := sockfdLookup(t, fd)
	if err != nil {
		return 0, err
	}
	defer of.put()
	var ns *unix.Sock
	rcvtimeo, _ := s.Timeouts()
	n, err := k.sockWait(t, s, of.Nonblock(), rcvtimeo, func() (uint64, error) {
		var err error
		ns, err = s.Accept()
		return 0, err
	})
	if err != nil {
		return n, err
	}
	nfd, err := installSock(t, ns, flags)
	if err != nil {
		ns.Release()
		return 0, err
	}
	if uaddr != 0 {
		peer, err := ns.PeerName()
		if err != nil {
			peer = ns.Name()
		}
		if err := t.moveAddrToUser(peer, uaddr, ulen); err != nil {
			t.Files.Close(nfd)
			return 0, err
		}
	}
	return uint64(nfd), nil
}

// sockWait calls try until it stops saying EAGAIN, sleeping on the
// socket's wait queue in between (sock_wait_for_wmem, unix_wait_for_peer,
// __skb_wait_for_more_packets), unless the call must not block or its
// timeout timeo (SO_SNDTIMEO or SO_RCVTIMEO) has run out.
func (k *Kernel) sockWait(t *Task, s *unix.Sock, nonblock bool, timeo int64, try func() (uint64, error)) (uint64, error) {
	n, err := try()
	if err != errno.EAGAIN {
		return n, err
	}
	if err := k.sockMayBlock(t, nonblock, timeo); err != nil {
		return 0, err
	}
	q := s.Wait()
	k.prepareToWait(t, q)
	if n, err = try(); err != errno.EAGAIN {
		k.finishWait(t, q)
		return n, err
	}
	k.sockArmTimeout(t, timeo)
	return 0, errBlock
}

// sockMayBlock says whether a socket call that found nothing to do may
// sleep: EAGAIN when it must not wait (O_NONBLOCK, MSG_DONTWAIT, or its
// timeout ran out), a signal ends it with ERESTARTSYS, or EINTR when it
// has a timeout (sock_intr_errno). The timeout's deadline is kept in the
// restart block across the sleeps of one call.
func (k *Kernel) sockMayBlock(t *Task, nonblock bool, timeo int64) error {
	if nonblock || timeo == 0 {
		return errno.EAGAIN
	}
	if timeo > 0 {
		if !t.restart.armed {
			t.restart.deadline = k.Clock() + timeo
			t.restart.armed = true
		}
		if k.Clock() >= t.restart.deadline {
			return errno.EAGAIN
		}
	}
	if k.signalPending(t) {
		if timeo > 0 {
			return errno.EINTR
		}
		return errno.ERESTARTSYS
	}
	return nil
}

// sockArmTimeout has the timer queue wake the task at its deadline.
func (k *Kernel) sockArmTimeout(t *Task, timeo int64) {
	if timeo > 0 {
		k.timers.add(t.restart.deadline, t)
	}
}
