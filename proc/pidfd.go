package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/fs"
)

// Process file descriptors (kernel/pid.c pidfd_open, kernel/signal.c
// pidfd_send_signal): a file that names one process for as long as it is
// open, so a signal or a wait cannot reach a later process that reused the
// PID. It polls readable once the whole thread group has exited.

const (
	SYS_pidfd_send_signal = 424
	SYS_pidfd_open        = 434

	PIDFD_NONBLOCK = fs.O_NONBLOCK
)

func init() {
	syscallTable[SYS_pidfd_open] = sysPidfdOpen
	syscallTable[SYS_pidfd_send_signal] = sysPidfdSendSignal
}

// pidfdFile is the open pidfd. It holds the process's signal_struct, which
// a thread group keeps through execve's de_thread and which no later
// process shares: the identity struct pid gives Linux's pidfds.
type pidfdFile struct {
	k      *Kernel
	pid    int // the thread group ID
	signal *SignalStruct
}

// task returns the process the pidfd names while it exists (a zombie
// included), nil once reaped.
func (f *pidfdFile) task() *Task {
	t := f.k.FindTask(f.pid)
	if t == nil || t.Signal != f.signal {
		return nil
	}
	return t.GroupLeader
}

// exited reports thread_group_exited: no live thread is left.
func (f *pidfdFile) exited() bool {
	f.k.tasklistLock.Lock()
	defer f.k.tasklistLock.Unlock()
	return f.signal.Live == 0
}

func (f *pidfdFile) Read([]byte) (int, error)  { return 0, errno.EINVAL }
func (f *pidfdFile) Write([]byte) (int, error) { return 0, errno.EINVAL }
func (f *pidfdFile) Wait() *fs.WaitQueue       { return &f.signal.pidfdWait }
func (f *pidfdFile) Release()                  {}

// AnonName is the anonymous inode's name (/proc/PID/fd links).
func (f *pidfdFile) AnonName() string { return "[pidfd]" }

// Poll is pidfd_poll: readable when the process has exited.
func (f *pidfdFile) Poll() uint32 {
	if f.exited() {
		return fs.POLLIN | fs.POLLRDNORM
	}
	return 0
}

// sysPidfdOpen is pidfd_open(pid, flags): a close-on-exec pidfd for a
// process (a thread group leader: another thread's ID is EINVAL).
func sysPidfdOpen(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	pid, flags := int(int32(a[0])), int(uint32(a[1]))
	if flags&^PIDFD_NONBLOCK != 0 || pid <= 0 {
		return 0, errno.EINVAL
	}
	p := k.FindTask(pid)
	if p == nil || p.IsKernelThread() || p.ExitState == EXIT_DEAD {
		return 0, errno.ESRCH
	}
	if !p.ThreadGroupLeader() {
		return 0, errno.EINVAL
	}
	of := NewOpenFile(&pidfdFile{k: k, pid: p.TGID, signal: p.Signal}, fs.O_RDWR|flags)
	fd, err := t.Files.Install(of, 0, true)
	if err != nil {
		of.put()
		return 0, err
	}
	return uint64(fd), nil
}

// pidfdOf returns the pidfd open on fd: EBADF for a closed fd or another
// kind of file (pidfd_get_pid).
func (t *Task) pidfdOf(fd int) (*pidfdFile, *OpenFile, error) {
	of, err := t.Files.Get(fd)
	if err != nil {
		return nil, nil, err
	}
	f, ok := of.File.(*pidfdFile)
	if !ok {
		of.put()
		return nil, nil, errno.EBADF
	}
	return f, of, nil
}

// sysPidfdSendSignal is pidfd_send_signal(pidfd, sig, info, flags): kill
// through a pidfd, with an optional siginfo under rt_sigqueueinfo's rules.
func sysPidfdSendSignal(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	sig := int(int32(a[1]))
	if a[3] != 0 {
		return 0, errno.EINVAL
	}
	f, of, err := t.pidfdOf(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	var si SigInfo
	if a[2] != 0 {
		var signo [4]byte
		if err := t.copyInto(signo[:], a[2]); err != nil {
			return 0, err
		}
		if si, err = t.copySiginfoFromUser(sig, a[2]); err != nil {
			return 0, err
		}
		if int32(binary.LittleEndian.Uint32(signo[:])) != int32(sig) {
			return 0, errno.EINVAL
		}
		if f.pid != t.TGID && (si.Code >= 0 || si.Code == SI_TKILL) {
			return 0, errno.EPERM
		}
	} else {
		si = SigInfo{Signo: int32(sig), Code: SI_USER, PID: int32(t.TGID), UID: int32(t.Cred().UID)}
	}
	target := f.task()
	if target == nil {
		return 0, errno.ESRCH
	}
	if sig != 0 && !validSignal(sig) {
		return 0, errno.EINVAL
	}
	if err := t.checkKillPermission(target, sig); err != nil {
		return 0, err
	}
	if sig != 0 && target.ExitState == 0 {
		k.SendSignalInfo(target, si, true)
	}
	return 0, nil
}

// waitidPidfd turns waitid's P_PIDFD into the process it names: its PID,
// and whether the pidfd is non-blocking (then waitid does not sleep:
// EAGAIN). A reaped process, or one that was never a child, is ECHILD
// later, in the wait itself.
func (t *Task) waitidPidfd(fd int) (pid int, nonblock bool, err error) {
	f, of, err := t.pidfdOf(fd)
	if err != nil {
		return 0, false, err
	}
	defer of.put()
	if f.task() == nil {
		return 0, false, errno.ECHILD
	}
	return f.pid, of.Nonblock(), nil
}
