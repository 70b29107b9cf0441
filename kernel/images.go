//go:build tamago

package main

import (
	"embed"
	"io/fs"
	"path"
)

// The user programs: built by the Makefile into initramfs/bin (plus
// EXTRA_BIN) and embedded in the kernel image.
//
//go:embed initramfs/bin
var initramfs embed.FS

// vdsoImage is the vDSO (user/vdso), built by the Makefile.
//
//go:embed initramfs/vdso.so
var vdsoImage []byte

// loadImages returns every embedded program by path ("/bin/hello").
func loadImages() map[string][]byte {
	images := map[string][]byte{}
	entries, _ := fs.ReadDir(initramfs, "initramfs/bin")
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := initramfs.ReadFile(path.Join("initramfs/bin", e.Name()))
		if err == nil {
			images["/bin/"+e.Name()] = b
		}
	}
	return images
}
