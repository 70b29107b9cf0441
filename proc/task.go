// Package proc is tamix's process model, after Linux's kernel/fork.c,
// kernel/exit.c, kernel/signal.c and fs/exec.c: the task struct and
// init_task, PIDs, kernel_clone, execve, exit and wait, signals, and the
// system call table with Linux's x86-64 numbers and errno conventions.
//
// It is plain Go and runs on the host in tests: the per-CPU loop in package
// kernel calls it with each trap, and it reaches memory only through mm.
package proc

import (
	"sync"
	"sync/atomic"

	arch "tamix/arch/amd64"
	"tamix/fs"
	"tamix/mm"
	"tamix/sched"
)

// Task states (include/linux/sched.h): __state and exit_state.
const (
	TASK_RUNNING         = 0x0000
	TASK_INTERRUPTIBLE   = 0x0001
	TASK_UNINTERRUPTIBLE = 0x0002
	TASK_STOPPED         = 0x0004
	TASK_TRACED          = 0x0008
	EXIT_DEAD            = 0x0010
	EXIT_ZOMBIE          = 0x0020
)

// Per-task flags (PF_*).
const (
	PF_IDLE       = 0x00000002 // the per-CPU idle task
	PF_EXITING    = 0x00000004 // in do_exit
	PF_FORKNOEXEC = 0x00000040 // forked but did not exec
	PF_SIGNALED   = 0x00000400 // killed by a signal
	PF_KTHREAD    = 0x00200000 // a kernel thread: no mm of its own
)

// TASK_COMM_LEN is the size of comm, the executable's name (with NUL).
const TASK_COMM_LEN = 16

// Task is tamix's task_struct: one per thread of execution, user or kernel.
// The scheduler's part (prio, static_prio, normal_prio, rt_priority, policy,
// se, cpus_mask, nvcsw/nivcsw…) is embedded, so t.Prio reads like p->prio.
type Task struct {
	sched.Task

	state     atomic.Int32 // __state: TASK_RUNNING, TASK_INTERRUPTIBLE…
	ExitState int32        // exit_state: EXIT_ZOMBIE, EXIT_DEAD
	Flags     uint32       // PF_*

	MM       *mm.MM // the address space; nil for kernel threads
	ActiveMM *mm.MM // the page table the task runs on (its own, or borrowed)

	PID  int // the thread ID (Linux's pid)
	TGID int // the thread group ID: what getpid returns

	// Process tree, under Kernel.tasklistLock (Linux's tasklist_lock).
	// realParent is who forked us (or the reaper that adopted us). Written
	// under tasklistLock; getppid reads it without the lock, as Linux
	// reads real_parent under RCU.
	realParent  atomic.Pointer[Task]
	Parent      *Task   // who gets SIGCHLD and wait4 (== RealParent: no ptrace)
	Children    []*Task // our children (Linux's children list)
	GroupLeader *Task   // the thread group's leader

	ExitCode   int // status for wait4, encoded as Linux does (code<<8 | signal)
	ExitSignal int // signal sent to the parent on exit (SIGCHLD)

	Utime, Stime   int64 // ns of CPU time in user and kernel mode
	StartTime      int64 // ns since boot (monotonic) when created
	MinFlt, MajFlt uint64

	comm [TASK_COMM_LEN]byte

	// Regs is the user register state (pt_regs + thread_struct's fsbase/fpu).
	Regs arch.TrapFrame

	// syscall restart: a blocking system call that must sleep leaves the
	// task's registers untouched and sets pending; the loop calls the
	// handler again when the task is woken (Linux restarts the call too).
	pending     bool
	origRAX     uint64       // the system call number (orig_ax)
	rwBuf       []byte       // bounce buffer for read/write (see rwBuffer)
	inSyscall   bool         // returning from a system call (restart fix-ups apply)
	futexWaiter *futexWaiter // the futex the task sleeps on
	zapped      bool         // killed by another thread's execve (de_thread)
	execImg     *execImage   // execve's loaded program while de_thread waits
	restart     restartBlock
	// itSample is the task's CPU time when it last checked the process's
	// CPU interval timers (see checkCPUItimers).
	itSample int64
	// ptSample is the same for the POSIX CPU-clock timers
	// (checkPosixCPUTimers).
	ptSample int64

	Signal  *SignalStruct // shared by the thread group
	Sighand *SigHand      // actions, shared with CLONE_SIGHAND
	Blocked SigSet        // the signal mask
	// sigsuspend's temporary mask: the real one comes back after the
	// handler (saved_sigmask, TIF_RESTORE_SIGMASK).
	savedSigmask   SigSet
	restoreSigmask bool
	// altStack is the alternate signal stack (sigaltstack.go).
	altStack sigAltStack
	Pending  SigPending // signals sent to this thread
	// sigpending is TIF_SIGPENDING: something may be pending for this
	// thread (see signalPending).
	sigpending atomic.Bool
	// SetChildTID / ClearChildTID (set_tid_address, CLONE_CHILD_*).
	SetChildTID, ClearChildTID uint64

	Files *FilesStruct
	fs    *FSStruct // working directory and umask (fs_struct)

	// piLock orders sleeping against waking (Linux's p->pi_lock).
	piLock sync.Mutex
	// running is set while a CPU loop owns the task (entered it or is
	// handling its trap): no other loop may run it.
	running atomic.Bool
	// waiter is the task's entry on the wait queue it sleeps on.
	waiter fs.Waiter
	// WaitChldExit is where the task sleeps in wait4 (signal->wait_chldexit).
	WaitChldExit fs.WaitQueue
	// vforkDone is closed when a CLONE_VFORK child execs or exits; the
	// parent waits on vforkWait.
	vforkDone chan struct{}
	vforkWait chan struct{}

	// FatalSignal and FatalRIP record the signal that killed the task and
	// where it was, for the shell's "[killed by SIGSEGV at …]".
	FatalSignal SigInfo
	FatalRIP    uint64

	// LastENOSYS is the last unknown system call number, for the shell.
	LastENOSYS uint64
	// exited is closed when the task becomes a zombie (kernel waiters).
	exited chan struct{}

	// cred is the task's credentials (real_cred == cred: tamix has no
	// overriding subjective credentials); nil means init_cred (cred.go).
	cred atomic.Pointer[Cred]
	// robustList is the robust futex list head (set_robust_list), walked
	// when the thread exits or execs (robust.go).
	robustList uint64
	// personality is the execution domain and its flags (personality(2)),
	// inherited by fork; always PER_LINUX plus whatever flags were set.
	personality uint32

	procsysTask // pdeath_signal, no_new_privs, sigtimedwait's masks (procsys.go)
	sysvTask    // semaphore undo list, the IPC operation slept in (sysvipc.go)
}

// State returns __state.
func (t *Task) State() int32 { return t.state.Load() }

// SetState sets __state.
func (t *Task) SetState(s int32) { t.state.Store(s) }

// Comm returns the executable name (comm).
func (t *Task) Comm() string {
	for i, c := range t.comm {
		if c == 0 {
			return string(t.comm[:i])
		}
	}
	return string(t.comm[:])
}

// SetComm sets comm, truncated to TASK_COMM_LEN-1 bytes as Linux does.
func (t *Task) SetComm(name string) {
	clear(t.comm[:])
	copy(t.comm[:TASK_COMM_LEN-1], name)
}

// IsKernelThread reports whether t is a kernel thread.
func (t *Task) IsKernelThread() bool { return t.Flags&PF_KTHREAD != 0 }

// ThreadGroupLeader reports whether t leads its thread group.
func (t *Task) ThreadGroupLeader() bool { return t.GroupLeader == t }

// StateChar is the letter ps shows for the task's state.
func (t *Task) StateChar() byte {
	switch {
	case t.ExitState == EXIT_ZOMBIE:
		return 'Z'
	case t.ExitState == EXIT_DEAD:
		return 'X'
	}
	switch t.State() {
	case TASK_RUNNING:
		return 'R'
	case TASK_INTERRUPTIBLE:
		return 'S'
	case TASK_UNINTERRUPTIBLE:
		return 'D'
	case TASK_STOPPED:
		return 'T'
	}
	return '?'
}

// TaskOf returns the proc task that owns a scheduler task.
func TaskOf(st *sched.Task) *Task {
	if st == nil {
		return nil
	}
	return st.Owner.(*Task)
}

// RealParent is the task that forked t, or the reaper that adopted it.
func (t *Task) RealParent() *Task { return t.realParent.Load() }
