package proc

import (
	"sync"

	"tamix/errno"
	"tamix/fs"
)

// BSD file locks (fs/locks.c flock_lock_inode): whole-file advisory locks
// that belong to an open file description, so dup'ed descriptors and
// forked children share one lock, and it goes with the last close.

// flock operations.
const (
	LOCK_SH = 1
	LOCK_EX = 2
	LOCK_NB = 4
	LOCK_UN = 8
)

const SYS_flock = 73

func init() {
	syscallTable[SYS_flock] = sysFlock
}

// flockCtx is one file's flock state (file_lock_context's flc_flock):
// the open files holding a lock, each shared or exclusive, and the tasks
// waiting for one.
type flockCtx struct {
	holders map[*OpenFile]bool // true: exclusive
	wait    fs.WaitQueue
}

// flocks maps a file (its inode, or the fs.File for files outside the
// namespace) to its locks; a context goes when its last lock does.
var flocks = struct {
	sync.Mutex
	m map[any]*flockCtx
}{m: map[any]*flockCtx{}}

// flockKey is what identifies the locked file: two opens of one inode
// contend.
func (k *Kernel) flockKey(of *OpenFile) any {
	if k.VFS != nil {
		if ino := k.VFS.InodeOf(of.File); ino != nil {
			return ino
		}
	}
	return of.File
}

// flockTry takes or drops of's lock; errno.EAGAIN means another open
// file holds a conflicting one. A conversion drops the old lock first, as
// Linux does (it is not atomic). The returned queue is where to wait.
func flockTry(key any, of *OpenFile, op int) (*fs.WaitQueue, error) {
	flocks.Lock()
	defer flocks.Unlock()
	ctx := flocks.m[key]
	if ctx == nil {
		if op == LOCK_UN {
			return nil, nil
		}
		ctx = &flockCtx{holders: map[*OpenFile]bool{}}
		flocks.m[key] = ctx
	}
	exclusive := op == LOCK_EX
	if held, ok := ctx.holders[of]; ok {
		if op != LOCK_UN && held == exclusive {
			return nil, nil
		}
		delete(ctx.holders, of)
		ctx.wait.WakeAll()
	}
	if op == LOCK_UN {
		if len(ctx.holders) == 0 {
			delete(flocks.m, key)
		}
		return nil, nil
	}
	for other, otherEx := range ctx.holders {
		if other != of && (exclusive || otherEx) {
			return &ctx.wait, errno.EAGAIN
		}
	}
	ctx.holders[of] = exclusive
	return nil, nil
}

// sysFlock is flock(fd, operation): LOCK_SH, LOCK_EX or LOCK_UN, with
// LOCK_NB for EWOULDBLOCK instead of sleeping. A sleeper is woken by every
// unlock and tries again; a signal ends the wait with ERESTARTSYS.
func sysFlock(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	op := int(int32(a[1]))
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	nb := op&LOCK_NB != 0
	op &^= LOCK_NB
	if op != LOCK_SH && op != LOCK_EX && op != LOCK_UN {
		return 0, errno.EINVAL
	}
	key := k.flockKey(of)
	q, err := flockTry(key, of, op)
	if err != errno.EAGAIN {
		if op != LOCK_UN {
			of.markFlocked(key)
		}
		return 0, err
	}
	if nb {
		return 0, errno.EAGAIN // EWOULDBLOCK
	}
	if k.signalPending(t) {
		return 0, errno.ERESTARTSYS
	}
	k.prepareToWait(t, q)
	if _, err = flockTry(key, of, op); err != errno.EAGAIN {
		k.finishWait(t, q)
		of.markFlocked(key)
		return 0, err
	}
	return 0, errBlock
}

// markFlocked records which file of holds a lock on, so that its last
// close looks for it.
func (of *OpenFile) markFlocked(key any) {
	of.mu.Lock()
	of.flockKey = key
	of.mu.Unlock()
}
