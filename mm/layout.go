package mm

// Address-space layout. Linux x86-64 values without randomization, plus the
// ranges tamix reserves for the kernel's identity map.
const (
	// TaskSize is the end of user space (Linux TASK_SIZE_MAX: 2^47 - one
	// guard page, so no user access can straddle the canonical hole).
	TaskSize uint64 = 0x7ffffffff000
	// StackTop is where exec puts the initial stack (STACK_TOP = TASK_SIZE).
	StackTop = TaskSize
	// TaskUnmappedBase is where the bottom-up mmap search starts
	// (TASK_UNMAPPED_BASE = PAGE_ALIGN(TASK_SIZE / 3)), the fallback when
	// the top-down search finds no room.
	TaskUnmappedBase = (TaskSize/3 + pageMask) &^ pageMask
	// ELFETDynBase is the load address of static-pie images (ELF_ET_DYN_BASE
	// rounded down to a page, as load_elf_binary uses it).
	ELFETDynBase uint64 = 0x555555554000

	// StackGuardGap keeps other mappings this far below a stack (Linux's
	// stack_guard_gap default, 256 pages) so stack overflow faults.
	StackGuardGap uint64 = 256 * PageSize
	// DefaultStackLimit is RLIMIT_STACK's default soft limit.
	DefaultStackLimit uint64 = 8 << 20
	// stackExpand is the initial size of the stack VMA past the arguments
	// (fs/exec.c setup_arg_pages: stack_expand = 128 KiB).
	stackExpand uint64 = 128 << 10

	// MmapMinAddr is vm.mmap_min_addr (kernel-reserved ranges cover it too).
	MmapMinAddr uint64 = 64 << 10

	// MaxMapCount is vm.max_map_count: more VMAs than this fail with ENOMEM.
	MaxMapCount = 65530
)

// KernelReserved lists the user virtual ranges tamix keeps for the kernel:
// the process page table shares the kernel's identity map of physical memory
// there (low memory, and the Go RAM and frames from 256 MiB up to 6 GiB).
// tamix limit (Linux has none): mappings that would overlap these fail — a
// hint is moved elsewhere, MAP_FIXED and brk get ENOMEM. Static ELF images
// (0x400000) and brk stay below 256 MiB; stack and mmap live near TaskSize.
var KernelReserved = []Range{
	{0, 2 << 20},
	{256 << 20, 6 << 30},
}

// reservedOverlap reports whether [start, end) touches a kernel-reserved range.
func reservedOverlap(start, end uint64) bool {
	for _, r := range KernelReserved {
		if r.Overlaps(start, end) {
			return true
		}
	}
	return false
}

// userRangeOK reports whether [start, end) may hold user mappings.
func userRangeOK(start, end uint64) bool {
	return start < end && end <= TaskSize && start >= MmapMinAddr && !reservedOverlap(start, end)
}

// mmapBase is Linux's mmap_base() for the legacy-free top-down layout without
// randomization: TASK_SIZE minus the stack rlimit plus the guard gap, clamped
// to [128 MiB, 5/6 of TASK_SIZE].
func mmapBase(stackLimit uint64) uint64 {
	gap := stackLimit
	if gap+StackGuardGap > gap {
		gap += StackGuardGap
	}
	gap = max(gap, 128<<20)
	gap = min(gap, TaskSize/6*5)
	return pageDown(TaskSize - gap)
}
