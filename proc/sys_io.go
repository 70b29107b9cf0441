package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/vfs"
)

// MAX_RW_COUNT bounds one read or write, as Linux does.
const maxRWCount = 0x7ffff000

func init() {
	syscallTable[SYS_read] = sysRead
	syscallTable[SYS_write] = sysWrite
	syscallTable[SYS_readv] = sysReadv
	syscallTable[SYS_writev] = sysWritev
	syscallTable[SYS_close] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return 0, t.Files.Close(int(int32(a[0])))
	}
	syscallTable[SYS_ioctl] = sysIoctl
	syscallTable[SYS_dup] = sysDup
	syscallTable[SYS_dup2] = sysDup2
	syscallTable[SYS_fcntl] = sysFcntl
}

// fileRW does one read or write on fd with Linux's blocking rules: if the
// file would block and the descriptor is blocking, the task sleeps on the
// file's wait queue and the call runs again when it is woken.
func (k *Kernel) fileRW(t *Task, fd int, write bool, iov []iovec) (uint64, error) {
	of, err := t.Files.Get(fd)
	if err != nil {
		return 0, err
	}
	n, err := k.openFileRW(t, of, write, iov)
	of.put() // not deferred: a defer costs more than a 1-byte pipe read
	return n, err
}

// openFileRW is fileRW on the open file of, which the caller holds.
func (k *Kernel) openFileRW(t *Task, of *OpenFile, write bool, iov []iovec) (uint64, error) {
	acc := of.Flags & fs.O_ACCMODE
	if write && acc == fs.O_RDONLY || !write && acc == fs.O_WRONLY {
		return 0, errno.EBADF
	}
	if of.record != nil {
		return k.recordRW(t, of, of.record, write, iov)
	}
	if of.sigfd != nil {
		if write {
			return 0, errno.EINVAL // no write operation
		}
		return k.signalfdRead(t, of, iov)
	}
	if of.sock != nil {
		return k.sockRW(t, of, write, iov)
	}
	var total uint64
	for _, v := range iov {
		total += v.len
	}
	if total > maxRWCount {
		total = maxRWCount
	}
	if total == 0 {
		// A zero-length read or write only checks the descriptor (and
		// never blocks), as on Linux for a tty or pipe.
		return 0, nil
	}
	if of.reg != nil {
		return k.regularRW(t, of, of.reg, write, iov, total)
	}
	// A blocking write goes on until every byte is written, as pipe_write
	// does; what was written before a sleep is kept in the restart block.
	done := uint64(0)
	if write && t.pending {
		done = t.restart.rwDone // the call runs again after a sleep
	}
	t.restart.rwDone = done
	try := func() (uint64, error) {
		for done < total {
			n, err := k.doRW(t, of, write, skipIovec(iov, done), total-done, false)
			if !write || err != nil {
				return n, err
			}
			if n == 0 {
				break
			}
			done += n
			t.restart.rwDone = done
			if of.Nonblock() {
				break
			}
		}
		return done, nil
	}
	n, err := try()
	if err != errno.EAGAIN || of.Nonblock() {
		return partial(done, n, err)
	}
	if k.signalPending(t) {
		if done > 0 {
			return done, nil
		}
		return 0, errno.ERESTARTSYS
	}
	q := of.File.Wait()
	k.prepareToWait(t, q)
	if n, err = try(); err != errno.EAGAIN {
		k.finishWait(t, q)
		return partial(done, n, err)
	}
	return 0, errBlock
}

// regularRW reads or writes a regular file (generic_file_read_iter,
// generic_perform_write): it never blocks, and goes on chunk after chunk to
// the count, the end of the file or a full mount, whatever O_NONBLOCK
// says. An O_APPEND write goes to the end of the file in one piece: its
// first chunk appends, the next ones follow it, and other appenders of the
// inode wait meanwhile (i_rwsem).
func (k *Kernel) regularRW(t *Task, of *OpenFile, f *vfs.RegFile, write bool, iov []iovec, total uint64) (uint64, error) {
	appending := write && of.appending()
	if appending {
		f.LockAppend()
	}
	var done uint64
	var err error
	if write {
		if total, err = k.fsizeLimit(t, total, func() int64 { return k.writePos(f, appending) }); err != nil {
			if appending {
				f.UnlockAppend()
			}
			return 0, err
		}
	}
	for done < total {
		var n uint64
		n, err = k.doRW(t, of, write, skipIovec(iov, done), total-done, appending && done == 0)
		if err != nil || n == 0 {
			break
		}
		done += n
	}
	if appending {
		f.UnlockAppend()
	}
	if done > 0 {
		return done, nil
	}
	return 0, err
}

// partial reports a write that stopped early: the bytes written count, an
// error only when nothing was written (as Linux's pipe_write returns).
func partial(done, n uint64, err error) (uint64, error) {
	if done > 0 {
		return done, nil
	}
	return n, err
}

// skipIovec drops the first n bytes of iov.
func skipIovec(iov []iovec, n uint64) []iovec {
	for len(iov) > 0 && n >= iov[0].len {
		n -= iov[0].len
		iov = iov[1:]
	}
	if len(iov) == 0 || n == 0 {
		return iov
	}
	out := append([]iovec{{iov[0].base + n, iov[0].len - n}}, iov[1:]...)
	return out
}

// doRW moves bytes between user memory and the open file through the
// task's bounce buffer; appending writes at the end of a regular file.
func (k *Kernel) doRW(t *Task, of *OpenFile, write bool, iov []iovec, total uint64, appending bool) (uint64, error) {
	f := of.File
	buf := t.rwBuffer(min(total, 64<<10))
	if write {
		n := 0
		for _, v := range iov {
			if n == len(buf) {
				break
			}
			m := min(v.len, uint64(len(buf)-n))
			if err := t.copyInto(buf[n:n+int(m)], v.base); err != nil {
				if n == 0 {
					return 0, err
				}
				break
			}
			n += int(m)
		}
		var w int
		var err error
		var a vfs.Appender
		if appending {
			a, _ = f.(vfs.Appender) // only then: an interface test costs a lookup
		}
		if a != nil {
			w, err = a.Append(buf[:n])
		} else {
			w, err = f.Write(buf[:n])
		}
		if w > 0 {
			return uint64(w), nil
		}
		k.pipeWriteError(t, f, err) // SIGPIPE for EPIPE on a pipe or FIFO
		return 0, err
	}
	n, err := f.Read(buf)
	if n <= 0 {
		return 0, err
	}
	buf = buf[:n]
	var done uint64
	for _, v := range iov {
		if len(buf) == 0 {
			break
		}
		m := min(uint64(len(buf)), v.len)
		if err := t.copyOut(v.base, buf[:m]); err != nil {
			if done == 0 {
				return 0, err
			}
			break
		}
		buf = buf[m:]
		done += m
	}
	return done, nil
}

type iovec struct{ base, len uint64 }

// UIO_MAXIOV is the most iovecs one readv/writev takes.
const uioMaxIOV = 1024

func (t *Task) readIovec(va uint64, n uint64) ([]iovec, error) {
	if int64(n) < 0 || n > uioMaxIOV {
		return nil, errno.EINVAL
	}
	b, err := t.copyIn(va, int(n)*16)
	if err != nil {
		return nil, err
	}
	iov := make([]iovec, n)
	var total uint64
	for i := range iov {
		iov[i] = iovec{binary.LittleEndian.Uint64(b[i*16:]), binary.LittleEndian.Uint64(b[i*16+8:])}
		if int64(iov[i].len) < 0 {
			return nil, errno.EINVAL
		}
		total += iov[i].len
		if int64(total) < 0 {
			return nil, errno.EINVAL
		}
	}
	return iov, nil
}

func sysRead(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	return k.fileRW(t, int(int32(a[0])), false, []iovec{{a[1], a[2]}})
}

func sysWrite(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	return k.fileRW(t, int(int32(a[0])), true, []iovec{{a[1], a[2]}})
}

// checkFD returns EBADF for a closed descriptor before other arguments are
// looked at, in Linux's order.
func (t *Task) checkFD(fd int) error {
	of, err := t.Files.Get(fd)
	if err == nil {
		of.put()
	}
	return err
}

func sysReadv(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if err := t.checkFD(int(int32(a[0]))); err != nil {
		return 0, err
	}
	iov, err := t.readIovec(a[1], a[2])
	if err != nil {
		return 0, err
	}
	return k.fileRW(t, int(int32(a[0])), false, iov)
}

func sysWritev(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if err := t.checkFD(int(int32(a[0]))); err != nil {
		return 0, err
	}
	iov, err := t.readIovec(a[1], a[2])
	if err != nil {
		return 0, err
	}
	return k.fileRW(t, int(int32(a[0])), true, iov)
}

func sysIoctl(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	io, ok := of.File.(fs.Ioctler)
	if !ok {
		return 0, errno.ENOTTY
	}
	switch req := uint32(a[1]); {
	case req == TIOCGPGRP && of.File == k.Console:
		// tcgetpgrp: the console's foreground process group.
		return 0, t.putInt32(a[2], int32(k.ForegroundPgrp()))
	case req == TIOCSPGRP && of.File == k.Console:
		// tcsetpgrp: a group of the caller's session.
		b, err := t.copyIn(a[2], 4)
		if err != nil {
			return 0, err
		}
		pgid := int(int32(binary.LittleEndian.Uint32(b)))
		if pgid < 0 {
			return 0, errno.EINVAL
		}
		if !k.groupExists(pgid, t.Signal.Session) {
			return 0, errno.EPERM
		}
		k.SetForegroundPgrp(pgid)
		return 0, nil
	}
	return k.ioctl(t, io, uint32(a[1]), a[2])
}

// ioctl copies an ioctl's argument in and out according to the size its
// request number encodes (_IOC_SIZE) or the known tty requests.
func (k *Kernel) ioctl(t *Task, io fs.Ioctler, req uint32, arg uint64) (uint64, error) {
	size, in, out := ioctlArg(req)
	var buf []byte
	if in && size > 0 {
		b, err := t.copyIn(arg, size)
		if err != nil {
			return 0, err
		}
		buf = b
	}
	res, ret, err := io.Ioctl(uint64(req), buf)
	if err != nil {
		return 0, err
	}
	if out && len(res) > 0 {
		if err := t.copyOut(arg, res); err != nil {
			return 0, err
		}
	}
	return ret, nil
}

// tty ioctl requests (include/uapi/asm-generic/ioctls.h).
const (
	TCGETS     = 0x5401
	TCSETS     = 0x5402
	TCSETSW    = 0x5403
	TCSETSF    = 0x5404
	TIOCGPGRP  = 0x540f
	TIOCSPGRP  = 0x5410
	TIOCGWINSZ = 0x5413
	TIOCSWINSZ = 0x5414
	FIONREAD   = 0x541b
	TIOCOUTQ   = 0x5411 // SIOCOUTQ on a socket
)

// ioctlArg says how many bytes an ioctl argument has and which way it goes.
func ioctlArg(req uint32) (size int, in, out bool) {
	switch req {
	case TCGETS:
		return 36, false, true // struct termios (c_iflag..c_lflag, c_line, c_cc[19])
	case TCSETS, TCSETSW, TCSETSF:
		return 36, true, false
	case TIOCGWINSZ:
		return 8, false, true
	case TIOCSWINSZ:
		return 8, true, false
	case TIOCGPGRP, FIONREAD, TIOCOUTQ:
		return 4, false, true
	case TIOCSPGRP:
		return 4, true, false
	}
	return 0, false, false
}

func sysDup(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	fd, err := t.Files.Install(of, 0, false)
	if err != nil {
		of.put()
		return 0, err
	}
	return uint64(fd), nil
}

func sysDup2(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	oldfd, newfd := int(int32(a[0])), int(int32(a[1]))
	if oldfd == newfd {
		of, err := t.Files.Get(oldfd)
		if err != nil {
			return 0, err
		}
		of.put()
		return uint64(newfd), nil
	}
	return uint64(newfd), t.Files.Dup2(oldfd, newfd, false)
}

// fcntl commands.
const (
	F_DUPFD         = 0
	F_GETFD         = 1
	F_SETFD         = 2
	F_GETFL         = 3
	F_SETFL         = 4
	F_DUPFD_CLOEXEC = 1030
	F_SETPIPE_SZ    = 1031
	F_GETPIPE_SZ    = 1032
	FD_CLOEXEC      = 1
)

func sysFcntl(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	fd := int(int32(a[0]))
	of, err := t.Files.Get(fd)
	if err != nil {
		return 0, err
	}
	defer of.put()
	switch a[1] {
	case F_DUPFD, F_DUPFD_CLOEXEC:
		min := int(int32(a[2]))
		if min < 0 || min >= t.Signal.nofile() { // RLIMIT_NOFILE
			return 0, errno.EINVAL
		}
		of.get()
		nfd, err := t.Files.Install(of, min, a[1] == F_DUPFD_CLOEXEC)
		if err != nil {
			of.put()
			return 0, err
		}
		return uint64(nfd), nil
	case F_GETFD:
		c, err := t.Files.Cloexec(fd)
		if c {
			return FD_CLOEXEC, err
		}
		return 0, err
	case F_SETFD:
		return 0, t.Files.SetCloexec(fd, a[2]&FD_CLOEXEC != 0)
	case F_GETFL:
		of.mu.Lock()
		defer of.mu.Unlock()
		return uint64(of.Flags), nil
	case F_SETFL:
		// Only O_APPEND, O_NONBLOCK (and friends) can change.
		const settable = fs.O_APPEND | fs.O_NONBLOCK
		of.mu.Lock()
		of.Flags = of.Flags&^settable | int(a[2])&settable
		of.mu.Unlock()
		return 0, nil
	case F_GETPIPE_SZ, F_SETPIPE_SZ:
		// pipe_fcntl: pipes and FIFOs only.
		pf, ok := of.File.(*ipc.File)
		if !ok {
			return 0, errno.EBADF
		}
		if a[1] == F_GETPIPE_SZ {
			return uint64(pf.Pipe().Size()), nil
		}
		// pipe_set_size: growing past pipe-max-size needs CAP_SYS_RESOURCE.
		want := uint64(uint32(a[2]))
		if want > uint64(ipc.PipeMaxSize()) && int(want) > pf.Pipe().Size() && !t.Cred().Capable(CAP_SYS_RESOURCE) {
			return 0, errno.EPERM
		}
		size, err := pf.Pipe().SetSize(want)
		return uint64(size), err
	case F_ADD_SEALS, F_GET_SEALS:
		return sealsFcntl(of, a[1], a[2])
	}
	return 0, errno.EINVAL
}
