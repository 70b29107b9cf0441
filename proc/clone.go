package proc

import (
	"tamix/errno"
	"tamix/mm"
)

// clone flags (include/uapi/linux/sched.h).
const (
	CSIGNAL              = 0x000000ff
	CLONE_VM             = 0x00000100
	CLONE_FS             = 0x00000200
	CLONE_FILES          = 0x00000400
	CLONE_SIGHAND        = 0x00000800
	CLONE_PIDFD          = 0x00001000
	CLONE_PTRACE         = 0x00002000
	CLONE_VFORK          = 0x00004000
	CLONE_PARENT         = 0x00008000
	CLONE_THREAD         = 0x00010000
	CLONE_NEWNS          = 0x00020000
	CLONE_SYSVSEM        = 0x00040000
	CLONE_SETTLS         = 0x00080000
	CLONE_PARENT_SETTID  = 0x00100000
	CLONE_CHILD_CLEARTID = 0x00200000
	CLONE_DETACHED       = 0x00400000
	CLONE_UNTRACED       = 0x00800000
	CLONE_CHILD_SETTID   = 0x01000000
	CLONE_NEWCGROUP      = 0x02000000
	CLONE_NEWUTS         = 0x04000000
	CLONE_NEWIPC         = 0x08000000
	CLONE_NEWUSER        = 0x10000000
	CLONE_NEWPID         = 0x20000000
	CLONE_NEWNET         = 0x40000000
	CLONE_IO             = 0x80000000
)

// CloneArgs are kernel_clone's arguments (struct kernel_clone_args).
type CloneArgs struct {
	Flags      uint64
	ExitSignal int
	Stack      uint64 // new user stack pointer, 0 to keep the parent's
	ParentTID  uint64 // CLONE_PARENT_SETTID: where to store the child's TID
	ChildTID   uint64 // CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID
	TLS        uint64 // CLONE_SETTLS: the child's FS base
	PidFD      uint64 // CLONE_PIDFD: where to store the child's pidfd
	SetTID     int    // clone3's set_tid: the PID the child must get (0: any)
}

// checkCloneFlags applies copy_process's validity rules.
func checkCloneFlags(f uint64) error {
	const namespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
	switch {
	case f&(CLONE_NEWNS|CLONE_FS) == CLONE_NEWNS|CLONE_FS:
		return errno.EINVAL
	case f&CLONE_THREAD != 0 && f&CLONE_SIGHAND == 0:
		return errno.EINVAL // threads share signal handlers
	case f&CLONE_SIGHAND != 0 && f&CLONE_VM == 0:
		return errno.EINVAL // shared handlers need a shared address space
	case f&namespaces != 0:
		return errno.EINVAL // tamix has no namespaces
	}
	return nil
}

// KernelClone creates a new task as a copy of parent (kernel_clone): it runs
// copy_process and then wake_up_new_task. It returns the child.
func (k *Kernel) KernelClone(parent *Task, args CloneArgs) (*Task, error) {
	if err := checkPidfdFlags(&args); err != nil {
		return nil, err
	}
	if args.Flags&CLONE_PIDFD != 0 {
		// Fail before the child exists if the pidfd cannot be stored.
		if err := parent.putInt32(args.PidFD, -1); err != nil {
			return nil, err
		}
	}
	child, err := k.copyProcess(parent, args)
	if err != nil {
		return nil, err
	}
	if args.Flags&CLONE_PIDFD != 0 {
		if err := k.clonePidfd(parent, child, args.PidFD); err != nil {
			k.abortSpawn(child)
			return nil, err
		}
	}
	if args.Flags&CLONE_PARENT_SETTID != 0 && parent.MM != nil {
		if err := putUint32(parent.MM, args.ParentTID, uint32(child.PID)); err != nil {
			// Linux writes it with put_user and ignores a fault here too.
			_ = err
		}
	}
	k.WakeUpNewTask(child)
	return child, nil
}

// WakeUpNewTask puts a new task on a runqueue for the first time.
func (k *Kernel) WakeUpNewTask(t *Task) {
	t.piLock.Lock()
	t.SetState(TASK_RUNNING)
	k.Sched.WakeUpNewTask(&t.Task) // sends the reschedule IPI itself
	t.piLock.Unlock()
}

// copyProcess builds the child task (copy_process): dup_task_struct,
// sched_fork, copy_files, copy_sighand, copy_signal, copy_mm, copy_thread,
// alloc_pid, and linking into the process tree.
func (k *Kernel) copyProcess(parent *Task, args CloneArgs) (*Task, error) {
	f := args.Flags
	if err := checkCloneFlags(f); err != nil {
		return nil, err
	}
	if k.nprocOverLimit(parent) {
		return nil, errno.EAGAIN // RLIMIT_NPROC
	}

	k.tasklistLock.Lock()
	if k.nrThreads >= k.MaxThreads {
		k.tasklistLock.Unlock()
		return nil, errno.EAGAIN
	}
	k.nrThreads++ // reserved now, so concurrent forks respect the limit
	k.tasklistLock.Unlock()
	fail := func(err error) (*Task, error) {
		k.tasklistLock.Lock()
		k.nrThreads--
		k.tasklistLock.Unlock()
		return nil, err
	}

	// dup_task_struct
	c := &Task{}
	c.Owner = c
	c.Flags = parent.Flags &^ (PF_IDLE | PF_EXITING | PF_SIGNALED)
	c.Flags |= PF_FORKNOEXEC
	c.comm = parent.comm
	c.Regs = parent.Regs
	copy(c.Regs.FXSAVE(), parent.Regs.FXSAVE()) // the image's alignment may differ
	c.StartTime = k.Clock()
	c.exited = make(chan struct{})
	c.Blocked = parent.Blocked
	if f&(CLONE_VM|CLONE_VFORK) != CLONE_VM {
		c.altStack = parent.altStack // a new thread starts without one (sas_ss_reset)
	}

	// sched_fork
	k.Sched.SchedFork(&c.Task, &parent.Task)

	// copy_files
	if f&CLONE_FILES != 0 {
		c.Files = parent.Files
		c.Files.hold()
	} else {
		c.Files = parent.Files.dup()
	}

	// copy_fs: the working directory and umask, shared with CLONE_FS.
	copyFS(parent, c, f)

	// copy_sighand / copy_signal
	if f&CLONE_SIGHAND != 0 {
		c.Sighand = parent.Sighand
		c.Sighand.mu.Lock()
		c.Sighand.count++
		c.Sighand.mu.Unlock()
	} else {
		c.Sighand = newSigHand()
		parent.Sighand.mu.Lock()
		c.Sighand.Action = parent.Sighand.Action
		parent.Sighand.mu.Unlock()
	}
	if f&CLONE_CLEAR_SIGHAND != 0 {
		k.flushSignalHandlers(c) // clone3: handlers back to SIG_DFL, ignored ones stay
	}
	if f&CLONE_THREAD != 0 {
		c.Signal = parent.Signal
	} else {
		c.Signal = newSignalStruct()
		c.Signal.Pgrp, c.Signal.Session = parent.Signal.Pgrp, parent.Signal.Session
		initProcsysSignal(c.Signal, parent.Signal)
	}
	if f&CLONE_FILES == 0 {
		c.Files.owner = c.Signal // RLIMIT_NOFILE bounds the new table
	}
	c.noNewPrivs = parent.noNewPrivs
	c.cred.Store(parent.Cred()) // copy_creds: shared until one of them changes
	c.personality = parent.personality

	// copy_mm
	switch {
	case parent.MM == nil:
		// A kernel thread's child gets its mm from execve.
	case f&CLONE_VM != 0:
		parent.MM.Mmget()
		c.MM = parent.MM
	default:
		m, err := parent.MM.Fork()
		if err != nil {
			c.Files.put()
			return fail(errno.ENOMEM)
		}
		c.MM = m
	}
	c.ActiveMM = c.MM

	// copy_thread: the child returns 0 from the system call.
	c.Regs.RAX = 0
	if args.Stack != 0 {
		c.Regs.RSP = args.Stack
	}
	if f&CLONE_SETTLS != 0 {
		c.Regs.FSBase = args.TLS
	}
	if f&CLONE_CHILD_SETTID != 0 {
		c.SetChildTID = args.ChildTID
	}
	if f&CLONE_CHILD_CLEARTID != 0 {
		c.ClearChildTID = args.ChildTID
	}
	if f&CLONE_VFORK != 0 {
		c.vforkDone = make(chan struct{})
	}

	// alloc_pid and attach to the tree.
	k.tasklistLock.Lock()
	pid, err := k.allocPid(parent, c, args.SetTID)
	if err != nil {
		k.tasklistLock.Unlock()
		if c.MM != nil {
			c.MM.Mmput()
		}
		c.Files.put()
		return fail(err)
	}
	c.PID = pid
	if f&CLONE_THREAD != 0 {
		c.TGID = parent.TGID
		c.GroupLeader = parent.GroupLeader
		c.ExitSignal = -1
		c.Signal.NrThreads++
		c.Signal.Live++
	} else {
		c.TGID = pid
		c.GroupLeader = c
		c.ExitSignal = args.ExitSignal
	}
	if f&(CLONE_PARENT|CLONE_THREAD) != 0 {
		c.realParent.Store(parent.RealParent())
	} else {
		c.realParent.Store(parent)
	}
	c.Parent = c.RealParent()
	c.Parent.Children = append(c.Parent.Children, c)
	k.tasklistLock.Unlock()
	k.Forks.Add(1)
	k.copySysvsem(parent, c, f)

	if c.SetChildTID != 0 && c.MM != nil {
		_ = putUint32(c.MM, c.SetChildTID, uint32(c.PID))
	}
	return c, nil
}

// putUint32 writes a 32-bit value to user memory.
func putUint32(m *mm.MM, va uint64, v uint32) error {
	return m.CopyOut(va, []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)})
}
