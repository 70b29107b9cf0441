//go:build tamago

package amd64

import (
	"runtime"
	"unsafe"

	"golang.org/x/arch/x86/x86asm"
)

// PanicHook stops the machine after an oops (the board's panic exit). Set by
// the kernel; without it the CPU halts.
var PanicHook func()

// TextRange bounds the kernel image, so the oops reads instruction bytes and
// frame pointers only where they exist.
var textStart, textEnd, ramStart, ramEnd uintptr

// SetKernelRanges tells the oops code where kernel text and RAM are.
func SetKernelRanges(text0, text1, ram0, ram1 uintptr) {
	textStart, textEnd, ramStart, ramEnd = text0, text1, ram0, ram1
}

// oopsHandler is called by kernelException on the system stack.
var oopsHandler = oops

var oopsing uint32

// oops reports a fault in ring 0 the way Linux's die() does: what happened,
// where, the registers, the faulting instruction and the call chain; then it
// stops every CPU. It runs with the world in an unknown state, so it prints
// with the runtime's print (no allocation) where it can.
func oops() {
	id := *mmio32(lapicID) >> 24
	tf := (*TrapFrame)(unsafe.Pointer(oopsFrameByAPIC[id]))
	cpu := (*cpuLocal)(unsafe.Pointer(cpuByAPIC[id]))
	if oopsing++; oopsing > 1 {
		print("tamix: oops while handling an oops\n")
		stop()
	}
	StopOtherCPUs()

	print("\ntamix: oops: ", TrapName(tf.Trapno), " (vector ", tf.Trapno, ") in kernel mode, error code ", hex(tf.ErrorCode))
	if cpu != nil {
		print(", CPU ", cpu.cpu)
	}
	print("\n")
	if tf.Trapno == VecPageFault {
		what := "read"
		if tf.ErrorCode&PFWrite != 0 {
			what = "write"
		} else if tf.ErrorCode&PFFetch != 0 {
			what = "instruction fetch"
		}
		cause := "not-present page"
		if tf.ErrorCode&PFPresent != 0 {
			cause = "protection violation"
		}
		print("tamix: oops: ", what, " of ", hex(tf.CR2), ": ", cause, "\n")
	}
	print("RIP: ", hex(tf.CS), ":", hex(tf.RIP))
	if fn := runtime.FuncForPC(uintptr(tf.RIP)); fn != nil {
		file, line := fn.FileLine(uintptr(tf.RIP))
		print(" ", fn.Name(), " (", file, ":", line, ")")
	}
	print("\n")
	print("RSP: ", hex(tf.SS), ":", hex(tf.RSP), " RFLAGS: ", hex(tf.RFLAGS), " CR2: ", hex(tf.CR2), " CR3: ", hex(readCR3()), "\n")
	print("RAX: ", hex(tf.RAX), " RBX: ", hex(tf.RBX), " RCX: ", hex(tf.RCX), "\n")
	print("RDX: ", hex(tf.RDX), " RSI: ", hex(tf.RSI), " RDI: ", hex(tf.RDI), "\n")
	print("RBP: ", hex(tf.RBP), " R08: ", hex(tf.R8), " R09: ", hex(tf.R9), "\n")
	print("R10: ", hex(tf.R10), " R11: ", hex(tf.R11), " R12: ", hex(tf.R12), "\n")
	print("R13: ", hex(tf.R13), " R14: ", hex(tf.R14), " R15: ", hex(tf.R15), "\n")

	if code := kernelBytes(uintptr(tf.RIP), 15); code != nil {
		print("Code:")
		for _, b := range code {
			print(" ", hexByte(b))
		}
		print("\n")
		if inst, err := x86asm.Decode(code, 64); err == nil {
			print("Faulting instruction: ", x86asm.GNUSyntax(inst, tf.RIP, nil), "\n")
		}
	}

	print("Call trace:\n")
	bp := uintptr(tf.RBP)
	for i := 0; i < 32 && bp >= ramStart && bp+16 <= ramEnd && bp%8 == 0; i++ {
		ret := *(*uintptr)(unsafe.Pointer(bp + 8))
		fn := runtime.FuncForPC(ret - 1)
		if fn == nil {
			break
		}
		file, line := fn.FileLine(ret - 1)
		print("  ", fn.Name(), "\n      ", file, ":", line, "\n")
		next := *(*uintptr)(unsafe.Pointer(bp))
		if next <= bp {
			break
		}
		bp = next
	}
	print("tamix: Kernel panic - not syncing: Fatal exception\n")
	stop()
}

func stop() {
	if PanicHook != nil {
		PanicHook()
	}
	haltForever()
}

func haltForever() // entry_amd64.s

func kernelBytes(pc uintptr, n int) []byte {
	if pc < textStart || pc+uintptr(n) > textEnd || runtime.FuncForPC(pc) == nil {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(pc)), n)
}

const hexDigits = "0123456789abcdef"

// hexBuf holds the text of hex and hexByte; oops runs on one CPU at a time
// and prints each result before the next call.
var hexBuf [8][18]byte
var hexNext int

// hex formats v as 0x%016x without allocating.
func hex(v uint64) string {
	b := &hexBuf[hexNext%len(hexBuf)]
	hexNext++
	b[0], b[1] = '0', 'x'
	for i := 17; i >= 2; i-- {
		b[i] = hexDigits[v&15]
		v >>= 4
	}
	return unsafe.String(&b[0], 18)
}

func hexByte(v byte) string {
	b := &hexBuf[hexNext%len(hexBuf)]
	hexNext++
	b[0], b[1] = hexDigits[v>>4], hexDigits[v&15]
	return unsafe.String(&b[0], 2)
}
