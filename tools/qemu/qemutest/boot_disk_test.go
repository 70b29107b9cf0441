package qemutest

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/tools/qemu/harness"
)

// diskImage returns the image named by $env (make test-qemu sets it after
// make image), or skips loudly.
func diskImage(t *testing.T, env, firmware string) string {
	t.Helper()
	p := os.Getenv(env)
	why := ""
	if p == "" {
		why = env + " not set; run make test-qemu (it builds the images with make image)"
	} else if _, err := os.Stat(p); err != nil {
		why = fmt.Sprintf("%s=%s: %v; run make image", env, p, err)
	} else if st, err := os.Stat(p); err == nil && stale(st.ModTime()) {
		why = fmt.Sprintf("%s=%s is older than $TAMIX_KERNEL; run make image", env, p)
	} else if _, err := os.Stat(firmware); err != nil {
		why = fmt.Sprintf("firmware %s: %v; install it (make deps)", firmware, err)
	}
	if why != "" {
		fmt.Fprintf(os.Stderr, "\n##########\n## QEMU DISK BOOT TEST SKIPPED: %s\n##########\n", why)
		t.Skip("QEMU DISK BOOT TEST SKIPPED: " + why)
	}
	return p
}

// stale tells whether an image built at t predates $TAMIX_KERNEL.
func stale(t time.Time) bool {
	k, err := os.Stat(os.Getenv("TAMIX_KERNEL"))
	return err == nil && k.ModTime().After(t)
}

// bootDisk boots a disk image on a plain q35 (8259 PIC present, as on a
// PC), checks the banner, runs a user program and powers off.
func bootDisk(t *testing.T, cfg harness.Config, loaderLine string) {
	cfg.Machine = "q35"
	cfg.SMP = 2
	cfg.Mem = "2G"
	cfg.Timeout = 2 * time.Minute
	m := harness.BootT(t, cfg)
	tm := m.Timing()
	t.Logf("boot to prompt: host %d ms wall, guest %d ms", tm.Host.Milliseconds(), tm.Guest.Milliseconds())

	b := m.Banner()
	t.Logf("banner:\n%s", b)
	assert.Contains(t, b, loaderLine, "the loader ran")
	assert.Regexp(t, `(?m)^tamix: 2 CPUs, TSC \d+\.\d{3} MHz`, b)
	ram := regexp.MustCompile(`(?m)^tamix: (\d+) MiB RAM:`).FindStringSubmatch(b)
	require.NotNil(t, ram, "RAM line")
	mib, _ := strconv.Atoi(ram[1])
	assert.InDelta(t, 2048, mib, 16, "RAM of -m 2G from the firmware memory map")
	assert.Regexp(t, `(?m)^tamix: prompt after \d+ ms \(guest time since reset\)$`, b)

	out := run(t, m, "cpus")
	assert.Regexp(t, `(?m)^ACPI MADT: local APIC IDs \[0 1\]$`, out)

	out, err := m.Run("hello", time.Minute)
	require.NoError(t, err)
	assert.Equal(t, "hello, world\n", out)

	_, err = m.RunUntil("poweroff", `tamix: power off\n`, cmdTimeout)
	require.NoError(t, err)
	st, err := m.Wait(cmdTimeout)
	require.NoError(t, err)
	assert.Equal(t, harness.ExitPowerOff, st.Kind, "%v", st)
}

// TestBootBIOS boots tamix.img with SeaBIOS: MBR, second stage, E820, PVH
// hand-over (no -kernel).
func TestBootBIOS(t *testing.T) {
	t.Parallel()
	img := diskImage(t, "TAMIX_IMAGE", "/usr/share/seabios/bios-256k.bin")
	bootDisk(t, harness.Config{Disk: img}, "tamix: BIOS loader")
}

// TestBootUEFI boots tamix-efi.img (GPT, FAT ESP, \EFI\BOOT\BOOTX64.EFI)
// with OVMF.
func TestBootUEFI(t *testing.T) {
	t.Parallel()
	img := diskImage(t, "TAMIX_EFI_IMAGE", harness.OVMFCode)
	bootDisk(t, harness.Config{Disk: img, UEFI: true}, "tamix: boot services exited")
}
