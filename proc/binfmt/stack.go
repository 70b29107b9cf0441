package binfmt

import (
	"encoding/binary"
	"strings"

	"tamix/errno"
)

// Auxiliary vector types (include/uapi/linux/auxvec.h, asm/auxvec.h).
const (
	AtNull         = 0
	AtIgnore       = 1
	AtExecfd       = 2
	AtPhdr         = 3
	AtPhent        = 4
	AtPhnum        = 5
	AtPagesz       = 6
	AtBase         = 7
	AtFlags        = 8
	AtEntry        = 9
	AtNotelf       = 10
	AtUID          = 11
	AtEUID         = 12
	AtGID          = 13
	AtEGID         = 14
	AtPlatform     = 15
	AtHwcap        = 16
	AtClktck       = 17
	AtSecure       = 23
	AtBasePlatform = 24
	AtRandom       = 25
	AtHwcap2       = 26
	AtExecfn       = 31
	AtSysinfoEhdr  = 33
	AtMinsigstksz  = 51
)

// Exec limits, Linux's values.
const (
	// StackRlimit is the stack size limit of a new process (_STK_LIM,
	// RLIMIT_STACK's default); tamix has no setrlimit, so it is fixed.
	StackRlimit = stkLim
	// stkLim is _STK_LIM, the default stack limit.
	stkLim = 8 << 20
	// MaxArgStrlen bounds one argument or environment string, its NUL
	// included (MAX_ARG_STRLEN, 32 pages).
	MaxArgStrlen = 32 * PageSize
	// ArgMax is the space argument strings always get, however small the
	// stack limit (ARG_MAX, 32 pages).
	ArgMax = 32 * PageSize
	// ClocksPerSec is AT_CLKTCK, the USER_HZ of times(2).
	ClocksPerSec = 100
	// DefaultMinSigStkSz is x86's MINSIGSTKSZ, a value for AT_MINSIGSTKSZ
	// when the signal code does not compute the real frame size.
	DefaultMinSigStkSz = 2048
)

// elfPlatform is AT_PLATFORM on x86-64 (ELF_PLATFORM).
const elfPlatform = "x86_64"

// AuxInfo holds the values of the auxiliary vector that are not constants.
type AuxInfo struct {
	Execfn      string // AT_EXECFN: the path given to execve (bprm->filename)
	Phdr        uint64 // AT_PHDR: Image.Phdr
	Phent       uint64 // AT_PHENT: Image.Phent
	Phnum       uint64 // AT_PHNUM: Image.Phnum
	Entry       uint64 // AT_ENTRY: Image.Entry
	HWCap       uint64 // AT_HWCAP: CPUID.1:EDX on x86 (ELF_HWCAP)
	HWCap2      uint64 // AT_HWCAP2: HWCAP2_* bits (ELF_HWCAP2)
	MinSigStkSz uint64 // AT_MINSIGSTKSZ: get_sigframe_size()
	SysinfoEhdr uint64 // AT_SYSINFO_EHDR: the vDSO's ELF header (0: none, left out)
	// AT_UID, AT_EUID, AT_GID, AT_EGID: the credentials the program runs
	// with. AT_SECURE stays 0: tamix has no set-user-ID files.
	UID, EUID, GID, EGID uint64
}

// AuxInfo returns the auxiliary values of img for a program run as execfn,
// with DefaultMinSigStkSz and no hardware capabilities; the caller may set
// HWCap, HWCap2 and MinSigStkSz.
func (img *Image) AuxInfo(execfn string) AuxInfo {
	return AuxInfo{
		Execfn:      execfn,
		Phdr:        img.Phdr,
		Phent:       img.Phent,
		Phnum:       img.Phnum,
		Entry:       img.Entry,
		MinSigStkSz: DefaultMinSigStkSz,
	}
}

// CheckArgs applies exec's limits on the argument and environment strings,
// as bprm_stack_limits and copy_strings do: each string, NUL included, at
// most MaxArgStrlen, and all of them (execfn too) within a quarter of the
// stack limit less the pointers to them. Over a limit: errno.E2BIG. A string
// with a NUL byte inside cannot be a C string: errno.EINVAL. execve should
// call it before it destroys the old image, as Linux copies the strings
// before the point of no return; BuildStack checks again.
func CheckArgs(execfn string, argv, envp []string) error {
	argc := max(len(argv), 1) // an empty argv gets "" (see BuildStack)
	limit := uint64(min(stkLim/4*3, StackRlimit/4))
	limit = max(limit, ArgMax)
	ptrSize := (uint64(argc) + uint64(len(envp))) * 8
	if limit <= ptrSize {
		return errno.E2BIG
	}
	limit -= ptrSize
	var total uint64
	add := func(s string) error {
		n := uint64(len(s)) + 1
		if n > MaxArgStrlen {
			return errno.E2BIG
		}
		if strings.IndexByte(s, 0) >= 0 {
			return errno.EINVAL
		}
		total += n
		if total > limit {
			return errno.E2BIG
		}
		return nil
	}
	// Linux's order: the file name, then envp, then argv.
	if err := add(execfn); err != nil {
		return err
	}
	for _, s := range envp {
		if err := add(s); err != nil {
			return err
		}
	}
	for _, s := range argv {
		if err := add(s); err != nil {
			return err
		}
	}
	return nil
}

// BuildStack writes the initial stack of a new process below top and
// returns the initial RSP. The layout is the one execve and
// create_elf_tables give an x86-64 process on Linux without stack
// randomization, from top down:
//
//	top-8      8 zero bytes (bprm->p starts one pointer below the end)
//	           execfn string (AT_EXECFN)
//	           envp strings, then below them argv strings: argv[0] lowest,
//	           each string right after the previous (arg_start..env_end)
//	           padding to 16 bytes (arch_align_stack)
//	           "x86_64\0" (AT_PLATFORM)
//	           16 random bytes (AT_RANDOM)
//	           padding (0-15 bytes), so that RSP is 16-byte aligned
//	           auxv: (type, value) pairs, ending with AT_NULL
//	           NULL, envp[envc-1] ... envp[0]
//	           NULL, argv[argc-1] ... argv[0]
//	RSP ->     argc
//
// The whole block is written with one as.CopyOut, whose error (EFAULT)
// is returned. As Linux 5.18 and later do, an empty argv becomes {""} so
// that argv[0] is never NULL. E2BIG and EINVAL come from CheckArgs.
func BuildStack(as AddressSpace, top uint64, argv, envp []string, aux AuxInfo, random [16]byte) (sp uint64, err error) {
	if err := CheckArgs(aux.Execfn, argv, envp); err != nil {
		return 0, err
	}
	if len(argv) == 0 {
		argv = []string{""}
	}
	argc, envc := uint64(len(argv)), uint64(len(envp))

	var strBytes uint64 = uint64(len(aux.Execfn)) + 1
	for _, s := range envp {
		strBytes += uint64(len(s)) + 1
	}
	for _, s := range argv {
		strBytes += uint64(len(s)) + 1
	}

	// The auxiliary vector in Linux's order: ARCH_DLINFO first (x86-64 puts
	// AT_SYSINFO_EHDR there when there is a vDSO, then AT_MINSIGSTKSZ),
	// then the generic entries. AT_RSEQ_* are left out: tamix has no rseq.
	// The values of AT_RANDOM, AT_EXECFN and AT_PLATFORM are filled in once
	// their addresses are known.
	var auxBuf [40]uint64
	auxv := auxBuf[:0]
	if aux.SysinfoEhdr != 0 {
		auxv = append(auxv, AtSysinfoEhdr, aux.SysinfoEhdr)
	}
	auxv = append(auxv,
		AtMinsigstksz, aux.MinSigStkSz,
		AtHwcap, aux.HWCap,
		AtPagesz, PageSize,
		AtClktck, ClocksPerSec,
		AtPhdr, aux.Phdr,
		AtPhent, aux.Phent,
		AtPhnum, aux.Phnum,
		AtBase, 0, // no interpreter
		AtFlags, 0,
		AtEntry, aux.Entry,
		AtUID, aux.UID,
		AtEUID, aux.EUID,
		AtGID, aux.GID,
		AtEGID, aux.EGID,
		AtSecure, 0,
		AtRandom, 0,
		AtHwcap2, aux.HWCap2,
		AtExecfn, 0,
		AtPlatform, 0,
		AtNull, 0,
	)
	// The value slots of the three addresses, at the end of the vector.
	n := len(auxv)
	auxRandom, auxExecfn, auxPlatform := n-9, n-5, n-3

	// Addresses, computed top down as Linux pushes them. Bound the total
	// first so nothing below wraps.
	need := 8 + strBytes + 15 + uint64(len(elfPlatform)) + 1 + 16 +
		uint64(len(auxv))*8 + (argc+envc+3)*8 + 15
	if top < need || top-need < UserLowStart {
		return 0, errno.EFAULT
	}
	p := top - 8
	p -= uint64(len(aux.Execfn)) + 1
	execfnAddr := p
	p -= strBytes - (uint64(len(aux.Execfn)) + 1)
	argStart := p

	p &^= 15 // arch_align_stack, without the random offset
	p -= uint64(len(elfPlatform)) + 1
	platformAddr := p
	p -= 16
	randomAddr := p

	auxv[auxRandom] = randomAddr
	auxv[auxExecfn] = execfnAddr
	auxv[auxPlatform] = platformAddr

	// STACK_ADD then STACK_ROUND: leave room for auxv and for argc, the
	// argv and envp pointers and their NULLs, and align RSP to 16.
	p -= uint64(len(auxv)) * 8
	items := (argc + 1) + (envc + 1) + 1
	sp = (p - items*8) &^ 15

	// Build the block [sp, top) in kernel memory, then copy it out once.
	buf := make([]byte, top-sp)
	le := binary.LittleEndian
	put := func(va, v uint64) { le.PutUint64(buf[va-sp:], v) }

	w := sp
	put(w, argc)
	w += 8
	s := argStart
	for _, a := range argv {
		put(w, s)
		w += 8
		copy(buf[s-sp:], a) // the NUL is already there
		s += uint64(len(a)) + 1
	}
	w += 8 // NULL
	for _, e := range envp {
		put(w, s)
		w += 8
		copy(buf[s-sp:], e)
		s += uint64(len(e)) + 1
	}
	w += 8 // NULL
	for _, v := range auxv {
		put(w, v)
		w += 8
	}
	copy(buf[execfnAddr-sp:], aux.Execfn)
	copy(buf[platformAddr-sp:], elfPlatform)
	copy(buf[randomAddr-sp:], random[:])

	if err := as.CopyOut(sp, buf); err != nil {
		return 0, err
	}
	return sp, nil
}
