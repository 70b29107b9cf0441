//go:build tamago

package amd64

//go:generate go run gen_vectors.go

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"
)

// MaxCPUs bounds the per-CPU tables.
const MaxCPUs = 16

// HZ is the rate of the periodic LAPIC timer on every CPU (Linux's CONFIG_HZ
// on Debian is 250 as well).
const HZ = 250

const istSize = 16 << 10

// IST slots (1-based, as in the TSS): interrupts, exceptions, double fault, NMI.
const (
	istIRQ = 1 + iota
	istException
	istDoubleFault
	istNMI
	istCount = istNMI
)

// cpuLocal is one CPU's area, reached through the GS base in ring 0 (SWAPGS
// on entry from ring 3). The assembly uses its field offsets via go_asm.h.
type cpuLocal struct {
	self     uintptr
	kernelSP uintptr // Enter's stack pointer, restored on every trap
	kernelBP uintptr
	tf       uintptr // *TrapFrame of the task in ring 3
	scratch  uintptr
	kernelFS uint64 // the Go runtime's FS base (g) on this CPU
	cpu      uint64 // index of this CPU
	ticks    uint64 // timer interrupts taken while the kernel ran
	tssSel   uint64
	apicID   uint64
	ready    uint64 // cpuSetup done
}

// Fixed tables: Go globals never move, so their addresses can be loaded into
// the GDTR, the TSS descriptors and the IDT.
var (
	cpus            [MaxCPUs]cpuLocal
	cpuByAPIC       [256]uintptr // LAPIC ID -> *cpuLocal, for the assembly
	oopsFrameByAPIC [256]uintptr // LAPIC ID -> *TrapFrame
	oopsFrames      [MaxCPUs]TrapFrame
	gdt             [6 + 2*MaxCPUs]uint64
	gdtDesc         [2]uint64 // limit | base<<16, base>>48
	tss             [MaxCPUs][26]uint32
	istStacks       [MaxCPUs][istCount][istSize]byte
	kernelMXCSR     uint32       // the Go kernel's SSE control word
	irqWakeG        [256]uintptr // goroutine (g pointer) to wake per vector
	lapicInitCount  uint32
	useNX           bool
	kernelCR3       uint64
	tlbDropCR3      uint64
	tlbAcks         uint64
	numCPU          int
	lapicHz         uint64
)

// defined in entry_amd64.s
func Enter(tf *TrapFrame, cpu uint64, cr3 uint64) (trap uint64)
func setupThisCPU()
func idtBase() uint64
func saveKernelMXCSR()
func fxsave(p uintptr)
func readCR3() uint64
func writeCR3(v uint64)
func invlpg(va uint64)
func thisCPU() uint64
func cpuidRaw(leaf, sub uint32) (a, b, c, d uint32)
func rdtsc() uint64
func irqDisable() uint64
func irqRestore(flags uint64)
func vecTLBFlush()
func vecWakeup()
func vecReboot()
func vecCPUSetup()
func syscallEntry()
func vectorStub(v uint64) uintptr // vectors_amd64.s

// Addresses of assembly entry points, taken in assembly (a Go func value of
// an assembly function is its ABIInternal wrapper).
func stubAddr(name string) uintptr

func mmio32(addr uintptr) *uint32 { return (*uint32)(unsafe.Pointer(addr)) }

const (
	lapicBase      = 0xfee00000
	lapicID        = lapicBase + 0x20
	lapicICRLow    = lapicBase + 0x300
	lapicICRHigh   = lapicBase + 0x310
	lapicLVTTimer  = lapicBase + 0x320
	lapicTimerInit = lapicBase + 0x380
	lapicTimerCur  = lapicBase + 0x390
	lapicTimerDiv  = lapicBase + 0x3e0
)

// Init sets up the boot CPU and then every other CPU: apicIDs lists the
// LAPIC IDs of the CPUs (from the ACPI MADT), tscHz is the calibrated TSC
// rate. It returns the number of CPUs that are ready.
func Init(apicIDs []uint8, tscHz uint64) int {
	n := runtime.GOMAXPROCS(0)
	if len(apicIDs) < n {
		apicIDs = nil
		for i := 0; i < n; i++ {
			apicIDs = append(apicIDs, uint8(i))
		}
	}
	if n > MaxCPUs {
		n = MaxCPUs
	}
	numCPU = n
	kernelCR3 = readCR3()
	_, _, _, edx := cpuidRaw(0x80000001, 0)
	useNX = edx&(1<<20) != 0

	buildGDT(apicIDs[:n])
	installGates()
	saveKernelMXCSR()
	calibrateLAPIC(tscHz)

	setupThisCPU()
	// The other CPUs set themselves up from an IPI. A CPU whose Go M has not
	// started yet takes it when it first enables interrupts, so keep every P
	// busy for a moment to bring them all up.
	ipiAllButSelf(VecCPUSetup)
	deadline := time.Now().Add(2 * time.Second)
	for ReadyCPUs() < n && time.Now().Before(deadline) {
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for t := time.Now(); time.Since(t) < time.Millisecond; {
				}
			}()
		}
		wg.Wait()
	}
	return ReadyCPUs()
}

// ReadyCPUs counts the CPUs that finished cpuSetup.
func ReadyCPUs() (n int) {
	for i := 0; i < numCPU; i++ {
		if atomic.LoadUint64(&cpus[i].ready) != 0 {
			n++
		}
	}
	return
}

// NumCPU is the number of CPUs tamix drives.
func NumCPU() int { return numCPU }

// CurrentCPU returns the index of the CPU the caller runs on. The answer is
// only a hint for Go code that may move (see Enter's cpu check).
func CurrentCPU() int { return int(thisCPU()) }

// Ticks returns the timer interrupts CPU cpu took while in the kernel.
func Ticks(cpu int) uint64 { return atomic.LoadUint64(&cpus[cpu].ticks) }

// LAPICHz is the calibrated LAPIC timer rate.
func LAPICHz() uint64 { return lapicHz }

// KernelCR3 is the boot page table, which maps only the kernel.
func KernelCR3() uint64 { return kernelCR3 }

// ReadCR3 returns this CPU's page-table root.
func ReadCR3() uint64 { return readCR3() }

// LoadCR3 switches this CPU to page table root.
func LoadCR3(root uint64) {
	if readCR3() != root {
		writeCR3(root)
	}
}

// Invlpg drops this CPU's TLB entry for va.
func Invlpg(va uint64) { invlpg(va) }

func buildGDT(apicIDs []uint8) {
	gdt[0] = 0
	gdt[1] = 0x00209a0000000000 // kernel code 64
	gdt[2] = 0x0000920000000000 // kernel data
	gdt[3] = 0x00cffa000000ffff // user code 32 (SYSRET's base slot, unused)
	gdt[4] = 0x0000f20000000000 // user data, DPL 3
	gdt[5] = 0x0020fa0000000000 // user code 64, DPL 3
	for i, id := range apicIDs {
		c := &cpus[i]
		c.self = uintptr(unsafe.Pointer(c))
		c.cpu = uint64(i)
		c.apicID = uint64(id)
		c.tssSel = uint64(tssBase + 16*i)
		cpuByAPIC[id] = c.self
		oopsFrameByAPIC[id] = uintptr(unsafe.Pointer(&oopsFrames[i]))

		t := &tss[i]
		top := func(k int) uint64 { return uint64(uintptr(unsafe.Pointer(&istStacks[i][k-1][istSize-16]))) }
		put64(t, 4, top(istIRQ)) // RSP0: only the NMI gate uses it from ring 3
		for k := 1; k <= istCount; k++ {
			put64(t, 36+8*(k-1), top(k))
		}
		t[25] = 104 << 16 // I/O permission bitmap beyond the limit: none

		base := uint64(uintptr(unsafe.Pointer(t)))
		const limit = 104 - 1
		gdt[6+2*i] = limit | (base&0xffffff)<<16 | 0x89<<40 | (base>>24&0xff)<<56
		gdt[6+2*i+1] = base >> 32
	}
	base := uint64(uintptr(unsafe.Pointer(&gdt)))
	gdtDesc[0] = uint64(len(gdt)*8-1) | base<<16
	gdtDesc[1] = base >> 48
}

func put64(t *[26]uint32, off int, v uint64) {
	t[off/4] = uint32(v)
	t[off/4+1] = uint32(v >> 32)
}

// installGates points every IDT vector but the NMI at tamix's stubs, in
// TamaGo's IDT (which every CPU has loaded).
func installGates() {
	idt := (*[256][2]uint64)(unsafe.Pointer(uintptr(idtBase())))
	for v := 0; v < 256; v++ {
		addr := vectorStub(uint64(v))
		ist := istIRQ
		dpl := uint64(0)
		switch {
		case v == VecNMI:
			// Keep TamaGo's NMI handler: it starts the APs with NMIs, before
			// they have a TSS, so the gate cannot name an IST stack. TamaGo
			// sends no NMI after boot.
			addr = uintptr(idt[v][0]&0xffff | idt[v][0]>>48<<16 | idt[v][1]<<32)
			ist = 0
		case v == VecDoubleFault:
			ist = istDoubleFault
		case v < 32:
			ist = istException
			if v == VecBreakpoint || v == VecOverflow {
				dpl = 3 // int3 and into from ring 3 raise #BP/#OF, not #GP
			}
		case v == VecTLBFlush:
			addr = stubAddr("tlbflush")
		case v == VecWakeup:
			addr = stubAddr("wakeup")
		case v == VecReboot:
			addr = stubAddr("reboot")
		case v == VecCPUSetup:
			addr = stubAddr("cpusetup")
			ist = 0 // the receiving CPU has no TSS yet
		}
		a := uint64(addr)
		idt[v][0] = a&0xffff | KernelCS<<16 | uint64(ist)<<32 | (0x8e|dpl<<5)<<40 | (a>>16&0xffff)<<48
		idt[v][1] = a >> 32
	}
}

// calibrateLAPIC measures the LAPIC timer (divide by 1) against the TSC.
func calibrateLAPIC(tscHz uint64) {
	*mmio32(lapicTimerDiv) = 0xb
	*mmio32(lapicLVTTimer) = 1 << 16 // masked, one-shot
	*mmio32(lapicTimerInit) = 0xffffffff
	t0 := rdtsc()
	for rdtsc()-t0 < tscHz/100 {
	}
	elapsed := 0xffffffff - *mmio32(lapicTimerCur)
	*mmio32(lapicTimerInit) = 0
	lapicHz = uint64(elapsed) * 100
	lapicInitCount = uint32(lapicHz / HZ)
}

// ipiAllButSelf sends a fixed IPI to every other CPU.
func ipiAllButSelf(vector int) {
	for *mmio32(lapicICRLow)&(1<<12) != 0 {
	}
	*mmio32(lapicICRLow) = 3<<18 | uint32(vector) // all excluding self, fixed
	for *mmio32(lapicICRLow)&(1<<12) != 0 {
	}
}

// SendIPI sends vector to CPU cpu.
func SendIPI(cpu int, vector int) {
	f := irqDisable()
	for *mmio32(lapicICRLow)&(1<<12) != 0 {
	}
	*mmio32(lapicICRHigh) = uint32(cpus[cpu].apicID) << 24
	*mmio32(lapicICRLow) = uint32(vector)
	for *mmio32(lapicICRLow)&(1<<12) != 0 {
	}
	irqRestore(f)
}

// StopOtherCPUs halts every other CPU for good (used by panics).
func StopOtherCPUs() { ipiAllButSelf(VecReboot) }

// WakeOnInterrupt makes interrupt vector wake the calling goroutine when it
// sleeps in time.Sleep (TamaGo's runtime.WakeG). Entries from ring 3 are
// reported by Enter instead; the loop calls WakeVector for them.
func WakeOnInterrupt(vector int) {
	g, _ := runtime.GetG()
	atomic.StoreUintptr(&irqWakeG[vector], uintptr(g))
}

// WakeVector wakes the goroutine registered for vector, if any.
func WakeVector(vector uint64) {
	if vector < 256 {
		if g := atomic.LoadUintptr(&irqWakeG[vector]); g != 0 {
			runtime.Wake(uint(g))
		}
	}
}

var tlbMu sync.Mutex

// FlushTLBOthers makes the CPUs in mask (other than this one) flush their
// TLBs; with drop set, a CPU that has root loaded switches to the kernel's
// page table so that root can be freed. It waits for every CPU to finish.
func FlushTLBOthers(mask uint64, root uint64, drop bool) {
	tlbMu.Lock()
	defer tlbMu.Unlock()
	f := irqDisable()
	self := thisCPU()
	if drop {
		atomic.StoreUint64(&tlbDropCR3, root)
	} else {
		atomic.StoreUint64(&tlbDropCR3, 0)
	}
	want := atomic.LoadUint64(&tlbAcks)
	for i := 0; i < numCPU; i++ {
		if i != int(self) && mask&(1<<i) != 0 && atomic.LoadUint64(&cpus[i].ready) != 0 {
			SendIPI(i, VecTLBFlush)
			want++
		}
	}
	irqRestore(f)
	for atomic.LoadUint64(&tlbAcks) < want {
	}
	atomic.StoreUint64(&tlbDropCR3, 0)
}

// CPUID1EDX returns CPUID.1:EDX (the feature bits Linux passes as AT_HWCAP).
func CPUID1EDX() uint32 {
	_, _, _, d := cpuidRaw(1, 0)
	return d
}

func idleHalt()

// IdleUnless halts this CPU until the next interrupt unless busy() reports
// work. busy runs with interrupts disabled, so a wake-up that makes it true
// afterwards interrupts the halt instead of being missed.
func IdleUnless(busy func() bool) {
	f := irqDisable()
	if busy() {
		irqRestore(f)
		return
	}
	idleHalt()
	irqRestore(f)
}

// CPUID executes CPUID with leaf and subleaf on this CPU.
func CPUID(leaf, sub uint32) (a, b, c, d uint32) { return cpuidRaw(leaf, sub) }
