package proc

import (
	"errors"

	arch "tamix/arch/amd64"
	"tamix/errno"
	"tamix/mm"
)

// si_code values for faults.
const (
	ILL_ILLOPC = 1
	FPE_FLTDIV = 3
	FPE_INTOVF = 2
	BUS_ADRALN = 1
	TRAP_TRACE = 2
)

// HandleTrap handles a system call or an exception that brought t out of
// ring 3 (trapno as arch.Enter returned it). Interrupts are the loop's
// business and are ignored here.
func (k *Kernel) HandleTrap(t *Task, trapno uint64) {
	if trapno == arch.TrapSyscall {
		k.HandleSyscall(t)
		return
	}
	k.handleException(t, trapno)
}

// HandleSyscall runs the system call t trapped with (do_syscall_64) and
// reports whether t may go straight back to user mode: true when the call
// left no exit work, as syscall_exit_to_user_mode finds the work flags
// clear. When false, PrepareToRun must run first.
func (k *Kernel) HandleSyscall(t *Task) (fast bool) {
	t.inSyscall = true
	if fast = k.Syscall(t); fast {
		t.inSyscall = false
	}
	return fast
}

// handleException turns a CPU exception in ring 3 into what Linux does
// with it: a page-fault resolution or a signal.
func (k *Kernel) handleException(t *Task, trapno uint64) {
	tf := &t.Regs
	switch trapno {
	case arch.VecPageFault:
		k.pageFault(t, tf.CR2, tf.ErrorCode)
	case arch.VecDivide:
		k.ForceSig(t, SigInfo{Signo: SIGFPE, Code: FPE_INTDIV, Addr: tf.RIP})
	case arch.VecDebug:
		k.ForceSig(t, SigInfo{Signo: SIGTRAP, Code: TRAP_TRACE, Addr: tf.RIP})
	case arch.VecBreakpoint:
		// RIP is past the int3, as Linux reports it; si_code SI_KERNEL.
		k.ForceSig(t, SigInfo{Signo: SIGTRAP, Code: SI_KERNEL})
	case arch.VecOverflow, arch.VecBound:
		k.ForceSig(t, SigInfo{Signo: SIGSEGV, Code: SI_KERNEL})
	case arch.VecInvalidOp:
		k.ForceSig(t, SigInfo{Signo: SIGILL, Code: ILL_ILLOPN, Addr: tf.RIP})
	case arch.VecGPF, arch.VecInvalidTSS:
		// hlt, privileged or non-canonical accesses: SIGSEGV, si_code
		// SI_KERNEL, address 0 (do_general_protection).
		k.ForceSig(t, SigInfo{Signo: SIGSEGV, Code: SI_KERNEL})
	case arch.VecSegNotPres, arch.VecStackFault:
		k.ForceSig(t, SigInfo{Signo: SIGBUS, Code: SI_KERNEL})
	case arch.VecAlignment:
		k.ForceSig(t, SigInfo{Signo: SIGBUS, Code: BUS_ADRALN, Addr: tf.CR2})
	case arch.VecX87, arch.VecSIMD:
		k.ForceSig(t, SigInfo{Signo: SIGFPE, Code: FPE_FLTDIV, Addr: tf.RIP})
	case arch.VecDeviceNA, arch.VecMachineCheck, arch.VecDoubleFault:
		k.ForceSig(t, SigInfo{Signo: SIGSEGV, Code: SI_KERNEL})
	default:
		if trapno < 32 {
			k.ForceSig(t, SigInfo{Signo: SIGSEGV, Code: SI_KERNEL})
		}
	}
}

// pageFault resolves a user #PF through mm (demand paging, COW, stack
// growth) or sends the signal mm says (do_user_addr_fault).
func (k *Kernel) pageFault(t *Task, addr, code uint64) {
	res, err := t.MM.HandleFault(addr, mm.AccessFromErrorCode(code)|mm.AccessUser)
	if err == nil {
		if res.Major() {
			t.MajFlt++
		} else {
			t.MinFlt++
		}
		return
	}
	var fe *mm.FaultError
	if errors.As(err, &fe) {
		k.ForceSig(t, SigInfo{Signo: int32(fe.Signal), Code: int32(fe.Code), Addr: fe.Addr})
		return
	}
	k.ForceSig(t, SigInfo{Signo: SIGSEGV, Code: SEGV_MAPERR, Addr: addr})
}

// PrepareToRun does what Linux does on the way back to user mode
// (exit_to_user_mode_prepare): it re-runs a system call the task slept in,
// delivers signals and fixes up interrupted calls. It reports whether t can
// enter ring 3 now; if not, t went to sleep again or died.
func (k *Kernel) PrepareToRun(t *Task) bool {
	// Most returns have no work to do: check the work flags first, as
	// exit_to_user_mode_prepare tests EXIT_TO_USER_MODE_WORK.
	if t.exitWork() {
		return k.prepareToRunSlow(t)
	}
	t.inSyscall = false
	return true
}

// exitWork reports whether the way back to user mode has work: a system
// call to re-run, a signal that may be pending, a restart fix-up, a mask to
// restore, an exit, or CPU interval timers to check.
func (t *Task) exitWork() bool {
	return t.pending || t.notifyWork() || t.inSyscall && errno.IsRestart(t.Regs.RAX)
}

// notifyWork is the part of exitWork any return to user mode checks, a
// system call's fast path too (Linux's _TIF_* work flags): an exit, a
// signal that may be pending, a mask to restore, CPU interval timers.
func (t *Task) notifyWork() bool {
	return t.Flags&PF_EXITING != 0 || t.restoreSigmask || t.sigpending.Load() ||
		t.Signal.sigpending.Load() || t.Signal.it.cpuArmed.Load() || t.Signal.posix.cpuArmed.Load()
}

func (k *Kernel) prepareToRunSlow(t *Task) bool {
	if t.Flags&PF_EXITING != 0 {
		return false
	}
	if t.Signal.it.cpuArmed.Load() {
		// ITIMER_VIRTUAL/PROF: the tick that charged t's CPU time
		// brought it here (run_posix_cpu_timers).
		k.checkCPUItimers(t)
	}
	if t.Signal.posix.cpuArmed.Load() {
		k.checkPosixCPUTimers(t) // POSIX timers on CPU clocks, likewise
	}
	if t.pending {
		k.Syscall(t)
		if t.pending || t.Flags&PF_EXITING != 0 {
			return false
		}
	}
	if k.signalPending(t) || t.zapped {
		if !k.DoSignal(t) {
			return false
		}
	}
	restartSyscall(t, nil, false)
	if t.restoreSigmask {
		// No handler ran after sigsuspend: restore the mask now.
		t.Blocked, t.restoreSigmask = t.savedSigmask, false
	}
	return true
}

// Exited reports whether t has gone through do_exit.
func (t *Task) Exited() bool { return t.Flags&PF_EXITING != 0 }

// Sleeping reports whether t left the runqueue's running state (it sleeps
// and the loop must switch away).
func (t *Task) Sleeping() bool { return t.State() != TASK_RUNNING }

// Claim marks t as being run by a CPU loop (p->on_cpu); false if another
// loop has it.
func (t *Task) Claim() bool { return t.running.CompareAndSwap(false, true) }

// Unclaim releases Claim.
func (t *Task) Unclaim() { t.running.Store(false) }
