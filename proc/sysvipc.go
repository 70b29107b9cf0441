package proc

import (
	"tamix/ipc/sysv"
)

// sysvTask is a task's System V IPC state: its semaphore undo list
// (task->sysvsem) and the operation it sleeps in, if any, which the
// system call finds again when it runs after the wake-up.
type sysvTask struct {
	sysvsem     sysv.SysvSem
	semQueue    *sysv.SemQueue
	msgSender   *sysv.MsgSender
	msgReceiver *sysv.MsgReceiver
}

// ipcCaller is who calls: the process (tgid) and its credentials (every
// tamix process runs as root).
func ipcCaller(t *Task) sysv.Caller {
	c := t.Cred()
	return sysv.Caller{PID: t.TGID, TID: t.PID, UID: c.EUID, GID: c.EGID, InGroup: c.InGroup,
		CapIPCOwner: c.Capable(CAP_IPC_OWNER), CapSysAdmin: c.Capable(CAP_SYS_ADMIN), CapSysResource: c.Capable(CAP_SYS_RESOURCE)}
}

// ipcWake returns the function that wakes t from an IPC sleep.
func (k *Kernel) ipcWake(t *Task) func() bool {
	if t.waiter.Wake == nil {
		t.waiter.Wake = func() bool { return k.WakeUp(t) }
	}
	return t.waiter.Wake
}

// ipcPrepareSleep marks t sleeping before an IPC operation that may queue
// it, as Linux sets TASK_INTERRUPTIBLE before it drops the object's lock:
// a wake-up that comes right after the operation was queued then finds
// the task asleep and is not lost. ipcCancelSleep undoes it when the
// operation did not queue.
func (k *Kernel) ipcPrepareSleep(t *Task) { t.SetState(TASK_INTERRUPTIBLE) }

func (k *Kernel) ipcCancelSleep(t *Task) {
	t.piLock.Lock()
	t.SetState(TASK_RUNNING)
	t.piLock.Unlock()
}

// copySysvsem is copy_semundo for a new task.
func (k *Kernel) copySysvsem(parent, child *Task, flags uint64) {
	k.IPC.CopySemundo(&parent.sysvsem, &child.sysvsem, flags&CLONE_SYSVSEM != 0)
}

// exitSysvIPC is exit_sem for a dying task: an operation it still sleeps
// in leaves its queue, and the last task of the undo list applies the
// adjustments. Its shared memory attaches went with its mm (exit_shm).
func (k *Kernel) exitSysvIPC(t *Task) {
	if q := t.semQueue; q != nil {
		k.IPC.SemopCancel(q)
		t.semQueue = nil
	}
	if t.msgSender != nil || t.msgReceiver != nil {
		k.IPC.MsgCancel(t.msgSender, t.msgReceiver)
		t.msgSender, t.msgReceiver = nil, nil
	}
	k.IPC.ExitSem(&t.sysvsem, t.TGID)
}
