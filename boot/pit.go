//go:build tamago

package boot

import "sync"

// The PIT's channel 0 is tamix's high-resolution timer event device: the
// LAPIC timer keeps its periodic scheduler tick, and channel 0, in one-shot
// mode, interrupts when the earliest sleeper is due, so a 1 ms nanosleep
// ends after about 1 ms rather than at the next 4 ms tick (Linux programs
// its clock event device the same way for hrtimers).
const (
	pitHz        = 1193182
	pitIRQ       = 0 // ISA IRQ of channel 0
	pitMaxCounts = 0xffff
)

var pitMu sync.Mutex

// PITOneShot arms channel 0 to interrupt once, ns nanoseconds from now
// (at least one count, 0.84 us; at most 65535 counts, 54.9 ms: a later
// deadline gets an early interrupt, and the caller arms it again).
func PITOneShot(ns int64) {
	counts := ns * pitHz / 1e9
	counts = max(1, min(counts, pitMaxCounts))
	pitMu.Lock()
	outb(0x43, 0x30) // channel 0, lobyte/hibyte, mode 0 (interrupt on terminal count)
	outb(0x40, uint8(counts))
	outb(0x40, uint8(counts>>8))
	pitMu.Unlock()
}

// EnablePITIRQ stops channel 0 (firmware may have left it periodic) and
// routes its interrupt to the boot CPU, as vector base+GSI (the IOAPIC
// pin; ACPI may move IRQ 0 to another pin). It returns the vector.
func EnablePITIRQ(base int) (vector int) {
	PITOneShot(pitMaxCounts * 1_000_000_000 / pitHz) // mode 0: one interrupt, then quiet
	gsi := uint32(pitIRQ)
	if ACPIs != nil {
		if g, ok := ACPIs.IRQOverrides[pitIRQ]; ok {
			gsi = g
		}
	}
	IOAPIC0.EnableInterrupt(int(gsi), base+int(gsi))
	return base + int(gsi)
}
