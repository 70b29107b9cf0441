package binfmt

import (
	"bytes"
	"debug/elf"
	"errors"
	"testing"

	"tamix/errno"
)

// FuzzParse feeds Parse arbitrary files. It must never panic; it fails only
// with ENOEXEC or ENOENT; what it accepts satisfies checkImage, agrees with
// debug/elf on the PT_LOADs, and loads and gets a stack without error.
func FuzzParse(f *testing.F) {
	f.Add(goodExec().bytes())
	f.Add(goodDyn().bytes())
	e := goodExec()
	e.phdrs = e.phdrs[:2]
	f.Add(e.bytes())
	f.Add(goodExec().bytes()[:100])
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, file []byte) {
		img, err := Parse(file)
		if err != nil {
			var en errno.Errno
			if !errors.As(err, &en) || (en != errno.ENOEXEC && en != errno.ENOENT) {
				t.Fatalf("Parse: unexpected error %v", err)
			}
			if img != nil {
				t.Fatal("Parse returned an image with an error")
			}
			return
		}
		if err := checkImage(img, file); err != nil {
			t.Fatalf("accepted image breaks an invariant: %v", err)
		}
		// debug/elf may refuse what Linux (and Parse) accept, e.g. bad
		// section headers; when it accepts, the segments must agree.
		if ef, err := safeNewFile(file); err == nil {
			var n int
			for _, p := range ef.Progs {
				if p.Type != elf.PT_LOAD || p.Memsz == 0 {
					continue
				}
				if n >= len(img.Segments) {
					t.Fatalf("debug/elf has more PT_LOADs")
				}
				s := img.Segments[n]
				if s.Vaddr != p.Vaddr+img.LoadBias || s.Memsz != p.Memsz || s.Filesz != p.Filesz || s.Offset != p.Off {
					t.Fatalf("segment %d: %+v, debug/elf %+v", n, s, p.ProgHeader)
				}
				n++
			}
			if n != len(img.Segments) || ef.Entry+img.LoadBias != img.Entry {
				t.Fatalf("debug/elf disagrees")
			}
		}
		as := newFakeAS()
		if err := Load(as, img, file); err != nil {
			t.Fatalf("Load: %v", err)
		}
		for _, m := range as.maps {
			if m.va%PageSize != 0 || m.filesz > m.memsz || m.fileOff+m.filesz > uint64(len(file)) {
				t.Fatalf("bad MapImage %+v", m)
			}
		}
		if _, err := BuildStack(as, StackTop, []string{"x"}, nil, img.AuxInfo("/x"), [16]byte{}); err != nil {
			t.Fatalf("BuildStack: %v", err)
		}
	})
}

// FuzzParsePatch corrupts the headers of a good file, up to two 64-bit
// words at a time, which reaches the checks on each field far more often
// than random bytes do. The invariants are those of FuzzParse.
func FuzzParsePatch(f *testing.F) {
	f.Add(false, uint16(24), uint64(0x401bb7), uint16(0), uint64(0))    // e_entry
	f.Add(true, uint16(64+56+16), uint64(0x4000), uint16(0), uint64(0)) // a p_vaddr
	f.Add(false, uint16(64+3*56+40), ^uint64(0), uint16(64+3*56+16), uint64(1<<47))
	goods := [2][]byte{goodExec().bytes(), goodDyn().bytes()}
	f.Fuzz(func(t *testing.T, dyn bool, off1 uint16, v1 uint64, off2 uint16, v2 uint64) {
		file := bytes.Clone(goods[0])
		if dyn {
			file = bytes.Clone(goods[1])
		}
		hdrs := ehdrSize + 6*phdrSize
		for _, p := range []struct {
			off uint16
			v   uint64
		}{{off1, v1}, {off2, v2}} {
			o := int(p.off) % (hdrs - 7)
			for i := range 8 {
				file[o+i] = byte(p.v >> (8 * i))
			}
		}
		img, err := Parse(file)
		if err != nil {
			if err != errno.ENOEXEC && err != errno.ENOENT {
				t.Fatalf("Parse: unexpected error %v", err)
			}
			return
		}
		if err := checkImage(img, file); err != nil {
			t.Fatalf("accepted image breaks an invariant: %v", err)
		}
		if err := Load(newFakeAS(), img, file); err != nil {
			t.Fatalf("Load: %v", err)
		}
	})
}

// safeNewFile is debug/elf's parser, which may panic on hostile input.
func safeNewFile(b []byte) (f *elf.File, err error) {
	defer func() {
		if recover() != nil {
			f, err = nil, errno.ENOEXEC
		}
	}()
	return elf.NewFile(bytes.NewReader(b))
}

// BenchmarkExec is exec's ELF part for a small static binary: Parse, Load
// and BuildStack with a shell-like argv and environment.
func BenchmarkExec(b *testing.B) {
	file := goodExec().bytes()
	argv := []string{"/bin/ls", "-l", "/tmp"}
	envp := []string{"HOME=/", "PATH=/bin:/usr/bin", "TERM=linux", "SHELL=/bin/sh"}
	as := &nullAS{}
	b.ReportAllocs()
	for b.Loop() {
		img, err := Parse(file)
		if err != nil {
			b.Fatal(err)
		}
		if err := Load(as, img, file); err != nil {
			b.Fatal(err)
		}
		if _, err := BuildStack(as, StackTop, argv, envp, img.AuxInfo("/bin/ls"), [16]byte{}); err != nil {
			b.Fatal(err)
		}
	}
}

// nullAS accepts everything and keeps nothing, so the benchmark measures
// binfmt alone.
type nullAS struct{ n int }

func (a *nullAS) MapImage(va, memsz uint64, prot int, file []byte, fileOff, filesz uint64) error {
	a.n++
	return nil
}
func (a *nullAS) SetupStack(top, maxSize uint64) error { return nil }
func (a *nullAS) CopyOut(va uint64, src []byte) error  { a.n += len(src); return nil }
func (a *nullAS) SetBrk(start uint64)                  {}
