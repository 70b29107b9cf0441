package mm

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func requireSignal(t testing.TB, err error, sig, code int) {
	t.Helper()
	var fe *FaultError
	require.True(t, errors.As(err, &fe), "want *FaultError, got %v", err)
	assert.Equal(t, sig, fe.Signal, "signal")
	assert.Equal(t, code, fe.Code, "si_code")
}

func TestDemandZero(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	addr, err := mm.Mmap(0, 3*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	_, ok := userByte(mm, addr)
	require.False(t, ok, "nothing mapped before the first touch")

	res, err := mm.HandleFault(addr+5, AccessRead|AccessUser)
	require.NoError(t, err)
	assert.Equal(t, FaultZero, res)
	assert.False(t, res.Major())
	pte := pteOf(t, mm, addr)
	assert.Equal(t, PTEPresent|PTEUser|PTEWrite|PTENX, pte&(PTEPresent|PTEUser|PTEWrite|PTENX))
	assert.Equal(t, [PageSize]byte{}, *e.mem.Page(pte & PTEAddrMask))

	res, err = mm.HandleFault(addr, AccessWrite|AccessUser)
	require.NoError(t, err)
	assert.Equal(t, FaultSpurious, res)

	c := mm.Counters()
	assert.Equal(t, uint64(1), c.RSS)
	assert.Equal(t, uint64(3), c.TotalVM)
	assert.Equal(t, uint64(2), c.MinFlt)
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestImageFault(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	file := make([]byte, 3*PageSize+100)
	for i := range file {
		file[i] = byte(i*7 + 1)
	}
	// Text: 0x400000, file offset 0, 2 pages + 10 bytes, r-x.
	require.NoError(t, mm.MapImage(0x400000, 2*PageSize+10, PROT_READ|PROT_EXEC, file, 0, 2*PageSize+10))
	// Data: vaddr 0x403010, offset 0x2010 (congruent), 0x100 bytes of file,
	// memsz 2 pages (bss).
	require.NoError(t, mm.MapImage(0x403010, 2*PageSize, PROT_READ|PROT_WRITE, file, 0x2010, 0x100))

	got := make([]byte, 2*PageSize+PageSize)
	require.NoError(t, mm.CopyIn(got, 0x400000))
	want := append(append([]byte{}, file[:2*PageSize+10]...), make([]byte, PageSize-10)...)
	assert.True(t, bytes.Equal(want, got), "text: file bytes then zeros past filesz")

	data := make([]byte, 3*PageSize)
	require.NoError(t, mm.CopyIn(data, 0x403000))
	want = make([]byte, 3*PageSize)
	copy(want, file[0x2000:0x2110]) // the page's bytes below vaddr come from the file too
	assert.True(t, bytes.Equal(want, data), "data: file bytes, zero bss")

	// Faults were minor, and pages were filled only on touch.
	c := mm.Counters()
	assert.Equal(t, uint64(6), c.RSS)
	assert.Zero(t, c.MajFlt)

	// Text is read-only and executable; data not executable.
	requireSignal(t, mustFault(mm, 0x400000, AccessWrite|AccessUser), SIGSEGV, SEGV_ACCERR)
	_, err := mm.HandleFault(0x401000, AccessExec|AccessUser)
	assert.NoError(t, err)
	assert.Zero(t, pteOf(t, mm, 0x401000)&(PTENX|PTEWrite))
	requireSignal(t, mustFault(mm, 0x403000, AccessExec|AccessUser), SIGSEGV, SEGV_ACCERR)
	res, err := mm.HandleFault(0x404000, AccessWrite|AccessUser)
	require.NoError(t, err)
	assert.Equal(t, FaultSpurious, res, "private copy of a file page is writable at once")

	// The file itself is never written.
	require.NoError(t, mm.CopyOut(0x403010, []byte("xyz")))
	assert.Equal(t, byte((0x2010*7+1)&0xff), file[0x2010])
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func mustFault(mm *MM, va uint64, acc Access) error {
	_, err := mm.HandleFault(va, acc)
	return err
}

func TestFaultSignals(t *testing.T) {
	e := newEnv(t, 64)
	mm := e.newMM(t)
	rw, err := mm.Mmap(0, PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	ro, err := mm.Mmap(0, PageSize, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	none, err := mm.Mmap(0, PageSize, PROT_NONE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	short := &FileBacking{Data: make([]byte, 100)}
	fm, err := mm.Mmap(0, 2*PageSize, PROT_READ, MAP_PRIVATE, short, 0)
	require.NoError(t, err)

	tests := []struct {
		name string
		va   uint64
		acc  Access
		sig  int
		code int
	}{
		{"null", 0, AccessRead, SIGSEGV, SEGV_MAPERR},
		{"kernel identity map", 0x10000000, AccessRead, SIGSEGV, SEGV_MAPERR},
		{"above TASK_SIZE", TaskSize, AccessRead, SIGSEGV, SEGV_MAPERR},
		{"kernel half", 0xffff800000000000, AccessRead, SIGSEGV, SEGV_MAPERR},
		{"hole", 0x400000, AccessWrite, SIGSEGV, SEGV_MAPERR},
		{"write read-only", ro, AccessWrite, SIGSEGV, SEGV_ACCERR},
		{"exec non-exec", rw, AccessExec, SIGSEGV, SEGV_ACCERR},
		{"PROT_NONE read", none, AccessRead, SIGSEGV, SEGV_ACCERR},
		{"file page wholly past EOF", fm + PageSize, AccessRead, SIGBUS, BUS_ADRERR},
		{"ok: rw read", rw, AccessRead, 0, 0},
		{"ok: rw write", rw + 100, AccessWrite, 0, 0},
		{"ok: ro read", ro, AccessRead, 0, 0},
		{"ok: file page partly past EOF", fm + 200, AccessRead, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := mm.HandleFault(tc.va, tc.acc|AccessUser)
			if tc.sig == 0 {
				require.NoError(t, err)
				return
			}
			requireSignal(t, err, tc.sig, tc.code)
			var fe *FaultError
			errors.As(err, &fe)
			assert.Equal(t, tc.va, fe.Addr)
		})
	}
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestFaultOOM(t *testing.T) {
	e := newEnv(t, 8)
	mm := e.newMM(t)
	addr, err := mm.Mmap(0, 16*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	var fe *FaultError
	for va := addr; va < addr+16*PageSize; va += PageSize {
		if _, err = mm.HandleFault(va, AccessWrite); err != nil {
			break
		}
	}
	require.True(t, errors.As(err, &fe))
	assert.Equal(t, SIGKILL, fe.Signal)
	checkMM(t, mm)
	mm.Release()
	e.noLeaks(t)
}

func TestAccessFromErrorCode(t *testing.T) {
	assert.Equal(t, AccessRead, AccessFromErrorCode(0))
	assert.Equal(t, AccessWrite|AccessUser, AccessFromErrorCode(0x7))
	assert.Equal(t, AccessExec|AccessUser, AccessFromErrorCode(0x15))
}

func TestStackGrowth(t *testing.T) {
	e := newEnv(t, 128)
	mm := e.newMM(t)
	require.NoError(t, mm.SetupStack(StackTop, 1<<20))
	assert.Equal(t, mmapBase(1<<20), mm.MmapBase)
	assert.Equal(t, StackTop-128<<20, mm.MmapBase, "stack gap clamped to 128 MiB")
	v := mm.VMAs()
	require.Len(t, v, 1)
	assert.Equal(t, StackTop-stackExpand, v[0].Start)

	// Grow by a fault well below the VMA, within the limit.
	res, err := mm.HandleFault(StackTop-512<<10, AccessWrite|AccessUser)
	require.NoError(t, err)
	assert.Equal(t, FaultStack|FaultZero, res)
	assert.Equal(t, StackTop-512<<10, mm.VMAs()[0].Start)
	// Beyond RLIMIT_STACK: SIGSEGV.
	requireSignal(t, mustFault(mm, StackTop-(1<<20)-1, AccessWrite), SIGSEGV, SEGV_MAPERR)
	// Exactly at the limit works (CopyOut grows the stack too).
	require.NoError(t, mm.CopyOut(StackTop-1<<20, []byte{1}))

	// A mapping just below the stack's guard gap region blocks growth.
	mm2 := e.newMM(t)
	require.NoError(t, mm2.SetupStack(StackTop, 8<<20))
	low := StackTop - stackExpand - StackGuardGap - 4*PageSize
	_, err = mm2.Mmap(low, PageSize, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, nil, 0)
	require.NoError(t, err)
	// Growing to within StackGuardGap of it fails...
	requireSignal(t, mustFault(mm2, low+PageSize+StackGuardGap-PageSize, AccessWrite), SIGSEGV, SEGV_MAPERR)
	// ...but keeping the gap works.
	_, err = mm2.HandleFault(low+PageSize+StackGuardGap, AccessWrite)
	require.NoError(t, err)
	// A non-fixed mmap never lands in the guard gap below the stack.
	a, err := mm2.Mmap(StackTop-stackExpand-PageSize, PageSize, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	vs := mm2.VMAs()
	stack := vs[len(vs)-1]
	assert.True(t, a+PageSize <= stack.Start-StackGuardGap || a >= stack.End, "hint in the gap refused: %#x", a)

	checkMM(t, mm)
	checkMM(t, mm2)
	mm.Release()
	mm2.Release()
	e.noLeaks(t)
}
