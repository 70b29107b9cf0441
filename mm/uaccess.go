package mm

import (
	"bytes"
	"errors"
	"sync/atomic"
	"unsafe"

	"tamix/errno"
)

// ErrStringTooLong is returned by CopyInString when no NUL byte lies within
// max bytes. Callers map it to their errno (ENAMETOOLONG for paths, E2BIG for
// execve arguments).
var ErrStringTooLong = errors.New("mm: user string not terminated within limit")

// userFrame returns the frame behind the user page at page for a kernel
// access, faulting it in as a user access would (Linux: the #PF handler does
// this for copy_from_user; tamix walks in software instead, which also breaks
// COW before a write since CR0.WP may be clear).
func (mm *MM) userFrame(page uint64, write bool) (uint64, bool) {
	if mm.pt == nil || mm.pt.Root == 0 {
		return 0, false
	}
	if pte, _ := mm.pt.userPTE(page, false); pte != nil {
		e := *pte
		if e&(PTEPresent|PTEUser) == PTEPresent|PTEUser && (!write || e&PTEWrite != 0) {
			return e & PTEAddrMask, true
		}
	}
	acc := AccessRead
	if write {
		acc = AccessWrite
	}
	if _, fe := mm.handleFault(page, acc); fe != nil {
		return 0, false
	}
	pte, _ := mm.pt.userPTE(page, false)
	return *pte & PTEAddrMask, true
}

// userRange checks that [va, va+n) lies in user space (access_ok).
func userRange(va uint64, n int) bool {
	return va < TaskSize && uint64(n) <= TaskSize-va
}

// CopyIn copies len(dst) bytes from user address va (copy_from_user). Pages
// are faulted in as needed; a bad pointer gives errno.EFAULT.
func (mm *MM) CopyIn(dst []byte, va uint64) error {
	if len(dst) == 0 {
		return nil
	}
	if !userRange(va, len(dst)) {
		return errno.EFAULT
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	for len(dst) > 0 {
		page := pageDown(va)
		pa, ok := mm.userFrame(page, false)
		if !ok {
			return errno.EFAULT
		}
		n := copy(dst, mm.mem.Page(pa)[va-page:])
		dst = dst[n:]
		va += uint64(n)
	}
	return nil
}

// CopyOut copies src to user address va (copy_to_user), breaking COW and
// faulting pages in; errno.EFAULT when a page is unmapped or not writable.
func (mm *MM) CopyOut(va uint64, src []byte) error {
	if len(src) == 0 {
		return nil
	}
	if !userRange(va, len(src)) {
		return errno.EFAULT
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	for len(src) > 0 {
		page := pageDown(va)
		pa, ok := mm.userFrame(page, true)
		if !ok {
			return errno.EFAULT
		}
		n := copy(mm.mem.Page(pa)[va-page:], src)
		src = src[n:]
		va += uint64(n)
	}
	return nil
}

// CopyInString reads a NUL-terminated string of at most max bytes (NUL not
// included) from va (strncpy_from_user). It returns errno.EFAULT on a bad
// address met before the NUL, ErrStringTooLong when no NUL is within max.
func (mm *MM) CopyInString(va uint64, max int) (string, error) {
	mm.mu.Lock()
	defer mm.mu.Unlock()
	var buf []byte
	for left := max; left > 0; {
		if va >= TaskSize {
			return "", errno.EFAULT
		}
		page := pageDown(va)
		pa, ok := mm.userFrame(page, false)
		if !ok {
			return "", errno.EFAULT
		}
		chunk := mm.mem.Page(pa)[va-page:]
		if len(chunk) > left {
			chunk = chunk[:left]
		}
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			if buf == nil {
				return string(chunk[:i]), nil
			}
			return string(append(buf, chunk[:i]...)), nil
		}
		buf = append(buf, chunk...)
		left -= len(chunk)
		va += uint64(len(chunk))
	}
	return "", ErrStringTooLong
}

// FutexPhys names the 32-bit word at va for a shared futex (the shared
// half of get_futex_key): when it lies in a shared mapping (MAP_SHARED,
// a System V segment), the physical address of the word, which every
// process mapping that page computes alike wherever it maps it; the page
// is faulted in as a read would. shared is false for a private mapping,
// whose futexes are named by address space and address. An unmapped
// address is EFAULT.
func (mm *MM) FutexPhys(va uint64) (pa uint64, shared bool, err error) {
	if !userRange(va, 4) {
		return 0, false, errno.EFAULT
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	v := mm.vmaAt(va)
	if v == nil {
		return 0, false, errno.EFAULT
	}
	if v.Flags&VMShared == 0 {
		return 0, false, nil
	}
	frame, ok := mm.userFrame(va&^(PageSize-1), false)
	if !ok {
		return 0, false, errno.EFAULT
	}
	return frame + va&(PageSize-1), true, nil
}

// CmpxchgUser32 atomically replaces the aligned 32-bit user word at va
// with new if it holds old, and returns what it held
// (futex_atomic_cmpxchg_inatomic): the word may be changing under user
// threads on other CPUs, so a read-then-write would not do. The page is
// made writable (COW broken) as a user write would; EFAULT if it cannot
// be, EINVAL for a misaligned address.
func (mm *MM) CmpxchgUser32(va uint64, old, new uint32) (uint32, error) {
	if va%4 != 0 {
		return 0, errno.EINVAL
	}
	if !userRange(va, 4) {
		return 0, errno.EFAULT
	}
	mm.mu.Lock()
	defer mm.mu.Unlock()
	page := pageDown(va)
	pa, ok := mm.userFrame(page, true)
	if !ok {
		return 0, errno.EFAULT
	}
	word := (*uint32)(unsafe.Pointer(&mm.mem.Page(pa)[va-page]))
	for {
		cur := atomic.LoadUint32(word)
		if cur != old {
			return cur, nil
		}
		if atomic.CompareAndSwapUint32(word, old, new) {
			return old, nil
		}
	}
}
