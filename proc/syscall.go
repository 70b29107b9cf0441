package proc

import (
	"encoding/binary"
	"errors"

	arch "tamix/arch/amd64"
	"tamix/errno"
)

// Linux x86-64 system call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
const (
	SYS_read                   = 0
	SYS_write                  = 1
	SYS_open                   = 2
	SYS_close                  = 3
	SYS_stat                   = 4
	SYS_fstat                  = 5
	SYS_lstat                  = 6
	SYS_poll                   = 7
	SYS_lseek                  = 8
	SYS_mmap                   = 9
	SYS_mprotect               = 10
	SYS_munmap                 = 11
	SYS_brk                    = 12
	SYS_rt_sigaction           = 13
	SYS_rt_sigprocmask         = 14
	SYS_rt_sigreturn           = 15
	SYS_ioctl                  = 16
	SYS_pread64                = 17
	SYS_pwrite64               = 18
	SYS_readv                  = 19
	SYS_writev                 = 20
	SYS_access                 = 21
	SYS_pipe                   = 22
	SYS_select                 = 23
	SYS_sched_yield            = 24
	SYS_madvise                = 28
	SYS_dup                    = 32
	SYS_dup2                   = 33
	SYS_pause                  = 34
	SYS_nanosleep              = 35
	SYS_alarm                  = 37
	SYS_getpid                 = 39
	SYS_clone                  = 56
	SYS_fork                   = 57
	SYS_vfork                  = 58
	SYS_execve                 = 59
	SYS_exit                   = 60
	SYS_wait4                  = 61
	SYS_kill                   = 62
	SYS_uname                  = 63
	SYS_fcntl                  = 72
	SYS_getcwd                 = 79
	SYS_chdir                  = 80
	SYS_umask                  = 95
	SYS_getrlimit              = 97
	SYS_getrusage              = 98
	SYS_sysinfo                = 99
	SYS_times                  = 100
	SYS_getuid                 = 102
	SYS_getgid                 = 104
	SYS_setuid                 = 105
	SYS_setgid                 = 106
	SYS_geteuid                = 107
	SYS_getegid                = 108
	SYS_setpgid                = 109
	SYS_getppid                = 110
	SYS_getpgrp                = 111
	SYS_setsid                 = 112
	SYS_getpgid                = 121
	SYS_getsid                 = 124
	SYS_rt_sigpending          = 127
	SYS_rt_sigtimedwait        = 128
	SYS_rt_sigsuspend          = 130
	SYS_sigaltstack            = 131
	SYS_getpriority            = 140
	SYS_setpriority            = 141
	SYS_sched_setparam         = 142
	SYS_sched_getparam         = 143
	SYS_sched_setscheduler     = 144
	SYS_sched_getscheduler     = 145
	SYS_sched_get_priority_max = 146
	SYS_sched_get_priority_min = 147
	SYS_sched_rr_get_interval  = 148
	SYS_prctl                  = 157
	SYS_arch_prctl             = 158
	SYS_setrlimit              = 160
	SYS_sethostname            = 170
	SYS_setdomainname          = 171
	SYS_gettid                 = 186
	SYS_tkill                  = 200
	SYS_time                   = 201
	SYS_futex                  = 202
	SYS_sched_setaffinity      = 203
	SYS_sched_getaffinity      = 204
	SYS_set_tid_address        = 218
	SYS_clock_gettime          = 228
	SYS_clock_getres           = 229
	SYS_clock_nanosleep        = 230
	SYS_exit_group             = 231
	SYS_tgkill                 = 234
	SYS_openat                 = 257
	SYS_newfstatat             = 262
	SYS_ppoll                  = 271
	SYS_set_robust_list        = 273
	SYS_pipe2                  = 293
	SYS_prlimit64              = 302
	SYS_getrandom              = 318
	SYS_rseq                   = 334
)

// sysArgs are a system call's six arguments (rdi, rsi, rdx, r10, r8, r9).
type sysArgs [6]uint64

// syscallFn implements one system call. It returns the value for RAX, or an
// errno (negated into RAX), or errBlock when the task went to sleep.
type syscallFn func(k *Kernel, t *Task, a *sysArgs) (uint64, error)

// nrSyscalls bounds the table (x86-64 numbers go up to 461 in Linux 6.x).
const nrSyscalls = 512

// syscallTable maps numbers to handlers (sys_call_table): an array, as in
// Linux, indexed by the number. Filled by init functions in the sys_*.go
// files.
var syscallTable [nrSyscalls]syscallFn

// Syscall runs the system call in t's registers (do_syscall_64). A call that
// sleeps leaves the registers as they were and marks the task pending: the
// loop calls Syscall again when the task is woken. It reports whether the
// call left no work for the way back to user mode (the fast path of
// syscall_exit_to_user_mode): no sleep, exit, signal or restart.
func (k *Kernel) Syscall(t *Task) (fast bool) {
	tf := &t.Regs
	nr := tf.RAX
	if !t.pending {
		t.restart = restartBlock{}
		t.origRAX = nr
	} else {
		nr = t.origRAX
	}
	a := (*sysArgs)(tf.SyscallArgs())
	var fn syscallFn
	if nr < nrSyscalls {
		fn = syscallTable[nr]
	}
	if fn == nil {
		k.unknownSyscall(t, nr)
		return false
	}
	ret, err := fn(k, t, a)
	if k.Trace.Load() {
		k.traceSyscall(t, nr, ret, err)
	}
	if err != nil {
		switch err {
		case errBlock:
			t.pending = true
			return false
		case errJustReturn:
			t.pending = false
			return false // the handler set the registers itself
		}
		ret = errnoOf(err).Negated()
		if errno.IsRestart(ret) {
			t.pending = false
			tf.RAX = ret
			return false
		}
	}
	t.pending = false
	tf.RAX = ret
	return !t.notifyWork() && t.State() == TASK_RUNNING
}

// unknownSyscall answers a number tamix does not implement with ENOSYS and
// logs it (rare, so out of Syscall's path).
func (k *Kernel) unknownSyscall(t *Task, nr uint64) {
	t.LastENOSYS = nr
	k.Log("%s[%d]: unknown system call %d (ENOSYS)", t.Comm(), t.PID, nr)
	t.Regs.RAX = errno.ENOSYS.Negated()
}

// traceSyscall logs one system call for the shell's strace switch.
func (k *Kernel) traceSyscall(t *Task, nr, ret uint64, err error) {
	a := t.Regs.SyscallArgs()
	k.Log("%s[%d]: syscall %d(%#x, %#x, %#x) = %#x, %v", t.Comm(), t.PID, nr, a[0], a[1], a[2], ret, err)
}

// errnoOf is the errno a handler's error stands for (EINVAL when it names
// none). The type assertion first: errors.As makes its target escape, and
// an allocation costs more than the whole system call.
func errnoOf(err error) errno.Errno {
	if e, ok := err.(errno.Errno); ok {
		return e
	}
	var e errno.Errno
	if errors.As(err, &e) {
		return e
	}
	return errno.EINVAL
}

// InSyscallSleep reports whether t sleeps inside a system call that must
// be re-run when it is next picked.
func (t *Task) InSyscallSleep() bool { return t.pending }

// restartBlock keeps what a sleeping system call needs when it runs again
// (Linux's restart_block): e.g. nanosleep's absolute deadline.
type restartBlock struct {
	deadline int64
	armed    bool
	rwDone   uint64 // bytes a blocking write has written so far
}

// User memory helpers. Every pointer from user space goes through mm's
// checked copies: a bad pointer is EFAULT, never a kernel fault.

func (t *Task) copyIn(va uint64, n int) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	if err := t.MM.CopyIn(b, va); err != nil {
		return nil, errno.EFAULT
	}
	return b, nil
}

func (t *Task) copyOut(va uint64, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := t.MM.CopyOut(va, b); err != nil {
		return errno.EFAULT
	}
	return nil
}

// copyInto fills dst from user memory without allocating.
func (t *Task) copyInto(dst []byte, va uint64) error {
	if len(dst) == 0 {
		return nil
	}
	if err := t.MM.CopyIn(dst, va); err != nil {
		return errno.EFAULT
	}
	return nil
}

func (t *Task) getUint64(va uint64) (uint64, error) {
	var b [8]byte
	if err := t.copyInto(b[:], va); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b[:]), nil
}

// getUint32 reads a 32-bit user word (futexes, pids).
func (t *Task) getUint32(va uint64) (uint32, error) {
	var b [4]byte
	if err := t.copyInto(b[:], va); err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// rwBuffer returns the task's kernel bounce buffer for read and write,
// grown to n bytes (at most 64 KiB): one per task instead of one per call.
func (t *Task) rwBuffer(n uint64) []byte {
	if uint64(cap(t.rwBuf)) < n {
		t.rwBuf = make([]byte, n)
	}
	return t.rwBuf[:n]
}

func (t *Task) putUint64(va uint64, v uint64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	return t.copyOut(va, b[:])
}

func (t *Task) putInt32(va uint64, v int32) error {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return t.copyOut(va, b[:])
}

// copyInString reads a NUL-terminated string of at most max bytes.
func (t *Task) copyInString(va uint64, max int) (string, error) {
	s, err := t.MM.CopyInString(va, max)
	if err != nil {
		var e errno.Errno
		if errors.As(err, &e) {
			return "", e
		}
		return "", errno.EFAULT
	}
	return s, nil
}

// copyInStrings reads a NULL-terminated array of string pointers (argv).
func (t *Task) copyInStrings(va uint64) ([]string, error) {
	var out []string
	if va == 0 {
		return nil, nil
	}
	for i := 0; ; i++ {
		if i > 0x7fffffff/8 {
			return nil, errno.E2BIG
		}
		p, err := t.getUint64(va + uint64(i)*8)
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return out, nil
		}
		s, err := t.copyInString(p, 128<<10)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
		if len(out) > 1<<16 {
			return nil, errno.E2BIG
		}
	}
}

// trapFrameFor exposes the registers for the loop.
func (t *Task) TrapFrame() *arch.TrapFrame { return &t.Regs }
