// Package tty is the console terminal that user programs see on fds 0, 1
// and 2: a line discipline with Linux's defaults (ICANON, ECHO, ISIG, ICRNL,
// ONLCR) over a serial port, and the termios ioctls.
package tty

import (
	"encoding/binary"
	"sync"

	"tamix/errno"
	"tamix/fs"
)

// termios flag bits used here (include/uapi/asm-generic/termbits.h).
const (
	ICRNL   = 0x100
	IXON    = 0x400
	OPOST   = 0x1
	ONLCR   = 0x4
	ISIG    = 0x1
	ICANON  = 0x2
	ECHO    = 0x8
	ECHOE   = 0x10
	ECHOK   = 0x20
	ECHOCTL = 0x200
	ECHOKE  = 0x800
	IEXTEN  = 0x8000

	B38400 = 0xf
	CS8    = 0x30
	CREAD  = 0x80
	HUPCL  = 0x400
)

// c_cc indices.
const (
	VINTR  = 0
	VQUIT  = 1
	VERASE = 2
	VKILL  = 3
	VEOF   = 4
	VTIME  = 5
	VMIN   = 6
	VSUSP  = 10
)

// Termios is the kernel's struct termios (36 bytes for TCGETS/TCSETS).
type Termios struct {
	Iflag, Oflag, Cflag, Lflag uint32
	Line                       uint8
	CC                         [19]uint8
}

// StdTermios is tty_std_termios: what a freshly opened Linux tty has.
var StdTermios = Termios{
	Iflag: ICRNL | IXON,
	Oflag: OPOST | ONLCR,
	Cflag: B38400 | CS8 | CREAD | HUPCL,
	Lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	CC:    [19]uint8{3, 28, 127, 21, 4, 0, 1, 0, 17, 19, 26, 0, 18, 15, 23, 22, 0},
}

func (t *Termios) encode() []byte {
	b := make([]byte, 36)
	le := binary.LittleEndian
	le.PutUint32(b[0:], t.Iflag)
	le.PutUint32(b[4:], t.Oflag)
	le.PutUint32(b[8:], t.Cflag)
	le.PutUint32(b[12:], t.Lflag)
	b[16] = t.Line
	copy(b[17:], t.CC[:])
	return b
}

func decodeTermios(b []byte) Termios {
	le := binary.LittleEndian
	t := Termios{Iflag: le.Uint32(b[0:]), Oflag: le.Uint32(b[4:]), Cflag: le.Uint32(b[8:]), Lflag: le.Uint32(b[12:]), Line: b[16]}
	copy(t.CC[:], b[17:36])
	return t
}

// TTY is one terminal. Output goes straight to the device; input arrives
// through Receive and waits in the line discipline until a reader takes it.
type TTY struct {
	mu      sync.Mutex
	termios Termios
	winsz   [8]byte
	line    []byte // the line being edited (canonical mode)
	ready   []byte // completed input readers may take
	eof     int    // pending end-of-file marks (^D on an empty line)
	out     func([]byte)
	// Signal sends sig to the foreground process group (ISIG).
	Signal func(sig int)
	wait   fs.WaitQueue
	refs   int
}

// New makes a terminal that writes to out.
func New(out func([]byte)) *TTY {
	return &TTY{termios: StdTermios, out: out, Signal: func(int) {}}
}

// Write outputs p with output processing (ONLCR: "\n" becomes "\r\n").
func (t *TTY) Write(p []byte) (int, error) {
	t.mu.Lock()
	oflag := t.termios.Oflag
	t.mu.Unlock()
	if oflag&OPOST != 0 && oflag&ONLCR != 0 {
		buf := make([]byte, 0, len(p)+8)
		for _, c := range p {
			if c == '\n' {
				buf = append(buf, '\r')
			}
			buf = append(buf, c)
		}
		t.out(buf)
	} else {
		t.out(p)
	}
	return len(p), nil
}

// Read returns completed input, or errno.EAGAIN when there is none yet.
func (t *TTY) Read(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.ready) == 0 {
		if t.eof > 0 {
			t.eof--
			return 0, nil
		}
		return 0, errno.EAGAIN
	}
	n := 0
	if t.termios.Lflag&ICANON != 0 {
		// One line per read at most, as n_tty does.
		for n < len(p) && n < len(t.ready) {
			p[n] = t.ready[n]
			n++
			if p[n-1] == '\n' {
				break
			}
		}
	} else {
		n = copy(p, t.ready)
	}
	t.ready = t.ready[n:]
	return n, nil
}

// Receive feeds bytes typed on the device into the line discipline.
func (t *TTY) Receive(b []byte) {
	t.mu.Lock()
	var echo []byte
	var sigs []int
	ts := t.termios
	woke := false
	for _, c := range b {
		if ts.Iflag&ICRNL != 0 && c == '\r' {
			c = '\n'
		}
		if ts.Lflag&ISIG != 0 {
			switch c {
			case ts.CC[VINTR], ts.CC[VQUIT], ts.CC[VSUSP]:
				sig := 2 // SIGINT
				switch c {
				case ts.CC[VQUIT]:
					sig = 3 // SIGQUIT
				case ts.CC[VSUSP]:
					sig = 20 // SIGTSTP
				}
				sigs = append(sigs, sig)
				t.line = t.line[:0]
				if ts.Lflag&ECHO != 0 {
					echo = append(echo, '^', c+'@', '\r', '\n')
				}
				continue
			}
		}
		if ts.Lflag&ICANON == 0 {
			t.ready = append(t.ready, c)
			woke = true
			if ts.Lflag&ECHO != 0 {
				echo = append(echo, c)
			}
			continue
		}
		switch c {
		case ts.CC[VERASE], 0x08:
			if len(t.line) > 0 {
				t.line = t.line[:len(t.line)-1]
				if ts.Lflag&ECHO != 0 {
					echo = append(echo, '\b', ' ', '\b')
				}
			}
		case ts.CC[VKILL]:
			for range t.line {
				if ts.Lflag&ECHO != 0 {
					echo = append(echo, '\b', ' ', '\b')
				}
			}
			t.line = t.line[:0]
		case ts.CC[VEOF]:
			if len(t.line) == 0 {
				t.eof++
			}
			t.ready = append(t.ready, t.line...)
			t.line = t.line[:0]
			woke = true
		case '\n':
			t.line = append(t.line, c)
			t.ready = append(t.ready, t.line...)
			t.line = t.line[:0]
			woke = true
			if ts.Lflag&ECHO != 0 {
				echo = append(echo, '\r', '\n')
			}
		default:
			t.line = append(t.line, c)
			if ts.Lflag&ECHO != 0 {
				if c < 0x20 && ts.Lflag&ECHOCTL != 0 {
					echo = append(echo, '^', c+'@')
				} else {
					echo = append(echo, c)
				}
			}
		}
	}
	t.mu.Unlock()
	if len(echo) > 0 {
		t.out(echo)
	}
	for _, s := range sigs {
		t.Signal(s)
	}
	if woke {
		t.wait.WakeAll()
	}
}

// Drain takes the input nobody read (when a job leaves the foreground, the
// shell gets the typeahead, as it would read it from a Linux tty).
func (t *TTY) Drain() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := append(t.ready, t.line...)
	t.line, t.ready, t.eof = nil, nil, 0
	return b
}

// Poll reports readiness.
func (t *TTY) Poll() uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	ev := uint32(fs.POLLOUT | fs.POLLWRNORM)
	if len(t.ready) > 0 || t.eof > 0 {
		ev |= fs.POLLIN | fs.POLLRDNORM
	}
	return ev
}

// Wait is the queue readers sleep on.
func (t *TTY) Wait() *fs.WaitQueue { return &t.wait }

// Release is called when the last descriptor closes; the console stays.
func (t *TTY) Release() {}

// tty ioctls.
const (
	TCGETS     = 0x5401
	TCSETS     = 0x5402
	TCSETSW    = 0x5403
	TCSETSF    = 0x5404
	TIOCGWINSZ = 0x5413
	TIOCSWINSZ = 0x5414
	FIONREAD   = 0x541b
)

// Ioctl answers the terminal requests; others get ENOTTY as on Linux.
func (t *TTY) Ioctl(req uint64, arg []byte) ([]byte, uint64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch req {
	case TCGETS:
		return t.termios.encode(), 0, nil
	case TCSETS, TCSETSW, TCSETSF:
		t.termios = decodeTermios(arg)
		if req == TCSETSF {
			t.line, t.ready = nil, nil
		}
		return nil, 0, nil
	case TIOCGWINSZ:
		return append([]byte(nil), t.winsz[:]...), 0, nil
	case TIOCSWINSZ:
		copy(t.winsz[:], arg)
		return nil, 0, nil
	case FIONREAD:
		b := make([]byte, 4)
		binary.LittleEndian.PutUint32(b, uint32(len(t.ready)))
		return b, 0, nil
	}
	return nil, 0, errno.ENOTTY
}
