package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/fs"
)

func init() {
	syscallTable[SYS_poll] = sysPoll
	syscallTable[SYS_ppoll] = sysPpoll
}

// pollEntry is one wait-queue entry of a sleeping poll (poll_table_entry).
type pollEntry struct {
	q *fs.WaitQueue
	w *fs.Waiter
}

// pollfd is struct pollfd: int fd; short events; short revents.
const pollfdSize = 8

// sysPoll is poll(fds, nfds, timeout_ms): a negative timeout waits for
// ever. A signal ends the wait with ERESTART_RESTARTBLOCK, which becomes
// EINTR when a handler runs (Linux restarts through restart_syscall with
// the time left; tamix restarts poll itself with the full timeout).
func sysPoll(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if !t.restart.armed {
		if ms := int64(int32(a[2])); ms >= 0 {
			t.restart.deadline = k.Clock() + ms*1_000_000
		} else {
			t.restart.deadline = -1
		}
		t.restart.armed = true
	}
	n, err := k.doPoll(t, a[0], a[1], t.restart.deadline, errno.ERESTART_RESTARTBLOCK)
	if err != errBlock {
		t.restart.armed = false
	}
	return n, err
}

// sysPpoll is ppoll(fds, nfds, tsp, sigmask, sigsetsize): a timespec
// timeout (NULL: none), written back with the time left, and a signal mask
// in force while it waits, restored on return unless a signal handler runs
// first (then sigreturn restores it, as with sigsuspend).
func sysPpoll(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if !t.restart.armed {
		t.restart.deadline = -1
		if a[2] != 0 {
			d, err := getTimespec(t, a[2])
			if err != nil {
				return 0, err
			}
			t.restart.deadline = k.Clock() + d
		}
		if a[3] != 0 {
			if a[4] != 8 {
				return 0, errno.EINVAL
			}
			v, err := t.getUint64(a[3])
			if err != nil {
				return 0, err
			}
			t.savedSigmask, t.restoreSigmask = t.Blocked, true
			t.Blocked = SigSet(v) &^ unblockable
		}
		t.restart.armed = true
	}
	n, err := k.doPoll(t, a[0], a[1], t.restart.deadline, errno.ERESTARTNOHAND)
	if err == errBlock {
		return n, err
	}
	t.restart.armed = false
	if a[2] != 0 && err != errno.EFAULT {
		left := max(t.restart.deadline-k.Clock(), 0)
		putTimespec(t, a[2], left) // poll_select_finish ignores a fault here
	}
	if err != errno.ERESTARTNOHAND && t.restoreSigmask && a[3] != 0 {
		t.Blocked, t.restoreSigmask = t.savedSigmask, false
	}
	return n, err
}

// doPoll is do_sys_poll + do_poll. Each run polls every file; if none is
// ready and time is left, the task is queued on every file's wait queue
// (poll_wait), polls once more, and sleeps. A wake-up from any file, the
// timer or a signal runs the call again, which first takes the task off
// the queues of the previous run. deadline < 0 means no timeout.
func (k *Kernel) doPoll(t *Task, fdsVA, nfds uint64, deadline int64, intr errno.Errno) (uint64, error) {
	if st := peekFsState(t); st != nil {
		k.pollUnqueue(t, st)
	}
	if nfds > uint64(t.Signal.nofile()) { // RLIMIT_NOFILE
		return 0, errno.EINVAL
	}
	raw, err := t.copyIn(fdsVA, int(nfds)*pollfdSize)
	if err != nil {
		return 0, err
	}
	files := make([]*OpenFile, nfds)
	defer func() {
		for _, of := range files {
			if of != nil {
				of.put()
			}
		}
	}()
	le := binary.LittleEndian
	scan := func() (count uint64) {
		for i := range files {
			rec := raw[i*pollfdSize:]
			fd := int32(le.Uint32(rec))
			events := uint32(le.Uint16(rec[4:]))
			var rev uint32
			switch {
			case fd < 0:
			case files[i] == nil:
				of, err := t.Files.Get(int(fd))
				if err != nil {
					rev = fs.POLLNVAL
					break
				}
				files[i] = of
				fallthrough
			default:
				rev = files[i].pollFor(t) & (events | fs.POLLERR | fs.POLLHUP)
			}
			le.PutUint16(rec[6:], uint16(rev))
			if rev != 0 {
				count++
			}
		}
		return count
	}
	finish := func(count uint64) (uint64, error) {
		fsStates.Delete(t)
		if err := t.copyOut(fdsVA, raw); err != nil {
			return 0, err
		}
		return count, nil
	}
	if n := scan(); n > 0 || deadline >= 0 && k.Clock() >= deadline {
		return finish(n)
	}
	if k.signalPending(t) {
		fsStates.Delete(t)
		return 0, intr
	}
	// Queue on every file, then look again before sleeping: a wake-up
	// between the two scans is not lost.
	st := k.pollQueue(t, files)
	if n := scan(); n > 0 {
		k.pollCancel(t, st)
		return finish(n)
	}
	if deadline >= 0 {
		k.timers.add(deadline, t)
	}
	return 0, errBlock
}

// pollQueue puts t once on the wait queue of each file (poll_wait; nil
// entries are skipped) and marks it TASK_INTERRUPTIBLE. The entries stay
// in t's fsTaskState until pollUnqueue: when the call runs again after a
// wake-up, or by pollCancel when a second look finds a file ready. poll,
// ppoll, select and pselect6 share it.
func (k *Kernel) pollQueue(t *Task, files []*OpenFile) *fsTaskState {
	st := fsState(t)
	w := &fs.Waiter{Wake: func() bool { return k.WakeUp(t) }}
	seen := map[*fs.WaitQueue]bool{}
	for _, of := range files {
		if of == nil {
			continue
		}
		if q := of.waitFor(t); !seen[q] {
			seen[q] = true
			q.Add(w)
			st.poll = append(st.poll, pollEntry{q, w})
		}
	}
	t.SetState(TASK_INTERRUPTIBLE)
	return st
}

// pollCancel undoes pollQueue: t does not sleep after all.
func (k *Kernel) pollCancel(t *Task, st *fsTaskState) {
	k.pollUnqueue(t, st)
	t.piLock.Lock()
	t.SetState(TASK_RUNNING)
	t.piLock.Unlock()
}

// pollUnqueue takes a poll's entries off their queues (poll_freewait).
func (k *Kernel) pollUnqueue(t *Task, st *fsTaskState) {
	for _, e := range st.poll {
		e.q.Remove(e.w)
	}
	st.poll = nil
}
