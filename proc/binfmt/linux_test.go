package binfmt

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stackDumpC prints the initial stack Linux gave it, from rsp at _start
// (just below argv) up to the top of the stack (8 bytes past AT_EXECFN's
// string), as raw bytes preceded by the two addresses.
const stackDumpC = `#include <string.h>
#include <unistd.h>
#include <elf.h>
int main(int argc, char **argv, char **envp) {
	unsigned long sp = (unsigned long)(argv - 1), top = 0;
	char **e = envp;
	while (*e) e++;
	for (unsigned long *a = (unsigned long *)(e + 1); a[0] != AT_NULL; a += 2)
		if (a[0] == AT_EXECFN) top = a[1] + strlen((char *)a[1]) + 1 + 8;
	write(1, &sp, 8);
	write(1, &top, 8);
	write(1, (void *)sp, top - sp);
	return 0;
}
`

// TestBuildStackMatchesLinux runs a static program on the host Linux
// without address randomization (setarch -R) and compares the stack Linux
// built with BuildStack's. The host adds auxv entries tamix leaves out
// (AT_SYSINFO_EHDR, AT_RSEQ_*, perhaps newer ones), which move rsp down;
// everything else must be at the same address.
func TestBuildStackMatchesLinux(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("needs x86-64 Linux")
	}
	for _, tool := range []string{"musl-gcc", "setarch", "env"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "stackdump.c")
	prog := filepath.Join(dir, "stackdump")
	require.NoError(t, os.WriteFile(src, []byte(stackDumpC), 0o644))
	if msg, err := exec.Command("musl-gcc", "-static", "-O1", "-o", prog, src).CombinedOutput(); err != nil {
		t.Skipf("musl-gcc: %v\n%s", err, msg)
	}

	argv := []string{prog, "a", "bb", "", "ccc"}
	envp := []string{"A=1", "LONGER=some value"}
	out, err := exec.Command("setarch", append([]string{"-R", "env", "-i", envp[0], envp[1]}, argv...)...).Output()
	if err != nil || len(out) < 16 {
		t.Skipf("setarch -R does not work here: %v", err)
	}
	le := binary.LittleEndian
	hostSP, top := le.Uint64(out), le.Uint64(out[8:])
	hostMem := out[16:]
	require.Equal(t, top-hostSP, uint64(len(hostMem)))
	host := newFakeAS()
	require.NoError(t, host.CopyOut(hostSP, hostMem))
	hs := decodeStack(t, host, hostSP)
	if top != StackTop || hs.aux[AtRandom] == 0 {
		t.Skipf("stack top %#x: randomized or unusual layout", top)
	}

	aux := AuxInfo{
		Execfn: host.cstring(hs.aux[AtExecfn]), Phdr: hs.aux[AtPhdr], Phent: hs.aux[AtPhent],
		Phnum: hs.aux[AtPhnum], Entry: hs.aux[AtEntry], HWCap: hs.aux[AtHwcap],
		HWCap2: hs.aux[AtHwcap2], MinSigStkSz: hs.aux[AtMinsigstksz],
	}
	var random [16]byte
	copy(random[:], host.read(hs.aux[AtRandom], 16))
	as := newFakeAS()
	sp, err := BuildStack(as, top, argv, envp, aux, random)
	require.NoError(t, err)
	st := decodeStack(t, as, sp)

	// Strings and the blocks above auxv: byte for byte.
	assert.Equal(t, hs.argvPtrs, st.argvPtrs)
	assert.Equal(t, hs.envpPtrs, st.envpPtrs)
	assert.Equal(t, hs.argv, st.argv)
	assert.Equal(t, hs.envp, st.envp)
	assert.Equal(t, hs.aux[AtRandom], st.aux[AtRandom])
	assert.Equal(t, hs.aux[AtPlatform], st.aux[AtPlatform])
	assert.Equal(t, hs.aux[AtExecfn], st.aux[AtExecfn])
	from := st.aux[AtRandom]
	assert.True(t, bytes.Equal(host.read(from, int(top-from)), as.read(from, int(top-from))), "bytes above auxv differ")

	// auxv: same entries in the same order, once the host's extras are gone.
	hostTypes := slices.DeleteFunc(slices.Clone(hs.auxTypes), func(a uint64) bool {
		return !slices.Contains(linuxAuxOrder, a)
	})
	assert.Equal(t, linuxAuxOrder, hostTypes)
	for _, a := range linuxAuxOrder {
		assert.Equal(t, hs.aux[a], st.aux[a], "auxv type %d", a)
	}

	// rsp: the same rule (STACK_ADD, STACK_ROUND) with each one's number
	// of auxv entries.
	items := uint64(1 + len(argv) + 1 + len(envp) + 1)
	rsp := func(nAux int) uint64 { return (st.aux[AtRandom] - uint64(nAux)*16 - items*8) &^ 15 }
	assert.Equal(t, hostSP, rsp(len(hs.auxTypes)))
	assert.Equal(t, sp, rsp(len(linuxAuxOrder)))
}
