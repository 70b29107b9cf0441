//go:build tamago

package main

import (
	"encoding/binary"
	"strings"

	arch "tamix/arch/amd64"
	"tamix/boot"
	"tamix/procfs"
)

// mountProc mounts /proc: the processes and the machine as Linux's procfs
// shows them, rendered at each read.
func mountProc() {
	cpu := cpuInfo()
	cpus := make([]procfs.CPU, arch.NumCPU())
	for i := range cpus {
		cpus[i] = cpu
		cpus[i].APICID = i
	}
	procfs.Mount(kern.VFS, kern, procfs.Config{
		CPUs:    cpus,
		Version: "Linux version 6.1.0-tamix (tamix " + version + ") #1 SMP tamix",
	})
}

// Feature names of CPUID.1:EDX, CPUID.1:ECX and CPUID.80000001h:EDX, in
// the order /proc/cpuinfo lists them (arch/x86/include/asm/cpufeatures.h).
var (
	edx1Flags = map[int]string{0: "fpu", 1: "vme", 2: "de", 3: "pse", 4: "tsc", 5: "msr", 6: "pae", 7: "mce",
		8: "cx8", 9: "apic", 11: "sep", 12: "mtrr", 13: "pge", 14: "mca", 15: "cmov", 16: "pat", 17: "pse36",
		19: "clflush", 23: "mmx", 24: "fxsr", 25: "sse", 26: "sse2", 28: "ht"}
	extFlags  = map[int]string{11: "syscall", 20: "nx", 27: "rdtscp", 29: "lm"}
	ecx1Flags = map[int]string{0: "pni", 1: "pclmulqdq", 9: "ssse3", 12: "fma", 13: "cx16", 19: "sse4_1",
		20: "sse4_2", 21: "x2apic", 22: "movbe", 23: "popcnt", 25: "aes", 26: "xsave", 28: "avx",
		29: "f16c", 30: "rdrand", 31: "hypervisor"}
)

func flagNames(reg uint32, names map[int]string) []string {
	var out []string
	for bit := 0; bit < 32; bit++ {
		if n, ok := names[bit]; ok && reg&(1<<bit) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// cpuInfo reads this CPU's identification with CPUID (as identify_cpu).
func cpuInfo() procfs.CPU {
	var c procfs.CPU
	maxLeaf, b, cx, d := arch.CPUID(0, 0)
	var vendor [12]byte
	binary.LittleEndian.PutUint32(vendor[0:], b)
	binary.LittleEndian.PutUint32(vendor[4:], d)
	binary.LittleEndian.PutUint32(vendor[8:], cx)
	c.VendorID = strings.TrimRight(string(vendor[:]), "\x00")
	var ecx1, edx1 uint32
	if maxLeaf >= 1 {
		var eax uint32
		eax, _, ecx1, edx1 = arch.CPUID(1, 0)
		c.Family = int(eax>>8) & 0xf
		c.Model = int(eax>>4) & 0xf
		c.Stepping = int(eax) & 0xf
		if c.Family == 0xf {
			c.Family += int(eax>>20) & 0xff
		}
		if c.Family >= 6 {
			c.Model += int(eax>>16) & 0xf << 4
		}
	}
	maxExt, _, _, _ := arch.CPUID(0x80000000, 0)
	var edxExt uint32
	if maxExt >= 0x80000001 {
		_, _, _, edxExt = arch.CPUID(0x80000001, 0)
	}
	if maxExt >= 0x80000004 {
		var brand [48]byte
		for i := uint32(0); i < 3; i++ {
			a, b, cc, dd := arch.CPUID(0x80000002+i, 0)
			for j, r := range []uint32{a, b, cc, dd} {
				binary.LittleEndian.PutUint32(brand[16*i+4*uint32(j):], r)
			}
		}
		c.ModelName = strings.TrimSpace(strings.TrimRight(string(brand[:]), "\x00"))
	}
	if maxExt >= 0x80000006 {
		_, _, l2, _ := arch.CPUID(0x80000006, 0)
		c.CacheKB = int(l2 >> 16)
	}
	c.MHz = float64(boot.TSCHz) / 1e6
	c.Flags = append(flagNames(edx1, edx1Flags), flagNames(edxExt, extFlags)...)
	c.Flags = append(c.Flags, flagNames(ecx1, ecx1Flags)...)
	return c
}
