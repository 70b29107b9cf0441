package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/mm"
)

// Tests of waitid, prctl, the rlimit calls and rt_sigtimedwait.

// siginfo is the part of a siginfo_t that waitid and rt_sigtimedwait fill.
type siginfo struct{ signo, errno, code, pid, uid, status int32 }

func (u *utask) siginfo(va uint64) siginfo {
	b := u.read(va, 28)
	g := func(off int) int32 { return int32(binary.LittleEndian.Uint32(b[off:])) }
	return siginfo{g(0), g(4), g(8), g(16), g(20), g(24)}
}

// filled returns n bytes of user memory set to 0xff.
func (u *utask) filled(n int) uint64 {
	b := make([]byte, n)
	for i := range b {
		b[i] = 0xff
	}
	return u.bytes(b)
}

func (u *utask) u64s(v ...uint64) uint64 {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, x)
	}
	return u.bytes(b)
}

// badVA is an address with nothing mapped.
const badVA = 0x10

func TestWaitidArgumentErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	open, _ := u.mkpipe(t, 0)
	tests := []struct {
		name            string
		idtype, id, opt uint64
		want            error
	}{
		{"no WEXITED, WSTOPPED or WCONTINUED", P_ALL, 0, 0, errno.EINVAL},
		{"WNOHANG alone", P_ALL, 0, WNOHANG, errno.EINVAL},
		{"unknown option bit", P_ALL, 0, WEXITED | 0x10, errno.EINVAL},
		{"P_PID 0", P_PID, 0, WEXITED, errno.EINVAL},
		{"P_PID negative", P_PID, uint64(0xffffffff), WEXITED, errno.EINVAL},
		{"P_PGID negative", P_PGID, uint64(0xfffffffe), WEXITED, errno.EINVAL},
		{"unknown idtype", 7, 0, WEXITED, errno.EINVAL},
		{"P_PIDFD negative", P_PIDFD, uint64(0xffffffff), WEXITED, errno.EINVAL},
		{"P_PIDFD closed fd", P_PIDFD, 50, WEXITED, errno.EBADF},
		{"P_PIDFD not a pidfd", P_PIDFD, uint64(open), WEXITED, errno.EBADF},
		{"no children", P_ALL, 0, WEXITED, errno.ECHILD},
		{"no such child", P_PID, 4000, WEXITED, errno.ECHILD},
		{"no children, WNOHANG", P_ALL, 0, WEXITED | WNOHANG, errno.ECHILD},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			info := u.filled(32)
			_, err := u.call(SYS_waitid, tc.idtype, tc.id, info, tc.opt, 0)
			assert.Equal(t, tc.want, err)
			assert.Equal(t, siginfo{}, u.siginfo(info), "the fields are zeroed on errors too")
			assert.Equal(t, []byte{0xff, 0xff, 0xff, 0xff}, u.read(info+12, 4), "padding untouched")
			assert.Equal(t, []byte{0xff, 0xff, 0xff, 0xff}, u.read(info+28, 4), "the rest untouched")
		})
	}
	_, err := u.call(SYS_waitid, P_ALL, 0, badVA, WEXITED, 0)
	assert.Equal(t, errno.EFAULT, err, "ECHILD, then a bad infop")
}

func TestWaitidExited(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		code, stat int32
	}{
		{"exit 42", exitStatus(42), CLD_EXITED, 42},
		{"exit 0", exitStatus(0), CLD_EXITED, 0},
		{"killed", killedStatus(SIGTERM), CLD_KILLED, SIGTERM},
		{"dumped", killedStatus(SIGSEGV) | 0x80, CLD_DUMPED, SIGSEGV},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			p := h.newTask(t)
			c := h.fork(t, p.Task)
			pid := c.PID
			h.k.DoExit(c.Task, tc.status)
			want := siginfo{signo: SIGCHLD, code: tc.code, pid: int32(pid), status: tc.stat}

			info := p.filled(128)
			ret, err := p.call(SYS_waitid, P_ALL, 0, info, WEXITED|WNOWAIT, 0)
			require.NoError(t, err)
			assert.Zero(t, ret)
			assert.Equal(t, want, p.siginfo(info), "WNOWAIT reports")
			assert.NotNil(t, h.k.FindTask(pid), "WNOWAIT leaves the zombie")

			ru := p.filled(144)
			info = p.filled(128)
			_, err = p.call(SYS_waitid, P_PID, uint64(pid), info, WEXITED, ru)
			require.NoError(t, err)
			assert.Equal(t, want, p.siginfo(info), "then the real wait")
			assert.Equal(t, make([]byte, 16), p.read(ru+32, 16), "rusage written")
			assert.Nil(t, h.k.FindTask(pid), "reaped")

			_, err = p.call(SYS_waitid, P_PID, uint64(pid), info, WEXITED, 0)
			assert.Equal(t, errno.ECHILD, err)
		})
	}
}

func TestWaitidNothingReady(t *testing.T) {
	h := newHarness(t)
	p := h.newTask(t)
	c := h.fork(t, p.Task)
	info := p.filled(128)
	ret, err := p.call(SYS_waitid, P_ALL, 0, info, WEXITED|WNOHANG, 0)
	require.NoError(t, err)
	assert.Zero(t, ret)
	assert.Equal(t, siginfo{}, p.siginfo(info), "WNOHANG with nothing ready zeroes the fields")

	// A zombie is no news without WEXITED, but it still is a child.
	h.k.DoExit(c.Task, exitStatus(1))
	info = p.filled(128)
	_, err = p.call(SYS_waitid, P_ALL, 0, info, WSTOPPED|WCONTINUED|WNOHANG, 0)
	require.NoError(t, err)
	assert.Equal(t, siginfo{}, p.siginfo(info))
	assert.NotNil(t, h.k.FindTask(c.PID), "not reaped")

	// infop may be NULL.
	ret, err = p.call(SYS_waitid, P_ALL, 0, 0, WEXITED, 0)
	require.NoError(t, err)
	assert.Zero(t, ret)
	assert.Nil(t, h.k.FindTask(c.PID), "reaped")
}

func TestWaitidSleepsUntilChildExits(t *testing.T) {
	h := newHarness(t)
	p := h.newTask(t)
	c := h.fork(t, p.Task)
	info := p.alloc(128)
	_, err := p.call(SYS_waitid, P_PID, uint64(c.PID), info, WEXITED, 0)
	require.ErrorIs(t, err, errBlock)
	assert.True(t, p.sleeping())
	h.k.DoExit(c.Task, exitStatus(7))
	assert.False(t, p.sleeping(), "the exit woke the waiter")
	_, err = p.call(SYS_waitid, P_PID, uint64(c.PID), info, WEXITED, 0)
	require.NoError(t, err)
	assert.Equal(t, siginfo{signo: SIGCHLD, code: CLD_EXITED, pid: int32(c.PID), status: 7}, p.siginfo(info))
	assert.Zero(t, p.GroupLeader.WaitChldExit.Len(), "off the queue")

	// A signal ends the sleep with ERESTARTSYS.
	c2 := h.fork(t, p.Task)
	_, err = p.call(SYS_waitid, P_ALL, 0, info, WEXITED, 0)
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(p.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	assert.False(t, p.sleeping())
	_, err = p.call(SYS_waitid, P_ALL, 0, info, WEXITED, 0)
	assert.Equal(t, errno.ERESTARTSYS, err)
	assert.Zero(t, p.GroupLeader.WaitChldExit.Len())
	_ = c2
}

func TestWaitidByProcessGroup(t *testing.T) {
	h := newHarness(t)
	p := h.newTask(t)
	p.Signal.Pgrp = p.PID
	same := h.fork(t, p.Task)
	other := h.fork(t, p.Task)
	other.Signal.Pgrp = other.PID
	h.k.DoExit(same.Task, exitStatus(1))
	h.k.DoExit(other.Task, exitStatus(2))
	info := p.alloc(128)

	_, err := p.call(SYS_waitid, P_PGID, uint64(other.PID), info, WEXITED, 0)
	require.NoError(t, err)
	assert.Equal(t, int32(other.PID), p.siginfo(info).pid)
	_, err = p.call(SYS_waitid, P_PGID, 0, info, WEXITED, 0)
	require.NoError(t, err)
	assert.Equal(t, int32(same.PID), p.siginfo(info).pid, "P_PGID 0 is the caller's group")
	_, err = p.call(SYS_waitid, P_PGID, 0, info, WEXITED, 0)
	assert.Equal(t, errno.ECHILD, err)
}

func TestWaitidStoppedAndContinued(t *testing.T) {
	h := newHarness(t)
	p := h.newTask(t)
	c := h.fork(t, p.Task)
	info := p.alloc(128)
	h.k.SendSignalInfo(c.Task, SigInfo{Signo: SIGSTOP, Code: SI_USER}, true)
	require.False(t, h.k.DoSignal(c.Task))
	require.True(t, c.Signal.Stopped)

	stopped := siginfo{signo: SIGCHLD, code: CLD_STOPPED, pid: int32(c.PID), status: SIGSTOP}
	_, err := p.call(SYS_waitid, P_ALL, 0, info, WEXITED|WNOHANG, 0)
	require.NoError(t, err)
	assert.Equal(t, siginfo{}, p.siginfo(info), "a stop is not reported without WSTOPPED")
	for i := 0; i < 2; i++ {
		_, err = p.call(SYS_waitid, P_PID, uint64(c.PID), info, WSTOPPED|WNOWAIT, 0)
		require.NoError(t, err)
		assert.Equal(t, stopped, p.siginfo(info), "WNOWAIT: reported again")
	}
	_, err = p.call(SYS_waitid, P_PID, uint64(c.PID), info, WSTOPPED, 0)
	require.NoError(t, err)
	assert.Equal(t, stopped, p.siginfo(info))
	_, err = p.call(SYS_waitid, P_PID, uint64(c.PID), info, WSTOPPED|WNOHANG, 0)
	require.NoError(t, err)
	assert.Equal(t, siginfo{}, p.siginfo(info), "reported once")

	h.k.SendSignalInfo(c.Task, SigInfo{Signo: SIGCONT, Code: SI_USER}, true)
	_, err = p.call(SYS_waitid, P_ALL, 0, info, WCONTINUED|WNOHANG, 0)
	require.NoError(t, err)
	assert.Equal(t, siginfo{signo: SIGCHLD, code: CLD_CONTINUED, pid: int32(c.PID), status: SIGCONT}, p.siginfo(info))
	_, err = p.call(SYS_waitid, P_ALL, 0, info, WCONTINUED|WNOHANG, 0)
	require.NoError(t, err)
	assert.Equal(t, siginfo{}, p.siginfo(info))
}

func TestWait4Options(t *testing.T) {
	h := newHarness(t)
	p := h.newTask(t)
	c := h.fork(t, p.Task)
	h.k.DoExit(c.Task, exitStatus(3))
	for _, opt := range []uint64{WNOWAIT, WEXITED, 0x10} {
		_, err := p.call(SYS_wait4, uint64(c.PID), 0, opt, 0)
		assert.Equal(t, errno.EINVAL, err, "wait4 option %#x", opt)
	}
	st := p.alloc(4)
	pid, err := p.call(SYS_wait4, ^uint64(0), st, WALL, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(c.PID), pid)
	assert.Equal(t, uint32(3<<8), p.u32(st))
}

// newThread makes a thread of u's process (clone with CLONE_THREAD).
func (h *harness) newThread(t *testing.T, u *utask) *utask {
	th, err := h.k.copyProcess(u.Task, CloneArgs{Flags: CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_FILES})
	require.NoError(t, err)
	h.k.WakeUpNewTask(th)
	return &utask{Task: th, h: h, base: u.base, next: u.next}
}

func TestWaitForChildOfAnotherThread(t *testing.T) {
	h := newHarness(t)
	p := h.newTask(t)
	th := h.newThread(t, p)
	c := h.fork(t, th.Task)
	assert.Equal(t, uint64(p.TGID), mustCall(t, c, SYS_getppid))
	h.k.DoExit(c.Task, exitStatus(5))
	info := p.alloc(128)
	_, err := p.call(SYS_waitid, P_ALL, 0, info, WEXITED|WNOTHREAD, 0)
	assert.Equal(t, errno.ECHILD, err, "__WNOTHREAD: only the caller's own children")
	_, err = th.call(SYS_waitid, P_ALL, 0, info, WEXITED|WNOTHREAD|WNOWAIT, 0)
	require.NoError(t, err, "the thread sees its own child")
	_, err = p.call(SYS_waitid, P_ALL, 0, info, WEXITED, 0)
	require.NoError(t, err, "the leader waits for the thread's child")
	assert.Equal(t, int32(c.PID), p.siginfo(info).pid)
}

func mustCall(t *testing.T, u *utask, nr uint64, args ...uint64) uint64 {
	t.Helper()
	r, err := u.call(nr, args...)
	require.NoError(t, err)
	return r
}

func TestPrctlName(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	tests := []struct{ set, want string }{
		{"worker", "worker"},
		{"", ""},
		{"exactly15bytes!", "exactly15bytes!"},
		{"a-name-longer-than-sixteen", "a-name-longer-t"},
	}
	for _, tc := range tests {
		mustCall(t, u, SYS_prctl, PR_SET_NAME, u.str(tc.set))
		buf := u.filled(TASK_COMM_LEN)
		mustCall(t, u, SYS_prctl, PR_GET_NAME, buf)
		want := make([]byte, TASK_COMM_LEN)
		copy(want, tc.want)
		assert.Equal(t, want, u.read(buf, TASK_COMM_LEN), "PR_GET_NAME after %q", tc.set)
		assert.Equal(t, tc.want, u.Comm())
	}
	// A name at the very end of the mapping: only its bytes are read.
	end := u.base + scratchSize - 4
	require.NoError(t, u.MM.CopyOut(end, []byte("end\x00")))
	mustCall(t, u, SYS_prctl, PR_SET_NAME, end)
	assert.Equal(t, "end", u.Comm())
	require.NoError(t, u.MM.CopyOut(end, []byte("endx")))
	_, err := u.call(SYS_prctl, PR_SET_NAME, end)
	assert.Equal(t, errno.EFAULT, err, "no NUL before the end of the mapping")
	_, err = u.call(SYS_prctl, PR_SET_NAME, badVA)
	assert.Equal(t, errno.EFAULT, err)
	_, err = u.call(SYS_prctl, PR_GET_NAME, badVA)
	assert.Equal(t, errno.EFAULT, err)

	mustCall(t, u, SYS_prctl, PR_SET_NAME, u.str("parent"))
	c := h.fork(t, u.Task)
	assert.Equal(t, "parent", c.Comm(), "fork copies comm")
}

func TestPrctlOptions(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	out := u.alloc(4)
	get := func(opt uint64) int32 {
		mustCall(t, u, SYS_prctl, opt, out)
		return int32(u.u32(out))
	}
	tests := []struct {
		name string
		args []uint64
		ret  uint64
		err  error
	}{
		{"PR_SET_PDEATHSIG 65", []uint64{PR_SET_PDEATHSIG, 65}, 0, errno.EINVAL},
		{"PR_SET_PDEATHSIG huge", []uint64{PR_SET_PDEATHSIG, 1 << 32}, 0, errno.EINVAL},
		{"PR_SET_PDEATHSIG 64", []uint64{PR_SET_PDEATHSIG, 64}, 0, nil},
		{"PR_SET_PDEATHSIG SIGUSR1", []uint64{PR_SET_PDEATHSIG, SIGUSR1}, 0, nil},
		{"PR_GET_PDEATHSIG bad pointer", []uint64{PR_GET_PDEATHSIG, badVA}, 0, errno.EFAULT},
		{"PR_GET_DUMPABLE", []uint64{PR_GET_DUMPABLE}, 1, nil},
		{"PR_SET_DUMPABLE 2", []uint64{PR_SET_DUMPABLE, 2}, 0, errno.EINVAL},
		{"PR_SET_DUMPABLE 0", []uint64{PR_SET_DUMPABLE, 0}, 0, nil},
		{"PR_GET_DUMPABLE after 0", []uint64{PR_GET_DUMPABLE}, 0, nil},
		{"PR_GET_NO_NEW_PRIVS", []uint64{PR_GET_NO_NEW_PRIVS}, 0, nil},
		{"PR_GET_NO_NEW_PRIVS arg2", []uint64{PR_GET_NO_NEW_PRIVS, 1}, 0, errno.EINVAL},
		{"PR_SET_NO_NEW_PRIVS 0", []uint64{PR_SET_NO_NEW_PRIVS, 0}, 0, errno.EINVAL},
		{"PR_SET_NO_NEW_PRIVS arg3", []uint64{PR_SET_NO_NEW_PRIVS, 1, 1}, 0, errno.EINVAL},
		{"PR_SET_NO_NEW_PRIVS arg5", []uint64{PR_SET_NO_NEW_PRIVS, 1, 0, 0, 1}, 0, errno.EINVAL},
		{"PR_SET_NO_NEW_PRIVS", []uint64{PR_SET_NO_NEW_PRIVS, 1}, 0, nil},
		{"PR_GET_NO_NEW_PRIVS after", []uint64{PR_GET_NO_NEW_PRIVS}, 1, nil},
		{"PR_SET_CHILD_SUBREAPER", []uint64{PR_SET_CHILD_SUBREAPER, 7}, 0, nil},
		{"PR_GET_CHILD_SUBREAPER bad pointer", []uint64{PR_GET_CHILD_SUBREAPER, badVA}, 0, errno.EFAULT},
		{"unknown option", []uint64{12345}, 0, errno.EINVAL},
		{"negative option", []uint64{^uint64(0)}, 0, errno.EINVAL},
	}
	for _, tc := range tests {
		ret, err := u.call(SYS_prctl, tc.args...)
		assert.Equal(t, tc.err, err, tc.name)
		assert.Equal(t, tc.ret, ret, tc.name)
	}
	assert.Equal(t, int32(SIGUSR1), get(PR_GET_PDEATHSIG))
	assert.Equal(t, int32(1), get(PR_GET_CHILD_SUBREAPER))

	c := h.fork(t, u.Task)
	mustCall(t, c, SYS_prctl, PR_GET_PDEATHSIG, out)
	assert.Zero(t, c.u32(out), "fork clears pdeath_signal")
	mustCall(t, c, SYS_prctl, PR_GET_CHILD_SUBREAPER, out)
	assert.Zero(t, c.u32(out), "is_child_subreaper is not inherited")
	assert.Equal(t, uint64(1), mustCall(t, c, SYS_prctl, PR_GET_NO_NEW_PRIVS), "no_new_privs is inherited")
	assert.Equal(t, uint64(0), mustCall(t, c, SYS_prctl, PR_GET_DUMPABLE), "dumpable is inherited")

	mustCall(t, u, SYS_prctl, PR_SET_CHILD_SUBREAPER, 0)
	assert.Equal(t, int32(0), get(PR_GET_CHILD_SUBREAPER))
}

func TestPdeathsigOnParentExit(t *testing.T) {
	h := newHarness(t)
	reaper := h.newTask(t)
	h.k.ChildReaper = reaper.Task
	p := h.newTask(t)
	c := h.fork(t, p.Task)
	quiet := h.fork(t, p.Task)
	mustCall(t, c, SYS_prctl, PR_SET_PDEATHSIG, SIGUSR1)
	h.k.DoExit(p.Task, exitStatus(0))

	assert.Equal(t, uint64(reaper.TGID), mustCall(t, c, SYS_getppid), "orphans go to the child reaper")
	assert.Equal(t, uint64(reaper.TGID), mustCall(t, quiet, SYS_getppid))
	assert.True(t, c.Signal.SharedPending.Set.Has(SIGUSR1), "parent-death signal sent")
	assert.False(t, quiet.Signal.SharedPending.Set.Has(SIGUSR1), "only to who asked")
	si, ok := h.k.dequeueSignal(c.Task)
	require.True(t, ok)
	assert.Equal(t, SigInfo{Signo: SIGUSR1, Code: SI_USER, PID: int32(p.TGID)}, si)
}

func TestPdeathsigOnParentThreadExit(t *testing.T) {
	h := newHarness(t)
	p := h.newTask(t)
	th := h.newThread(t, p)
	c := h.fork(t, th.Task)
	mustCall(t, c, SYS_prctl, PR_SET_PDEATHSIG, SIGUSR2)
	h.k.DoExit(th.Task, exitStatus(0))
	assert.Same(t, p.Task, c.RealParent(), "adopted by another thread of the process")
	assert.Contains(t, p.Children, c.Task)
	assert.True(t, c.Signal.SharedPending.Set.Has(SIGUSR2), "the parent thread's exit sends it")
}

func TestChildSubreaper(t *testing.T) {
	h := newHarness(t)
	a := h.newTask(t)
	a.Blocked = Bit(SIGCHLD) // so that a SIGCHLD stays pending
	mustCall(t, a, SYS_prctl, PR_SET_CHILD_SUBREAPER, 1)
	b := h.fork(t, a.Task)
	mid := h.fork(t, b.Task) // not a subreaper: skipped
	c := h.fork(t, mid.Task)
	z := h.fork(t, mid.Task)
	h.k.DoExit(z.Task, exitStatus(9)) // a zombie of mid's
	h.k.DoExit(mid.Task, exitStatus(0))

	assert.Equal(t, uint64(a.TGID), mustCall(t, c, SYS_getppid), "the nearest subreaper adopts")
	assert.True(t, a.Signal.SharedPending.Set.Has(SIGCHLD), "the adopted zombie is news for it")
	info := a.alloc(128)
	_, err := a.call(SYS_waitid, P_PID, uint64(z.PID), info, WEXITED, 0)
	require.NoError(t, err)
	assert.Equal(t, siginfo{signo: SIGCHLD, code: CLD_EXITED, pid: int32(z.PID), status: 9}, a.siginfo(info))
	h.k.DoExit(c.Task, exitStatus(4))
	_, err = a.call(SYS_waitid, P_PID, uint64(c.PID), info, WEXITED, 0)
	require.NoError(t, err, "the subreaper reaps its adopted grandchild")

	// A subreaper ignoring SIGCHLD: adopted zombies are reaped at once.
	a.Sighand.Action[SIGCHLD-1].Handler = SIG_IGN
	mid = h.fork(t, b.Task)
	z = h.fork(t, mid.Task)
	h.k.DoExit(z.Task, exitStatus(9))
	h.k.DoExit(mid.Task, exitStatus(0))
	assert.Nil(t, h.k.FindTask(z.PID), "autoreaped")

	// Without a subreaper, the child reaper (init here: none set).
	mustCall(t, a, SYS_prctl, PR_SET_CHILD_SUBREAPER, 0)
	mid = h.fork(t, b.Task)
	c = h.fork(t, mid.Task)
	h.k.DoExit(mid.Task, exitStatus(0))
	assert.Same(t, h.k.InitTask, c.RealParent())
}

func TestRlimitDefaults(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	half := uint64(h.k.MaxThreads / 2)
	inf := RLIM_INFINITY
	tests := []struct {
		res      uint64
		cur, max uint64
	}{
		{RLIMIT_CPU, inf, inf},
		{RLIMIT_FSIZE, inf, inf},
		{RLIMIT_DATA, inf, inf},
		{RLIMIT_STACK, 8 << 20, inf},
		{RLIMIT_CORE, 0, inf},
		{RLIMIT_RSS, inf, inf},
		{RLIMIT_NPROC, half, half},
		{RLIMIT_NOFILE, 1024, 4096},
		{RLIMIT_MEMLOCK, 8 << 20, 8 << 20},
		{RLIMIT_AS, inf, inf},
		{RLIMIT_LOCKS, inf, inf},
		{RLIMIT_SIGPENDING, half, half},
		{RLIMIT_MSGQUEUE, 819200, 819200},
		{RLIMIT_NICE, 0, 0},
		{RLIMIT_RTPRIO, 0, 0},
		{RLIMIT_RTTIME, inf, inf},
	}
	buf := u.alloc(16)
	for _, tc := range tests {
		mustCall(t, u, SYS_getrlimit, tc.res, buf)
		b := u.read(buf, 16)
		assert.Equal(t, tc.cur, binary.LittleEndian.Uint64(b), "resource %d soft", tc.res)
		assert.Equal(t, tc.max, binary.LittleEndian.Uint64(b[8:]), "resource %d hard", tc.res)
	}
}

func TestRlimitErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	good := u.u64s(100, 200)
	tests := []struct {
		name string
		nr   uint64
		args []uint64
		want error
	}{
		{"getrlimit resource 16", SYS_getrlimit, []uint64{RLIM_NLIMITS, u.alloc(16)}, errno.EINVAL},
		{"getrlimit resource -1", SYS_getrlimit, []uint64{0xffffffff, u.alloc(16)}, errno.EINVAL},
		{"getrlimit bad pointer", SYS_getrlimit, []uint64{RLIMIT_CPU, badVA}, errno.EFAULT},
		{"setrlimit soft > hard", SYS_setrlimit, []uint64{RLIMIT_CPU, u.u64s(2, 1)}, errno.EINVAL},
		{"setrlimit resource 16", SYS_setrlimit, []uint64{RLIM_NLIMITS, good}, errno.EINVAL},
		{"setrlimit bad pointer first", SYS_setrlimit, []uint64{RLIM_NLIMITS, badVA}, errno.EFAULT},
		{"setrlimit NOFILE above nr_open", SYS_setrlimit, []uint64{RLIMIT_NOFILE, u.u64s(10, 1<<20+1)}, errno.EPERM},
		{"setrlimit NOFILE infinity", SYS_setrlimit, []uint64{RLIMIT_NOFILE, u.u64s(RLIM_INFINITY, RLIM_INFINITY)}, errno.EPERM},
		{"prlimit64 bad new pointer before ESRCH", SYS_prlimit64, []uint64{4000, RLIMIT_CPU, badVA, 0}, errno.EFAULT},
		{"prlimit64 no such pid", SYS_prlimit64, []uint64{4000, RLIMIT_CPU, 0, u.alloc(16)}, errno.ESRCH},
		{"prlimit64 negative pid", SYS_prlimit64, []uint64{0xffffffff, RLIMIT_CPU, 0, 0}, errno.ESRCH},
		{"prlimit64 resource 16", SYS_prlimit64, []uint64{0, RLIM_NLIMITS, 0, 0}, errno.EINVAL},
		{"prlimit64 soft > hard", SYS_prlimit64, []uint64{0, RLIMIT_CPU, u.u64s(2, 1), 0}, errno.EINVAL},
		{"prlimit64 bad old pointer", SYS_prlimit64, []uint64{0, RLIMIT_CPU, 0, badVA}, errno.EFAULT},
	}
	for _, tc := range tests {
		_, err := u.call(tc.nr, tc.args...)
		assert.Equal(t, tc.want, err, tc.name)
	}
	assert.Equal(t, Rlimit{RLIM_INFINITY, RLIM_INFINITY}, u.Signal.Rlimit(RLIMIT_CPU), "failed calls change nothing")
}

func TestRlimitSetGetInherit(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	mustCall(t, u, SYS_setrlimit, RLIMIT_CORE, u.u64s(4096, 1<<20))
	assert.Equal(t, Rlimit{4096, 1 << 20}, u.Signal.Rlimit(RLIMIT_CORE))
	mustCall(t, u, SYS_setrlimit, RLIMIT_CORE, u.u64s(0, RLIM_INFINITY))
	assert.Equal(t, Rlimit{0, RLIM_INFINITY}, u.Signal.Rlimit(RLIMIT_CORE), "root raises the hard limit")

	old := u.alloc(16)
	mustCall(t, u, SYS_prlimit64, 0, RLIMIT_NOFILE, u.u64s(512, 2048), old)
	assert.Equal(t, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 1024), 4096), u.read(old, 16), "old limit")
	mustCall(t, u, SYS_prlimit64, uint64(u.PID), RLIMIT_NOFILE, 0, old)
	assert.Equal(t, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 512), 2048), u.read(old, 16))

	c := h.fork(t, u.Task)
	assert.Equal(t, Rlimit{512, 2048}, c.Signal.Rlimit(RLIMIT_NOFILE), "fork copies the limits")
	mustCall(t, u, SYS_prlimit64, uint64(c.PID), RLIMIT_NOFILE, u.u64s(64, 64), 0)
	assert.Equal(t, Rlimit{64, 64}, c.Signal.Rlimit(RLIMIT_NOFILE), "prlimit64 on another process")
	assert.Equal(t, Rlimit{512, 2048}, u.Signal.Rlimit(RLIMIT_NOFILE), "its own unchanged")

	th := h.newThread(t, u)
	mustCall(t, th, SYS_setrlimit, RLIMIT_FSIZE, u.u64s(1, 2))
	assert.Equal(t, Rlimit{1, 2}, u.Signal.Rlimit(RLIMIT_FSIZE), "limits are per process")

	mustCall(t, u, SYS_setrlimit, RLIMIT_STACK, u.u64s(1<<20, RLIM_INFINITY))
	assert.Equal(t, uint64(1<<20), u.MM.StackLimit, "stack growth follows RLIMIT_STACK")
}

func TestRlimitNofileEnforced(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	mustCall(t, u, SYS_setrlimit, RLIMIT_NOFILE, u.u64s(4, 4096))
	r, _ := u.mkpipe(t, 0) // fds 0 and 1
	assert.Equal(t, uint64(2), mustCall(t, u, SYS_dup, uint64(r)))
	assert.Equal(t, uint64(3), mustCall(t, u, SYS_dup, uint64(r)))
	tests := []struct {
		name string
		nr   uint64
		args []uint64
		want error
	}{
		{"dup", SYS_dup, []uint64{uint64(r)}, errno.EMFILE},
		{"pipe", SYS_pipe, []uint64{u.alloc(8)}, errno.EMFILE},
		{"dup2 to the limit", SYS_dup2, []uint64{uint64(r), 4}, errno.EBADF},
		{"F_DUPFD from the limit", SYS_fcntl, []uint64{uint64(r), F_DUPFD, 4}, errno.EINVAL},
		{"F_DUPFD below the limit, table full", SYS_fcntl, []uint64{uint64(r), F_DUPFD, 1}, errno.EMFILE},
		{"poll with nfds above the limit", SYS_poll, []uint64{u.alloc(8 * 5), 5, 0}, errno.EINVAL},
		{"open", SYS_open, []uint64{u.str("/bin/cat"), 0, 0}, errno.EMFILE},
	}
	for _, tc := range tests {
		_, err := u.call(tc.nr, tc.args...)
		assert.Equal(t, tc.want, err, tc.name)
	}
	assert.Equal(t, uint64(3), mustCall(t, u, SYS_dup2, uint64(r), 3), "dup2 below the limit")
	mustCall(t, u, SYS_setrlimit, RLIMIT_NOFILE, u.u64s(6, 4096))
	assert.Equal(t, uint64(4), mustCall(t, u, SYS_dup, uint64(r)), "room again")
	c := h.fork(t, u.Task)
	assert.Equal(t, uint64(5), mustCall(t, c, SYS_dup, uint64(r)))
	_, err := c.call(SYS_dup, uint64(r))
	assert.Equal(t, errno.EMFILE, err, "the child's table has the child's limit")
}

func TestExecStackFollowsRlimit(t *testing.T) {
	h := newHarness(t)
	m, err := mm.NewMM(h.k.Frames, 0, nil)
	require.NoError(t, err)
	defer m.Release()
	require.NoError(t, stackRlimitAS{m, 1 << 20, nil}.SetupStack(0x7fff00000000, 8<<20))
	assert.Equal(t, uint64(1<<20), m.StackLimit)
	m2, err := mm.NewMM(h.k.Frames, 0, nil)
	require.NoError(t, err)
	defer m2.Release()
	require.NoError(t, stackRlimitAS{m2, 0, nil}.SetupStack(0x7fff00000000, 8<<20))
	assert.Equal(t, uint64(mm.PageSize), m2.StackLimit, "a zero limit is the smallest stack, not the default")
}

func sigsetVA(u *utask, sigs ...int) uint64 {
	var s SigSet
	for _, sig := range sigs {
		s |= Bit(sig)
	}
	return u.u64s(uint64(s))
}

func timespecVA(u *utask, ns int64) uint64 { return u.u64s(uint64(ns/1e9), uint64(ns%1e9)) }

func TestSigtimedwaitErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	set := sigsetVA(u, SIGUSR1)
	tests := []struct {
		name string
		args []uint64
		want error
	}{
		{"sigsetsize 4", []uint64{set, 0, 0, 4}, errno.EINVAL},
		{"sigsetsize 16", []uint64{set, 0, 0, 16}, errno.EINVAL},
		{"bad set", []uint64{badVA, 0, 0, 8}, errno.EFAULT},
		{"bad timeout pointer", []uint64{set, 0, badVA, 8}, errno.EFAULT},
		{"tv_nsec 1e9", []uint64{set, 0, u.u64s(0, 1e9), 8}, errno.EINVAL},
		{"negative tv_sec", []uint64{set, 0, u.u64s(^uint64(0), 0), 8}, errno.EINVAL},
		{"zero timeout, nothing pending", []uint64{set, 0, timespecVA(u, 0), 8}, errno.EAGAIN},
	}
	for _, tc := range tests {
		_, err := u.call(SYS_rt_sigtimedwait, tc.args...)
		assert.Equal(t, tc.want, err, tc.name)
		assert.False(t, u.restart.armed, tc.name)
		assert.Zero(t, u.Blocked, tc.name)
	}
}

func TestSigtimedwaitPending(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGUSR1) | Bit(SIGUSR2) | Bit(SIGRTMIN+1)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR2, Code: SI_USER, PID: 77}, true)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1, Code: SI_TKILL, PID: 78}, false)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGRTMIN + 1, Code: SI_USER, PID: 1}, true)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGRTMIN + 1, Code: SI_USER, PID: 2}, true)
	set := sigsetVA(u, SIGUSR1, SIGUSR2, SIGRTMIN+1)
	info := u.filled(128)
	zero := timespecVA(u, 0)

	sig, err := u.call(SYS_rt_sigtimedwait, set, info, zero, 8)
	require.NoError(t, err)
	assert.Equal(t, uint64(SIGUSR1), sig, "lowest first")
	assert.Equal(t, siginfo{signo: SIGUSR1, code: SI_TKILL, pid: 78}, u.siginfo(info))
	assert.Equal(t, make([]byte, 100), u.read(info+28, 100), "the whole siginfo is written")

	sig, err = u.call(SYS_rt_sigtimedwait, set, 0, 0, 8)
	require.NoError(t, err)
	assert.Equal(t, uint64(SIGUSR2), sig, "NULL info; no timeout, but something pending")
	for _, pid := range []int32{1, 2} {
		sig, err = u.call(SYS_rt_sigtimedwait, set, info, zero, 8)
		require.NoError(t, err)
		assert.Equal(t, uint64(SIGRTMIN+1), sig)
		assert.Equal(t, pid, u.siginfo(info).pid, "real-time signals queue in order")
	}
	_, err = u.call(SYS_rt_sigtimedwait, set, info, zero, 8)
	assert.Equal(t, errno.EAGAIN, err)

	// A signal not in set stays; an unblocked one of set is taken too.
	u.Blocked = 0
	u.Pending.add(SigInfo{Signo: SIGHUP})
	sig, err = u.call(SYS_rt_sigtimedwait, sigsetVA(u, SIGHUP, SIGKILL), info, zero, 8)
	require.NoError(t, err)
	assert.Equal(t, uint64(SIGHUP), sig)

	_, err = u.call(SYS_rt_sigtimedwait, set, badVA, 0, 8)
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1}, false)
	_, err = u.call(SYS_rt_sigtimedwait, set, badVA, 0, 8)
	assert.Equal(t, errno.EFAULT, err)
}

func TestSigtimedwaitSleeps(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	blocked := Bit(SIGUSR1) | Bit(SIGCHLD) | Bit(SIGTERM)
	u.Blocked = blocked
	u.Sighand.Action[SIGUSR2-1].Handler = 0x1000 // a handler
	set := sigsetVA(u, SIGUSR1, SIGCHLD)
	info := u.alloc(128)
	ts := timespecVA(u, 10_000_000)

	// The timeout ends it with EAGAIN.
	_, err := u.call(SYS_rt_sigtimedwait, set, info, ts, 8)
	require.ErrorIs(t, err, errBlock)
	assert.True(t, u.sleeping())
	assert.Equal(t, Bit(SIGTERM), u.Blocked, "the set is unblocked while waiting")
	h.now += 5_000_000
	h.k.RunTimers(h.now)
	assert.True(t, u.sleeping(), "not yet")
	h.now += 5_000_000
	h.k.RunTimers(h.now)
	assert.False(t, u.sleeping(), "the timer woke it")
	_, err = u.call(SYS_rt_sigtimedwait, set, info, ts, 8)
	assert.Equal(t, errno.EAGAIN, err)
	assert.Equal(t, blocked, u.Blocked, "mask restored")

	// A signal of the set arrives: SIGCHLD, ignored by default, is not
	// discarded because the real mask blocks it.
	_, err = u.call(SYS_rt_sigtimedwait, set, info, 0, 8)
	require.ErrorIs(t, err, errBlock)
	assert.Zero(t, h.k.NextTimer(), "no timeout: no timer")
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGCHLD, Code: CLD_EXITED, PID: 99, Status: 3}, true)
	assert.False(t, u.sleeping())
	sig, err := u.call(SYS_rt_sigtimedwait, set, info, 0, 8)
	require.NoError(t, err)
	assert.Equal(t, uint64(SIGCHLD), sig)
	assert.Equal(t, siginfo{signo: SIGCHLD, code: CLD_EXITED, pid: 99, status: 3}, u.siginfo(info))
	assert.Equal(t, blocked, u.Blocked)
	assert.Zero(t, u.realBlocked)

	// A blocked signal outside the set does not wake it.
	_, err = u.call(SYS_rt_sigtimedwait, set, info, 0, 8)
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGTERM}, true)
	assert.True(t, u.sleeping())
	// A handled signal outside the set interrupts it: EINTR, not restarted.
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR2}, false)
	assert.False(t, u.sleeping())
	_, err = u.call(SYS_rt_sigtimedwait, set, info, 0, 8)
	assert.Equal(t, errno.EINTR, err)
	assert.Equal(t, blocked, u.Blocked)
	assert.True(t, u.Pending.Set.Has(SIGUSR2), "left for its handler")
	assert.False(t, u.restart.armed)
}
