// Package amd64 is tamix's x86-64 layer: segments and a TSS per CPU, IDT
// gates, SYSCALL/SYSRET, the LAPIC timer, FS-base and FPU state switching,
// and Enter, which runs a task in ring 3 until it traps back into the kernel.
// All of tamix's assembly lives here and in boot/.
package amd64

import "unsafe"

// TrapFrame is a task's user register state: what Enter loads before it
// returns to ring 3, and what every entry from ring 3 saves (Linux's
// struct pt_regs plus the FS base and the FPU/SSE state of thread_struct).
// The assembly in entry_amd64.s addresses its fields through go_asm.h.
type TrapFrame struct {
	// The system-call argument registers come first, in the ABI's order,
	// so that SyscallArgs can hand them to a handler without a copy.
	RDI, RSI, RDX, R10, R8, R9                  uint64
	RAX, RBX, RCX, RBP, R11, R12, R13, R14, R15 uint64

	// Trapno is the vector that brought the task into the kernel, or
	// TrapSyscall; ErrorCode is what the CPU pushed (0 when none).
	Trapno, ErrorCode uint64

	// The hardware interrupt frame, in IRETQ order.
	RIP, CS, RFLAGS, RSP, SS uint64

	FSBase uint64 // user TLS (arch_prctl ARCH_SET_FS)
	CR2    uint64 // faulting address of the last #PF

	// FPU holds the FXSAVE image; the assembly aligns it to 16 bytes
	// inside this buffer.
	FPU [512 + 16]byte
}

// SyscallArgs is the six system-call arguments (rdi, rsi, rdx, r10, r8,
// r9) as an array that aliases the frame: what a handler reads is the
// task's registers, as Linux's handlers read pt_regs.
func (tf *TrapFrame) SyscallArgs() *[6]uint64 {
	return (*[6]uint64)(unsafe.Pointer(&tf.RDI))
}

// Trap numbers beyond the 256 vectors.
const (
	TrapSyscall = 256 // the task executed SYSCALL
	TrapMoved   = 257 // Enter was called on another CPU than the caller picked
)

// Exception vectors (Intel SDM Vol. 3A, 6.3.1).
const (
	VecDivide       = 0
	VecDebug        = 1
	VecNMI          = 2
	VecBreakpoint   = 3
	VecOverflow     = 4
	VecBound        = 5
	VecInvalidOp    = 6
	VecDeviceNA     = 7
	VecDoubleFault  = 8
	VecInvalidTSS   = 10
	VecSegNotPres   = 11
	VecStackFault   = 12
	VecGPF          = 13
	VecPageFault    = 14
	VecX87          = 16
	VecAlignment    = 17
	VecMachineCheck = 18
	VecSIMD         = 19
)

// Interrupt vectors, numbered as Linux numbers its own (arch/x86/include/asm/irq_vectors.h).
const (
	VecIRQBase       = 32   // IOAPIC pin n arrives as vector 32+n
	VecLocalTimer    = 0xec // LOCAL_TIMER_VECTOR
	VecReboot        = 0xf8 // REBOOT_VECTOR: stop this CPU for good
	VecTLBFlush      = 0xfb // CALL_FUNCTION_VECTOR's job here: flush or drop an mm
	VecReschedule    = 0xfd // RESCHEDULE_VECTOR
	VecCPUSetup      = 0xf0 // one-time per-CPU set-up at boot
	VecWakeup        = 0xff // TamaGo's wake-up vector for halted CPUs
	VecSpuriousLAPIC = 0xff
)

// Segment selectors (GDT layout fixed by STAR; see DESIGN decision 6).
const (
	KernelCS = 0x08
	KernelSS = 0x10
	UserCS32 = 0x18 | 3
	UserSS   = 0x20 | 3
	UserCS   = 0x28 | 3
	tssBase  = 0x30
)

// RFLAGS bits.
const (
	FlagCF   = 1 << 0
	FlagTF   = 1 << 8
	FlagIF   = 1 << 9
	FlagDF   = 1 << 10
	FlagIOPL = 3 << 12
	FlagNT   = 1 << 14
	FlagRF   = 1 << 16
	FlagAC   = 1 << 18
	FlagID   = 1 << 21
	flagsRes = 1 << 1 // always 1

	// UserFlagsMask is what a task may set (status flags, DF, TF, AC, ID, RF).
	UserFlagsMask = 0xcd5 | FlagTF | FlagDF | FlagAC | FlagID | FlagRF
)

// HasErrorCode reports whether the CPU pushes an error code for vector.
func HasErrorCode(vector uint64) bool {
	switch vector {
	case 8, 10, 11, 12, 13, 14, 17, 21, 29, 30:
		return true
	}
	return false
}

var exceptionNames = [...]string{
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
	"invalid opcode", "device not available", "double fault", "coprocessor segment overrun",
	"invalid TSS", "segment not present", "stack-segment fault", "general protection fault",
	"page fault", "reserved", "x87 floating-point error", "alignment check", "machine check",
	"SIMD floating-point exception", "virtualization exception", "control protection exception",
}

// TrapName names a trap number for messages.
func TrapName(trapno uint64) string {
	switch {
	case trapno < uint64(len(exceptionNames)):
		return exceptionNames[trapno]
	case trapno < 32:
		return "reserved exception"
	case trapno == VecLocalTimer:
		return "local timer interrupt"
	case trapno == VecReschedule:
		return "reschedule IPI"
	case trapno == TrapSyscall:
		return "system call"
	case trapno == TrapMoved:
		return "moved to another CPU"
	case trapno < 256:
		return "interrupt"
	}
	return "unknown trap"
}

// IsCanonical reports whether va is a canonical 48-bit address.
func IsCanonical(va uint64) bool {
	top := va >> 47
	return top == 0 || top == 0x1ffff
}

// SetUserFlags merges the task-settable bits of flags into tf.RFLAGS and
// forces IF on and IOPL 0, as Linux does for sigreturn and ptrace.
func (tf *TrapFrame) SetUserFlags(flags uint64) {
	tf.RFLAGS = flags&UserFlagsMask | FlagIF | flagsRes
}

// Page-fault error code bits (SDM 4.7).
const (
	PFPresent = 1 << 0 // the fault was a protection violation (page present)
	PFWrite   = 1 << 1
	PFUser    = 1 << 2
	PFRsvd    = 1 << 3
	PFFetch   = 1 << 4
)

// FXSAVE returns the 512-byte FXSAVE image inside tf.FPU (16-byte aligned
// in memory, as FXSAVE64/FXRSTOR64 require).
func (tf *TrapFrame) FXSAVE() []byte {
	off := (16 - uintptr(unsafe.Pointer(&tf.FPU[0]))%16) % 16
	return tf.FPU[off : off+512]
}

// InitFPU gives tf the FPU/SSE state a new task starts with (Linux's
// fpstate_init: x87 control word 0x37f, MXCSR 0x1f80, all registers zero).
func InitFPU(tf *TrapFrame) {
	img := tf.FXSAVE()
	clear(img)
	img[0], img[1] = 0x7f, 0x03   // FCW
	img[24], img[25] = 0x80, 0x1f // MXCSR
	img[28], img[29] = 0xff, 0xff // MXCSR_MASK (informational)
}
