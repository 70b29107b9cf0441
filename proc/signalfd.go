package proc

import (
	"encoding/binary"
	"sync"

	"tamix/errno"
	"tamix/fs"
)

// signalfd (fs/signalfd.c): a file through which a task takes the pending
// signals of a mask instead of having them delivered. A read dequeues them
// from the reading task — its own pending signals, then its process's — as
// struct signalfd_siginfo records of 128 bytes, sleeping until one of the
// mask is pending unless O_NONBLOCK (EAGAIN). Poll reports POLLIN while
// one is. The mask is only a filter: the signals are usually blocked, so
// that they stay pending for the file rather than being delivered.
//
// Readers and pollers wait on the queue of the task's signal handlers
// (sighand->signalfd_wqh), which every queued signal wakes (sendSignal).

// System call numbers of this file.
const (
	SYS_signalfd  = 282
	SYS_signalfd4 = 289
)

// signalfd4 flags.
const (
	SFD_CLOEXEC  = fs.O_CLOEXEC
	SFD_NONBLOCK = fs.O_NONBLOCK
)

// signalfdSiginfoSize is sizeof(struct signalfd_siginfo).
const signalfdSiginfoSize = 128

func init() {
	syscallTable[SYS_signalfd] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.signalfd4(t, a[0], a[1], a[2], 0)
	}
	syscallTable[SYS_signalfd4] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.signalfd4(t, a[0], a[1], a[2], int(int32(a[3])))
	}
}

// signalFD is struct signalfd_ctx: the set of signals it takes.
type signalFD struct {
	mu   sync.Mutex
	mask SigSet
	// owner is the task that made it: the one whose signals Poll reports
	// when no calling task is known (epoll; see pollTask).
	owner *Task
}

func (sf *signalFD) sigmask() SigSet {
	sf.mu.Lock()
	defer sf.mu.Unlock()
	return sf.mask
}

// pollTask is signalfd_poll for task t: POLLIN while a signal of the mask
// is pending for t or its process.
func (sf *signalFD) pollTask(t *Task) uint32 {
	mask := sf.sigmask()
	sh := t.Sighand
	sh.mu.Lock()
	pending := (t.Pending.Set | t.Signal.SharedPending.Set) & mask
	sh.mu.Unlock()
	if pending != 0 {
		return fs.POLLIN
	}
	return 0
}

// Read: reads go through signalfdRead, which knows the reading task.
func (sf *signalFD) Read(p []byte) (int, error) { return 0, errno.EINVAL }

// Write: a signalfd has no write (EINVAL).
func (sf *signalFD) Write(p []byte) (int, error) { return 0, errno.EINVAL }

// Poll is pollTask for the task that made the file: epoll asks without a
// task (Linux polls for the caller, current).
func (sf *signalFD) Poll() uint32 { return sf.pollTask(sf.owner) }

// Wait is the owner's signalfd queue.
func (sf *signalFD) Wait() *fs.WaitQueue { return &sf.owner.Sighand.signalfdWqh }

// AnonName is the anonymous inode's name (/proc/PID/fd links).
func (sf *signalFD) AnonName() string { return "[signalfd]" }

// Release does nothing: the mask goes with the last reference.
func (sf *signalFD) Release() {}

// pollFor is the file's poll for task t (vfs_poll with current = t): a
// signalfd answers for t's own signals, other files do not care who asks.
func (of *OpenFile) pollFor(t *Task) uint32 {
	if of.sigfd != nil {
		return of.sigfd.pollTask(t)
	}
	return of.File.Poll()
}

// waitFor is the queue t sleeps on to poll the file (poll_wait).
func (of *OpenFile) waitFor(t *Task) *fs.WaitQueue {
	if of.sigfd != nil {
		return &t.Sighand.signalfdWqh
	}
	return of.File.Wait()
}

// signalfd4 is do_signalfd4: fd -1 makes a signalfd for mask (O_RDWR,
// plus O_NONBLOCK with SFD_NONBLOCK); any other fd must be a signalfd,
// whose mask is replaced (flags are then only checked). SIGKILL and
// SIGSTOP are never taken.
func (k *Kernel) signalfd4(t *Task, ufd, maskVA, sizemask uint64, flags int) (uint64, error) {
	if sizemask != 8 { // sizeof(sigset_t)
		return 0, errno.EINVAL
	}
	v, err := t.getUint64(maskVA)
	if err != nil {
		return 0, err
	}
	if flags&^(SFD_CLOEXEC|SFD_NONBLOCK) != 0 {
		return 0, errno.EINVAL
	}
	mask := SigSet(v) &^ unblockable
	fd := int(int32(ufd))
	if fd == -1 {
		of := NewOpenFile(&signalFD{mask: mask, owner: t}, fs.O_RDWR|flags&SFD_NONBLOCK)
		nfd, err := t.Files.Install(of, 0, flags&SFD_CLOEXEC != 0)
		if err != nil {
			of.put()
			return 0, err
		}
		return uint64(nfd), nil
	}
	of, err := t.Files.Get(fd)
	if err != nil {
		return 0, err
	}
	defer of.put()
	if of.sigfd == nil {
		return 0, errno.EINVAL
	}
	of.sigfd.mu.Lock()
	of.sigfd.mask = mask
	of.sigfd.mu.Unlock()
	t.Sighand.signalfdWqh.WakeAll() // readers look again with the new mask
	return uint64(fd), nil
}

// signalfdRead is signalfd_read for task t. A read vector is read one
// buffer after the other (do_loop_readv_writev: the file has only .read),
// stopping at the first that is not filled. Only the first may wait:
// Linux would let a later one sleep too, but tamix restarts a call that
// slept from the start, and the signals already taken would be lost.
func (k *Kernel) signalfdRead(t *Task, of *OpenFile, iov []iovec) (uint64, error) {
	var total uint64
	for _, v := range iov {
		n, err := k.signalfdReadBuf(t, of, v.base, v.len, total > 0)
		if err != nil {
			if total > 0 && err != errBlock {
				return total, nil
			}
			return 0, err
		}
		total += n
		if n != v.len {
			break
		}
	}
	return total, nil
}

// signalfdReadBuf reads as many records as fit in count bytes (EINVAL
// for none), waiting for the first one unless the file (or an earlier
// buffer of the same read) says not to wait.
func (k *Kernel) signalfdReadBuf(t *Task, of *OpenFile, buf, count uint64, noWait bool) (uint64, error) {
	n := count / signalfdSiginfoSize
	if n == 0 {
		return 0, errno.EINVAL
	}
	nonblock := noWait || of.Nonblock()
	var total uint64
	for ; n > 0; n-- {
		si, err := k.signalfdDequeue(t, of.sigfd, nonblock)
		if err != nil {
			if total > 0 {
				return total, nil
			}
			return 0, err
		}
		if err := t.copyOut(buf+total, signalfdSiginfo(&si)); err != nil {
			if total > 0 {
				return total, nil
			}
			return 0, err
		}
		total += signalfdSiginfoSize
		nonblock = true
	}
	return total, nil
}

// signalfdDequeue takes one signal of the file's mask for t
// (signalfd_dequeue): EAGAIN without one when not blocking; else t sleeps
// on its signalfd queue until one is queued (the read then runs again),
// or another signal ends the wait with ERESTARTSYS.
func (k *Kernel) signalfdDequeue(t *Task, sf *signalFD, nonblock bool) (SigInfo, error) {
	if si, ok := k.dequeueSignalFrom(t, sf.sigmask()); ok {
		return si, nil
	}
	if nonblock {
		return SigInfo{}, errno.EAGAIN
	}
	if k.signalPending(t) {
		return SigInfo{}, errno.ERESTARTSYS
	}
	q := &t.Sighand.signalfdWqh
	k.prepareToWait(t, q)
	if si, ok := k.dequeueSignalFrom(t, sf.sigmask()); ok {
		k.finishWait(t, q)
		return si, nil
	}
	return SigInfo{}, errBlock
}

// siginfo layouts (enum siginfo_layout): which union member of siginfo_t
// a signal's si_code says is filled in.
const (
	silKill = iota
	silTimer
	silPoll
	silFault
	silChld
	silRT
	silSys
)

// siginfoLayout is siginfo_layout: kernel-made codes of the fault signals,
// SIGCHLD, SIGPOLL and SIGSYS have their own members; SI_TIMER and SI_SIGIO
// theirs; other negative (user) codes carry a value; the rest, SI_USER and
// SI_KERNEL among them, a sender.
func siginfoLayout(sig, code int32) int {
	const siSigio = -5
	if code > SI_USER && code < SI_KERNEL {
		// sig_sicodes: the highest code of each signal's own (NSIGILL…).
		limit, layout := int32(0), silKill
		switch sig {
		case SIGILL:
			limit, layout = 11, silFault
		case SIGFPE:
			limit, layout = 15, silFault
		case SIGSEGV:
			limit, layout = 9, silFault
		case SIGBUS:
			limit, layout = 5, silFault
		case SIGTRAP:
			limit, layout = 6, silFault
		case SIGCHLD:
			limit, layout = 6, silChld
		case SIGIO:
			limit, layout = 6, silPoll
		case SIGSYS:
			limit, layout = 2, silSys
		}
		if code <= limit {
			return layout
		}
		if code <= 6 { // NSIGPOLL
			return silPoll
		}
		return silKill
	}
	switch {
	case code == SI_TIMER:
		return silTimer
	case code == siSigio:
		return silPoll
	case code < 0:
		return silRT
	}
	return silKill
}

// signalfdSiginfo is signalfd_copyinfo: the struct signalfd_siginfo for a
// signal, made from its siginfo_t by layout.
func signalfdSiginfo(si *SigInfo) []byte {
	k := si.encode()
	le := binary.LittleEndian
	u := make([]byte, signalfdSiginfoSize)
	copy(u[0:12], k[0:12]) // ssi_signo, ssi_errno, ssi_code
	signo, code := int32(le.Uint32(k[0:])), int32(le.Uint32(k[8:]))
	pidUID := func() {
		copy(u[12:16], k[16:20]) // ssi_pid
		copy(u[16:20], k[20:24]) // ssi_uid
	}
	value := func() {
		copy(u[48:56], k[24:32]) // ssi_ptr
		copy(u[44:48], k[24:28]) // ssi_int
	}
	switch siginfoLayout(signo, code) {
	case silKill:
		pidUID()
	case silTimer:
		copy(u[24:28], k[16:20]) // ssi_tid
		copy(u[32:36], k[20:24]) // ssi_overrun
		value()
	case silPoll:
		copy(u[28:32], k[16:20]) // ssi_band (a long in siginfo_t)
		copy(u[20:24], k[24:28]) // ssi_fd
	case silFault:
		copy(u[72:80], k[16:24]) // ssi_addr
	case silChld:
		pidUID()
		copy(u[40:44], k[24:28]) // ssi_status
		copy(u[56:64], k[32:40]) // ssi_utime
		copy(u[64:72], k[40:48]) // ssi_stime
	case silRT:
		pidUID()
		value()
	case silSys:
		copy(u[88:96], k[16:24])  // ssi_call_addr
		copy(u[84:88], k[24:28])  // ssi_syscall
		copy(u[96:100], k[28:32]) // ssi_arch
	}
	return u
}
