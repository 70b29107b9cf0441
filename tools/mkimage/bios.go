package main

import (
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	sector = 512
	// kernelLBA is where the kernel's segments start in the BIOS image and
	// where the partition that holds them begins (1 MiB, as partitioning
	// tools align).
	kernelLBA = 2048
	// lowLimit: the BIOS loader, its bounce buffer (0x10000-0x1fdff) and
	// the BIOS itself live below 1 MiB; kernel segments must lie above.
	lowLimit = 1 << 20
	// The loader copies in 32-bit protected mode without paging.
	highLimit = 1 << 32
)

// Segment is one PT_LOAD segment of the kernel.
type Segment struct {
	Paddr uint64
	Data  []byte // the file bytes (filesz)
	Memsz uint64 // >= len(Data); the rest is zeroed
}

// Kernel is what a loader needs from the kernel ELF.
type Kernel struct {
	Entry    uint64 // PVH entry (XEN_ELFNOTE_PHYS32_ENTRY), else e_entry
	Segments []Segment
}

// End returns the highest physical address the kernel occupies.
func (k *Kernel) End() uint64 {
	var end uint64
	for _, s := range k.Segments {
		end = max(end, s.Paddr+s.Memsz)
	}
	return end
}

// ReadKernel extracts the PT_LOAD segments and the PVH entry of an ELF file.
func ReadKernel(f *elf.File) (*Kernel, error) {
	if f.Machine != elf.EM_X86_64 || f.Class != elf.ELFCLASS64 {
		return nil, fmt.Errorf("not an x86-64 ELF64 file (%v, %v)", f.Class, f.Machine)
	}
	k := &Kernel{Entry: f.Entry}
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_LOAD:
			if p.Memsz == 0 {
				continue
			}
			if p.Filesz > p.Memsz {
				return nil, fmt.Errorf("segment at %#x: filesz %#x > memsz %#x", p.Paddr, p.Filesz, p.Memsz)
			}
			data := make([]byte, p.Filesz)
			if _, err := p.ReadAt(data, 0); err != nil {
				return nil, fmt.Errorf("segment at %#x: %w", p.Paddr, err)
			}
			k.Segments = append(k.Segments, Segment{Paddr: p.Paddr, Data: data, Memsz: p.Memsz})
		case elf.PT_NOTE:
			data := make([]byte, p.Filesz)
			if _, err := p.ReadAt(data, 0); err != nil {
				return nil, err
			}
			if e, ok := pvhEntry(data, f.ByteOrder); ok {
				k.Entry = e
			}
		}
	}
	if len(k.Segments) == 0 {
		return nil, errors.New("no PT_LOAD segments")
	}
	return k, nil
}

// pvhEntry finds the Xen note XEN_ELFNOTE_PHYS32_ENTRY (type 18).
func pvhEntry(notes []byte, bo binary.ByteOrder) (uint64, bool) {
	for len(notes) >= 12 {
		nsz, dsz, typ := bo.Uint32(notes), bo.Uint32(notes[4:]), bo.Uint32(notes[8:])
		off := 12 + (int(nsz)+3)&^3
		end := off + (int(dsz)+3)&^3
		if end > len(notes) || off+int(dsz) > len(notes) {
			return 0, false
		}
		name := string(bytes.TrimRight(notes[12:12+nsz], "\x00"))
		if name == "Xen" && typ == 18 {
			d := notes[off : off+int(dsz)]
			switch len(d) {
			case 4:
				return uint64(bo.Uint32(d)), true
			case 8:
				return bo.Uint64(d), true
			}
		}
		notes = notes[end:]
	}
	return 0, false
}

// loaderHeader is the second stage's header (boot/bios/loader.S).
type loaderHeader struct {
	off     int // of the magic in the loader binary
	maxSegs int
}

var loaderMagic = []byte("TAMIXLDR")

func parseLoader(ld []byte) (loaderHeader, error) {
	if len(ld) < 2*sector || len(ld)%sector != 0 {
		return loaderHeader{}, fmt.Errorf("loader: %d bytes is not an MBR plus a second stage in whole sectors", len(ld))
	}
	if ld[510] != 0x55 || ld[511] != 0xaa {
		return loaderHeader{}, errors.New("loader: no 55 aa boot signature")
	}
	for i := 0x1b8; i < 0x1fe; i++ {
		if ld[i] != 0 {
			return loaderHeader{}, errors.New("loader: code overlaps the partition table")
		}
	}
	i := bytes.Index(ld[sector:], loaderMagic)
	if i < 0 {
		return loaderHeader{}, errors.New("loader: no TAMIXLDR header in the second stage")
	}
	h := loaderHeader{off: sector + i}
	le := binary.LittleEndian
	if v := le.Uint32(ld[h.off+8:]); v != 1 {
		return h, fmt.Errorf("loader: header version %d, want 1", v)
	}
	h.maxSegs = int(le.Uint32(ld[h.off+12:]))
	if len(ld[h.off:]) < 24+16*h.maxSegs {
		return h, errors.New("loader: header truncated")
	}
	return h, nil
}

// BuildBIOS lays out the legacy BIOS disk image: the loader (MBR + second
// stage) from LBA 0, the kernel's segments from kernelLBA, each padded to a
// sector, and one active partition (type 0xda, non-filesystem data) that
// covers them, so partitioning tools and BIOSes that want an active
// partition see a sane disk. It fails when the kernel does not fit what the
// loader can load.
func BuildBIOS(ld []byte, k *Kernel) ([]byte, error) {
	h, err := parseLoader(ld)
	if err != nil {
		return nil, err
	}
	if len(ld)/sector > kernelLBA {
		return nil, fmt.Errorf("loader: %d sectors do not fit before LBA %d", len(ld)/sector, kernelLBA)
	}
	if len(k.Segments) > h.maxSegs {
		return nil, fmt.Errorf("kernel does not fit the BIOS loader: %d PT_LOAD segments, the loader's table holds %d (MAX_SEGS in boot/bios/loader.S)",
			len(k.Segments), h.maxSegs)
	}
	if k.Entry < lowLimit || k.Entry >= highLimit {
		return nil, fmt.Errorf("kernel does not fit the BIOS loader: entry %#x is not in [1 MiB, 4 GiB)", k.Entry)
	}
	var total uint64
	for _, s := range k.Segments {
		total += (uint64(len(s.Data)) + sector - 1) / sector
	}
	img := make([]byte, (kernelLBA+total)*sector)
	copy(img, ld)
	le := binary.LittleEndian
	hdr := img[h.off:]
	le.PutUint32(hdr[16:], uint32(k.Entry))
	le.PutUint32(hdr[20:], uint32(len(k.Segments)))
	lba := uint64(kernelLBA)
	for i, s := range k.Segments {
		if s.Paddr < lowLimit || s.Paddr+s.Memsz > highLimit || s.Paddr+s.Memsz < s.Paddr {
			return nil, fmt.Errorf("kernel does not fit the BIOS loader: segment %#x-%#x is not in [1 MiB, 4 GiB), where the loader copies in 32-bit protected mode",
				s.Paddr, s.Paddr+s.Memsz)
		}
		for _, o := range k.Segments[:i] {
			if s.Paddr < o.Paddr+o.Memsz && o.Paddr < s.Paddr+s.Memsz {
				return nil, fmt.Errorf("kernel segments %#x and %#x overlap", o.Paddr, s.Paddr)
			}
		}
		n := (uint64(len(s.Data)) + sector - 1) / sector
		if lba+n > 1<<32 {
			return nil, errors.New("kernel does not fit the BIOS loader: beyond 32-bit LBAs")
		}
		copy(img[lba*sector:], s.Data)
		// The loader copies whole sectors (zero padding included), then
		// zeroes the rest of memsz.
		zero := uint64(0)
		if s.Memsz > n*sector {
			zero = s.Memsz - n*sector
		}
		e := hdr[24+16*i:]
		le.PutUint32(e[0:], uint32(lba))
		le.PutUint32(e[4:], uint32(n))
		le.PutUint32(e[8:], uint32(s.Paddr))
		le.PutUint32(e[12:], uint32(zero))
		lba += n
	}
	// Round the disk up to whole MiB and describe the kernel's area as one
	// active partition.
	size := (uint64(len(img)) + 1<<20 - 1) &^ (1<<20 - 1)
	img = append(img, make([]byte, size-uint64(len(img)))...)
	sum := sha256.Sum256(img[kernelLBA*sector:])
	copy(img[0x1b8:], sum[:4]) // disk signature
	partEntry(img[0x1be:], 0x80, 0xda, kernelLBA, size/sector-kernelLBA)
	return img, nil
}

// partEntry writes an MBR partition entry; CHS fields hold the "use LBA"
// values (1023/254/63).
func partEntry(e []byte, status, typ byte, start, n uint64) {
	e[0] = status
	copy(e[1:4], chs(start))
	e[4] = typ
	copy(e[5:8], chs(start+n-1))
	binary.LittleEndian.PutUint32(e[8:], uint32(start))
	binary.LittleEndian.PutUint32(e[12:], uint32(min(n, 0xffffffff)))
}

// chs converts an LBA to the MBR's cylinder/head/sector bytes for the
// 255-head, 63-sector geometry BIOSes assume, saturating at 1023/254/63.
func chs(lba uint64) []byte {
	const heads, spt = 255, 63
	c, h, s := lba/(heads*spt), (lba/spt)%heads, lba%spt+1
	if c > 1023 {
		c, h, s = 1023, 254, 63
	}
	return []byte{byte(h), byte(s) | byte(c>>8)<<6, byte(c)}
}
