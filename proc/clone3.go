package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/fs"
)

// clone3 (kernel/fork.c): kernel_clone's arguments in a structure, which
// also carries what clone's registers cannot: a separate exit signal, the
// stack as base and size, a pidfd pointer, and a chosen PID (set_tid).

const SYS_clone3 = 435

// clone3-only flags.
const (
	CLONE_CLEAR_SIGHAND = 0x100000000 // reset the child's handlers to SIG_DFL
	CLONE_INTO_CGROUP   = 0x200000000 // tamix has no cgroups: EINVAL
)

// struct clone_args sizes: VER0 ends at tls, VER1 adds set_tid and
// set_tid_size, VER2 cgroup.
const (
	cloneArgsSizeVer0 = 64
	cloneArgsSizeVer2 = 88
)

func init() {
	syscallTable[SYS_clone3] = sysClone3
}

// cloneArgs3 is struct clone_args as user space lays it out.
type cloneArgs3 struct {
	flags, pidfd, childTID, parentTID, exitSignal uint64
	stack, stackSize, tls, setTID, setTIDSize     uint64
	cgroup                                        uint64
}

// copyCloneArgs is copy_clone_args_from_user: sizes below VER0 are EINVAL,
// above a page E2BIG, and bytes past the structure tamix knows must be
// zero (E2BIG), so that newer programs fail cleanly.
func (t *Task) copyCloneArgs(va, size uint64) (cloneArgs3, error) {
	var c cloneArgs3
	if size < cloneArgsSizeVer0 {
		return c, errno.EINVAL
	}
	if size > 4096 {
		return c, errno.E2BIG
	}
	b, err := t.copyIn(va, int(size))
	if err != nil {
		return c, err
	}
	for _, x := range b[min(size, cloneArgsSizeVer2):] {
		if x != 0 {
			return c, errno.E2BIG
		}
	}
	var w [11]uint64
	for i := range w {
		if 8*i+8 <= len(b) {
			w[i] = binary.LittleEndian.Uint64(b[8*i:])
		}
	}
	c = cloneArgs3{w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10]}
	switch {
	case c.setTIDSize > 1: // one PID per namespace level, and tamix has one
		return c, errno.EINVAL
	case c.setTID == 0 && c.setTIDSize > 0, c.setTID != 0 && c.setTIDSize == 0:
		return c, errno.EINVAL
	case c.exitSignal&^CSIGNAL != 0 || !validSignal(int(c.exitSignal)) && c.exitSignal != 0:
		return c, errno.EINVAL
	case c.flags&CLONE_INTO_CGROUP != 0 && (c.cgroup > 1<<31-1 || size < cloneArgsSizeVer2):
		return c, errno.EINVAL
	}
	return c, nil
}

// clone3ArgsValid is clone3_args_valid: only known flags, no exit signal
// in the flags, CLONE_DETACHED gone, no exit signal for a thread or a
// sibling, and a stack given as base and size together.
func (c *cloneArgs3) valid() bool {
	switch {
	case c.flags&^(0xffffffff|CLONE_CLEAR_SIGHAND|CLONE_INTO_CGROUP) != 0:
		return false
	case c.flags&(CSIGNAL|CLONE_DETACHED) != 0:
		return false
	case c.flags&(CLONE_SIGHAND|CLONE_CLEAR_SIGHAND) == CLONE_SIGHAND|CLONE_CLEAR_SIGHAND:
		return false
	case c.flags&(CLONE_THREAD|CLONE_PARENT) != 0 && c.exitSignal != 0:
		return false
	case (c.stack == 0) != (c.stackSize == 0):
		return false
	}
	return true
}

// sysClone3 is clone3(uargs, size).
func sysClone3(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	c, err := t.copyCloneArgs(a[0], a[1])
	if err != nil {
		return 0, err
	}
	if !c.valid() {
		return 0, errno.EINVAL
	}
	if c.flags&CLONE_INTO_CGROUP != 0 {
		return 0, errno.EBADF // no cgroup directory can be open: tamix has no cgroupfs
	}
	args := CloneArgs{Flags: c.flags, ExitSignal: int(c.exitSignal), ParentTID: c.parentTID,
		ChildTID: c.childTID, TLS: c.tls, PidFD: c.pidfd}
	if c.stack != 0 {
		args.Stack = c.stack + c.stackSize // x86 stacks grow down
	}
	if c.setTID != 0 {
		var b [4]byte
		if err := t.copyInto(b[:], c.setTID); err != nil {
			return 0, err
		}
		args.SetTID = int(int32(binary.LittleEndian.Uint32(b[:])))
		if args.SetTID < 1 {
			return 0, errno.EINVAL // alloc_pid: tid < 1
		}
	}
	return k.sysClone(t, args)
}

// clonePidfd is the CLONE_PIDFD half of copy_process: a pidfd for the new
// process, close-on-exec in the parent's table, its number stored at
// args.PidFD.
func (k *Kernel) clonePidfd(parent, child *Task, va uint64) error {
	of := NewOpenFile(&pidfdFile{k: k, pid: child.TGID, signal: child.Signal}, fs.O_RDWR)
	fd, err := parent.Files.Install(of, 0, true)
	if err != nil {
		of.put()
		return err
	}
	if err := parent.putInt32(va, int32(fd)); err != nil {
		parent.Files.Close(fd)
		return err
	}
	return nil
}

// checkPidfdFlags are kernel_clone's and copy_process's rules for
// CLONE_PIDFD: not with threads or CLONE_DETACHED, and (old clone, where
// both share one argument) not with CLONE_PARENT_SETTID at the same address.
func checkPidfdFlags(args *CloneArgs) error {
	if args.Flags&CLONE_PIDFD == 0 {
		return nil
	}
	if args.Flags&(CLONE_DETACHED|CLONE_THREAD) != 0 {
		return errno.EINVAL
	}
	if args.Flags&CLONE_PARENT_SETTID != 0 && args.PidFD == args.ParentTID {
		return errno.EINVAL
	}
	return nil
}
