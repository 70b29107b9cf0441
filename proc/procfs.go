package proc

import (
	"sync/atomic"

	"tamix/fs"
	"tamix/vfs"
)

// What /proc (package procfs) reads from the process model: read-only
// views of state that is otherwise private to this package, each taken
// under the lock that guards it.

// ThreadsOf returns the live threads of t's thread group, in no order.
func (k *Kernel) ThreadsOf(t *Task) []*Task { return k.threadsOf(t) }

// LastPID is the last PID handed out (what /proc/loadavg shows).
func (k *Kernel) LastPID() int {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	return k.pids.last
}

// Alive reports whether t still has its PID: running, sleeping, stopped
// or a zombie nobody reaped yet (pid_alive).
func (k *Kernel) Alive(t *Task) bool {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	return k.pids.find(t.PID) == t
}

// Cwd returns t's working directory (nil: the root).
func (k *Kernel) Cwd(t *Task) *vfs.Inode { return k.cwd(t) }

// Umask is t's file mode creation mask.
func (k *Kernel) Umask(t *Task) uint32 { return k.umask(t) }

// SignalSets are the sets /proc/PID/status shows (task_sig).
type SignalSets struct {
	Pending, SharedPending, Blocked, Ignored, Caught SigSet
	// Queued counts queued signals (SigQ).
	Queued int
}

// SignalSets reads t's signal state under its siglock.
func (t *Task) SignalSets() SignalSets {
	sh := t.Sighand
	sh.mu.Lock()
	defer sh.mu.Unlock()
	s := SignalSets{Pending: t.Pending.Set, Blocked: t.Blocked,
		Queued: len(t.Pending.queue)}
	if t.Signal != nil {
		s.SharedPending = t.Signal.SharedPending.Set
		s.Queued += len(t.Signal.SharedPending.queue)
	}
	for i, a := range sh.Action {
		switch {
		case a.Handler == SIG_IGN:
			s.Ignored |= Bit(i + 1)
		case a.Handler != SIG_DFL:
			s.Caught |= Bit(i + 1)
		}
	}
	return s
}

// FD is one open descriptor.
type FD struct {
	FD    int
	File  fs.File
	Flags int // f_flags
}

// FDs lists the open descriptors in order (for /proc/PID/fd), and the size
// of the table (FDSize: max_fds, a multiple of 64 as Linux grows it).
func (fs *FilesStruct) FDs() (fds []FD, size int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, e := range fs.fds {
		if e.file != nil {
			e.file.mu.Lock()
			fds = append(fds, FD{FD: i, File: e.file.File, Flags: e.file.Flags})
			e.file.mu.Unlock()
		}
	}
	size = max(64, (len(fs.fds)+63)/64*64)
	return fds, size
}

// CPUTimes is one CPU's time by kind, ns (kernel_cpustat): what the tick
// found the CPU doing, as account_user_time and account_system_time charge.
type CPUTimes struct {
	User, Nice, System atomic.Int64
}

// AccountUser charges ns of user time of t to cpu (account_user_time):
// nice time when t's nice value is positive.
func (k *Kernel) AccountUser(cpu int, t *Task, ns int64) {
	if cpu < 0 || cpu >= len(k.CPUStat) {
		return
	}
	if t.Nice() > 0 {
		k.CPUStat[cpu].Nice.Add(ns)
	} else {
		k.CPUStat[cpu].User.Add(ns)
	}
}

// AccountSystem charges ns of system time to cpu (account_system_time).
func (k *Kernel) AccountSystem(cpu int, ns int64) {
	if cpu >= 0 && cpu < len(k.CPUStat) {
		k.CPUStat[cpu].System.Add(ns)
	}
}
