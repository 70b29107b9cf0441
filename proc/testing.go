package proc

import (
	"tamix/mm"
	"tamix/proc/binfmt"
)

// NewTestProcess makes a user process for the host tests of packages built
// on proc (procfs): forked from parent (init_task when nil) with its own
// address space holding a stack with argv and envp laid out as execve lays
// them out, comm from argv[0], and a scratch data mapping of one page; it
// is runnable, as after wake_up_new_task. No program runs in it.
func (k *Kernel) NewTestProcess(parent *Task, argv, envp []string) (*Task, error) {
	if parent == nil {
		parent = k.InitTask
	}
	c, err := k.copyProcess(parent, CloneArgs{ExitSignal: SIGCHLD})
	if err != nil {
		return nil, err
	}
	m, err := mm.NewMM(k.Frames, k.KernelRoot, nil)
	if err != nil {
		return nil, err
	}
	if err := m.SetupStack(binfmt.StackTop, binfmt.StackRlimit); err != nil {
		return nil, err
	}
	sp, err := binfmt.BuildStack(m, binfmt.StackTop, argv, envp, binfmt.AuxInfo{Execfn: "/bin/test"}, [16]byte{})
	if err != nil {
		return nil, err
	}
	setArgEnv(m, sp, argv, envp)
	if _, err := m.Mmap(0, mm.PageSize, mm.PROT_READ|mm.PROT_WRITE, mm.MAP_PRIVATE|mm.MAP_ANONYMOUS, nil, 0); err != nil {
		return nil, err
	}
	c.MM, c.ActiveMM = m, m
	c.Flags &^= PF_KTHREAD | PF_FORKNOEXEC
	if len(argv) > 0 {
		c.SetComm(argv[0])
	}
	k.WakeUpNewTask(c)
	return c, nil
}
