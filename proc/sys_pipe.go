package proc

import (
	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/vfs"
)

// System call numbers not in syscall.go's list.
const (
	SYS_fchdir     = 81
	SYS_rmdir      = 84
	SYS_unlink     = 87
	SYS_mknod      = 133
	SYS_getdents64 = 217
	SYS_mknodat    = 259
	SYS_unlinkat   = 263
	SYS_pselect6   = 270
	SYS_faccessat  = 269
	SYS_dup3       = 292
	SYS_faccessat2 = 439
)

// O_LARGEFILE is forced on by open(2) on 64-bit kernels and shows in
// F_GETFL (force_o_largefile).
const O_LARGEFILE = 0x8000

func init() {
	syscallTable[SYS_pipe] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doPipe2(t, a[0], 0)
	}
	syscallTable[SYS_pipe2] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.doPipe2(t, a[0], int(int32(a[1])))
	}
	syscallTable[SYS_dup3] = sysDup3
}

// doPipe2 is do_pipe2: two descriptors for a new pipe, written to fds[2].
// Only O_CLOEXEC and O_NONBLOCK are accepted (O_DIRECT packet mode and
// O_NOTIFICATION_PIPE are not implemented: EINVAL, as a kernel without
// them).
func (k *Kernel) doPipe2(t *Task, fds uint64, flags int) (uint64, error) {
	if flags&^(fs.O_CLOEXEC|fs.O_NONBLOCK) != 0 {
		return 0, errno.EINVAL
	}
	r, w := ipc.NewPipeFiles()
	rf := NewOpenFile(r, fs.O_RDONLY|flags&fs.O_NONBLOCK)
	wf := NewOpenFile(w, fs.O_WRONLY|flags&fs.O_NONBLOCK)
	cloexec := flags&fs.O_CLOEXEC != 0
	rfd, err := t.Files.Install(rf, 0, cloexec)
	if err != nil {
		rf.put()
		wf.put()
		return 0, err
	}
	wfd, err := t.Files.Install(wf, 0, cloexec)
	if err != nil {
		t.Files.Close(rfd)
		wf.put()
		return 0, err
	}
	var b [8]byte
	le32(b[0:], uint32(rfd))
	le32(b[4:], uint32(wfd))
	if err := t.copyOut(fds, b[:]); err != nil {
		// Linux copies out before fd_install, so the user never sees the
		// descriptors; closing them here is the same to the process.
		t.Files.Close(rfd)
		t.Files.Close(wfd)
		return 0, err
	}
	return 0, nil
}

func le32(b []byte, v uint32) { b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }

// sysDup3 is dup3: like dup2, but the same fd twice is EINVAL and only
// O_CLOEXEC is a valid flag.
func sysDup3(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	oldfd, newfd, flags := int(int32(a[0])), int(int32(a[1])), int(int32(a[2]))
	if flags&^fs.O_CLOEXEC != 0 {
		return 0, errno.EINVAL
	}
	if oldfd == newfd {
		return 0, errno.EINVAL
	}
	return uint64(newfd), t.Files.Dup2(oldfd, newfd, flags&fs.O_CLOEXEC != 0)
}

// pipeWriteError raises SIGPIPE when a write to a pipe or FIFO failed with
// EPIPE (pipe_write's send_sig(SIGPIPE, current, 0)). The signal goes to
// the writing thread; an ignored SIGPIPE is dropped by SendSignalInfo and
// a blocked one stays pending, as on Linux. The write returns EPIPE
// either way.
func (k *Kernel) pipeWriteError(t *Task, f fs.File, err error) {
	if err != errno.EPIPE || !vfs.IsPipe(f) {
		return
	}
	k.SendSignalInfo(t, SigInfo{Signo: SIGPIPE, Code: SI_USER, PID: int32(t.TGID)}, false)
}
