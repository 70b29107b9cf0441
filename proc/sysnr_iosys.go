package proc

// System call numbers of select, positional I/O and mremap & co. that are
// not in syscall.go's list (arch/x86/entry/syscalls/syscall_64.tbl).
const (
	SYS_mremap  = 25
	SYS_msync   = 26
	SYS_mincore = 27
	SYS_preadv  = 295
	SYS_pwritev = 296
)
