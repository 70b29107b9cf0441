package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var le = binary.LittleEndian

// fakeLoader is an MBR plus a one-sector second stage whose header holds
// maxSegs segments, shaped like boot/bios/loader.S.
func fakeLoader(maxSegs int) []byte {
	ld := make([]byte, 2*sector)
	ld[0] = 0xeb
	ld[510], ld[511] = 0x55, 0xaa
	h := ld[sector+8:]
	copy(h, "TAMIXLDR")
	le.PutUint32(h[8:], 1)
	le.PutUint32(h[12:], uint32(maxSegs))
	return ld
}

func kernel() *Kernel {
	return &Kernel{Entry: 0x100cf760, Segments: []Segment{
		{Paddr: 0x1000f000, Data: bytes.Repeat([]byte{0xaa}, 1000), Memsz: 1000},
		{Paddr: 0x10432000, Data: bytes.Repeat([]byte{0xbb}, 600), Memsz: 0x10000},
	}}
}

func TestBuildBIOS(t *testing.T) {
	img, err := BuildBIOS(fakeLoader(8), kernel())
	require.NoError(t, err)
	assert.Zero(t, len(img)%(1<<20), "whole MiB")
	h := img[sector+8:]
	assert.Equal(t, uint32(0x100cf760), le.Uint32(h[16:]), "entry")
	assert.Equal(t, uint32(2), le.Uint32(h[20:]), "segments")
	seg := func(i int) [4]uint32 {
		e := h[24+16*i:]
		return [4]uint32{le.Uint32(e), le.Uint32(e[4:]), le.Uint32(e[8:]), le.Uint32(e[12:])}
	}
	assert.Equal(t, [4]uint32{2048, 2, 0x1000f000, 0}, seg(0))
	assert.Equal(t, [4]uint32{2050, 2, 0x10432000, 0x10000 - 1024}, seg(1))
	assert.Equal(t, byte(0xaa), img[2048*sector+999])
	assert.Equal(t, byte(0), img[2048*sector+1000], "padding is zero")
	assert.Equal(t, byte(0xbb), img[2050*sector])

	p := img[0x1be:]
	assert.Equal(t, byte(0x80), p[0], "active")
	assert.Equal(t, byte(0xda), p[4])
	assert.Equal(t, uint32(2048), le.Uint32(p[8:]))
	assert.Equal(t, uint32(len(img)/sector-2048), le.Uint32(p[12:]))
	assert.Equal(t, []byte{0x55, 0xaa}, img[510:512])
}

func TestBuildBIOSDoesNotFit(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  int
		mod  func(k *Kernel)
		want string
	}{
		{"too many segments", 1, func(*Kernel) {}, "2 PT_LOAD segments, the loader's table holds 1"},
		{"below 1 MiB", 8, func(k *Kernel) { k.Segments[0].Paddr = 0x8000 }, "not in [1 MiB, 4 GiB)"},
		{"above 4 GiB", 8, func(k *Kernel) { k.Segments[1].Memsz = 1 << 32 }, "not in [1 MiB, 4 GiB)"},
		{"entry", 8, func(k *Kernel) { k.Entry = 1 << 33 }, "entry"},
		{"overlap", 8, func(k *Kernel) { k.Segments[1].Paddr = 0x1000f100 }, "overlap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k := kernel()
			tc.mod(k)
			_, err := BuildBIOS(fakeLoader(tc.max), k)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestBadLoader(t *testing.T) {
	ld := fakeLoader(8)
	ld[0x1c0] = 1
	_, err := BuildBIOS(ld, kernel())
	assert.ErrorContains(t, err, "partition table")
	ld = fakeLoader(8)
	copy(ld[sector+8:], "XXXXXXXX")
	_, err = BuildBIOS(ld, kernel())
	assert.ErrorContains(t, err, "TAMIXLDR")
	_, err = BuildBIOS(fakeLoader(8)[:700], kernel())
	assert.ErrorContains(t, err, "whole sectors")
}

func TestCheck(t *testing.T) {
	k := kernel()
	assert.NoError(t, Check(k, 0x20000000))
	err := Check(k, 0x10400000)
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "0x10442000"), err.Error())
}

func TestPVHEntry(t *testing.T) {
	var n []byte
	note := func(name string, typ uint32, desc []byte) {
		b := make([]byte, 12)
		le.PutUint32(b, uint32(len(name)+1))
		le.PutUint32(b[4:], uint32(len(desc)))
		le.PutUint32(b[8:], typ)
		b = append(b, name...)
		b = append(b, 0)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		b = append(b, desc...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
		n = append(n, b...)
	}
	note("Go", 4, []byte("buildid-xx"))
	note("Xen", 18, []byte{0x60, 0xf7, 0x0c, 0x10})
	e, ok := pvhEntry(n, le)
	assert.True(t, ok)
	assert.Equal(t, uint64(0x100cf760), e)
	_, ok = pvhEntry(n[:20], le)
	assert.False(t, ok)
}

func TestCHS(t *testing.T) {
	assert.Equal(t, []byte{0, 1, 0}, chs(0))
	assert.Equal(t, []byte{32, 33, 0}, chs(2048)) // the classic 0x20 0x21 0x00
	assert.Equal(t, []byte{254, 0xff, 0xff}, chs(1<<30))
}

func TestBuildGPT(t *testing.T) {
	esp := bytes.Repeat([]byte{0xe5}, 8<<20)
	img, err := BuildGPT(esp)
	require.NoError(t, err)
	total := uint64(len(img) / sector)
	assert.Zero(t, len(img)%(1<<20))
	assert.Equal(t, byte(0xee), img[0x1be+4], "protective MBR")
	assert.Equal(t, []byte{0x55, 0xaa}, img[510:512])

	check := func(lba uint64) []byte {
		h := img[lba*sector : lba*sector+sector]
		require.Equal(t, "EFI PART", string(h[:8]))
		hc := make([]byte, 92)
		copy(hc, h[:92])
		le.PutUint32(hc[16:], 0)
		assert.Equal(t, crc32.ChecksumIEEE(hc), le.Uint32(h[16:]), "header CRC at LBA %d", lba)
		assert.Equal(t, lba, le.Uint64(h[24:]), "my LBA")
		ent := le.Uint64(h[72:])
		entries := img[ent*sector : ent*sector+gptEntries*gptEntrySize]
		assert.Equal(t, crc32.ChecksumIEEE(entries), le.Uint32(h[88:]), "entries CRC")
		return entries
	}
	primary := check(1)
	backup := check(total - 1)
	assert.Equal(t, primary, backup)
	assert.Equal(t, espType[:], primary[:16])
	assert.Equal(t, uint64(espLBA), le.Uint64(primary[32:]))
	assert.Equal(t, uint64(espLBA+len(esp)/sector-1), le.Uint64(primary[40:]))
	assert.Equal(t, esp, img[espLBA*sector:espLBA*sector+len(esp)])
	// the ESP type GUID as it appears on disk
	assert.Equal(t, []byte{0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b}, espType[:])
}
