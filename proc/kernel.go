package proc

import (
	"fmt"
	"sync"
	"sync/atomic"

	"tamix/fs"
	"tamix/ipc/mqueue"
	"tamix/ipc/sysv"
	"tamix/mm"
	"tamix/net/unix"
	"tamix/sched"
	"tamix/vfs"
)

// Kernel holds the process-wide state of one tamix instance. Package kernel
// makes one at boot; tests make their own against simulated memory.
type Kernel struct {
	Frames     *mm.FrameAllocator
	KernelRoot uint64 // the boot page table that process page tables copy
	TLB        mm.TLB
	Sched      *sched.Scheduler
	NCPU       int

	// Clock returns ns since boot (CLOCK_MONOTONIC); Wall returns ns since
	// the Unix epoch (CLOCK_REALTIME).
	Clock func() int64
	Wall  func() int64
	// Random fills b with random bytes (getrandom, AT_RANDOM).
	Random func(b []byte)
	// Console is the terminal behind fds 0, 1 and 2 of the first processes.
	Console fs.File
	// Images are the executables embedded in the kernel, by path (/bin/x).
	Images map[string][]byte
	// VFS is the namespace open(2) and friends see; nil in tests without one.
	VFS *vfs.FS
	// IPC holds the System V IPC objects (init_ipc_ns).
	IPC *sysv.Namespace
	// MQueue holds the POSIX message queues (the mqueue mount of
	// init_ipc_ns); made on first use when nil.
	MQueue *mqueue.Namespace
	mqOnce sync.Once
	// HWCap is CPUID.1:EDX, reported to programs as AT_HWCAP.
	HWCap uint64
	// Resched asks CPU cpu to reschedule (a reschedule IPI on the machine).
	Resched func(cpu int)
	// Log receives kernel messages about tasks (e.g. unknown system calls).
	Log func(format string, args ...any)
	// DropMM makes every CPU stop using m's page table (it is about to be
	// freed); nil when no CPU can have it loaded (tests).
	DropMM func(m *mm.MM)

	// tasklistLock guards the process tree and the PID table.
	tasklistLock sync.Mutex
	pids         pidTable
	nrThreads    int
	// MaxThreads bounds nr_threads (Linux's max_threads): fork gets EAGAIN.
	MaxThreads int

	// InitTask is PID 0 on CPU 0 (there is one idle task per CPU).
	InitTask  *Task
	IdleTasks []*Task
	// ChildReaper is /bin/init (PID 1): orphans are reparented to it.
	ChildReaper *Task

	timers timerQueue
	// unixNet is the name space of bound AF_UNIX sockets.
	unixNet *unix.Net
	// vdsoPages is the vvar page followed by the vDSO, mapped by exec.
	vdsoPages []byte

	// Stats.
	Forks atomic.Uint64
	// CPUStat is each CPU's time by kind (/proc/stat).
	CPUStat []CPUTimes
	// Trace logs every system call (the shell's strace command).
	Trace atomic.Bool
}

// Config describes a new Kernel.
type Config struct {
	Frames     *mm.FrameAllocator
	KernelRoot uint64
	TLB        mm.TLB
	NCPU       int
	Clock      func() int64
	Wall       func() int64
	Random     func([]byte)
	Console    fs.File
	Images     map[string][]byte
	VFS        *vfs.FS
	HWCap      uint64
	Resched    func(cpu int)
	Log        func(format string, args ...any)
	DropMM     func(m *mm.MM)
	ArmTimer   func(when int64)
	// VDSO is the vDSO shared object and VVar its data page (at most a
	// page): exec maps both into every process, VVar first (nil: none).
	VDSO, VVar []byte
}

// NewKernel creates the process subsystem with its idle tasks (init_task
// and one idle task per other CPU), as sched_init and fork_init do.
func NewKernel(c Config) *Kernel {
	k := &Kernel{
		Frames: c.Frames, KernelRoot: c.KernelRoot, TLB: c.TLB, NCPU: c.NCPU,
		Clock: c.Clock, Wall: c.Wall, Random: c.Random, Console: c.Console,
		Images: c.Images, VFS: c.VFS, HWCap: c.HWCap, Resched: c.Resched, Log: c.Log, DropMM: c.DropMM,
		MaxThreads: defaultMaxThreads(c.Frames),
	}
	if k.Log == nil {
		k.Log = func(string, ...any) {}
	}
	if k.Resched == nil {
		k.Resched = func(int) {}
	}
	k.timers.arm = c.ArmTimer
	if len(c.VDSO) > 0 && len(c.VVar) <= mm.PageSize {
		pages := make([]byte, mm.PageSize+(len(c.VDSO)+mm.PageSize-1)/mm.PageSize*mm.PageSize)
		copy(pages, c.VVar)
		copy(pages[mm.PageSize:], c.VDSO)
		k.vdsoPages = pages
	}
	k.pids.init()
	k.IPC = sysv.NewNamespace(c.Frames, func() int64 { return k.Wall() / 1e9 })
	k.unixNet = unix.NewNet()
	k.CPUStat = make([]CPUTimes, c.NCPU)
	k.Sched = sched.New(c.NCPU, c.Clock)
	// Wake-up preemption of a task on another CPU needs an IPI there.
	k.Sched.SendReschedIPI = k.Resched
	for cpu := 0; cpu < c.NCPU; cpu++ {
		idle := newIdleTask(k, cpu)
		k.Sched.InitIdle(cpu, &idle.Task)
		k.IdleTasks = append(k.IdleTasks, idle)
	}
	k.InitTask = k.IdleTasks[0]
	k.setInitRlimits()
	return k
}

// defaultMaxThreads follows fork_init: the number of threads whose kernel
// stacks would use an eighth of memory (16 KiB stacks, 4 KiB pages).
func defaultMaxThreads(a *mm.FrameAllocator) int {
	if a == nil {
		return 4096
	}
	n := a.TotalCount() / 8 / 4
	if n < 20 {
		n = 20
	}
	if n > 4<<20 {
		n = 4 << 20
	}
	return n
}

// newIdleTask builds the per-CPU idle task statically, as init_task is in
// Linux: PID 0, comm "swapper/N", a kernel thread on the idle class.
func newIdleTask(k *Kernel, cpu int) *Task {
	t := &Task{Flags: PF_KTHREAD | PF_IDLE}
	t.Owner = t
	t.PID, t.TGID = 0, 0
	t.GroupLeader = t
	t.realParent.Store(t)
	t.Parent = t
	t.SetComm(fmt.Sprintf("swapper/%d", cpu))
	t.Signal = newSignalStruct()
	t.Sighand = newSigHand()
	t.Files = newFiles()
	t.exited = make(chan struct{})
	return t
}

// FindTask returns the task with thread ID pid (find_task_by_vpid).
func (k *Kernel) FindTask(pid int) *Task {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	return k.pids.find(pid)
}

// Tasks returns every live task (zombies included), ordered by PID, idle
// tasks first.
func (k *Kernel) Tasks() []*Task {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	out := append([]*Task(nil), k.IdleTasks...)
	return append(out, k.pids.all()...)
}

// NrThreads is the number of live tasks other than the idle tasks.
func (k *Kernel) NrThreads() int {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	return k.nrThreads
}
