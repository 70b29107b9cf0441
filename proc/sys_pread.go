package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
	"tamix/vfs"
)

func init() {
	syscallTable[SYS_pread64] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doPread(t, int(int32(a[0])), a[1], a[2], int64(a[3]), false)
	}
	syscallTable[SYS_pwrite64] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doPread(t, int(int32(a[0])), a[1], a[2], int64(a[3]), true)
	}
	// preadv(fd, iov, iovcnt, pos_l, pos_h): on 64-bit pos is pos_l alone
	// (pos_from_hilo shifts pos_h out).
	syscallTable[SYS_preadv] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doPreadv(t, int(int32(a[0])), a[1], a[2], int64(a[3]), false)
	}
	syscallTable[SYS_pwritev] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doPreadv(t, int(int32(a[0])), a[1], a[2], int64(a[3]), true)
	}
}

// positionalFile is the first half of ksys_pread64 / do_preadv: a negative
// offset is EINVAL before the descriptor is looked at, a file without
// offsets is ESPIPE, then the open mode must allow the transfer (EBADF).
// The caller puts of.
func (t *Task) positionalFile(fd int, pos int64, write bool) (*OpenFile, vfs.Positional, error) {
	if pos < 0 {
		return nil, nil, errno.EINVAL
	}
	of, err := t.Files.Get(fd)
	if err != nil {
		return nil, nil, err
	}
	p, ok := of.File.(vfs.Positional)
	if !ok {
		of.put()
		return nil, nil, errno.ESPIPE
	}
	acc := of.Flags & fs.O_ACCMODE
	if write && acc == fs.O_RDONLY || !write && acc == fs.O_WRONLY {
		of.put()
		return nil, nil, errno.EBADF
	}
	return of, p, nil
}

// doPread is pread64 and pwrite64 (vfs_read/vfs_write at *pos): the buffer
// must lie in user space (EFAULT), pos+count must not overflow (EINVAL),
// and one call moves at most MAX_RW_COUNT bytes. The file offset stays.
func (k *Kernel) doPread(t *Task, fd int, buf, count uint64, pos int64, write bool) (uint64, error) {
	of, p, err := t.positionalFile(fd, pos, write)
	if err != nil {
		return 0, err
	}
	defer of.put()
	if a := positionalAppend(of, p, write); a != nil {
		p = a
		defer a.f.UnlockAppend()
	}
	if !userAccessOK(buf, count) {
		return 0, errno.EFAULT
	}
	if err := rwVerifyArea(pos, count); err != nil {
		return 0, err
	}
	count = min(count, maxRWCount)
	if count, err = k.positionalFsizeLimit(t, p, write, pos, count); err != nil {
		return 0, err
	}
	if count == 0 {
		// The file is still asked: a directory answers EISDIR.
		var n int
		if write {
			n, err = p.WriteAt(nil, pos)
		} else {
			n, err = p.ReadAt(nil, pos)
		}
		return uint64(n), err
	}
	return t.positionalRW(p, write, []iovec{{buf, count}}, count, pos)
}

// doPreadv is preadv and pwritev (vfs_readv/vfs_writev at *pos).
func (k *Kernel) doPreadv(t *Task, fd int, iovVA, vlen uint64, pos int64, write bool) (uint64, error) {
	of, p, err := t.positionalFile(fd, pos, write)
	if err != nil {
		return 0, err
	}
	defer of.put()
	if a := positionalAppend(of, p, write); a != nil {
		p = a
		defer a.f.UnlockAppend()
	}
	iov, total, err := t.importIovec(iovVA, vlen)
	if err != nil || total == 0 {
		return 0, err
	}
	if err := rwVerifyArea(pos, total); err != nil {
		return 0, err
	}
	if total, err = k.positionalFsizeLimit(t, p, write, pos, total); err != nil {
		return 0, err
	}
	return t.positionalRW(p, write, iov, total, pos)
}

// rwVerifyArea is rw_verify_area for a file with signed offsets.
func rwVerifyArea(pos int64, count uint64) error {
	if int64(count) < 0 || pos+int64(count) < 0 {
		return errno.EINVAL
	}
	return nil
}

// importIovec reads an iovec array as Linux's import_iovec does: EINVAL for
// more than UIO_MAXIOV entries or a negative length, EFAULT for a bad array
// or a segment outside user space; the lengths are clamped so that they add
// up to at most MAX_RW_COUNT. It returns the segments and their total.
func (t *Task) importIovec(va, vlen uint64) ([]iovec, uint64, error) {
	if vlen > uioMaxIOV {
		return nil, 0, errno.EINVAL
	}
	if vlen == 0 {
		return nil, 0, nil
	}
	b, err := t.copyIn(va, int(vlen)*16)
	if err != nil {
		return nil, 0, err
	}
	iov := make([]iovec, vlen)
	for i := range iov {
		iov[i] = iovec{binary.LittleEndian.Uint64(b[i*16:]), binary.LittleEndian.Uint64(b[i*16+8:])}
		if int64(iov[i].len) < 0 {
			return nil, 0, errno.EINVAL
		}
	}
	if vlen == 1 {
		// import_ubuf: clamp first, then check.
		iov[0].len = min(iov[0].len, maxRWCount)
		if !userAccessOK(iov[0].base, iov[0].len) {
			return nil, 0, errno.EFAULT
		}
		return iov, iov[0].len, nil
	}
	var total uint64
	for i := range iov {
		if !userAccessOK(iov[i].base, iov[i].len) {
			return nil, 0, errno.EFAULT
		}
		iov[i].len = min(iov[i].len, maxRWCount-total)
		total += iov[i].len
	}
	return iov, total, nil
}

// positionalRW moves total (> 0) bytes between the user buffers iov and p
// at offset pos, through the task's bounce buffer. A fault after some bytes
// ends the transfer with the count so far; before any, it is EFAULT. A
// short read means the end of the file.
func (t *Task) positionalRW(p vfs.Positional, write bool, iov []iovec, total uint64, pos int64) (uint64, error) {
	if _, ok := p.(vfs.Discarder); ok && write {
		return total, nil // /dev/null and /dev/zero never read the buffer
	}
	buf := t.rwBuffer(min(total, 64<<10))
	var done uint64
	for done < total {
		chunk := buf[:min(total-done, uint64(len(buf)))]
		var n int
		var err error
		if write {
			m := t.iovCopy(iov, done, chunk, false)
			if m > 0 {
				n, err = p.WriteAt(chunk[:m], pos+int64(done))
			}
			done += uint64(n)
			if err != nil || m < len(chunk) || n < m {
				if done == 0 {
					if err == nil {
						err = errno.EFAULT
					}
					return 0, err
				}
				break
			}
			continue
		}
		n, err = p.ReadAt(chunk, pos+int64(done))
		if err != nil {
			if done == 0 {
				return 0, err
			}
			break
		}
		c := t.iovCopy(iov, done, chunk[:n], true)
		done += uint64(c)
		if c < n {
			if done == 0 {
				return 0, errno.EFAULT
			}
			break
		}
		if n < len(chunk) {
			break
		}
	}
	return done, nil
}

// iovCopy copies b out to (out) or in from the user buffers iov, starting
// off bytes into them, and returns how many bytes it moved before the first
// fault (to the byte, at page granularity, as copy_to_user reports).
func (t *Task) iovCopy(iov []iovec, off uint64, b []byte, out bool) int {
	move := func(va uint64, p []byte) error {
		if out {
			return t.MM.CopyOut(va, p)
		}
		return t.MM.CopyIn(p, va)
	}
	n := 0
	for _, v := range iov {
		if n == len(b) {
			break
		}
		if off >= v.len {
			off -= v.len
			continue
		}
		va, l := v.base+off, min(v.len-off, uint64(len(b)-n))
		off = 0
		if move(va, b[n:n+int(l)]) == nil {
			n += int(l)
			continue
		}
		// Find where it faulted, a page at a time.
		for l > 0 {
			m := min(l, mm.PageSize-va&(mm.PageSize-1))
			if move(va, b[n:n+int(m)]) != nil {
				return n
			}
			n += int(m)
			va += m
			l -= m
		}
	}
	return n
}
