package proc

import (
	"encoding/binary"

	"tamix/errno"
)

func init() {
	syscallTable[SYS_getpid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) { return uint64(t.TGID), nil }
	syscallTable[SYS_gettid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) { return uint64(t.PID), nil }
	syscallTable[SYS_getppid] = sysGetppid
	syscallTable[SYS_uname] = sysUname
	syscallTable[SYS_arch_prctl] = sysArchPrctl
	syscallTable[SYS_set_tid_address] = sysSetTIDAddress
	syscallTable[SYS_getrandom] = sysGetrandom
	syscallTable[SYS_exit] = sysExit
	syscallTable[SYS_exit_group] = sysExitGroup
	syscallTable[SYS_rseq] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) { return 0, errno.ENOSYS }
}

func sysGetppid(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	return uint64(t.GroupLeader.RealParent().TGID), nil
}

// Utsname is what uname(2) reports: the Linux ABI tamix implements.
var Utsname = struct{ Sysname, Nodename, Release, Version, Machine, Domainname string }{
	"Linux", "tamix", "6.1.0-tamix", "#1 SMP tamix", "x86_64", "(none)",
}

func sysUname(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var b [6 * 65]byte
	sys, node, rel, ver, mach, dom := UTS()
	for i, s := range []string{sys, node, rel, ver, mach, dom} {
		copy(b[i*65:i*65+64], s)
	}
	return 0, t.copyOut(a[0], b[:])
}

// arch_prctl codes.
const (
	ARCH_SET_GS = 0x1001
	ARCH_SET_FS = 0x1002
	ARCH_GET_FS = 0x1003
	ARCH_GET_GS = 0x1004
)

func sysArchPrctl(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	switch a[0] {
	case ARCH_SET_FS:
		if a[1] >= 0x800000000000 { // TASK_SIZE_MAX: Linux refuses kernel addresses
			return 0, errno.EPERM
		}
		t.Regs.FSBase = a[1]
		return 0, nil
	case ARCH_GET_FS:
		return 0, t.putUint64(a[1], t.Regs.FSBase)
	case ARCH_SET_GS, ARCH_GET_GS:
		return 0, errno.EINVAL // tamix keeps GS for the kernel's per-CPU area
	}
	return 0, errno.EINVAL
}

func sysSetTIDAddress(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	t.ClearChildTID = a[0]
	return uint64(t.PID), nil
}

// getrandom flags.
const (
	GRND_NONBLOCK = 0x1
	GRND_RANDOM   = 0x2
	GRND_INSECURE = 0x4
)

func sysGetrandom(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	flags := a[2]
	if flags&^(GRND_NONBLOCK|GRND_RANDOM|GRND_INSECURE) != 0 || flags&(GRND_RANDOM|GRND_INSECURE) == GRND_RANDOM|GRND_INSECURE {
		return 0, errno.EINVAL
	}
	n := a[1]
	if n > 0x1ffffff { // Linux caps one call at MAX_RW_COUNT; keep copies bounded
		n = 0x1ffffff
	}
	const chunk = 4096
	var done uint64
	buf := make([]byte, chunk)
	for done < n {
		m := min(n-done, chunk)
		k.Random(buf[:m])
		if err := t.copyOut(a[0]+done, buf[:m]); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		done += m
	}
	return done, nil
}

func sysExit(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	k.DoExit(t, exitStatus(int(a[0])))
	return 0, errJustReturn
}

func sysExitGroup(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	k.DoGroupExit(t, exitStatus(int(a[0])))
	return 0, errJustReturn
}

func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
