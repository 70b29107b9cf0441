package vfs

import "tamix/errno"

// Positional is an open file that pread64, pwrite64, preadv and pwritev can
// address (Linux: FMODE_PREAD | FMODE_PWRITE): reads and writes at an
// offset, leaving the file position alone. Files without a position (pipes,
// FIFOs, terminals: stream_open, nonseekable_open) do not implement it, and
// those calls give ESPIPE. off is never negative.
type Positional interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
}

// ReadAt implements Positional: an image's bytes or a tmpfs file's (holes
// read as zeros) from off, none past the end.
func (f *RegFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errno.EINVAL
	}
	return f.v.readAt(f.ino, p, off), nil
}

// WriteAt implements Positional: a tmpfs file takes the bytes at off (an
// image is never open for writing).
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

// AppendAt writes p at the end of the file without moving the position (a
// pwrite on an O_APPEND file) and returns where the bytes went.
func (f *RegFile) AppendAt(p []byte) (int, int64, error) {
	if f.ino.readOnly {
		return 0, 0, errno.EBADF
	}
	return f.v.writeAt(f.ino, p, 0, true)
}

// ReadAt implements Positional: end of file (read_null).
func (nullFile) ReadAt(p []byte, off int64) (int, error) { return 0, nil }

// WriteAt implements Positional: the bytes vanish (write_null).
func (nullFile) WriteAt(p []byte, off int64) (int, error) { return len(p), nil }

// ReadAt implements Positional: zeros (read_iter_zero).
func (zeroFile) ReadAt(p []byte, off int64) (int, error) { clear(p); return len(p), nil }

// WriteAt implements Positional: the bytes vanish (write_zero).
func (zeroFile) WriteAt(p []byte, off int64) (int, error) { return len(p), nil }

// ReadAt implements Positional: directories are not read (generic_read_dir).
func (d *Dir) ReadAt(p []byte, off int64) (int, error) { return 0, errno.EISDIR }

// WriteAt implements Positional (a directory is never open for writing).
func (d *Dir) WriteAt(p []byte, off int64) (int, error) { return 0, errno.EBADF }

// Discarder is a file whose writes never look at the bytes (write_null,
// write_zero): a write to it counts them without reading user memory, so
// an unmapped buffer is no error.
type Discarder interface{ Discards() }

// Discards implements Discarder.
func (nullFile) Discards() {}

// Discards implements Discarder.
func (zeroFile) Discards() {}
