package proc

import (
	"tamix/errno"
	"tamix/mm"
)

// prctl options (include/uapi/linux/prctl.h) tamix implements.
const (
	PR_SET_PDEATHSIG       = 1
	PR_GET_PDEATHSIG       = 2
	PR_GET_DUMPABLE        = 3
	PR_SET_DUMPABLE        = 4
	PR_SET_NAME            = 15
	PR_GET_NAME            = 16
	PR_SET_CHILD_SUBREAPER = 36
	PR_GET_CHILD_SUBREAPER = 37
	PR_SET_NO_NEW_PRIVS    = 38
	PR_GET_NO_NEW_PRIVS    = 39
)

func init() {
	syscallTable[SYS_prctl] = sysPrctl
}

// sysPrctl is prctl(option, arg2, arg3, arg4, arg5) (kernel/sys.c). Options
// tamix does not implement are EINVAL, as Linux answers unknown ones.
func sysPrctl(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	arg2 := a[1]
	switch int(int32(a[0])) {
	case PR_SET_PDEATHSIG:
		if arg2 > NSIG { // valid_signal; 0 clears it
			return 0, errno.EINVAL
		}
		t.pdeathSignal.Store(int32(arg2))
		return 0, nil
	case PR_GET_PDEATHSIG:
		return 0, t.putInt32(arg2, t.pdeathSignal.Load())
	case PR_GET_DUMPABLE:
		return uint64(t.Signal.dumpable.Load()), nil
	case PR_SET_DUMPABLE:
		if arg2 != SUID_DUMP_DISABLE && arg2 != SUID_DUMP_USER {
			return 0, errno.EINVAL
		}
		t.Signal.dumpable.Store(int32(arg2))
		return 0, nil
	case PR_SET_NAME:
		// strncpy_from_user of at most TASK_COMM_LEN-1 bytes.
		name, err := t.MM.CopyInString(arg2, TASK_COMM_LEN-1)
		if err == mm.ErrStringTooLong {
			var b [TASK_COMM_LEN - 1]byte
			err = t.copyInto(b[:], arg2)
			name = string(b[:])
		}
		if err != nil {
			return 0, errno.EFAULT
		}
		t.SetComm(name)
		return 0, nil
	case PR_GET_NAME:
		// The whole comm, NUL padded.
		return 0, t.copyOut(arg2, t.comm[:])
	case PR_SET_CHILD_SUBREAPER:
		t.Signal.isChildSubreaper.Store(arg2 != 0)
		return 0, nil
	case PR_GET_CHILD_SUBREAPER:
		v := int32(0)
		if t.Signal.isChildSubreaper.Load() {
			v = 1
		}
		return 0, t.putInt32(arg2, v)
	case PR_SET_NO_NEW_PRIVS:
		if arg2 != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
			return 0, errno.EINVAL
		}
		t.noNewPrivs = true
		return 0, nil
	case PR_GET_NO_NEW_PRIVS:
		if arg2 != 0 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
			return 0, errno.EINVAL
		}
		if t.noNewPrivs {
			return 1, nil
		}
		return 0, nil
	}
	return 0, errno.EINVAL
}
