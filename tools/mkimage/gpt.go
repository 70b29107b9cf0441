package main

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"unicode/utf16"
)

const (
	gptEntries   = 128
	gptEntrySize = 128
	gptEntryLBAs = gptEntries * gptEntrySize / sector // 32
	espLBA       = 2048
)

// espType is the EFI System Partition type GUID C12A7328-F81F-11D2-BA4B-00A0C93EC93B.
var espType = guid("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")

// guid encodes a GUID string in the mixed-endian on-disk form.
func guid(s string) [16]byte {
	var b [16]byte
	var hex []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '-' {
			hex = append(hex, s[i])
		}
	}
	val := func(c byte) byte {
		switch {
		case c >= '0' && c <= '9':
			return c - '0'
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10
		default:
			return c - 'A' + 10
		}
	}
	var raw [16]byte
	for i := range raw {
		raw[i] = val(hex[2*i])<<4 | val(hex[2*i+1])
	}
	// first three fields little-endian
	b[0], b[1], b[2], b[3] = raw[3], raw[2], raw[1], raw[0]
	b[4], b[5] = raw[5], raw[4]
	b[6], b[7] = raw[7], raw[6]
	copy(b[8:], raw[8:])
	return b
}

// randomGUID derives a version-4-shaped GUID from seed (reproducible images).
func randomGUID(seed []byte, salt string) [16]byte {
	h := sha256.Sum256(append([]byte(salt), seed...))
	var g [16]byte
	copy(g[:], h[:16])
	g[7] = g[7]&0x0f | 0x40 // version 4 (byte 7 is the high byte of field 3)
	g[8] = g[8]&0x3f | 0x80 // variant
	return g
}

// BuildGPT wraps a FAT file system image in a GPT disk as its only
// partition, the EFI System Partition (from LBA 2048), with a protective
// MBR and the backup header at the end of the disk.
func BuildGPT(esp []byte) ([]byte, error) {
	if len(esp) == 0 || len(esp)%sector != 0 {
		return nil, errors.New("ESP image is empty or not whole sectors")
	}
	espSectors := uint64(len(esp) / sector)
	last := espLBA + espSectors - 1
	// backup entries and header after the partition, disk rounded to 1 MiB
	total := last + 1 + gptEntryLBAs + 1
	total = (total*sector + 1<<20 - 1) &^ (1<<20 - 1) / sector
	img := make([]byte, total*sector)
	copy(img[espLBA*sector:], esp)

	seed := esp[:min(len(esp), 1<<20)]
	// partition entries
	entries := make([]byte, gptEntries*gptEntrySize)
	e := entries[:gptEntrySize]
	copy(e[0:], espType[:])
	pg := randomGUID(seed, "part")
	copy(e[16:], pg[:])
	le := binary.LittleEndian
	le.PutUint64(e[32:], espLBA)
	le.PutUint64(e[40:], last)
	for i, c := range utf16.Encode([]rune("EFI system partition")) {
		le.PutUint16(e[56+2*i:], c)
	}
	entCRC := crc32.ChecksumIEEE(entries)

	firstUsable := uint64(2 + gptEntryLBAs)
	lastUsable := total - 2 - gptEntryLBAs
	disk := randomGUID(seed, "disk")
	header := func(my, alt, entLBA uint64) []byte {
		h := make([]byte, sector)
		copy(h, "EFI PART")
		le.PutUint32(h[8:], 0x00010000)
		le.PutUint32(h[12:], 92)
		le.PutUint64(h[24:], my)
		le.PutUint64(h[32:], alt)
		le.PutUint64(h[40:], firstUsable)
		le.PutUint64(h[48:], lastUsable)
		copy(h[56:], disk[:])
		le.PutUint64(h[72:], entLBA)
		le.PutUint32(h[80:], gptEntries)
		le.PutUint32(h[84:], gptEntrySize)
		le.PutUint32(h[88:], entCRC)
		le.PutUint32(h[16:], crc32.ChecksumIEEE(h[:92]))
		return h
	}
	copy(img[1*sector:], header(1, total-1, 2))
	copy(img[2*sector:], entries)
	copy(img[(total-1-gptEntryLBAs)*sector:], entries)
	copy(img[(total-1)*sector:], header(total-1, 1, total-1-gptEntryLBAs))

	// protective MBR
	partEntry(img[0x1be:], 0, 0xee, 1, min(total-1, 0xffffffff))
	img[0x1be+1], img[0x1be+2], img[0x1be+3] = 0, 2, 0 // CHS of LBA 1
	img[510], img[511] = 0x55, 0xaa
	return img, nil
}
