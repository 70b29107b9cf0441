package proc

import (
	"sync/atomic"

	"tamix/errno"
)

// Process groups and sessions (signal_struct's pgrp and session, as
// kernel/sys.c keeps them): the tty sends ^C to its foreground group, and
// kill and wait4 take negative IDs for groups.

func init() {
	syscallTable[SYS_setpgid] = sysSetpgid
	syscallTable[SYS_getpgid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		p, err := k.pidTarget(t, a[0])
		if err != nil {
			return 0, err
		}
		return uint64(p.Signal.Pgrp), nil
	}
	syscallTable[SYS_getpgrp] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) { return uint64(t.Signal.Pgrp), nil }
	syscallTable[SYS_getsid] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		p, err := k.pidTarget(t, a[0])
		if err != nil {
			return 0, err
		}
		return uint64(p.Signal.Session), nil
	}
	syscallTable[SYS_setsid] = sysSetsid
}

// pidTarget finds the process a pid argument names (0: the caller).
func (k *Kernel) pidTarget(t *Task, pid uint64) (*Task, error) {
	id := int(int32(pid))
	if id == 0 {
		return t.GroupLeader, nil
	}
	if id < 0 {
		return nil, errno.ESRCH
	}
	p := k.FindTask(id)
	if p == nil || p.ExitState == EXIT_DEAD {
		return nil, errno.ESRCH
	}
	return p.GroupLeader, nil
}

// groupExists reports whether a process in session sid has group pgid.
func (k *Kernel) groupExists(pgid, sid int) bool {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	for _, p := range k.pids.tasks {
		if p.Signal.Pgrp == pgid && p.Signal.Session == sid && p.ExitState == 0 {
			return true
		}
	}
	return false
}

// sysSetpgid follows kernel/sys.c's setpgid rules and errors.
func sysSetpgid(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	pid, pgid := int(int32(a[0])), int(int32(a[1]))
	if pgid < 0 {
		return 0, errno.EINVAL
	}
	me := t.GroupLeader
	p := me
	if pid != 0 {
		p = k.FindTask(pid)
		if p == nil || !p.ThreadGroupLeader() {
			return 0, errno.ESRCH
		}
	}
	if pgid == 0 {
		pgid = p.PID
	}
	if p != me {
		if p.RealParent() != me {
			return 0, errno.ESRCH // neither the caller nor its child
		}
		if p.Signal.Session != me.Signal.Session {
			return 0, errno.EPERM
		}
		if p.Flags&PF_FORKNOEXEC == 0 {
			return 0, errno.EACCES // the child has exec'd
		}
	}
	if p.Signal.Leader {
		return 0, errno.EPERM // a session leader's group cannot change
	}
	if pgid != p.PID && !k.groupExists(pgid, me.Signal.Session) {
		return 0, errno.EPERM
	}
	p.Signal.Pgrp = pgid
	return 0, nil
}

func sysSetsid(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	me := t.GroupLeader
	if me.Signal.Pgrp == me.PID || k.groupExists(me.PID, me.Signal.Session) && me.Signal.Pgrp != me.PID {
		return 0, errno.EPERM // already a group leader, or its PID names a group
	}
	me.Signal.Session, me.Signal.Pgrp, me.Signal.Leader = me.PID, me.PID, true
	return uint64(me.PID), nil
}

// KillPgrp sends sig to every process of group pgid on the kernel's behalf
// (the console's ^C, the shell's fg); ESRCH if the group is empty.
func (k *Kernel) KillPgrp(pgid int, si SigInfo) error { return k.killPgrpInfo(nil, pgid, si) }

// killPgrpInfo is __kill_pgrp_info: it signals every process of group pgid
// that sender (nil: the kernel) may signal, and succeeds if any signal went;
// otherwise it returns the last error (EPERM), or ESRCH for an empty group.
func (k *Kernel) killPgrpInfo(sender *Task, pgid int, si SigInfo) error {
	var targets []*Task
	k.tasklistLock.Lock()
	for _, p := range k.pids.tasks {
		if p.ThreadGroupLeader() && p.Signal.Pgrp == pgid && p.ExitState == 0 && !p.IsKernelThread() {
			targets = append(targets, p)
		}
	}
	k.tasklistLock.Unlock()
	if len(targets) == 0 {
		return errno.ESRCH
	}
	var err error
	success := false
	for _, p := range targets {
		if sender != nil {
			if err = sender.checkKillPermission(p, int(si.Signo)); err != nil {
				continue
			}
		}
		success = true
		if si.Signo != 0 {
			k.SendSignalInfo(p, si, true)
		}
	}
	if success {
		return nil
	}
	return err
}

// ConsolePgrp is the console's foreground process group (tcgetpgrp).
var consolePgrp atomic.Int64

// ForegroundPgrp returns the console's foreground process group.
func (k *Kernel) ForegroundPgrp() int { return int(consolePgrp.Load()) }

// SetForegroundPgrp sets it (tcsetpgrp).
func (k *Kernel) SetForegroundPgrp(pgid int) { consolePgrp.Store(int64(pgid)) }
