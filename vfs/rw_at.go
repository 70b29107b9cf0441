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

// ReadAt implements Positional: the image's bytes from off, none past the end.
func (f *RegFile) ReadAt(p []byte, off int64) (int, error) {
	data := f.ino.data
	if off >= int64(len(data)) {
		return 0, nil
	}
	return copy(p, data[off:]), nil
}

// WriteAt implements Positional: the mount is read-only.
func (f *RegFile) WriteAt(p []byte, off int64) (int, error) { return 0, errno.EBADF }

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
