package unix

import "tamix/errno"

// RecvResult is what one RecvMsg took from the queue.
type RecvResult struct {
	N     int // bytes copied into the caller's buffer
	Len   int // a datagram's full length (what MSG_TRUNC returns)
	Flags int // MSG_TRUNC when a datagram did not fit
	// Scm holds the files of the message (the caller installs or drops
	// them), and its credentials when HasCred (SO_PASSCRED).
	Scm     *Scm
	HasCred bool
	// From is the sender's name (sockaddr_un bytes), nil when unnamed.
	From []byte
	// Data is what a datagram read returns: the message's first N bytes.
	Data []byte
}

// RecvMsg takes data from the receive queue into b without waiting, as
// RecvStream or RecvDgram do.
func (s *Sock) RecvMsg(b []byte, flags int, target int) (RecvResult, error) {
	if s.typ == SOCK_STREAM {
		return s.RecvStream(b, flags, target)
	}
	r, err := s.RecvDgram(len(b), flags)
	copy(b, r.Data)
	return r, err
}

// RecvStream copies bytes from the receive queue of a stream socket into
// b without waiting. errno.EAGAIN says the caller must wait on Wait() for
// more: fewer than target bytes were copied (N may still be above zero:
// those bytes are consumed and must be delivered). End of file is N == 0
// and no error. flags are MSG_PEEK and MSG_OOB: there is never urgent
// data to read (sending it is not implemented), so MSG_OOB is EINVAL, as
// unix_stream_recv_urg says with none queued.
func (s *Sock) RecvStream(b []byte, flags int, target int) (RecvResult, error) {
	if flags&MSG_OOB != 0 {
		return RecvResult{}, errno.EINVAL
	}
	return s.streamRecv(b, flags, max(target, 1))
}

// addrOf is unix_copy_addr's source: the sender's name, if bound.
func addrOf(sender *Sock) []byte {
	if sender == nil {
		return nil
	}
	sender.mu.Lock()
	defer sender.mu.Unlock()
	return sender.addr
}

// streamRecv is unix_stream_read_generic: it copies across skbs up to
// len(b), but never past an skb that carried files, nor (with SO_PASSCRED)
// glues data of different writers. MSG_PEEK copies without consuming.
// The skbs it consumed are freed, and the sender's name read, once the
// socket's lock is dropped: both take the sender's lock.
func (s *Sock) streamRecv(b []byte, flags, target int) (RecvResult, error) {
	var freed []*skb
	var sender *Sock
	s.mu.Lock()
	r, err := s.streamRecvLocked(b, flags, target, &freed, &sender)
	s.mu.Unlock()
	for _, m := range freed {
		m.free()
	}
	r.From = addrOf(sender)
	return r, err
}

func (s *Sock) streamRecvLocked(b []byte, flags, target int, freed *[]*skb, sender **Sock) (RecvResult, error) {
	var r RecvResult
	if s.state != TCP_ESTABLISHED {
		return r, errno.EINVAL
	}
	peek := flags&MSG_PEEK != 0
	checkCreds := false
	var scm Scm
	copied := 0
	i := 0 // the skb looked at (the head unless peeking)
	for {
		if i >= len(s.recvQ) {
			if copied >= target || peek && copied > 0 {
				break
			}
			// POSIX 1003.1g mandates this order.
			if err := s.sockError(); err != nil {
				if copied > 0 {
					break
				}
				return r, err
			}
			if s.shutdown&RCV_SHUTDOWN != 0 {
				break
			}
			r.N = copied
			r.Scm, r.HasCred = &scm, s.passcred
			return r, errno.EAGAIN
		}
		m := s.recvQ[i]
		if checkCreds {
			// Never glue messages from different writers.
			if m.scm.Cred != scm.Cred {
				break
			}
		} else if s.passcred {
			scm.Cred = m.scm.Cred
			checkCreds = true
		}
		if *sender == nil {
			*sender = m.sender
		}
		chunk := copy(b[copied:], m.data[m.consumed:])
		copied += chunk
		if !peek {
			m.consumed += chunk
			if len(m.scm.Files) > 0 {
				scm.Files, m.scm.Files = m.scm.Files, nil
			}
			if m.len() > 0 {
				break // the reader's buffer is full
			}
			s.recvQ[0] = nil
			s.recvQ = s.recvQ[1:]
			*freed = append(*freed, m)
			if len(scm.Files) > 0 {
				break
			}
		} else {
			// It is questionable to hand out the files of a peeked
			// message, but Linux does (unix_peek_fds).
			if len(m.scm.Files) > 0 {
				scm.Files = dupFiles(m.scm.Files)
				break
			}
			i++
		}
		if copied == len(b) {
			break
		}
	}
	r.N = copied
	r.HasCred = s.passcred
	r.Scm = &scm
	return r, nil
}

// dupFiles takes another reference to each file (scm_fp_dup).
func dupFiles(fs []PassedFile) []PassedFile {
	out := make([]PassedFile, len(fs))
	for i, f := range fs {
		out[i] = f.(interface{ Dup() PassedFile }).Dup()
	}
	return out
}

// RecvDgram is unix_dgram_recvmsg (and unix_seqpacket_recvmsg): the next
// whole message, cut to limit bytes with MSG_TRUNC, without waiting:
// EAGAIN when there is none, ErrEOF when there is none and the socket is
// shut for reading.
func (s *Sock) RecvDgram(limit int, flags int) (RecvResult, error) {
	var r RecvResult
	if flags&MSG_OOB != 0 {
		return r, errno.EOPNOTSUPP
	}
	s.mu.Lock()
	if s.typ == SOCK_SEQPACKET && s.state != TCP_ESTABLISHED {
		s.mu.Unlock()
		return r, errno.ENOTCONN
	}
	// __skb_try_recv_datagram reports a pending error before data.
	if err := s.sockError(); err != nil {
		s.mu.Unlock()
		return r, err
	}
	if len(s.recvQ) == 0 {
		shut := s.shutdown
		s.mu.Unlock()
		if shut&RCV_SHUTDOWN != 0 {
			return r, ErrEOF
		}
		return r, errno.EAGAIN
	}
	m := s.recvQ[0]
	peek := flags&MSG_PEEK != 0
	if !peek {
		s.recvQ[0] = nil
		s.recvQ = s.recvQ[1:]
	}
	passcred := s.passcred
	s.mu.Unlock()
	s.peerWait.WakeAll() // senders waiting for room in our queue
	r.From = addrOf(m.sender)
	r.N = min(limit, len(m.data))
	r.Data = m.data[:r.N]
	r.Len = len(m.data)
	if r.N < r.Len {
		r.Flags |= MSG_TRUNC
	}
	scm := &Scm{Cred: m.scm.Cred}
	if peek {
		if len(m.scm.Files) > 0 {
			scm.Files = dupFiles(m.scm.Files)
		}
	} else {
		scm.Files, m.scm.Files = m.scm.Files, nil
		m.free()
	}
	r.Scm = scm
	r.HasCred = passcred
	return r, nil
}

// ErrEOF is what a datagram or seqpacket read returns when the queue is
// empty and the socket is shut for reading: a blocking read returns 0
// (__skb_wait_for_more_packets sees the shutdown), a non-blocking one
// EAGAIN, except on a seqpacket socket, where it is 0 too.
var ErrEOF = errEOF{}

type errEOF struct{}

func (errEOF) Error() string { return "end of file" }
