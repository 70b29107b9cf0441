package proc

import (
	"tamix/errno"
	"tamix/fs"
)

// Wait status encoding (as wait4 reports it; see WIFEXITED etc.).
func exitStatus(code int) int  { return (code & 0xff) << 8 }
func killedStatus(sig int) int { return sig & 0x7f }

// wait4 options.
const (
	WNOHANG    = 0x00000001
	WUNTRACED  = 0x00000002
	WCONTINUED = 0x00000008
	WNOWAIT    = 0x01000000
	WALL       = 0x40000000
	WCLONE     = 0x80000000
)

// DoExit ends task t with wait status code (do_exit): the mm, files and
// signal handlers are released, children go to init, and t becomes a zombie
// for its parent — or is released at once when nobody will wait for it.
// The caller (the CPU loop) must not run t again.
func (k *Kernel) DoExit(t *Task, code int) {
	if t.Flags&PF_EXITING != 0 {
		return
	}
	t.Flags |= PF_EXITING
	t.ExitCode = code
	k.Log("%s[%d]: exit status %#x, utime %d us, stime %d us, minflt %d, majflt %d",
		t.Comm(), t.PID, code, t.Utime/1000, t.Stime/1000, t.MinFlt, t.MajFlt)

	// CLONE_CHILD_CLEARTID: zero the TID word and wake a futex waiter
	// (pthread_join) — mm_release.
	if t.ClearChildTID != 0 && t.MM != nil && t.MM.Users() > 1 {
		_ = putUint32(t.MM, t.ClearChildTID, 0)
		k.futexWake(t.MM, t.ClearChildTID, 1)
	}
	if t.vforkDone != nil {
		close(t.vforkDone)
		t.vforkDone = nil
	}
	if m := t.MM; m != nil {
		// Account the faults of the dying thread before the mm goes.
		t.MM, t.ActiveMM = nil, nil
		k.mmput(m)
	}
	t.Files.put()
	k.ExitFS(t)
	t.Sighand.mu.Lock()
	t.Sighand.count--
	t.Sighand.mu.Unlock()

	k.exitNotify(t)
}

// exitNotify reparents t's children to the child reaper and tells t's parent
// (exit_notify): SIGCHLD and a wake-up for wait4, or autoreap when the parent
// ignores SIGCHLD.
func (k *Kernel) exitNotify(t *Task) {
	k.tasklistLock.Lock()
	t.Signal.Live--
	groupDead := t.Signal.Live == 0
	reaper := k.ChildReaper
	for _, c := range t.Children {
		if reaper == nil || reaper == t {
			c.realParent.Store(k.InitTask)
			c.Parent = k.InitTask
			continue
		}
		c.realParent.Store(reaper)
		c.Parent = reaper
		reaper.Children = append(reaper.Children, c)
		if c.ExitState == EXIT_ZOMBIE && reaper != nil {
			defer reaper.WaitChldExit.WakeAll()
		}
	}
	t.Children = nil

	parent := t.Parent
	autoreap := false
	if t.ExitSignal != -1 && t.ThreadGroupLeader() {
		parent.Sighand.mu.Lock()
		act := parent.Sighand.Action[SIGCHLD-1]
		parent.Sighand.mu.Unlock()
		if act.Handler == SIG_IGN || act.Flags&SA_NOCLDWAIT != 0 {
			autoreap = true
		}
	} else {
		autoreap = true // a thread: nobody waits for it
	}
	if autoreap {
		t.ExitState = EXIT_DEAD
	} else {
		t.ExitState = EXIT_ZOMBIE
	}
	// The thread's CPU time joins the group's dead threads' in the same
	// step that takes it off the live list (__exit_signal).
	t.Signal.Utime += t.Utime
	t.Signal.Stime += t.Stime
	k.tasklistLock.Unlock()
	if groupDead {
		k.exitItimers(t.Signal)
	}

	t.SetState(TASK_DEAD)
	k.Sched.Dequeue(&t.Task, false)
	close(t.exited)

	if autoreap {
		k.releaseTask(t)
	} else if !parent.IsKernelThread() || parent.TGID != 0 {
		k.sendSIGCHLD(parent, t)
	}
	parent.WaitChldExit.WakeAll()
}

// TASK_DEAD is __state once a task has exited.
const TASK_DEAD = 0x0080

// sendSIGCHLD notifies parent that child changed state.
func (k *Kernel) sendSIGCHLD(parent, child *Task) {
	if parent.MM == nil {
		return // kernel threads take no signals
	}
	si := SigInfo{Signo: SIGCHLD, PID: int32(child.TGID)}
	if child.ExitCode&0x7f != 0 {
		si.Code, si.Status = CLD_KILLED, int32(child.ExitCode&0x7f)
		if child.ExitCode&0x80 != 0 {
			si.Code = CLD_DUMPED
		}
	} else {
		si.Code, si.Status = CLD_EXITED, int32(child.ExitCode>>8&0xff)
	}
	k.SendSignalInfo(parent, si, true)
}

// releaseTask frees the PID of a dead task and unlinks it (release_task).
func (k *Kernel) releaseTask(t *Task) {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	t.ExitState = EXIT_DEAD
	k.pids.free(t.PID)
	k.nrThreads--
	if p := t.Parent; p != nil {
		for i, c := range p.Children {
			if c == t {
				p.Children = append(p.Children[:i], p.Children[i+1:]...)
				break
			}
		}
		if t.ThreadGroupLeader() {
			// The whole group's time: every thread has exited.
			p.Signal.CUtime += t.Signal.Utime + t.Signal.CUtime
			p.Signal.CStime += t.Signal.Stime + t.Signal.CStime
			p.Signal.CMinFlt += t.MinFlt + t.Signal.CMinFlt
			p.Signal.CMajFlt += t.MajFlt + t.Signal.CMajFlt
		}
	}
}

// WaitResult is what wait4 reports about a child.
type WaitResult struct {
	PID    int
	Status int
	Utime  int64
	Stime  int64
	MinFlt uint64
	MajFlt uint64
}

// doWait looks for a child of t matching pid (as wait4's pid argument) that
// has exited, and reaps it unless WNOWAIT. It returns ECHILD when no child
// matches at all, and ok=false when children match but none has exited.
func (k *Kernel) doWait(t *Task, pid int, options int) (res WaitResult, ok bool, err error) {
	k.tasklistLock.Lock()
	var zombie *Task
	matched := false
	for _, c := range t.Children {
		if !c.ThreadGroupLeader() {
			continue
		}
		switch {
		case pid > 0 && c.PID != pid:
			continue
		case pid == 0 && c.Signal.Pgrp != t.Signal.Pgrp:
			continue
		case pid < -1 && c.Signal.Pgrp != -pid:
			continue
		}
		// __WALL/__WCLONE select by exit signal; tamix's children all
		// signal SIGCHLD.
		matched = true
		if c.ExitState == EXIT_ZOMBIE {
			zombie = c
			break
		}
		// Job-control changes, reported once each (wait_task_stopped,
		// wait_task_continued).
		sh := c.Sighand
		sh.mu.Lock()
		s := c.Signal
		var status int
		switch {
		case options&WUNTRACED != 0 && s.Stopped && s.NotifyStop:
			status = s.StopSig<<8 | 0x7f
			if options&WNOWAIT == 0 {
				s.NotifyStop = false
			}
		case options&WCONTINUED != 0 && s.NotifyCont:
			status = 0xffff
			if options&WNOWAIT == 0 {
				s.NotifyCont = false
			}
		}
		sh.mu.Unlock()
		if status != 0 {
			k.tasklistLock.Unlock()
			return WaitResult{PID: c.TGID, Status: status, Utime: c.Utime, Stime: c.Stime}, true, nil
		}
	}
	k.tasklistLock.Unlock()
	if !matched {
		return res, false, errno.ECHILD
	}
	if zombie == nil {
		return res, false, nil
	}
	res = WaitResult{PID: zombie.TGID, Status: zombie.ExitCode, Utime: zombie.Signal.Utime + zombie.Signal.CUtime,
		Stime: zombie.Signal.Stime + zombie.Signal.CStime, MinFlt: zombie.MinFlt, MajFlt: zombie.MajFlt}
	if options&WNOWAIT == 0 {
		k.releaseTask(zombie)
	}
	return res, true, nil
}

// WaitChild is wait4 for kernel threads (the shell): it blocks the calling
// goroutine until a matching child of t exits.
func (k *Kernel) WaitChild(t *Task, pid int, options int) (WaitResult, error) {
	for {
		done := make(chan struct{}, 1)
		w := &fs.Waiter{Wake: func() bool {
			select {
			case done <- struct{}{}:
			default:
			}
			return true
		}}
		t.WaitChldExit.Add(w)
		res, ok, err := k.doWait(t, pid, options)
		if err != nil || ok || options&WNOHANG != 0 {
			t.WaitChldExit.Remove(w)
			return res, err
		}
		<-done
	}
}
