package proc

import (
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/net/unix"
	"tamix/vfs"
)

// OpenFile is an open file description (Linux's struct file): the file, its
// status flags and a reference count shared by dup'ed descriptors and
// forked processes.
type OpenFile struct {
	File fs.File
	// record and reg are File when it is a one-record-per-call file
	// (eventfd) or a tmpfs regular file: read and write take their own
	// paths, decided once here rather than by a type test per call.
	record fs.RecordFile
	reg    *vfs.RegFile
	// sock is File when it is a socket: read and write are sendmsg and
	// recvmsg (sock_read_iter, sock_write_iter).
	sock *unix.Sock
	// sigfd is File when it is a signalfd: reads and polls are made for
	// the calling task (signalfd.go).
	sigfd *signalFD
	mu    sync.Mutex
	Flags int // O_ACCMODE, O_NONBLOCK, O_APPEND
	refs  int
	// epitems are the epoll registrations of this open file (f_ep), under
	// mu; they go when the last reference does (eventpoll_release).
	epitems []*epitem
	// flockKey is the file a flock lock of this open file is on (nil:
	// it never took one); the last reference releases it (flock.go).
	flockKey any
}

// NewOpenFile wraps f with flags and one reference.
func NewOpenFile(f fs.File, flags int) *OpenFile {
	of := &OpenFile{File: f, Flags: flags, refs: 1}
	of.record, _ = f.(fs.RecordFile)
	of.reg, _ = f.(*vfs.RegFile)
	of.sock, _ = f.(*unix.Sock)
	of.sigfd, _ = f.(*signalFD)
	return of
}

func (of *OpenFile) get() { of.mu.Lock(); of.refs++; of.mu.Unlock() }

func (of *OpenFile) put() {
	of.mu.Lock()
	of.refs--
	last := of.refs == 0
	of.mu.Unlock()
	if last {
		eventpollRelease(of)
		if of.flockKey != nil {
			flockTry(of.flockKey, of, LOCK_UN) // locks_remove_flock in __fput
		}
		of.File.Release()
	}
}

// Nonblock reports O_NONBLOCK.
func (of *OpenFile) Nonblock() bool {
	of.mu.Lock()
	defer of.mu.Unlock()
	return of.Flags&fs.O_NONBLOCK != 0
}

// appending reports O_APPEND.
func (of *OpenFile) appending() bool {
	of.mu.Lock()
	defer of.mu.Unlock()
	return of.Flags&fs.O_APPEND != 0
}

// fdEntry is one slot of the descriptor table.
type fdEntry struct {
	file    *OpenFile
	cloexec bool
}

// FilesStruct is a descriptor table (files_struct): copied on fork, shared
// with CLONE_FILES.
type FilesStruct struct {
	mu    sync.Mutex
	fds   []fdEntry
	users int // tasks sharing the table (CLONE_FILES)
	// owner is the process whose RLIMIT_NOFILE bounds the table (see
	// maxFDs); nil for the idle tasks' tables.
	owner *SignalStruct
}

// RLIMIT_NOFILE's default soft limit.
const NrOpenDefault = 1024

func newFiles() *FilesStruct { return &FilesStruct{users: 1} }

func (fs *FilesStruct) hold() { fs.mu.Lock(); fs.users++; fs.mu.Unlock() }

// put drops a task's use of the table; the last user closes every file
// (exit_files / put_files_struct).
func (fs *FilesStruct) put() {
	fs.mu.Lock()
	fs.users--
	last := fs.users == 0
	fs.mu.Unlock()
	if last {
		fs.closeAll()
	}
}

// Install puts of at the lowest free descriptor >= min (get_unused_fd).
func (fs *FilesStruct) Install(of *OpenFile, min int, cloexec bool) (int, error) {
	limit := fs.maxFDs()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for fd := min; fd < limit; fd++ {
		if fd >= len(fs.fds) {
			fs.fds = append(fs.fds, make([]fdEntry, fd-len(fs.fds)+1)...)
		}
		if fs.fds[fd].file == nil {
			fs.fds[fd] = fdEntry{of, cloexec}
			return fd, nil
		}
	}
	return -1, errno.EMFILE
}

// Get returns the open file for fd (fdget), with a reference the caller
// drops with Put.
func (fs *FilesStruct) Get(fd int) (*OpenFile, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fd < 0 || fd >= len(fs.fds) || fs.fds[fd].file == nil {
		return nil, errno.EBADF
	}
	of := fs.fds[fd].file
	of.get()
	return of, nil
}

// Close closes fd.
func (fs *FilesStruct) Close(fd int) error {
	fs.mu.Lock()
	if fd < 0 || fd >= len(fs.fds) || fs.fds[fd].file == nil {
		fs.mu.Unlock()
		return errno.EBADF
	}
	of := fs.fds[fd].file
	fs.fds[fd] = fdEntry{}
	fs.mu.Unlock()
	mqFlush(of, fs.owner)
	of.put()
	return nil
}

// Dup2 makes newfd refer to oldfd's file (closing newfd first).
func (fs *FilesStruct) Dup2(oldfd, newfd int, cloexec bool) error {
	if newfd < 0 || newfd >= fs.maxFDs() {
		return errno.EBADF
	}
	fs.mu.Lock()
	if oldfd < 0 || oldfd >= len(fs.fds) || fs.fds[oldfd].file == nil {
		fs.mu.Unlock()
		return errno.EBADF
	}
	of := fs.fds[oldfd].file
	if newfd >= len(fs.fds) {
		fs.fds = append(fs.fds, make([]fdEntry, newfd-len(fs.fds)+1)...)
	}
	old := fs.fds[newfd].file
	of.get()
	fs.fds[newfd] = fdEntry{of, cloexec}
	fs.mu.Unlock()
	if old != nil {
		mqFlush(old, fs.owner)
		old.put()
	}
	return nil
}

// SetCloexec sets or clears FD_CLOEXEC.
func (fs *FilesStruct) SetCloexec(fd int, on bool) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fd < 0 || fd >= len(fs.fds) || fs.fds[fd].file == nil {
		return errno.EBADF
	}
	fs.fds[fd].cloexec = on
	return nil
}

// Cloexec reports FD_CLOEXEC.
func (fs *FilesStruct) Cloexec(fd int) (bool, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fd < 0 || fd >= len(fs.fds) || fs.fds[fd].file == nil {
		return false, errno.EBADF
	}
	return fs.fds[fd].cloexec, nil
}

// dup copies the table for fork (dup_fd): same open files, one more
// reference each.
func (fs *FilesStruct) dup() *FilesStruct {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fds := fs.fds
	for len(fds) > 0 && fds[len(fds)-1].file == nil {
		fds = fds[:len(fds)-1] // sized by the highest open fd (sane_fdtable_size)
	}
	n := &FilesStruct{fds: append([]fdEntry(nil), fds...), users: 1, owner: fs.owner}
	for _, e := range n.fds {
		if e.file != nil {
			e.file.get()
		}
	}
	return n
}

// closeOnExec closes every FD_CLOEXEC descriptor (do_close_on_exec).
func (fs *FilesStruct) closeOnExec() {
	fs.mu.Lock()
	var closing []*OpenFile
	for i, e := range fs.fds {
		if e.file != nil && e.cloexec {
			closing = append(closing, e.file)
			fs.fds[i] = fdEntry{}
		}
	}
	fs.mu.Unlock()
	for _, of := range closing {
		mqFlush(of, fs.owner)
		of.put()
	}
}

// closeAll closes every descriptor (exit_files).
func (fs *FilesStruct) closeAll() {
	fs.mu.Lock()
	fds := fs.fds
	fs.fds = nil
	fs.mu.Unlock()
	for _, e := range fds {
		if e.file != nil {
			mqFlush(e.file, fs.owner)
			e.file.put()
		}
	}
}

// Count is the number of open descriptors.
func (fs *FilesStruct) Count() (n int) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, e := range fs.fds {
		if e.file != nil {
			n++
		}
	}
	return
}
