package unix

import "tamix/errno"

// Message flags (include/linux/socket.h).
const (
	MSG_OOB          = 0x1
	MSG_PEEK         = 0x2
	MSG_CTRUNC       = 0x8
	MSG_TRUNC        = 0x20
	MSG_DONTWAIT     = 0x40
	MSG_EOR          = 0x80
	MSG_WAITALL      = 0x100
	MSG_NOSIGNAL     = 0x4000
	MSG_CMSG_CLOEXEC = 0x40000000
)

// SendMsg queues b on the peer (or on the socket named by to, for an
// unconnected datagram socket). It never waits: errno.EAGAIN says the
// send buffer is full (sk_wmem_alloc has reached sk_sndbuf), and the
// caller sleeps on Wait() and calls again.
//
// A stream socket takes as much of b as the buffer allows, in skbs of at
// most half the send buffer, and returns how much; scm's files ride on the
// first skb, after which scm.Files is nil. A datagram or seqpacket socket
// takes all of b as one message or nothing. to is a sockaddr_un already
// checked by the caller's lookup (Net.Find), nil when none was given.
func (s *Sock) SendMsg(b []byte, to *Sock, toAddr []byte, scm *Scm, flags int) (int, error) {
	if flags&MSG_OOB != 0 {
		return 0, errno.EOPNOTSUPP
	}
	if s.typ == SOCK_STREAM {
		return s.streamSend(b, toAddr != nil, scm)
	}
	return s.dgramSend(b, to, toAddr != nil, scm)
}

// allocSend is the check of sock_alloc_send_pskb: a pending error, a
// socket shut for writing (EPIPE), or no room left in the send buffer
// (EAGAIN: wait for the receiver to free some).
func (s *Sock) allocSend() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sockError(); err != nil {
		return err
	}
	if s.shutdown&SEND_SHUTDOWN != 0 {
		return errno.EPIPE
	}
	if s.wmem.Load() >= int64(s.sndbuf) {
		return errno.EAGAIN
	}
	return nil
}

// streamSend is unix_stream_sendmsg.
func (s *Sock) streamSend(b []byte, named bool, scm *Scm) (int, error) {
	s.mu.Lock()
	state, other, shut, sndbuf := s.state, s.peer, s.shutdown, s.sndbuf
	s.mu.Unlock()
	if named {
		if state == TCP_ESTABLISHED {
			return 0, errno.EISCONN
		}
		return 0, errno.EOPNOTSUPP
	}
	if other == nil {
		return 0, errno.ENOTCONN
	}
	if shut&SEND_SHUTDOWN != 0 {
		return 0, errno.EPIPE
	}
	sent := 0
	for sent < len(b) {
		// Keep two messages in the pipe so it schedules better.
		size := min(len(b)-sent, sndbuf>>1-64, streamMaxSkb)
		dataLen := max(0, size-skbMaxHead0)
		dataLen = min(size, (dataLen+pageSize-1)&^(pageSize-1))
		if err := s.allocSend(); err != nil {
			if sent > 0 {
				return sent, nil
			}
			return 0, err
		}
		m := &skb{data: append([]byte(nil), b[sent:sent+size]...), truesize: truesize(size-dataLen, dataLen), sender: s}
		m.scm.Cred = scm.Cred
		if sent == 0 {
			m.scm.Files, scm.Files = scm.Files, nil // the fds go with the first skb
		}
		other.mu.Lock()
		if other.dead || other.shutdown&RCV_SHUTDOWN != 0 {
			other.mu.Unlock()
			if sent == 0 {
				scm.Files, m.scm.Files = m.scm.Files, nil // not sent: the caller drops them
			}
			if sent > 0 {
				return sent, nil
			}
			return 0, errno.EPIPE
		}
		s.wmem.Add(int64(m.truesize))
		other.recvQ = append(other.recvQ, m)
		other.mu.Unlock()
		other.wait.WakeKey(0x1 | 0x40) // sk_data_ready: POLLIN | POLLRDNORM
		sent += size
	}
	return sent, nil
}

// dgramSend is unix_dgram_sendmsg (and unix_seqpacket_sendmsg before it).
func (s *Sock) dgramSend(b []byte, to *Sock, named bool, scm *Scm) (int, error) {
	if s.typ == SOCK_SEQPACKET {
		s.mu.Lock()
		err := s.sockError()
		state := s.state
		s.mu.Unlock()
		if err != nil {
			return 0, err
		}
		if state != TCP_ESTABLISHED {
			return 0, errno.ENOTCONN
		}
		to, named = nil, false // a seqpacket socket ignores the address
	}
	other := to
	if !named {
		s.mu.Lock()
		other = s.peer
		s.mu.Unlock()
		if other == nil {
			return 0, errno.ENOTCONN
		}
	}
	s.mu.Lock()
	sndbuf := s.sndbuf
	s.mu.Unlock()
	if len(b) > sndbuf-32 {
		return 0, errno.EMSGSIZE
	}
	dataLen := 0
	if len(b) > skbMaxAlloc {
		dataLen = min(len(b)-skbMaxAlloc, maxSkbFrags*pageSize)
		dataLen = (dataLen + pageSize - 1) &^ (pageSize - 1)
	}
	if err := s.allocSend(); err != nil {
		return 0, err
	}
	other.mu.Lock()
	if other.peer != nil && other.peer != s {
		// unix_may_send: other is connected to someone else.
		other.mu.Unlock()
		return 0, errno.EPERM
	}
	if other.dead {
		other.mu.Unlock()
		if s.typ == SOCK_SEQPACKET {
			return 0, errno.EPIPE
		}
		// The peer is gone: forget it, and say so once (the next send
		// finds no peer: ENOTCONN).
		s.mu.Lock()
		if s.peer == other {
			s.peer = nil
			s.state = TCP_CLOSE
		}
		s.mu.Unlock()
		return 0, errno.ECONNREFUSED
	}
	if other.shutdown&RCV_SHUTDOWN != 0 {
		other.mu.Unlock()
		return 0, errno.EPIPE
	}
	if other != s && other.peer != s && len(other.recvQ) > other.backlog {
		other.mu.Unlock()
		s.waitForPeer(other)
		return 0, errno.EAGAIN // unix_wait_for_peer: the receiver's queue is full
	}
	m := &skb{data: append([]byte(nil), b...), truesize: truesize(len(b)-dataLen, dataLen), sender: s}
	m.scm.Cred = scm.Cred
	m.scm.Files, scm.Files = scm.Files, nil
	s.wmem.Add(int64(m.truesize))
	other.recvQ = append(other.recvQ, m)
	other.mu.Unlock()
	other.wait.WakeKey(0x1 | 0x40)
	return len(b), nil
}

// waitForPeer is unix_dgram_peer_wake_connect: s's relay entry goes on
// other's peer_wait queue, so that a datagram read from other wakes the
// writers sleeping on s.
func (s *Sock) waitForPeer(other *Sock) {
	if s.relayArmed.Swap(true) {
		return
	}
	if s.relay.Wake == nil {
		s.relay.Wake = func() bool {
			s.relayArmed.Store(false)
			s.wait.WakeKey(0x4 | 0x100 | POLLWRBAND)
			return true
		}
	}
	other.peerWait.Add(&s.relay)
}

// CheckDgramSend makes the checks unix_dgram_sendmsg makes before it
// copies a message of n bytes in: a seqpacket socket must be connected
// (and reports a pending error first), a datagram socket needs a peer or
// an address (ENOTCONN), and the message must fit in the send buffer
// (EMSGSIZE).
func (s *Sock) CheckDgramSend(n int, to *Sock, named bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.typ == SOCK_SEQPACKET {
		if s.err != 0 {
			return nil // SendMsg reports it
		}
		if s.state != TCP_ESTABLISHED {
			return errno.ENOTCONN
		}
		named = false
	}
	if !named && s.peer == nil {
		return errno.ENOTCONN
	}
	if n > s.sndbuf-32 {
		return errno.EMSGSIZE
	}
	return nil
}
