package binfmt

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

func TestParseGood(t *testing.T) {
	const bias = ElfEtDynBase
	tests := []struct {
		name string
		elf  testELF
		want Image
	}{
		{
			name: "ET_EXEC like musl-gcc -static",
			elf:  goodExec(),
			want: Image{
				Type:  elf.ET_EXEC,
				Entry: 0x401010,
				Segments: []Segment{
					{Vaddr: 0x400000, Memsz: 0x190, Filesz: 0x190, Offset: 0, Align: 0x1000, Prot: ProtRead},
					{Vaddr: 0x401000, Memsz: 0xbb7, Filesz: 0xbb7, Offset: 0x1000, Align: 0x1000, Prot: ProtRead | ProtExec},
					{Vaddr: 0x402000, Memsz: 0x94, Filesz: 0x94, Offset: 0x2000, Align: 0x1000, Prot: ProtRead},
					{Vaddr: 0x403fc0, Memsz: 0x1798, Filesz: 0x150, Offset: 0x2fc0, Align: 0x1000, Prot: ProtRead | ProtWrite},
				},
				Phdr:  0x400040, // no PT_PHDR: found in the first PT_LOAD
				Phent: 56,
				Phnum: 6,
				Brk:   0x406000,
			},
		},
		{
			name: "ET_DYN static-pie",
			elf:  goodDyn(),
			want: Image{
				Type:     elf.ET_DYN,
				Entry:    bias + 0x1075,
				LoadBias: bias,
				Segments: []Segment{
					{Vaddr: bias, Memsz: 0x388, Filesz: 0x388, Offset: 0, Align: 0x1000, Prot: ProtRead},
					{Vaddr: bias + 0x1000, Memsz: 0x33c, Filesz: 0x33c, Offset: 0x1000, Align: 0x1000, Prot: ProtRead | ProtExec},
					{Vaddr: bias + 0x3e10, Memsz: 0x11d0, Filesz: 0x20c, Offset: 0x2e10, Align: 0x1000, Prot: ProtRead | ProtWrite},
				},
				Phdr:      bias + 0x40, // from PT_PHDR
				Phent:     56,
				Phnum:     6,
				Brk:       bias + 0x5000,
				ExecStack: true,
			},
		},
		{
			name: "ET_DYN with 2 MiB alignment keeps it",
			elf: func() testELF {
				e := goodDyn()
				for i := range e.phdrs {
					if e.phdrs[i].typ == elf.PT_LOAD {
						e.phdrs[i].align = 2 << 20
					}
				}
				e.phdrs[3].off = 0x3e10 // congruent with vaddr mod 2 MiB
				e.size = 0x5000
				return e
			}(),
			want: Image{
				Type:     elf.ET_DYN,
				Entry:    0x555555400000 + 0x1075,
				LoadBias: 0x555555400000,
				Segments: []Segment{
					{Vaddr: 0x555555400000, Memsz: 0x388, Filesz: 0x388, Offset: 0, Align: 2 << 20, Prot: ProtRead},
					{Vaddr: 0x555555401000, Memsz: 0x33c, Filesz: 0x33c, Offset: 0x1000, Align: 2 << 20, Prot: ProtRead | ProtExec},
					{Vaddr: 0x555555403e10, Memsz: 0x11d0, Filesz: 0x20c, Offset: 0x3e10, Align: 2 << 20, Prot: ProtRead | ProtWrite},
				},
				Phdr:      0x555555400040,
				Phent:     56,
				Phnum:     6,
				Brk:       0x555555405000,
				ExecStack: true,
			},
		},
		{
			name: "ET_EXEC above the kernel's 6 GiB, one RWX segment, zero-size PT_LOAD skipped",
			elf: testELF{
				typ:   elf.ET_EXEC,
				entry: 0x200000100,
				size:  0x2000,
				phdrs: []testPhdr{
					{typ: elf.PT_LOAD, flags: elf.PF_R, off: 0x1000, vaddr: 0x1000, align: 0x1000},
					{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W | elf.PF_X, off: 0, vaddr: 0x200000000, filesz: 0x2000, memsz: 0x3000, align: 0x1000},
				},
			},
			want: Image{
				Type:     elf.ET_EXEC,
				Entry:    0x200000100,
				Segments: []Segment{{Vaddr: 0x200000000, Memsz: 0x3000, Filesz: 0x2000, Offset: 0, Align: 0x1000, Prot: ProtRead | ProtWrite | ProtExec}},
				Phdr:     0x200000040,
				Phent:    56,
				Phnum:    2,
				Brk:      0x200003000,
			},
		},
		{
			name: "segment ending exactly at the kernel's 256 MiB",
			elf: testELF{
				typ:   elf.ET_EXEC,
				entry: 0xffff000,
				size:  0x1000,
				phdrs: []testPhdr{
					{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, off: 0, vaddr: 0xffff000, filesz: 0x1000, memsz: 0x1000, align: 0x1000},
				},
			},
			want: Image{
				Type:     elf.ET_EXEC,
				Entry:    0xffff000,
				Segments: []Segment{{Vaddr: 0xffff000, Memsz: 0x1000, Filesz: 0x1000, Align: 0x1000, Prot: ProtRead | ProtExec}},
				Phdr:     0xffff040,
				Phent:    56,
				Phnum:    1,
				Brk:      KernelStart,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.elf.bytes()
			img, err := Parse(file)
			require.NoError(t, err)
			assert.Equal(t, tt.want, *img)
			assert.NoError(t, checkImage(img, file))
		})
	}
}

func TestParseReject(t *testing.T) {
	// Each case breaks one rule of a good file.
	mod := func(base func() testELF, f func(e *testELF)) []byte {
		e := base()
		f(&e)
		return e.bytes()
	}
	exe := func(f func(e *testELF)) []byte { return mod(goodExec, f) }
	dyn := func(f func(e *testELF)) []byte { return mod(goodDyn, f) }
	load := func(e *testELF, i int) *testPhdr { return &e.phdrs[i] } // goodExec: 0..3 are PT_LOAD
	poke := func(b []byte, off int, v ...byte) []byte { copy(b[off:], v); return b }
	good := goodExec().bytes()

	tests := []struct {
		name string
		file []byte
		want errno.Errno
	}{
		{"empty", nil, errno.ENOEXEC},
		{"shorter than the ELF header", good[:63], errno.ENOEXEC},
		{"program headers cut off", good[:64+5*56+10], errno.ENOEXEC},
		{"bad magic", poke(goodExec().bytes(), 1, 'F'), errno.ENOEXEC},
		{"script", []byte("#!/bin/sh\necho hello, this is long enough to be an ELF header...\n"), errno.ENOEXEC},
		{"ELFCLASS32", exe(func(e *testELF) { e.class = byte(elf.ELFCLASS32) }), errno.ENOEXEC},
		{"big endian", exe(func(e *testELF) { e.data = byte(elf.ELFDATA2MSB) }), errno.ENOEXEC},
		{"ident version 0", poke(goodExec().bytes(), elf.EI_VERSION, 0), errno.ENOEXEC},
		{"e_version 2", exe(func(e *testELF) { e.version = 2 }), errno.ENOEXEC},
		{"EM_386", exe(func(e *testELF) { e.machine = elf.EM_386 }), errno.ENOEXEC},
		{"EM_AARCH64", exe(func(e *testELF) { e.machine = elf.EM_AARCH64 }), errno.ENOEXEC},
		{"ET_REL", exe(func(e *testELF) { e.typ = elf.ET_REL }), errno.ENOEXEC},
		{"ET_CORE", exe(func(e *testELF) { e.typ = elf.ET_CORE }), errno.ENOEXEC},
		{"e_phentsize 32", exe(func(e *testELF) { e.phentsize = 32 }), errno.ENOEXEC},
		{"e_phnum 0", poke(goodExec().bytes(), 56, 0, 0), errno.ENOEXEC},
		{"e_phnum 0xffff (PN_XNUM)", poke(goodExec().bytes(), 56, 0xff, 0xff), errno.ENOEXEC},
		{"e_phoff beyond the file", exe(func(e *testELF) { e.phoff = 0x10000; e.size = 0x4000; e.phdrs = nil; e.phnum = 6 }), errno.ENOEXEC},
		{"e_phoff wraps", exe(func(e *testELF) { e.phoff = ^uint64(0) - 100; e.phdrs = nil; e.phnum = 6 }), errno.ENOEXEC},
		{"PT_INTERP", dyn(func(e *testELF) {
			e.phdrs = append(e.phdrs, testPhdr{typ: elf.PT_INTERP, flags: elf.PF_R, off: 0x238, vaddr: 0x238, filesz: 0x19, memsz: 0x19, align: 1})
		}), errno.ENOENT},
		{"no PT_LOAD", exe(func(e *testELF) { e.phdrs = e.phdrs[4:] }), errno.ENOEXEC},
		{"only empty PT_LOADs", exe(func(e *testELF) {
			e.phdrs = []testPhdr{{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, vaddr: 0x400000, align: 0x1000}}
		}), errno.ENOEXEC},
		{"filesz > memsz", exe(func(e *testELF) { load(e, 3).memsz = 0x100 }), errno.ENOEXEC},
		{"offset+filesz beyond the file", exe(func(e *testELF) { load(e, 3).filesz = 0x1050; load(e, 3).memsz = 0x2000 }), errno.ENOEXEC},
		{"offset beyond the file", exe(func(e *testELF) { load(e, 2).off = 0x10000 }), errno.ENOEXEC},
		{"offset+filesz wraps", exe(func(e *testELF) {
			load(e, 3).off = 0xfffffffffffff000
			load(e, 3).vaddr = 0x403000
			load(e, 3).filesz = 0x2000
		}), errno.ENOEXEC},
		{"vaddr%align != offset%align", exe(func(e *testELF) { load(e, 3).vaddr = 0x403fc8 }), errno.ENOEXEC},
		{"2 MiB align, offset not congruent", exe(func(e *testELF) { load(e, 3).align = 2 << 20 }), errno.ENOEXEC},
		{"align not a power of two", exe(func(e *testELF) { load(e, 1).align = 0x3000 }), errno.ENOEXEC},
		{"align 1 but page offsets differ", exe(func(e *testELF) { load(e, 3).align = 1; load(e, 3).vaddr = 0x403fc8 }), errno.ENOEXEC},
		{"PT_LOADs out of order", exe(func(e *testELF) { e.phdrs[1], e.phdrs[2] = e.phdrs[2], e.phdrs[1] }), errno.ENOEXEC},
		{"PT_LOADs overlap", exe(func(e *testELF) { load(e, 1).memsz = 0x1001 }), errno.ENOEXEC},
		{"PT_LOADs share a page", exe(func(e *testELF) {
			load(e, 2).off, load(e, 2).vaddr = 0x1c00, 0x401c00
		}), errno.ENOEXEC},
		{"segment in the null page", exe(func(e *testELF) {
			for i := range 4 {
				e.phdrs[i].vaddr -= 0x400000
			}
			e.entry -= 0x400000
		}), errno.ENOEXEC},
		{"segment just below 2 MiB", exe(func(e *testELF) {
			load(e, 0).vaddr, load(e, 0).filesz, load(e, 0).memsz = 0x1ff000, 0x1190, 0x1190
		}), errno.ENOEXEC},
		{"segment in Go RAM at 256 MiB", exe(func(e *testELF) {
			load(e, 3).vaddr = 0x10000fc0
		}), errno.ENOEXEC},
		{"bss runs into 256 MiB", exe(func(e *testELF) {
			load(e, 3).memsz = KernelStart - 0x403fc0 + 1
		}), errno.ENOEXEC},
		{"segment below 6 GiB", exe(func(e *testELF) {
			load(e, 3).vaddr = KernelEnd - 0x1000 + 0xfc0
		}), errno.ENOEXEC},
		{"segment beyond TASK_SIZE_MAX", exe(func(e *testELF) {
			load(e, 3).vaddr = TaskSizeMax + 0xfc0
		}), errno.ENOEXEC},
		{"bss crosses TASK_SIZE_MAX", exe(func(e *testELF) {
			load(e, 3).vaddr = TaskSizeMax - 0x1000 + 0xfc0
		}), errno.ENOEXEC},
		{"vaddr+memsz wraps", exe(func(e *testELF) {
			load(e, 3).vaddr = 0xfffffffffffffc0
			load(e, 3).memsz = 0xf000000000000100
		}), errno.ENOEXEC},
		{"end rounds up past 2^64", exe(func(e *testELF) {
			load(e, 3).vaddr = 0xfffffffffffff000 + 0xfc0
			load(e, 3).memsz = 0x30
		}), errno.ENOEXEC},
		{"entry outside every segment", exe(func(e *testELF) { e.entry = 0x500000 }), errno.ENOEXEC},
		{"entry in a non-executable segment", exe(func(e *testELF) { e.entry = 0x402010 }), errno.ENOEXEC},
		{"entry just past the text", exe(func(e *testELF) { e.entry = 0x401bb7 }), errno.ENOEXEC},
		{"entry wraps with the bias", dyn(func(e *testELF) { e.entry = ^uint64(0) - 0x100 }), errno.ENOEXEC},
		{"program headers not loaded", exe(func(e *testELF) { load(e, 0).filesz, load(e, 0).memsz = 0x100, 0x100 }), errno.ENOEXEC},
		{"PT_PHDR outside the file part", dyn(func(e *testELF) { e.phdrs[0].vaddr = 0x3f00 }), errno.ENOEXEC},
		{"PT_PHDR outside every segment", dyn(func(e *testELF) { e.phdrs[0].vaddr = 0x9000 }), errno.ENOEXEC},
		{"ET_DYN linked above ELF_ET_DYN_BASE", dyn(func(e *testELF) {
			for i := 1; i < 4; i++ {
				e.phdrs[i].vaddr += 0x600000000000
			}
			e.phdrs[0].vaddr += 0x600000000000
			e.entry += 0x600000000000
		}), errno.ENOEXEC},
		{"ET_DYN alignment 2^63 zeroes the bias", dyn(func(e *testELF) { e.phdrs[1].align = 1 << 63 }), errno.ENOEXEC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Parse(tt.file)
			assert.Nil(t, img)
			assert.Equal(t, tt.want, err)
		})
	}
}

// TestParseMatchesDebugElf checks the program headers Parse reads against
// those of the standard library's parser.
func TestParseMatchesDebugElf(t *testing.T) {
	for _, e := range []testELF{goodExec(), goodDyn()} {
		file := e.bytes()
		img, err := Parse(file)
		require.NoError(t, err)
		f, err := elf.NewFile(bytes.NewReader(file))
		require.NoError(t, err)
		assertSameLoads(t, img, f)
	}
}

func assertSameLoads(t *testing.T, img *Image, f *elf.File) {
	t.Helper()
	var loads []Segment
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Memsz > 0 {
			loads = append(loads, Segment{
				Vaddr: p.Vaddr + img.LoadBias, Memsz: p.Memsz, Filesz: p.Filesz,
				Offset: p.Off, Align: p.Align, Prot: makeProt(uint32(p.Flags)),
			})
		}
	}
	assert.Equal(t, loads, img.Segments)
	assert.Equal(t, f.Entry+img.LoadBias, img.Entry)
	assert.Equal(t, uint64(len(f.Progs)), img.Phnum)
}

// realBinary compiles a C program with the given compiler and flags, or
// skips the test if the compiler is missing or cannot link it.
func realBinary(t *testing.T, cc string, flags ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath(cc); err != nil {
		t.Skipf("%s not installed", cc)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "hello.c")
	require.NoError(t, os.WriteFile(src, []byte(`#include <stdio.h>
int counter = 5;
char bss[10000];
int main(int argc, char **argv) { printf("hello %d\n", argc); return counter + bss[argc]; }
`), 0o644))
	out := filepath.Join(dir, "hello")
	args := append(append([]string{}, flags...), "-O2", "-o", out, src)
	if msg, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Skipf("%s %v: %v\n%s", cc, args, err, msg)
	}
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	return b
}

// TestParseRealBinaries parses what the toolchains of the machine produce:
// musl-gcc -static (ET_EXEC, what tamix embeds), gcc -static-pie (ET_DYN),
// a dynamically linked program (refused), and busybox if it is installed.
func TestParseRealBinaries(t *testing.T) {
	check := func(t *testing.T, file []byte, typ elf.Type) {
		img, err := Parse(file)
		require.NoError(t, err)
		assert.Equal(t, typ, img.Type)
		assert.NoError(t, checkImage(img, file))
		f, err := elf.NewFile(bytes.NewReader(file))
		require.NoError(t, err)
		assertSameLoads(t, img, f)
		as := newFakeAS()
		require.NoError(t, Load(as, img, file))
		assert.Len(t, as.maps, len(img.Segments))
	}
	t.Run("musl-gcc -static", func(t *testing.T) {
		check(t, realBinary(t, "musl-gcc", "-static"), elf.ET_EXEC)
	})
	t.Run("gcc -static-pie", func(t *testing.T) {
		file := realBinary(t, "gcc", "-static-pie")
		check(t, file, elf.ET_DYN)
		img, err := Parse(file)
		require.NoError(t, err)
		assert.Equal(t, uint64(ElfEtDynBase), img.LoadBias)
	})
	t.Run("dynamic gcc", func(t *testing.T) {
		_, err := Parse(realBinary(t, "gcc"))
		assert.Equal(t, errno.ENOENT, err)
	})
	t.Run("busybox", func(t *testing.T) {
		b, err := os.ReadFile("/bin/busybox")
		if err != nil {
			t.Skip("no /bin/busybox")
		}
		img, err := Parse(b)
		if err == errno.ENOENT {
			t.Skip("busybox is dynamically linked")
		}
		require.NoError(t, err)
		check(t, b, img.Type)
	})
}
