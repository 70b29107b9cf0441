package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/sched"
)

const none = invalidID

// user is a process of uid/gid 1000 with no capabilities, as after a
// root process's setuid(1000).
func user(uid uint32) *Cred {
	c, err := initCred.setuid(uid)
	if err != nil {
		panic(err)
	}
	return c
}

func TestSetuidFamily(t *testing.T) {
	for _, tc := range []struct {
		name               string
		old                *Cred
		change             func(*Cred) (*Cred, error)
		err                error
		r, e, s, fs        uint32
		perm, eff, hasCaps bool
	}{
		{"root setuid drops all", initCred, func(c *Cred) (*Cred, error) { return c.setuid(1000) }, nil, 1000, 1000, 1000, 1000, false, false, false},
		{"setuid -1", initCred, func(c *Cred) (*Cred, error) { return c.setuid(none) }, errno.EINVAL, 0, 0, 0, 0, true, true, true},
		{"user setuid other", user(1000), func(c *Cred) (*Cred, error) { return c.setuid(1001) }, errno.EPERM, 0, 0, 0, 0, false, false, false},
		{"user setuid self", user(1000), func(c *Cred) (*Cred, error) { return c.setuid(1000) }, nil, 1000, 1000, 1000, 1000, false, false, false},
		{"root seteuid keeps permitted", initCred, func(c *Cred) (*Cred, error) { return c.setreuid(none, 1000) }, nil, 0, 1000, 1000, 1000, true, false, true},
		{"root setresuid euid only", initCred, func(c *Cred) (*Cred, error) { return c.setresuid(none, 1000, none) }, nil, 0, 1000, 0, 1000, true, false, true},
		{"user swaps real and effective", &Cred{UID: 1, EUID: 2, SUID: 2, FSUID: 2}, func(c *Cred) (*Cred, error) { return c.setreuid(2, 1) }, nil, 2, 1, 1, 1, false, false, false},
		{"user setreuid stranger", user(5), func(c *Cred) (*Cred, error) { return c.setreuid(6, none) }, errno.EPERM, 0, 0, 0, 0, false, false, false},
		{"user setresuid among own", &Cred{UID: 1, EUID: 2, SUID: 3, FSUID: 2}, func(c *Cred) (*Cred, error) { return c.setresuid(3, 1, 2) }, nil, 3, 1, 2, 1, false, false, false},
		{"user setresuid stranger", &Cred{UID: 1, EUID: 2, SUID: 3, FSUID: 2}, func(c *Cred) (*Cred, error) { return c.setresuid(none, 4, none) }, errno.EPERM, 0, 0, 0, 0, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := tc.change(tc.old)
			if tc.err != nil {
				assert.Equal(t, tc.err, err)
				assert.Nil(t, c)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []uint32{tc.r, tc.e, tc.s, tc.fs}, []uint32{c.UID, c.EUID, c.SUID, c.FSUID})
			assert.Equal(t, tc.perm, c.CapPermitted != 0, "permitted %x", c.CapPermitted)
			assert.Equal(t, tc.eff, c.CapEffective != 0, "effective %x", c.CapEffective)
			assert.NotSame(t, tc.old, c, "credentials are copied, never changed in place")
		})
	}
}

func TestSeteuidBackToRootRestoresCaps(t *testing.T) {
	c, err := initCred.setresuid(none, 1000, none)
	require.NoError(t, err)
	require.False(t, c.Capable(CAP_KILL))
	c, err = c.setresuid(none, 0, none) // the real ID is still 0
	require.NoError(t, err)
	assert.True(t, c.Capable(CAP_KILL))
	assert.Equal(t, CAP_FULL_SET, c.CapEffective)
}

func TestKeepCapsSurvivesSetuid(t *testing.T) {
	c := initCred.prepare()
	c.Securebits |= SECBIT_KEEP_CAPS
	c, err := c.setuid(1000)
	require.NoError(t, err)
	assert.Equal(t, CAP_FULL_SET, c.CapPermitted)
	assert.Zero(t, c.CapEffective, "the effective set still goes with the euid")
	// execve clears KEEP_CAPS and, for a non-root user, the permitted set.
	c = c.execCreds()
	assert.Zero(t, c.CapPermitted)
	assert.Zero(t, c.Securebits&SECBIT_KEEP_CAPS)
}

func TestSetfsuid(t *testing.T) {
	prev, c := initCred.setfsuid(1000)
	assert.Equal(t, uint32(0), prev)
	require.NotNil(t, c)
	assert.Equal(t, uint32(1000), c.FSUID)
	assert.False(t, c.Capable(CAP_DAC_OVERRIDE), "the filesystem capabilities follow the fsuid")
	assert.True(t, c.Capable(CAP_KILL))
	prev, c2 := user(7).setfsuid(8)
	assert.Equal(t, uint32(7), prev)
	assert.Nil(t, c2, "an unprivileged task cannot take a stranger's fsuid")
}

func TestGroups(t *testing.T) {
	c, err := initCred.setgroups([]uint32{30, 10, 20})
	require.NoError(t, err)
	assert.Equal(t, []uint32{10, 20, 30}, c.Groups)
	assert.True(t, c.InGroup(20))
	assert.True(t, c.InGroup(0), "the fsgid")
	assert.False(t, c.InGroup(25))
	_, err = user(1).setgroups(nil)
	assert.Equal(t, errno.EPERM, err)
	g, err := user(1).setgid(1)
	assert.Equal(t, errno.EPERM, err, "the gid is still 0")
	assert.Nil(t, g)
	g, err = initCred.setgid(5)
	require.NoError(t, err)
	assert.Equal(t, []uint32{5, 5, 5, 5}, []uint32{g.GID, g.EGID, g.SGID, g.FSGID})
	assert.Equal(t, CAP_FULL_SET, g.CapEffective, "group changes keep the capabilities")
}

func TestCapset(t *testing.T) {
	u := initCred
	for _, tc := range []struct {
		name           string
		eff, inh, perm KernelCap
		err            error
	}{
		{"drop to kill only", 1 << CAP_KILL, 0, 1 << CAP_KILL, nil},
		{"effective outside permitted", 1 << CAP_CHOWN, 0, 1 << CAP_KILL, errno.EPERM},
		{"grow permitted", 0, 0, CAP_FULL_SET, nil},
	} {
		c, err := u.capset(tc.eff, tc.inh, tc.perm)
		assert.Equal(t, tc.err, err, tc.name)
		if err == nil {
			assert.Equal(t, tc.eff, c.CapEffective, tc.name)
		}
	}
	dropped, err := u.capset(0, 0, 1<<CAP_KILL)
	require.NoError(t, err)
	_, err = dropped.capset(0, 0, 1<<CAP_KILL|1<<CAP_CHOWN)
	assert.Equal(t, errno.EPERM, err, "the permitted set never grows back")
}

func TestKillPermission(t *testing.T) {
	h := newHarness(t)
	a := h.newTask(t)
	b := h.newTask(t)
	b.commitCreds(user(1000))
	c := h.newTask(t)
	c.commitCreds(user(1001))
	for _, tc := range []struct {
		name     string
		from, to *utask
		err      error
	}{
		{"root to user", a, b, nil},
		{"user to root", b, a, errno.EPERM},
		{"user to other user", b, c, errno.EPERM},
		{"user to itself", b, b, nil},
	} {
		_, err := tc.from.call(SYS_kill, uint64(tc.to.TGID), 0)
		if tc.err == nil {
			assert.NoError(t, err, tc.name)
		} else {
			assert.Equal(t, tc.err, err, tc.name)
		}
	}
	// SIGCONT crosses users within a session.
	c.Signal.Session = b.Signal.Session
	_, err := b.call(SYS_kill, uint64(c.TGID), SIGCONT)
	assert.NoError(t, err)
}

func TestSetpriorityPermission(t *testing.T) {
	h := newHarness(t)
	root := h.newTask(t)
	u := h.newTask(t)
	u.commitCreds(user(1000))
	_, err := u.call(SYS_setpriority, PRIO_PROCESS, 0, 5)
	require.NoError(t, err)
	_, err = u.call(SYS_setpriority, PRIO_PROCESS, 0, 3)
	assert.Equal(t, errno.EACCES, err, "raising the priority needs RLIMIT_NICE or CAP_SYS_NICE")
	_, err = u.call(SYS_setpriority, PRIO_PROCESS, uint64(root.PID), 10)
	assert.Equal(t, errno.EPERM, err, "another user's task")
	_, err = root.call(SYS_setpriority, PRIO_PROCESS, uint64(u.PID), uint64(0xfffffffb))
	require.NoError(t, err)
	assert.Equal(t, -5, u.Nice())
	// PRIO_USER finds the tasks by real user ID.
	n, err := root.call(SYS_getpriority, PRIO_USER, 1000)
	require.NoError(t, err)
	assert.Equal(t, uint64(25), n)
	_, err = root.call(SYS_getpriority, PRIO_USER, 4242)
	assert.Equal(t, errno.ESRCH, err)
}

func TestSchedSetschedulerPermission(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.commitCreds(user(1000))
	param := u.alloc(4)
	require.NoError(t, u.MM.CopyOut(param, []byte{10, 0, 0, 0}))
	_, err := u.call(SYS_sched_setscheduler, 0, uint64(sched.SchedFIFO), param)
	assert.Equal(t, errno.EPERM, err, "RLIMIT_RTPRIO is 0")
	require.NoError(t, u.MM.CopyOut(param, []byte{0, 0, 0, 0}))
	_, err = u.call(SYS_sched_setscheduler, 0, uint64(sched.SchedFIFO), param)
	assert.Equal(t, errno.EINVAL, err, "validity comes before permission")
	_, err = u.call(SYS_sched_setscheduler, 0, uint64(sched.SchedBatch), param)
	assert.NoError(t, err)
}

func TestCapgetCapsetCalls(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	hdr := u.alloc(8)
	data := u.alloc(24)
	put := func(version uint32, pid int32) {
		var b [8]byte
		binary.LittleEndian.PutUint32(b[:], version)
		binary.LittleEndian.PutUint32(b[4:], uint32(pid))
		require.NoError(t, u.MM.CopyOut(hdr, b[:]))
	}
	// An unknown version: the kernel's is written back; EINVAL unless data is NULL.
	put(1, 0)
	_, err := u.call(SYS_capget, hdr, data)
	assert.Equal(t, errno.EINVAL, err)
	assert.Equal(t, uint32(_LINUX_CAPABILITY_VERSION_3), u.u32(hdr))
	put(1, 0)
	_, err = u.call(SYS_capget, hdr, 0)
	assert.NoError(t, err)

	put(_LINUX_CAPABILITY_VERSION_3, 0)
	_, err = u.call(SYS_capget, hdr, data)
	require.NoError(t, err)
	assert.Equal(t, uint32(0xffffffff), u.u32(data), "effective, low word")
	assert.Equal(t, uint32(CAP_FULL_SET>>32), u.u32(data+12), "effective, high word")

	// Keep only CAP_KILL, then a setuid no longer works.
	var b [24]byte
	binary.LittleEndian.PutUint32(b[0:], 1<<CAP_KILL)
	binary.LittleEndian.PutUint32(b[4:], 1<<CAP_KILL)
	require.NoError(t, u.MM.CopyOut(data, b[:]))
	_, err = u.call(SYS_capset, hdr, data)
	require.NoError(t, err)
	_, err = u.call(SYS_setuid, 1000)
	assert.Equal(t, errno.EPERM, err)
	put(_LINUX_CAPABILITY_VERSION_3, int32(u.PID)+100)
	_, err = u.call(SYS_capset, hdr, data)
	assert.Equal(t, errno.EPERM, err, "only the caller's own sets")
}

func TestGetgroupsCall(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	list := u.alloc(12)
	var b [12]byte
	for i, g := range []uint32{7, 3, 5} {
		binary.LittleEndian.PutUint32(b[4*i:], g)
	}
	require.NoError(t, u.MM.CopyOut(list, b[:]))
	_, err := u.call(SYS_setgroups, 3, list)
	require.NoError(t, err)
	n, err := u.call(SYS_getgroups, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), n)
	_, err = u.call(SYS_getgroups, 2, list)
	assert.Equal(t, errno.EINVAL, err)
	_, err = u.call(SYS_getgroups, uint64(0xffffffff), list)
	assert.Equal(t, errno.EINVAL, err)
	n, err = u.call(SYS_getgroups, 3, list)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), n)
	assert.Equal(t, uint32(3), u.u32(list), "sorted")
	_, err = u.call(SYS_setgroups, NGROUPS_MAX+1, list)
	assert.Equal(t, errno.EINVAL, err)
	_, err = u.call(SYS_getgroups, 3, 8)
	assert.Equal(t, errno.EFAULT, err)
}
