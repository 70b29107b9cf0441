package proc

import (
	"unsafe"

	"tamix/errno"
)

// System calls that look at or detach what tasks share: unshare
// (kernel/fork.c), kcmp (kernel/kcmp.c), process_vm_readv/writev
// (mm/process_vm_access.c) and pidfd_getfd (kernel/pid.c).

const (
	SYS_process_vm_readv  = 310
	SYS_process_vm_writev = 311
	SYS_kcmp              = 312
	SYS_unshare           = 272
	SYS_pidfd_getfd       = 438

	// kcmp types.
	KCMP_FILE      = 0
	KCMP_VM        = 1
	KCMP_FILES     = 2
	KCMP_FS        = 3
	KCMP_SIGHAND   = 4
	KCMP_IO        = 5
	KCMP_SYSVSEM   = 6
	KCMP_EPOLL_TFD = 7
	KCMP_TYPES     = 8
)

func init() {
	syscallTable[SYS_unshare] = sysUnshare
	syscallTable[SYS_kcmp] = sysKcmp
	syscallTable[SYS_process_vm_readv] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.processVMRW(t, a, false)
	}
	syscallTable[SYS_process_vm_writev] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.processVMRW(t, a, true)
	}
	syscallTable[SYS_pidfd_getfd] = sysPidfdGetfd
}

// sysUnshare is unshare(flags): the caller stops sharing its descriptor
// table (CLONE_FILES), working directory and umask (CLONE_FS) or System V
// semaphore undo list (CLONE_SYSVSEM). CLONE_THREAD, CLONE_SIGHAND and
// CLONE_VM only succeed when there is nothing to unshare (a
// single-threaded process with handlers and mm of its own). tamix has no
// namespaces: their flags are EINVAL, as in clone.
func sysUnshare(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	const namespaces = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
	const newTime = 0x80 // CLONE_NEWTIME
	f := a[0]
	if f&^(CLONE_THREAD|CLONE_FS|CLONE_SIGHAND|CLONE_VM|CLONE_FILES|CLONE_SYSVSEM|namespaces|newTime) != 0 {
		return 0, errno.EINVAL
	}
	if f&CLONE_VM != 0 {
		f |= CLONE_SIGHAND
	}
	if f&CLONE_SIGHAND != 0 {
		f |= CLONE_THREAD
	}
	if f&(namespaces|newTime) != 0 {
		return 0, errno.EINVAL
	}
	if f&CLONE_THREAD != 0 && k.threadCount(t) > 1 {
		return 0, errno.EINVAL
	}
	if f&(CLONE_SIGHAND|CLONE_VM) != 0 && t.Sighand.shared() {
		return 0, errno.EINVAL
	}
	if f&CLONE_VM != 0 && t.MM != nil && t.MM.Users() > 1 {
		return 0, errno.EINVAL
	}
	if f&CLONE_FS != 0 {
		t.unshareFS()
	}
	if f&CLONE_FILES != 0 {
		t.unshareFiles()
	}
	if f&CLONE_SYSVSEM != 0 {
		k.IPC.ExitSem(&t.sysvsem, t.TGID) // exit_sem: a fresh undo list next time
	}
	return 0, nil
}

// threadCount is the number of live threads of t's process
// (thread_group_empty's complement).
func (k *Kernel) threadCount(t *Task) int {
	k.tasklistLock.Lock()
	defer k.tasklistLock.Unlock()
	return t.Signal.Live
}

// kcmpTask finds a task for kcmp or pidfd_getfd: ESRCH if there is none,
// EPERM if the caller may not inspect it (PTRACE_MODE_READ).
func (k *Kernel) kcmpTask(t *Task, pid int) (*Task, error) {
	p := k.FindTask(pid)
	if p == nil || p.IsKernelThread() || p.ExitState != 0 {
		return nil, errno.ESRCH
	}
	if !t.mayAccess(p) {
		return nil, errno.EPERM
	}
	return p, nil
}

// sysKcmp is kcmp(pid1, pid2, type, idx1, idx2): whether two tasks share
// a kernel object — 0 if they do, else 1 or 2 for an order between the two
// objects (which are otherwise hidden), so that user space can sort them.
func sysKcmp(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	p1, err := k.kcmpTask(t, int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	p2, err := k.kcmpTask(t, int(int32(a[1])))
	if err != nil {
		return 0, err
	}
	var o1, o2 unsafe.Pointer
	switch a[2] {
	case KCMP_FILE:
		f1, err := p1.Files.Get(int(int32(a[3])))
		if err != nil {
			return 0, err
		}
		f1.put()
		f2, err := p2.Files.Get(int(int32(a[4])))
		if err != nil {
			return 0, err
		}
		f2.put()
		o1, o2 = unsafe.Pointer(f1), unsafe.Pointer(f2)
	case KCMP_VM:
		o1, o2 = unsafe.Pointer(p1.MM), unsafe.Pointer(p2.MM)
	case KCMP_FILES:
		o1, o2 = unsafe.Pointer(p1.Files), unsafe.Pointer(p2.Files)
	case KCMP_FS:
		o1, o2 = unsafe.Pointer(p1.fsOf()), unsafe.Pointer(p2.fsOf())
	case KCMP_SIGHAND:
		o1, o2 = unsafe.Pointer(p1.Sighand), unsafe.Pointer(p2.Sighand)
	case KCMP_IO:
		// Every task has its own io_context until it does I/O through
		// a block device, and tamix has none: compare the tasks.
		o1, o2 = unsafe.Pointer(p1), unsafe.Pointer(p2)
	case KCMP_SYSVSEM:
		return kcmpOrder(k.IPC.UndoListAddr(&p1.sysvsem), k.IPC.UndoListAddr(&p2.sysvsem)), nil
	default:
		return 0, errno.EINVAL // KCMP_EPOLL_TFD needs epoll's target lookup: not here
	}
	return kcmpOrder(uintptr(o1), uintptr(o2)), nil
}

// kcmpOrder is kcmp_ptr: 0 for the same object, 1 or 2 by a hidden order.
// Linux hides kernel addresses by a per-boot random permutation; tamix's
// objects are Go heap values whose addresses say nothing worth hiding.
func kcmpOrder(a, b uintptr) uint64 {
	switch {
	case a == b:
		return 0
	case a < b:
		return 1
	}
	return 2
}

// processVMRW is process_vm_readv/process_vm_writev(pid, local_iov,
// liovcnt, remote_iov, riovcnt, flags): a copy between the caller's memory
// and another process's, which it must be allowed to inspect
// (PTRACE_MODE_ATTACH). It returns the bytes copied; a fault partway stops
// the copy there (EFAULT only when nothing was copied).
func (k *Kernel) processVMRW(t *Task, a *sysArgs, write bool) (uint64, error) {
	if a[5] != 0 {
		return 0, errno.EINVAL
	}
	local, err := t.readIovec(a[1], a[2])
	if err != nil {
		return 0, err
	}
	remote, err := t.readIovec(a[3], a[4])
	if err != nil {
		return 0, err
	}
	p := k.FindTask(int(int32(a[0])))
	if p == nil || p.IsKernelThread() || p.MM == nil {
		return 0, errno.ESRCH
	}
	if !t.mayAccess(p) {
		return 0, errno.EPERM
	}
	var done uint64
	buf := make([]byte, 4096)
	li, loff := 0, uint64(0)
	for _, r := range remote {
		for roff := uint64(0); roff < r.len; {
			for li < len(local) && loff == local[li].len {
				li, loff = li+1, 0
			}
			if li == len(local) {
				return done, nil
			}
			n := min(r.len-roff, local[li].len-loff, uint64(len(buf)))
			b := buf[:n]
			var err error
			if write {
				if err = t.MM.CopyIn(b, local[li].base+loff); err == nil {
					err = p.MM.CopyOut(r.base+roff, b)
				}
			} else {
				if err = p.MM.CopyIn(b, r.base+roff); err == nil {
					err = t.MM.CopyOut(local[li].base+loff, b)
				}
			}
			if err != nil {
				if done == 0 {
					return 0, errno.EFAULT
				}
				return done, nil
			}
			done += n
			roff += n
			loff += n
		}
	}
	return done, nil
}

// sysPidfdGetfd is pidfd_getfd(pidfd, targetfd, flags): a duplicate, in the
// caller's table and close-on-exec, of a descriptor of the process the
// pidfd names (PTRACE_MODE_ATTACH).
func sysPidfdGetfd(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	if a[2] != 0 {
		return 0, errno.EINVAL
	}
	f, pof, err := t.pidfdOf(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	pof.put()
	p := f.task()
	if p == nil || p.ExitState != 0 {
		return 0, errno.ESRCH
	}
	if !t.mayAccess(p) {
		return 0, errno.EPERM
	}
	of, err := p.Files.Get(int(int32(a[1])))
	if err != nil {
		return 0, err
	}
	fd, err := t.Files.Install(of, 0, true)
	if err != nil {
		of.put()
		return 0, err
	}
	return uint64(fd), nil
}
