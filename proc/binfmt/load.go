package binfmt

import "tamix/errno"

// AddressSpace is what exec needs from a process address space. mm's *MM
// implements it; tests use a fake.
// VDSOMapper is an AddressSpace that can map the vDSO; MapVDSO returns the
// address of its ELF header (AT_SYSINFO_EHDR), 0 for none.
type VDSOMapper interface {
	MapVDSO() (uint64, error)
}

type AddressSpace interface {
	// MapImage maps [va, PAGE_ALIGN(va+memsz)) with prot. va is page
	// aligned. The bytes [va, va+filesz) are file[fileOff:fileOff+filesz]
	// and every byte after them is zero: the bss, including the tail of the
	// last file page (Linux's padzero). Pages fault in lazily, copied from
	// file (the embedded image, which outlives the process), so file must
	// not be modified. filesz <= memsz; fileOff+filesz <= len(file).
	MapImage(va, memsz uint64, prot int, file []byte, fileOff, filesz uint64) error
	// SetupStack creates the stack area ending at top, able to grow down to
	// top-maxSize.
	SetupStack(top, maxSize uint64) error
	// CopyOut copies src to user address va (copy_to_user); EFAULT if any
	// byte is not mapped writable.
	CopyOut(va uint64, src []byte) error
	// SetBrk sets start_brk = brk = start, the page-aligned end of the
	// highest segment.
	SetBrk(start uint64)
}

// Load maps every PT_LOAD segment of img and sets brk, as the segment loop
// of load_elf_binary (elf_load, elf_map) does. file must be the bytes img was
// parsed from.
//
// Like elf_map, a segment is mapped from the start of its first page: the
// bytes of that page below p_vaddr come from the file page that holds
// p_offset (Parse made sure vaddr and offset agree inside the page). A
// segment without file bytes is all zero, like Linux's anonymous mapping.
// Unlike Linux, the rest of the last file page after p_filesz is zero even
// when p_memsz == p_filesz; nothing may rely on those bytes.
func Load(as AddressSpace, img *Image, file []byte) error {
	for _, s := range img.Segments {
		off := pageOffset(s.Vaddr)
		va := s.Vaddr - off
		var fileOff, filesz uint64
		if s.Filesz > 0 {
			fileOff, filesz = s.Offset-off, s.Filesz+off
			// img may come from another file; never hand mm a bad slice.
			if s.Offset < off || fileOff > uint64(len(file)) || filesz > uint64(len(file))-fileOff {
				return errno.ENOEXEC
			}
		}
		if err := as.MapImage(va, s.Memsz+off, s.Prot, file, fileOff, filesz); err != nil {
			return err
		}
	}
	as.SetBrk(img.Brk)
	return nil
}

// LoadElfBinary is exec's whole ELF part (load_elf_binary): it parses file,
// creates the stack at StackTop, maps the segments, sets brk and builds the
// initial stack. as must be the new, empty address space. aux supplies
// Execfn, HWCap, HWCap2 and MinSigStkSz; its image fields (Phdr, Phent,
// Phnum, Entry) are filled in here. It returns the entry point (the user
// RIP) and the initial RSP.
func LoadElfBinary(as AddressSpace, file []byte, argv, envp []string, aux AuxInfo, random [16]byte) (entry, sp uint64, err error) {
	img, err := Parse(file)
	if err != nil {
		return 0, 0, err
	}
	if err := CheckArgs(aux.Execfn, argv, envp); err != nil {
		return 0, 0, err
	}
	if err := as.SetupStack(StackTop, StackRlimit); err != nil {
		return 0, 0, err
	}
	if err := Load(as, img, file); err != nil {
		return 0, 0, err
	}
	aux.Phdr, aux.Phent, aux.Phnum, aux.Entry = img.Phdr, img.Phent, img.Phnum, img.Entry
	if v, ok := as.(VDSOMapper); ok {
		// arch_setup_additional_pages: the vDSO, before the auxv names it.
		if aux.SysinfoEhdr, err = v.MapVDSO(); err != nil {
			return 0, 0, err
		}
	}
	sp, err = BuildStack(as, StackTop, argv, envp, aux, random)
	if err != nil {
		return 0, 0, err
	}
	return img.Entry, sp, nil
}
