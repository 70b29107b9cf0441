package proc

import (
	"encoding/binary"

	"tamix/errno"
)

// System call numbers of this file (kernel/sys.c, kernel/groups.c,
// kernel/capability.c).
const (
	SYS_setreuid  = 113
	SYS_setregid  = 114
	SYS_getgroups = 115
	SYS_setgroups = 116
	SYS_setresuid = 117
	SYS_getresuid = 118
	SYS_setresgid = 119
	SYS_getresgid = 120
	SYS_setfsuid  = 122
	SYS_setfsgid  = 123
	SYS_capget    = 125
	SYS_capset    = 126
)

func init() {
	syscallTable[SYS_getuid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) { return uint64(t.Cred().UID), nil }
	syscallTable[SYS_geteuid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) { return uint64(t.Cred().EUID), nil }
	syscallTable[SYS_getgid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) { return uint64(t.Cred().GID), nil }
	syscallTable[SYS_getegid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) { return uint64(t.Cred().EGID), nil }
	syscallTable[SYS_setuid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.changeCred(t)(t.Cred().setuid(uint32(a[0])))
	}
	syscallTable[SYS_setgid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.changeCred(t)(t.Cred().setgid(uint32(a[0])))
	}
	syscallTable[SYS_setreuid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.changeCred(t)(t.Cred().setreuid(uint32(a[0]), uint32(a[1])))
	}
	syscallTable[SYS_setregid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.changeCred(t)(t.Cred().setregid(uint32(a[0]), uint32(a[1])))
	}
	syscallTable[SYS_setresuid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.changeCred(t)(t.Cred().setresuid(uint32(a[0]), uint32(a[1]), uint32(a[2])))
	}
	syscallTable[SYS_setresgid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.changeCred(t)(t.Cred().setresgid(uint32(a[0]), uint32(a[1]), uint32(a[2])))
	}
	syscallTable[SYS_getresuid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		c := t.Cred()
		return 0, t.putIDs(a, c.UID, c.EUID, c.SUID)
	}
	syscallTable[SYS_getresgid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		c := t.Cred()
		return 0, t.putIDs(a, c.GID, c.EGID, c.SGID)
	}
	syscallTable[SYS_setfsuid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		prev, c := t.Cred().setfsuid(uint32(a[0]))
		if c != nil {
			t.commitCreds(c)
		}
		return uint64(prev), nil
	}
	syscallTable[SYS_setfsgid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		prev, c := t.Cred().setfsgid(uint32(a[0]))
		if c != nil {
			t.commitCreds(c)
		}
		return uint64(prev), nil
	}
	syscallTable[SYS_getgroups] = sysGetgroups
	syscallTable[SYS_setgroups] = sysSetgroups
	syscallTable[SYS_capget] = sysCapget
	syscallTable[SYS_capset] = sysCapset
}

// changeCred returns what commits the credentials a set*id computed, or
// returns its error: k.changeCred(t)(old.setuid(uid)). A new real user ID
// is checked against RLIMIT_NPROC (set_user).
func (k *Kernel) changeCred(t *Task) func(*Cred, error) (uint64, error) {
	return func(c *Cred, err error) (uint64, error) {
		if err != nil {
			return 0, err
		}
		old := t.Cred()
		t.commitCreds(c)
		if c.UID != old.UID {
			k.flagNprocExceeded(t)
		}
		return 0, nil
	}
}

// putIDs stores three IDs at the pointers a[0..2] (getresuid): each one in
// turn, stopping at the first fault as put_user does.
func (t *Task) putIDs(a *sysArgs, ids ...uint32) error {
	for i, id := range ids {
		if err := t.putInt32(a[i], int32(id)); err != nil {
			return err
		}
	}
	return nil
}

func sysGetgroups(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	size := int32(a[0])
	if size < 0 {
		return 0, errno.EINVAL
	}
	groups := t.Cred().Groups
	if size == 0 {
		return uint64(len(groups)), nil
	}
	if len(groups) > int(size) {
		return 0, errno.EINVAL
	}
	b := make([]byte, 4*len(groups))
	for i, g := range groups {
		binary.LittleEndian.PutUint32(b[4*i:], g)
	}
	if err := t.copyOut(a[1], b); err != nil {
		return 0, err
	}
	return uint64(len(groups)), nil
}

func sysSetgroups(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	old := t.Cred()
	if !old.Capable(CAP_SETGID) {
		return 0, errno.EPERM
	}
	size := uint32(a[0])
	if size > NGROUPS_MAX {
		return 0, errno.EINVAL
	}
	b := make([]byte, 4*size)
	if err := t.copyInto(b, a[1]); err != nil {
		return 0, errno.EFAULT
	}
	groups := make([]uint32, size)
	for i := range groups {
		groups[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return k.changeCred(t)(old.setgroups(groups))
}

// Capability ABI versions (struct __user_cap_header_struct.version).
const (
	_LINUX_CAPABILITY_VERSION_1 = 0x19980330 // one 32-bit word per set
	_LINUX_CAPABILITY_VERSION_2 = 0x20071026 // two words (deprecated)
	_LINUX_CAPABILITY_VERSION_3 = 0x20080522 // two words
)

// capValidateMagic reads the header's version and returns how many
// __user_cap_data_struct words follow it (cap_validate_magic). An unknown
// version is answered with the kernel's own, written back, and EINVAL.
func (t *Task) capValidateMagic(header uint64) (int, error) {
	var b [4]byte
	if err := t.copyInto(b[:], header); err != nil {
		return 0, errno.EFAULT
	}
	switch binary.LittleEndian.Uint32(b[:]) {
	case _LINUX_CAPABILITY_VERSION_1:
		return 1, nil
	case _LINUX_CAPABILITY_VERSION_2, _LINUX_CAPABILITY_VERSION_3:
		return 2, nil
	}
	if err := t.putInt32(header, _LINUX_CAPABILITY_VERSION_3); err != nil {
		return 0, errno.EFAULT
	}
	return 0, errno.EINVAL
}

// capHeaderPID reads header->pid.
func (t *Task) capHeaderPID(header uint64) (int32, error) {
	var b [4]byte
	if err := t.copyInto(b[:], header+4); err != nil {
		return 0, errno.EFAULT
	}
	return int32(binary.LittleEndian.Uint32(b[:])), nil
}

// sysCapget is capget(header, data): a NULL data pointer only probes the
// version (0 even for an unknown one, which is written back).
func sysCapget(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	words, err := t.capValidateMagic(a[0])
	if a[1] == 0 || err != nil {
		if a[1] == 0 && err == errno.EINVAL {
			return 0, nil
		}
		return 0, err
	}
	pid, err := t.capHeaderPID(a[0])
	if err != nil {
		return 0, err
	}
	if pid < 0 {
		return 0, errno.EINVAL
	}
	target := t
	if pid != 0 && int(pid) != t.PID {
		if target = k.FindTask(int(pid)); target == nil || target.IsKernelThread() {
			return 0, errno.ESRCH
		}
	}
	c := target.Cred()
	b := make([]byte, 12*words)
	for i := 0; i < words; i++ {
		shift := 32 * i
		binary.LittleEndian.PutUint32(b[12*i:], uint32(c.CapEffective>>shift))
		binary.LittleEndian.PutUint32(b[12*i+4:], uint32(c.CapPermitted>>shift))
		binary.LittleEndian.PutUint32(b[12*i+8:], uint32(c.CapInheritable>>shift))
	}
	return 0, t.copyOut(a[1], b)
}

// sysCapset is capset(header, data): only the caller's own sets change.
func sysCapset(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	words, err := t.capValidateMagic(a[0])
	if err != nil {
		return 0, err
	}
	pid, err := t.capHeaderPID(a[0])
	if err != nil {
		return 0, err
	}
	if pid != 0 && int(pid) != t.PID {
		return 0, errno.EPERM
	}
	b := make([]byte, 12*words)
	if err := t.copyInto(b, a[1]); err != nil {
		return 0, errno.EFAULT
	}
	var eff, perm, inh KernelCap
	for i := 0; i < words; i++ {
		shift := 32 * i
		eff |= KernelCap(binary.LittleEndian.Uint32(b[12*i:])) << shift
		perm |= KernelCap(binary.LittleEndian.Uint32(b[12*i+4:])) << shift
		inh |= KernelCap(binary.LittleEndian.Uint32(b[12*i+8:])) << shift
	}
	// Bits past CAP_LAST_CAP are dropped (cap_capset masks with CAP_VALID_MASK via
	// the bounding set and the permitted set, which never hold them).
	return k.changeCred(t)(t.Cred().capset(eff&CAP_FULL_SET, inh&CAP_FULL_SET, perm&CAP_FULL_SET))
}
