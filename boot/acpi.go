package boot

import (
	"bytes"
	"encoding/binary"
	"errors"
)

// PhysReader returns n bytes of physical memory at pa (nil if out of range).
type PhysReader func(pa uint64, n int) []byte

// ACPI holds what tamix uses from the firmware's ACPI tables.
type ACPI struct {
	RSDP         uint64
	OEM          string
	PM1aCnt      uint16 // PM1a control block (I/O port): SLP_TYP|SLP_EN powers off
	PM1bCnt      uint16
	SlpTypS5a    uint16 // SLP_TYPa / SLP_TYPb of the \_S5 package in the DSDT
	SlpTypS5b    uint16
	HaveS5       bool
	ResetPort    uint16 // FADT RESET_REG when it is in I/O space
	ResetValue   uint8
	LAPICs       []uint8 // APIC IDs of enabled processors (MADT)
	IOAPICs      []IOAPICInfo
	IRQOverrides map[uint8]uint32 // ISA IRQ -> GSI (MADT interrupt source overrides)
}

// IOAPICInfo is a MADT I/O APIC entry.
type IOAPICInfo struct {
	ID      uint8
	Addr    uint32
	GSIBase uint32
}

var errNoACPI = errors.New("no ACPI tables")

// FindRSDP scans the BIOS read-only area for the "RSD PTR " signature on a
// 16-byte boundary with a valid checksum (ACPI 5.2.5.1).
func FindRSDP(read PhysReader) uint64 {
	area := read(0xe0000, 0x20000)
	for off := 0; off+20 <= len(area); off += 16 {
		if string(area[off:off+8]) == "RSD PTR " && checksum(area[off:off+20]) {
			return 0xe0000 + uint64(off)
		}
	}
	return 0
}

func checksum(b []byte) bool {
	var s byte
	for _, c := range b {
		s += c
	}
	return s == 0
}

// ParseACPI reads the RSDP at rsdp and the tables it points to.
func ParseACPI(read PhysReader, rsdp uint64) (*ACPI, error) {
	r := read(rsdp, 36)
	if len(r) < 20 || string(r[:8]) != "RSD PTR " || !checksum(r[:20]) {
		return nil, errNoACPI
	}
	a := &ACPI{RSDP: rsdp, OEM: string(bytes.TrimRight(r[9:15], " \x00")), IRQOverrides: map[uint8]uint32{}}
	le := binary.LittleEndian
	var tables []uint64
	if r[15] >= 2 && len(r) >= 36 && le.Uint64(r[24:]) != 0 {
		tables = entries(read, le.Uint64(r[24:]), 8) // XSDT
	} else {
		tables = entries(read, uint64(le.Uint32(r[16:])), 4) // RSDT
	}
	for _, t := range tables {
		h := table(read, t)
		if h == nil {
			continue
		}
		switch string(h[:4]) {
		case "FACP":
			a.parseFADT(read, h)
		case "APIC":
			a.parseMADT(h)
		}
	}
	return a, nil
}

// table returns the whole ACPI table at pa, or nil if its header is bad.
func table(read PhysReader, pa uint64) []byte {
	h := read(pa, 36)
	if len(h) < 36 {
		return nil
	}
	n := binary.LittleEndian.Uint32(h[4:])
	if n < 36 || n > 1<<20 {
		return nil
	}
	t := read(pa, int(n))
	if len(t) != int(n) || !checksum(t) {
		return nil
	}
	return t
}

func entries(read PhysReader, pa uint64, size int) []uint64 {
	t := table(read, pa)
	if t == nil {
		return nil
	}
	var out []uint64
	for off := 36; off+size <= len(t); off += size {
		if size == 8 {
			out = append(out, binary.LittleEndian.Uint64(t[off:]))
		} else {
			out = append(out, uint64(binary.LittleEndian.Uint32(t[off:])))
		}
	}
	return out
}

func (a *ACPI) parseFADT(read PhysReader, f []byte) {
	le := binary.LittleEndian
	if len(f) >= 72 {
		a.PM1aCnt = uint16(le.Uint32(f[64:]))
		a.PM1bCnt = uint16(le.Uint32(f[68:]))
	}
	// RESET_REG is a Generic Address Structure; space 1 is system I/O.
	if len(f) >= 129 && le.Uint32(f[112:])&(1<<10) != 0 && f[116] == 1 {
		a.ResetPort = uint16(le.Uint64(f[120:]))
		a.ResetValue = f[128]
	}
	dsdt := uint64(0)
	if len(f) >= 44 {
		dsdt = uint64(le.Uint32(f[40:]))
	}
	if len(f) >= 148 && le.Uint64(f[140:]) != 0 {
		dsdt = le.Uint64(f[140:])
	}
	if d := table(read, dsdt); d != nil {
		a.SlpTypS5a, a.SlpTypS5b, a.HaveS5 = findS5(d[36:])
	}
}

// findS5 finds the \_S5 object in DSDT AML: NameOp "_S5_" PackageOp PkgLength
// NumElements, then SLP_TYPa and SLP_TYPb as integer constants.
func findS5(aml []byte) (a, b uint16, ok bool) {
	i := bytes.Index(aml, []byte("_S5_"))
	if i < 0 || i+5 >= len(aml) || aml[i+4] != 0x12 {
		return 0, 0, false
	}
	p := i + 5
	p += 1 + int(aml[p]>>6) // PkgLength: bits 6-7 count the extra length bytes
	p++                     // NumElements
	var vals [2]uint16
	for k := range vals {
		if p >= len(aml) {
			return 0, 0, false
		}
		switch aml[p] {
		case 0x00, 0x01: // ZeroOp, OneOp
			vals[k] = uint16(aml[p])
			p++
		case 0x0a: // BytePrefix
			if p+1 >= len(aml) {
				return 0, 0, false
			}
			vals[k] = uint16(aml[p+1])
			p += 2
		default:
			return 0, 0, false
		}
	}
	return vals[0], vals[1], true
}

func (a *ACPI) parseMADT(m []byte) {
	le := binary.LittleEndian
	for off := 44; off+2 <= len(m); {
		typ, n := m[off], int(m[off+1])
		if n < 2 || off+n > len(m) {
			return
		}
		e := m[off : off+n]
		switch {
		case typ == 0 && n >= 8: // processor local APIC
			if le.Uint32(e[4:])&1 != 0 {
				a.LAPICs = append(a.LAPICs, e[3])
			}
		case typ == 1 && n >= 12: // I/O APIC
			a.IOAPICs = append(a.IOAPICs, IOAPICInfo{ID: e[2], Addr: le.Uint32(e[4:]), GSIBase: le.Uint32(e[8:])})
		case typ == 2 && n >= 10: // interrupt source override
			a.IRQOverrides[e[3]] = le.Uint32(e[4:])
		}
		off += n
	}
}
