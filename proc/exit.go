package proc

import (
	"tamix/errno"
	"tamix/fs"
)

// Wait status encoding (as wait4 reports it; see WIFEXITED etc.).
func exitStatus(code int) int  { return (code & 0xff) << 8 }
func killedStatus(sig int) int { return sig & 0x7f }

// wait4 and waitid options.
const (
	WNOHANG    = 0x00000001
	WUNTRACED  = 0x00000002
	WSTOPPED   = WUNTRACED
	WEXITED    = 0x00000004
	WCONTINUED = 0x00000008
	WNOWAIT    = 0x01000000
	WNOTHREAD  = 0x20000000
	WALL       = 0x40000000
	WCLONE     = 0x80000000
)

// waitid idtypes.
const (
	P_ALL   = 0
	P_PID   = 1
	P_PGID  = 2
	P_PIDFD = 3
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

	// mm_release: the robust locks still held are released, then
	// CLONE_CHILD_CLEARTID zeroes the TID word and wakes a futex waiter
	// (pthread_join).
	k.exitRobustList(t)
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
	k.exitSysvIPC(t)
	t.Files.put()
	k.ExitFS(t)
	t.Sighand.mu.Lock()
	t.Sighand.count--
	t.Sighand.mu.Unlock()

	k.exitNotify(t)
}

// exitNotify reparents t's children (to another thread of t's process, a
// subreaper ancestor, or the child reaper) and tells t's parent
// (exit_notify): SIGCHLD and a wake-up for wait4, or autoreap when the parent
// ignores SIGCHLD.
func (k *Kernel) exitNotify(t *Task) {
	k.tasklistLock.Lock()
	t.Signal.Live--
	groupDead := t.Signal.Live == 0
	orphans := k.forgetOriginalParent(t)

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
		k.exitPosixTimers(t.Signal)
	}
	k.posixCPUTimersExit(t, groupDead)
	k.notifyReparented(t, orphans)

	t.SetState(TASK_DEAD)
	k.Sched.Dequeue(&t.Task, false)
	close(t.exited)
	if groupDead {
		t.Signal.pidfdWait.WakeAll() // do_notify_pidfd
	}

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
		lp.GroupLeader.WaitChldExit.WakeAll()
	}
	if execer != nil && execer != t {
		k.WakeUp(execer) // de_thread waits for the other threads to go
	}
	parent.GroupLeader.WaitChldExit.WakeAll()
}

// ignoresSIGCHLD reports whether parent's children are reaped as they die
// (SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT).
func ignoresSIGCHLD(parent *Task) bool {
	parent.Sighand.mu.Lock()
	act := parent.Sighand.Action[SIGCHLD-1]
	parent.Sighand.mu.Unlock()
	return act.Handler == SIG_IGN || act.Flags&SA_NOCLDWAIT != 0
}

// orphans is what forgetOriginalParent leaves to do once tasklistLock is
// dropped.
type orphans struct {
	reaper  *Task
	pdeath  []*Task // children with a parent-death signal
	zombies []*Task // dead children the new parent must hear of
	dead    []*Task // dead children the new parent does not wait for
}

// forgetOriginalParent hands father's children to their new parent
// (forget_original_parent). Called with tasklistLock held.
func (k *Kernel) forgetOriginalParent(father *Task) (o orphans) {
	if len(father.Children) == 0 {
		return o
	}
	reaper := k.findNewReaper(father)
	o.reaper = reaper
	for _, c := range father.Children {
		c.realParent.Store(reaper)
		c.Parent = reaper
		if reaper != k.InitTask {
			reaper.Children = append(reaper.Children, c)
		}
		if c.pdeathSignal.Load() != 0 {
			o.pdeath = append(o.pdeath, c)
		}
		// reparent_leader: a zombie moving to another process is news
		// for its new parent.
		if reaper.TGID != father.TGID && c.ThreadGroupLeader() && c.ExitState == EXIT_ZOMBIE && reaper != k.InitTask {
			if ignoresSIGCHLD(reaper) {
				c.ExitState = EXIT_DEAD // no waiter can take it now
				o.dead = append(o.dead, c)
			} else {
				o.zombies = append(o.zombies, c)
			}
		}
	}
	father.Children = nil
	return o
}

// findNewReaper chooses who adopts father's children (find_new_reaper):
// another live thread of father's process, else the nearest ancestor that
// is a child subreaper (PR_SET_CHILD_SUBREAPER) with a live thread, else
// the child reaper, init. Called with tasklistLock held.
func (k *Kernel) findNewReaper(father *Task) *Task {
	if th := k.findAliveThread(father); th != nil {
		return th
	}
	for r := father.RealParent(); r != nil && r.PID != 0; r = r.RealParent() {
		if r.Signal.isChildSubreaper.Load() {
			if th := k.findAliveThread(r); th != nil {
				return th
			}
		}
	}
	if r := k.ChildReaper; r != nil && r.TGID != father.TGID && r.ExitState == 0 {
		return r
	}
	return k.InitTask
}

// findAliveThread returns a thread of p's process that is not exiting, the
// leader first (find_alive_thread). Called with tasklistLock held.
func (k *Kernel) findAliveThread(p *Task) *Task {
	alive := func(th *Task) bool { return th.Flags&PF_EXITING == 0 && th.ExitState == 0 }
	if alive(p.GroupLeader) {
		return p.GroupLeader
	}
	if p.Signal.NrThreads == 1 {
		return nil
	}
	for _, th := range k.pids.tasks {
		if th.TGID == p.TGID && alive(th) {
			return th
		}
	}
	return nil
}

// notifyReparented sends the parent-death signals and tells the new parent
// about zombies it adopted (the rest of forget_original_parent).
func (k *Kernel) notifyReparented(father *Task, o orphans) {
	for _, c := range o.pdeath {
		if sig := c.pdeathSignal.Load(); sig != 0 {
			// group_send_sig_info(SEND_SIG_NOINFO): SI_USER from the
			// exiting task.
			k.SendSignalInfo(c, SigInfo{Signo: sig, Code: SI_USER, PID: int32(father.TGID)}, true)
		}
	}
	for _, z := range o.dead {
		k.releaseTask(z)
	}
	for _, z := range o.zombies {
		k.sendSIGCHLD(o.reaper, z)
	}
	if len(o.zombies) > 0 {
		o.reaper.GroupLeader.WaitChldExit.WakeAll()
	}
}

// notifyParent sends SIGCHLD for the exited process whose leader is t
// (do_notify_parent); kernel threads (the shell) take no signals.
func (k *Kernel) notifyParent(parent, t *Task) {
	if !parent.IsKernelThread() || parent.TGID != 0 {
		k.sendSIGCHLD(parent, t)
	}
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
	si := SigInfo{Signo: SIGCHLD, PID: int32(child.TGID), UID: int32(child.Cred().UID)}
	si.Code, si.Status = cldCode(waitStatus(child))
	k.SendSignalInfo(parent, si, true)
}

// cldCode turns an exit's wait status into the si_code and si_status that
// SIGCHLD and waitid report (CLD_EXITED with the exit code, or CLD_KILLED
// or CLD_DUMPED with the signal).
func cldCode(st int) (code, status int32) {
	switch {
	case st&0x7f == 0:
		return CLD_EXITED, int32(st >> 8 & 0xff)
	case st&0x80 != 0:
		return CLD_DUMPED, int32(st & 0x7f)
	}
	return CLD_KILLED, int32(st & 0x7f)
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

// WaitResult is what wait4 and waitid report about a child.
type WaitResult struct {
	PID    int
	Status int // the wait4 status word
	Utime  int64
	Stime  int64
	MinFlt uint64
	MajFlt uint64
	// Code and SigStatus are waitid's si_code (CLD_*) and si_status.
	Code, SigStatus int32
	UID             uint32 // the child's real user ID (si_uid)
}

// waitSel is which children a wait selects (wait_opts' wo_type, wo_pid).
type waitSel struct {
	idtype int // P_ALL, P_PID or P_PGID
	id     int
}

// waitSelOf turns wait4's pid argument into a selection.
func waitSelOf(t *Task, pid int) waitSel {
	switch {
	case pid > 0:
		return waitSel{P_PID, pid}
	case pid == 0:
		return waitSel{P_PGID, t.Signal.Pgrp}
	case pid == -1:
		return waitSel{P_ALL, 0}
	}
	return waitSel{P_PGID, -pid}
}

func (w waitSel) selects(c *Task) bool {
	switch w.idtype {
	case P_PID:
		return c.PID == w.id
	case P_PGID:
		return c.Signal.Pgrp == w.id
	}
	return true
}

// doWait looks for a child of t matching pid (as wait4's pid argument) that
// has exited, and reaps it unless WNOWAIT. It returns ECHILD when no child
// matches at all, and ok=false when children match but none has exited.
func (k *Kernel) doWait(t *Task, pid int, options int) (res WaitResult, ok bool, err error) {
	return k.doWaitSel(t, waitSelOf(t, pid), options|WEXITED)
}

// doWaitSel is do_wait for the children of every thread of t's process
// selected by sel: the first one with something to report (an exit with
// WEXITED, a stop with WSTOPPED, a continue with WCONTINUED) is reported,
// and reaped or its report consumed unless WNOWAIT. It returns ECHILD when
// no child matches at all, and ok=false when children match but none has
// anything to report.
func (k *Kernel) doWaitSel(t *Task, sel waitSel, options int) (res WaitResult, ok bool, err error) {
	k.tasklistLock.Lock()
	var zombie *Task
	matched := false
	consider := func(c *Task) (done bool) {
		if !c.ThreadGroupLeader() || c.ExitState == EXIT_DEAD || !sel.selects(c) {
			return false
		}
		// __WALL/__WCLONE select by exit signal; tamix's children all
		// signal SIGCHLD.
		matched = true
		if c.ExitState == EXIT_ZOMBIE && c.Signal.Live == 0 && options&WEXITED != 0 {
			// (A leader whose threads live on is not reapable yet.)
			zombie = c
			if options&WNOWAIT == 0 {
				// Ours to reap: no other waiter takes it meanwhile
				// (wait_task_zombie's cmpxchg of exit_state).
				c.ExitState = EXIT_DEAD
			}
			return true
		}
		// Job-control changes, reported once each (wait_task_stopped,
		// wait_task_continued).
		sh := c.Sighand
		sh.mu.Lock()
		s := c.Signal
		switch {
		case options&WSTOPPED != 0 && s.Stopped && s.NotifyStop:
			res = WaitResult{Status: s.StopSig<<8 | 0x7f, Code: CLD_STOPPED, SigStatus: int32(s.StopSig)}
			if options&WNOWAIT == 0 {
				s.NotifyStop = false
			}
		case options&WCONTINUED != 0 && s.NotifyCont:
			res = WaitResult{Status: 0xffff, Code: CLD_CONTINUED, SigStatus: SIGCONT}
			if options&WNOWAIT == 0 {
				s.NotifyCont = false
			}
		}
		sh.mu.Unlock()
		if res.Code != 0 {
			res.PID, res.Utime, res.Stime, res.UID = c.TGID, c.Utime, c.Stime, c.Cred().UID
			return true
		}
		return false
	}
	k.forEachGroupChild(t, options&WNOTHREAD != 0, consider)
	k.tasklistLock.Unlock()
	if res.Code != 0 {
		return res, true, nil
	}
	if !matched {
		return res, false, errno.ECHILD
	}
	if zombie == nil {
		return res, false, nil
	}
	st := waitStatus(zombie)
	res = WaitResult{PID: zombie.TGID, Status: st, Utime: zombie.Signal.Utime + zombie.Signal.CUtime,
		Stime: zombie.Signal.Stime + zombie.Signal.CStime, MinFlt: zombie.MinFlt, MajFlt: zombie.MajFlt,
		UID: zombie.Cred().UID}
	res.Code, res.SigStatus = cldCode(st)
	if options&WNOWAIT == 0 {
		k.releaseTask(zombie)
	}
	return res, true, nil
}

// forEachGroupChild calls fn for the children of t, then (unless
// nothread, __WNOTHREAD) of every other thread of t's process, as do_wait
// loops over the thread group, until fn returns true. Called with
// tasklistLock held.
func (k *Kernel) forEachGroupChild(t *Task, nothread bool, fn func(c *Task) bool) {
	for _, c := range t.Children {
		if fn(c) {
			return
		}
	}
	if nothread || t.Signal.NrThreads == 1 {
		return
	}
	for _, th := range k.pids.tasks {
		if th.TGID != t.TGID || th == t {
			continue
		}
		for _, c := range th.Children {
			if fn(c) {
				return
			}
		}
	}
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
