//go:build tamago

package main

import (
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"tamix/boot"
)

var bootTime = time.Now()

func addMachineCommands(sh *shell) {
	sh.add(&command{name: "uname", usage: "uname", help: "print the kernel name, version and machine", run: func(sh *shell, _ []string) int {
		fmt.Fprintf(sh.out, "tamix %s %s x86_64 (Linux x86-64 system call ABI)\n", version, runtime.Version())
		return 0
	}})
	sh.add(&command{name: "uptime", usage: "uptime", help: "time since reset and since the kernel started", run: func(sh *shell, _ []string) int {
		fmt.Fprintf(sh.out, "up %v since reset, %v since the kernel started\n",
			time.Duration(boot.SinceReset()).Round(time.Millisecond), time.Since(bootTime).Round(time.Millisecond))
		return 0
	}})
	sh.add(&command{name: "cpus", usage: "cpus", help: "list the CPUs", run: func(sh *shell, _ []string) int {
		n := runtime.GOMAXPROCS(0)
		fmt.Fprintf(sh.out, "%d CPUs online, TSC %d Hz\n", n, boot.TSCHz)
		if boot.ACPIs != nil {
			fmt.Fprintf(sh.out, "ACPI MADT: local APIC IDs %v\n", boot.ACPIs.LAPICs)
		}
		return 0
	}})
	sh.add(&command{name: "mem", usage: "mem", help: "physical memory layout and kernel heap use", run: func(sh *shell, _ []string) int {
		m := boot.Memory
		fmt.Fprintf(sh.out, "RAM        %6d MiB\n", m.RAM>>20)
		fmt.Fprintf(sh.out, "Go RAM     %#010x-%#010x %4d MiB\n", m.GoRAM.Start, m.GoRAM.End, m.GoRAM.Size()>>20)
		fmt.Fprintf(sh.out, "DMA        %#010x-%#010x %4d MiB\n", m.DMA.Start, m.DMA.End, m.DMA.Size()>>20)
		for _, r := range m.Free {
			fmt.Fprintf(sh.out, "page frames %#010x-%#010x %4d MiB\n", r.Start, r.End, r.Size()>>20)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(sh.out, "Go heap    %d KiB in use, %d KiB from the system, %d GCs\n", ms.HeapInuse>>10, ms.Sys>>10, ms.NumGC)
		fmt.Fprintln(sh.out, "firmware memory map:")
		for _, e := range m.Firmware {
			fmt.Fprintf(sh.out, "  %#012x-%#012x type %d\n", e.Addr, e.Addr+e.Size, e.Type)
		}
		return 0
	}})
	sh.add(&command{name: "poweroff", usage: "poweroff", help: "turn the machine off (ACPI S5)", run: func(sh *shell, _ []string) int {
		fmt.Fprintln(sh.out, "tamix: power off")
		boot.PowerOff()
		return 1
	}})
	sh.add(&command{name: "reboot", usage: "reboot", help: "reset the machine", run: func(sh *shell, _ []string) int {
		fmt.Fprintln(sh.out, "tamix: reboot")
		boot.Reset()
		return 1
	}})
	sh.add(&command{name: "crash", usage: "crash [null|ud2]", help: "fault in ring 0 on purpose: prints an oops and stops the machine", run: func(sh *shell, args []string) int {
		what := "null"
		if len(args) > 1 {
			what = args[1]
		}
		switch what {
		case "null":
			p := (*uint64)(unsafe.Pointer(uintptr(0x8)))
			*p = 0xdead
		default:
			fmt.Fprintf(sh.out, "crash: unknown fault %q\n", what)
			return 2
		}
		return 0
	}})
}
