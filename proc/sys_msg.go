package proc

import (
	"tamix/errno"
	"tamix/ipc/sysv"
)

// System call numbers of System V message queues.
const (
	SYS_msgget = 68
	SYS_msgsnd = 69
	SYS_msgrcv = 70
	SYS_msgctl = 71
)

func init() {
	syscallTable[SYS_msgget] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		id, err := k.IPC.Msgget(int32(a[0]), int(int32(a[1])), ipcCaller(t))
		return uint64(id), err
	}
	syscallTable[SYS_msgsnd] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.msgsnd(t, int(int32(a[0])), a[1], a[2], int(int32(a[3])))
	}
	syscallTable[SYS_msgrcv] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.msgrcv(t, int(int32(a[0])), a[1], a[2], int64(a[3]), int(int32(a[4])))
	}
	syscallTable[SYS_msgctl] = sysMsgctl
}

// msgsnd is ksys_msgsnd: mtype, then the text, are copied in once; a
// sender that finds the queue full sleeps until a receiver makes room
// (ERESTARTNOHAND on a signal) and runs the call again with the message
// it keeps.
func (k *Kernel) msgsnd(t *Task, id int, msgp, msgsz uint64, flg int) (uint64, error) {
	ns := k.IPC
	var m *sysv.Msg
	if t.msgSender == nil {
		mtype, err := t.getUint64(msgp)
		if err != nil {
			return 0, err
		}
		if err := ns.MsgsndCheck(id, int64(mtype), msgsz); err != nil {
			return 0, err
		}
		text, err := t.copyIn(msgp+8, int(msgsz))
		if err != nil {
			return 0, err
		}
		m = &sysv.Msg{Type: int64(mtype), Text: text}
	}
	k.ipcPrepareSleep(t)
	s, err := ns.Msgsnd(id, m, flg, ipcCaller(t), t.msgSender, t.msgSender != nil && k.signalPending(t), k.ipcWake(t))
	t.msgSender = s
	if s != nil {
		return 0, errBlock
	}
	k.ipcCancelSleep(t)
	return 0, err
}

// msgrcv is ksys_msgrcv: it takes a message (or waits for one a sender
// hands over) and stores mtype and at most msgsz bytes of text (do_msg_fill).
// The message is gone from the queue even if the store faults, as on Linux.
func (k *Kernel) msgrcv(t *Task, id int, msgp, msgsz uint64, msgtyp int64, flg int) (uint64, error) {
	ns := k.IPC
	r := t.msgReceiver
	if r == nil {
		if err := sysv.MsgrcvCheck(id, msgsz, flg); err != nil {
			return 0, err
		}
	}
	k.ipcPrepareSleep(t)
	m, r, err := ns.Msgrcv(id, msgsz, msgtyp, flg, ipcCaller(t), r, r != nil && k.signalPending(t), k.ipcWake(t))
	t.msgReceiver = r
	if r != nil {
		return 0, errBlock
	}
	k.ipcCancelSleep(t)
	if err != nil {
		return 0, err
	}
	if err := t.putUint64(msgp, uint64(m.Type)); err != nil {
		return 0, err
	}
	n := min(msgsz, uint64(len(m.Text)))
	if err := t.copyOut(msgp+8, m.Text[:n]); err != nil {
		return 0, err
	}
	return n, nil
}

// sysMsgctl is ksys_msgctl.
func sysMsgctl(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	id, cmd, buf := int(int32(a[0])), int(int32(a[1])), a[2]
	if id < 0 || cmd < 0 {
		return 0, errno.EINVAL
	}
	ns, c := k.IPC, ipcCaller(t)
	switch cmd {
	case sysv.IPC_INFO, sysv.MSG_INFO:
		info, idx := ns.MsgCtlInfo(cmd)
		return uint64(idx), t.copyOut(buf, info.Marshal())
	case sysv.IPC_STAT, sysv.MSG_STAT, sysv.MSG_STAT_ANY:
		ds, ret, err := ns.MsgCtlStat(id, cmd, c)
		if err != nil {
			return 0, err
		}
		return uint64(ret), t.copyOut(buf, ds.Marshal())
	case sysv.IPC_SET:
		b, err := t.copyIn(buf, sysv.SizeofMsqidDS)
		if err != nil {
			return 0, err
		}
		ds := sysv.ParseMsqidDS(b)
		return 0, ns.MsgCtlDown(id, cmd, &ds, c)
	case sysv.IPC_RMID:
		return 0, ns.MsgCtlDown(id, cmd, nil, c)
	}
	return 0, errno.EINVAL
}
