//go:build tamago

package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	_ "unsafe" // go:linkname

	arch "tamix/arch/amd64"
	"tamix/boot"
	"tamix/mm"
	"tamix/proc"
	"tamix/tty"
	"tamix/vfs"

	"github.com/usbarmory/tamago/soc/intel/rtc"
)

// The kernel's process state, made by startProcesses.
var (
	kern    *proc.Kernel
	frames  *mm.FrameAllocator
	console *tty.TTY
	kshell  *proc.Task // the shell's kernel-thread task
	bootNs  = boot.SinceReset()
	// loadedRoot[cpu] is the page table CPU cpu has loaded (Linux keeps the
	// inverse, mm_cpumask): TLB shootdowns go to the CPUs that may cache it.
	loadedRoot [arch.MaxCPUs]atomic.Uint64
	// prevRoot[cpu] is the page table CPU cpu may still have loaded while
	// it switches to loadedRoot[cpu] in Enter: until Enter has run, both
	// count, so no shootdown or mm drop misses the CPU.
	prevRoot [arch.MaxCPUs]atomic.Uint64
	wallBase int64
)

// machineTLB implements mm.TLB with invlpg here and IPIs elsewhere.
type machineTLB struct{}

func cpusWith(root uint64) uint64 {
	var mask uint64
	for cpu := 0; cpu < arch.NumCPU(); cpu++ {
		if loadedRoot[cpu].Load() == root || prevRoot[cpu].Load() == root {
			mask |= 1 << cpu
		}
	}
	return mask
}

func (machineTLB) FlushPage(m *mm.MM, va uint64) {
	root := m.Root()
	if arch.ReadCR3() == root {
		arch.Invlpg(va)
	}
	if others := cpusWith(root) &^ (1 << arch.CurrentCPU()); others != 0 {
		arch.FlushTLBOthers(others, root, false)
	}
}

func (machineTLB) FlushAll(m *mm.MM) {
	root := m.Root()
	if arch.ReadCR3() == root {
		arch.LoadCR3(arch.KernelCR3())
		arch.LoadCR3(root)
	}
	if others := cpusWith(root) &^ (1 << arch.CurrentCPU()); others != 0 {
		arch.FlushTLBOthers(others, root, false)
	}
}

// dropMM makes every CPU leave m's page table before it is freed.
func dropMM(m *mm.MM) {
	root := m.Root()
	if arch.ReadCR3() == root {
		arch.LoadCR3(arch.KernelCR3())
	}
	mask := cpusWith(root)
	for cpu := range loadedRoot {
		loadedRoot[cpu].CompareAndSwap(root, arch.KernelCR3())
		prevRoot[cpu].CompareAndSwap(root, arch.KernelCR3())
	}
	if others := mask &^ (1 << arch.CurrentCPU()); others != 0 {
		arch.FlushTLBOthers(others, root, true)
	}
}

func startProcesses() error {
	var ranges []mm.Range
	for _, r := range boot.Memory.Free {
		ranges = append(ranges, mm.Range{Start: r.Start, End: r.End})
	}
	frames = mm.NewFrameAllocator(mm.IdentityMemory{}, ranges)
	console = tty.New(func(b []byte) { consoleWrite(b) })
	// CLOCK_REALTIME starts from the battery-backed CMOS clock (UTC, as
	// QEMU and most PCs keep it); without one it starts at the epoch.
	if now, err := (&rtc.RTC{}).Now(); err == nil {
		wallBase = now.UnixNano() - monotonic()
	}
	hrtimerVector = uint64(boot.EnablePITIRQ(arch.VecIRQBase))
	edx := arch.CPUID1EDX()
	kern = proc.NewKernel(proc.Config{
		Frames:     frames,
		KernelRoot: arch.KernelCR3(),
		TLB:        machineTLB{},
		NCPU:       arch.NumCPU(),
		Clock:      monotonic,
		Wall:       func() int64 { return wallBase + monotonic() },
		Random:     func(b []byte) { rand.Read(b) },
		Console:    console,
		Images:     loadImages(),
		HWCap:      uint64(edx),
		Resched:    resched,
		Log:        klog,
		DropMM:     dropMM,
		ArmTimer:   armTimer,
		VDSO:       vdsoImage,
		VVar:       vvarPage(),
	})
	console.Signal = signalForeground
	kern.VFS = vfs.New(vfs.Config{Images: kern.Images, Console: console, Now: kern.Wall, Frames: frames}) // ipc/vfs engineer: the namespace for open(2)
	mountProc()
	for cpu := 0; cpu < arch.NumCPU(); cpu++ {
		loadedRoot[cpu].Store(arch.KernelCR3())
		go cpuLoop(cpu)
	}
	// PID 1: /bin/init, started like Linux's kernel_init: a kernel thread
	// that execs the first user program.
	init, err := kern.SpawnInit("/bin/init")
	if err != nil {
		return fmt.Errorf("cannot start /bin/init: %v", err)
	}
	_ = init
	// The shell: a kernel thread (no mm) whose children are the programs
	// it runs, like kthreadd.
	kshell, err = kern.NewKernelThread("kshell")
	return err
}

// The kernel log (dmesg): messages about tasks go here rather than onto
// the console, where they would mix with the programs' output.
var (
	dmesgMu sync.Mutex
	dmesg   []string
)

const dmesgMax = 512

func klog(format string, args ...any) {
	line := fmt.Sprintf("[%10.6f] ", float64(monotonic())/1e9) + fmt.Sprintf(format, args...)
	dmesgMu.Lock()
	if len(dmesg) == dmesgMax {
		dmesg = dmesg[1:]
	}
	dmesg = append(dmesg, line)
	dmesgMu.Unlock()
}

// bootNano is the runtime clock's reading at start-up: CLOCK_MONOTONIC's zero.
var bootNano = boot.Nanotime()

// monotonic is CLOCK_MONOTONIC: ns since the kernel started, from the same
// formula the vDSO computes in user mode (vvarPage).
func monotonic() int64 { return boot.Nanotime() - bootNano }

// vvarPage is the vDSO's data (user/vdso/vdso.c struct vvar): the clock's
// factors, CLOCK_MONOTONIC's zero and CLOCK_REALTIME's offset from it.
func vvarPage() []byte {
	mult, offset := boot.ClockScale()
	b := make([]byte, 32)
	binary.LittleEndian.PutUint64(b[0:], math.Float64bits(mult))
	binary.LittleEndian.PutUint64(b[8:], uint64(offset))
	binary.LittleEndian.PutUint64(b[16:], uint64(bootNano))
	binary.LittleEndian.PutUint64(b[24:], uint64(wallBase))
	return b
}

// hrtimerVector is the PIT's one-shot interrupt (boot.EnablePITIRQ): the
// earliest sleeper is due.
var hrtimerVector uint64

// pitFires is when the PIT's next interrupt comes (CLOCK_MONOTONIC ns).
// The caller (proc's timer queue, under its lock) serializes armTimer.
var pitFires int64

// armTimer makes the PIT interrupt by when, unless it already will.
func armTimer(when int64) {
	if hrtimerVector == 0 {
		return
	}
	now := monotonic()
	if pitFires > now && pitFires <= when {
		return
	}
	d := max(when-now, 1000)
	boot.PITOneShot(d)
	pitFires = now + min(d, 54*int64(time.Millisecond))
}

// resched asks CPU cpu to run its scheduler: a reschedule IPI wakes it from
// halt or brings it out of ring 3.
func resched(cpu int) {
	if cpu != arch.CurrentCPU() {
		arch.SendIPI(cpu, arch.VecReschedule)
	}
}

// cpuLoop is one of the per-CPU kernel loops (DESIGN decision 3). Each
// iteration serves the runqueue of the CPU the goroutine is on: pick the
// task, enter it in ring 3, handle its trap.
func cpuLoop(cpu int) {
	voluntary := false
	for {
		// Loop cpu alone serves CPU cpu's runqueue, so the scheduler sees
		// one __schedule caller per CPU. Goroutines can move between CPUs:
		// when this one is elsewhere, it yields until Go brings it back
		// (an idle CPU takes it from the global run queue).
		if arch.CurrentCPU() != cpu {
			// Wake the home CPU if it halted: its Go scheduler then takes
			// this goroutine from the global run queue.
			arch.SendIPI(cpu, arch.VecWakeup)
			runtime.Gosched()
			continue
		}
		st := kern.Sched.Schedule(cpu, voluntary)
		voluntary = false
		t := proc.TaskOf(st)
		if t == nil || t.Flags&proc.PF_IDLE != 0 {
			// Idle: halt right here until an interrupt (the tick, or a
			// reschedule IPI from a wake-up).
			kern.RunTimers(monotonic())
			ticks := arch.Ticks(cpu)
			arch.IdleUnless(func() bool { return kern.Sched.NeedResched(cpu) })
			if arch.Ticks(cpu) != ticks {
				// A tick: the load average may be due (scheduler_tick
				// only runs for ticks that interrupt a task), and the
				// other goroutines of this CPU may run.
				kern.Sched.CalcGlobalLoad()
				runtime.Gosched()
			}
			continue
		}
		voluntary = runTask(cpu, t)
		// Let the shell and other goroutines run: nothing else preempts a
		// loop. (Skipping this when a task just blocked saves 10% of a
		// context switch under icount with one CPU, but with two CPUs it
		// makes cross-CPU wake-ups ten times slower: keep it.) goyield,
		// unlike Gosched, keeps the loop on this CPU's run queue rather
		// than the global one, where another CPU could take it.
		goyield()
	}
}

// tickNs is one timer tick (1/HZ).
const tickNs = int64(time.Second / arch.HZ)

// trapHandled stands for a trap runTask has already handled.
const trapHandled = ^uint64(0)

// runTask runs t on cpu until it must give the CPU up: it blocks or exits
// (a voluntary switch: true), is preempted by the tick, or the goroutine
// moved to another CPU.
func runTask(cpu int, t *proc.Task) (voluntary bool) {
	if !t.Claim() {
		return false // another loop is still handling its last trap
	}
	// Ticks the CPU takes in ring 0 while t is its current task are t's
	// system time, as Linux's tick accounting charges them.
	k0 := arch.Ticks(cpu)
	voluntary = runClaimed(cpu, t)
	sys := int64(arch.Ticks(cpu)-k0) * tickNs
	t.Stime += sys
	kern.AccountSystem(cpu, sys)
	t.Unclaim()
	return voluntary
}

// runClaimed is runTask's loop, for a task this loop has claimed.
func runClaimed(cpu int, t *proc.Task) (voluntary bool) {
	for {
		if !kern.PrepareToRun(t) {
			kern.Deactivate(t)
			return true
		}
		root := t.MM.Root()
		old := loadedRoot[cpu].Load()
		if old != root {
			prevRoot[cpu].Store(old)
			loadedRoot[cpu].Store(root)
		}
		trap := arch.Enter(&t.Regs, uint64(cpu), root)
		if old != root {
			if trap == arch.TrapMoved {
				// Enter did not touch CR3: the CPU still has the old table.
				loadedRoot[cpu].CompareAndSwap(root, old)
				prevRoot[cpu].Store(0)
				return false
			}
			prevRoot[cpu].Store(0) // CR3 now holds root
		}
		// The system-call fast path: a call that leaves no work for the way
		// out (no signal, sleep, exit or restart) goes straight back to
		// ring 3, as Linux's syscall_exit_to_user_mode does. (execve
		// never takes it: the new page table is loaded on the way back.)
		for trap == arch.TrapSyscall {
			if !kern.HandleSyscall(t) {
				trap = trapHandled
				break
			}
			if kern.Sched.NeedResched(cpu) {
				return false
			}
			trap = arch.Enter(&t.Regs, uint64(cpu), root)
		}
		switch {
		case trap == trapHandled:
		case trap == arch.TrapMoved:
			return false // CR3 and loadedRoot already hold root
		case trap == arch.VecLocalTimer:
			// Tick-based CPU time accounting, as Linux does without
			// VIRT_CPU_ACCOUNTING: the tick found the task in user mode.
			t.Utime += tickNs
			kern.AccountUser(cpu, t, tickNs)
			kern.RunTimers(monotonic())
			kern.Sched.Tick(cpu)
			// Back to the loop: it lets other goroutines run, then
			// schedules (the tick may have asked for preemption).
			return false
		case trap == hrtimerVector && trap >= arch.VecIRQBase:
			kern.RunTimers(monotonic())
		case trap >= arch.VecIRQBase && trap < 256:
			arch.WakeVector(trap)
		default:
			kern.HandleTrap(t, trap)
		}
		if t.Exited() {
			return true
		}
		if t.Sleeping() {
			kern.Deactivate(t)
			return true
		}
		if kern.Sched.NeedResched(cpu) {
			return false
		}
	}
}

// goyield is the runtime's Gosched to the local run queue.
//
//go:linkname goyield runtime.goyield
func goyield()

// signalForeground delivers ^C/^\ from the console to the foreground job.
func signalForeground(sig int) {
	if foreground.Load() != nil {
		kern.KillPgrp(kern.ForegroundPgrp(), proc.SigInfo{Signo: int32(sig), Code: proc.SI_KERNEL})
	}
}

var foreground atomic.Pointer[proc.Task]
