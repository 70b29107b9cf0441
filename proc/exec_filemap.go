package proc

import "tamix/mm"

// imageAS loads an embedded program through its file's page cache
// (mm.MapImageCache): the text of a program is one set of frames for
// every process running it, mapped read-only, as Linux maps an
// executable's page cache.
type imageAS struct {
	stackRlimitAS
	cache *mm.PageCache
}

// MapImage implements binfmt.AddressSpace.
func (a imageAS) MapImage(va, memsz uint64, prot int, file []byte, fileOff, filesz uint64) error {
	return a.MM.MapImageCache(va, memsz, prot, a.cache, fileOff, filesz)
}

// imageCache returns the page cache of the embedded image at path p when
// image is its bytes, nil otherwise (a program read from tmpfs is loaded
// from its copy).
func (k *Kernel) imageCache(p string, image []byte) *mm.PageCache {
	img, ok := k.Images[p]
	if !ok || len(img) == 0 || len(image) == 0 || &img[0] != &image[0] || k.VFS == nil {
		return nil
	}
	ino, err := k.VFS.Lookup(nil, p)
	if err != nil || !ino.IsReg() {
		return nil
	}
	return k.VFS.PageCacheOf(ino)
}
