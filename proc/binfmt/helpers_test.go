package binfmt

import (
	"debug/elf"
	"encoding/binary"
	"fmt"
	"sort"

	"tamix/errno"
)

// testPhdr is one program header of a test ELF file.
type testPhdr struct {
	typ    elf.ProgType
	flags  elf.ProgFlag
	off    uint64
	vaddr  uint64
	filesz uint64
	memsz  uint64
	align  uint64
}

// testELF describes an ELF file to write; the zero values of the ident and
// header fields are replaced by those of a valid x86-64 executable unless
// raw is set.
type testELF struct {
	class, data, identVersion byte
	typ                       elf.Type
	machine                   elf.Machine
	version                   uint32
	entry                     uint64
	phoff                     uint64
	phentsize, phnum          uint16 // 0: 56 and len(phdrs)
	phdrs                     []testPhdr
	size                      int // file size; at least the headers
}

// bytes writes the file. Bytes outside the headers hold a pattern that
// depends on the offset, so tests can tell which file bytes were mapped.
func (e testELF) bytes() []byte {
	if e.class == 0 {
		e.class = byte(elf.ELFCLASS64)
	}
	if e.data == 0 {
		e.data = byte(elf.ELFDATA2LSB)
	}
	if e.identVersion == 0 {
		e.identVersion = byte(elf.EV_CURRENT)
	}
	if e.machine == 0 {
		e.machine = elf.EM_X86_64
	}
	if e.version == 0 {
		e.version = uint32(elf.EV_CURRENT)
	}
	if e.phoff == 0 {
		e.phoff = ehdrSize
	}
	if e.phentsize == 0 {
		e.phentsize = phdrSize
	}
	if e.phnum == 0 {
		e.phnum = uint16(len(e.phdrs))
	}
	n := max(e.size, ehdrSize, int(e.phoff)+len(e.phdrs)*phdrSize)
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS] = e.class
	b[elf.EI_DATA] = e.data
	b[elf.EI_VERSION] = e.identVersion
	for i := elf.EI_OSABI; i < elf.EI_NIDENT; i++ {
		b[i] = 0
	}
	le := binary.LittleEndian
	le.PutUint16(b[16:], uint16(e.typ))
	le.PutUint16(b[18:], uint16(e.machine))
	le.PutUint32(b[20:], e.version)
	le.PutUint64(b[24:], e.entry)
	le.PutUint64(b[32:], e.phoff)
	le.PutUint64(b[40:], 0) // no section headers: the loader never needs them
	le.PutUint32(b[48:], 0)
	le.PutUint16(b[52:], ehdrSize)
	le.PutUint16(b[54:], e.phentsize)
	le.PutUint16(b[56:], e.phnum)
	le.PutUint16(b[58:], 64)
	le.PutUint16(b[60:], 0)
	le.PutUint16(b[62:], 0)
	for i, p := range e.phdrs {
		q := b[e.phoff+uint64(i)*phdrSize:]
		le.PutUint32(q[0:], uint32(p.typ))
		le.PutUint32(q[4:], uint32(p.flags))
		le.PutUint64(q[8:], p.off)
		le.PutUint64(q[16:], p.vaddr)
		le.PutUint64(q[24:], p.vaddr)
		le.PutUint64(q[32:], p.filesz)
		le.PutUint64(q[40:], p.memsz)
		le.PutUint64(q[48:], p.align)
	}
	return b
}

// goodExec is laid out like a musl-gcc -static binary: the ELF and program
// headers in a read-only first segment, then text, rodata, and data+bss
// whose first page starts below p_vaddr.
func goodExec() testELF {
	return testELF{
		typ:   elf.ET_EXEC,
		entry: 0x401010,
		size:  0x4000,
		phdrs: []testPhdr{
			{typ: elf.PT_LOAD, flags: elf.PF_R, off: 0, vaddr: 0x400000, filesz: 0x190, memsz: 0x190, align: 0x1000},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, off: 0x1000, vaddr: 0x401000, filesz: 0xbb7, memsz: 0xbb7, align: 0x1000},
			{typ: elf.PT_LOAD, flags: elf.PF_R, off: 0x2000, vaddr: 0x402000, filesz: 0x94, memsz: 0x94, align: 0x1000},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, off: 0x2fc0, vaddr: 0x403fc0, filesz: 0x150, memsz: 0x1798, align: 0x1000},
			{typ: elf.PT_GNU_STACK, flags: elf.PF_R | elf.PF_W, align: 0x10},
			{typ: elf.PT_GNU_RELRO, flags: elf.PF_R, off: 0x2fc0, vaddr: 0x403fc0, filesz: 0x40, memsz: 0x40, align: 1},
		},
	}
}

// goodDyn is a static-pie linked at 0, with PT_PHDR, PT_DYNAMIC and PT_TLS
// as gcc -static-pie makes them.
func goodDyn() testELF {
	return testELF{
		typ:   elf.ET_DYN,
		entry: 0x1075,
		size:  0x4000,
		phdrs: []testPhdr{
			{typ: elf.PT_PHDR, flags: elf.PF_R, off: 0x40, vaddr: 0x40, filesz: 6 * phdrSize, memsz: 6 * phdrSize, align: 8},
			{typ: elf.PT_LOAD, flags: elf.PF_R, off: 0, vaddr: 0, filesz: 0x388, memsz: 0x388, align: 0x1000},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, off: 0x1000, vaddr: 0x1000, filesz: 0x33c, memsz: 0x33c, align: 0x1000},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_W, off: 0x2e10, vaddr: 0x3e10, filesz: 0x20c, memsz: 0x11d0, align: 0x1000},
			{typ: elf.PT_DYNAMIC, flags: elf.PF_R | elf.PF_W, off: 0x2e20, vaddr: 0x3e20, filesz: 0x1c0, memsz: 0x1c0, align: 8},
			{typ: elf.PT_GNU_STACK, flags: elf.PF_R | elf.PF_W | elf.PF_X, align: 0x10},
		},
	}
}

// fakeAS is an AddressSpace that records what exec asks of it and keeps
// what CopyOut writes in a sparse page map.
type fakeAS struct {
	maps     []mapCall
	copies   int
	pages    map[uint64]*[PageSize]byte
	brk      uint64
	brkSet   bool
	stackTop uint64
	stackMax uint64
	mapErr   error // returned by MapImage
	copyErr  error // returned by CopyOut
}

type mapCall struct {
	va, memsz       uint64
	prot            int
	fileOff, filesz uint64
	fileLen         int
}

func newFakeAS() *fakeAS { return &fakeAS{pages: map[uint64]*[PageSize]byte{}} }

func (f *fakeAS) MapImage(va, memsz uint64, prot int, file []byte, fileOff, filesz uint64) error {
	if f.mapErr != nil {
		return f.mapErr
	}
	f.maps = append(f.maps, mapCall{va, memsz, prot, fileOff, filesz, len(file)})
	return nil
}

func (f *fakeAS) SetupStack(top, maxSize uint64) error {
	f.stackTop, f.stackMax = top, maxSize
	return nil
}

func (f *fakeAS) SetBrk(start uint64) { f.brk, f.brkSet = start, true }

func (f *fakeAS) CopyOut(va uint64, src []byte) error {
	if f.copyErr != nil {
		return f.copyErr
	}
	end := va + uint64(len(src))
	if end < va || (f.stackTop != 0 && (va < f.stackTop-f.stackMax || end > f.stackTop)) {
		return errno.EFAULT
	}
	f.copies++
	for i, c := range src {
		a := va + uint64(i)
		pg := f.pages[pageStart(a)]
		if pg == nil {
			pg = new([PageSize]byte)
			f.pages[pageStart(a)] = pg
		}
		pg[pageOffset(a)] = c
	}
	return nil
}

// read returns n bytes at va; unwritten bytes read as zero.
func (f *fakeAS) read(va uint64, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		a := va + uint64(i)
		if pg := f.pages[pageStart(a)]; pg != nil {
			b[i] = pg[pageOffset(a)]
		}
	}
	return b
}

func (f *fakeAS) u64(va uint64) uint64 { return binary.LittleEndian.Uint64(f.read(va, 8)) }

// cstring reads a NUL-terminated string at va.
func (f *fakeAS) cstring(va uint64) string {
	var s []byte
	for {
		c := f.read(va, 1)[0]
		if c == 0 {
			return string(s)
		}
		s = append(s, c)
		va++
	}
}

// checkImage verifies the invariants every image Parse accepts must satisfy.
func checkImage(img *Image, file []byte) error {
	if len(img.Segments) == 0 {
		return fmt.Errorf("no segments")
	}
	if img.Type != elf.ET_EXEC && img.Type != elf.ET_DYN {
		return fmt.Errorf("type %v", img.Type)
	}
	if img.Type == elf.ET_EXEC && img.LoadBias != 0 {
		return fmt.Errorf("ET_EXEC with bias %#x", img.LoadBias)
	}
	if img.LoadBias%PageSize != 0 {
		return fmt.Errorf("bias %#x not page aligned", img.LoadBias)
	}
	if !sort.SliceIsSorted(img.Segments, func(i, j int) bool { return img.Segments[i].Vaddr < img.Segments[j].Vaddr }) {
		return fmt.Errorf("segments not sorted")
	}
	var prevEnd uint64
	for i, s := range img.Segments {
		end, ok := pageAlign(s.Vaddr + s.Memsz)
		switch {
		case s.Memsz == 0 || s.Filesz > s.Memsz:
			return fmt.Errorf("segment %d: filesz %#x memsz %#x", i, s.Filesz, s.Memsz)
		case s.Vaddr+s.Memsz < s.Vaddr || !ok:
			return fmt.Errorf("segment %d wraps", i)
		case !userRange(pageStart(s.Vaddr), end):
			return fmt.Errorf("segment %d at %#x-%#x not in user space", i, s.Vaddr, end)
		case pageStart(s.Vaddr) < prevEnd:
			return fmt.Errorf("segment %d overlaps", i)
		case s.Offset+s.Filesz < s.Offset || s.Offset+s.Filesz > uint64(len(file)):
			return fmt.Errorf("segment %d beyond the file", i)
		case s.Filesz > 0 && pageOffset(s.Vaddr) != pageOffset(s.Offset):
			return fmt.Errorf("segment %d: vaddr and offset disagree in the page", i)
		case s.Prot&^(ProtRead|ProtWrite|ProtExec) != 0:
			return fmt.Errorf("segment %d: prot %#x", i, s.Prot)
		}
		prevEnd = end
	}
	if img.Brk != prevEnd {
		return fmt.Errorf("brk %#x, want %#x", img.Brk, prevEnd)
	}
	if !img.executable(img.Entry) {
		return fmt.Errorf("entry %#x not executable", img.Entry)
	}
	if img.Phent != phdrSize || img.Phnum == 0 || !img.fileBacked(img.Phdr, img.Phnum*img.Phent) {
		return fmt.Errorf("phdrs at %#x (%d × %d) not loaded", img.Phdr, img.Phnum, img.Phent)
	}
	return nil
}
