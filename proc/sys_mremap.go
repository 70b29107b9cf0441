package proc

import (
	"tamix/errno"
	"tamix/mm"
)

func init() {
	syscallTable[SYS_mremap] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		addr, err := t.MM.Mremap(a[0], a[1], a[2], int(a[3]), a[4])
		return addr, asErrno(err)
	}
	syscallTable[SYS_msync] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return 0, asErrno(t.MM.Msync(a[0], a[1], int(int32(a[2]))))
	}
	syscallTable[SYS_mincore] = sysMincore
}

// userAccessOK is x86-64's access_ok for a size that is not a small
// constant: [va, va+size) must not wrap and must end by TASK_SIZE_MAX.
func userAccessOK(va, size uint64) bool {
	return va+size >= va && va+size <= mm.TaskSize
}

// sysMincore is mincore(start, len, vec): one byte per page of
// [start, start+len), 1 when the page is resident. EINVAL for an
// unaligned start, ENOMEM for a range outside user space or a page that is
// not mapped (the bytes before it are written), EFAULT for a bad vec.
func sysMincore(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	start, length, vec := a[0], a[1], a[2]
	if start&(mm.PageSize-1) != 0 {
		return 0, errno.EINVAL
	}
	if !userAccessOK(start, length) {
		return 0, errno.ENOMEM
	}
	pages := length >> 12
	if length&(mm.PageSize-1) != 0 {
		pages++
	}
	if !userAccessOK(vec, pages) {
		return 0, errno.EFAULT
	}
	// At most a page of entries per round, as Linux does.
	buf := make([]byte, min(pages, mm.PageSize))
	for pages > 0 {
		n, err := t.MM.Mincore(start, buf[:min(pages, mm.PageSize)])
		if err != nil {
			return 0, asErrno(err)
		}
		if err := t.copyOut(vec, buf[:n]); err != nil {
			return 0, err
		}
		pages -= uint64(n)
		vec += uint64(n)
		start += uint64(n) << 12
	}
	return 0, nil
}
