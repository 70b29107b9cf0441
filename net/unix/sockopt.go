package unix

import (
	"encoding/binary"
	"math"

	"tamix/errno"
)

// SOL_SOCKET option names (include/uapi/asm-generic/socket.h).
const (
	SO_DEBUG        = 1
	SO_REUSEADDR    = 2
	SO_TYPE         = 3
	SO_ERROR        = 4
	SO_DONTROUTE    = 5
	SO_BROADCAST    = 6
	SO_SNDBUF       = 7
	SO_RCVBUF       = 8
	SO_KEEPALIVE    = 9
	SO_OOBINLINE    = 10
	SO_NO_CHECK     = 11
	SO_PRIORITY     = 12
	SO_REUSEPORT    = 15
	SO_PASSCRED     = 16
	SO_PEERCRED     = 17
	SO_RCVLOWAT     = 18
	SO_SNDLOWAT     = 19
	SO_ACCEPTCONN   = 30
	SO_SNDBUFFORCE  = 32
	SO_RCVBUFFORCE  = 33
	SO_PROTOCOL     = 38
	SO_DOMAIN       = 39
	SO_RCVTIMEO     = 20 // SO_RCVTIMEO_OLD: a struct timeval
	SO_SNDTIMEO     = 21
	SO_RCVTIMEO_NEW = 66 // a struct __kernel_sock_timeval: the same on x86-64
	SO_SNDTIMEO_NEW = 67
)

// hz is the tick rate timeouts are kept in (jiffies), as a kernel built
// with the default CONFIG_HZ=250: a timeout set is rounded up to 4 ms.
const hz = 250

// overflowID is what a missing credential reads as (overflowuid).
const overflowID = 65534

// flagOptions are the plain on/off options sockets keep but unix sockets
// do not act on.
var flagOptions = map[int]bool{SO_DEBUG: true, SO_REUSEADDR: true, SO_DONTROUTE: true,
	SO_BROADCAST: true, SO_KEEPALIVE: true, SO_OOBINLINE: true, SO_NO_CHECK: true, SO_REUSEPORT: true}

// GetSockopt is sock_getsockopt at SOL_SOCKET (other levels: unix
// sockets have no getsockopt of their own, EOPNOTSUPP). It returns the
// value's bytes; the caller copies at most the user's length of them.
func (s *Sock) GetSockopt(level, name int) ([]byte, error) {
	if level != SOL_SOCKET {
		return nil, errno.EOPNOTSUPP
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var v int32
	switch name {
	case SO_TYPE:
		v = int32(s.typ)
	case SO_PROTOCOL:
		v = 0
	case SO_DOMAIN:
		v = AF_UNIX
	case SO_ERROR:
		if err := s.sockError(); err != nil {
			v = int32(err.(errno.Errno))
		}
	case SO_SNDBUF:
		v = int32(s.sndbuf)
	case SO_RCVBUF:
		v = int32(s.rcvbuf)
	case SO_PASSCRED:
		v = b2i(s.passcred)
	case SO_ACCEPTCONN:
		v = b2i(s.state == TCP_LISTEN)
	case SO_RCVLOWAT:
		v = int32(s.rcvlowat())
	case SO_SNDLOWAT:
		v = 1
	case SO_PRIORITY:
		v = s.priority
	case SO_PEERCRED:
		return EncodeUcred(s.peercred), nil
	case SO_RCVTIMEO, SO_RCVTIMEO_NEW:
		return encodeTimeout(s.rcvtimeo), nil
	case SO_SNDTIMEO, SO_SNDTIMEO_NEW:
		return encodeTimeout(s.sndtimeo), nil
	default:
		if !flagOptions[name] {
			return nil, errno.ENOPROTOOPT
		}
		v = b2i(s.flags[name])
	}
	return binary.LittleEndian.AppendUint32(nil, uint32(v)), nil
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// SetSockopt is sock_setsockopt at SOL_SOCKET: every option takes an int
// (EINVAL for a shorter value). The buffer sizes are capped at
// wmem_max/rmem_max (the FORCE variants are not: tamix runs as root) and
// doubled for the kernel's bookkeeping overhead, as Linux does; a bigger
// send buffer wakes waiting writers.
func (s *Sock) SetSockopt(level, name int, val []byte) error {
	if level != SOL_SOCKET {
		return errno.EOPNOTSUPP
	}
	switch name {
	case SO_RCVTIMEO, SO_RCVTIMEO_NEW, SO_SNDTIMEO, SO_SNDTIMEO_NEW:
		timeo, err := parseTimeout(val)
		if err != nil {
			return err
		}
		s.mu.Lock()
		if name == SO_RCVTIMEO || name == SO_RCVTIMEO_NEW {
			s.rcvtimeo = timeo
		} else {
			s.sndtimeo = timeo
		}
		s.mu.Unlock()
		return nil
	}
	if len(val) < 4 {
		return errno.EINVAL
	}
	v := int32(binary.LittleEndian.Uint32(val))
	s.mu.Lock()
	switch name {
	case SO_SNDBUF, SO_SNDBUFFORCE:
		n := int64(v)
		if name == SO_SNDBUF {
			n = min(int64(uint32(v)), WmemMax)
		} else if n < 0 {
			n = 0
		}
		s.sndbuf = int(max(int64(int32(n*2)), SockMinSndbuf))
		s.mu.Unlock()
		if s.writable() {
			s.wait.WakeKey(0x4 | 0x100 | POLLWRBAND) // sk_write_space
		}
		return nil
	case SO_RCVBUF, SO_RCVBUFFORCE:
		n := int64(v)
		if name == SO_RCVBUF {
			n = min(int64(uint32(v)), RmemMax)
		} else if n < 0 {
			n = 0
		}
		n = min(n, math.MaxInt32/2)
		s.rcvbuf = int(max(n*2, SockMinRcvbuf))
	case SO_PASSCRED:
		s.passcred = v != 0
	case SO_RCVLOWAT:
		if v < 0 {
			v = math.MaxInt32
		}
		s.lowat = int(v)
	case SO_PRIORITY:
		s.priority = v
	default:
		if !flagOptions[name] {
			s.mu.Unlock()
			return errno.ENOPROTOOPT
		}
		if s.flags == nil {
			s.flags = map[int]bool{}
		}
		s.flags[name] = v != 0
	}
	s.mu.Unlock()
	return nil
}

// rcvlowat is sk_rcvlowat (1 unless set).
func (s *Sock) rcvlowat() int { return max(s.lowat, 1) }

// RecvTarget is sock_rcvlowat: how many bytes a stream read waits for,
// all of size with MSG_WAITALL, else SO_RCVLOWAT, at least 1.
func (s *Sock) RecvTarget(size int, waitall bool) int {
	if waitall {
		return max(size, 1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(min(s.rcvlowat(), size), 1)
}

// Passcred reports SO_PASSCRED.
func (s *Sock) Passcred() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.passcred
}

// PeerPasscred reports SO_PASSCRED on the peer (a send then autobinds).
func (s *Sock) PeerPasscred() bool {
	s.mu.Lock()
	other := s.peer
	s.mu.Unlock()
	return other != nil && other.Passcred()
}

// Timeouts are kept in ns: NoTimeout (the default, and a zero timeval)
// waits for ever, 0 (a negative tv_sec) does not wait at all.
const NoTimeout = -1

// parseTimeout is sock_set_timeout: a struct timeval (EINVAL when
// shorter); tv_usec must be in [0, 1000000) (EDOM).
func parseTimeout(b []byte) (int64, error) {
	if len(b) < 16 {
		return 0, errno.EINVAL
	}
	sec := int64(binary.LittleEndian.Uint64(b))
	usec := int64(binary.LittleEndian.Uint64(b[8:]))
	if usec < 0 || usec >= 1e6 {
		return 0, errno.EDOM
	}
	if sec < 0 {
		return 0, nil
	}
	if sec == 0 && usec == 0 {
		return NoTimeout, nil
	}
	if sec >= math.MaxInt64/1_000_000_000-1 {
		return NoTimeout, nil
	}
	const tick = 1e6 / hz // µs per jiffy
	return sec*1e9 + (usec+tick-1)/tick*tick*1e3, nil
}

// encodeTimeout is sock_get_timeout: the timeout as a struct timeval,
// zero for none.
func encodeTimeout(timeo int64) []byte {
	b := make([]byte, 16)
	if timeo > 0 {
		binary.LittleEndian.PutUint64(b, uint64(timeo/1e9))
		binary.LittleEndian.PutUint64(b[8:], uint64(timeo%1e9/1e3))
	}
	return b
}

// Timeouts returns SO_RCVTIMEO and SO_SNDTIMEO in ns (NoTimeout: none).
func (s *Sock) Timeouts() (rcv, snd int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcvtimeo, s.sndtimeo
}
