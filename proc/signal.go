package proc

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	arch "tamix/arch/amd64"
	"tamix/errno"
	"tamix/fs"
)

// Signal numbers (x86-64, include/uapi/asm-generic/signal.h).
const (
	SIGHUP    = 1
	SIGINT    = 2
	SIGQUIT   = 3
	SIGILL    = 4
	SIGTRAP   = 5
	SIGABRT   = 6
	SIGBUS    = 7
	SIGFPE    = 8
	SIGKILL   = 9
	SIGUSR1   = 10
	SIGSEGV   = 11
	SIGUSR2   = 12
	SIGPIPE   = 13
	SIGALRM   = 14
	SIGTERM   = 15
	SIGSTKFLT = 16
	SIGCHLD   = 17
	SIGCONT   = 18
	SIGSTOP   = 19
	SIGTSTP   = 20
	SIGTTIN   = 21
	SIGTTOU   = 22
	SIGURG    = 23
	SIGXCPU   = 24
	SIGXFSZ   = 25
	SIGVTALRM = 26
	SIGPROF   = 27
	SIGWINCH  = 28
	SIGIO     = 29
	SIGPWR    = 30
	SIGSYS    = 31
	SIGRTMIN  = 32
	NSIG      = 64 // _NSIG
)

var signalNames = [...]string{"", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
	"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
	"SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",
	"SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS"}

// SignalName returns "SIGSEGV" for 11, "SIGRTMIN+3" for 35.
func SignalName(sig int) string {
	if sig > 0 && sig < len(signalNames) {
		return signalNames[sig]
	}
	if sig >= SIGRTMIN && sig <= NSIG {
		return "SIGRTMIN+" + itoa(sig-SIGRTMIN)
	}
	return "signal " + itoa(sig)
}

func itoa(n int) string { return errno.Errno(n).Error()[len("errno "):] }

// sigaction flags (SA_*).
const (
	SA_NOCLDSTOP = 0x00000001
	SA_NOCLDWAIT = 0x00000002
	SA_SIGINFO   = 0x00000004
	SA_RESTORER  = 0x04000000
	SA_ONSTACK   = 0x08000000
	SA_RESTART   = 0x10000000
	SA_NODEFER   = 0x40000000
	SA_RESETHAND = 0x80000000
)

// Special handler values.
const (
	SIG_DFL = 0
	SIG_IGN = 1
)

// si_code values.
const (
	SI_USER       = 0
	SI_KERNEL     = 0x80
	SI_TKILL      = -6
	SI_QUEUE      = -1
	SI_TIMER      = -2
	CLD_STOPPED   = 5
	CLD_CONTINUED = 6
	CLD_EXITED    = 1
	CLD_KILLED    = 2
	CLD_DUMPED    = 3
	ILL_ILLOPN    = 2
	FPE_INTDIV    = 1
	TRAP_BRKPT    = 1
	SEGV_MAPERR   = 1
	SEGV_ACCERR   = 2
	BUS_ADRERR    = 2
)

// SigSet is a set of signals: bit n-1 stands for signal n (sigset_t).
type SigSet uint64

// Bit returns the set holding only sig.
func Bit(sig int) SigSet { return 1 << (sig - 1) }

// Has reports whether sig is in s.
func (s SigSet) Has(sig int) bool { return s&Bit(sig) != 0 }

// unblockable signals cannot be blocked or caught.
const unblockable = SigSet(1<<(SIGKILL-1) | 1<<(SIGSTOP-1))

// SigAction is struct k_sigaction as rt_sigaction passes it on x86-64.
type SigAction struct {
	Handler  uint64
	Flags    uint64
	Restorer uint64
	Mask     SigSet
}

const sigactionSize = 32

func (a *SigAction) encode() []byte {
	b := make([]byte, sigactionSize)
	binary.LittleEndian.PutUint64(b[0:], a.Handler)
	binary.LittleEndian.PutUint64(b[8:], a.Flags)
	binary.LittleEndian.PutUint64(b[16:], a.Restorer)
	binary.LittleEndian.PutUint64(b[24:], uint64(a.Mask))
	return b
}

func decodeSigAction(b []byte) SigAction {
	return SigAction{
		Handler:  binary.LittleEndian.Uint64(b[0:]),
		Flags:    binary.LittleEndian.Uint64(b[8:]),
		Restorer: binary.LittleEndian.Uint64(b[16:]),
		Mask:     SigSet(binary.LittleEndian.Uint64(b[24:])),
	}
}

// SigHand holds the actions for every signal (sighand_struct), shared by
// threads created with CLONE_SIGHAND.
type SigHand struct {
	mu     sync.Mutex // siglock: guards actions and every pending set
	Action [NSIG]SigAction
	count  int // tasks sharing the handlers
	// signalfdWqh is where signalfd readers and pollers of these tasks
	// wait for a signal to be queued (signalfd.go).
	signalfdWqh fs.WaitQueue
}

func newSigHand() *SigHand { return &SigHand{count: 1} }

func (sh *SigHand) shared() bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.count > 1
}

// SigInfo is the part of siginfo_t tamix fills in.
type SigInfo struct {
	Signo, Errno, Code int32
	PID, UID           int32  // sender (kill), or the child (SIGCHLD)
	Status             int32  // SIGCHLD: exit code or signal
	Addr               uint64 // SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP: the address
	// Raw is a siginfo from user space (rt_sigqueueinfo), kept whole:
	// si_pid, si_uid and si_value are what the sender wrote.
	Raw *[128]byte
	// A POSIX timer's signal (si_code SI_TIMER, posix_timers.go): the
	// timer's ID, overrun count and sigev_value, the timer itself (its
	// preallocated sigqueue: queued at most once), and si_sys_private,
	// which ties a periodic timer's signal to the arming that sent it.
	TimerID, Overrun int32
	Value            uint64
	timer            *kItimer
	sysPrivate       int
}

// encode lays out siginfo_t (128 bytes) for the user signal frame.
func (si *SigInfo) encode() []byte {
	b := make([]byte, 128)
	le := binary.LittleEndian
	if si.Raw != nil {
		copy(b, si.Raw[:])
		le.PutUint32(b[0:], uint32(si.Signo))
		return b
	}
	le.PutUint32(b[0:], uint32(si.Signo))
	le.PutUint32(b[4:], uint32(si.Errno))
	le.PutUint32(b[8:], uint32(si.Code))
	if si.Code == SI_TIMER {
		// _sifields._timer: si_tid, si_overrun, si_sigval.
		le.PutUint32(b[16:], uint32(si.TimerID))
		le.PutUint32(b[20:], uint32(si.Overrun))
		le.PutUint64(b[24:], si.Value)
		return b
	}
	switch si.Signo {
	case SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP:
		if si.Code > 0 {
			le.PutUint64(b[16:], si.Addr)
			break
		}
		fallthrough
	default:
		le.PutUint32(b[16:], uint32(si.PID))
		le.PutUint32(b[20:], uint32(si.UID))
		if si.Signo == SIGCHLD {
			le.PutUint32(b[24:], uint32(si.Status))
		}
	}
	return b
}

// SigPending is a set of pending signals with their siginfo (sigpending).
// Standard signals are not queued twice; real-time signals queue.
type SigPending struct {
	Set   SigSet
	queue []SigInfo
}

func (p *SigPending) add(si SigInfo) {
	sig := int(si.Signo)
	if si.timer != nil {
		// A timer's signal is its preallocated sigqueue: queued once
		// whatever the signal, counted as an overrun while it waits
		// (send_sigqueue).
		for i := range p.queue {
			if p.queue[i].timer == si.timer {
				p.queue[i].Overrun++
				p.queue[i].sysPrivate = si.sysPrivate
				return
			}
		}
		p.Set |= Bit(sig)
		p.queue = append(p.queue, si)
		return
	}
	if sig < SIGRTMIN && p.Set.Has(sig) {
		return
	}
	p.Set |= Bit(sig)
	p.queue = append(p.queue, si)
}

// take removes one instance of sig and returns its siginfo.
func (p *SigPending) take(sig int) SigInfo {
	si := SigInfo{Signo: int32(sig)}
	found := false
	more := false
	out := p.queue[:0]
	for _, q := range p.queue {
		if int(q.Signo) == sig {
			if !found {
				si, found = q, true
				continue
			}
			more = true
		}
		out = append(out, q)
	}
	p.queue = out
	if !more {
		p.Set &^= Bit(sig)
	}
	return si
}

func (p *SigPending) drop(sig int) {
	for p.Set.Has(sig) {
		p.take(sig)
	}
}

// SignalStruct is the thread group's shared state (signal_struct).
type SignalStruct struct {
	SharedPending SigPending // signals sent to the whole process
	// pidfdWait is where pidfd pollers wait for the process to exit
	// (struct pid's wait_pidfd; pidfd.go).
	pidfdWait     fs.WaitQueue
	GroupExit     bool // SIGNAL_GROUP_EXIT: exit_group or a fatal signal
	GroupExitCode int
	// sigpending says a group-wide signal, exit or stop may be pending
	// (see signalPending).
	sigpending atomic.Bool
	// Process group and session IDs; Leader marks a session leader.
	Pgrp, Session int
	Leader        bool
	// Job control: the group is stopped by StopSig; Notify says what
	// wait4 with WUNTRACED/WCONTINUED has yet to report.
	Stopped    bool
	StopSig    int
	NotifyStop bool
	NotifyCont bool
	NrThreads  int
	Live       int
	// execWaiter is a thread in execve waiting for the others to exit
	// (signal->group_exec_task), under tasklistLock.
	execWaiter *Task
	// Resource usage of reaped children (cutime, cstime, cmin_flt…).
	CUtime, CStime   int64
	CMinFlt, CMajFlt uint64
	// CPU time of the group's threads that have exited (signal->utime,
	// stime): with the live threads' it makes the process's times.
	Utime, Stime int64
	// The interval timers (real_timer, it_real_incr, it[]).
	it itimers
	// The POSIX timers (posix_timers, posix_cputimers).
	posix posixTimers

	procsysSignal // rlimits, subreaper, dumpable (procsys.go)
}

func newSignalStruct() *SignalStruct { return &SignalStruct{NrThreads: 1, Live: 1} }

// Default actions (the table in include/linux/signal.h).
type sigDefault int

const (
	actTerm sigDefault = iota
	actCore
	actIgnore
	actStop
	actCont
)

func defaultAction(sig int) sigDefault {
	switch sig {
	case SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS:
		return actCore
	case SIGCHLD, SIGURG, SIGWINCH:
		return actIgnore
	case SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU:
		return actStop
	case SIGCONT:
		return actCont
	}
	return actTerm
}

// sigIgnored reports whether sending sig to t would be discarded
// (sig_ignored: ignored explicitly, or by default and not blocked — nor
// waited for by rt_sigtimedwait, whose real mask is realBlocked).
func sigIgnored(t *Task, sig int) bool {
	if t.Blocked.Has(sig) || t.realBlocked.Has(sig) {
		return false
	}
	h := t.Sighand.Action[sig-1].Handler
	return h == SIG_IGN || (h == SIG_DFL && defaultAction(sig) == actIgnore)
}

// validSignal reports whether sig is a signal number (1..64).
func validSignal(sig int) bool { return sig >= 1 && sig <= NSIG }

// signalFrameRegs are the sigcontext registers in Linux's order.
func sigcontextRegs(tf *arch.TrapFrame) []uint64 {
	return []uint64{tf.R8, tf.R9, tf.R10, tf.R11, tf.R12, tf.R13, tf.R14, tf.R15,
		tf.RDI, tf.RSI, tf.RBP, tf.RBX, tf.RDX, tf.RAX, tf.RCX, tf.RSP, tf.RIP, tf.RFLAGS}
}
