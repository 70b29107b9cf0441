package proc

import (
	"encoding/binary"
	"strconv"

	arch "tamix/arch/amd64"
	"tamix/errno"
)

func init() {
	syscallTable[SYS_fork] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.sysClone(t, CloneArgs{ExitSignal: SIGCHLD})
	}
	syscallTable[SYS_vfork] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.sysClone(t, CloneArgs{Flags: CLONE_VFORK | CLONE_VM, ExitSignal: SIGCHLD})
	}
	syscallTable[SYS_clone] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		// x86-64 order: flags, newsp, parent_tidptr, child_tidptr, tls.
		// CLONE_PIDFD stores the pidfd at parent_tidptr too.
		return k.sysClone(t, CloneArgs{Flags: a[0] &^ CSIGNAL, ExitSignal: int(a[0] & CSIGNAL),
			Stack: a[1], ParentTID: a[2], ChildTID: a[3], TLS: a[4], PidFD: a[2]})
	}
	syscallTable[SYS_execve] = sysExecve
	syscallTable[SYS_wait4] = sysWait4
	syscallTable[SYS_getrusage] = sysGetrusage
}

func (k *Kernel) sysClone(t *Task, args CloneArgs) (uint64, error) {
	if args.ExitSignal != 0 && !validSignal(args.ExitSignal) {
		return 0, errno.EINVAL
	}
	if args.Flags&CLONE_THREAD != 0 {
		args.ExitSignal = -1
	}
	// The child resumes after the SYSCALL with RAX = 0.
	t.Regs.RAX = 0
	child, err := k.KernelClone(t, args)
	if err != nil {
		return 0, err
	}
	if args.Flags&CLONE_VFORK != 0 {
		// The parent waits until the child execs or exits (wait_for_vfork_done).
		done := child.vforkDone
		if done != nil {
			t.vforkWait = done
			return uint64(child.PID), k.vforkSleep(t)
		}
	}
	return uint64(child.PID), nil
}

// vforkSleep parks a vfork parent until the child releases the mm.
func (k *Kernel) vforkSleep(t *Task) error {
	select {
	case <-t.vforkWait:
		t.vforkWait = nil
		return nil
	default:
	}
	t.SetState(TASK_UNINTERRUPTIBLE)
	ch := t.vforkWait
	go func() { <-ch; k.WakeUp(t) }()
	return errBlock
}

func sysExecve(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	return k.doExecve(t, AT_FDCWD, a[0], a[1], a[2], 0)
}

// doExecve is do_execveat_common: the program is resolved in the
// namespace from dfd, loaded, and installed once the other threads are
// gone (de_thread).
func (k *Kernel) doExecve(t *Task, dfd int, pathVA, argvVA, envpVA uint64, flags int) (uint64, error) {
	if t.execImg == nil {
		if err := k.execNprocCheck(t); err != nil {
			return 0, err
		}
		filename, err := t.getname(pathVA, flags&AT_EMPTY_PATH != 0)
		if err != nil {
			return 0, err
		}
		argv, err := t.copyInStrings(argvVA)
		if err != nil {
			return 0, err
		}
		envp, err := t.copyInStrings(envpVA)
		if err != nil {
			return 0, err
		}
		target, err := k.resolveExec(t, dfd, filename, flags)
		if err != nil {
			return 0, err
		}
		if filename == "" {
			filename = "/dev/fd/" + strconv.Itoa(dfd) // bprm->filename for fexecve
		}
		img, err := k.prepareExec(t, filename, target, argv, envp)
		if err != nil {
			return 0, err // the other threads live on
		}
		t.execImg = img
		k.killOtherThreads(t)
	}
	if !k.deThread(t) {
		return 0, errBlock // woken as each other thread exits
	}
	img := t.execImg
	t.execImg = nil
	k.commitExec(t, img)
	return 0, errJustReturn
}

func sysWait4(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	pid, options := int(int32(a[0])), int(uint32(a[2]))
	// kernel_wait4: WNOWAIT and WEXITED are waitid's only.
	if options&^(WNOHANG|WUNTRACED|WCONTINUED|WNOTHREAD|WALL|WCLONE) != 0 {
		return 0, errno.EINVAL
	}
	if pid == -(1 << 31) {
		return 0, errno.ESRCH
	}
	res, ok, err := k.waitOrSleep(t, waitSelOf(t, pid), options|WEXITED)
	if err != nil || !ok {
		return 0, err
	}
	if a[1] != 0 {
		if err := t.putInt32(a[1], int32(res.Status)); err != nil {
			return 0, err
		}
	}
	if a[3] != 0 {
		if err := t.copyOut(a[3], encodeRusage(res.Utime, res.Stime, res.MinFlt, res.MajFlt, 0, 0)); err != nil {
			return 0, err
		}
	}
	return uint64(res.PID), nil
}

// waitOrSleep is do_wait's loop for wait4 and waitid: it reports a child
// (ok), or nothing with WNOHANG, or puts t to sleep on its process's
// wait_chldexit queue (errBlock) until a child changes state or a signal
// comes (ERESTARTSYS).
func (k *Kernel) waitOrSleep(t *Task, sel waitSel, options int) (WaitResult, bool, error) {
	q := &t.GroupLeader.WaitChldExit
	q.Remove(&t.waiter) // still queued if a signal, not a child, woke us
	k.prepareToWait(t, q)
	res, ok, err := k.doWaitSel(t, sel, options)
	if err != nil || ok || options&WNOHANG != 0 {
		k.finishWait(t, q)
		return res, ok, err
	}
	if k.signalPending(t) {
		k.finishWait(t, q)
		return res, false, errno.ERESTARTSYS
	}
	return res, false, errBlock
}

// getrusage who.
const (
	RUSAGE_SELF     = 0
	RUSAGE_CHILDREN = -1
	RUSAGE_THREAD   = 1
)

// encodeRusage lays out struct rusage (144 bytes).
func encodeRusage(utime, stime int64, minflt, majflt, nvcsw, nivcsw uint64) []byte {
	b := make([]byte, 144)
	le := binary.LittleEndian
	le.PutUint64(b[0:], uint64(utime/1e9))
	le.PutUint64(b[8:], uint64(utime%1e9/1e3))
	le.PutUint64(b[16:], uint64(stime/1e9))
	le.PutUint64(b[24:], uint64(stime%1e9/1e3))
	le.PutUint64(b[32+4*8:], minflt)  // ru_minflt
	le.PutUint64(b[32+5*8:], majflt)  // ru_majflt
	le.PutUint64(b[32+12*8:], nvcsw)  // ru_nvcsw
	le.PutUint64(b[32+13*8:], nivcsw) // ru_nivcsw
	return b
}

func sysGetrusage(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var b []byte
	switch int(int32(a[0])) {
	case RUSAGE_SELF:
		ut, st := k.groupCPUTime(t)
		var mi, ma, nv, ni uint64
		for _, th := range k.threadsOf(t) {
			mi, ma = mi+th.MinFlt, ma+th.MajFlt
			nv, ni = nv+th.Nvcsw, ni+th.Nivcsw
		}
		b = encodeRusage(ut, st, mi, ma, nv, ni)
	case RUSAGE_THREAD:
		b = encodeRusage(t.Utime, t.Stime, t.MinFlt, t.MajFlt, t.Nvcsw, t.Nivcsw)
	case RUSAGE_CHILDREN:
		s := t.Signal
		b = encodeRusage(s.CUtime, s.CStime, s.CMinFlt, s.CMajFlt, 0, 0)
	default:
		return 0, errno.EINVAL
	}
	return 0, t.copyOut(a[1], b)
}

// DoGroupExit ends every thread of t's group with code (do_group_exit).
func (k *Kernel) DoGroupExit(t *Task, code int) {
	t.Sighand.mu.Lock()
	if t.Signal.GroupExit {
		code = t.Signal.GroupExitCode
	} else {
		t.Signal.GroupExit = true
		t.Signal.sigpending.Store(true)
		t.Signal.GroupExitCode = code
	}
	t.Sighand.mu.Unlock()
	for _, th := range k.threadsOf(t) {
		if th != t {
			k.SendSignalInfo(th, SigInfo{Signo: SIGKILL, Code: SI_KERNEL}, false)
		}
	}
	k.DoExit(t, code)
}

// killOtherThreads starts de_thread: every other thread of t's group is
// killed (it dies on its way back to user mode, or is woken from its sleep
// to do so), and t is named the thread that waits for them.
func (k *Kernel) killOtherThreads(t *Task) {
	k.tasklistLock.Lock()
	t.Signal.execWaiter = t
	k.tasklistLock.Unlock()
	for _, th := range k.threadsOf(t) {
		if th != t {
			th.Sighand.mu.Lock()
			th.zapped = true
			th.sigpending.Store(true)
			th.Sighand.mu.Unlock()
			k.signalWake(th)
		}
	}
}

// deThread finishes de_thread once every other thread of t's group has
// exited; until then it reports false with t asleep, and exitNotify wakes
// it as each one goes. A thread other than the leader then takes over the
// leader's PID and place in the process tree, and the old leader (a
// zombie nobody was told of) is released, as exchange_tids and
// release_task do.
func (k *Kernel) deThread(t *Task) bool {
	t.SetState(TASK_UNINTERRUPTIBLE)
	k.tasklistLock.Lock()
	for _, p := range k.pids.tasks {
		if p != t && p.TGID == t.TGID && p.ExitState == 0 {
			k.tasklistLock.Unlock()
			return false
		}
	}
	t.Signal.execWaiter = nil
	var old *Task
	if !t.ThreadGroupLeader() {
		old = t.GroupLeader
		k.pids.tasks[old.PID], k.pids.tasks[t.PID] = t, old
		t.PID, old.PID = old.PID, t.PID
		t.GroupLeader, old.GroupLeader = t, t
		t.realParent.Store(old.RealParent())
		t.Parent = old.Parent
		t.ExitSignal, old.ExitSignal = old.ExitSignal, -1
		t.StartTime = old.StartTime
		old.ExitState = EXIT_DEAD
	}
	k.tasklistLock.Unlock()
	t.piLock.Lock()
	t.SetState(TASK_RUNNING)
	t.piLock.Unlock()
	if old != nil {
		k.releaseTask(old)
	}
	return true
}

func fpuImage(tf *arch.TrapFrame) []byte { return append([]byte(nil), tf.FXSAVE()...) }

func setFPUImage(tf *arch.TrapFrame, b []byte) { copy(tf.FXSAVE(), b) }
