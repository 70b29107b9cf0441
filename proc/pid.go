package proc

import (
	"sort"

	"tamix/errno"
)

// PIDMax is Linux's default /proc/sys/kernel/pid_max.
const PIDMax = 32768

// pidTable allocates PIDs as alloc_pid does: cyclically upwards from the last
// one handed out, wrapping to 300 (RESERVED_PIDS) past pid_max.
type pidTable struct {
	tasks map[int]*Task
	last  int
	max   int // pid_max: PIDs are below it (/proc/sys/kernel/pid_max)
}

const reservedPIDs = 300

func (p *pidTable) init() { p.tasks, p.max = map[int]*Task{}, PIDMax }

func (p *pidTable) alloc(t *Task) (int, bool) {
	for tries := 0; tries < p.max; tries++ {
		pid := p.last + 1
		if pid >= p.max {
			pid = reservedPIDs
		}
		p.last = pid
		if _, used := p.tasks[pid]; !used {
			p.tasks[pid] = t
			return pid, true
		}
	}
	return 0, false
}

func (p *pidTable) free(pid int) { delete(p.tasks, pid) }

func (p *pidTable) find(pid int) *Task { return p.tasks[pid] }

func (p *pidTable) all() []*Task {
	out := make([]*Task, 0, len(p.tasks))
	for _, t := range p.tasks {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PID < out[j].PID })
	return out
}

// allocPid gives c a PID (alloc_pid): the next free one, or the one
// clone3's set_tid asks for, which must be in range (EINVAL), needs
// CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE (EPERM) and must be free
// (EEXIST). Out of PIDs is EAGAIN. tasklistLock is held.
func (k *Kernel) allocPid(parent, c *Task, setTID int) (int, error) {
	if setTID == 0 {
		pid, ok := k.pids.alloc(c)
		if !ok {
			return 0, errno.EAGAIN
		}
		return pid, nil
	}
	if setTID < 1 || setTID >= k.pids.max {
		return 0, errno.EINVAL
	}
	if cr := parent.Cred(); !cr.Capable(CAP_SYS_ADMIN) && !cr.Capable(CAP_CHECKPOINT_RESTORE) {
		return 0, errno.EPERM
	}
	if _, used := k.pids.tasks[setTID]; used {
		return 0, errno.EEXIST
	}
	k.pids.tasks[setTID] = c
	return setTID, nil
}
