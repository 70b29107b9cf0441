package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/vfs"
)

// The zero-copy calls (fs/splice.c, fs/read_write.c): splice moves bytes
// between a pipe and a file or another pipe, tee copies between two pipes
// without consuming, vmsplice moves user memory into a pipe (or a pipe
// into user memory), sendfile copies a file into any descriptor and
// copy_file_range one regular file into another. tamix copies the bytes
// where Linux hands over page references; what the program sees is the
// same. The pipe side lives in ipc/splice.go.

// System call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
const (
	SYS_sendfile        = 40
	SYS_splice          = 275
	SYS_tee             = 276
	SYS_vmsplice        = 278
	SYS_copy_file_range = 326
)

// splice flags (include/linux/splice.h).
const (
	SPLICE_F_MOVE     = 0x1
	SPLICE_F_NONBLOCK = 0x2
	SPLICE_F_MORE     = 0x4
	SPLICE_F_GIFT     = 0x8
	spliceFAll        = SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT
)

func init() {
	syscallTable[SYS_splice] = sysSplice
	syscallTable[SYS_tee] = sysTee
	syscallTable[SYS_vmsplice] = sysVmsplice
	syscallTable[SYS_sendfile] = sysSendfile
	syscallTable[SYS_copy_file_range] = sysCopyFileRange
}

// pipeInfo is get_pipe_info: the pipe behind an anonymous pipe end or a
// FIFO, nil for other files.
func pipeInfo(of *OpenFile) *ipc.Pipe {
	if p, ok := of.File.(interface{ Pipe() *ipc.Pipe }); ok {
		return p.Pipe()
	}
	return nil
}

func canRead(of *OpenFile) bool  { return of.Flags&fs.O_ACCMODE != fs.O_WRONLY }
func canWrite(of *OpenFile) bool { return of.Flags&fs.O_ACCMODE != fs.O_RDONLY }

// spliceSource is the f_op->splice_read side of a file: ReadAt for a file
// with offsets (regular files, /dev/zero, /dev/null), Read for a stream
// (a socket, the terminal), which may also make the caller wait on the
// file's queue. Pipes are handled as pipes; directories and one-record
// files (eventfd, timerfd…) have no splice_read: ok is false.
type spliceSource struct {
	of         *OpenFile
	positional vfs.Positional
}

func spliceReader(of *OpenFile) (spliceSource, bool) {
	if pipeInfo(of) != nil || of.record != nil {
		return spliceSource{}, false
	}
	if _, dir := of.File.(*vfs.Dir); dir {
		return spliceSource{}, false
	}
	p, _ := of.File.(vfs.Positional)
	return spliceSource{of, p}, true
}

// readAt reads at pos for a file with offsets, else from the stream.
func (s spliceSource) readAt(b []byte, pos int64) (int, error) {
	if s.positional != nil {
		return s.positional.ReadAt(b, pos)
	}
	return s.of.File.Read(b)
}

// getOffset reads a loff_t argument (EFAULT); putOffset writes it back.
func (t *Task) getOffset(va uint64) (int64, error) {
	b, err := t.copyIn(va, 8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

func (t *Task) putOffset(va uint64, pos int64) error {
	return t.copyOut(va, binary.LittleEndian.AppendUint64(nil, uint64(pos)))
}

// filePos and setFilePos are f_pos of a file that has one.
func filePos(of *OpenFile) int64 {
	if s, ok := of.File.(vfs.Seeker); ok {
		n, _ := s.Seek(0, vfs.SEEK_CUR)
		return n
	}
	return 0
}

func setFilePos(of *OpenFile, pos int64) {
	if s, ok := of.File.(vfs.Seeker); ok {
		s.Seek(pos, vfs.SEEK_SET)
	}
}

// spliceWait runs try with Linux's blocking rule for splice: when it
// would block (EAGAIN) and the call may block, the task sleeps on the
// queue try names and the call runs again when woken; nothing has moved
// then, so running it again from the start is exact. EPIPE raises
// SIGPIPE.
func (k *Kernel) spliceWait(t *Task, nonblock bool, try func() (int, *fs.WaitQueue, error)) (uint64, error) {
	n, q, err := try()
	if err == errno.EAGAIN && !nonblock {
		if k.signalPending(t) {
			return 0, errno.ERESTARTSYS
		}
		k.prepareToWait(t, q)
		if n, _, err = try(); err == errno.EAGAIN {
			return 0, errBlock
		}
		k.finishWait(t, q)
	}
	if err == errno.EPIPE {
		k.SendSignalInfo(t, SigInfo{Signo: SIGPIPE, Code: SI_USER, PID: int32(t.TGID)}, false)
	}
	return uint64(n), err
}

// fileToPipe is splice_file_to_pipe: up to count bytes of in from *pos
// into p, one buffer per file page, as many as fit; *pos moves on.
func (k *Kernel) fileToPipe(t *Task, src spliceSource, p *ipc.Pipe, pos *int64, count uint64, nonblock bool) (uint64, error) {
	count = min(count, maxRWCount)
	if *pos < 0 || *pos+int64(count) < 0 {
		return 0, errno.EINVAL // rw_verify_area
	}
	start := *pos
	n, err := k.spliceWait(t, nonblock, func() (int, *fs.WaitQueue, error) {
		cur := start
		srcEmpty := false
		n, err := p.SpliceFill(int(count),
			func(done int) int { return ipc.PageSize - int((start+int64(done))%ipc.PageSize) },
			func(b []byte) (int, error) {
				n, err := src.readAt(b, cur)
				cur += int64(n)
				srcEmpty = err == errno.EAGAIN
				return n, err
			})
		if srcEmpty {
			return n, src.of.File.Wait(), err // a stream with nothing to read yet
		}
		return n, p.Wait(), err
	})
	*pos = start + int64(n)
	return n, err
}

// pipeToFile is do_splice_from: up to count bytes from p into out, at *pos
// for a file with offsets (which moves on), else by write; what out does
// not take stays in the pipe.
func (k *Kernel) pipeToFile(t *Task, p *ipc.Pipe, out *OpenFile, pos *int64, count uint64, nonblock bool) (uint64, error) {
	if out.record != nil {
		return 0, errno.EINVAL // eventfd, timerfd…: no splice_write
	}
	count = min(count, maxRWCount)
	dst, positional := out.File.(vfs.Positional)
	if positional && (*pos < 0 || *pos+int64(count) < 0) {
		return 0, errno.EINVAL
	}
	start := *pos
	n, err := k.spliceWait(t, nonblock, func() (int, *fs.WaitQueue, error) {
		cur := start
		outFull := false
		n, err := p.SpliceDrain(int(count), func(b []byte) (int, error) {
			var n int
			var err error
			if positional {
				n, err = dst.WriteAt(b, cur)
			} else {
				n, err = out.File.Write(b)
			}
			cur += int64(n)
			outFull = err == errno.EAGAIN
			return n, err
		})
		if outFull {
			return n, out.File.Wait(), err
		}
		return n, p.Wait(), err
	})
	if err == errno.EPIPE && pipeInfo(out) == nil {
		k.pipeWriteError(t, out.File, err)
	}
	*pos = start + int64(n)
	return n, err
}

// sysSplice is splice(fd_in, off_in, fd_out, off_out, len, flags)
// (__do_sys_splice, __do_splice, do_splice): one side must be a pipe
// (EINVAL otherwise), a pipe side takes no offset (ESPIPE), the other
// side's offset is used and updated instead of its file position when
// given. SPLICE_F_NONBLOCK, or O_NONBLOCK on the pipe, makes it not
// wait.
func sysSplice(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	offIn, offOut, count, flags := a[1], a[3], a[4], uint32(a[5])
	if count == 0 {
		return 0, nil
	}
	if flags&^spliceFAll != 0 {
		return 0, errno.EINVAL
	}
	in, out, err := t.filePair(a[0], a[2])
	if err != nil {
		return 0, err
	}
	defer in.put()
	defer out.put()
	ipipe, opipe := pipeInfo(in), pipeInfo(out)
	if ipipe != nil && offIn != 0 || opipe != nil && offOut != 0 {
		return 0, errno.ESPIPE
	}
	var pos int64
	if offIn != 0 {
		if pos, err = t.getOffset(offIn); err != nil {
			return 0, err
		}
	}
	if offOut != 0 {
		if pos, err = t.getOffset(offOut); err != nil {
			return 0, err
		}
	}
	if !canRead(in) || !canWrite(out) {
		return 0, errno.EBADF
	}
	nonblock := flags&SPLICE_F_NONBLOCK != 0
	switch {
	case ipipe != nil && opipe != nil:
		if ipipe == opipe {
			return 0, errno.EINVAL
		}
		return k.splicePipes(t, ipipe, opipe, count, nonblock || in.Nonblock() || out.Nonblock(), false)
	case ipipe != nil:
		if offOut != 0 {
			if _, ok := out.File.(vfs.Positional); !ok {
				return 0, errno.EINVAL
			}
		} else {
			pos = filePos(out)
		}
		if out.appending() {
			return 0, errno.EINVAL
		}
		n, err := k.pipeToFile(t, ipipe, out, &pos, count, nonblock || in.Nonblock())
		return n, updateOffset(t, out, offOut, pos, n, err)
	case opipe != nil:
		src, ok := spliceReader(in)
		if !ok || offIn != 0 && src.positional == nil {
			return 0, errno.EINVAL // no splice_read, or no pread
		}
		if offIn == 0 {
			pos = filePos(in)
		}
		n, err := k.fileToPipe(t, src, opipe, &pos, count, nonblock || out.Nonblock())
		return n, updateOffset(t, in, offIn, pos, n, err)
	}
	return 0, errno.EINVAL
}

// updateOffset stores the new position: into the user's offset when one
// was given, else into the file (f_pos). A failed store is EFAULT, as
// Linux's put_user; err passes through otherwise.
func updateOffset(t *Task, of *OpenFile, va uint64, pos int64, n uint64, err error) error {
	if n == 0 && err != nil {
		return err
	}
	if va == 0 {
		setFilePos(of, pos)
		return err
	}
	if perr := t.putOffset(va, pos); perr != nil {
		return perr
	}
	return err
}

// splicePipes is splice_pipe_to_pipe and, with tee, link_pipe.
func (k *Kernel) splicePipes(t *Task, in, out *ipc.Pipe, count uint64, nonblock, tee bool) (uint64, error) {
	count = min(count, maxRWCount)
	return k.spliceWait(t, nonblock, func() (int, *fs.WaitQueue, error) {
		n, wait, err := ipc.SplicePipes(in, out, int(count), tee)
		if wait != nil {
			return n, wait.Wait(), err
		}
		return n, nil, err
	})
}

// sysTee is tee(fd_in, fd_out, len, flags): both must be pipes, and not
// the same one (EINVAL); the bytes stay in fd_in.
func sysTee(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	count, flags := a[2], uint32(a[3])
	if count == 0 {
		return 0, nil
	}
	if flags&^spliceFAll != 0 {
		return 0, errno.EINVAL
	}
	in, out, err := t.filePair(a[0], a[1])
	if err != nil {
		return 0, err
	}
	defer in.put()
	defer out.put()
	if !canRead(in) || !canWrite(out) {
		return 0, errno.EBADF
	}
	ipipe, opipe := pipeInfo(in), pipeInfo(out)
	if ipipe == nil || opipe == nil || ipipe == opipe {
		return 0, errno.EINVAL
	}
	nonblock := flags&SPLICE_F_NONBLOCK != 0 || in.Nonblock() || out.Nonblock()
	return k.splicePipes(t, ipipe, opipe, count, nonblock, true)
}

// sysVmsplice is vmsplice(fd, iov, nr_segs, flags): user memory into the
// pipe behind a write end (vmsplice_to_pipe, copied here, one buffer per
// user page), or the pipe into user memory for a read end
// (vmsplice_to_user). EBADF for a descriptor that is not a pipe.
func sysVmsplice(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	flags := uint32(a[3])
	if flags&^spliceFAll != 0 {
		return 0, errno.EINVAL
	}
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	if !canRead(of) && !canWrite(of) {
		return 0, errno.EBADF
	}
	iov, total, err := t.importIovec(a[1], a[2])
	if err != nil || total == 0 {
		return 0, err
	}
	p := pipeInfo(of)
	if p == nil {
		return 0, errno.EBADF
	}
	// Only SPLICE_F_NONBLOCK: vmsplice ignores O_NONBLOCK (wait_for_space
	// and splice_from_pipe_next look at the flags alone).
	nonblock := flags&SPLICE_F_NONBLOCK != 0
	if canWrite(of) {
		return k.spliceWait(t, nonblock, func() (int, *fs.WaitQueue, error) {
			done := 0
			n, err := p.SpliceFill(int(total), func(d int) int {
				va, _ := iovAt(iov, uint64(d))
				return ipc.PageSize - int(va%ipc.PageSize)
			}, func(b []byte) (int, error) {
				m := t.iovCopy(iov, uint64(done), b, false)
				done += m
				if m == 0 {
					return 0, errno.EFAULT
				}
				return m, nil
			})
			return n, p.Wait(), err
		})
	}
	return k.spliceWait(t, nonblock, func() (int, *fs.WaitQueue, error) {
		done := 0
		n, err := p.SpliceDrain(int(total), func(b []byte) (int, error) {
			m := t.iovCopy(iov, uint64(done), b, true)
			done += m
			if m == 0 {
				return 0, errno.EFAULT
			}
			return m, nil
		})
		return n, p.Wait(), err
	})
}

// iovAt returns the user address of byte off of iov, and the bytes left
// in its segment.
func iovAt(iov []iovec, off uint64) (uint64, uint64) {
	for _, v := range iov {
		if off < v.len {
			return v.base + off, v.len - off
		}
		off -= v.len
	}
	return 0, 0
}

// sysSendfile is sendfile(out_fd, in_fd, offset, count) (do_sendfile): in
// must be a file splice can read (EINVAL otherwise) open for reading, out
// anything open for writing but O_APPEND (EINVAL). With offset the file
// position stays and *offset moves on. Into a pipe it is splice (as much
// as fits, waiting for room unless O_NONBLOCK); into anything else the
// bytes are written until count, the end of the file or a short write.
func sysSendfile(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	offVA, count := a[2], a[3]
	in, err := t.Files.Get(int(int32(a[1])))
	if err != nil {
		return 0, err
	}
	defer in.put()
	if !canRead(in) {
		return 0, errno.EBADF
	}
	var pos int64
	if offVA != 0 {
		if pos, err = t.getOffset(offVA); err != nil {
			return 0, err
		}
		if _, ok := in.File.(vfs.Positional); !ok || pipeInfo(in) != nil {
			return 0, errno.ESPIPE
		}
	} else {
		pos = filePos(in)
	}
	if pos < 0 || int64(count) < 0 || pos+int64(count) < 0 {
		return 0, errno.EINVAL // rw_verify_area
	}
	count = min(count, maxRWCount)
	out, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer out.put()
	if !canWrite(out) {
		return 0, errno.EBADF
	}
	src, ok := spliceReader(in)
	var n uint64
	if opipe := pipeInfo(out); opipe != nil {
		if !ok {
			return 0, errno.EINVAL
		}
		n, err = k.fileToPipe(t, src, opipe, &pos, count, out.Nonblock())
	} else {
		if out.appending() {
			return 0, errno.EINVAL
		}
		if !ok || src.positional == nil {
			// tamix limit: a stream source (socket, terminal) has no
			// internal pipe to keep what was read while out is full.
			return 0, errno.EINVAL
		}
		n, err = k.sendDirect(t, src, out, &pos, count)
	}
	return n, updateOffset(t, in, offVA, pos, n, err)
}

// sendDirect is do_splice_direct into a file that is not a pipe: read a
// chunk of in at *pos, write it to out (at its position), until count,
// the end of in, or a short write. A write that would block before any
// byte went waits for out; later it ends the call with the count so far.
func (k *Kernel) sendDirect(t *Task, src spliceSource, out *OpenFile, pos *int64, count uint64) (uint64, error) {
	buf := t.rwBuffer(min(count, 64<<10))
	var done uint64
	for done < count {
		chunk := buf[:min(count-done, uint64(len(buf)))]
		r, err := src.readAt(chunk, *pos)
		if r == 0 {
			if done == 0 {
				return 0, err
			}
			break
		}
		w, err := k.writeOut(t, out, chunk[:r], done == 0)
		done += uint64(w)
		*pos += int64(w)
		if err != nil {
			if done == 0 {
				return 0, err
			}
			break
		}
		if w < r {
			break
		}
	}
	return done, nil
}

// writeOut writes b to out at its position; mayBlock lets a blocking
// descriptor wait for room (the call then runs again from the start).
func (k *Kernel) writeOut(t *Task, out *OpenFile, b []byte, mayBlock bool) (int, error) {
	try := func() (int, *fs.WaitQueue, error) {
		n, err := out.File.Write(b)
		return n, out.File.Wait(), err
	}
	if !mayBlock || out.Nonblock() {
		n, _, err := try()
		if err != nil {
			k.pipeWriteError(t, out.File, err)
		}
		return n, err
	}
	n, err := k.spliceWait(t, false, try)
	return int(n), err
}

// sysCopyFileRange is copy_file_range(fd_in, off_in, fd_out, off_out,
// len, flags) (vfs_copy_file_range, generic_copy_file_checks): flags must
// be 0; both files regular (EISDIR for a directory, EINVAL otherwise) on
// the same file system (EXDEV), in readable and out writable and not
// O_APPEND (EBADF); no overlap within one file (EINVAL); the copy stops
// at the end of in.
func sysCopyFileRange(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	offIn, offOut, count := a[1], a[3], a[4]
	in, out, err := t.filePair(a[0], a[2])
	if err != nil {
		return 0, err
	}
	defer in.put()
	defer out.put()
	var posIn, posOut int64
	if offIn != 0 {
		if posIn, err = t.getOffset(offIn); err != nil {
			return 0, err
		}
	} else {
		posIn = filePos(in)
	}
	if offOut != 0 {
		if posOut, err = t.getOffset(offOut); err != nil {
			return 0, err
		}
	} else {
		posOut = filePos(out)
	}
	if uint32(a[5]) != 0 {
		return 0, errno.EINVAL
	}
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	iin, iout := v.InodeOf(in.File), v.InodeOf(out.File)
	switch {
	case iin != nil && iin.IsDir() || iout != nil && iout.IsDir():
		return 0, errno.EISDIR
	case iin == nil || iout == nil || !iin.IsReg() || !iout.IsReg() || in.reg == nil || out.reg == nil:
		return 0, errno.EINVAL
	case !canRead(in) || !canWrite(out) || out.appending():
		return 0, errno.EBADF
	case uint64(posIn)+count < uint64(posIn) || uint64(posOut)+count < uint64(posOut):
		return 0, errno.EOVERFLOW // a negative offset wraps as unsigned
	case posIn < 0 || posOut < 0:
		return 0, errno.EINVAL
	case iin.Dev != iout.Dev:
		return 0, errno.EXDEV
	}
	size := v.Stat(iin).Size
	if posIn >= size {
		count = 0
	} else {
		count = min(count, uint64(size-posIn), maxRWCount)
	}
	if iin == iout && posOut+int64(count) > posIn && posOut < posIn+int64(count) {
		return 0, errno.EINVAL
	}
	var done uint64
	if count > 0 {
		buf := t.rwBuffer(min(count, 64<<10))
		for done < count {
			chunk := buf[:min(count-done, uint64(len(buf)))]
			r, _ := in.reg.ReadAt(chunk, posIn+int64(done))
			if r == 0 {
				break
			}
			w, werr := out.reg.WriteAt(chunk[:r], posOut+int64(done))
			done += uint64(w)
			if werr != nil || w < r {
				if done == 0 {
					return 0, werr
				}
				break
			}
		}
	}
	if offIn != 0 {
		if err := t.putOffset(offIn, posIn+int64(done)); err != nil {
			return 0, err
		}
	} else {
		setFilePos(in, posIn+int64(done))
	}
	if offOut != 0 {
		if err := t.putOffset(offOut, posOut+int64(done)); err != nil {
			return 0, err
		}
	} else {
		setFilePos(out, posOut+int64(done))
	}
	return done, nil
}

// filePair looks up the two descriptors of a splice-like call, in then
// out: both with a reference the caller drops, or neither.
func (t *Task) filePair(inFD, outFD uint64) (in, out *OpenFile, err error) {
	if in, err = t.Files.Get(int(int32(inFD))); err != nil {
		return nil, nil, err
	}
	if out, err = t.Files.Get(int(int32(outFD))); err != nil {
		in.put()
		return nil, nil, err
	}
	return in, out, nil
}
