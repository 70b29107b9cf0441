package qemutest

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/tools/qemu/harness"
)

// userBin is the directory of the user programs embedded in the kernel.
func userBin(t *testing.T) string {
	dir := os.Getenv("TAMIX_USER_BIN")
	if dir == "" {
		t.Skip("QEMU TESTS SKIPPED: TAMIX_USER_BIN not set; run make test")
	}
	return dir
}

// programEnv is the environment the shell gives programs.
var programEnv = []string{"HOME=/", "PATH=/bin", "TERM=linux"}

// hostRun runs a user program natively on the host Linux, on a
// pseudo-terminal (script) like the console in tamix, with the same argv[0]
// and environment as the tamix shell gives it: the host is the oracle.
func hostRun(t *testing.T, bin string, argv []string) (string, int) {
	t.Helper()
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) is missing (bsdutils): cannot run the host oracle")
	}
	// perl's exec {PROGRAM} LIST sets argv[0] to what tamix's shell passes.
	words := []string{"env", "-i"}
	words = append(words, programEnv...)
	words = append(words, "perl", "-e", "exec {shift} @ARGV or exit 127", filepath.Join(bin, argv[0]))
	words = append(words, argv...)
	// exec: script(1) runs the command through $SHELL (dash when unset, as
	// in CI), and a shell that forks prints "Segmentation fault" itself.
	cmd := exec.Command("script", "-qec", "exec "+shellJoin(words), "/dev/null")
	cmd.Dir = bin
	out, err := cmd.Output()
	status := 0
	if ee, ok := err.(*exec.ExitError); ok {
		status = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return strings.ReplaceAll(string(out), "\r\n", "\n"), status
}

func shellJoin(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// TestProcessesMatchLinux runs each test program in tamix and natively, and
// compares their output byte for byte.
func TestProcessesMatchLinux(t *testing.T) {
	t.Parallel()
	bin := userBin(t)
	m := harness.BootT(t, harness.Config{SMP: 2, Mem: "2G"})
	for _, tc := range []struct {
		tamix string   // the command line typed in tamix
		argv  []string // the same program run natively
	}{
		{"hello", []string{"hello"}},
		{"args a 'b c' ''", []string{"args", "a", "b c", ""}},
		{"syscalls", []string{"syscalls"}},
		{"forktest", []string{"forktest"}},
		{"cowtest", []string{"cowtest"}},
		{"cowtest faults", []string{"cowtest", "faults"}},
		{"exectest", []string{"exectest", bin}},
		{"manychildren", []string{"manychildren"}},
		{"pthreads", []string{"pthreads"}},
		{"signals", []string{"signals"}},
		{"sigdefault", []string{"sigdefault"}},
		{"orphan", []string{"orphan"}},
		{"pipetest", []string{"pipetest", bin}},
		{"fifotest", []string{"fifotest"}},
		{"pipesize", []string{"pipesize"}},
		{"execthread", []string{"execthread"}},
		{"threadexit", []string{"threadexit"}},
		{"timers", []string{"timers"}},
		{"vdsotest", []string{"vdsotest"}},
		{"procsys", []string{"procsys"}},
		{"procfs", []string{"procfs"}},
		{"procfs a 'b c' ''", []string{"procfs", "a", "b c", ""}},
		{"procfs2", []string{"procfs2"}},
		{"iosys", []string{"iosys"}},
		{"epolltest", []string{"epolltest"}},
		{"mqueue", []string{"mqueue"}},
		{"tmpfs", []string{"tmpfs"}},
		{"sysvipc", []string{"sysvipc"}},
		{"creds", []string{"creds"}},
		{"fsattr", []string{"fsattr"}},
		{"pidfd", []string{"pidfd"}},
		{"clone3", []string{"clone3"}},
		{"schedattr", []string{"schedattr"}},
		{"unixsock", []string{"unixsock"}},
		{"futexshared", []string{"futexshared"}},
		{"procshare", []string{"procshare"}},
		{"execat", []string{"execat", bin}},
		{"altstack", []string{"altstack"}},
		{"rlimits", []string{"rlimits"}},
		{"filemap", []string{"filemap"}},
		{"splice", []string{"splice"}},
		{"ptimers", []string{"ptimers"}},
		{"timerfd", []string{"timerfd"}},
		{"signalfd", []string{"signalfd"}},
	} {
		t.Run(tc.argv[0]+"/"+strings.Join(tc.argv[1:], ","), func(t *testing.T) {
			want, status := hostRun(t, bin, tc.argv)
			if status != 0 {
				// A few checks (signals) time things natively with sleeps; a
				// busy host can fail one: give the oracle a second try.
				want, status = hostRun(t, bin, tc.argv)
			}
			require.Equal(t, 0, status, "the program fails natively:\n%s", want)
			got, err := m.Run(tc.tamix, time.Minute)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.NotContains(t, got, "not ok")
		})
	}
}

// TestFaultsKillOnlyTheTask runs the fault programs: each must die with the
// signal Linux sends it (user/expect.txt), and the shell and kernel go on.
func TestFaultsKillOnlyTheTask(t *testing.T) {
	t.Parallel()
	bin := userBin(t)
	expect := readExpect(t, filepath.Join(bin, "..", "..", "..", "user", "expect.txt"))
	m := harness.BootT(t, harness.Config{SMP: 2, Mem: "1G"})
	sigNum := map[string]int{"SIGILL": 4, "SIGTRAP": 5, "SIGBUS": 7, "SIGFPE": 8, "SIGSEGV": 11}
	for _, name := range []string{"fault_null", "fault_text", "fault_hlt", "fault_ud2", "fault_div0", "fault_int3", "fault_stack", "fault_kptr"} {
		t.Run(name, func(t *testing.T) {
			sig := expect[name]
			require.NotEmpty(t, sig, "user/expect.txt names %s's signal", name)
			hostOut, status := hostRun(t, bin, []string{name})
			assert.Equal(t, 128+sigNum[sig], status, "natively, %s dies with %s", name, sig)
			out, err := m.Run(name, time.Minute)
			require.NoError(t, err)
			assert.Regexp(t, regexp.MustCompile(`(?m)^\[killed by `+sig+`( at 0x[0-9a-f]+)?\]$`), out)
			// What the program printed before it died is the same.
			printed := strings.Split(out, "[killed by")[0]
			assert.Equal(t, hostOut, printed)
		})
	}
	// The kernel and shell still work.
	out, err := m.Run("hello", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, "hello, world\n", out)
}

func readExpect(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) == 3 && w[1] == "signal" {
			m[w[0]] = w[2]
		}
	}
	return m
}

// freeFrames reads the free page-frame count from the shell.
func freeFrames(t *testing.T, m *harness.Machine) int {
	out, err := m.Run("free", time.Minute)
	require.NoError(t, err)
	f := regexp.MustCompile(`frames: (\d+) free`).FindStringSubmatch(out)
	require.NotNil(t, f, out)
	n, _ := strconv.Atoi(f[1])
	return n
}

// TestNoFrameLeaks: 1000 runs of hello, and 1000 fork/exit/wait cycles,
// leave the free-frame count where it started.
func TestNoFrameLeaks(t *testing.T) {
	t.Parallel()
	userBin(t)
	m := harness.BootT(t, harness.Config{SMP: 2, Mem: "1G"})
	// Warm up once: the first run of a program reads its pages into the
	// program's page cache, where they stay, as in Linux.
	_, err := m.Run("hello", time.Minute)
	require.NoError(t, err)
	_, err = m.Run("bench_fork 1", time.Minute)
	require.NoError(t, err)
	before := freeFrames(t, m)
	out, err := m.Run("repeat 1000 hello", 10*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 1000, strings.Count(out, "hello, world\n"))
	assert.Equal(t, before, freeFrames(t, m), "free frames after 1000 runs of hello")

	out, err = m.Run("bench_fork 1000", 10*time.Minute)
	require.NoError(t, err)
	t.Logf("bench_fork: %s", strings.TrimSpace(out))
	assert.Equal(t, before, freeFrames(t, m), "free frames after 1000 fork/exit/wait cycles")
}

// TestPipelines: the shell's pipelines and redirections, a FIFO between two
// unrelated processes, and the fork bomb stopped by max_threads.
func TestPipelines(t *testing.T) {
	t.Parallel()
	userBin(t)
	m := harness.BootT(t, harness.Config{SMP: 2, Mem: "1G"})
	for _, tc := range []struct{ cmd, want string }{
		{"yes | head -n 100000 | wc -l", "100000\n"},
		{"hello | tr a-z A-Z", "HELLO, WORLD\n"},
		{"hello > /dev/null", ""},
		{"cat < /dev/null", ""},
		{"hello | grep -c world", "1\n"},
		{"args x | sort | head -n 1", "argc=2\n"},
	} {
		out, err := m.Run(tc.cmd, 2*time.Minute)
		require.NoError(t, err, tc.cmd)
		assert.Equal(t, tc.want, out, tc.cmd)
	}
	// Every process of those pipelines has exited: only the idle tasks,
	// init and the shell are left.
	ps, err := m.Run("ps", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, 5, strings.Count(ps, "\n"), ps)

	// A FIFO between two processes that share nothing but its name.
	_, err = m.Run("mkfifo /tmp/f", time.Minute)
	require.NoError(t, err)
	_, err = m.Run("cat /tmp/f &", time.Minute)
	require.NoError(t, err)
	out, err := m.Run("hello > /tmp/f", time.Minute)
	require.NoError(t, err)
	out2, err := m.Run("wait", time.Minute)
	require.NoError(t, err)
	assert.Contains(t, out+out2, "hello, world\n", "cat read what hello wrote into the FIFO")
	assert.Contains(t, out+out2, "done exit 0  cat /tmp/f")

	// fork until EAGAIN (max_threads), inside tamix only.
	out, err = m.Run("forkbomb", 5*time.Minute)
	require.NoError(t, err)
	assert.Contains(t, out, "ok - fork failed with EAGAIN")
	assert.NotContains(t, out, "not ok")
	out, err = m.Run("hello", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, "hello, world\n", out, "the kernel survives the fork bomb")
}

// TestJobControl: ^C interrupts the foreground job, ^Z stops it and gives
// the terminal back to the shell, fg continues it.
func TestJobControl(t *testing.T) {
	t.Parallel()
	userBin(t)
	m := harness.BootT(t, harness.Config{SMP: 2, Mem: "1G"})
	require.NoError(t, m.Send("spin 30 c\r"))
	time.Sleep(time.Second)
	require.NoError(t, m.Send("\x03"))
	out, err := m.WaitPrompt(time.Minute)
	require.NoError(t, err)
	assert.Contains(t, out, "[killed by SIGINT]")

	require.NoError(t, m.Send("spin 3 z\r"))
	time.Sleep(time.Second)
	require.NoError(t, m.Send("\x1a"))
	out, err = m.WaitPrompt(time.Minute)
	require.NoError(t, err)
	assert.Regexp(t, `\[1\]\+ Stopped \(SIGTSTP\)\s+spin 3 z`, out)
	ps, err := m.Run("ps", time.Minute)
	require.NoError(t, err)
	assert.Regexp(t, `(?m) T .* spin$`, ps, "the stopped job shows state T")
	out, err = m.Run("fg", 2*time.Minute)
	require.NoError(t, err)
	assert.Regexp(t, `spin z: loops=\d+`, out, "fg continued the job to its end")
}

// TestStress runs the concurrent tests many times on two CPUs: fork, pipes
// with four writers, threads and futexes, with tasks moving between CPUs and
// address spaces dying under them (a freed page table still loaded on a CPU
// once reset the machine here).
func TestStress(t *testing.T) {
	t.Parallel()
	userBin(t)
	m := harness.BootT(t, harness.Config{SMP: 2, Mem: "1G"})
	for _, tc := range []struct {
		cmd  string
		want string
		n    int
	}{
		{"repeat 20 pipetest", "79 passed, 0 failed\n", 20},
		{"repeat 5 pthreads", " passed, 0 failed\n", 5},
		{"repeat 5 manychildren", "5 passed, 0 failed\n", 5},
	} {
		out, err := m.Run(tc.cmd, 5*time.Minute)
		require.NoError(t, err, tc.cmd)
		assert.Equal(t, tc.n, strings.Count(out, tc.want), tc.cmd)
		assert.NotContains(t, out, "not ok", tc.cmd)
	}
}
