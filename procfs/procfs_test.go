package procfs

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
	"tamix/proc"
	"tamix/sched"
	"tamix/vfs"
)

// env is a kernel on simulated memory with /proc mounted.
type env struct {
	k   *proc.Kernel
	v   *vfs.FS
	p   *FS
	now int64
}

const frames = 2048

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{now: 5_250_000_000}
	const base = 1 << 20
	mem := mm.NewArena(0, base+frames*mm.PageSize)
	a := mm.NewFrameAllocator(mem, []mm.Range{{Start: base, End: base + frames*mm.PageSize}})
	e.v = vfs.New(vfs.Config{Images: map[string][]byte{"/bin/cat": []byte("\x7fELF-cat")}})
	e.k = proc.NewKernel(proc.Config{
		Frames: a, NCPU: 2, VFS: e.v,
		Clock:  func() int64 { return e.now },
		Wall:   func() int64 { return 1_700_000_000_000_000_000 + e.now },
		Random: func([]byte) {},
	})
	e.p = Mount(e.v, e.k, Config{CPUs: []CPU{{VendorID: "GenuineIntel", Family: 6, Model: 85, ModelName: "Test CPU", MHz: 2000, Flags: []string{"fpu", "lm"}}}})
	return e
}

// process makes a user process with argv.
func (e *env) process(t *testing.T, parent *proc.Task, argv ...string) *proc.Task {
	t.Helper()
	p, err := e.k.NewTestProcess(parent, argv, []string{"HOME=/", "TERM=linux"})
	require.NoError(t, err)
	return p
}

// read opens path as caller and reads it whole.
func (e *env) read(caller *proc.Task, path string) (string, error) {
	ino, err := e.v.LookupAs(caller, nil, path, false)
	if err != nil {
		return "", err
	}
	f, err := e.v.OpenInode(ino, fs.O_RDONLY, nil)
	if err != nil {
		return "", err
	}
	return readAll(f)
}

func readAll(f fs.File) (string, error) {
	var out []byte
	buf := make([]byte, 7) // small reads: the snapshot must stay whole
	for {
		n, err := f.Read(buf)
		if err != nil {
			return string(out), err
		}
		if n == 0 {
			return string(out), nil
		}
		out = append(out, buf[:n]...)
	}
}

func (e *env) mustRead(t *testing.T, caller *proc.Task, path string) string {
	t.Helper()
	s, err := e.read(caller, path)
	require.NoError(t, err, path)
	return s
}

// list reads a directory's names with getdents64.
func (e *env) list(t *testing.T, caller *proc.Task, path string) ([]string, error) {
	t.Helper()
	ino, err := e.v.LookupAs(caller, nil, path, false)
	require.NoError(t, err)
	f, err := e.v.OpenInode(ino, fs.O_RDONLY|fs.O_DIRECTORY, nil)
	require.NoError(t, err)
	return listDir(f.(*vfs.Dir))
}

func listDir(d *vfs.Dir) ([]string, error) {
	var names []string
	for {
		b, err := d.Getdents64(4096)
		if err != nil {
			return names, err
		}
		if len(b) == 0 {
			return names, nil
		}
		for len(b) > 0 {
			reclen := int(b[16]) | int(b[17])<<8
			name := b[19:reclen]
			names = append(names, string(name[:bytes.IndexByte(name, 0)]))
			b = b[reclen:]
		}
	}
}

func TestStatFieldsInLinuxOrder(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "prog", "a", "b c")
	s := e.mustRead(t, p, fmt.Sprintf("/proc/%d/stat", p.PID))
	require.True(t, strings.HasSuffix(s, "\n"))
	f := strings.Fields(s)
	require.Len(t, f, 52, "do_task_stat prints 52 fields")
	names := []string{"pid", "comm", "state", "ppid", "pgrp", "session", "tty_nr", "tpgid", "flags",
		"minflt", "cminflt", "majflt", "cmajflt", "utime", "stime", "cutime", "cstime", "priority",
		"nice", "num_threads", "itrealvalue", "starttime", "vsize", "rss", "rsslim", "startcode",
		"endcode", "startstack", "kstkesp", "kstkeip", "signal", "blocked", "sigignore", "sigcatch",
		"wchan", "nswap", "cnswap", "exit_signal", "processor", "rt_priority", "policy",
		"delayacct_blkio_ticks", "guest_time", "cguest_time", "start_data", "end_data", "start_brk",
		"arg_start", "arg_end", "env_start", "env_end", "exit_code"}
	field := map[string]string{}
	for i, n := range names {
		field[n] = f[i]
	}
	m := p.MM
	for _, tc := range []struct{ name, want string }{
		{"pid", strconv.Itoa(p.PID)},
		{"comm", "(prog)"},
		{"state", "R"},
		{"ppid", "0"}, // a child of init_task, as init is
		{"tty_nr", "0"},
		{"tpgid", "-1"},
		{"priority", "20"},
		{"nice", "0"},
		{"num_threads", "1"},
		{"itrealvalue", "0"},
		{"starttime", strconv.FormatInt(p.StartTime/1e7, 10)},
		{"vsize", strconv.FormatUint(m.Counters().TotalVM*mm.PageSize, 10)},
		{"rsslim", "18446744073709551615"},
		{"startstack", strconv.FormatUint(m.StartStack, 10)},
		{"exit_signal", "17"},
		{"policy", "0"},
		{"rt_priority", "0"},
		{"arg_start", strconv.FormatUint(m.ArgStart, 10)},
		{"arg_end", strconv.FormatUint(m.ArgEnd, 10)},
		{"env_start", strconv.FormatUint(m.EnvStart, 10)},
		{"env_end", strconv.FormatUint(m.EnvEnd, 10)},
		{"exit_code", "0"},
	} {
		assert.Equal(t, tc.want, field[tc.name], tc.name)
	}
	assert.NotZero(t, m.ArgStart)
	assert.Equal(t, m.ArgStart+uint64(len("prog a b c")+1), m.ArgEnd)
}

func TestStatTimesInClockTicks(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "prog")
	p.Utime, p.Stime = 1_234_000_000, 20_000_000 // 123.4 and 2 ticks of 10 ms
	p.Signal.CUtime = 990_000_000
	f := strings.Fields(e.mustRead(t, p, "/proc/self/stat"))
	assert.Equal(t, []string{"123", "2", "99", "0"}, f[13:17])
}

func TestStatPriorityOfRTAndNice(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "rt")
	require.NoError(t, e.k.Sched.SetScheduler(&p.Task, sched.SchedFIFO, 10, false))
	f := strings.Fields(e.mustRead(t, p, "/proc/self/stat"))
	assert.Equal(t, "-11", f[17], "priority: prio - MAX_RT_PRIO")
	assert.Equal(t, "10", f[39], "rt_priority")
	assert.Equal(t, "1", f[40], "policy")
	q := e.process(t, nil, "nice")
	e.k.Sched.SetUserNice(&q.Task, 5)
	f = strings.Fields(e.mustRead(t, q, "/proc/self/stat"))
	assert.Equal(t, []string{"25", "5"}, f[17:19])
}

func TestStateLetters(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "s")
	for _, tc := range []struct {
		state  int32
		letter string
		status string
	}{
		{proc.TASK_RUNNING, "R", "R (running)"},
		{proc.TASK_INTERRUPTIBLE, "S", "S (sleeping)"},
		{proc.TASK_UNINTERRUPTIBLE, "D", "D (disk sleep)"},
		{proc.TASK_STOPPED, "T", "T (stopped)"},
	} {
		p.SetState(tc.state)
		f := strings.Fields(e.mustRead(t, nil, fmt.Sprintf("/proc/%d/stat", p.PID)))
		assert.Equal(t, tc.letter, f[2])
		wchan := "0"
		if tc.letter != "R" {
			wchan = "1"
		}
		assert.Equal(t, wchan, f[34], "wchan flag")
		assert.Contains(t, e.mustRead(t, nil, fmt.Sprintf("/proc/%d/status", p.PID)), "\nState:\t"+tc.status+"\n")
	}
}

func TestStatus(t *testing.T) {
	e := newEnv(t)
	parent := e.process(t, nil, "parent")
	p := e.process(t, parent, "child")
	p.Sighand.Action[proc.SIGUSR1-1].Handler = proc.SIG_IGN
	p.Sighand.Action[proc.SIGUSR2-1].Handler = 0x401000
	p.Blocked = proc.Bit(proc.SIGINT)
	s := e.mustRead(t, p, "/proc/self/status")
	for _, want := range []string{
		"Name:\tchild\n",
		"Umask:\t0022\n",
		"State:\tR (running)\n",
		fmt.Sprintf("Tgid:\t%d\n", p.TGID),
		fmt.Sprintf("Pid:\t%d\n", p.PID),
		fmt.Sprintf("PPid:\t%d\n", parent.TGID),
		"Uid:\t0\t0\t0\t0\n",
		"FDSize:\t64\n",
		"Threads:\t1\n",
		"SigPnd:\t0000000000000000\n",
		"ShdPnd:\t0000000000000000\n",
		"SigBlk:\t0000000000000002\n",
		"SigIgn:\t0000000000000200\n",
		"SigCgt:\t0000000000000800\n",
		"Cpus_allowed:\t3\n",
		"Cpus_allowed_list:\t0-1\n",
		"voluntary_ctxt_switches:\t0\n",
		"nonvoluntary_ctxt_switches:\t0\n",
	} {
		assert.Contains(t, s, want)
	}
	assert.Regexp(t, `\nVmRSS:\t +\d+ kB\n`, s)
	assert.Regexp(t, `\nVmSize:\t[ \d]{8} kB\n`, s, "8 wide, as SEQ_PUT_DEC")
	// The order of the first lines is Linux's.
	assert.True(t, strings.HasPrefix(s, "Name:\tchild\nUmask:\t0022\nState:\tR (running)\nTgid:"))
}

func TestSched(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "cfs")
	s := e.mustRead(t, p, "/proc/self/sched")
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	assert.Equal(t, fmt.Sprintf("cfs (%d, #threads: 1)", p.PID), lines[0])
	assert.Equal(t, strings.Repeat("-", 67), lines[1])
	var keys []string
	for _, l := range lines[2:] {
		require.Regexp(t, `^[a-z_.\-]+ +:( +-?\d+\.\d{6}| +-?\d+)$`, l)
		require.Equal(t, 45, strings.Index(l, ":"), "names are 45 wide")
		require.Len(t, l, 67, "values are 21 wide")
		keys = append(keys, strings.Fields(l)[0])
	}
	assert.Equal(t, []string{"se.exec_start", "se.vruntime", "se.sum_exec_runtime", "se.nr_migrations",
		"nr_switches", "nr_voluntary_switches", "nr_involuntary_switches", "se.load.weight", "policy",
		"prio", "clock-delta"}, keys)
	assert.Contains(t, s, fmt.Sprintf("\n%-45s:%21d\n", "se.load.weight", 1048576))
	assert.Contains(t, s, fmt.Sprintf("\n%-45s:%21d\n", "prio", 120))

	// Switches show up.
	p.Nvcsw, p.Nivcsw = 3, 2
	s = e.mustRead(t, p, "/proc/self/sched")
	assert.Contains(t, s, fmt.Sprintf("\n%-45s:%21d\n", "nr_switches", 5))
	assert.Contains(t, s, fmt.Sprintf("\n%-45s:%21d\n", "nr_voluntary_switches", 3))
}

func TestSplitNS(t *testing.T) {
	for _, tc := range []struct {
		ns   int64
		want string
	}{
		{0, "0.000000"},
		{1_500_000, "1.500000"},
		{123_456_789_012, "123456.789012"},
		{-2_000_001, "-2.000001"},
		{-500_000, "0.500000"}, // nsec_high(-0.5 ms) is 0: the sign is lost, as in Linux
	} {
		assert.Equal(t, tc.want, strings.TrimSpace(splitNS(tc.ns)))
		assert.Len(t, splitNS(tc.ns), 21)
	}
}

func TestCPUMasks(t *testing.T) {
	for _, tc := range []struct {
		cpus   []int
		n      int
		hex    string
		ranges string
	}{
		{[]int{0, 1}, 2, "3", "0-1"},
		{[]int{1}, 2, "2", "1"},
		{[]int{0, 2, 3}, 4, "d", "0,2-3"},
		{[]int{0, 1, 2, 3, 4}, 8, "1f", "0-4"},
		{[]int{0, 9}, 16, "0201", "0,9"},
	} {
		m := sched.MaskOf(tc.cpus...)
		assert.Equal(t, tc.hex, maskHex(m, tc.n))
		assert.Equal(t, tc.ranges, maskList(m, tc.n))
	}
}

func TestCmdlineCommEnviron(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "prog", "a", "", "b c")
	assert.Equal(t, "prog\x00a\x00\x00b c\x00", e.mustRead(t, p, "/proc/self/cmdline"))
	assert.Equal(t, "HOME=/\x00TERM=linux\x00", e.mustRead(t, p, "/proc/self/environ"))
	assert.Equal(t, "prog\n", e.mustRead(t, p, "/proc/self/comm"))

	// setproctitle: the last NUL overwritten, the first string runs on.
	m := p.MM
	require.NoError(t, m.CopyOut(m.ArgEnd-1, []byte{'!'}))
	assert.Equal(t, "prog\x00", e.mustRead(t, p, "/proc/self/cmdline"))

	// comm is writable (by the process itself), 15 bytes at most.
	ino, err := e.v.LookupAs(p, nil, "/proc/self/comm", false)
	require.NoError(t, err)
	f, err := e.v.OpenInode(ino, fs.O_WRONLY, nil)
	require.NoError(t, err)
	n, err := f.Write([]byte("a-very-long-name-indeed"))
	require.NoError(t, err)
	assert.Equal(t, 23, n)
	assert.Equal(t, "a-very-long-nam", p.Comm())
}

func TestMaps(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "prog")
	m := p.MM
	m.SetBrk(0x600000)
	m.Brk(0x602000)
	s := e.mustRead(t, p, "/proc/self/maps")
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	require.Len(t, lines, 3, s)
	re := regexp.MustCompile(`^([0-9a-f]{8,})-([0-9a-f]{8,}) ([r-][w-][x-][ps]) ([0-9a-f]{8}) ([0-9a-f]{2}):([0-9a-f]{2}) (\d+)(?: +(\S.*))?$`)
	for _, l := range lines {
		require.Regexp(t, re, l)
	}
	assert.Equal(t, "00600000-00602000 rw-p 00000000 00:00 0"+strings.Repeat(" ", 73-39)+"[heap]", lines[0])
	assert.True(t, strings.HasSuffix(lines[1], " rw-p 00000000 00:00 0"), "the anonymous page has no name: %q", lines[1])
	assert.True(t, strings.HasSuffix(lines[2], "[stack]"))
	assert.Equal(t, 73, strings.Index(lines[2], "[stack]"), "names start at column 73")

	st := strings.Fields(e.mustRead(t, p, "/proc/self/statm"))
	require.Len(t, st, 7)
	assert.Equal(t, strconv.FormatUint(m.Counters().TotalVM, 10), st[0])
}

func TestSelfAndThreadSelf(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "me")
	target, err := e.v.ReadlinkAs(p, nil, "/proc/self")
	require.NoError(t, err)
	assert.Equal(t, strconv.Itoa(p.TGID), target)
	target, err = e.v.ReadlinkAs(p, nil, "/proc/thread-self")
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d/task/%d", p.TGID, p.PID), target)

	ino, err := e.v.LookupAs(p, nil, "/proc/self", true)
	require.NoError(t, err)
	assert.True(t, ino.IsLink(), "lstat sees the link")
	ino, err = e.v.LookupAs(p, nil, "/proc/self", false)
	require.NoError(t, err)
	assert.True(t, ino.IsDir(), "stat follows it")
	st := e.v.Stat(ino)
	assert.Equal(t, uint32(vfs.S_IFDIR|0o555), st.Mode)
	assert.Zero(t, st.Size)
	assert.Equal(t, fmt.Sprintf("/proc/%d", p.TGID), e.v.Path(ino))

	// The same file through self, the PID and thread-self.
	a := e.mustRead(t, p, "/proc/self/comm")
	b := e.mustRead(t, nil, fmt.Sprintf("/proc/%d/task/%d/comm", p.PID, p.PID))
	c := e.mustRead(t, p, "/proc/thread-self/comm")
	assert.Equal(t, a, b)
	assert.Equal(t, a, c)

	// No caller, no self.
	_, err = e.v.Lookup(nil, "/proc/self/stat")
	assert.Equal(t, errno.ENOENT, err)
	// Relative paths and .. work through the links.
	_, err = e.v.LookupAs(p, e.p.Root(), "self/../self/stat", false)
	assert.NoError(t, err)
}

func TestListings(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "one")
	q := e.process(t, nil, "two")
	names, err := e.list(t, p, "/proc")
	require.NoError(t, err)
	assert.Equal(t, []string{".", "..", "sys", "stat", "uptime", "cpuinfo", "loadavg", "meminfo", "sysvipc", "version",
		"self", "thread-self", strconv.Itoa(p.PID), strconv.Itoa(q.PID)}, names)
	names, err = e.list(t, p, "/proc/self")
	require.NoError(t, err)
	assert.Equal(t, []string{".", "..", "task", "fd", "fdinfo", "environ", "status", "limits", "sched", "comm", "cmdline",
		"stat", "statm", "maps", "cwd", "root", "exe", "wchan", "schedstat"}, names)
	names, err = e.list(t, p, fmt.Sprintf("/proc/self/task/%d", p.PID))
	require.NoError(t, err)
	assert.NotContains(t, names, "task")
	assert.Contains(t, names, "children") // per thread only
	names, err = e.list(t, p, "/proc/self/task")
	require.NoError(t, err)
	assert.Equal(t, []string{".", "..", strconv.Itoa(p.PID)}, names)

	// Stat of the entries (proc's modes, size 0).
	for _, tc := range []struct {
		path string
		mode uint32
	}{
		{"/proc", vfs.S_IFDIR | 0o555},
		{"/proc/meminfo", vfs.S_IFREG | 0o444},
		{"/proc/self/stat", vfs.S_IFREG | 0o444},
		{"/proc/self/comm", vfs.S_IFREG | 0o644},
		{"/proc/self/fd", vfs.S_IFDIR | 0o500},
		{"/proc/self/task", vfs.S_IFDIR | 0o555},
	} {
		ino, err := e.v.LookupAs(p, nil, tc.path, false)
		require.NoError(t, err, tc.path)
		st := e.v.Stat(ino)
		assert.Equal(t, tc.mode, st.Mode, tc.path)
		assert.Zero(t, st.Size, tc.path)
		assert.Equal(t, Dev, st.Dev)
	}
	// Lookups: no leading zeros, no PID 0, nothing that is not there.
	for _, path := range []string{"/proc/0", "/proc/01", fmt.Sprintf("/proc/0%d", p.PID), "/proc/99999",
		"/proc/self/nosuch", "/proc/self/task/99999", "/proc/nosuch", "/proc/-1"} {
		_, err := e.v.LookupAs(p, nil, path, false)
		assert.Equal(t, errno.ENOENT, err, path)
	}
}

func TestFdDirectory(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "fds")
	null, err := e.v.OpenInode(mustLookup(t, e.v, "/dev/null"), fs.O_RDWR, nil)
	if err != nil {
		t.Skip("no /dev/null without a console")
	}
	_, err = p.Files.Install(proc.NewOpenFile(null, fs.O_RDWR), 0, false)
	require.NoError(t, err)
	stat, err := e.v.OpenInode(mustLookup(t, e.v, "/proc/meminfo"), fs.O_RDONLY, nil)
	require.NoError(t, err)
	_, err = p.Files.Install(proc.NewOpenFile(stat, fs.O_RDONLY), 0, false)
	require.NoError(t, err)
	names, err := e.list(t, p, "/proc/self/fd")
	require.NoError(t, err)
	assert.Equal(t, []string{".", "..", "0", "1"}, names)
	target, err := e.v.ReadlinkAs(p, nil, "/proc/self/fd/0")
	require.NoError(t, err)
	assert.Equal(t, "/dev/null", target)
	target, err = e.v.ReadlinkAs(p, nil, "/proc/self/fd/1")
	require.NoError(t, err)
	assert.Equal(t, "/proc/meminfo", target)
	// Following the link opens the file it names.
	ino, err := e.v.LookupAs(p, nil, "/proc/self/fd/1", false)
	require.NoError(t, err)
	assert.Equal(t, "meminfo", ino.Name())
	_, err = e.v.LookupAs(p, nil, "/proc/self/fd/7", false)
	assert.Equal(t, errno.ENOENT, err)
	target, err = e.v.ReadlinkAs(p, nil, "/proc/self/exe")
	assert.Equal(t, errno.ENOENT, err, "no image mapped")
	target, err = e.v.ReadlinkAs(p, nil, "/proc/self/cwd")
	require.NoError(t, err)
	assert.Equal(t, "/", target)
}

func mustLookup(t *testing.T, v *vfs.FS, path string) *vfs.Inode {
	t.Helper()
	ino, err := v.Lookup(nil, path)
	require.NoError(t, err, path)
	return ino
}

func TestExitedProcess(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "dies")
	path := fmt.Sprintf("/proc/%d", p.PID)
	statIno, err := e.v.LookupAs(nil, nil, path+"/stat", false)
	require.NoError(t, err)
	f, err := e.v.OpenInode(statIno, fs.O_RDONLY, nil)
	require.NoError(t, err)
	dirIno, err := e.v.LookupAs(nil, nil, path, false)
	require.NoError(t, err)
	d, err := e.v.OpenInode(dirIno, fs.O_RDONLY, nil)
	require.NoError(t, err)

	// A zombie keeps its directory: state Z, no memory.
	e.k.DoExit(p, 3<<8)
	fields := strings.Fields(e.mustRead(t, nil, path+"/stat"))
	assert.Equal(t, "Z", fields[2])
	assert.Equal(t, strconv.Itoa(3<<8), fields[51], "exit_code")
	assert.Equal(t, "", e.mustRead(t, nil, path+"/cmdline"))
	assert.Equal(t, "", e.mustRead(t, nil, path+"/maps"))

	// Reaped: lookups ENOENT, reads of open files ESRCH, listings ENOENT.
	res, err := e.k.WaitChild(e.k.InitTask, p.PID, 0)
	require.NoError(t, err)
	require.Equal(t, p.PID, res.PID)
	_, err = e.v.LookupAs(nil, nil, path+"/stat", false)
	assert.Equal(t, errno.ENOENT, err)
	_, err = readAll(f)
	assert.Equal(t, errno.ESRCH, err)
	_, err = listDir(d.(*vfs.Dir))
	assert.Equal(t, errno.ENOENT, err)
	names, err := e.list(t, nil, "/proc")
	require.NoError(t, err)
	assert.NotContains(t, names, strconv.Itoa(p.PID))
}

func TestWriteAndCreate(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "w")
	for _, tc := range []struct {
		path string
		err  error
	}{
		{"/proc/self/stat", errno.EINVAL},
		{"/proc/self/status", errno.EINVAL},
		{"/proc/meminfo", errno.EIO},
	} {
		ino, err := e.v.OpenAs(p, nil, tc.path, fs.O_WRONLY, 0)
		require.NoError(t, err, "root may open %s for writing", tc.path)
		f, err := e.v.OpenInode(ino, fs.O_WRONLY, nil)
		require.NoError(t, err)
		_, err = f.Write([]byte("x"))
		assert.Equal(t, tc.err, err, tc.path)
	}
	_, err := e.v.OpenAs(p, nil, "/proc/self/stat", fs.O_WRONLY|fs.O_CREAT, 0o644)
	assert.NoError(t, err, "O_CREAT of an existing file opens it")
	_, err = e.v.OpenAs(p, nil, "/proc/self/stat", fs.O_WRONLY|fs.O_CREAT|fs.O_EXCL, 0o644)
	assert.Equal(t, errno.EEXIST, err)
	_, err = e.v.OpenAs(p, nil, "/proc/new", fs.O_WRONLY|fs.O_CREAT, 0o644)
	assert.Equal(t, errno.ENOENT, err)
	_, err = e.v.Mknod(nil, "/proc/meminfo", vfs.S_IFIFO|0o644, 0)
	assert.Equal(t, errno.EEXIST, err)
	assert.Equal(t, errno.EPERM, e.v.Unlink(nil, "/proc/meminfo"))
	assert.Equal(t, errno.ENOENT, e.v.Unlink(nil, "/proc/nosuch"))
	assert.NoError(t, e.v.AccessAs(p, nil, "/proc/self/stat", vfs.R_OK|vfs.W_OK))
	assert.Equal(t, errno.EACCES, e.v.AccessAs(p, nil, "/proc/self/stat", vfs.X_OK))
}

func TestSeekRendersAfresh(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "seek")
	ino, err := e.v.LookupAs(p, nil, "/proc/self/sched", false)
	require.NoError(t, err)
	f, err := e.v.OpenInode(ino, fs.O_RDONLY, nil)
	require.NoError(t, err)
	first, err := readAll(f)
	require.NoError(t, err)
	p.Nvcsw = 42
	again, _ := readAll(f)
	assert.Empty(t, again, "at EOF of the snapshot")
	_, err = f.(vfs.Seeker).Seek(0, vfs.SEEK_SET)
	require.NoError(t, err)
	second, err := readAll(f)
	require.NoError(t, err)
	assert.NotEqual(t, first, second)
	assert.Contains(t, second, fmt.Sprintf("%-45s:%21d", "nr_voluntary_switches", 42))
	_, err = f.(vfs.Seeker).Seek(0, vfs.SEEK_END)
	assert.Equal(t, errno.EINVAL, err)
	st, ok := e.v.StatFile(f)
	require.True(t, ok)
	assert.Equal(t, uint32(vfs.S_IFREG|0o644), st.Mode)
}

func TestGlobalFiles(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "g")
	e.process(t, nil, "h")
	mem := e.mustRead(t, p, "/proc/meminfo")
	assert.True(t, strings.HasPrefix(mem, fmt.Sprintf("MemTotal:       %8d kB\n", frames*4)), mem)
	free := e.k.Frames.FreeCount()
	assert.Contains(t, mem, fmt.Sprintf("\nMemFree:        %8d kB\n", free*4))
	assert.Contains(t, mem, fmt.Sprintf("\nMemAvailable:   %8d kB\n", free*4))

	assert.Equal(t, "5.25 0.00\n", e.mustRead(t, p, "/proc/uptime"))
	assert.Equal(t, fmt.Sprintf("0.00 0.00 0.00 2/2 %d\n", e.k.LastPID()), e.mustRead(t, p, "/proc/loadavg"))

	e.k.CPUStat[1].User.Add(30_000_000)
	e.k.CPUStat[0].System.Add(20_000_000)
	e.k.CPUStat[0].Nice.Add(10_000_000)
	st := e.mustRead(t, p, "/proc/stat")
	lines := strings.Split(st, "\n")
	assert.Equal(t, "cpu  3 1 2 0 0 0 0 0 0 0", lines[0])
	assert.Equal(t, "cpu0 0 1 2 0 0 0 0 0 0 0", lines[1])
	assert.Equal(t, "cpu1 3 0 0 0 0 0 0 0 0 0", lines[2])
	assert.Contains(t, st, "\nprocesses 2\n")
	assert.Contains(t, st, "\nprocs_running 2\n")
	assert.Contains(t, st, fmt.Sprintf("\nbtime %d\n", int64(1_700_000_000)))

	ci := e.mustRead(t, p, "/proc/cpuinfo")
	assert.True(t, strings.HasPrefix(ci, "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\nmodel name\t: Test CPU\n"), ci)
	assert.Contains(t, ci, "\n\nprocessor\t: 1\n")
	assert.Contains(t, ci, "\nflags\t\t: fpu lm\n")
	assert.Equal(t, "Linux version 6.1.0-tamix (tamix) #1 SMP tamix\n", e.mustRead(t, p, "/proc/version"))
}
