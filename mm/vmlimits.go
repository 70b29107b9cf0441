package mm

// RLIMIT_AS and RLIMIT_DATA (mm/mmap.c may_expand_vm): an address space
// may not grow past its limit in total, nor its private writable (data)
// mappings past theirs; mmap then fails with ENOMEM and brk stays put.

// noLimit is RLIM_INFINITY.
const noLimit = ^uint64(0)

// vmLimits are the limits in bytes; the zero value (an MM made before any
// were set) is "none".
type vmLimits struct {
	set      bool
	as, data uint64
}

// SetVMLimits sets RLIMIT_AS and RLIMIT_DATA (in bytes; RLIM_INFINITY
// for none), as exec and setrlimit give them to the process's MM.
func (mm *MM) SetVMLimits(as, data uint64) {
	mm.mu.Lock()
	mm.limits = vmLimits{set: as != noLimit || data != noLimit, as: as, data: data}
	mm.mu.Unlock()
}

// isDataMapping is is_data_mapping: private and writable, not a stack.
func isDataMapping(f VMFlags) bool {
	return f&(VMWrite|VMShared|VMGrowsDown) == VMWrite
}

// mayExpandVM is may_expand_vm: can npages more of a mapping with flags be
// added, when replaced pages of [start, end) leave (MAP_FIXED)? mm.mu held.
func (mm *MM) mayExpandVM(flags VMFlags, npages uint64, start, end uint64) bool {
	if !mm.limits.set {
		return true
	}
	var total, data, replaced, replacedData uint64
	for _, v := range mm.vmas {
		n := (v.End - v.Start) >> pageShift
		total += n
		if isDataMapping(v.Flags) {
			data += n
		}
		if lo, hi := max(v.Start, start), min(v.End, end); lo < hi {
			replaced += (hi - lo) >> pageShift
			if isDataMapping(v.Flags) {
				replacedData += (hi - lo) >> pageShift
			}
		}
	}
	if mm.limits.as != noLimit && total-replaced+npages > mm.limits.as>>pageShift {
		return false
	}
	if mm.limits.data != noLimit && isDataMapping(flags) && data-replacedData+npages > mm.limits.data>>pageShift {
		return false
	}
	return true
}
