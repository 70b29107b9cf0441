package qemutest

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/tools/qemu/harness"
)

const cmdTimeout = 20 * time.Second

// run runs a command and fails the test on a harness error.
func run(t *testing.T, m *harness.Machine, cmd string) string {
	t.Helper()
	out, err := m.Run(cmd, cmdTimeout)
	require.NoError(t, err)
	return out
}

// TestShell boots with -smp 2 and exercises the shell's commands on one
// machine, then powers it off.
func TestShell(t *testing.T) {
	t.Parallel()
	m := harness.BootT(t, harness.Config{SMP: 2, Mem: "2G"})
	tm := m.Timing()
	t.Logf("boot to prompt: host %d ms wall, guest %d ms", tm.Host.Milliseconds(), tm.Guest.Milliseconds())

	t.Run("banner", func(t *testing.T) {
		b := m.Banner()
		assert.Regexp(t, `(?m)^tamix \S+ \(go1\.\d+\S*, tamago/amd64\)$`, b)
		assert.Regexp(t, `(?m)^tamix: 2 CPUs, TSC \d+\.\d{3} MHz`, b)
		mhz := regexp.MustCompile(`TSC (\d+)\.\d{3} MHz`).FindStringSubmatch(b)
		require.NotNil(t, mhz)
		f, _ := strconv.Atoi(mhz[1])
		assert.Greater(t, f, 100, "TSC frequency")
		ram := regexp.MustCompile(`(?m)^tamix: (\d+) MiB RAM:`).FindStringSubmatch(b)
		require.NotNil(t, ram, "RAM line")
		mib, _ := strconv.Atoi(ram[1])
		assert.InDelta(t, 2048, mib, 16, "RAM of -m 2G")
		assert.Regexp(t, `(?m)^tamix: prompt after \d+ ms \(guest time since reset\)$`, b)
		assert.GreaterOrEqual(t, tm.Guest, time.Duration(0), "guest boot time parsed")
		assert.Greater(t, tm.Host, time.Duration(0))
		assert.NotContains(t, b, harness.DefaultPrompt, "the banner ends before the prompt")
	})

	t.Run("uname", func(t *testing.T) {
		out := run(t, m, "uname")
		assert.Regexp(t, `^tamix \S+ go1\.\d+\S* x86_64 .*\n$`, out)
		assert.Equal(t, 1, strings.Count(out, "\n"), "one line")
	})

	t.Run("cpus", func(t *testing.T) {
		out := run(t, m, "cpus")
		assert.Regexp(t, `(?m)^2 CPUs online, TSC \d+ Hz$`, out)
		assert.Regexp(t, `(?m)^ACPI MADT: local APIC IDs \[0 1\]$`, out)
	})

	t.Run("mem", func(t *testing.T) {
		out := run(t, m, "mem")
		assert.Regexp(t, `(?m)^RAM\s+20[34]\d MiB$`, out)
		assert.Regexp(t, `(?m)^Go RAM\s+0x[0-9a-f]+-0x[0-9a-f]+\s+\d+ MiB$`, out)
		assert.Regexp(t, `(?m)^page frames 0x[0-9a-f]+-0x[0-9a-f]+\s+\d+ MiB$`, out)
	})

	t.Run("echo", func(t *testing.T) {
		assert.Equal(t, "hello world\n", run(t, m, "echo hello world"))
		assert.Equal(t, "a  b c d 'e' \"f\"\n", run(t, m, `echo "a  b" 'c d' "'e'" '"f"'`))
		assert.Equal(t, "x y\n", run(t, m, `echo x\ y`))
		assert.Equal(t, "\n", run(t, m, "echo"))
		assert.Equal(t, "tamix: unterminated \" quote\n", run(t, m, `echo "abc`))
		assert.Equal(t, "", run(t, m, ""), "an empty line prints nothing")
	})

	t.Run("long line", func(t *testing.T) {
		// the echo wraps at 80 columns; every character must arrive
		word := strings.Repeat("0123456789", 30)
		assert.Equal(t, word+"\n", run(t, m, "echo "+word))
		exact := strings.Repeat("z", 80-len(harness.DefaultPrompt)-5) // ends at column 80
		assert.Equal(t, exact+"\n", run(t, m, "echo "+exact))
	})

	t.Run("unknown command", func(t *testing.T) {
		assert.Equal(t, "tamix: nosuchcmd: command not found\n", run(t, m, "nosuchcmd --flag"))
		assert.Equal(t, "ok\n", run(t, m, "echo ok"), "the shell goes on")
	})

	t.Run("help", func(t *testing.T) {
		out := run(t, m, "help")
		for _, c := range []string{"help", "echo", "uname", "uptime", "cpus", "mem", "poweroff", "reboot", "crash", "exit"} {
			assert.Regexp(t, `(?m)^\s+`+c+`\b.*\S`, out, "help lists %s", c)
		}
		assert.Regexp(t, `^uname\n\s+\S`, run(t, m, "help uname"))
		assert.Equal(t, "help: no such command: nosuch\n", run(t, m, "help nosuch"))
	})

	t.Run("uptime", func(t *testing.T) {
		out := run(t, m, "uptime")
		g := regexp.MustCompile(`^up (\S+) since reset, (\S+) since the kernel started\n$`).FindStringSubmatch(out)
		require.NotNil(t, g, "uptime output %q", out)
		reset, err := time.ParseDuration(g[1])
		require.NoError(t, err)
		kernel, err := time.ParseDuration(g[2])
		require.NoError(t, err)
		assert.GreaterOrEqual(t, reset, kernel)
		assert.GreaterOrEqual(t, reset, tm.Guest, "uptime after the prompt")
	})

	t.Run("line editing", func(t *testing.T) {
		// DEL (backspace) erases, Left moves the cursor, ^A goes home
		assert.Equal(t, "abc\n", run(t, m, "echo abcX\x7f"))
		assert.Equal(t, "abc\n", run(t, m, "echo ac\x1b[Db"))
		assert.Equal(t, "hi\n", run(t, m, "cho hi\x01e"))
	})

	t.Run("history", func(t *testing.T) {
		want := run(t, m, "uname")
		assert.Equal(t, want, run(t, m, "\x1b[A"), "ESC [ A recalls uname")
		run(t, m, "echo second")
		assert.Equal(t, want, run(t, m, "\x1b[A\x1b[A"), "two steps back")
	})

	t.Run("poweroff", func(t *testing.T) {
		out, err := m.RunUntil("poweroff", `tamix: power off\n`, cmdTimeout)
		require.NoError(t, err)
		assert.Equal(t, "tamix: power off\n", out)
		st, err := m.Wait(cmdTimeout)
		require.NoError(t, err)
		assert.Equal(t, harness.ExitPowerOff, st.Kind, "%v", st)
		assert.Equal(t, 0, st.Status)
		assert.Equal(t, "guest-shutdown", st.Reason)
	})
}

// TestCrash: a ring-0 fault ends the machine through a kernel panic.
func TestCrash(t *testing.T) {
	t.Parallel()
	m := harness.BootT(t, harness.Config{SMP: 2})
	_, err := m.RunUntil("crash", `(?i)oops|exception`, cmdTimeout)
	require.NoError(t, err)
	st, err := m.Wait(cmdTimeout)
	require.NoError(t, err)
	assert.Equal(t, harness.ExitPanic, st.Kind, "%v", st)
	assert.Contains(t, []int{1, 2}, st.PanicCode, "the kernel's panic codes")
	assert.NotEqual(t, 0, st.Status)

	tr := m.Transcript()
	after := tr[strings.LastIndex(tr, "tamix# crash"):]
	// crash writes to address 0x8: whatever the report looks like, it
	// names the page fault (vector 14)
	assert.Regexp(t, `(?i)vector 14|page fault|#PF`, after)
	if regexp.MustCompile(`(?i)\boops\b`).MatchString(after) {
		// the full oops: registers and the faulting address
		assert.Regexp(t, `(?i)\bcr2\b\W*(0x)?0*8\b`, after, "CR2 is the address written")
		assert.Regexp(t, `(?i)\brip\b`, after)
	}
	assert.NotRegexp(t, `(?m)^`+regexp.QuoteMeta(harness.DefaultPrompt), after[len("tamix# crash"):], "no prompt after the crash")
}

// TestReboot: with -no-reboot a reset ends QEMU with status 0, and QMP
// tells it apart from a power-off.
func TestReboot(t *testing.T) {
	t.Parallel()
	m := harness.BootT(t, harness.Config{SMP: 2})
	out, err := m.RunUntil("reboot", `tamix: reboot\n`, cmdTimeout)
	require.NoError(t, err)
	assert.Equal(t, "tamix: reboot\n", out)
	st, err := m.Wait(cmdTimeout)
	require.NoError(t, err)
	assert.Equal(t, harness.ExitReset, st.Kind, "%v", st)
	assert.Equal(t, 0, st.Status)
	assert.Equal(t, "guest-reset", st.Reason)
}
