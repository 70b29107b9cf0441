package proc

import (
	"encoding/binary"

	"tamix/errno"
)

func init() {
	syscallTable[SYS_waitid] = sysWaitid
}

// sysWaitid is waitid(idtype, id, infop, options, rusage) (kernel/exit.c).
// It returns 0 and fills si_signo, si_errno, si_code, si_pid, si_uid and
// si_status of *infop: SIGCHLD and the child's report, or all zero when
// WNOHANG found nothing. Linux writes those fields on the error paths too
// (zeros), and leaves the rest of the siginfo alone.
func sysWaitid(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	res, found, err := k.kernelWaitid(t, int(uint32(a[0])), int(int32(a[1])), int(uint32(a[3])))
	if err == errBlock {
		return 0, err
	}
	if found && a[4] != 0 {
		if err := t.copyOut(a[4], encodeRusage(res.Utime, res.Stime, res.MinFlt, res.MajFlt, 0, 0)); err != nil {
			return 0, err
		}
	}
	if a[2] == 0 {
		return 0, err
	}
	var b [28]byte
	le := binary.LittleEndian
	if found {
		le.PutUint32(b[0:], SIGCHLD)                // si_signo
		le.PutUint32(b[8:], uint32(res.Code))       // si_code
		le.PutUint32(b[16:], uint32(res.PID))       // si_pid
		le.PutUint32(b[20:], res.UID)               // si_uid; si_errno (4) is 0
		le.PutUint32(b[24:], uint32(res.SigStatus)) // si_status
	}
	if e := t.copyOut(a[2], b[0:12]); e != nil {
		return 0, e
	}
	if e := t.copyOut(a[2]+16, b[16:28]); e != nil {
		return 0, e
	}
	return 0, err
}

// kernelWaitid checks waitid's arguments and waits (kernel_waitid).
func (k *Kernel) kernelWaitid(t *Task, idtype, id, options int) (WaitResult, bool, error) {
	if options&^(WNOHANG|WNOWAIT|WEXITED|WSTOPPED|WCONTINUED|WNOTHREAD|WCLONE|WALL) != 0 {
		return WaitResult{}, false, errno.EINVAL
	}
	if options&(WEXITED|WSTOPPED|WCONTINUED) == 0 {
		return WaitResult{}, false, errno.EINVAL
	}
	var sel waitSel
	switch idtype {
	case P_ALL:
		sel = waitSel{P_ALL, 0}
	case P_PID:
		if id <= 0 {
			return WaitResult{}, false, errno.EINVAL
		}
		sel = waitSel{P_PID, id}
	case P_PGID:
		if id < 0 {
			return WaitResult{}, false, errno.EINVAL
		}
		if id == 0 {
			id = t.Signal.Pgrp
		}
		sel = waitSel{P_PGID, id}
	case P_PIDFD:
		if id < 0 {
			return WaitResult{}, false, errno.EINVAL
		}
		pid, nonblock, err := t.waitidPidfd(id)
		if err != nil {
			return WaitResult{}, false, err
		}
		sel = waitSel{P_PID, pid}
		if nonblock && options&WNOHANG == 0 {
			// A non-blocking pidfd makes the wait WNOHANG, and
			// "nothing yet" EAGAIN.
			res, found, err := k.doWaitSel(t, sel, options|WNOHANG)
			if err == nil && !found {
				err = errno.EAGAIN
			}
			return res, found, err
		}
	default:
		return WaitResult{}, false, errno.EINVAL
	}
	return k.waitOrSleep(t, sel, options)
}
