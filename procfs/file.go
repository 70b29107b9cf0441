package procfs

import (
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/vfs"
)

// File is an open /proc file, a seq_file in Linux's terms: the first read
// renders the whole content from the kernel's state and later reads
// continue in that snapshot; lseek renders afresh at the next read, so
// lseek(fd, 0, SEEK_SET) and read show the state of that moment.
type File struct {
	fs    *FS
	ino   *vfs.Inode
	n     *node
	flags int

	mu     sync.Mutex // f_pos_lock and the seq_file's mutex
	pos    int64
	buf    []byte
	filled bool
}

// Inode returns the file's inode (fstat).
func (f *File) Inode() *vfs.Inode { return f.ino }

// render produces the file's content now.
func (f *File) render() ([]byte, error) {
	switch f.n.kind {
	case kGlobal:
		return f.n.gent.show(f.fs)
	case kSysFile:
		return []byte(f.n.sysent.show(f.fs) + "\n"), nil
	}
	t := f.n.task
	if !f.fs.alive(t) {
		return nil, errno.ESRCH // get_proc_task found no task
	}
	if f.n.kind == kFdinfoFile {
		return f.fs.showFdinfo(t, f.n.fd)
	}
	return f.n.pent.show(f.fs, t, !f.n.thread)
}

// Read implements fs.File.
func (f *File) Read(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.filled {
		b, err := f.render()
		if err != nil {
			return 0, err
		}
		f.buf, f.filled = b, true
	}
	if f.pos >= int64(len(f.buf)) {
		return 0, nil
	}
	n := copy(p, f.buf[f.pos:])
	f.pos += int64(n)
	return n, nil
}

// Write implements fs.File: files with a write method take it (comm);
// the others answer as Linux does for a file opened for writing that has
// none: EINVAL for per-process files, EIO for the global ones
// (proc_reg_write without ->proc_write).
func (f *File) Write(p []byte) (int, error) {
	if f.flags&fs.O_ACCMODE == fs.O_RDONLY {
		return 0, errno.EBADF
	}
	if f.n.kind == kSysFile {
		if err := f.n.sysent.write(f.fs, p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	if f.n.kind == kGlobal || f.n.kind == kFdinfoFile {
		return 0, errno.EIO
	}
	if f.n.pent.write == nil {
		return 0, errno.EINVAL
	}
	t := f.n.task
	if !f.fs.alive(t) {
		return 0, errno.ESRCH
	}
	return f.n.pent.write(f.fs, t, p)
}

// Seek implements vfs.Seeker (seq_lseek): SEEK_SET and SEEK_CUR only.
func (f *File) Seek(off int64, whence int) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var n int64
	switch whence {
	case vfs.SEEK_SET:
		n = off
	case vfs.SEEK_CUR:
		n = f.pos + off
	default:
		return 0, errno.EINVAL
	}
	if n < 0 {
		return 0, errno.EINVAL
	}
	f.pos, f.filled, f.buf = n, false, nil
	return n, nil
}

// Poll implements fs.File: always ready (DEFAULT_POLLMASK).
func (f *File) Poll() uint32 {
	return fs.POLLIN | fs.POLLOUT | fs.POLLRDNORM | fs.POLLWRNORM
}

// quiet is the wait queue of files that are always ready.
var quiet fs.WaitQueue

// Wait implements fs.File.
func (f *File) Wait() *fs.WaitQueue { return &quiet }

// Release implements fs.File.
func (f *File) Release() {}

// Pos is the file's position (fdinfo's pos).
func (f *File) Pos() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pos
}
