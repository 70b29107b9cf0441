package vfs

import "tamix/errno"

// ReadAt reads at off without moving the position (pread64).
func (f *RegFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errno.EINVAL
	}
	return f.v.readAt(f.ino, p, off), nil
}

// WriteAt writes at off without moving the position (pwrite64; Linux
// appends anyway on an O_APPEND file, which the caller decides).
func (f *RegFile) WriteAt(p []byte, off int64) (int, error) {
	if f.ino.readOnly {
		return 0, errno.EBADF
	}
	if off < 0 {
		return 0, errno.EINVAL
	}
	n, _, err := f.v.writeAt(f.ino, p, off, false)
	return n, err
}
