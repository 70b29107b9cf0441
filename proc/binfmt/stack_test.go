package binfmt

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

// linuxAuxOrder is the order of create_elf_tables on x86-64 without vDSO
// and rseq.
var linuxAuxOrder = []uint64{
	AtMinsigstksz, AtHwcap, AtPagesz, AtClktck, AtPhdr, AtPhent, AtPhnum,
	AtBase, AtFlags, AtEntry, AtUID, AtEUID, AtGID, AtEGID, AtSecure,
	AtRandom, AtHwcap2, AtExecfn, AtPlatform, AtNull,
}

// stack is an initial stack read back the way libc's _start reads it.
type stack struct {
	argc     uint64
	argvPtrs []uint64
	argv     []string
	envpPtrs []uint64
	envp     []string
	auxTypes []uint64
	aux      map[uint64]uint64
	auxStart uint64
	auxEnd   uint64 // just past AT_NULL
}

func decodeStack(t *testing.T, as *fakeAS, sp uint64) stack {
	t.Helper()
	st := stack{aux: map[uint64]uint64{}}
	p := sp
	st.argc = as.u64(p)
	p += 8
	require.Less(t, st.argc, uint64(1<<20))
	for range st.argc {
		a := as.u64(p)
		st.argvPtrs = append(st.argvPtrs, a)
		st.argv = append(st.argv, as.cstring(a))
		p += 8
	}
	require.Zero(t, as.u64(p), "argv NULL")
	p += 8
	for {
		a := as.u64(p)
		p += 8
		if a == 0 {
			break
		}
		st.envpPtrs = append(st.envpPtrs, a)
		st.envp = append(st.envp, as.cstring(a))
	}
	st.auxStart = p
	for {
		typ, val := as.u64(p), as.u64(p+8)
		p += 16
		st.auxTypes = append(st.auxTypes, typ)
		st.aux[typ] = val
		if typ == AtNull {
			break
		}
		require.Less(t, len(st.auxTypes), 100, "auxv without AT_NULL")
	}
	st.auxEnd = p
	return st
}

// TestBuildStackGolden checks one stack byte by byte against addresses
// worked out by hand from create_elf_tables.
func TestBuildStackGolden(t *testing.T) {
	const top = 0x7ffffffff000
	as := newFakeAS()
	aux := AuxInfo{
		Execfn: "/bin/prog", Phdr: 0x400040, Phent: 56, Phnum: 6, Entry: 0x401010,
		HWCap: 0xbfebfbff, HWCap2: 0x2, MinSigStkSz: 0x440,
	}
	random := [16]byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf}
	sp, err := BuildStack(as, top, []string{"prog", "a"}, []string{"HOME=/"}, aux, random)
	require.NoError(t, err)

	// Strings, from top-8 down: "/bin/prog\0" at efee (10 bytes), then
	// "HOME=/\0" at efe7, "a\0" at efe5, "prog\0" at efe0. efe0 is
	// 16-aligned; "x86_64\0" at efd9, random at efc9. 20 auxv pairs (0x140
	// bytes) end at efc9, so they would start at ee89; argc + 2 argv + NULL
	// + 1 envp + NULL = 6 words below that is ee59, rounded down to ee50.
	const (
		sp0      = 0x7fffffffee50
		argv0    = 0x7fffffffefe0
		argv1    = 0x7fffffffefe5
		env0     = 0x7fffffffefe7
		execfn   = 0x7fffffffefee
		platform = 0x7fffffffefd9
		rnd      = 0x7fffffffefc9
	)
	require.Equal(t, uint64(sp0), sp)
	assert.Equal(t, 1, as.copies, "one CopyOut for the whole block")

	want := make([]byte, top-sp0)
	le := binary.LittleEndian
	words := []uint64{
		2, argv0, argv1, 0, env0, 0,
		AtMinsigstksz, 0x440,
		AtHwcap, 0xbfebfbff,
		AtPagesz, 4096,
		AtClktck, 100,
		AtPhdr, 0x400040,
		AtPhent, 56,
		AtPhnum, 6,
		AtBase, 0,
		AtFlags, 0,
		AtEntry, 0x401010,
		AtUID, 0,
		AtEUID, 0,
		AtGID, 0,
		AtEGID, 0,
		AtSecure, 0,
		AtRandom, rnd,
		AtHwcap2, 2,
		AtExecfn, execfn,
		AtPlatform, platform,
		AtNull, 0,
	}
	for i, w := range words {
		le.PutUint64(want[i*8:], w)
	}
	copy(want[rnd-sp0:], random[:])
	copy(want[platform-sp0:], "x86_64\x00")
	copy(want[argv0-sp0:], "prog\x00a\x00HOME=/\x00/bin/prog\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	assert.Equal(t, want, as.read(sp0, int(top-sp0)))
}

func TestBuildStackLayout(t *testing.T) {
	long := strings.Repeat("x", MaxArgStrlen-1) // the longest string allowed
	tests := []struct {
		name       string
		top        uint64
		execfn     string
		argv, envp []string
		wantArgv   []string
	}{
		{name: "no argv gets an empty argv[0]", top: StackTop, execfn: "/init", wantArgv: []string{""}},
		{name: "one arg", top: StackTop, execfn: "/bin/sh", argv: []string{"sh"}},
		{name: "two args, two env", top: StackTop, execfn: "/bin/sh", argv: []string{"sh", "-c"}, envp: []string{"A=1", "B=2"}},
		{name: "odd word count", top: StackTop, execfn: "x", argv: []string{"a", "b", "c"}, envp: []string{"E=1"}},
		{name: "empty strings", top: StackTop, execfn: "", argv: []string{"", "", ""}, envp: []string{"", ""}},
		{name: "unaligned top", top: 0x7fff12345673, execfn: "/p", argv: []string{"p", "q"}},
		{name: "low stack below 256 MiB", top: 0xf000000, execfn: "/bin/true", argv: []string{"true"}, envp: []string{"PATH=/bin"}},
		{name: "longest string", top: StackTop, execfn: "/bin/echo", argv: []string{"echo", long}, envp: []string{long}},
		{name: "many args", top: StackTop, execfn: "/bin/echo", argv: strings.Fields(strings.Repeat("arg ", 1000)), envp: strings.Fields(strings.Repeat("E=v ", 333))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := newFakeAS()
			aux := AuxInfo{Execfn: tt.execfn, Phdr: 0x400040, Phent: 56, Phnum: 3, Entry: 0x401000, HWCap: 7, HWCap2: 9, MinSigStkSz: DefaultMinSigStkSz}
			random := [16]byte{15: 0xff, 0: 0x11}
			sp, err := BuildStack(as, tt.top, tt.argv, tt.envp, aux, random)
			require.NoError(t, err)
			assert.Zero(t, sp%16, "rsp 16-byte aligned at entry, as the ABI wants")
			assert.Equal(t, 1, as.copies)

			st := decodeStack(t, as, sp)
			wantArgv := tt.wantArgv
			if wantArgv == nil {
				wantArgv = tt.argv
			}
			assert.Equal(t, uint64(len(wantArgv)), st.argc)
			assert.Equal(t, wantArgv, st.argv)
			if len(tt.envp) == 0 {
				assert.Empty(t, st.envp)
			} else {
				assert.Equal(t, tt.envp, st.envp)
			}

			// Strings: argv then envp then execfn, packed, ending 8 bytes
			// below top, and those 8 bytes are zero.
			ptrs := append(append([]uint64{}, st.argvPtrs...), st.envpPtrs...)
			strs := append(append([]string{}, st.argv...), st.envp...)
			ptrs = append(ptrs, st.aux[AtExecfn])
			strs = append(strs, tt.execfn)
			for i := 1; i < len(ptrs); i++ {
				assert.Equal(t, ptrs[i-1]+uint64(len(strs[i-1]))+1, ptrs[i], "string %d follows string %d", i, i-1)
			}
			last := len(ptrs) - 1
			assert.Equal(t, tt.top-8, ptrs[last]+uint64(len(strs[last]))+1)
			assert.Equal(t, tt.execfn, as.cstring(st.aux[AtExecfn]))
			assert.Equal(t, make([]byte, 8), as.read(tt.top-8, 8))

			// Platform and random bytes just below the aligned strings.
			argStart := st.argvPtrs[0]
			assert.Equal(t, argStart&^15-7, st.aux[AtPlatform])
			assert.Equal(t, "x86_64", as.cstring(st.aux[AtPlatform]))
			assert.Equal(t, st.aux[AtPlatform]-16, st.aux[AtRandom])
			assert.Equal(t, random[:], as.read(st.aux[AtRandom], 16))

			// auxv in Linux's order, right after envp's NULL, below the
			// random bytes by less than 16 bytes of padding.
			assert.Equal(t, linuxAuxOrder, st.auxTypes)
			assert.LessOrEqual(t, st.auxEnd, st.aux[AtRandom])
			assert.Less(t, st.aux[AtRandom]-st.auxEnd, uint64(16))
			assert.Equal(t, sp+8*(1+st.argc+1+uint64(len(st.envp))+1), st.auxStart)
			wantAux := map[uint64]uint64{
				AtMinsigstksz: DefaultMinSigStkSz, AtHwcap: 7, AtPagesz: 4096, AtClktck: 100,
				AtPhdr: 0x400040, AtPhent: 56, AtPhnum: 3, AtBase: 0, AtFlags: 0, AtEntry: 0x401000,
				AtUID: 0, AtEUID: 0, AtGID: 0, AtEGID: 0, AtSecure: 0, AtHwcap2: 9, AtNull: 0,
				AtRandom: st.aux[AtRandom], AtExecfn: st.aux[AtExecfn], AtPlatform: st.aux[AtPlatform],
			}
			assert.Equal(t, wantAux, st.aux)
		})
	}
}

func TestCheckArgsAndBuildStackErrors(t *testing.T) {
	long := strings.Repeat("x", MaxArgStrlen-1)
	tooLong := long + "x"
	// 2 MiB (a quarter of the 8 MiB stack limit) less one pointer per
	// string is all the strings may take.
	many := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = long
		}
		return s
	}
	tests := []struct {
		name       string
		execfn     string
		argv, envp []string
		want       error
	}{
		{"fine", "/bin/sh", []string{"sh"}, []string{"A=b"}, nil},
		{"argument of MAX_ARG_STRLEN bytes without its NUL", "/bin/sh", []string{"sh", tooLong}, nil, errno.E2BIG},
		{"environment string too long", "/bin/sh", []string{"sh"}, []string{tooLong}, errno.E2BIG},
		{"execfn too long", tooLong, []string{"sh"}, nil, errno.E2BIG},
		{"15 longest strings fit", "/x", many(15), nil, nil},
		{"17 longest strings do not", "/x", many(17), nil, errno.E2BIG},
		{"split between argv and envp", "/x", many(8), many(9), errno.E2BIG},
		{"too many pointers", "/x", []string{"a"}, make([]string, 2<<20/8), errno.E2BIG},
		{"NUL inside an argument", "/x", []string{"a\x00b"}, nil, errno.EINVAL},
		{"NUL inside execfn", "/x\x00", []string{"a"}, nil, errno.EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckArgs(tt.execfn, tt.argv, tt.envp)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.Equal(t, tt.want, err)
			}
			as := newFakeAS()
			as.stackTop, as.stackMax = StackTop, StackRlimit
			_, err = BuildStack(as, StackTop, tt.argv, tt.envp, AuxInfo{Execfn: tt.execfn}, [16]byte{})
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.Equal(t, tt.want, err)
				assert.Zero(t, as.copies, "nothing written on error")
			}
		})
	}

	// The exact byte limit: with n strings in argv and envp, their bytes
	// and NULs, execfn's included, may take 2 MiB - 8*n.
	const execfn = "/x"
	room := 2<<20 - 16*8 - (len(execfn) + 1) - 15*MaxArgStrlen
	require.Less(t, room, MaxArgStrlen)
	for _, extra := range []int{0, 1} {
		args := append(many(15), strings.Repeat("w", room-1+extra))
		err := CheckArgs(execfn, args, nil)
		if extra == 0 {
			assert.NoError(t, err, "exactly at the limit")
		} else {
			assert.Equal(t, errno.E2BIG, err, "one byte over")
		}
	}
}

func TestBuildStackFaults(t *testing.T) {
	aux := AuxInfo{Execfn: "/bin/sh"}
	as := newFakeAS()
	as.copyErr = errno.EFAULT
	_, err := BuildStack(as, StackTop, []string{"sh"}, nil, aux, [16]byte{})
	assert.Equal(t, errno.EFAULT, err, "CopyOut's error comes back")

	// A stack top so low the block would reach the kernel's low memory.
	_, err = BuildStack(newFakeAS(), UserLowStart+64, []string{"sh"}, nil, aux, [16]byte{})
	assert.Equal(t, errno.EFAULT, err)
	_, err = BuildStack(newFakeAS(), 100, []string{"sh"}, nil, aux, [16]byte{})
	assert.Equal(t, errno.EFAULT, err)
}
