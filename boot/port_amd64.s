//go:build tamago

#include "textflag.h"

// func inb(port uint16) uint8
TEXT ·inb(SB),NOSPLIT,$0-9
	MOVW	port+0(FP), DX
	INB
	MOVB	AX, ret+8(FP)
	RET

// func outb(port uint16, val uint8)
TEXT ·outb(SB),NOSPLIT,$0-3
	MOVW	port+0(FP), DX
	MOVB	val+2(FP), AX
	OUTB
	RET

// func outw(port uint16, val uint16)
TEXT ·outw(SB),NOSPLIT,$0-4
	MOVW	port+0(FP), DX
	MOVW	val+2(FP), AX
	OUTW
	RET

// func outl(port uint16, val uint32)
TEXT ·outl(SB),NOSPLIT,$0-8
	MOVW	port+0(FP), DX
	MOVL	val+4(FP), AX
	OUTL
	RET

// func rdtsc() uint64
TEXT ·rdtsc(SB),NOSPLIT,$0-8
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func haltUntilInterrupt()
//
// STI takes effect after the next instruction, so an interrupt that is
// already pending wakes the HLT instead of being lost between the two.
TEXT ·haltUntilInterrupt(SB),NOSPLIT,$0
	STI
	HLT
	RET

// func haltForever()
TEXT ·haltForever(SB),NOSPLIT,$0
	CLI
loop:
	HLT
	JMP	loop

// func invlpg(addr uint64)
TEXT ·invlpg(SB),NOSPLIT,$0-8
	MOVQ	addr+0(FP), AX
	INVLPG	(AX)
	RET
