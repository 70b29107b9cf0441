package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
)

var skipNotice sync.Once

// KernelPath returns $TAMIX_KERNEL. When it is unset, or names no file, or
// the QEMU binary is missing, it skips the test with a loud message (also
// printed once to stderr).
func KernelPath(t testing.TB) string {
	t.Helper()
	k := os.Getenv("TAMIX_KERNEL")
	var why string
	switch {
	case k == "":
		why = "TAMIX_KERNEL not set; run make test-qemu (or TAMIX_KERNEL=$PWD/build/tamix go test ./tools/qemu/...)"
	default:
		if _, err := os.Stat(k); err != nil {
			why = fmt.Sprintf("TAMIX_KERNEL=%s: %v; run make kernel", k, err)
		} else if _, err := exec.LookPath(QEMUBinary(Config{})); err != nil {
			why = fmt.Sprintf("%s not found: install qemu-system-x86 (make deps)", QEMUBinary(Config{}))
		}
	}
	if why != "" {
		msg := "QEMU TESTS SKIPPED: " + why
		skipNotice.Do(func() {
			fmt.Fprintf(os.Stderr, "\n##########\n## %s\n##########\n", msg)
		})
		t.Skip(msg)
	}
	return k
}

// BootT boots a machine for a test: cfg.Kernel defaults to KernelPath(t)
// unless cfg.Disk is set (so the test skips loudly without a kernel), the machine is closed at
// cleanup, and when the test failed the transcript and QEMU's stderr are
// logged. A boot error fails the test at once.
func BootT(t testing.TB, cfg Config) *Machine {
	t.Helper()
	if cfg.Kernel == "" && cfg.Disk == "" {
		cfg.Kernel = KernelPath(t)
	}
	m, err := Boot(context.Background(), cfg)
	if err != nil {
		t.Fatalf("boot: %v", err)
	}
	t.Cleanup(func() {
		m.Close()
		if t.Failed() {
			t.Logf("console transcript:\n%s", m.Transcript())
			if e := m.Stderr(); e != "" {
				t.Logf("QEMU stderr:\n%s", e)
			}
		}
	})
	return m
}
