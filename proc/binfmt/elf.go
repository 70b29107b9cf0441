// Package binfmt loads ELF executables into a process address space: it is
// tamix's counterpart of Linux's fs/binfmt_elf.c.
//
// exec goes through three steps, as load_elf_binary does:
//
//  1. Parse checks the ELF file and computes where its segments go (the
//     program headers, the load bias of a static-pie ET_DYN, the entry point,
//     the start of brk). Nothing is mapped yet, so a bad file fails exec
//     before the old image is torn down.
//  2. Load maps every PT_LOAD segment into the address space and sets brk.
//  3. BuildStack writes argc, argv, envp and the auxiliary vector on the new
//     stack, as create_elf_tables does.
//
// LoadElfBinary strings the three together for proc's execve.
//
// tamix runs only static executables: there is no dynamic loader, so a file
// with PT_INTERP is refused with ENOENT (what Linux returns when the
// interpreter named there does not exist).
//
// The package is plain Go, independent of mm: it speaks to an address space
// through the AddressSpace interface, which mm's *MM implements.
package binfmt

import (
	"debug/elf"
	"encoding/binary"
	"math"

	"tamix/errno"
)

// Page geometry (ELF_MIN_ALIGN, ELF_PAGESTART, ELF_PAGEOFFSET, ELF_PAGEALIGN).
const (
	PageSize = 4096
	pageMask = PageSize - 1
)

func pageStart(v uint64) uint64  { return v &^ pageMask }
func pageOffset(v uint64) uint64 { return v & pageMask }

// pageAlign rounds v up to a page boundary; ok is false if that wraps.
func pageAlign(v uint64) (r uint64, ok bool) {
	if v > math.MaxUint64-pageMask {
		return 0, false
	}
	return (v + pageMask) &^ pageMask, true
}

// User address layout of tamix (DESIGN.md, decision 4). The kernel keeps the
// identity map of physical memory (page 0 unmapped, TamaGo's low structures
// below 2 MiB, Go RAM from 256 MiB, devices up to 6 GiB) in every page table,
// so user segments may only live in the two holes around it.
const (
	// UserLowStart is the lowest user address: [0, 2 MiB) holds the null
	// page and TamaGo's page tables, trampolines and task slot.
	UserLowStart = 2 << 20
	// KernelStart..KernelEnd is the kernel's identity-mapped RAM and MMIO.
	KernelStart = 256 << 20
	KernelEnd   = 6 << 30
	// TaskSizeMax is Linux's TASK_SIZE_MAX with 4-level paging: the end of
	// user space, one guard page below the canonical hole.
	TaskSizeMax = 0x7ffffffff000
	// StackTop is where the stack of a new image ends (Linux's STACK_TOP;
	// tamix does not randomize it).
	StackTop = TaskSizeMax
)

// ElfEtDynBase is where a static-pie (ET_DYN) executable's first segment is
// placed: Linux's ELF_ET_DYN_BASE on x86-64 (2/3 of the 47-bit user space),
// without randomization.
const ElfEtDynBase = 0x555555554000

// Memory protections of a segment, Linux's PROT_* values.
const (
	ProtRead  = 0x1
	ProtWrite = 0x2
	ProtExec  = 0x4
)

// Sizes of the ELF64 structures read from the file.
const (
	ehdrSize = 64 // sizeof(struct elf64_hdr)
	phdrSize = 56 // sizeof(struct elf64_phdr)
	// maxPhdrBytes bounds the program header table as load_elf_phdrs does.
	maxPhdrBytes = 65536
)

// Segment is one PT_LOAD segment, at its address in memory (load bias
// already added).
type Segment struct {
	Vaddr  uint64 // p_vaddr + load bias
	Memsz  uint64 // p_memsz
	Filesz uint64 // p_filesz, <= Memsz; the rest is bss (zero)
	Offset uint64 // p_offset in the file
	Align  uint64 // p_align
	Prot   int    // ProtRead|ProtWrite|ProtExec, from PF_R, PF_W, PF_X
}

// Image is a checked executable, ready to be loaded.
type Image struct {
	Type      elf.Type  // elf.ET_EXEC or elf.ET_DYN (static-pie)
	Entry     uint64    // e_entry + load bias, inside an executable segment
	LoadBias  uint64    // 0 for ET_EXEC; ET_DYN is moved to ElfEtDynBase
	Segments  []Segment // PT_LOADs with p_memsz > 0, ascending, no page shared
	Phdr      uint64    // address of the program headers in memory (AT_PHDR)
	Phent     uint64    // size of one program header (AT_PHENT), always 56
	Phnum     uint64    // number of program headers (AT_PHNUM)
	Brk       uint64    // start_brk: page-aligned end of the highest segment
	ExecStack bool      // PT_GNU_STACK has PF_X (executable stack asked for)
}

// Parse checks an ELF executable the way load_elf_binary does before it
// commits to the new image, plus the limits of tamix's address space. Every
// malformed or unsupported file gives errno.ENOEXEC, a dynamically linked one
// (PT_INTERP) errno.ENOENT. Parse never panics and does not keep image.
func Parse(image []byte) (img *Image, err error) {
	// The parser below checks every bound itself; this is a safety belt so
	// that a forgotten check costs an exec, never the kernel.
	defer func() {
		if recover() != nil {
			img, err = nil, errno.ENOEXEC
		}
	}()
	return parse(image)
}

// readEhdr decodes the ELF header and checks what Linux checks first
// (memcmp of ELFMAG, e_type, elf_check_arch, e_phentsize), plus the class,
// byte order and version a 64-bit little-endian x86 file must have.
func readEhdr(b []byte) (elf.Header64, error) {
	var h elf.Header64
	if len(b) < ehdrSize {
		return h, errno.ENOEXEC
	}
	copy(h.Ident[:], b[:elf.EI_NIDENT])
	le := binary.LittleEndian
	h.Type = le.Uint16(b[16:])
	h.Machine = le.Uint16(b[18:])
	h.Version = le.Uint32(b[20:])
	h.Entry = le.Uint64(b[24:])
	h.Phoff = le.Uint64(b[32:])
	h.Shoff = le.Uint64(b[40:])
	h.Flags = le.Uint32(b[48:])
	h.Ehsize = le.Uint16(b[52:])
	h.Phentsize = le.Uint16(b[54:])
	h.Phnum = le.Uint16(b[56:])
	h.Shentsize = le.Uint16(b[58:])
	h.Shnum = le.Uint16(b[60:])
	h.Shstrndx = le.Uint16(b[62:])

	switch {
	case string(h.Ident[:4]) != elf.ELFMAG,
		elf.Class(h.Ident[elf.EI_CLASS]) != elf.ELFCLASS64,
		elf.Data(h.Ident[elf.EI_DATA]) != elf.ELFDATA2LSB,
		elf.Version(h.Ident[elf.EI_VERSION]) != elf.EV_CURRENT,
		elf.Version(h.Version) != elf.EV_CURRENT,
		elf.Machine(h.Machine) != elf.EM_X86_64,
		elf.Type(h.Type) != elf.ET_EXEC && elf.Type(h.Type) != elf.ET_DYN,
		h.Phentsize != phdrSize:
		return h, errno.ENOEXEC
	}
	return h, nil
}

// loadElfPhdrs reads the program header table (load_elf_phdrs): it must be
// non-empty, at most 64 KiB and entirely inside the file.
func loadElfPhdrs(b []byte, h *elf.Header64) ([]elf.Prog64, error) {
	size := uint64(h.Phnum) * phdrSize
	if size == 0 || size > maxPhdrBytes {
		return nil, errno.ENOEXEC
	}
	if h.Phoff > uint64(len(b)) || size > uint64(len(b))-h.Phoff {
		return nil, errno.ENOEXEC
	}
	le := binary.LittleEndian
	phdrs := make([]elf.Prog64, h.Phnum)
	for i := range phdrs {
		p := b[h.Phoff+uint64(i)*phdrSize:]
		phdrs[i] = elf.Prog64{
			Type:   le.Uint32(p[0:]),
			Flags:  le.Uint32(p[4:]),
			Off:    le.Uint64(p[8:]),
			Vaddr:  le.Uint64(p[16:]),
			Paddr:  le.Uint64(p[24:]),
			Filesz: le.Uint64(p[32:]),
			Memsz:  le.Uint64(p[40:]),
			Align:  le.Uint64(p[48:]),
		}
	}
	return phdrs, nil
}

// makeProt turns segment flags into mmap protections (make_prot).
func makeProt(flags uint32) int {
	prot := 0
	if elf.ProgFlag(flags)&elf.PF_R != 0 {
		prot |= ProtRead
	}
	if elf.ProgFlag(flags)&elf.PF_W != 0 {
		prot |= ProtWrite
	}
	if elf.ProgFlag(flags)&elf.PF_X != 0 {
		prot |= ProtExec
	}
	return prot
}

func isPowerOf2(x uint64) bool { return x != 0 && x&(x-1) == 0 }

// maximumAlignment is the largest power-of-two p_align of the PT_LOADs, at
// least a page (maximum_alignment): an ET_DYN's bias must keep every
// segment as aligned as the linker asked (e.g. 2 MiB for huge pages).
func maximumAlignment(phdrs []elf.Prog64) uint64 {
	var a uint64 = PageSize
	for i := range phdrs {
		p := &phdrs[i]
		if elf.ProgType(p.Type) == elf.PT_LOAD && isPowerOf2(p.Align) && p.Align > a {
			a = p.Align
		}
	}
	return a
}

// userRange reports whether [start, end) lies in one of the user holes.
func userRange(start, end uint64) bool {
	if start >= end {
		return false
	}
	return (start >= UserLowStart && end <= KernelStart) ||
		(start >= KernelEnd && end <= TaskSizeMax)
}

func parse(b []byte) (*Image, error) {
	h, err := readEhdr(b)
	if err != nil {
		return nil, err
	}
	phdrs, err := loadElfPhdrs(b, &h)
	if err != nil {
		return nil, err
	}

	img := &Image{
		Type:  elf.Type(h.Type),
		Phent: phdrSize,
		Phnum: uint64(h.Phnum),
	}

	// First pass, as load_elf_binary's: the interpreter, the stack flags,
	// PT_PHDR, and where the first PT_LOAD is (for the ET_DYN bias).
	var (
		firstLoad = -1
		havePhdr  bool
		phdrVaddr uint64
	)
	for i := range phdrs {
		p := &phdrs[i]
		switch elf.ProgType(p.Type) {
		case elf.PT_INTERP:
			// Linux would open the interpreter; tamix has none.
			return nil, errno.ENOENT
		case elf.PT_GNU_STACK:
			img.ExecStack = elf.ProgFlag(p.Flags)&elf.PF_X != 0
		case elf.PT_PHDR:
			havePhdr, phdrVaddr = true, p.Vaddr
		case elf.PT_LOAD:
			if firstLoad < 0 {
				firstLoad = i
			}
		}
	}
	if firstLoad < 0 {
		return nil, errno.ENOEXEC
	}

	// ET_DYN without an interpreter is a static-pie: Linux would put it in
	// the mmap area; tamix, without randomization, puts it where a PIE goes
	// (ELF_ET_DYN_BASE), keeping the largest alignment the file asks for.
	if img.Type == elf.ET_DYN {
		base := uint64(ElfEtDynBase) &^ (maximumAlignment(phdrs) - 1)
		first := phdrs[firstLoad].Vaddr
		if first > base {
			return nil, errno.ENOEXEC
		}
		img.LoadBias = pageStart(base - first)
	}
	bias := img.LoadBias

	phdrBytes := uint64(h.Phnum) * phdrSize
	var prevEnd uint64 // page-aligned end of the previous segment
	for i := range phdrs {
		p := &phdrs[i]
		if elf.ProgType(p.Type) != elf.PT_LOAD {
			continue
		}
		if p.Filesz > p.Memsz {
			return nil, errno.ENOEXEC
		}
		if p.Off > uint64(len(b)) || p.Filesz > uint64(len(b))-p.Off {
			return nil, errno.ENOEXEC
		}
		if p.Align > 1 && (!isPowerOf2(p.Align) || p.Vaddr%p.Align != p.Off%p.Align) {
			return nil, errno.ENOEXEC
		}
		// File pages are mapped whole, so the file offset and the address
		// must agree inside the page whatever p_align says (Linux's mmap
		// refuses an unaligned offset the same way).
		if p.Filesz > 0 && pageOffset(p.Vaddr) != pageOffset(p.Off) {
			return nil, errno.ENOEXEC
		}
		if p.Memsz == 0 {
			continue // nothing to map
		}
		vaddr := p.Vaddr + bias
		if vaddr < bias {
			return nil, errno.ENOEXEC
		}
		end := vaddr + p.Memsz
		if end < vaddr {
			return nil, errno.ENOEXEC
		}
		mapEnd, ok := pageAlign(end)
		if !ok || !userRange(pageStart(vaddr), mapEnd) {
			return nil, errno.ENOEXEC
		}
		// Segments must ascend (the ELF spec says so) and, since tamix maps
		// whole pages, must not share one: each page has one owner.
		if pageStart(vaddr) < prevEnd {
			return nil, errno.ENOEXEC
		}
		prevEnd = mapEnd

		// Find the program headers in memory as Linux does: the segment
		// whose file bytes hold them.
		if !havePhdr && img.Phdr == 0 &&
			p.Off <= h.Phoff && h.Phoff-p.Off <= p.Filesz &&
			phdrBytes <= p.Filesz-(h.Phoff-p.Off) {
			img.Phdr = h.Phoff - p.Off + vaddr
		}

		img.Segments = append(img.Segments, Segment{
			Vaddr:  vaddr,
			Memsz:  p.Memsz,
			Filesz: p.Filesz,
			Offset: p.Off,
			Align:  p.Align,
			Prot:   makeProt(p.Flags),
		})
	}
	if len(img.Segments) == 0 {
		return nil, errno.ENOEXEC
	}
	// start_brk = brk = ELF_PAGEALIGN(elf_brk); already checked not to wrap.
	img.Brk = prevEnd

	// PT_PHDR, when present, says where the headers are; it must point at
	// file bytes that are loaded, since libc reads them through AT_PHDR
	// (musl and glibc find PT_TLS there before anything else runs).
	if havePhdr {
		a := phdrVaddr + bias
		if a < bias || !img.fileBacked(a, phdrBytes) {
			return nil, errno.ENOEXEC
		}
		img.Phdr = a
	}
	if img.Phdr == 0 {
		return nil, errno.ENOEXEC
	}

	entry := h.Entry + bias
	if entry < bias || !img.executable(entry) {
		return nil, errno.ENOEXEC
	}
	img.Entry = entry
	return img, nil
}

// fileBacked reports whether [a, a+n) lies inside the file part of one
// segment.
func (img *Image) fileBacked(a, n uint64) bool {
	for _, s := range img.Segments {
		if a >= s.Vaddr && a-s.Vaddr <= s.Filesz && n <= s.Filesz-(a-s.Vaddr) {
			return true
		}
	}
	return false
}

// executable reports whether a lies inside an executable segment.
func (img *Image) executable(a uint64) bool {
	for _, s := range img.Segments {
		if s.Prot&ProtExec != 0 && a >= s.Vaddr && a-s.Vaddr < s.Memsz {
			return true
		}
	}
	return false
}
