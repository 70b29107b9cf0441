package proc

import (
	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
)

// System call numbers of this file.
const (
	SYS_eventfd  = 284
	SYS_eventfd2 = 290
)

// eventfd2 flags.
const (
	EFD_SEMAPHORE = 1
	EFD_CLOEXEC   = fs.O_CLOEXEC
	EFD_NONBLOCK  = fs.O_NONBLOCK
)

func init() {
	syscallTable[SYS_eventfd] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.eventfd2(t, uint32(a[0]), 0)
	}
	syscallTable[SYS_eventfd2] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.eventfd2(t, uint32(a[0]), int(int32(a[1])))
	}
}

// eventfd2 is do_eventfd: the initial value is an unsigned int; the open
// file is O_RDWR plus O_NONBLOCK if asked (F_GETFL shows them).
func (k *Kernel) eventfd2(t *Task, initval uint32, flags int) (uint64, error) {
	if flags&^(EFD_SEMAPHORE|EFD_CLOEXEC|EFD_NONBLOCK) != 0 {
		return 0, errno.EINVAL
	}
	of := NewOpenFile(ipc.NewEventFD(uint64(initval), flags&EFD_SEMAPHORE != 0), fs.O_RDWR|flags&EFD_NONBLOCK)
	fd, err := t.Files.Install(of, 0, flags&EFD_CLOEXEC != 0)
	if err != nil {
		of.put()
		return 0, err
	}
	return uint64(fd), nil
}

// recordRW is read or write on a fs.RecordFile (eventfd): one call of the
// file's Read or Write (EINVAL for a read under one record or a write of
// another size, even for zero bytes), sleeping on the file's queue
// while it says EAGAIN on a blocking descriptor (eventfd_read's and
// eventfd_write's interruptible waits: ERESTARTSYS on a signal).
func (k *Kernel) recordRW(t *Task, of *OpenFile, rf fs.RecordFile, write bool, iov []iovec) (uint64, error) {
	var total uint64
	for _, v := range iov {
		total += v.len
	}
	total = min(total, maxRWCount)
	if size := uint64(rf.RecordSize()); total < size || write && total != size {
		return 0, errno.EINVAL
	}
	n, err := k.doRW(t, of, write, iov, total, false)
	if err != errno.EAGAIN || of.Nonblock() {
		return n, err
	}
	if k.signalPending(t) {
		return 0, errno.ERESTARTSYS
	}
	q := rf.Wait()
	k.prepareToWait(t, q)
	if n, err = k.doRW(t, of, write, iov, total, false); err != errno.EAGAIN {
		k.finishWait(t, q)
		return n, err
	}
	return 0, errBlock
}
