package proc

import (
	"encoding/binary"

	"tamix/errno"
)

// System call numbers of this file.
const (
	SYS_rt_sigqueueinfo   = 129
	SYS_rt_tgsigqueueinfo = 297
)

func init() {
	syscallTable[SYS_rt_sigqueueinfo] = sysRtSigqueueinfo
	syscallTable[SYS_rt_tgsigqueueinfo] = sysRtTgsigqueueinfo
}

// copySiginfoFromUser is __copy_siginfo_from_user: the 128 bytes of the
// user's siginfo, with si_signo replaced by sig.
func (t *Task) copySiginfoFromUser(sig int, va uint64) (SigInfo, error) {
	raw := new([128]byte)
	if err := t.copyInto(raw[:], va); err != nil {
		return SigInfo{}, err
	}
	le := binary.LittleEndian
	le.PutUint32(raw[0:], uint32(sig))
	return SigInfo{
		Signo: int32(sig),
		Errno: int32(le.Uint32(raw[4:])),
		Code:  int32(le.Uint32(raw[8:])),
		PID:   int32(le.Uint32(raw[16:])),
		UID:   int32(le.Uint32(raw[20:])),
		Raw:   raw,
	}, nil
}

// queueNotAllowed is do_rt_sigqueueinfo's rule: not even root may pretend
// to be the kernel (si_code >= 0) or kill/tgkill (SI_TKILL), except when
// sending to itself (the caller's thread ID).
func queueNotAllowed(t *Task, si *SigInfo, pid int) bool {
	return (si.Code >= 0 || si.Code == SI_TKILL) && pid != t.PID
}

// sysRtSigqueueinfo is rt_sigqueueinfo(pid, sig, uinfo): a signal with the
// caller's siginfo to the process holding thread pid (kill_proc_info).
// Real-time signals queue each instance with its siginfo (SigPending.add).
func sysRtSigqueueinfo(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	pid, sig := int(int32(a[0])), int(int32(a[1]))
	si, err := t.copySiginfoFromUser(sig, a[2])
	if err != nil {
		return 0, err
	}
	if queueNotAllowed(t, &si, pid) {
		return 0, errno.EPERM
	}
	var target *Task
	if pid > 0 {
		target = k.FindTask(pid)
	}
	if target == nil || target.ExitState != 0 && target.ExitState != EXIT_ZOMBIE || target.IsKernelThread() {
		return 0, errno.ESRCH
	}
	if !validSignal(sig) && sig != 0 {
		return 0, errno.EINVAL
	}
	if err := t.checkKillPermission(target, sig); err != nil {
		return 0, err
	}
	if sig == 0 || target.ExitState == EXIT_ZOMBIE {
		return 0, nil
	}
	k.SendSignalInfo(target.GroupLeader, si, true)
	return 0, nil
}

// sysRtTgsigqueueinfo is rt_tgsigqueueinfo(tgid, tid, sig, uinfo): the
// same for one thread (do_send_specific).
func sysRtTgsigqueueinfo(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	tgid, tid, sig := int(int32(a[0])), int(int32(a[1])), int(int32(a[2]))
	si, err := t.copySiginfoFromUser(sig, a[3])
	if err != nil {
		return 0, err
	}
	if tid <= 0 || tgid <= 0 {
		return 0, errno.EINVAL
	}
	if queueNotAllowed(t, &si, tid) {
		return 0, errno.EPERM
	}
	target := k.FindTask(tid)
	if target == nil || target.TGID != tgid || target.ExitState != 0 || target.IsKernelThread() {
		return 0, errno.ESRCH
	}
	if !validSignal(sig) && sig != 0 {
		return 0, errno.EINVAL
	}
	if err := t.checkKillPermission(target, sig); err != nil {
		return 0, err
	}
	if sig != 0 {
		k.SendSignalInfo(target, si, false)
	}
	return 0, nil
}
