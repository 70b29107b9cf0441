package proc

import "tamix/fs"

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
