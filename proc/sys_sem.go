package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/ipc/sysv"
)

// System call numbers of System V semaphores.
const (
	SYS_semget     = 64
	SYS_semop      = 65
	SYS_semctl     = 66
	SYS_semtimedop = 220
)

func init() {
	syscallTable[SYS_semget] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		id, err := k.IPC.Semget(int32(a[0]), int(int32(a[1])), int(int32(a[2])), ipcCaller(t))
		return uint64(id), err
	}
	syscallTable[SYS_semop] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.semtimedop(t, int(int32(a[0])), a[1], uint32(a[2]), 0)
	}
	syscallTable[SYS_semtimedop] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.semtimedop(t, int(int32(a[0])), a[1], uint32(a[2]), a[3])
	}
	syscallTable[SYS_semctl] = sysSemctl
}

// semtimedop is ksys_semtimedop. An operation that must wait is queued on
// the set and the task sleeps; whoever makes it possible performs it for
// the sleeper. When the task runs the call again it collects the result,
// or leaves the queue on a timeout (EAGAIN) or a signal (EINTR: semop is
// never restarted).
func (k *Kernel) semtimedop(t *Task, semid int, tsops uint64, nsops uint32, timeout uint64) (uint64, error) {
	rb := &t.restart
	if q := t.semQueue; q != nil {
		k.ipcPrepareSleep(t)
		done, err := k.IPC.SemopWait(q, rb.armed && k.Clock() >= rb.deadline, k.signalPending(t))
		if !done {
			if rb.armed {
				k.timers.add(rb.deadline, t)
			}
			return 0, errBlock // a spurious wake-up: sleep on
		}
		k.ipcCancelSleep(t)
		t.semQueue = nil
		return 0, err
	}

	var ts []byte
	if timeout != 0 {
		var err error
		if ts, err = t.copyIn(timeout, 16); err != nil {
			return 0, err
		}
	}
	if nsops > uint32(k.IPC.SemOPM) {
		return 0, errno.E2BIG
	}
	if nsops < 1 {
		return 0, errno.EINVAL
	}
	b, err := t.copyIn(tsops, int(nsops)*sysv.SizeofSembuf)
	if err != nil {
		return 0, err
	}
	sops := sysv.ParseSembufs(b)
	if semid < 0 {
		return 0, errno.EINVAL
	}
	if ts != nil {
		sec := int64(binary.LittleEndian.Uint64(ts))
		nsec := int64(binary.LittleEndian.Uint64(ts[8:]))
		if sec < 0 || nsec < 0 || nsec >= 1e9 {
			return 0, errno.EINVAL // timespec64_valid
		}
		d := int64(1<<63 - 1)
		if sec < d/1e9-1 {
			d = sec*1e9 + nsec
		}
		rb.deadline, rb.armed = k.Clock()+d, true
		if rb.deadline < 0 {
			rb.deadline = 1<<63 - 1 // ktime_add_safe
		}
	}

	k.ipcPrepareSleep(t)
	q, err := k.IPC.Semtimedop(semid, sops, &t.sysvsem, ipcCaller(t), k.ipcWake(t))
	if q == nil {
		k.ipcCancelSleep(t)
		return 0, err
	}
	t.semQueue = q
	if rb.armed {
		k.timers.add(rb.deadline, t)
	}
	return 0, errBlock
}

// sysSemctl is ksys_semctl. arg is the union semun, passed by value: an
// int for SETVAL, a pointer otherwise.
func sysSemctl(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	id, semnum, cmd, arg := int(int32(a[0])), int(int32(a[1])), int(int32(a[2])), a[3]
	if id < 0 {
		return 0, errno.EINVAL
	}
	ns, c := k.IPC, ipcCaller(t)
	switch cmd {
	case sysv.IPC_INFO, sysv.SEM_INFO:
		info, idx := ns.SemCtlInfo(cmd)
		return uint64(idx), t.copyOut(arg, info.Marshal())
	case sysv.IPC_STAT, sysv.SEM_STAT, sysv.SEM_STAT_ANY:
		ds, ret, err := ns.SemCtlStat(id, cmd, c)
		if err != nil {
			return 0, err
		}
		return uint64(ret), t.copyOut(arg, ds.Marshal())
	case sysv.GETALL:
		vals, err := ns.SemGetAll(id, c)
		if err != nil {
			return 0, err
		}
		out := make([]byte, 2*len(vals))
		for i, v := range vals {
			binary.LittleEndian.PutUint16(out[2*i:], v)
		}
		return 0, t.copyOut(arg, out)
	case sysv.SETALL:
		n, err := ns.SemNsems(id, true, c)
		if err != nil {
			return 0, err
		}
		b, err := t.copyIn(arg, 2*n)
		if err != nil {
			return 0, err
		}
		vals := make([]uint16, n)
		for i := range vals {
			vals[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		return 0, ns.SemSetAll(id, vals, c)
	case sysv.GETVAL, sysv.GETPID, sysv.GETNCNT, sysv.GETZCNT:
		v, err := ns.SemGet(id, semnum, cmd, c)
		return uint64(v), err
	case sysv.SETVAL:
		return 0, ns.SemSetVal(id, semnum, int(int32(arg)), c)
	case sysv.IPC_SET:
		b, err := t.copyIn(arg, sysv.SizeofSemidDS)
		if err != nil {
			return 0, err
		}
		ds := sysv.ParseSemidDS(b)
		return 0, ns.SemCtlDown(id, cmd, &ds, c)
	case sysv.IPC_RMID:
		return 0, ns.SemCtlDown(id, cmd, nil, c)
	}
	return 0, errno.EINVAL
}
