//go:build tamago

// Command kernel is tamix: it boots the PC, brings up every CPU and runs the
// in-kernel shell on the serial console.
package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	arch "tamix/arch/amd64"
	"tamix/boot"
)

func main() {
	if boot.MemoryError != nil {
		fmt.Printf("tamix: %v\n", boot.MemoryError)
		boot.Panic(1)
	}
	arch.PanicHook = func() { boot.Panic(1) }
	setGCPace(boot.Memory.GoRAM.End - boot.Memory.GoRAM.Start)
	arch.SetKernelRanges(uintptr(boot.Memory.GoRAM.Start), uintptr(boot.Memory.GoRAM.End),
		uintptr(boot.Memory.GoRAM.Start), uintptr(boot.Memory.GoRAM.End))
	if n := arch.Init(lapicIDs(), boot.TSCHz); n < runtime.GOMAXPROCS(0) {
		fmt.Printf("tamix: only %d of %d CPUs came up\n", n, runtime.GOMAXPROCS(0))
	}
	boot.SetTicking()
	banner()
	if err := startProcesses(); err != nil {
		fmt.Printf("tamix: %v\n", err)
	}
	go consoleReader()
	sh := newShell(&shellConsole{})
	sh.keepGoing = true
	addMachineCommands(sh)
	addProcessCommands(sh)
	addSchedCommands(sh)
	fmt.Printf("tamix: prompt after %d ms (guest time since reset)\n", boot.SinceReset()/1e6)
	sh.run()
	select {}
}

// setGCPace lets the heap grow to 8x its live size between collections
// (the kernel's live heap is a few MiB), with a limit well inside Go RAM.
// Fewer collections mean fewer stop-the-world phases, and each one is a
// chance to hit a TamaGo race: when a CPU is slow to park its M after
// stopping for the world (gcstopm drops the P before stopm queues the M),
// startTheWorld finds a P with work and no idle M and asks TamaGo for a
// new one, which panics "Task exceeds available resources" (one M per CPU).
func setGCPace(goRAM uint64) {
	debug.SetGCPercent(800)
	debug.SetMemoryLimit(int64(goRAM) * 5 / 8)
}

func banner() {
	m := boot.Memory
	fmt.Printf("tamix %s (%s, tamago/amd64)\n", version, runtime.Version())
	fmt.Printf("tamix: %d CPUs, TSC %d.%03d MHz (calibrated against the PIT), LAPIC timer %d MHz, HZ=%d\n",
		arch.ReadyCPUs(), boot.TSCHz/1e6, boot.TSCHz/1e3%1000, arch.LAPICHz()/1e6, arch.HZ)
	fmt.Printf("tamix: %d MiB RAM: Go RAM %#x-%#x, DMA %#x-%#x, %d MiB in page frames\n",
		m.RAM>>20, m.GoRAM.Start, m.GoRAM.End, m.DMA.Start, m.DMA.End, freeBytes()>>20)
	if boot.Cmdline != "" {
		fmt.Printf("tamix: command line: %s\n", boot.Cmdline)
	}
}

func lapicIDs() []uint8 {
	if boot.ACPIs != nil {
		return boot.ACPIs.LAPICs
	}
	return nil
}

func freeBytes() (n uint64) {
	for _, r := range boot.Memory.Free {
		n += r.Size()
	}
	return
}
