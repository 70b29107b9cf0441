package proc

import (
	"tamix/errno"
	"tamix/ipc/sysv"
)

// System call numbers of System V shared memory.
const (
	SYS_shmget = 29
	SYS_shmat  = 30
	SYS_shmctl = 31
	SYS_shmdt  = 67
)

func init() {
	syscallTable[SYS_shmget] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		id, err := k.IPC.Shmget(int32(a[0]), a[1], int(int32(a[2])), ipcCaller(t))
		return uint64(id), err
	}
	syscallTable[SYS_shmat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.IPC.Shmat(int(int32(a[0])), a[1], int(int32(a[2])), ipcCaller(t), t.MM)
	}
	syscallTable[SYS_shmdt] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return 0, k.IPC.Shmdt(a[0], ipcCaller(t), t.MM)
	}
	syscallTable[SYS_shmctl] = sysShmctl
}

// sysShmctl is ksys_shmctl. The *_INFO and SHM_STAT commands return the
// highest index in use or the id; the structures are copied out after the
// object's lock is dropped, so a bad buffer is EFAULT after the fact, as
// on Linux.
func sysShmctl(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	id, cmd, buf := int(int32(a[0])), int(int32(a[1])), a[2]
	if cmd < 0 || id < 0 {
		return 0, errno.EINVAL
	}
	ns, c := k.IPC, ipcCaller(t)
	switch cmd {
	case sysv.IPC_INFO:
		info, idx := ns.ShmIPCInfo()
		return uint64(idx), t.copyOut(buf, info.Marshal())
	case sysv.SHM_INFO:
		info, idx := ns.ShmInfo()
		return uint64(idx), t.copyOut(buf, info.Marshal())
	case sysv.IPC_STAT, sysv.SHM_STAT, sysv.SHM_STAT_ANY:
		ds, ret, err := ns.ShmStat(id, cmd, c)
		if err != nil {
			return 0, err
		}
		return uint64(ret), t.copyOut(buf, ds.Marshal())
	case sysv.IPC_SET:
		b, err := t.copyIn(buf, sysv.SizeofShmidDS)
		if err != nil {
			return 0, err
		}
		ds := sysv.ParseShmidDS(b)
		return 0, ns.ShmCtlDown(id, cmd, &ds, c)
	case sysv.IPC_RMID:
		return 0, ns.ShmCtlDown(id, cmd, nil, c)
	case sysv.SHM_LOCK, sysv.SHM_UNLOCK:
		return 0, ns.ShmLock(id, cmd)
	}
	return 0, errno.EINVAL
}
