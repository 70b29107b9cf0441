package binfmt

import (
	"debug/elf"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

func TestLoad(t *testing.T) {
	const bias = ElfEtDynBase
	tests := []struct {
		name string
		elf  testELF
		want []mapCall
		brk  uint64
	}{
		{
			name: "ET_EXEC",
			elf:  goodExec(),
			want: []mapCall{
				{va: 0x400000, memsz: 0x190, prot: ProtRead, fileOff: 0, filesz: 0x190},
				{va: 0x401000, memsz: 0xbb7, prot: ProtRead | ProtExec, fileOff: 0x1000, filesz: 0xbb7},
				{va: 0x402000, memsz: 0x94, prot: ProtRead, fileOff: 0x2000, filesz: 0x94},
				// The data segment starts 0xfc0 into its page: the page is
				// mapped from the file page that holds p_offset.
				{va: 0x403000, memsz: 0xfc0 + 0x1798, prot: ProtRead | ProtWrite, fileOff: 0x2000, filesz: 0xfc0 + 0x150},
			},
			brk: 0x406000,
		},
		{
			name: "ET_DYN",
			elf:  goodDyn(),
			want: []mapCall{
				{va: bias, memsz: 0x388, prot: ProtRead, fileOff: 0, filesz: 0x388},
				{va: bias + 0x1000, memsz: 0x33c, prot: ProtRead | ProtExec, fileOff: 0x1000, filesz: 0x33c},
				{va: bias + 0x3000, memsz: 0xe10 + 0x11d0, prot: ProtRead | ProtWrite, fileOff: 0x2000, filesz: 0xe10 + 0x20c},
			},
			brk: bias + 0x5000,
		},
		{
			name: "bss-only segment not page aligned maps zeros",
			elf: testELF{
				typ:   elf.ET_EXEC,
				entry: 0x400100,
				size:  0x1000,
				phdrs: []testPhdr{
					{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, off: 0, vaddr: 0x400000, filesz: 0x1000, memsz: 0x1000, align: 0x1000},
					{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, off: 0x770, vaddr: 0x601010, memsz: 0x20, align: 0x10},
				},
			},
			want: []mapCall{
				{va: 0x400000, memsz: 0x1000, prot: ProtRead | ProtExec, fileOff: 0, filesz: 0x1000},
				{va: 0x601000, memsz: 0x30, prot: ProtRead | ProtWrite},
			},
			brk: 0x602000,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.elf.bytes()
			img, err := Parse(file)
			require.NoError(t, err)
			as := newFakeAS()
			require.NoError(t, Load(as, img, file))
			for i := range tt.want {
				tt.want[i].fileLen = len(file)
			}
			assert.Equal(t, tt.want, as.maps)
			assert.True(t, as.brkSet)
			assert.Equal(t, tt.brk, as.brk)
			assert.Equal(t, tt.brk, img.Brk)
			for _, m := range as.maps {
				assert.Zero(t, m.va%PageSize, "va %#x", m.va)
				assert.LessOrEqual(t, m.filesz, m.memsz)
				assert.LessOrEqual(t, m.fileOff+m.filesz, uint64(len(file)))
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	file := goodExec().bytes()
	img, err := Parse(file)
	require.NoError(t, err)

	as := newFakeAS()
	as.mapErr = errno.ENOMEM
	assert.Equal(t, errno.ENOMEM, Load(as, img, file), "MapImage's error comes back")
	assert.False(t, as.brkSet)

	// An image with a file it was not parsed from must not reach mm.
	as = newFakeAS()
	assert.Equal(t, errno.ENOEXEC, Load(as, img, file[:0x2000]))
	assert.Len(t, as.maps, 2, "segments within the short file were mapped before")
}

func TestLoadElfBinary(t *testing.T) {
	file := goodExec().bytes()
	as := newFakeAS()
	aux := AuxInfo{Execfn: "/bin/hello", HWCap: 0x178bfbff, HWCap2: 2, MinSigStkSz: 3632}
	entry, sp, err := LoadElfBinary(as, file, []string{"hello", "world"}, []string{"TERM=vt100"}, aux, [16]byte{1, 2, 3})
	require.NoError(t, err)
	assert.Equal(t, uint64(0x401010), entry)
	assert.Equal(t, uint64(StackTop), as.stackTop)
	assert.Equal(t, uint64(StackRlimit), as.stackMax)
	assert.Len(t, as.maps, 4)
	assert.Equal(t, uint64(0x406000), as.brk)
	assert.Zero(t, sp%16)

	st := decodeStack(t, as, sp)
	assert.Equal(t, []string{"hello", "world"}, st.argv)
	assert.Equal(t, []string{"TERM=vt100"}, st.envp)
	assert.Equal(t, uint64(0x400040), st.aux[AtPhdr])
	assert.Equal(t, uint64(6), st.aux[AtPhnum])
	assert.Equal(t, uint64(56), st.aux[AtPhent])
	assert.Equal(t, uint64(0x401010), st.aux[AtEntry])
	assert.Equal(t, uint64(0x178bfbff), st.aux[AtHwcap])
	assert.Equal(t, uint64(2), st.aux[AtHwcap2])
	assert.Equal(t, uint64(3632), st.aux[AtMinsigstksz])
	assert.Equal(t, "/bin/hello", as.cstring(st.aux[AtExecfn]))

	// Errors before the point of no return leave the address space alone.
	for _, c := range []struct {
		name string
		file []byte
		argv []string
		want error
	}{
		{"bad file", file[:10], nil, errno.ENOEXEC},
		{"dynamic", func() []byte {
			e := goodExec()
			e.phdrs = append(e.phdrs, testPhdr{typ: elf.PT_INTERP, off: 0x200, vaddr: 0x400200, filesz: 10, memsz: 10})
			return e.bytes()
		}(), nil, errno.ENOENT},
		{"argument too long", file, []string{string(make([]byte, MaxArgStrlen))}, errno.E2BIG},
	} {
		t.Run(c.name, func(t *testing.T) {
			as := newFakeAS()
			_, _, err := LoadElfBinary(as, c.file, c.argv, nil, aux, [16]byte{})
			assert.Equal(t, c.want, err)
			assert.Empty(t, as.maps)
			assert.Zero(t, as.stackTop)
			assert.Zero(t, as.copies)
		})
	}
}
