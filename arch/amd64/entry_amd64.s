//go:build tamago

#include "go_asm.h"
#include "textflag.h"

#define MSR_EFER		0xc0000080
#define MSR_STAR		0xc0000081
#define MSR_LSTAR		0xc0000082
#define MSR_FMASK		0xc0000084
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101
#define MSR_KERNEL_GS_BASE	0xc0000102

#define LAPIC_ID		0xfee00020
#define LAPIC_EOI		0xfee000b0
#define LAPIC_LVT_TIMER		0xfee00320
#define LAPIC_TIMER_INIT	0xfee00380
#define LAPIC_TIMER_DIV		0xfee003e0

// Linux's SYSCALL_MASK: clear TF, IF, DF, IOPL, AC and NT on entry so kernel
// code never runs with flags the task chose.
#define SYSCALL_FMASK		0x47700

#define EOI	MOVQ $LAPIC_EOI, AX; MOVL $0, (AX)

// Save every general-purpose register but DI into the TrapFrame at DI.
#define SAVE_GPRS \
	MOVQ	AX, TrapFrame_RAX(DI); \
	MOVQ	BX, TrapFrame_RBX(DI); \
	MOVQ	CX, TrapFrame_RCX(DI); \
	MOVQ	DX, TrapFrame_RDX(DI); \
	MOVQ	SI, TrapFrame_RSI(DI); \
	MOVQ	BP, TrapFrame_RBP(DI); \
	MOVQ	R8, TrapFrame_R8(DI); \
	MOVQ	R9, TrapFrame_R9(DI); \
	MOVQ	R10, TrapFrame_R10(DI); \
	MOVQ	R11, TrapFrame_R11(DI); \
	MOVQ	R12, TrapFrame_R12(DI); \
	MOVQ	R13, TrapFrame_R13(DI); \
	MOVQ	R14, TrapFrame_R14(DI); \
	MOVQ	R15, TrapFrame_R15(DI)

// Move the vector, error code and hardware frame from the stack into the
// TrapFrame at DI, and CR2 with them (clobbers AX).
#define POP_TRAP_FRAME \
	POPQ	AX; MOVQ	AX, TrapFrame_Trapno(DI); \
	POPQ	AX; MOVQ	AX, TrapFrame_ErrorCode(DI); \
	POPQ	AX; MOVQ	AX, TrapFrame_RIP(DI); \
	POPQ	AX; MOVQ	AX, TrapFrame_CS(DI); \
	POPQ	AX; MOVQ	AX, TrapFrame_RFLAGS(DI); \
	POPQ	AX; MOVQ	AX, TrapFrame_RSP(DI); \
	POPQ	AX; MOVQ	AX, TrapFrame_SS(DI); \
	MOVQ	CR2, AX; MOVQ	AX, TrapFrame_CR2(DI)

// func Enter(tf *TrapFrame, cpu uint64, cr3 uint64) (trap uint64)
//
// Enter runs the task whose registers are in tf in ring 3 on this CPU, with
// page table cr3, and returns when the task traps back into the kernel: the
// result is the vector or TrapSyscall, and tf holds the task's registers.
// It returns TrapMoved at once if the calling goroutine is no longer on the
// CPU numbered cpu (its runqueue picked the task). The Go kernel keeps
// running on cr3 after the return: every process page table maps it.
TEXT ·Enter(SB),NOSPLIT|NOFRAME,$0-32
	CLI
	MOVQ	cpuLocal_cpu(GS), AX
	CMPQ	AX, cpu+8(FP)
	JNE	moved

	MOVQ	tf+0(FP), DI

	// IRETQ to a non-canonical RIP would fault in ring 0: report it as
	// the #GP Linux delivers to the task instead.
	MOVQ	TrapFrame_RIP(DI), AX
	SARQ	$47, AX
	JZ	canonical
	CMPQ	AX, $-1
	JEQ	canonical
	MOVQ	$const_VecGPF, TrapFrame_Trapno(DI)
	MOVQ	$0, TrapFrame_ErrorCode(DI)
	MOVQ	$const_VecGPF, trap+24(FP)
	STI
	RET

canonical:
	// Switch address space only when it changes: under QEMU's TCG a CR3
	// write flushes the whole software TLB.
	MOVQ	cr3+16(FP), AX
	MOVQ	CR3, BX
	CMPQ	AX, BX
	JEQ	samecr3
	MOVQ	AX, CR3
samecr3:
	MOVQ	SP, cpuLocal_kernelSP(GS)
	MOVQ	BP, cpuLocal_kernelBP(GS)
	MOVQ	DI, cpuLocal_tf(GS)

	// The Go runtime keeps g in the FS base: save it, load the task's TLS.
	MOVL	$MSR_FS_BASE, CX
	RDMSR
	MOVL	AX, cpuLocal_kernelFS(GS)
	MOVL	DX, (cpuLocal_kernelFS+4)(GS)
	MOVQ	TrapFrame_FSBase(DI), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR

	LEAQ	(TrapFrame_FPU+15)(DI), AX
	ANDQ	$~15, AX
	FXRSTOR64	(AX)

	// Whatever the kernel did to tf, return to ring 3 with IF set and
	// IOPL 0.
	MOVQ	TrapFrame_RFLAGS(DI), AX
	ANDQ	$const_UserFlagsMask, AX
	ORQ	$(const_FlagIF|const_flagsRes), AX
	MOVQ	AX, TrapFrame_RFLAGS(DI)

	// SYSRET is far cheaper than IRETQ (under TCG above all) but takes RIP
	// from RCX and RFLAGS from R11. Use it when they already hold those,
	// as after a plain system call, and TF and RF are clear: the test of
	// Linux's do_syscall_64. (RIP is canonical, checked above: SYSRET to
	// a non-canonical RIP faults in ring 0 on Intel CPUs.)
	CMPQ	AX, TrapFrame_R11(DI)
	JNE	iret
	TESTQ	$(const_FlagTF|const_FlagRF), AX
	JNZ	iret
	MOVQ	TrapFrame_RIP(DI), CX
	CMPQ	CX, TrapFrame_RCX(DI)
	JNE	iret
	MOVQ	AX, R11
	MOVQ	TrapFrame_RAX(DI), AX
	MOVQ	TrapFrame_RBX(DI), BX
	MOVQ	TrapFrame_RDX(DI), DX
	MOVQ	TrapFrame_RSI(DI), SI
	MOVQ	TrapFrame_RBP(DI), BP
	MOVQ	TrapFrame_R8(DI), R8
	MOVQ	TrapFrame_R9(DI), R9
	MOVQ	TrapFrame_R10(DI), R10
	MOVQ	TrapFrame_R12(DI), R12
	MOVQ	TrapFrame_R13(DI), R13
	MOVQ	TrapFrame_R14(DI), R14
	MOVQ	TrapFrame_R15(DI), R15
	// Interrupts stay off until SYSRET loads RFLAGS, and every vector has
	// an IST stack: nothing runs on the user stack in ring 0.
	MOVQ	TrapFrame_RSP(DI), SP
	MOVQ	TrapFrame_RDI(DI), DI
	SWAPGS
	BYTE $0x48; BYTE $0x0f; BYTE $0x07	// SYSRETQ (Go's SYSRET lacks REX.W)

iret:
	MOVQ	$const_UserCS, TrapFrame_CS(DI)
	MOVQ	$const_UserSS, TrapFrame_SS(DI)
	MOVQ	TrapFrame_RAX(DI), AX
	MOVQ	TrapFrame_RBX(DI), BX
	MOVQ	TrapFrame_RCX(DI), CX
	MOVQ	TrapFrame_RDX(DI), DX
	MOVQ	TrapFrame_RSI(DI), SI
	MOVQ	TrapFrame_RBP(DI), BP
	MOVQ	TrapFrame_R8(DI), R8
	MOVQ	TrapFrame_R9(DI), R9
	MOVQ	TrapFrame_R10(DI), R10
	MOVQ	TrapFrame_R11(DI), R11
	MOVQ	TrapFrame_R12(DI), R12
	MOVQ	TrapFrame_R13(DI), R13
	MOVQ	TrapFrame_R14(DI), R14
	MOVQ	TrapFrame_R15(DI), R15

	// IRETQ pops RIP, CS, RFLAGS, RSP, SS straight from the frame.
	LEAQ	TrapFrame_RIP(DI), SP
	MOVQ	TrapFrame_RDI(DI), DI
	SWAPGS
	IRETQ

moved:
	STI
	MOVQ	$const_TrapMoved, trap+24(FP)
	RET

// syscallEntry is LSTAR. SYSCALL left the user RIP in CX, RFLAGS in R11 and
// the user stack in SP; FMASK cleared IF. Nothing is pushed before the
// registers are saved, so the user stack is never touched.
TEXT ·syscallEntry(SB),NOSPLIT|NOFRAME,$0
	SWAPGS
	MOVQ	DI, cpuLocal_scratch(GS)
	MOVQ	cpuLocal_tf(GS), DI
	SAVE_GPRS
	MOVQ	SP, TrapFrame_RSP(DI)
	MOVQ	cpuLocal_scratch(GS), AX
	MOVQ	AX, TrapFrame_RDI(DI)
	MOVQ	CX, TrapFrame_RIP(DI)
	MOVQ	R11, TrapFrame_RFLAGS(DI)
	MOVQ	$const_TrapSyscall, TrapFrame_Trapno(DI)
	MOVQ	$0, TrapFrame_ErrorCode(DI)
	JMP	·leaveUser(SB)

// trapCommon is reached from every vector stub with the stack (an IST stack)
// holding: vector, error code, RIP, CS, RFLAGS, RSP, SS.
TEXT ·trapCommon(SB),NOSPLIT|NOFRAME,$0
	TESTQ	$3, 24(SP)
	JZ	kernel

	// From ring 3: save the task's registers into its TrapFrame.
	SWAPGS
	MOVQ	DI, cpuLocal_scratch(GS)
	MOVQ	cpuLocal_tf(GS), DI
	SAVE_GPRS
	MOVQ	cpuLocal_scratch(GS), AX
	MOVQ	AX, TrapFrame_RDI(DI)
	POP_TRAP_FRAME
	CMPQ	TrapFrame_Trapno(DI), $const_VecIRQBase
	JB	leave
	EOI
leave:
	JMP	·leaveUser(SB)

kernel:
	CMPQ	0(SP), $const_VecIRQBase
	JAE	interrupt
	JMP	·kernelException(SB)
interrupt:

	// An interrupt while the kernel runs: count ticks, wake the goroutine
	// that waits for a device, acknowledge.
	PUSHQ	AX
	PUSHQ	BX
	PUSHQ	CX
	PUSHQ	DX
	MOVQ	32(SP), AX
	CMPQ	AX, $const_VecLocalTimer
	JNE	device
	INCQ	cpuLocal_ticks(GS)
	JMP	eoi
device:
	MOVQ	$·irqWakeG(SB), BX
	MOVQ	(BX)(AX*8), AX
	TESTQ	AX, AX
	JZ	eoi
	CALL	runtime·WakeG(SB)
eoi:
	EOI
	POPQ	DX
	POPQ	CX
	POPQ	BX
	POPQ	AX
	ADDQ	$16, SP
	IRETQ

// leaveUser finishes an entry from ring 3 (DI = TrapFrame, GS = this CPU)
// and returns from Enter with the trap number.
TEXT ·leaveUser(SB),NOSPLIT|NOFRAME,$0
	LEAQ	(TrapFrame_FPU+15)(DI), AX
	ANDQ	$~15, AX
	FXSAVE64	(AX)
	// The kernel needs no other FPU state of its own: Go code keeps no
	// value in a vector register across the call to Enter (and zeroes X15
	// after it), and uses no x87. Only the task's MXCSR (rounding, masked
	// exceptions) must not apply to kernel code.
	MOVQ	$·kernelMXCSR(SB), AX
	LDMXCSR	(AX)

	MOVL	$MSR_FS_BASE, CX
	MOVL	cpuLocal_kernelFS(GS), AX
	MOVL	(cpuLocal_kernelFS+4)(GS), DX
	WRMSR

	MOVQ	TrapFrame_Trapno(DI), AX
	MOVQ	cpuLocal_kernelSP(GS), SP
	MOVQ	cpuLocal_kernelBP(GS), BP
	MOVQ	AX, 32(SP)	// Enter's result
	STI
	RET

// kernelException: a fault in ring 0 is a kernel bug. Save the machine state
// for the oops report and call oopsHandler on the faulting goroutine's
// system stack; it never returns.
TEXT ·kernelException(SB),NOSPLIT|NOFRAME,$0
	PUSHQ	DI
	PUSHQ	AX
	MOVQ	$LAPIC_ID, AX
	MOVL	(AX), AX
	SHRL	$24, AX
	MOVQ	$·oopsFrameByAPIC(SB), DI
	MOVQ	(DI)(AX*8), DI
	TESTQ	DI, DI
	JZ	stop
	POPQ	AX
	SAVE_GPRS
	POPQ	AX
	MOVQ	AX, TrapFrame_RDI(DI)
	POP_TRAP_FRAME

	// Back on the interrupted stack, below anything it holds.
	MOVQ	TrapFrame_RSP(DI), SP
	SUBQ	$512, SP
	ANDQ	$~15, SP
	MOVQ	$·oopsHandler(SB), AX
	MOVQ	(AX), AX
	PUSHQ	AX
	CALL	runtime·systemstack(SB)
stop:
	CLI
	HLT
	JMP	stop

// vecTLBFlush: another CPU changed page tables this CPU may cache. Reload
// CR3 (flushing the TLB), or switch to the kernel's page table when the
// loaded one is being freed. Needs no per-CPU state, so it runs the same
// in ring 3 and ring 0.
TEXT ·vecTLBFlush(SB),NOSPLIT|NOFRAME,$0
	PUSHQ	AX
	PUSHQ	BX
	MOVQ	CR3, AX
	MOVQ	·tlbDropCR3(SB), BX
	CMPQ	AX, BX
	JNE	reload
	MOVQ	·kernelCR3(SB), AX
reload:
	MOVQ	AX, CR3
	MOVQ	$·tlbAcks(SB), BX
	LOCK
	INCQ	(BX)
	EOI
	POPQ	BX
	POPQ	AX
	IRETQ

// vecWakeup acknowledges TamaGo's wake-up IPI; the halted CPU has woken.
TEXT ·vecWakeup(SB),NOSPLIT|NOFRAME,$0
	PUSHQ	AX
	EOI
	POPQ	AX
	IRETQ

// vecReboot stops this CPU for good (after a panic on another CPU).
TEXT ·vecReboot(SB),NOSPLIT|NOFRAME,$0
	CLI
loop:
	HLT
	JMP	loop

// vecCPUSetup runs cpuSetup on a CPU that receives the set-up IPI.
TEXT ·vecCPUSetup(SB),NOSPLIT|NOFRAME,$0
	PUSHQ	AX
	PUSHQ	BX
	PUSHQ	CX
	PUSHQ	DX
	PUSHQ	SI
	CALL	·cpuSetup(SB)
	EOI
	POPQ	SI
	POPQ	DX
	POPQ	CX
	POPQ	BX
	POPQ	AX
	IRETQ

// cpuSetup gives this CPU its tamix state, once: the GDT with user segments
// and its own TSS, the per-CPU area in the GS base, SYSCALL, NX, CR0.WP and a
// periodic LAPIC timer. Clobbers AX, BX, CX, DX, SI.
TEXT ·cpuSetup(SB),NOSPLIT|NOFRAME,$0
	MOVQ	$LAPIC_ID, AX
	MOVL	(AX), AX
	SHRL	$24, AX
	MOVQ	$·cpuByAPIC(SB), SI
	MOVQ	(SI)(AX*8), SI
	TESTQ	SI, SI
	JZ	done
	CMPQ	cpuLocal_ready(SI), $0
	JNE	done

	MOVQ	$·gdtDesc(SB), AX
	LGDT	(AX)
	MOVQ	cpuLocal_tssSel(SI), AX
	LTR	AX

	MOVL	$MSR_GS_BASE, CX
	MOVQ	SI, AX
	MOVQ	SI, DX
	SHRQ	$32, DX
	WRMSR
	MOVL	$MSR_KERNEL_GS_BASE, CX
	XORL	AX, AX
	XORL	DX, DX
	WRMSR

	MOVL	$MSR_EFER, CX
	RDMSR
	ORL	$1, AX			// SCE
	MOVB	·useNX(SB), BX
	TESTB	BX, BX
	JZ	nonx
	ORL	$(1<<11), AX		// NXE
nonx:
	WRMSR

	// STAR: SYSCALL loads CS 0x08/SS 0x10; SYSRET loads SS 0x18+8 and
	// CS 0x18+16 (with RPL 3).
	MOVL	$MSR_STAR, CX
	XORL	AX, AX
	MOVL	$(0x18<<16 | 0x08), DX
	WRMSR
	MOVL	$MSR_LSTAR, CX
	MOVQ	$·syscallEntry(SB), AX
	MOVQ	AX, DX
	SHRQ	$32, DX
	WRMSR
	MOVL	$MSR_FMASK, CX
	MOVL	$SYSCALL_FMASK, AX
	XORL	DX, DX
	WRMSR

	// CR0.WP: ring 0 honours read-only pages too.
	MOVQ	CR0, AX
	ORQ	$(1<<16), AX
	MOVQ	AX, CR0

	// Periodic LAPIC timer, divide by 1.
	MOVQ	$LAPIC_TIMER_DIV, AX
	MOVL	$0xb, (AX)
	MOVQ	$LAPIC_LVT_TIMER, AX
	MOVL	$(const_VecLocalTimer | 1<<17), (AX)
	MOVQ	$LAPIC_TIMER_INIT, AX
	MOVL	·lapicInitCount(SB), BX
	MOVL	BX, (AX)

	MOVQ	$1, cpuLocal_ready(SI)
done:
	RET

// func setupThisCPU()
TEXT ·setupThisCPU(SB),NOSPLIT,$0
	PUSHFQ
	CLI
	CALL	·cpuSetup(SB)
	POPFQ
	RET

// func idtBase() uint64
TEXT ·idtBase(SB),NOSPLIT,$16-8
	SIDT	0(SP)
	MOVQ	2(SP), AX
	MOVQ	AX, ret+0(FP)
	RET

// func saveKernelMXCSR()
TEXT ·saveKernelMXCSR(SB),NOSPLIT,$0
	MOVQ	$·kernelMXCSR(SB), AX
	STMXCSR	(AX)
	RET

// func fxsave(p uintptr)
TEXT ·fxsave(SB),NOSPLIT,$0-8
	MOVQ	p+0(FP), AX
	FXSAVE64	(AX)
	RET

// func readCR3() uint64
TEXT ·readCR3(SB),NOSPLIT,$0-8
	MOVQ	CR3, AX
	MOVQ	AX, ret+0(FP)
	RET

// func writeCR3(v uint64)
TEXT ·writeCR3(SB),NOSPLIT,$0-8
	MOVQ	v+0(FP), AX
	MOVQ	AX, CR3
	RET

// func invlpg(va uint64)
TEXT ·invlpg(SB),NOSPLIT,$0-8
	MOVQ	va+0(FP), AX
	INVLPG	(AX)
	RET

// func thisCPU() uint64
TEXT ·thisCPU(SB),NOSPLIT,$0-8
	MOVQ	cpuLocal_cpu(GS), AX
	MOVQ	AX, ret+0(FP)
	RET

// func cpuidRaw(leaf, sub uint32) (a, b, c, d uint32)
TEXT ·cpuidRaw(SB),NOSPLIT,$0-24
	MOVL	leaf+0(FP), AX
	MOVL	sub+4(FP), CX
	CPUID
	MOVL	AX, a+8(FP)
	MOVL	BX, b+12(FP)
	MOVL	CX, c+16(FP)
	MOVL	DX, d+20(FP)
	RET

// func rdtsc() uint64
TEXT ·rdtsc(SB),NOSPLIT,$0-8
	RDTSC
	SHLQ	$32, DX
	ORQ	DX, AX
	MOVQ	AX, ret+0(FP)
	RET

// func irqDisable() (flags uint64)
TEXT ·irqDisable(SB),NOSPLIT,$0-8
	PUSHFQ
	POPQ	AX
	CLI
	MOVQ	AX, ret+0(FP)
	RET

// func irqRestore(flags uint64)
TEXT ·irqRestore(SB),NOSPLIT,$0-8
	MOVQ	flags+0(FP), AX
	PUSHQ	AX
	POPFQ
	RET

// func stubAddr(name string) uintptr
TEXT ·stubAddr(SB),NOSPLIT,$0-24
	MOVQ	name_base+0(FP), SI
	MOVB	(SI), AX
	CMPB	AX, $'t'
	JEQ	tlb
	CMPB	AX, $'w'
	JEQ	wake
	CMPB	AX, $'r'
	JEQ	reboot
	MOVQ	$·vecCPUSetup(SB), AX
	JMP	out
tlb:
	MOVQ	$·vecTLBFlush(SB), AX
	JMP	out
wake:
	MOVQ	$·vecWakeup(SB), AX
	JMP	out
reboot:
	MOVQ	$·vecReboot(SB), AX
out:
	MOVQ	AX, ret+16(FP)
	RET

// func haltForever()
TEXT ·haltForever(SB),NOSPLIT,$0
	CLI
forever:
	HLT
	JMP	forever

// func idleHalt()
//
// Called with interrupts disabled after the caller checked that it has
// nothing to run: STI's one-instruction shadow makes STI;HLT atomic, so a
// wake-up IPI that arrives after the check still ends the HLT.
TEXT ·idleHalt(SB),NOSPLIT,$0
	STI
	HLT
	RET
