package proc

import (
	"sync/atomic"

	"tamix/errno"
)

// What /proc shows of the kernel's tunables and of a task beyond its own
// fields: the sysctl knobs /proc/sys/kernel writes (pid_max, threads-max)
// with Linux's bounds, and per-task views for /proc/PID (limits,
// children, wchan).

// Bounds of /proc/sys/kernel/pid_max (pid_max_min, pid_max_max on 64-bit:
// PID_MAX_LIMIT) and threads-max (1 and MAX_THREADS, FUTEX_TID_MASK).
const (
	PIDMaxMin     = reservedPIDs + 1
	PIDMaxLimit   = 4 * 1024 * 1024
	MaxThreadsMax = 0x3fffffff
)

// PIDMaxValue is /proc/sys/kernel/pid_max: PIDs are handed out below it.
func (k *Kernel) PIDMaxValue() int {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	return k.pids.max
}

// SetPIDMax writes pid_max (proc_dointvec_minmax): EINVAL outside
// [301, 4194304]. PIDs already given stay; the next one wraps below n.
func (k *Kernel) SetPIDMax(n int) error {
	if n < PIDMaxMin || n > PIDMaxLimit {
		return errno.EINVAL
	}
	k.tasklistLock.Lock()
	k.pids.max = n
	k.tasklistLock.Unlock()
	return nil
}

// MaxThreadsValue is /proc/sys/kernel/threads-max.
func (k *Kernel) MaxThreadsValue() int {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	return k.MaxThreads
}

// SetMaxThreads writes threads-max (sysctl_max_threads): EINVAL outside
// [1, MAX_THREADS]; fork checks it under tasklistLock. As in Linux the
// limits already given (RLIMIT_NPROC) do not change.
func (k *Kernel) SetMaxThreads(n int) error {
	if n < 1 || n > MaxThreadsMax {
		return errno.EINVAL
	}
	k.tasklistLock.Lock()
	k.MaxThreads = n
	k.tasklistLock.Unlock()
	return nil
}

// Rlimits is every resource limit of t's process (proc_pid_limits).
func (t *Task) Rlimits() [RLIM_NLIMITS]Rlimit {
	if t.Signal == nil {
		return defaultRlimits(0)
	}
	return t.Signal.rlimits()
}

// ChildrenOf lists the PIDs of the children t itself forked (Linux keeps
// them on the forking thread's children list), in the list's order, as
// /proc/PID/task/TID/children shows them.
func (k *Kernel) ChildrenOf(t *Task) []int {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	out := make([]int, 0, len(t.Children))
	for _, c := range t.Children {
		out = append(out, c.PID)
	}
	return out
}

// wchanOf names where a task sleeping in a system call waits, as
// get_wchan names the first function outside the scheduler on its stack:
// tamix knows the call it is in, and these are the functions Linux 6.1
// sleeps in for them.
var wchanOf = map[uint64]string{
	SYS_wait4:           "do_wait",
	SYS_nanosleep:       "hrtimer_nanosleep",
	SYS_clock_nanosleep: "hrtimer_nanosleep",
	SYS_pause:           "__x64_sys_pause",
	SYS_futex:           "futex_wait_queue",
	SYS_poll:            "do_sys_poll",
	SYS_ppoll:           "do_sys_poll",
	SYS_select:          "do_select",
	SYS_pselect6:        "do_select",
	SYS_epoll_wait:      "do_epoll_wait",
	SYS_epoll_pwait:     "do_epoll_wait",
	SYS_rt_sigsuspend:   "sigsuspend",
	SYS_waitid:          "do_wait",
}

// Wchan is /proc/PID/wchan: "0" for a task that is running or runnable
// (or stopped, or a zombie), else the function it waits in, when tamix
// can name it truthfully from the system call it sleeps in; "0" when not.
func (t *Task) Wchan() string {
	if c := t.StateChar(); c != 'S' && c != 'D' {
		return "0"
	}
	if !t.pending { // not asleep in a system call
		return "0"
	}
	if name, ok := wchanOf[t.origRAX]; ok {
		return name
	}
	return "0"
}

// nrOpen is /proc/sys/fs/nr_open (sysctl_nr_open): the largest
// RLIMIT_NOFILE and the most descriptors a table may hold.
var nrOpen atomic.Int64

func init() { nrOpen.Store(sysctlNrOpen) }

// Bounds of nr_open: BITS_PER_LONG and sysctl_nr_open_max.
const (
	NrOpenMin = 64
	NrOpenMax = 2147483584
)

// NrOpen is fs/nr_open.
func NrOpen() int { return int(nrOpen.Load()) }

// SetNrOpen writes fs/nr_open (proc_dointvec_minmax): EINVAL outside its
// bounds. Limits already above it stay, as in Linux.
func SetNrOpen(n int) error {
	if n < NrOpenMin || n > NrOpenMax {
		return errno.EINVAL
	}
	nrOpen.Store(int64(n))
	return nil
}
