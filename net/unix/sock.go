// Package unix is AF_UNIX sockets as Linux implements them in
// net/unix/af_unix.c: a unix_sock per socket with its receive queue of
// sk_buffs, a peer pointer, shutdown bits and the sender-side buffer
// accounting (sk_wmem_alloc against sk_sndbuf) that makes a writer wait.
// Stream sockets carry bytes, datagram and seqpacket sockets whole
// messages; every message can carry control data (SCM_RIGHTS open files,
// SCM_CREDENTIALS). Nothing here blocks: an operation that would wait
// returns errno.EAGAIN and the system call layer sleeps on Wait() and tries
// again, as the fs.File contract says.
package unix

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"tamix/errno"
	"tamix/fs"
)

// Address family, socket types and type flags (include/linux/net.h,
// include/linux/socket.h).
const (
	AF_UNIX = 1
	AF_MAX  = 46 // first unknown family in Linux 6.1

	SOCK_STREAM    = 1
	SOCK_DGRAM     = 2
	SOCK_RAW       = 3
	SOCK_RDM       = 4
	SOCK_SEQPACKET = 5
	SOCK_PACKET    = 10
	SOCK_MAX       = 11
	SOCK_TYPE_MASK = 0xf
	SOCK_NONBLOCK  = fs.O_NONBLOCK
	SOCK_CLOEXEC   = fs.O_CLOEXEC
)

// Socket states (the TCP_* names Linux reuses for unix sockets).
const (
	TCP_ESTABLISHED = 1
	TCP_CLOSE       = 7
	TCP_LISTEN      = 10
)

// sk_shutdown bits.
const (
	RCV_SHUTDOWN  = 1
	SEND_SHUTDOWN = 2
	SHUTDOWN_MASK = 3
)

// Buffer sizes (net.core.wmem_default, wmem_max, rmem_*; SOCK_MIN_SNDBUF
// and SOCK_MIN_RCVBUF from include/net/sock.h on x86-64).
const (
	WmemDefault   = 212992
	WmemMax       = 212992
	RmemDefault   = 212992
	RmemMax       = 212992
	SockMinSndbuf = 4608
	SockMinRcvbuf = 2304
	// MaxDgramQlen is net.unix.max_dgram_qlen: how many datagrams a
	// receiver that is not connected back to the sender queues.
	MaxDgramQlen = 10
)

// More POLL* bits than fs has.
const (
	POLLWRBAND = 0x200
	POLLRDHUP  = 0x2000
)

// Sock is one AF_UNIX socket (struct socket + struct unix_sock). It is the
// open file's fs.File.
type Sock struct {
	// mu is unix_state_lock: it guards everything below but wmem, and
	// the receive queue (Linux's sk_receive_queue.lock is folded in).
	mu       sync.Mutex
	typ      int
	state    int
	shutdown int
	err      errno.Errno // sk_err, reported once (sock_error)
	dead     bool        // SOCK_DEAD: the last file reference is gone
	peer     *Sock
	recvQ    []*skb
	sndbuf   int
	rcvbuf   int
	passcred bool
	lowat    int // SO_RCVLOWAT as set (0: never set)
	// rcvtimeo and sndtimeo are SO_RCVTIMEO and SO_SNDTIMEO in ns.
	rcvtimeo, sndtimeo int64
	priority           int32
	flags              map[int]bool // the options unix sockets keep but ignore
	addr               []byte       // the bound name as struct sockaddr_un bytes; nil: unbound
	peercred           Cred         // SO_PEERCRED
	// Listening sockets (unix_stream_connect queues embryos here).
	backlog int
	// key is the name this socket is hashed under in its Net (an
	// abstract name or a path's inode), valid while hashed.
	hashed bool
	key    any
	net    *Net

	// wmem is sk_wmem_alloc: the truesize of every skb this socket sent
	// that the receiver has not freed yet.
	wmem atomic.Int64
	// wait is the socket's wait queue (sk_wq): readers wait here for
	// data, writers for wmem to drain, everyone for state changes.
	wait fs.WaitQueue
	// peerWait is woken when a datagram is read from this socket: the
	// senders that found its queue full wait there through their relay
	// entries (unix_dgram_peer_wake_relay).
	peerWait   fs.WaitQueue
	relay      fs.Waiter
	relayArmed atomic.Bool
	// Ino is the sockfs inode number (fstat, /proc/PID/fd links).
	Ino uint64
}

var sockIno atomic.Uint64

// Cred is a process's credentials as a message carries them (struct
// ucred).
type Cred struct {
	PID      int32
	UID, GID uint32
}

// New is unix_create: a socket of typ (the type already checked by
// CheckCreate) in the name space n.
func (n *Net) New(typ int) *Sock {
	if typ == SOCK_RAW {
		typ = SOCK_DGRAM // "Believe it or not BSD has AF_UNIX, SOCK_RAW though nothing uses it."
	}
	return &Sock{
		typ:      typ,
		state:    TCP_CLOSE,
		sndbuf:   WmemDefault,
		rcvbuf:   RmemDefault,
		peercred: Cred{UID: overflowID, GID: overflowID}, // no peer yet
		Ino:      sockIno.Add(1),
		net:      n,
		backlog:  MaxDgramQlen,
		rcvtimeo: NoTimeout,
		sndtimeo: NoTimeout,
	}
}

// CheckCreate is the checks of __sock_create and unix_create: the family
// must be AF_UNIX, the type one unix sockets have, the protocol 0 or
// PF_UNIX.
func CheckCreate(family, typ, protocol int) error {
	if family < 0 || family >= AF_MAX {
		return errno.EAFNOSUPPORT
	}
	if typ < 0 || typ >= SOCK_MAX {
		return errno.EINVAL
	}
	if family != AF_UNIX {
		return errno.EAFNOSUPPORT // no other family is built in
	}
	if protocol != 0 && protocol != AF_UNIX {
		return errno.EPROTONOSUPPORT
	}
	switch typ {
	case SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET:
		return nil
	}
	return errno.ESOCKTNOSUPPORT
}

// Pair is unix_socketpair: a and b become each other's peer, connected,
// and each records the creator's credentials as its peer's (init_peercred).
func (n *Net) Pair(typ int, cred Cred) (a, b *Sock) {
	a, b = n.New(typ), n.New(typ)
	a.peer, b.peer = b, a
	a.peercred, b.peercred = cred, cred
	if typ != SOCK_DGRAM {
		a.state, b.state = TCP_ESTABLISHED, TCP_ESTABLISHED
	}
	return a, b
}

// Type is the socket type (SO_TYPE).
func (s *Sock) Type() int { return s.typ }

// connectionBased reports SOCK_STREAM and SOCK_SEQPACKET.
func (s *Sock) connectionBased() bool { return s.typ != SOCK_DGRAM }

// sockError takes the pending error (sock_error: reported once).
func (s *Sock) sockError() error {
	if s.err == 0 {
		return nil
	}
	e := s.err
	s.err = 0
	return e
}

// writable is unix_writable: at most a quarter of the send buffer is in
// flight.
func (s *Sock) writable() bool { return s.wmem.Load()<<2 <= int64(s.getSndbuf()) }

func (s *Sock) getSndbuf() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sndbuf
}

// Poll is unix_poll (stream) and unix_dgram_poll.
func (s *Sock) Poll() uint32 {
	s.mu.Lock()
	var mask uint32
	if s.err != 0 {
		mask |= fs.POLLERR
	}
	if s.shutdown == SHUTDOWN_MASK {
		mask |= fs.POLLHUP
	}
	if s.shutdown&RCV_SHUTDOWN != 0 {
		mask |= POLLRDHUP | fs.POLLIN | fs.POLLRDNORM
	}
	if len(s.recvQ) > 0 {
		mask |= fs.POLLIN | fs.POLLRDNORM
	}
	if s.connectionBased() && s.state == TCP_CLOSE {
		mask |= fs.POLLHUP
	}
	writable := s.wmem.Load()<<2 <= int64(s.sndbuf)
	other := s.peer
	listening := s.state == TCP_LISTEN
	s.mu.Unlock()
	if listening {
		writable = false // a listener is never writable (unix_writable since 6.10)
	}
	if writable && s.typ == SOCK_DGRAM && other != nil && other.recvqFullFor(s) {
		writable = false
		s.waitForPeer(other) // unix_dgram_peer_wake_me
	}
	if writable {
		mask |= fs.POLLOUT | fs.POLLWRNORM | POLLWRBAND
	}
	return mask
}

// recvqFullFor reports that s may not queue another datagram from sender:
// s is not connected back to it and its queue is past the backlog.
func (s *Sock) recvqFullFor(sender *Sock) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peer != sender && s != sender && len(s.recvQ) > s.backlog
}

// Wait is the socket's wait queue.
func (s *Sock) Wait() *fs.WaitQueue { return &s.wait }

// Shutdown is unix_shutdown; how is SHUT_RD (0), SHUT_WR (1) or
// SHUT_RDWR (2). A connected stream or seqpacket peer gets the mirror
// image: our SHUT_WR is its RCV_SHUTDOWN.
func (s *Sock) Shutdown(how int) error {
	if how < 0 || how > 2 {
		return errno.EINVAL
	}
	mode := how + 1 // SHUT_RD -> RCV_SHUTDOWN, SHUT_WR -> SEND_SHUTDOWN, SHUT_RDWR -> both
	s.mu.Lock()
	s.shutdown |= mode
	other := s.peer
	s.mu.Unlock()
	s.wait.WakeAll() // sk_state_change
	if other != nil && s.connectionBased() {
		peerMode := 0
		if mode&RCV_SHUTDOWN != 0 {
			peerMode |= SEND_SHUTDOWN
		}
		if mode&SEND_SHUTDOWN != 0 {
			peerMode |= RCV_SHUTDOWN
		}
		other.mu.Lock()
		other.shutdown |= peerMode
		other.mu.Unlock()
		other.wait.WakeAll()
	}
	return nil
}

// Release is unix_release_sock, when the last file reference goes: the
// socket is dead, its name unhashed, a stream or seqpacket peer sees both
// directions shut (and ECONNRESET if we leave unread data behind), and the
// queued messages are freed, dropping the files they carry.
func (s *Sock) Release() { s.release(false) }

// release is unix_release_sock; embrion says s is a connection that was
// never accepted, which resets its peer.
func (s *Sock) release(embrion bool) {
	s.net.unhash(s)
	s.mu.Lock()
	s.dead = true
	s.shutdown = SHUTDOWN_MASK
	state := s.state
	s.state = TCP_CLOSE
	skpair := s.peer
	s.peer = nil
	q := s.recvQ
	s.recvQ = nil
	s.mu.Unlock()
	s.wait.WakeAll()
	s.peerWait.WakeAll()
	if skpair != nil && s.connectionBased() {
		skpair.mu.Lock()
		skpair.shutdown = SHUTDOWN_MASK
		if len(q) > 0 || embrion {
			skpair.err = errno.ECONNRESET
		}
		skpair.mu.Unlock()
		skpair.wait.WakeAll()
	}
	for _, b := range q {
		if state == TCP_LISTEN && b.embryo != nil {
			b.embryo.release(true) // a connection nobody accepted
		}
		b.free()
	}
}

// Read is a recv with no flags on a descriptor that does not block; the
// system call layer uses RecvMsg directly.
func (s *Sock) Read(p []byte) (int, error) {
	r, err := s.RecvMsg(p, 0, 1)
	if r.Scm != nil {
		r.Scm.Destroy()
	}
	if err == ErrEOF {
		return 0, nil
	}
	return r.N, err
}

// Write is a send with no flags on a descriptor that does not block.
func (s *Sock) Write(p []byte) (int, error) {
	return s.SendMsg(p, nil, nil, &Scm{}, 0)
}

// SockName is the name /proc/PID/fd links show for a socket.
func (s *Sock) SockName() string { return "socket:[" + itoa(s.Ino) + "]" }

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return string(b[i:])
}

// Ioctl requests unix sockets answer (SIOCINQ is FIONREAD, SIOCOUTQ is
// TIOCOUTQ).
const (
	SIOCINQ  = 0x541b
	SIOCOUTQ = 0x5411
)

// Ioctl is unix_ioctl: SIOCINQ counts the unread bytes (a datagram
// socket: the next message's length; a listener: EINVAL), SIOCOUTQ the
// send-buffer bytes in flight. Anything else is ENOTTY.
func (s *Sock) Ioctl(req uint64, arg []byte) ([]byte, uint64, error) {
	var v int
	switch req {
	case SIOCOUTQ:
		v = int(s.wmem.Load())
	case SIOCINQ:
		s.mu.Lock()
		if s.state == TCP_LISTEN {
			s.mu.Unlock()
			return nil, 0, errno.EINVAL
		}
		if s.typ == SOCK_DGRAM {
			if len(s.recvQ) > 0 {
				v = len(s.recvQ[0].data)
			}
		} else {
			for _, m := range s.recvQ {
				v += m.len()
			}
		}
		s.mu.Unlock()
	default:
		return nil, 0, errno.ENOTTY
	}
	out := make([]byte, 4)
	binary.LittleEndian.PutUint32(out, uint32(v))
	return out, 0, nil
}
