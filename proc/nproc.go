package proc

import "tamix/errno"

// RLIMIT_NPROC (kernel/fork.c copy_process, kernel/sys.c set_user): a user
// may own at most that many tasks — threads and unreaped zombies count —
// unless it is root or holds CAP_SYS_RESOURCE or CAP_SYS_ADMIN.

// PF_NPROC_EXCEEDED marks a task that became a user already at its
// RLIMIT_NPROC (by setuid): its next execve fails with EAGAIN if the user
// is still over the limit then.
const PF_NPROC_EXCEEDED = 0x00001000

// userTasks counts the tasks whose real user ID is uid (the user's
// UCOUNT_RLIMIT_NPROC).
func (k *Kernel) userTasks(uid uint32) uint64 {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	var n uint64
	for _, p := range k.pids.tasks {
		if !p.IsKernelThread() && p.Cred().UID == uid {
			n++
		}
	}
	return n
}

// nprocOverLimit is copy_process's check: may the caller's user have one
// more task?
func (k *Kernel) nprocOverLimit(t *Task) bool {
	c := t.Cred()
	if c.UID == 0 || c.Capable(CAP_SYS_RESOURCE) || c.Capable(CAP_SYS_ADMIN) {
		return false // INIT_USER and the privileged are exempt
	}
	return k.userTasks(c.UID) >= t.Signal.Rlimit(RLIMIT_NPROC).Cur
}

// flagNprocExceeded is set_user's check after a change of real user ID:
// the user's other tasks already exceed the limit.
func (k *Kernel) flagNprocExceeded(t *Task) {
	c := t.Cred()
	if c.UID != 0 && k.userTasks(c.UID)-1 > t.Signal.Rlimit(RLIMIT_NPROC).Cur {
		t.Flags |= PF_NPROC_EXCEEDED
	} else {
		t.Flags &^= PF_NPROC_EXCEEDED
	}
}

// execNprocCheck is do_execveat_common's: a task flagged by setuid fails
// to exec while its user is still over the limit; the flag goes either way.
func (k *Kernel) execNprocCheck(t *Task) error {
	if t.Flags&PF_NPROC_EXCEEDED == 0 {
		return nil
	}
	if k.userTasks(t.Cred().UID) > t.Signal.Rlimit(RLIMIT_NPROC).Cur {
		return errno.EAGAIN
	}
	t.Flags &^= PF_NPROC_EXCEEDED
	return nil
}
