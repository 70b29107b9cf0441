package proc

import (
	"encoding/binary"

	arch "tamix/arch/amd64"
	"tamix/errno"
	"tamix/fs"
)

func init() {
	syscallTable[SYS_rt_sigaction] = sysRtSigaction
	syscallTable[SYS_rt_sigprocmask] = sysRtSigprocmask
	syscallTable[SYS_rt_sigreturn] = sysRtSigreturn
	syscallTable[SYS_rt_sigpending] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		if a[1] != 8 {
			return 0, errno.EINVAL
		}
		t.Sighand.mu.Lock()
		set := (t.Pending.Set | t.Signal.SharedPending.Set) & t.Blocked
		t.Sighand.mu.Unlock()
		return 0, t.putUint64(a[0], uint64(set))
	}
	syscallTable[SYS_kill] = sysKill
	syscallTable[SYS_tgkill] = sysTgkill
	syscallTable[SYS_tkill] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return sysTgkill(k, t, &sysArgs{^uint64(0), a[0], a[1]})
	}
	syscallTable[SYS_pause] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		if k.signalPending(t) {
			return 0, errno.ERESTARTNOHAND
		}
		t.SetState(TASK_INTERRUPTIBLE)
		return 0, errBlock
	}
	syscallTable[SYS_rt_sigsuspend] = sysRtSigsuspend
	syscallTable[SYS_sigaltstack] = sysSigaltstack
}

func sysRtSigaction(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	sig := int(int32(a[0]))
	if a[3] != 8 { // sizeof(sigset_t)
		return 0, errno.EINVAL
	}
	if !validSignal(sig) || (a[1] != 0 && (sig == SIGKILL || sig == SIGSTOP)) {
		return 0, errno.EINVAL
	}
	var act SigAction
	if a[1] != 0 {
		b, err := t.copyIn(a[1], sigactionSize)
		if err != nil {
			return 0, err
		}
		act = decodeSigAction(b)
	}
	sh := t.Sighand
	sh.mu.Lock()
	old := sh.Action[sig-1]
	if a[1] != 0 {
		act.Mask &^= unblockable
		sh.Action[sig-1] = act
		// Setting SIG_IGN (or SIG_DFL for a signal ignored by default)
		// discards what is pending (do_sigaction).
		if act.Handler == SIG_IGN || act.Handler == SIG_DFL && defaultAction(sig) == actIgnore {
			t.Pending.drop(sig)
			t.Signal.SharedPending.drop(sig)
		}
	}
	sh.mu.Unlock()
	if a[2] != 0 {
		if err := t.copyOut(a[2], old.encode()); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// sigprocmask how.
const (
	SIG_BLOCK   = 0
	SIG_UNBLOCK = 1
	SIG_SETMASK = 2
)

func sysRtSigprocmask(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if a[3] != 8 {
		return 0, errno.EINVAL
	}
	old := t.Blocked
	if a[1] != 0 {
		v, err := t.getUint64(a[1])
		if err != nil {
			return 0, err
		}
		set := SigSet(v) &^ unblockable
		switch a[0] {
		case SIG_BLOCK:
			t.Blocked |= set
		case SIG_UNBLOCK:
			t.Blocked &^= set
		case SIG_SETMASK:
			t.Blocked = set
		default:
			return 0, errno.EINVAL
		}
	}
	if a[2] != 0 {
		if err := t.putUint64(a[2], uint64(old)); err != nil {
			t.Blocked = old
			return 0, err
		}
	}
	return 0, nil
}

func sysKill(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	pid, sig := int(int32(a[0])), int(int32(a[1]))
	if sig != 0 && !validSignal(sig) {
		return 0, errno.EINVAL
	}
	si := SigInfo{Signo: int32(sig), Code: SI_USER, PID: int32(t.TGID), UID: int32(t.Cred().UID)}
	switch {
	case pid > 0:
		target := k.FindTask(pid)
		if target == nil || target.ExitState != 0 && target.ExitState != EXIT_ZOMBIE || target.IsKernelThread() {
			return 0, errno.ESRCH
		}
		if err := t.checkKillPermission(target, sig); err != nil {
			return 0, err
		}
		if sig == 0 || target.ExitState == EXIT_ZOMBIE {
			return 0, nil
		}
		k.SendSignalInfo(target.GroupLeader, si, true)
		return 0, nil
	case pid == -1:
		// Every process but init and the caller. Those the caller may
		// not signal are skipped: the call still succeeds when it found
		// any process at all (kill_something_info ignores EPERM).
		n := 0
		for _, p := range k.Tasks() {
			if p.PID <= 1 || p.TGID == t.TGID || !p.ThreadGroupLeader() || p.IsKernelThread() || p.ExitState != 0 {
				continue
			}
			n++
			if sig != 0 && t.checkKillPermission(p, sig) == nil {
				k.SendSignalInfo(p, si, true)
			}
		}
		if n == 0 {
			return 0, errno.ESRCH
		}
		return 0, nil
	}
	pgid := -pid
	if pid == 0 {
		pgid = t.Signal.Pgrp
	}
	return 0, k.killPgrpInfo(t, pgid, si)
}

func sysTgkill(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	tgid, tid, sig := int(int32(a[0])), int(int32(a[1])), int(int32(a[2]))
	if tid <= 0 || (tgid <= 0 && tgid != -1) || sig != 0 && !validSignal(sig) {
		return 0, errno.EINVAL
	}
	target := k.FindTask(tid)
	if target == nil || (tgid != -1 && target.TGID != tgid) || target.ExitState != 0 {
		return 0, errno.ESRCH
	}
	if err := t.checkKillPermission(target, sig); err != nil {
		return 0, err
	}
	if sig != 0 {
		k.SendSignalInfo(target, SigInfo{Signo: int32(sig), Code: SI_TKILL, PID: int32(t.TGID), UID: int32(t.Cred().UID)}, false)
	}
	return 0, nil
}

// SendSignalInfo sends a signal to t (group: to its whole thread group), as
// send_signal does: ignored signals are dropped, SIGKILL and SIGCONT act at
// once, and a task that can take it is woken.
func (k *Kernel) SendSignalInfo(t *Task, si SigInfo, group bool) {
	k.sendSignal(t, si, group)
}

// What sendSignal did with a signal (send_sigqueue's return value).
const (
	sigNoTask  = -1 // the task is gone or exiting
	sigQueued  = 0  // queued (or merged with one already pending)
	sigDropped = 1  // dropped: the signal is ignored
)

// sendSignal is SendSignalInfo, reporting what became of the signal.
func (k *Kernel) sendSignal(t *Task, si SigInfo, group bool) int {
	sig := int(si.Signo)
	sh := t.Sighand
	sh.mu.Lock()
	if t.Flags&PF_EXITING != 0 || t.ExitState != 0 {
		sh.mu.Unlock()
		return sigNoTask
	}
	if sig == SIGCONT || sig == SIGKILL {
		// Cancel pending stops (prepare_signal).
		for _, s := range []int{SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU} {
			t.Pending.drop(s)
			t.Signal.SharedPending.drop(s)
		}
	}
	if defaultAction(sig) == actStop {
		t.Signal.SharedPending.drop(SIGCONT)
		t.Pending.drop(SIGCONT)
	}
	wasStopped := t.Signal.Stopped
	if (sig == SIGCONT || sig == SIGKILL) && wasStopped {
		t.Signal.Stopped = false
		if sig == SIGCONT {
			t.Signal.NotifyCont, t.Signal.NotifyStop = true, false
		}
	}
	if sigIgnored(t, sig) && sig != SIGKILL {
		sh.mu.Unlock()
		if (sig == SIGCONT) && wasStopped {
			k.continueGroup(t)
		}
		return sigDropped
	}
	if group {
		t.Signal.SharedPending.add(si)
		t.Signal.sigpending.Store(true)
	} else {
		t.Pending.add(si)
		t.sigpending.Store(true)
	}
	sh.mu.Unlock()
	sh.signalfdWqh.WakeKey(fs.POLLIN) // signalfd_notify
	if (sig == SIGCONT || sig == SIGKILL) && wasStopped {
		k.continueGroup(t)
	}
	// Wake a thread that can take it (complete_signal): the target or, for a
	// group signal it blocks, any thread of the group.
	if !t.Blocked.Has(sig) || sig == SIGKILL {
		k.signalWake(t)
		return sigQueued
	}
	if group {
		for _, th := range k.threadsOf(t) {
			if !th.Blocked.Has(sig) {
				k.signalWake(th)
				break
			}
		}
	}
	return sigQueued
}

// signalWake wakes t from an interruptible sleep, or asks its CPU to
// reschedule so the signal is seen on the way back to user mode
// (signal_wake_up → kick_process).
func (k *Kernel) signalWake(t *Task) {
	if !k.WakeUp(t) && t.running.Load() {
		k.Resched(t.CPU)
	}
}

// doSignalStop stops the whole thread group (do_signal_stop): every thread
// goes to TASK_STOPPED until SIGCONT, and the parent hears of it through
// SIGCHLD (unless SA_NOCLDSTOP) and wait4's WUNTRACED.
func (k *Kernel) doSignalStop(t *Task, sig int) {
	sh := t.Sighand
	sh.mu.Lock()
	s := t.Signal
	s.Stopped, s.StopSig, s.NotifyStop, s.NotifyCont = true, sig, true, false
	s.sigpending.Store(true)
	sh.mu.Unlock()
	t.SetState(TASK_STOPPED)
	for _, th := range k.threadsOf(t) {
		if th != t {
			k.signalWake(th) // they stop on their way back to user mode
		}
	}
	k.notifyParentJobctl(t, CLD_STOPPED, sig)
}

// continueGroup resumes a stopped thread group after SIGCONT or SIGKILL.
func (k *Kernel) continueGroup(t *Task) {
	for _, th := range k.threadsOf(t) {
		th.piLock.Lock()
		if th.State() == TASK_STOPPED {
			th.SetState(TASK_INTERRUPTIBLE)
		}
		th.piLock.Unlock()
		k.WakeUp(th)
	}
	if t.Signal.NotifyCont {
		k.notifyParentJobctl(t, CLD_CONTINUED, SIGCONT)
	}
}

// notifyParentJobctl tells the parent a child stopped or continued
// (do_notify_parent_cldstop).
func (k *Kernel) notifyParentJobctl(t *Task, code int32, sig int) {
	leader := t.GroupLeader
	parent := leader.Parent
	if parent == nil {
		return
	}
	parent.Sighand.mu.Lock()
	act := parent.Sighand.Action[SIGCHLD-1]
	parent.Sighand.mu.Unlock()
	if act.Flags&SA_NOCLDSTOP == 0 && parent.MM != nil {
		k.SendSignalInfo(parent, SigInfo{Signo: SIGCHLD, Code: code, PID: int32(leader.TGID), UID: int32(leader.Cred().UID), Status: int32(sig)}, true)
	}
	parent.GroupLeader.WaitChldExit.WakeAll()
}

// threadsOf returns the live threads of t's group.
func (k *Kernel) threadsOf(t *Task) []*Task {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	var out []*Task
	for _, p := range k.pids.tasks {
		if p.TGID == t.TGID && p.ExitState == 0 {
			out = append(out, p)
		}
	}
	return out
}

// ForceSig sends a synchronous signal for a fault (force_sig_fault): the
// handler is reset to SIG_DFL if the signal is blocked or ignored, so the
// task cannot loop on the fault.
func (k *Kernel) ForceSig(t *Task, si SigInfo) {
	sig := int(si.Signo)
	sh := t.Sighand
	sh.mu.Lock()
	act := &sh.Action[sig-1]
	if t.Blocked.Has(sig) || act.Handler == SIG_IGN {
		act.Handler = SIG_DFL
		t.Blocked &^= Bit(sig)
	}
	t.Pending.add(si)
	t.sigpending.Store(true)
	sh.mu.Unlock()
	sh.signalfdWqh.WakeKey(fs.POLLIN)
}

// signalPending reports whether t has a signal it will take (signal_pending).
//
// The flags checked first are Linux's TIF_SIGPENDING: set whenever something
// is queued, cleared here once nothing is, so the way back to user mode
// costs two atomic loads when no signal is around.
func (k *Kernel) signalPending(t *Task) bool {
	if !t.sigpending.Load() && !t.Signal.sigpending.Load() {
		return false
	}
	t.Sighand.mu.Lock()
	defer t.Sighand.mu.Unlock()
	if t.Pending.Set == 0 && !t.zapped {
		t.sigpending.Store(false)
	}
	s := t.Signal
	if s.SharedPending.Set == 0 && !s.GroupExit && !s.Stopped {
		s.sigpending.Store(false)
	}
	return (t.Pending.Set|s.SharedPending.Set)&^t.Blocked != 0 || s.GroupExit || t.zapped || s.Stopped
}

// dequeueSignal takes the lowest-numbered deliverable signal (synchronous
// faults first, like Linux's SYNCHRONOUS_MASK).
//
// A SIGALRM taken from the process's shared queue re-arms a periodic
// ITIMER_REAL (dequeue_signal → posixtimer_rearm_itimer).
func (k *Kernel) dequeueSignal(t *Task) (SigInfo, bool) {
	t.Sighand.mu.Lock()
	set := ^t.Blocked
	t.Sighand.mu.Unlock()
	return k.dequeueSignalFrom(t, set)
}

// DoSignal delivers pending signals before t returns to user mode
// (arch_do_signal_or_restart). It reports false if t died.
func (k *Kernel) DoSignal(t *Task) bool {
	for {
		t.Sighand.mu.Lock()
		zapped := t.zapped
		t.Sighand.mu.Unlock()
		if zapped {
			k.DoExit(t, killedStatus(SIGKILL))
			return false
		}
		if t.Signal.GroupExit {
			k.DoExit(t, t.Signal.GroupExitCode)
			return false
		}
		if t.Signal.Stopped {
			t.SetState(TASK_STOPPED)
			return false
		}
		si, ok := k.dequeueSignal(t)
		if !ok {
			return true
		}
		sig := int(si.Signo)
		t.Sighand.mu.Lock()
		act := t.Sighand.Action[sig-1]
		if act.Handler != SIG_DFL && act.Handler != SIG_IGN && act.Flags&SA_RESETHAND != 0 {
			t.Sighand.Action[sig-1].Handler = SIG_DFL
		}
		t.Sighand.mu.Unlock()
		switch act.Handler {
		case SIG_IGN:
			continue
		case SIG_DFL:
			switch defaultAction(sig) {
			case actIgnore, actCont:
				continue
			case actStop:
				k.doSignalStop(t, sig)
				return false
			case actCore:
				t.Flags |= PF_SIGNALED
				t.GroupLeader.FatalSignal, t.GroupLeader.FatalRIP = si, t.Regs.RIP
				// No core file is written (RLIMIT_CORE is 0, as by default
				// on Linux), so WCOREDUMP stays clear.
				k.DoGroupExit(t, killedStatus(sig))
				return false
			default:
				t.Flags |= PF_SIGNALED
				t.GroupLeader.FatalSignal, t.GroupLeader.FatalRIP = si, t.Regs.RIP
				k.DoGroupExit(t, killedStatus(sig))
				return false
			}
		}
		if err := k.setupRtFrame(t, sig, &si, &act); err != nil {
			// No room for the frame: SIGSEGV, like force_sigsegv.
			t.Flags |= PF_SIGNALED
			k.DoGroupExit(t, killedStatus(SIGSEGV))
			return false
		}
	}
}

// restartSyscall fixes up an interrupted system call before a handler runs
// or the task returns (handle_signal's restart logic).
func restartSyscall(t *Task, act *SigAction, haveHandler bool) {
	if !t.inSyscall {
		return
	}
	t.inSyscall = false
	ret := errno.Errno(-t.Regs.RAX)
	switch ret {
	case errno.ERESTARTNOHAND, errno.ERESTART_RESTARTBLOCK:
		if haveHandler {
			t.Regs.RAX = errno.EINTR.Negated()
			return
		}
	case errno.ERESTARTSYS:
		if haveHandler && act.Flags&SA_RESTART == 0 {
			t.Regs.RAX = errno.EINTR.Negated()
			return
		}
	case errno.ERESTARTNOINTR:
	default:
		return
	}
	// Run the system call again: back up over the 2-byte SYSCALL.
	t.Regs.RAX = t.origRAX
	t.Regs.RIP -= 2
}

// The x86-64 signal frame (struct rt_sigframe): the restorer address, a
// ucontext, a siginfo, then the FPU state.
const (
	ucFlagsOff           = 8
	ucStackOff           = 8 + 16
	ucMcontextOff        = 8 + 16 + 24
	ucSigmaskOff         = ucMcontextOff + 256
	siginfoOff           = ucSigmaskOff + 8 + 120 // uc_sigmask is followed by padding to 128 bytes
	frameSize            = siginfoOff + 128
	fpstateSize          = 512
	UC_FP_XSTATE         = 1
	UC_SIGCONTEXT_SS     = 2
	UC_STRICT_RESTORE_SS = 4
)

// setupRtFrame builds the signal frame on the user stack and points the
// task at the handler (setup_rt_frame): RDI=sig, RSI=&info, RDX=&uc.
func (k *Kernel) setupRtFrame(t *Task, sig int, si *SigInfo, act *SigAction) error {
	restartSyscall(t, act, true)
	tf := &t.Regs
	sp, _, ok := t.altStack.sigframeStack(tf.RSP, act.Flags&SA_ONSTACK != 0, fpstateSize+frameSize+64+16)
	if !ok {
		return errno.EFAULT // the frame would overflow the alternate stack
	}
	fpAddr := (sp - fpstateSize) &^ 63
	frame := ((fpAddr - frameSize) &^ 15) - 8 // as if just CALLed: rsp+8 is 16-aligned

	fp := fpuImage(tf)
	if err := t.copyOut(fpAddr, fp); err != nil {
		return err
	}
	b := make([]byte, frameSize)
	le := binary.LittleEndian
	if act.Flags&SA_RESTORER == 0 {
		return errno.EFAULT // no vDSO: musl and glibc always pass a restorer
	}
	le.PutUint64(b[0:], act.Restorer)
	le.PutUint64(b[ucFlagsOff:], UC_FP_XSTATE|UC_SIGCONTEXT_SS|UC_STRICT_RESTORE_SS)
	// save_altstack_ex: the stack and its state at the interrupted sp
	// (sas_ss_flags, without SS_AUTODISARM, as Linux saves it).
	copy(b[ucStackOff:], t.altStack.encode(t.altStack.ssFlags(tf.RSP)))
	if t.altStack.flags&SS_AUTODISARM != 0 {
		t.altStack = sigAltStack{} // sas_ss_reset: disarmed while the handler runs
	}
	mc := b[ucMcontextOff:]
	for i, r := range sigcontextRegs(tf) {
		le.PutUint64(mc[i*8:], r)
	}
	le.PutUint16(mc[18*8:], uint16(tf.CS))
	le.PutUint16(mc[18*8+6:], uint16(tf.SS))
	le.PutUint64(mc[19*8:], tf.ErrorCode)
	le.PutUint64(mc[20*8:], tf.Trapno)
	oldmask := t.Blocked
	if t.restoreSigmask {
		oldmask, t.restoreSigmask = t.savedSigmask, false
	}
	le.PutUint64(mc[21*8:], uint64(oldmask))
	le.PutUint64(mc[22*8:], tf.CR2)
	le.PutUint64(mc[23*8:], fpAddr)
	le.PutUint64(b[ucSigmaskOff:], uint64(oldmask))
	copy(b[siginfoOff:], si.encode())
	if err := t.copyOut(frame, b); err != nil {
		return err
	}

	tf.RSP = frame
	tf.RIP = act.Handler
	tf.RDI = uint64(sig)
	tf.RSI = frame + siginfoOff
	tf.RDX = frame + 8
	tf.RAX = 0
	tf.SetUserFlags(tf.RFLAGS &^ (arch.FlagDF | arch.FlagTF))
	arch.InitFPU(tf)

	t.Blocked |= act.Mask
	if act.Flags&SA_NODEFER == 0 {
		t.Blocked |= Bit(sig)
	}
	t.Blocked &^= unblockable
	return nil
}

// sysRtSigreturn restores the context saved by setupRtFrame.
func sysRtSigreturn(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	tf := &t.Regs
	frame := tf.RSP - 8 // the handler's RET popped the restorer address
	b, err := t.copyIn(frame, frameSize)
	if err != nil {
		k.ForceSig(t, SigInfo{Signo: SIGSEGV, Code: SI_KERNEL})
		return 0, errJustReturn
	}
	le := binary.LittleEndian
	mc := b[ucMcontextOff:]
	r := func(i int) uint64 { return le.Uint64(mc[i*8:]) }
	tf.R8, tf.R9, tf.R10, tf.R11 = r(0), r(1), r(2), r(3)
	tf.R12, tf.R13, tf.R14, tf.R15 = r(4), r(5), r(6), r(7)
	tf.RDI, tf.RSI, tf.RBP, tf.RBX = r(8), r(9), r(10), r(11)
	tf.RDX, tf.RAX, tf.RCX, tf.RSP = r(12), r(13), r(14), r(15)
	tf.RIP = r(16)
	tf.SetUserFlags(r(17))
	t.Blocked = SigSet(le.Uint64(b[ucSigmaskOff:])) &^ unblockable
	// restore_altstack: the settings saved in uc_stack come back (errors
	// other than a fault are ignored, as Linux squashes them).
	us := b[ucStackOff:]
	_ = t.altStack.set(tf.RSP, le.Uint64(us[0:]), le.Uint32(us[8:]), le.Uint64(us[16:]))
	if fpAddr := r(23); fpAddr != 0 {
		fp, err := t.copyIn(fpAddr, fpstateSize)
		if err != nil {
			k.ForceSig(t, SigInfo{Signo: SIGSEGV, Code: SI_KERNEL})
			return 0, errJustReturn
		}
		// MXCSR reserved bits would make FXRSTOR fault in the kernel.
		mx := le.Uint32(fp[24:]) & 0xffff
		le.PutUint32(fp[24:], mx)
		setFPUImage(tf, fp)
	}
	t.inSyscall = false // orig_ax = -1: no restart fix-up for the restored RAX
	return 0, errJustReturn
}

// sysRtSigsuspend waits for a signal with a temporary mask; the old mask
// comes back when the handler returns (set_restore_sigmask).
func sysRtSigsuspend(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if !t.restart.armed {
		if a[1] != 8 {
			return 0, errno.EINVAL
		}
		v, err := t.getUint64(a[0])
		if err != nil {
			return 0, err
		}
		t.savedSigmask, t.restoreSigmask = t.Blocked, true
		t.Blocked = SigSet(v) &^ unblockable
		t.restart.armed = true
	}
	if k.signalPending(t) {
		t.restart.armed = false
		return 0, errno.ERESTARTNOHAND
	}
	t.SetState(TASK_INTERRUPTIBLE)
	return 0, errBlock
}
