package unix

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"

	"tamix/errno"
)

// Sizes of struct sockaddr_un.
const (
	SunPathOffset = 2   // offsetof(struct sockaddr_un, sun_path)
	SockaddrUnLen = 110 // sizeof(struct sockaddr_un)
	// SOMAXCONN is net.core.somaxconn: the largest listen backlog.
	SOMAXCONN = 4096
)

// Net is the name space of bound unix sockets (struct netns_unix): names
// in the abstract space, and sockets bound to filesystem inodes.
type Net struct {
	mu sync.Mutex
	// names maps an abstract name (with the socket type, which Linux
	// hashes in) or a socket inode to its socket.
	names    map[any]*Sock
	ordernum uint32 // the next autobind name
}

// abstractKey is an abstract name of a socket type.
type abstractKey struct {
	name string
	typ  int
}

// NewNet returns an empty name space.
func NewNet() *Net { return &Net{names: map[any]*Sock{}} }

// Addr is a parsed struct sockaddr_un.
type Addr struct {
	// Path is the filesystem name, "" for an abstract one.
	Path string
	// Raw is the address as Linux keeps it (unix_address): the family
	// and sun_path, for a path up to and including its NUL.
	Raw []byte
}

// Abstract reports a name in the abstract space (sun_path[0] == 0).
func (a Addr) Abstract() bool { return a.Path == "" }

// ParseAddr is unix_validate_addr and unix_mkname_bsd: the length must
// cover the family and at least one byte of sun_path, and not exceed the
// structure; the family must be AF_UNIX. A path name ends at its first
// NUL (or the end of the buffer); an abstract one is every byte given.
func ParseAddr(b []byte) (Addr, error) {
	if len(b) <= SunPathOffset || len(b) > SockaddrUnLen {
		return Addr{}, errno.EINVAL
	}
	if binary.LittleEndian.Uint16(b) != AF_UNIX {
		return Addr{}, errno.EINVAL
	}
	path := b[SunPathOffset:]
	if path[0] == 0 {
		return Addr{Raw: append([]byte(nil), b...)}, nil
	}
	if i := bytes.IndexByte(path, 0); i >= 0 {
		path = path[:i]
	}
	raw := make([]byte, SunPathOffset+len(path)+1)
	copy(raw, b[:SunPathOffset])
	copy(raw[SunPathOffset:], path)
	return Addr{Path: string(path), Raw: raw}, nil
}

// IsAutobind reports bind's special case: only the family, which asks
// for an autobind name.
func IsAutobind(b []byte) bool {
	return len(b) == SunPathOffset && binary.LittleEndian.Uint16(b) == AF_UNIX
}

// Autobind is unix_autobind: an unbound socket gets the abstract name
// "\0XXXXX", five hex digits not in use yet. A bound socket keeps its name.
func (n *Net) Autobind(s *Sock) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr != nil {
		return nil
	}
	for tries := 0; tries <= 0xfffff; tries++ {
		n.ordernum = (n.ordernum + 1) & 0xfffff
		name := fmt.Sprintf("\x00%05x", n.ordernum)
		k := abstractKey{name, s.typ}
		if n.names[k] != nil {
			continue
		}
		raw := make([]byte, SunPathOffset+len(name))
		binary.LittleEndian.PutUint16(raw, AF_UNIX)
		copy(raw[SunPathOffset:], name)
		n.names[k] = s
		s.hashed, s.key, s.addr = true, k, raw
		return nil
	}
	return errno.ENOSPC
}

// BindAbstract is unix_bind_abstract: EINVAL if s already has a name,
// EADDRINUSE if another socket of its type holds this one.
func (n *Net) BindAbstract(s *Sock, a Addr) error {
	return n.bind(s, abstractKey{string(a.Raw[SunPathOffset:]), s.typ}, a.Raw)
}

// BindInode is the end of unix_bind_bsd: s takes the name of the socket
// inode the caller just made (key is that inode).
func (n *Net) BindInode(s *Sock, key any, a Addr) error { return n.bind(s, key, a.Raw) }

func (n *Net) bind(s *Sock, key any, raw []byte) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr != nil {
		return errno.EINVAL
	}
	if n.names[key] != nil {
		return errno.EADDRINUSE
	}
	n.names[key] = s
	s.hashed, s.key, s.addr = true, key, raw
	return nil
}

// unhash takes a dying socket's name out of the table (the socket inode,
// if any, stays in the filesystem, as on Linux).
func (n *Net) unhash(s *Sock) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hashed && n.names[s.key] == s {
		delete(n.names, s.key)
	}
	s.hashed = false
}

// FindAbstract is unix_find_abstract: the socket of typ bound to a, or
// ECONNREFUSED.
func (n *Net) FindAbstract(a Addr, typ int) (*Sock, error) {
	if typ == SOCK_RAW {
		typ = SOCK_DGRAM
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if s := n.names[abstractKey{string(a.Raw[SunPathOffset:]), typ}]; s != nil {
		return s, nil
	}
	return nil, errno.ECONNREFUSED
}

// FindInode is the end of unix_find_bsd: the socket bound to the inode
// key (ECONNREFUSED when none is), which must be of typ (EPROTOTYPE).
func (n *Net) FindInode(key any, typ int) (*Sock, error) {
	n.mu.Lock()
	s := n.names[key]
	n.mu.Unlock()
	if s == nil {
		return nil, errno.ECONNREFUSED
	}
	if s.typ != typ {
		return nil, errno.EPROTOTYPE
	}
	return s, nil
}

// Name is unix_getname for the socket itself: its name, or just the
// family when it has none.
func (s *Sock) Name() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return nameOrFamily(s.addr)
}

func nameOrFamily(addr []byte) []byte {
	if addr != nil {
		return addr
	}
	b := make([]byte, SunPathOffset)
	binary.LittleEndian.PutUint16(b, AF_UNIX)
	return b
}

// PeerName is unix_getname for the peer: ENOTCONN when there is none.
func (s *Sock) PeerName() ([]byte, error) {
	s.mu.Lock()
	other := s.peer
	s.mu.Unlock()
	if other == nil {
		return nil, errno.ENOTCONN
	}
	return nameOrFamily(addrOf(other)), nil
}

// Listen is unix_listen: stream and seqpacket sockets only
// (EOPNOTSUPP), bound (EINVAL), not connected (EINVAL). The backlog is
// capped at SOMAXCONN, as __sys_listen does.
func (s *Sock) Listen(backlog int, cred Cred) error {
	if s.typ != SOCK_STREAM && s.typ != SOCK_SEQPACKET {
		return errno.EOPNOTSUPP
	}
	if uint32(backlog) > SOMAXCONN {
		backlog = SOMAXCONN
	}
	s.mu.Lock()
	if s.addr == nil || s.state != TCP_CLOSE && s.state != TCP_LISTEN {
		s.mu.Unlock()
		return errno.EINVAL
	}
	grew := backlog > s.backlog
	s.backlog = backlog
	s.state = TCP_LISTEN
	s.peercred = cred // init_peercred
	s.mu.Unlock()
	if grew {
		s.peerWait.WakeAll() // connectors waiting for room
	}
	return nil
}

// Connect is unix_stream_connect (stream and seqpacket) and
// unix_dgram_connect: other is the socket the address named. A
// connection-based socket makes an embryo for the listener to accept and
// is connected at once; a full accept queue is EAGAIN (the caller waits
// on Wait(), or returns EAGAIN when not blocking). A datagram socket just
// records its peer.
func (s *Sock) Connect(other *Sock, cred Cred) error {
	if s.typ == SOCK_DGRAM {
		return s.dgramConnect(other)
	}
	s.mu.Lock()
	switch s.state {
	case TCP_ESTABLISHED:
		s.mu.Unlock()
		return errno.EISCONN
	case TCP_CLOSE:
	default:
		s.mu.Unlock()
		return errno.EINVAL
	}
	s.mu.Unlock()
	other.mu.Lock()
	if other.dead || other.state != TCP_LISTEN || other.shutdown&RCV_SHUTDOWN != 0 {
		other.mu.Unlock()
		return errno.ECONNREFUSED
	}
	if len(other.recvQ) > other.backlog {
		other.mu.Unlock()
		s.waitForPeer(other)
		return errno.EAGAIN
	}
	newsk := other.net.New(s.typ)
	newsk.state = TCP_ESTABLISHED
	newsk.peer = s
	newsk.peercred = cred
	newsk.addr = other.addr // the accepted socket has the listener's name
	s.mu.Lock()
	if s.state != TCP_CLOSE { // connected meanwhile
		s.mu.Unlock()
		other.mu.Unlock()
		return errno.EISCONN
	}
	s.state = TCP_ESTABLISHED
	s.peer = newsk
	s.peercred = other.peercred // copy_peercred
	s.mu.Unlock()
	other.recvQ = append(other.recvQ, &skb{embryo: newsk})
	other.mu.Unlock()
	other.wait.WakeKey(0x1 | 0x40)
	return nil
}

// dgramConnect is unix_dgram_connect to other (nil: AF_UNSPEC, which
// disconnects).
func (s *Sock) dgramConnect(other *Sock) error {
	if other != nil {
		other.mu.Lock()
		ok := !other.dead && (other.peer == nil || other.peer == s) // unix_may_send
		other.mu.Unlock()
		if !ok {
			return errno.EPERM
		}
	}
	s.mu.Lock()
	s.peer = other
	if other != nil {
		s.state = TCP_ESTABLISHED
	} else {
		s.state = TCP_CLOSE
	}
	s.mu.Unlock()
	s.wait.WakeAll()
	return nil
}

// Accept is unix_accept: the next embryo on a listening socket's queue
// (EAGAIN when there is none yet), EINVAL when not listening, EOPNOTSUPP
// for datagram sockets.
func (s *Sock) Accept() (*Sock, error) {
	if s.typ != SOCK_STREAM && s.typ != SOCK_SEQPACKET {
		return nil, errno.EOPNOTSUPP
	}
	s.mu.Lock()
	if s.state != TCP_LISTEN {
		s.mu.Unlock()
		return nil, errno.EINVAL
	}
	if err := s.sockError(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if len(s.recvQ) == 0 {
		shut := s.shutdown
		s.mu.Unlock()
		if shut&RCV_SHUTDOWN != 0 {
			return nil, errno.EINVAL // "This means receive shutdown."
		}
		return nil, errno.EAGAIN
	}
	m := s.recvQ[0]
	s.recvQ[0] = nil
	s.recvQ = s.recvQ[1:]
	s.mu.Unlock()
	s.peerWait.WakeAll() // room for another connect
	return m.embryo, nil
}
