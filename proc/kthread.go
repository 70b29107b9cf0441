package proc

import (
	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
)

// NewKernelThread makes a kernel thread task (no mm) that runs as a Go
// goroutine rather than on a runqueue — the shell is one. Its children are
// ordinary tasks that it starts with Spawn and reaps with WaitChild.
func (k *Kernel) NewKernelThread(name string) (*Task, error) {
	t, err := k.copyProcess(k.InitTask, CloneArgs{Flags: CLONE_FS, ExitSignal: SIGCHLD})
	if err != nil {
		return nil, err
	}
	t.Flags = PF_KTHREAD
	t.SetComm(name)
	// The shell leads the console's session; its jobs get groups of their own.
	t.Signal.Session, t.Signal.Pgrp, t.Signal.Leader = t.PID, t.PID, true
	t.SetState(TASK_INTERRUPTIBLE) // it sleeps as far as the scheduler knows
	return t, nil
}

// consoleFiles gives t fds 0, 1 and 2 on the console (as the kernel opens
// /dev/console for init).
func (k *Kernel) consoleFiles(t *Task) {
	if k.Console == nil {
		return
	}
	t.Files.closeAll()
	of := NewOpenFile(k.Console, fs.O_RDWR)
	for fd := 0; fd < 3; fd++ {
		if fd > 0 {
			of.get()
		}
		t.Files.Install(of, fd, false)
	}
}

// SpawnInit starts PID 1 (kernel_init → run_init_process): a child of
// init_task that execs path with the console on fds 0-2. It becomes the
// child reaper: orphans are reparented to it.
func (k *Kernel) SpawnInit(path string) (*Task, error) {
	t, err := k.copyProcess(k.InitTask, CloneArgs{ExitSignal: SIGCHLD})
	if err != nil {
		return nil, err
	}
	k.consoleFiles(t)
	if err := k.Execve(t, path, []string{path}, []string{"HOME=/", "TERM=linux"}); err != nil {
		k.abortSpawn(t)
		return nil, err
	}
	k.ChildReaper = t
	t.Signal.Session, t.Signal.Pgrp, t.Signal.Leader = t.PID, t.PID, true
	k.WakeUpNewTask(t)
	return t, nil
}

// Spawn starts a program as a child of the kernel thread parent
// (call_usermodehelper: kernel_clone, then execve in the child). The child
// inherits parent's descriptors; it is not running yet when Spawn returns
// an error.
func (k *Kernel) Spawn(parent *Task, path string, argv, envp []string, setup func(*Task)) (*Task, error) {
	t, err := k.copyProcess(parent, CloneArgs{ExitSignal: SIGCHLD})
	if err != nil {
		return nil, err
	}
	if parent.Files.Count() == 0 {
		k.consoleFiles(t)
	}
	if err := k.Execve(t, path, argv, envp); err != nil {
		k.abortSpawn(t)
		return nil, err
	}
	if setup != nil {
		setup(t)
	}
	k.WakeUpNewTask(t)
	return t, nil
}

// abortSpawn undoes copyProcess for a child that never ran.
func (k *Kernel) abortSpawn(t *Task) {
	t.Flags |= PF_EXITING
	t.Files.put()
	if t.MM != nil {
		k.mmput(t.MM)
		t.MM = nil
	}
	t.ExitState = EXIT_DEAD
	k.releaseTask(t)
}

// OpenForShell opens path for a kernel thread (the shell's redirections):
// do_sys_open without a calling task, blocking the goroutine while a FIFO
// waits for its partner.
func (k *Kernel) OpenForShell(path string, flags int) (*OpenFile, error) {
	v, err := k.namespace()
	if err != nil {
		return nil, err
	}
	ino, err := v.Open(v.Root(), path, flags, 0o644)
	if err != nil {
		return nil, err
	}
	var st ipc.FifoOpen
	for {
		f, err := v.OpenInode(ino, flags, &st)
		if err == errno.EAGAIN && st.Waiting() {
			done := make(chan struct{}, 1)
			w := &fs.Waiter{Wake: func() bool {
				select {
				case done <- struct{}{}:
				default:
				}
				return true
			}}
			ino.Pipe().Wait().Add(w)
			if f, err = v.OpenInode(ino, flags, &st); err == errno.EAGAIN {
				<-done
				continue
			}
			ino.Pipe().Wait().Remove(w)
		}
		if err != nil {
			return nil, err
		}
		return NewOpenFile(f, flags&^(fs.O_CREAT|fs.O_EXCL|fs.O_TRUNC|fs.O_CLOEXEC)), nil
	}
}

// Get takes a reference to the open file (get_file).
func (of *OpenFile) Get() { of.get() }

// Put drops a reference (fput).
func (of *OpenFile) Put() { of.put() }

// Replace makes fd refer to of (taking a new reference), closing what fd
// held: how a shell sets up a child's standard input and output.
func (fs *FilesStruct) Replace(fd int, of *OpenFile) {
	of.get()
	fs.mu.Lock()
	if fd >= len(fs.fds) {
		fs.fds = append(fs.fds, make([]fdEntry, fd-len(fs.fds)+1)...)
	}
	old := fs.fds[fd].file
	fs.fds[fd] = fdEntry{file: of}
	fs.mu.Unlock()
	if old != nil {
		old.put()
	}
}
