package qemutest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/tools/qemu/harness"
)

// The board needs Go RAM (256 MiB at 256 MiB) plus 4 MiB of DMA memory: with
// -m 512M the RAM ends below 516 MiB, so the kernel says so and panics.
const tooSmall = `tamix: RAM 0x10000000-0x20400000 (Go RAM and DMA) is not in the firmware memory map: need at least 516 MiB of RAM`

func TestMem512MTooSmall(t *testing.T) {
	t.Parallel()
	k := harness.KernelPath(t)
	m, err := harness.Start(context.Background(), harness.Config{Kernel: k, SMP: 1, Mem: "512M"})
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	st, err := m.Wait(cmdTimeout)
	require.NoError(t, err)
	assert.Equal(t, harness.ExitPanic, st.Kind, "%v", st)
	assert.Equal(t, 1, st.PanicCode)
	tr := m.Transcript()
	assert.Contains(t, tr, tooSmall)
	assert.NotContains(t, tr, harness.DefaultPrompt)
	if t.Failed() {
		t.Logf("transcript:\n%s", tr)
	}
}

// Boot reports a machine that dies before the prompt with its status and
// the end of the transcript.
func TestBootErrorHasTranscript(t *testing.T) {
	t.Parallel()
	k := harness.KernelPath(t)
	start := time.Now()
	_, err := harness.Boot(context.Background(), harness.Config{Kernel: k, SMP: 1, Mem: "512M"})
	require.Error(t, err)
	var ee *harness.ExitError
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, harness.ExitPanic, ee.Status.Kind)
	assert.Equal(t, 1, ee.Status.PanicCode)
	assert.Contains(t, err.Error(), "QEMU exited (panic")
	assert.Contains(t, err.Error(), "need at least 516 MiB of RAM")
	assert.Less(t, time.Since(start), cmdTimeout, "no waiting for the timeout")
}

func TestMem1G(t *testing.T) {
	t.Parallel()
	m := harness.BootT(t, harness.Config{SMP: 1, Mem: "1G"})
	b := m.Banner()
	assert.Regexp(t, `(?m)^tamix: 1 CPUs, TSC `, b)
	assert.Regexp(t, `(?m)^tamix: 10[12]\d MiB RAM:`, b)
	out := run(t, m, "mem")
	assert.Regexp(t, `(?m)^RAM\s+10[12]\d MiB$`, out)
	assert.Regexp(t, `(?m)^page frames 0x[0-9a-f]+-0x[0-9a-f]+\s+\d+ MiB$`, out)
	assert.Regexp(t, `(?m)^1 CPUs online`, run(t, m, "cpus"))

	// harness behaviour when the shell goes quiet: Run times out with the
	// transcript's tail, Wait times out and kills QEMU
	require.NoError(t, m.Send("exit\r"))
	_, err := m.Expect(`^exit\n`, cmdTimeout) // the echo: the shell has read the line
	require.NoError(t, err)
	_, err = m.Run("uname", 300*time.Millisecond)
	require.ErrorIs(t, err, harness.ErrTimeout)
	assert.Contains(t, err.Error(), "tamix# exit")
	st, err := m.Wait(300 * time.Millisecond)
	require.ErrorIs(t, err, harness.ErrTimeout)
	assert.Equal(t, harness.ExitTimeout, st.Kind)
	assert.True(t, m.Exited())
	assert.True(t, strings.HasPrefix(m.Transcript(), m.Banner()))
}
