package proc

import (
	"encoding/binary"
	"math"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc/mqueue"
	"tamix/net/unix"
	"tamix/vfs"
)

// System call numbers of this file.
const (
	SYS_mq_open         = 240
	SYS_mq_unlink       = 241
	SYS_mq_timedsend    = 242
	SYS_mq_timedreceive = 243
	SYS_mq_notify       = 244
	SYS_mq_getsetattr   = 245
)

// SI_MESGQ is the si_code of a message queue notification.
const SI_MESGQ = -3

func init() {
	syscallTable[SYS_mq_open] = sysMqOpen
	syscallTable[SYS_mq_unlink] = sysMqUnlink
	syscallTable[SYS_mq_timedsend] = sysMqTimedsend
	syscallTable[SYS_mq_timedreceive] = sysMqTimedreceive
	syscallTable[SYS_mq_notify] = sysMqNotify
	syscallTable[SYS_mq_getsetattr] = sysMqGetsetattr
}

// mqueueNS is the namespace of message queue names (ipc_ns->mq_mnt).
func (k *Kernel) mqueueNS() *mqueue.Namespace {
	k.mqOnce.Do(func() {
		if k.MQueue == nil {
			k.MQueue = mqueue.NewNamespace()
		}
	})
	return k.MQueue
}

// sysMqOpen is mq_open(name, oflag, mode, attr) (do_mq_open). The name
// comes without musl's leading '/'. The attributes are read whenever a
// pointer is given, used only to create. The descriptor is always
// close-on-exec: Linux takes it with get_unused_fd_flags(O_CLOEXEC).
func sysMqOpen(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var attr *mqueue.Attr
	if a[3] != 0 {
		b, err := t.copyIn(a[3], mqueue.AttrSize)
		if err != nil {
			return 0, err
		}
		at, _ := mqueue.DecodeAttr(b)
		attr = &at
	}
	name, err := t.getname(a[0], false)
	if err != nil {
		return 0, err
	}
	oflag := int(int32(a[1]))
	cred := t.Cred()
	limit := t.Signal.Rlimit(RLIMIT_MSGQUEUE).Cur
	q, err := k.mqueueNS().Open(mqueue.OpenRequest{
		Name: name, Flags: oflag, Mode: uint32(uint16(a[2])) &^ k.umask(t), Attr: attr,
		Cred: cred, RUID: cred.UID, Rlimit: int64(min(limit, math.MaxInt64)),
	})
	if err != nil {
		return 0, err
	}
	// f_flags keep the access mode and the status flags (dentry_open).
	flags := oflag &^ (fs.O_CREAT | fs.O_EXCL | fs.O_NOCTTY | fs.O_TRUNC | fs.O_CLOEXEC)
	of := NewOpenFile(mqueue.NewFile(q), flags)
	fd, err := t.Files.Install(of, 0, true)
	if err != nil {
		of.put()
		return 0, err
	}
	return uint64(fd), nil
}

// sysMqUnlink is mq_unlink(name): the name goes, open descriptors keep
// the queue.
func sysMqUnlink(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	name, err := t.getname(a[0], false)
	if err != nil {
		return 0, err
	}
	return 0, k.mqueueNS().Unlink(name, t.Cred())
}

// mqFile returns the queue open on fd, with a reference on the open file
// the caller drops: EBADF when fd is not a message queue.
func mqFile(t *Task, fd uint64) (*OpenFile, *mqueue.File, error) {
	of, err := t.Files.Get(int(int32(fd)))
	if err != nil {
		return nil, nil, err
	}
	f, ok := of.File.(*mqueue.File)
	if !ok {
		of.put()
		return nil, nil, errno.EBADF
	}
	return of, f, nil
}

// mqDeadline reads an absolute CLOCK_REALTIME timeout (prepare_timeout:
// EFAULT, EINVAL for a bad timespec even when the call would not block)
// and turns it into a CLOCK_MONOTONIC deadline for the timer queue; no
// timeout is math.MaxInt64. It is read once: a call woken to run again
// keeps it in the restart block.
func (k *Kernel) mqDeadline(t *Task, va uint64) error {
	rb := &t.restart
	if rb.armed {
		return nil
	}
	deadline := int64(math.MaxInt64)
	if va != 0 {
		abs, err := getTimespec(t, va)
		if err != nil {
			return err
		}
		now := k.Clock()
		if d := abs - k.Wall(); d < math.MaxInt64-now {
			deadline = now + d
		}
	}
	rb.deadline, rb.armed = deadline, true
	return nil
}

// mqSleep is wq_sleep: after a try that said EAGAIN, it fails the call
// for a non-blocking descriptor (EAGAIN), a signal (ERESTARTSYS: EINTR,
// or a restart under SA_RESTART) or a passed deadline (ETIMEDOUT), or
// queues the task as a sender or receiver and returns errBlock. retry
// reports that the queue changed before the task was queued.
func (k *Kernel) mqSleep(t *Task, of *OpenFile, q *mqueue.Queue, send bool) (retry bool, err error) {
	switch {
	case of.Nonblock():
		return false, errno.EAGAIN
	case k.signalPending(t):
		return false, errno.ERESTARTSYS
	case k.Clock() >= t.restart.deadline:
		return false, errno.ETIMEDOUT
	}
	if t.waiter.Wake == nil {
		t.waiter.Wake = func() bool { return k.WakeUp(t) }
	}
	// Sleeping before joining the list, so a wake-up right after finds
	// the task asleep.
	t.SetState(TASK_INTERRUPTIBLE)
	if !q.Sleep(&t.waiter, send) {
		t.piLock.Lock()
		t.SetState(TASK_RUNNING)
		t.piLock.Unlock()
		return true, nil
	}
	if d := t.restart.deadline; d != math.MaxInt64 {
		k.timers.add(d, t)
	}
	return false, errBlock
}

// sysMqTimedsend is mq_timedsend(mqdes, msg, len, prio, abs_timeout)
// (do_mq_timedsend). The call runs again after each wake-up; the message
// is copied in again each time.
func sysMqTimedsend(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if err := k.mqDeadline(t, a[4]); err != nil {
		return 0, err
	}
	prio := uint32(a[3])
	if prio >= mqueue.MQ_PRIO_MAX {
		return 0, errno.EINVAL
	}
	of, f, err := mqFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer of.put()
	q := f.Q
	if acc := of.Flags & fs.O_ACCMODE; acc != fs.O_WRONLY && acc != fs.O_RDWR {
		return 0, errno.EBADF
	}
	if a[2] > uint64(q.Attr().MsgSize) {
		return 0, errno.EMSGSIZE
	}
	data, err := t.copyIn(a[1], int(a[2]))
	if err != nil {
		return 0, err
	}
	if data == nil {
		data = []byte{}
	}
	q.Unsleep(&t.waiter, true)
	for {
		err := q.Send(data, prio, t.TGID, t.Cred().UID)
		if err != errno.EAGAIN {
			return 0, err
		}
		if retry, err := k.mqSleep(t, of, q, true); !retry {
			return 0, err
		}
	}
}

// sysMqTimedreceive is mq_timedreceive(mqdes, buf, len, prio, abs_timeout)
// (do_mq_timedreceive): the message's length, its priority in *prio when
// asked. A fault writing either loses the message, as in Linux.
func sysMqTimedreceive(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if err := k.mqDeadline(t, a[4]); err != nil {
		return 0, err
	}
	of, f, err := mqFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer of.put()
	q := f.Q
	if acc := of.Flags & fs.O_ACCMODE; acc != fs.O_RDONLY && acc != fs.O_RDWR {
		return 0, errno.EBADF
	}
	if a[2] < uint64(q.Attr().MsgSize) {
		return 0, errno.EMSGSIZE
	}
	q.Unsleep(&t.waiter, false)
	for {
		data, prio, err := q.Receive(int64(min(a[2], math.MaxInt64)))
		if err == nil {
			if a[3] != 0 {
				var b [4]byte
				binary.LittleEndian.PutUint32(b[:], prio)
				if t.copyOut(a[3], b[:]) != nil {
					return 0, errno.EFAULT
				}
			}
			if t.copyOut(a[1], data) != nil {
				return 0, errno.EFAULT
			}
			return uint64(len(data)), nil
		}
		if err != errno.EAGAIN {
			return 0, err
		}
		if retry, err := k.mqSleep(t, of, q, false); !retry {
			return 0, err
		}
	}
}

// sysMqNotify is mq_notify(mqdes, sevp) (do_mq_notify). SIGEV_THREAD
// needs a netlink socket in sigev_signo, which the C library makes;
// tamix has no netlink sockets, so it fails as Linux does for a
// descriptor that is not one (ENOTSOCK, or ECONNREFUSED for a socket of
// another family).
func sysMqNotify(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var n *mqueue.Notification
	if a[1] != 0 {
		b, err := t.copyIn(a[1], mqueue.SigeventSize)
		if err != nil {
			return 0, err
		}
		ev, _ := mqueue.DecodeSigevent(b)
		if err := checkSigevent(ev); err != nil {
			return 0, err
		}
		if ev.Notify == mqueue.SIGEV_THREAD {
			if _, err := t.copyIn(ev.Value, 32); err != nil { // NOTIFY_COOKIE_LEN
				return 0, err
			}
			sf, err := t.Files.Get(int(ev.Signo))
			if err != nil {
				return 0, err
			}
			_, isSock := sf.File.(*unix.Sock)
			sf.put()
			if isSock {
				return 0, errno.ECONNREFUSED
			}
			return 0, errno.ENOTSOCK
		}
		n = k.mqNotification(t, ev)
	}
	of, f, err := mqFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer of.put()
	return 0, f.Q.Notify(n, t.Signal)
}

// checkSigevent is do_mq_notify's check of the request: a known
// sigev_notify and, for SIGEV_SIGNAL, a valid signal (0 included).
func checkSigevent(ev mqueue.Sigevent) error {
	switch ev.Notify {
	case mqueue.SIGEV_NONE, mqueue.SIGEV_THREAD:
		return nil
	case mqueue.SIGEV_SIGNAL:
		if uint32(ev.Signo) > NSIG {
			return errno.EINVAL
		}
		return nil
	}
	return errno.EINVAL
}

// mqNotification is the registration of t's process: a SIGEV_SIGNAL one
// sends sigev_signo with si_code SI_MESGQ, the sender's PID and UID and
// sigev_value to the process (kill_pid_info on the TGID).
func (k *Kernel) mqNotification(t *Task, ev mqueue.Sigevent) *mqueue.Notification {
	leader := t.GroupLeader
	return &mqueue.Notification{
		Notify: ev.Notify, Signo: ev.Signo, Owner: t.Signal, PID: t.TGID,
		Fire: func(pid int, uid uint32) {
			if ev.Signo == 0 {
				return
			}
			var raw [128]byte
			le := binary.LittleEndian
			le.PutUint32(raw[0:], uint32(ev.Signo))
			code := int32(SI_MESGQ)
			le.PutUint32(raw[8:], uint32(code))
			le.PutUint32(raw[16:], uint32(pid))
			le.PutUint32(raw[20:], uid)
			le.PutUint64(raw[24:], ev.Value)
			si := SigInfo{Signo: ev.Signo, Code: SI_MESGQ, PID: int32(pid), UID: int32(uid), Raw: &raw}
			k.signalProcess(leader, si)
		},
	}
}

// sysMqGetsetattr is mq_getsetattr(mqdes, new, old): only O_NONBLOCK can
// be set; old gets the attributes with the descriptor's O_NONBLOCK.
func sysMqGetsetattr(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var set *mqueue.Attr
	if a[1] != 0 {
		b, err := t.copyIn(a[1], mqueue.AttrSize)
		if err != nil {
			return 0, err
		}
		at, _ := mqueue.DecodeAttr(b)
		if at.Flags&^fs.O_NONBLOCK != 0 {
			return 0, errno.EINVAL
		}
		set = &at
	}
	of, f, err := mqFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer of.put()
	old := f.Q.Attr()
	of.mu.Lock()
	old.Flags = int64(of.Flags & fs.O_NONBLOCK)
	if set != nil {
		of.Flags = of.Flags&^fs.O_NONBLOCK | int(set.Flags)
	}
	of.mu.Unlock()
	if a[2] != 0 {
		return 0, t.copyOut(a[2], old.Encode())
	}
	return 0, nil
}

// mqStat is what fstat says of a queue: a regular file of FILENT_SIZE
// bytes on the mqueue filesystem.
func mqStat(f *mqueue.File) vfs.Stat {
	q := f.Q
	return vfs.Stat{
		Dev: vfs.Mkdev(0, 18), Ino: q.Ino, Nlink: uint64(q.Nlink), Mode: vfs.S_IFREG | q.Mode,
		UID: q.UID, GID: q.GID, Size: mqueue.FILENT_SIZE, Blksize: 4096,
	}
}

// mqFlush is mqueue_flush_file, run on every close of a descriptor (not
// just the last): the closing process loses its notification.
func mqFlush(of *OpenFile, owner *SignalStruct) {
	if f, ok := of.File.(*mqueue.File); ok && owner != nil {
		f.Q.Flush(owner)
	}
}
