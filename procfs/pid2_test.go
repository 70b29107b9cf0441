package procfs

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/proc"
)

func TestLimits(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "lim")
	lines := strings.Split(e.mustRead(t, p, "/proc/self/limits"), "\n")
	require.Len(t, lines, proc.RLIM_NLIMITS+2) // header, limits, ""
	assert.Equal(t, "Limit                     Soft Limit           Hard Limit           Units     ", lines[0])
	lim := p.Rlimits()
	for i, tc := range []struct{ line, want string }{
		{lines[1], "Max cpu time              unlimited            unlimited            seconds   "},
		{lines[5], "Max core file size        0                    unlimited            bytes     "},
		{lines[8], fmt.Sprintf("%-25s %-20d %-20d %-10s", "Max open files", lim[proc.RLIMIT_NOFILE].Cur, lim[proc.RLIMIT_NOFILE].Max, "files")},
		{lines[14], "Max nice priority         0                    0                    "}, // no unit
		{lines[16], "Max realtime timeout      unlimited            unlimited            us        "},
	} {
		assert.Equal(t, tc.want, tc.line, "case %d", i)
	}
	assert.Equal(t, "", lines[17])
}

func TestSchedstatWchanRoot(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "st")
	var run, wait, n int64
	got := e.mustRead(t, p, "/proc/self/schedstat")
	_, err := fmt.Sscanf(got, "%d %d %d\n", &run, &wait, &n)
	require.NoError(t, err, got)
	assert.Zero(t, wait, "run delay is not measured")
	assert.True(t, strings.HasSuffix(got, "\n"))
	w := e.mustRead(t, p, "/proc/self/wchan")
	assert.NotContains(t, w, "\n")
	assert.Equal(t, "0", w, "not asleep in a system call")
	target, err := e.v.ReadlinkAs(p, nil, "/proc/self/root")
	require.NoError(t, err)
	assert.Equal(t, "/", target)
}

func TestChildren(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "parent")
	path := fmt.Sprintf("/proc/self/task/%d/children", p.PID)
	assert.Equal(t, "", e.mustRead(t, p, path))
	c1 := e.process(t, p, "c1")
	c2 := e.process(t, p, "c2")
	assert.Equal(t, fmt.Sprintf("%d %d ", c1.PID, c2.PID), e.mustRead(t, p, path))
	_, err := e.read(p, "/proc/self/children")
	assert.Equal(t, errno.ENOENT, err, "per thread only")
}

func TestFdinfo(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "fdi")
	f, err := e.v.OpenInode(mustLookup(t, e.v, "/proc/meminfo"), fs.O_RDONLY, nil)
	require.NoError(t, err)
	buf := make([]byte, 10)
	_, err = f.Read(buf)
	require.NoError(t, err)
	fd, err := p.Files.Install(proc.NewOpenFile(f, fs.O_RDONLY|proc.O_LARGEFILE), 0, true)
	require.NoError(t, err)
	ino := mustLookup(t, e.v, "/proc/meminfo")
	want := fmt.Sprintf("pos:\t10\nflags:\t02100000\nmnt_id:\t%d\nino:\t%d\n", 22, ino.Ino)
	assert.Equal(t, want, e.mustRead(t, p, fmt.Sprintf("/proc/self/fdinfo/%d", fd)))
	names, err := e.list(t, p, "/proc/self/fdinfo")
	require.NoError(t, err)
	assert.Equal(t, []string{".", "..", fmt.Sprint(fd)}, names)
	_, err = e.read(p, "/proc/self/fdinfo/9")
	assert.Equal(t, errno.ENOENT, err)
}

func (e *env) write(caller *proc.Task, path, s string) error {
	ino, err := e.v.LookupAs(caller, nil, path, false)
	if err != nil {
		return err
	}
	f, err := e.v.OpenInode(ino, fs.O_WRONLY, nil)
	if err != nil {
		return err
	}
	_, err = f.Write([]byte(s))
	return err
}

func TestSysctl(t *testing.T) {
	e := newEnv(t)
	p := e.process(t, nil, "sysctl")
	names, err := e.list(t, p, "/proc/sys")
	require.NoError(t, err)
	assert.Equal(t, []string{".", "..", "fs", "kernel"}, names)
	names, err = e.list(t, p, "/proc/sys/kernel")
	require.NoError(t, err)
	assert.Equal(t, []string{".", "..", "domainname", "hostname", "osrelease", "ostype", "pid_max",
		"sched_child_runs_first", "threads-max", "version"}, names)
	for path, want := range map[string]string{
		"/proc/sys/kernel/ostype":                 "Linux\n",
		"/proc/sys/kernel/pid_max":                "32768\n",
		"/proc/sys/kernel/sched_child_runs_first": "0\n",
		"/proc/sys/fs/nr_open":                    "1048576\n",
		"/proc/sys/fs/pipe-max-size":              "1048576\n",
		"/proc/sys/kernel/threads-max":            fmt.Sprintf("%d\n", e.k.MaxThreads),
	} {
		assert.Equal(t, want, e.mustRead(t, p, path), path)
	}

	// pid_max: Linux's bounds, and the allocator wraps below it.
	for _, tc := range []struct {
		in  string
		err error
	}{{"300\n", errno.EINVAL}, {"4194305", errno.EINVAL}, {"abc", errno.EINVAL}, {"-1", errno.EINVAL}, {"  400\n", nil}} {
		assert.Equal(t, tc.err, e.write(p, "/proc/sys/kernel/pid_max", tc.in), tc.in)
	}
	assert.Equal(t, "400\n", e.mustRead(t, p, "/proc/sys/kernel/pid_max"))
	var last int
	for i := 0; i < 450; i++ {
		c, err := e.k.NewTestProcess(p, []string{"c"}, nil)
		if err != nil {
			break
		}
		assert.Less(t, c.PID, 400)
		last = c.PID
	}
	assert.NotZero(t, last)

	// threads-max is what fork checks.
	require.NoError(t, e.write(p, "/proc/sys/kernel/threads-max", "1"))
	assert.Equal(t, 1, e.k.MaxThreadsValue())
	assert.Equal(t, errno.EINVAL, e.write(p, "/proc/sys/kernel/threads-max", "0"))

	// hostname: cut at the newline, seen by uname.
	_, node, _, _, _, dom := proc.UTS()
	defer proc.SetNodename(node)
	defer proc.SetDomainname(dom)
	require.NoError(t, e.write(p, "/proc/sys/kernel/hostname", "box\nrest"))
	assert.Equal(t, "box\n", e.mustRead(t, p, "/proc/sys/kernel/hostname"))
	_, node2, _, _, _, _ := proc.UTS()
	assert.Equal(t, "box", node2)

	// Read-only files refuse writers, root included.
	assert.Equal(t, errno.EACCES, e.write(p, "/proc/sys/kernel/ostype", "x"))

	// nr_open bounds RLIMIT_NOFILE.
	assert.Equal(t, errno.EINVAL, e.write(p, "/proc/sys/fs/nr_open", "63"))
	require.NoError(t, e.write(p, "/proc/sys/fs/nr_open", "4096"))
	assert.Equal(t, 4096, proc.NrOpen())
	require.NoError(t, proc.SetNrOpen(1<<20))

	require.NoError(t, e.write(p, "/proc/sys/fs/pipe-max-size", "5000"))
	assert.Equal(t, 8192, ipc.PipeMaxSize())
	require.NoError(t, ipc.SetPipeMaxSize(1<<20))
}

func TestDointvec(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		err  error
	}{
		{"42", 42, nil}, {" 42\n", 42, nil}, {"-7", -7, nil}, {"+5", 0, errno.EINVAL},
		{"", 0, errno.EINVAL}, {"4x", 0, errno.EINVAL}, {"1 2", 0, errno.EINVAL}, {"99999999999", 0, errno.EINVAL},
	} {
		got := 0
		err := dointvec([]byte(tc.in), func(n int) error { got = n; return nil })
		assert.Equal(t, tc.err, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	assert.Equal(t, "box", dostring([]byte("box\nx")))
	assert.Equal(t, "a", dostring([]byte("a\x00b")))
}

// FuzzSysctlWrite: whatever a writer sends, the sysctl files answer with
// a value or EINVAL, and pid_max stays within Linux's bounds.
func FuzzSysctlWrite(f *testing.F) {
	for _, s := range []string{"400", "300", "-1", " 4194304\n", "\x00", "9999999999999999999999"} {
		f.Add(s)
	}
	e := newEnv(f)
	p, err := e.k.NewTestProcess(nil, []string{"fz"}, nil)
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, s string) {
		err := e.write(p, "/proc/sys/kernel/pid_max", s)
		if err != nil {
			assert.Equal(t, errno.EINVAL, err)
		}
		n := e.k.PIDMaxValue()
		assert.True(t, n >= proc.PIDMaxMin && n <= proc.PIDMaxLimit)
		_ = e.write(p, "/proc/sys/fs/pipe-max-size", s)
		assert.Positive(t, ipc.PipeMaxSize())
	})
	require.NoError(f, ipc.SetPipeMaxSize(1<<20))
}
