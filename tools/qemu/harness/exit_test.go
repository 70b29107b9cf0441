package harness

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDecodeExit(t *testing.T) {
	for _, tc := range []struct {
		status int
		reason string
		kind   ExitKind
		code   int
	}{
		{0, "guest-shutdown", ExitPowerOff, 0},
		{0, "", ExitPowerOff, 0},
		{0, "guest-reset", ExitReset, 0},
		{0, "host-signal", ExitOther, 0},
		{0, "host-qmp-quit", ExitOther, 0},
		{3, "", ExitPanic, 1},
		{5, "", ExitPanic, 2},
		{255, "", ExitPanic, 127},
		{1, "", ExitOther, 0}, // QEMU's own error status
		{2, "", ExitOther, 0},
		{4, "", ExitOther, 0},
		{-1, "", ExitOther, 0}, // killed by a signal
	} {
		s := DecodeExit(tc.status, tc.reason)
		assert.Equal(t, tc.kind, s.Kind, "status %d reason %q", tc.status, tc.reason)
		assert.Equal(t, tc.code, s.PanicCode, "status %d", tc.status)
		assert.Equal(t, tc.status, s.Status)
		assert.Equal(t, tc.reason, s.Reason)
	}
	assert.Equal(t, "panic (QEMU exit status 5, kernel panic code 2)", DecodeExit(5, "").String())
	assert.Equal(t, "reset (QEMU exit status 0, guest-reset)", DecodeExit(0, "guest-reset").String())
	assert.Equal(t, "timeout", ExitTimeout.String())
}

func TestArgs(t *testing.T) {
	a := Args(Config{Kernel: "k"}, "/tmp/q.sock")
	assert.Contains(t, a, "q35,pic=off")
	assert.Subset(t, a, []string{"-smp", "2", "-m", "2G", "-no-reboot", "-kernel", "k", "-serial", "stdio", "-monitor", "none"})
	assert.Contains(t, a, "unix:/tmp/q.sock,server=on,wait=on")
	a = Args(Config{Kernel: "k", SMP: 1, Mem: "512M", ExtraArgs: []string{"-append", "x"}}, "")
	assert.Equal(t, []string{"-append", "x"}, a[len(a)-2:])
	assert.NotContains(t, a, "-qmp")
	i := indexOf(a, "-smp")
	assert.Equal(t, "1", a[i+1])
	i = indexOf(a, "-m")
	assert.Equal(t, "512M", a[i+1])
}

func indexOf(a []string, s string) int {
	for i, x := range a {
		if x == s {
			return i
		}
	}
	return -1
}
