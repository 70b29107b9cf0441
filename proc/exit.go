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
	if img := t.execImg; img != nil {
		t.execImg = nil // killed while execve waited for its threads
		img.mm.Release()
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
	if len(t.Children) > 0 {
		// A live thread of the same group adopts first: the process, not
		// the thread, is the parent (find_new_reaper's find_alive_thread).
		if th := k.liveThreadLocked(t); th != nil {
			reaper = th
		}
	}
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
	leader := t.GroupLeader
	autoreap, notify, notifyLeader := false, false, false
	switch {
	case !t.ThreadGroupLeader() || t.ExitSignal == -1:
		autoreap = true // a thread: nobody waits for it
		// The last thread out reports a leader that exited before it
		// (release_task's delayed do_notify_parent).
		notifyLeader = t.Signal.Live == 0 && leader != t && leader.ExitState == EXIT_ZOMBIE
	case t.Signal.Live > 0:
		// delay_group_leader: other threads run on, so the leader stays a
		// zombie nobody can reap, and its parent hears of the process when
		// the last thread exits.
	default:
		autoreap = ignoresSIGCHLD(parent)
		notify = !autoreap
	}
	if autoreap {
		t.ExitState = EXIT_DEAD
	} else {
		t.ExitState = EXIT_ZOMBIE
	}
	execer := t.Signal.execWaiter
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
	} else if notify {
		k.notifyParent(parent, t)
	}
	if notifyLeader {
		k.tasklistLock.Lock()
		lp := leader.Parent
		reap := ignoresSIGCHLD(lp)
		if reap {
			leader.ExitState = EXIT_DEAD
		}
		k.tasklistLock.Unlock()
		if reap {
			k.releaseTask(leader)
		} else {
			k.notifyParent(lp, leader)
		}
		lp.WaitChldExit.WakeAll()
	}
	if execer != nil && execer != t {
		k.WakeUp(execer) // de_thread waits for the other threads to go
	}
	parent.WaitChldExit.WakeAll()
}

// ignoresSIGCHLD reports whether parent reaps its children automatically
// (SIGCHLD ignored, or SA_NOCLDWAIT).
func ignoresSIGCHLD(parent *Task) bool {
	parent.Sighand.mu.Lock()
	act := parent.Sighand.Action[SIGCHLD-1]
	parent.Sighand.mu.Unlock()
	return act.Handler == SIG_IGN || act.Flags&SA_NOCLDWAIT != 0
}

// notifyParent sends SIGCHLD for the exited process whose leader is t
// (do_notify_parent); kernel threads (the shell) take no signals.
func (k *Kernel) notifyParent(parent, t *Task) {
	if !parent.IsKernelThread() || parent.TGID != 0 {
		k.sendSIGCHLD(parent, t)
	}
}

// liveThreadLocked returns another thread of t's group that has not
// exited, or nil. The caller holds tasklistLock.
func (k *Kernel) liveThreadLocked(t *Task) *Task {
	if t.Signal.Live == 0 {
		return nil
	}
	for _, p := range k.pids.tasks {
		if p != t && p.TGID == t.TGID && p.ExitState == 0 && p.Flags&PF_EXITING == 0 {
			return p
		}
	}
	return nil
}

// waitStatus is the status wait4 reports for the exited process led by t:
// the group's exit code after exit_group or a fatal signal, else the
// leader's own (wait_task_zombie).
func waitStatus(t *Task) int {
	t.Sighand.mu.Lock()
	defer t.Sighand.mu.Unlock()
	if t.Signal.GroupExit {
		return t.Signal.GroupExitCode
	}
	return t.ExitCode
}

// TASK_DEAD is __state once a task has exited.
const TASK_DEAD = 0x0080

// sendSIGCHLD notifies parent that child changed state.
func (k *Kernel) sendSIGCHLD(parent, child *Task) {
	if parent.MM == nil {
		return // kernel threads take no signals
	}
	si := SigInfo{Signo: SIGCHLD, PID: int32(child.TGID)}
	code := waitStatus(child)
	if code&0x7f != 0 {
		si.Code, si.Status = CLD_KILLED, int32(code&0x7f)
		if code&0x80 != 0 {
			si.Code = CLD_DUMPED
		}
	} else {
		si.Code, si.Status = CLD_EXITED, int32(code>>8&0xff)
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
		if c.ExitState == EXIT_ZOMBIE && c.Signal.Live == 0 {
			zombie = c // (a leader with live threads is not reapable yet)
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
	res = WaitResult{PID: zombie.TGID, Status: waitStatus(zombie), Utime: zombie.Signal.Utime + zombie.Signal.CUtime,
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
