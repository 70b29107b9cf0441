package mm

import "tamix/errno"

// VMOps are the hooks of a mapping whose owner must know when VMAs
// referring to its object are made and dropped (Linux: vm_operations_struct's
// open and close). Open runs for every new VMA (the first mapping, fork,
// a split, mremap), Close for every VMA that goes (munmap, exec, exit), with
// the MM's lock held: they must not call back into the MM.
type VMOps interface {
	Open(v *VMA)
	Close(v *VMA)
	// Name is what /proc/PID/maps shows for the mapping.
	Name() string
}

// open and close keep a VMA's object references: the shared object's, the
// page cache's (and mm's place in its i_mmap) and, through Ops, its
// owner's. mm is the address space the VMA belongs to.
func (v *VMA) open(mm *MM) {
	if v.shm != nil {
		v.shm.get()
	}
	if v.cache != nil {
		v.cache.mapped(mm, v.Flags)
	}
	if v.Ops != nil {
		v.Ops.Open(v)
	}
}

func (v *VMA) close(mm *MM) {
	if v.Ops != nil {
		v.Ops.Close(v)
	}
	if v.cache != nil {
		v.cache.unmapped(mm, v.Flags)
	}
	if v.shm != nil {
		v.shm.put()
	}
}

// SharedObject is a shared memory object that other kernel code creates
// and maps (Linux: the shmem file behind a SysV segment, from
// shmem_kernel_file_setup). Its frames are allocated on first touch and
// reference-counted like those of a MAP_SHARED|MAP_ANONYMOUS mapping: the
// same object, faulted in by every attach (FaultShared).
type SharedObject struct{ s *shmem }

// NewSharedObject returns an object of npages zero pages, with one
// reference for the caller.
func NewSharedObject(a *FrameAllocator, npages uint64) *SharedObject {
	return &SharedObject{newShmem(a, npages)}
}

// Put drops the caller's reference; the frames go with the last one
// (every attach holds its own).
func (o *SharedObject) Put() { o.s.put() }

// Resident is the number of frames the object holds (shm_rss).
func (o *SharedObject) Resident() uint64 {
	o.s.mu.Lock()
	defer o.s.mu.Unlock()
	n := uint64(0)
	for _, pa := range o.s.pages {
		if pa != 0 {
			n++
		}
	}
	return n
}

// MmapObject maps the whole of obj shared (do_mmap of a segment's file, as
// shmat calls it): at addr exactly when fixed (replacing what is there
// when replace, EINVAL over an existing mapping otherwise), else where
// get_unmapped_area finds room. prot without PROT_WRITE also takes away
// VM_MAYWRITE (a read-only attach cannot be mprotect'ed writable). ops.Open
// runs for the new VMA.
func (mm *MM) MmapObject(addr, length uint64, prot int, fixed, replace bool, obj *SharedObject, ops VMOps) (uint64, error) {
	length = pageUp(length)
	if length == 0 {
		return 0, errno.EINVAL
	}
	vmf := protToVM(prot) | VMMayRead | VMMayExec | VMShared | VMMayShare
	if prot&PROT_WRITE != 0 {
		vmf |= VMMayWrite
	}
	flags := MAP_SHARED
	if fixed {
		flags |= MAP_FIXED
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	if fixed && !replace && (addr+length < addr || mm.overlaps(addr, addr+length)) {
		return 0, errno.EINVAL // do_shmat's find_vma_intersection check
	}
	if len(mm.vmas) >= MaxMapCount {
		return 0, errno.ENOMEM
	}
	start, err := mm.getUnmappedArea(addr, length, flags)
	if err != nil {
		return 0, err
	}
	mm.unmapRange(start, start+length)
	v := &VMA{Start: start, End: start + length, Flags: vmf, shm: obj.s, Ops: ops}
	v.open(mm)
	mm.insert(v)
	return start, nil
}

// Shmdt unmaps the attach that begins at addr (ksys_shmdt): the first VMA
// at or above addr that isAttach owns and whose page offset matches its
// distance from addr fixes the object and its size; it and every other
// VMA of the same object within that size from addr, at its own offset,
// go (fragments left by mprotect or munmap). It returns the Ops of the
// attach; EINVAL when addr is not page aligned or no attach starts there.
func (mm *MM) Shmdt(addr uint64, isAttach func(VMOps) bool) (VMOps, error) {
	if addr&pageMask != 0 {
		return nil, errno.EINVAL
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	atOffset := func(v *VMA) bool {
		return v.Ops != nil && isAttach(v.Ops) && (v.Start-addr)/PageSize == v.PgOff
	}
	var obj *shmem
	var ops VMOps
	var size, next uint64
	for i := mm.findVMA(addr); i < len(mm.vmas); i++ {
		if v := mm.vmas[i]; atOffset(v) {
			obj, ops, next = v.shm, v.Ops, v.End
			obj.mu.Lock()
			size = uint64(len(obj.pages)) * PageSize
			obj.mu.Unlock()
			mm.unmapRange(v.Start, v.End)
			break
		}
	}
	if obj == nil {
		return nil, errno.EINVAL
	}
	for i := mm.findVMA(next); i < len(mm.vmas) && mm.vmas[i].End-addr <= size; {
		if v := mm.vmas[i]; atOffset(v) && v.shm == obj {
			mm.unmapRange(v.Start, v.End)
			continue // the list shrank: i is the next VMA now
		}
		i++
	}
	return ops, nil
}
