package boot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// E820 memory types, as the firmware reports them (PVH hvm_memmap_table_entry
// uses the same numbers).
const (
	E820RAM      = 1
	E820Reserved = 2
	E820ACPI     = 3
	E820NVS      = 4
	E820Unusable = 5
)

// E820Entry is one range of the firmware's memory map.
type E820Entry struct {
	Addr, Size uint64
	Type       uint32
}

// Range is a half-open physical address range [Start, End).
type Range struct{ Start, End uint64 }

// Size returns the number of bytes in r.
func (r Range) Size() uint64 { return r.End - r.Start }

// Layout says what each part of physical memory is for.
type Layout struct {
	Firmware []E820Entry // the map as the firmware gave it
	RAM      uint64      // bytes of usable RAM the firmware reported
	GoRAM    Range       // the Go runtime's heap, stacks and the kernel image
	DMA      Range       // TamaGo's dma region for device buffers
	Free     []Range     // page frames for the frame allocator
	Ignored  uint64      // RAM the kernel cannot map (above MapLimit)
}

// PVH start_info (xen/include/public/arch-x86/hvm/start_info.h).
const (
	pvhMagic         = 0x336ec578
	pvhInfoSize      = 56
	pvhMemmapEntSize = 24
)

// PVHInfo is the part of struct hvm_start_info that tamix reads.
type PVHInfo struct {
	Version  uint32
	Cmdline  uint64 // physical address of a NUL-terminated string, or 0
	RSDP     uint64 // physical address of the ACPI RSDP, or 0
	Memmap   uint64
	MemmapNr uint32
}

// ErrNoPVH means the loader left no valid hvm_start_info.
var ErrNoPVH = errors.New("no PVH start_info")

// ParsePVHInfo decodes struct hvm_start_info from its first bytes.
func ParsePVHInfo(b []byte) (PVHInfo, error) {
	if len(b) < pvhInfoSize || binary.LittleEndian.Uint32(b[0:]) != pvhMagic {
		return PVHInfo{}, ErrNoPVH
	}
	le := binary.LittleEndian
	info := PVHInfo{
		Version: le.Uint32(b[4:]),
		Cmdline: le.Uint64(b[24:]),
		RSDP:    le.Uint64(b[32:]),
	}
	if info.Version >= 1 { // the memory map fields came with version 1
		info.Memmap = le.Uint64(b[40:])
		info.MemmapNr = le.Uint32(b[48:])
	}
	return info, nil
}

// ParseMemmap decodes n hvm_memmap_table_entry records.
func ParseMemmap(b []byte, n int) ([]E820Entry, error) {
	if n < 0 || len(b) < n*pvhMemmapEntSize {
		return nil, fmt.Errorf("memory map: %d entries do not fit in %d bytes", n, len(b))
	}
	le := binary.LittleEndian
	m := make([]E820Entry, n)
	for i := range m {
		e := b[i*pvhMemmapEntSize:]
		m[i] = E820Entry{Addr: le.Uint64(e), Size: le.Uint64(e[8:]), Type: le.Uint32(e[16:])}
	}
	return m, nil
}

// PlanMemory decides the physical memory layout from the firmware map: Go RAM
// and the DMA region are fixed by the link address and must lie in RAM; every
// other page of RAM above them and below mapLimit (what the boot page tables
// map as cacheable) goes to the frame allocator. RAM below Go RAM is not used:
// user address spaces reuse those virtual addresses (see DESIGN decision 4).
func PlanMemory(fw []E820Entry, goRAM Range, dmaSize, mapLimit uint64) (Layout, error) {
	l := Layout{Firmware: fw, GoRAM: goRAM}
	ram := usableRAM(fw)
	for _, r := range ram {
		l.RAM += r.Size()
	}
	l.DMA = Range{goRAM.End, goRAM.End + dmaSize}
	need := Range{goRAM.Start, l.DMA.End}
	if !covered(ram, need) {
		return l, fmt.Errorf("RAM %#x-%#x (Go RAM and DMA) is not in the firmware memory map: need at least %d MiB of RAM",
			need.Start, need.End, (need.End+1<<20-1)>>20)
	}
	for _, r := range ram {
		if r.Start < need.End {
			r.Start = need.End
		}
		if r.End > mapLimit {
			if r.Start < mapLimit {
				l.Ignored += r.End - mapLimit
			} else {
				l.Ignored += r.Size()
			}
			r.End = mapLimit
		}
		if r.End > r.Start {
			l.Free = append(l.Free, r)
		}
	}
	return l, nil
}

// usableRAM returns the page-aligned RAM ranges of fw, sorted and merged,
// with every non-RAM range carved out (firmware maps may overlap).
func usableRAM(fw []E820Entry) []Range {
	var ram, holes []Range
	for _, e := range fw {
		if e.Size == 0 || e.Addr+e.Size < e.Addr {
			continue
		}
		r := Range{e.Addr, e.Addr + e.Size}
		if e.Type == E820RAM {
			ram = append(ram, Range{(r.Start + 0xfff) &^ 0xfff, r.End &^ 0xfff})
		} else {
			holes = append(holes, r)
		}
	}
	ram = merge(ram)
	for _, h := range holes {
		var out []Range
		for _, r := range ram {
			if h.End <= r.Start || h.Start >= r.End {
				out = append(out, r)
				continue
			}
			if h.Start > r.Start {
				out = append(out, Range{r.Start, h.Start &^ 0xfff})
			}
			if h.End < r.End {
				out = append(out, Range{(h.End + 0xfff) &^ 0xfff, r.End})
			}
		}
		ram = out
	}
	var out []Range
	for _, r := range ram {
		if r.End > r.Start {
			out = append(out, r)
		}
	}
	return out
}

func merge(rs []Range) []Range {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Start < rs[j].Start })
	var out []Range
	for _, r := range rs {
		if r.End <= r.Start {
			continue
		}
		if n := len(out); n > 0 && r.Start <= out[n-1].End {
			if r.End > out[n-1].End {
				out[n-1].End = r.End
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func covered(ram []Range, need Range) bool {
	for _, r := range ram {
		if r.Start <= need.Start && need.End <= r.End {
			return true
		}
	}
	return false
}
