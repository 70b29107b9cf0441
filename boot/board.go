//go:build tamago

// Package boot is tamix's board support for a standard PC: QEMU's q35 machine
// (with pic=off) and real PCs. It is the only code that knows the machine:
// console, memory map, TSC calibration, ACPI power off and reset.
package boot

import (
	"math"
	"runtime/goos"
	"sync/atomic"
	"unsafe"

	"github.com/usbarmory/tamago/amd64"
	"github.com/usbarmory/tamago/dma"
	"github.com/usbarmory/tamago/soc/intel/ioapic"
	"github.com/usbarmory/tamago/soc/intel/uart"
)

// Physical memory the kernel itself occupies. Go RAM starts at TamaGo's
// RamStart (the link address 0x10010000 lies inside it).
const (
	goRAMStart = 0x10000000
	goRAMSize  = 0x10000000 // 256 MiB: heap, goroutine stacks and the kernel image
	dmaSize    = 4 << 20
	// The boot page tables map 0-3 GiB cacheable, 3-6 GiB uncacheable (device
	// space): page frames must come from below 3 GiB.
	mapLimit = 3 << 30

	// bootPT is TamaGo's page table for the first 2 MiB (4 KiB pages).
	bootPT = 0xc000

	// pvhInfoSlot is where pvh_start (entry_amd64.s) keeps EBX.
	pvhInfoSlot = 0x7000

	COM1      = 0x3f8
	debugExit = 0xf4
)

//go:linkname ramSize runtime/goos.RamSize
var ramSize uint64 = goRAMSize

// Machine devices.
var (
	CPU     = &amd64.CPU{TimerMultiplier: 1}
	IOAPIC0 = &ioapic.IOAPIC{Index: 0, Base: 0xfec00000, GSIBase: 0}
	UART0   = &uart.UART{Index: 1, Base: COM1}
)

// What the board found at boot.
var (
	Memory  Layout
	ACPIs   *ACPI // nil when the firmware has no ACPI tables
	PVH     PVHInfo
	Cmdline string
	TSCHz   uint64 // calibrated against the PIT
	// MemoryError is set when the memory map could not be used.
	MemoryError error
)

// ticking is set once every CPU has a periodic timer interrupt (see Idle).
var ticking atomic.Bool

// SetTicking tells the idle loop that a timer interrupt will wake halted
// CPUs, so they may halt even while Go timers are pending.
func SetTicking() { ticking.Store(true) }

// defined in port_amd64.s
func inb(port uint16) uint8
func outb(port uint16, val uint8)
func outw(port uint16, val uint16)
func outl(port uint16, val uint32)
func rdtsc() uint64
func haltUntilInterrupt()
func haltForever()
func invlpg(addr uint64)

//go:linkname printk runtime/goos.Printk
func printk(c byte) {
	// A serial terminal needs CR LF; Go's runtime prints bare LF.
	if c == '\n' {
		UART0.Tx('\r')
	}
	UART0.Tx(c)
}

//go:linkname nanotime runtime/goos.Nanotime
func nanotime() int64 {
	return CPU.GetTime()
}

// Nanotime is the runtime's clock: int64(float64(TSC)*mult) + offset, with
// ClockScale's factors. The vDSO computes the same formula in user mode.
func Nanotime() int64 { return CPU.GetTime() }

// ClockScale returns Nanotime's factors: ns per TSC tick and ns at TSC 0.
func ClockScale() (mult float64, offset int64) { return CPU.TimerMultiplier, CPU.TimerOffset }

// hwinit1 runs early in runtime start-up, on the boot CPU.
//
//go:linkname hwinit1 runtime/goos.Hwinit1
func hwinit1() {
	// The 8259 PIC would deliver the PIT's IRQ0 as vector 8 (#DF) once
	// interrupts are on; tamix uses the IOAPIC, so mask the 8259 entirely.
	outb(0x21, 0xff)
	outb(0xa1, 0xff)

	CPU.Init()
	calibrateTSC()
	IOAPIC0.Init()
	UART0.Init()

	goos.Exit = exit
	goos.Idle = idle
}

func init() {
	// The PVH start_info lives in firmware memory below 1 MiB; read it before
	// the AP trampoline (0x4000-0x6028) is written by InitSMP.
	readFirmwareTables()

	CPU.EnableExceptions()
	CPU.InitSMP(-1)

	if MemoryError == nil {
		dma.Init(uint(Memory.DMA.Start), int(Memory.DMA.Size()))
	}
}

// physBytes returns physical memory through the boot identity map.
func physBytes(pa uint64, n int) []byte {
	if pa+uint64(n) > mapLimit || pa+uint64(n) < pa {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(uintptr(pa))), n)
}

func cstring(pa uint64, max int) string {
	b := physBytes(pa, max)
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// withPageZero maps physical page 0 while fn runs. TamaGo leaves it unmapped
// to catch nil pointers, but QEMU's PVH loader may put the memory map there.
func withPageZero(fn func()) {
	pte := (*uint64)(unsafe.Pointer(uintptr(bootPT)))
	*pte |= 0x3 // present, writable
	invlpg(0)
	defer func() {
		*pte &^= 0x3
		invlpg(0)
	}()
	fn()
}

func readFirmwareTables() {
	withPageZero(readPVH)

	rsdp := PVH.RSDP
	if rsdp == 0 {
		rsdp = FindRSDP(physBytes)
	}
	if rsdp != 0 {
		ACPIs, _ = ParseACPI(physBytes, rsdp)
	}
}

func readPVH() {
	var fw []E820Entry
	info, err := ParsePVHInfo(physBytes(uint64(*(*uint32)(unsafe.Pointer(uintptr(pvhInfoSlot)))), pvhInfoSize))
	if err == nil {
		PVH = info
		if info.Cmdline != 0 {
			Cmdline = cstring(info.Cmdline, 4096)
		}
		if info.MemmapNr > 0 {
			fw, err = ParseMemmap(physBytes(info.Memmap, int(info.MemmapNr)*pvhMemmapEntSize), int(info.MemmapNr))
		}
	}
	if len(fw) == 0 {
		fw = cmosMemoryMap()
	}
	Memory, MemoryError = PlanMemory(fw, Range{goRAMStart, goRAMStart + goRAMSize}, dmaSize, mapLimit)
}

// cmosMemoryMap is the fallback when no loader passed a memory map: the CMOS
// holds the amount of RAM between 16 MiB and 4 GiB in 64 KiB units (registers
// 0x34/0x35, as set by SeaBIOS and QEMU).
func cmosMemoryMap() []E820Entry {
	read := func(r uint8) uint64 { outb(0x70, r); return uint64(inb(0x71)) }
	above16M := (read(0x34) | read(0x35)<<8) << 16
	return []E820Entry{
		{Addr: 0, Size: 0x9fc00, Type: E820RAM},
		{Addr: 1 << 20, Size: 15<<20 + above16M, Type: E820RAM},
	}
}

// calibrateTSC measures the TSC against PIT channel 2 (1193182 Hz) over
// 20 ms, as Linux's pit_calibrate_tsc does: gate on, speaker off, mode 0, and
// wait for OUT2 to go high.
func calibrateTSC() {
	const pitHz = 1193182
	const latch = pitHz / 50
	outb(0x61, inb(0x61)&^0x02|0x01)
	outb(0x43, 0xb0) // channel 2, lobyte/hibyte, mode 0, binary
	outb(0x42, latch&0xff)
	outb(0x42, latch>>8)
	t0 := rdtsc()
	for inb(0x61)&0x20 == 0 {
	}
	t1 := rdtsc()
	TSCHz = (t1 - t0) * pitHz / latch

	// Keep nanotime continuous across the switch from raw TSC counts.
	now := rdtsc()
	before := CPU.GetTime()
	CPU.TimerMultiplier = 1e9 / float64(TSCHz)
	CPU.TimerOffset = before - int64(float64(now)*CPU.TimerMultiplier)
}

// SinceReset returns nanoseconds since the machine was reset (the TSC starts
// at zero at reset).
func SinceReset() int64 {
	if TSCHz == 0 {
		return 0
	}
	t := rdtsc()
	return int64(t/TSCHz)*1e9 + int64(t%TSCHz*1e9/TSCHz)
}

// idle is goos.Idle: the runtime calls it when no goroutine is runnable on
// this CPU. Halting until the next interrupt saves the host CPU (and, under
// QEMU's icount, keeps idle time from counting as guest instructions). Before
// the periodic tick runs, only halt when no Go timer is pending.
//
// The Go runtime does not interrupt a halted CPU when it readies a goroutine
// elsewhere (a mutex released, a channel sent to): the halted CPU would only
// notice at its next tick. So an idle CPU first polls for a short while, as
// Linux's cpuidle polls before a deep sleep, and halts only after that.
func idle(until int64) {
	if !ticking.Load() && until != math.MaxInt64 {
		return
	}
	id := CPU.LAPIC.ID() & 0xff
	now := rdtsc()
	st := &idleState[id]
	if now-st.last > idleGap*TSCHz/1e9 {
		st.since = now // a new idle period
	}
	st.last = now
	if now-st.since < idlePoll*TSCHz/1e9 {
		return
	}
	haltUntilInterrupt()
	st.last = rdtsc()
	st.since = st.last
}

// Idle polling: poll for idlePoll ns after the CPU ran out of goroutines;
// calls further apart than idleGap start a new idle period.
const (
	idlePoll = 50000
	idleGap  = 20000
)

var idleState [256]struct{ since, last uint64 }

// PowerOff turns the machine off through ACPI S5 (QEMU exits with status 0).
// Without ACPI, QEMU's isa-debug-exit ends the emulator; on other machines
// the CPU halts.
func PowerOff() {
	if a := ACPIs; a != nil && a.HaveS5 && a.PM1aCnt != 0 {
		const slpEn = 1 << 13
		outw(a.PM1aCnt, a.SlpTypS5a<<10|slpEn)
		if a.PM1bCnt != 0 {
			outw(a.PM1bCnt, a.SlpTypS5b<<10|slpEn)
		}
		// QEMU acts on the request from its main loop, after stopping
		// every vCPU: on a loaded host that took more than 100 ms
		// (the debug exit then won the race). Give it a second.
		spin(1e9)
	}
	outb(debugExit, 0)
	haltForever()
}

// spin busy-waits for ns nanoseconds without relying on interrupts.
func spin(ns uint64) {
	end := rdtsc() + ns*TSCHz/1e9
	for rdtsc() < end {
	}
}

// Reset restarts the machine: the ACPI reset register, then the chipset's
// reset control register (0xcf9), then the keyboard controller, and at last a
// triple fault.
func Reset() {
	if a := ACPIs; a != nil && a.ResetPort != 0 {
		outb(a.ResetPort, a.ResetValue)
		spin(100 * 1e6)
	}
	outb(0xcf9, 0x02)
	outb(0xcf9, 0x06)
	CPU.Reset()
	amd64.Fault()
}

// Panic stops the machine after a kernel panic: QEMU's isa-debug-exit device
// makes the emulator exit with status (code<<1)|1; real hardware halts.
func Panic(code uint8) {
	outb(debugExit, code)
	haltForever()
}

// exit is goos.Exit: the Go runtime calls it on a fatal error (code 2).
func exit(code int32) {
	if code == 0 {
		PowerOff()
	}
	Panic(uint8(code))
}
