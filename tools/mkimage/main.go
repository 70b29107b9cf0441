// Command mkimage lays out tamix's bootable disk images (see docs/boot.md).
//
//	mkimage bios -loader build/bios.bin -kernel build/tamix -o tamix.img
//	mkimage gpt -esp build/esp.fat -o tamix-efi.img
//	mkimage check -kernel build/tamix -max-end 0x20000000
//
// bios writes the legacy BIOS image: the loader of boot/bios (MBR and second
// stage) with its segment table filled in, then the kernel's PT_LOAD
// segments. gpt wraps a FAT image (the EFI System Partition) in a GPT disk.
// check verifies that the kernel's segments end below max-end (the end of
// the RAM the kernel reserves for itself). All fail with a message saying
// why when the kernel does not fit.
package main

import (
	"debug/elf"
	"flag"
	"fmt"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	loader := fs.String("loader", "", "BIOS loader binary (MBR + second stage)")
	kernel := fs.String("kernel", "", "kernel ELF")
	esp := fs.String("esp", "", "FAT image of the EFI System Partition")
	out := fs.String("o", "", "output image")
	maxEnd := fs.String("max-end", "0x20000000", "highest physical address the kernel may occupy (check)")
	fs.Parse(os.Args[2:])

	var img []byte
	var err error
	switch os.Args[1] {
	case "bios":
		var ld []byte
		var k *Kernel
		if ld, err = os.ReadFile(*loader); err == nil {
			if k, err = readKernelFile(*kernel); err == nil {
				img, err = BuildBIOS(ld, k)
			}
		}
	case "gpt":
		var fat []byte
		if fat, err = os.ReadFile(*esp); err == nil {
			img, err = BuildGPT(fat)
		}
	case "check":
		var k *Kernel
		var limit uint64
		if limit, err = strconv.ParseUint(*maxEnd, 0, 64); err == nil {
			if k, err = readKernelFile(*kernel); err == nil {
				err = Check(k, limit)
			}
		}
		if err == nil {
			return
		}
	default:
		usage()
	}
	if err == nil && *out == "" {
		err = fmt.Errorf("no output file (-o)")
	}
	if err == nil {
		err = os.WriteFile(*out, img, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "mkimage %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: mkimage bios -loader FILE -kernel ELF -o IMG | gpt -esp FAT -o IMG | check -kernel ELF [-max-end ADDR]")
	os.Exit(2)
}

func readKernelFile(path string) (*Kernel, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	k, err := ReadKernel(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// Check fails when the kernel's segments reach beyond limit.
func Check(k *Kernel, limit uint64) error {
	if end := k.End(); end > limit {
		return fmt.Errorf("kernel does not fit: it occupies memory up to %#x, beyond %#x (Go RAM, boot/board.go); the loaders would overwrite what the kernel reserves after it", end, limit)
	}
	return nil
}
