//go:build tamago

#include "textflag.h"

// pvh_start is the kernel's entry point (the linker's -E flag names it, and the
// PVH ELF note points here). A PVH loader enters in 32-bit protected mode with
// paging off and EBX holding the physical address of struct hvm_start_info.
// TamaGo's cpuinit overwrites EBX, so keep the pointer at pvhInfoSlot first.
// Only encodings that mean the same in 32- and 64-bit mode are used here.
TEXT pvh_start(SB),NOSPLIT|NOFRAME,$0
	MOVL	$0x7000, DI	// pvhInfoSlot in pvh.go
	MOVL	BX, (DI)
	JMP	_rt0_amd64_tamago(SB)
