package sysv

import (
	"errors"
	"unsafe"

	"tamix/errno"
)

// Semaphore limits, flags and commands (include/uapi/linux/sem.h).
const (
	SEMMNI = 32000
	SEMMSL = 32000
	SEMMNS = SEMMNI * SEMMSL
	SEMOPM = 500
	SEMVMX = 32767
	SEMAEM = SEMVMX
	SEMUME = SEMOPM
	SEMMNU = SEMMNS
	SEMMAP = SEMMNS
	SEMUSZ = 20

	SEM_UNDO = 0x1000

	GETPID       = 11
	GETVAL       = 12
	GETALL       = 13
	GETNCNT      = 14
	GETZCNT      = 15
	SETVAL       = 16
	SETALL       = 17
	SEM_STAT     = 18
	SEM_INFO     = 19
	SEM_STAT_ANY = 20
)

// Sembuf is struct sembuf: one operation of a semop call.
type Sembuf struct {
	Num uint16
	Op  int16
	Flg int16
}

// sem is one semaphore (struct sem) with its queues of single-operation
// sleepers: those that change it (pending_alter) and those that wait for
// zero (pending_const).
type sem struct {
	val          int
	pid          int
	otime        int64
	pendingAlter []*SemQueue
	pendingConst []*SemQueue
}

// SemArray is a semaphore set (sem_array). Sleepers whose operation
// touches several semaphores ("complex" operations) queue on the array's
// own lists; while any does (complexCount > 0) the single-semaphore
// sleepers that alter are merged into the array's list too, so that they
// are tried in the order they came (merge_queues / unmerge_queues).
type SemArray struct {
	Perm
	ctime        int64
	sems         []sem
	pendingAlter []*SemQueue
	pendingConst []*SemQueue
	complexCount int
	undos        []*semUndo // list_id: the undo entries for this set
}

func (a *SemArray) perm() *Perm { return &a.Perm }

// errSemPending is a queued operation's status while it waits (Linux
// keeps -EINTR there; a distinct value reads better).
var errSemPending = errors.New("semop pending")

// SemQueue is a sleeping semtimedop (struct sem_queue). Whoever makes the
// operation possible performs it on the sleeper's behalf, sets status and
// wakes the sleeper, which then only collects the result.
type SemQueue struct {
	sma      *SemArray
	sops     []Sembuf
	undo     *semUndo
	pid      int
	alter    bool
	dupsop   bool
	blocking int // the index in sops of the operation that blocked
	status   error
	wake     func() bool
	list     *[]*SemQueue // the list it is on; nil once unlinked
}

// semUndo holds one process's adjustments for one set (struct sem_undo).
type semUndo struct {
	semid  int // -1 once the set is removed
	semadj []int
	ulp    *UndoList
}

// UndoList is a process's list of semUndo entries (sem_undo_list), shared
// by the tasks created with CLONE_SYSVSEM and applied when the last of
// them exits (exit_sem).
type UndoList struct {
	refs  int
	undos []*semUndo // list_proc, most recently used first
}

// SysvSem is a task's sysvsem: its undo list, made on first use.
type SysvSem struct {
	undoList *UndoList
}

// Semget is ksys_semget: EINVAL for nsems outside 0..SEMMSL, or 0 for a
// new set, or more than an existing set has; ENOSPC past SEMMNS.
func (ns *Namespace) Semget(key int32, nsems, flg int, c Caller) (int, error) {
	if nsems < 0 || nsems > ns.SemMSL {
		return 0, errno.EINVAL
	}
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	return ns.sem.ipcget(key, flg, c, func() (int, error) {
		// newary
		if nsems == 0 {
			return 0, errno.EINVAL
		}
		if ns.usedSems+nsems > ns.SemMNS {
			return 0, errno.ENOSPC
		}
		a := &SemArray{sems: make([]sem, nsems), ctime: ns.now()}
		a.Key = key
		a.Mode = uint32(flg) & sIRWXUGO
		if err := ns.sem.addID(a, ns.SemMNI, c); err != nil {
			return 0, err
		}
		ns.usedSems += nsems
		return a.ID, nil
	}, func(a *SemArray) error {
		if nsems > len(a.sems) {
			return errno.EINVAL // sem_more_checks
		}
		return nil
	})
}

// Semtimedop is __do_semtimedop up to the sleep: it performs sops
// atomically if it can (nil, nil), fails (nil, err), or queues the
// operation and returns it: the caller sleeps (wake makes it runnable)
// and then calls SemopWait. The caller has checked nsops against
// SemOPM and copied sops in.
func (ns *Namespace) Semtimedop(id int, sops []Sembuf, ss *SysvSem, c Caller, wake func() bool) (*SemQueue, error) {
	if len(sops) < 1 || id < 0 {
		return nil, errno.EINVAL
	}
	var max uint16
	var dup uint64
	undos, alter, dupsop := false, false, false
	for _, sop := range sops {
		mask := uint64(1) << (sop.Num % 64)
		max = maxU16(max, sop.Num)
		if sop.Flg&SEM_UNDO != 0 {
			undos = true
		}
		if dup&mask != 0 {
			// An earlier altering operation seems to touch the same
			// semaphore ("seems": only Num%64 is compared).
			dupsop = true
		}
		if sop.Op != 0 {
			alter = true
			dup |= mask
		}
	}
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	var un *semUndo
	if undos {
		var err error
		if un, err = ns.findAllocUndo(ss, id); err != nil {
			return nil, err
		}
	}
	a, err := ns.sem.obtainCheck(id)
	if err != nil {
		return nil, err
	}
	if int(max) >= len(a.sems) {
		return nil, errno.EFBIG
	}
	acc := uint32(0o444)
	if alter {
		acc = 0o222
	}
	if !ipcperms(&a.Perm, c, acc) {
		return nil, errno.EACCES
	}
	q := &SemQueue{sma: a, sops: sops, undo: un, pid: c.PID, alter: alter, dupsop: dupsop}
	switch r := ns.performAtomicSemop(a, q); {
	case r == 0:
		if alter {
			ns.doSmartUpdate(a, sops, true)
		} else {
			ns.setSemotime(a, sops)
		}
		return nil, nil
	case r < 0:
		return nil, errno.Errno(-r)
	}
	// Sleep: a single operation on the semaphore's own list, a complex
	// one (merging the single ones first) on the array's.
	if len(sops) == 1 {
		curr := &a.sems[sops[0].Num]
		switch {
		case alter && a.complexCount > 0:
			q.link(&a.pendingAlter)
		case alter:
			q.link(&curr.pendingAlter)
		default:
			q.link(&curr.pendingConst)
		}
	} else {
		if a.complexCount == 0 {
			a.mergeQueues()
		}
		if alter {
			q.link(&a.pendingAlter)
		} else {
			q.link(&a.pendingConst)
		}
		a.complexCount++
	}
	q.status = errSemPending
	q.wake = wake
	return q, nil
}

// SemopWait is the part of __do_semtimedop after each wake-up: done with
// the operation's result once another task performed it (or removed the
// set: EIDRM); else, when the sleep timed out (EAGAIN) or a signal came
// (EINTR, never restarted), the operation leaves its queue; otherwise
// the wake-up was spurious and the caller sleeps again.
func (ns *Namespace) SemopWait(q *SemQueue, timedOut, signalled bool) (done bool, err error) {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	if q.status != errSemPending {
		return true, q.status
	}
	switch {
	case timedOut:
		err = errno.EAGAIN
	case signalled:
		err = errno.EINTR
	default:
		return false, nil
	}
	q.sma.unlinkQueue(q)
	q.sma.unmergeQueues()
	return true, err
}

// SemopCancel takes a sleeping operation off its queue (its task is
// exiting without running the call again).
func (ns *Namespace) SemopCancel(q *SemQueue) {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	if q.list != nil {
		q.sma.unlinkQueue(q)
		q.sma.unmergeQueues()
	}
}

func maxU16(a, b uint16) uint16 {
	if a > b {
		return a
	}
	return b
}

func (q *SemQueue) link(l *[]*SemQueue) {
	*l = append(*l, q)
	q.list = l
}

// unlinkQueue is unlink_queue.
func (a *SemArray) unlinkQueue(q *SemQueue) {
	l := *q.list
	for i, x := range l {
		if x == q {
			*q.list = append(l[:i], l[i+1:]...)
			break
		}
	}
	q.list = nil
	if len(q.sops) > 1 {
		a.complexCount--
	}
}

// mergeQueues moves every semaphore's altering sleepers to the array's
// list, semaphore by semaphore (merge_queues).
func (a *SemArray) mergeQueues() {
	for i := range a.sems {
		s := &a.sems[i]
		for _, q := range s.pendingAlter {
			q.list = &a.pendingAlter
		}
		a.pendingAlter = append(a.pendingAlter, s.pendingAlter...)
		s.pendingAlter = nil
	}
}

// unmergeQueues puts the single-semaphore sleepers back on their
// semaphores' lists once no complex operation sleeps (unmerge_queues, run
// whenever the array's lock is dropped).
func (a *SemArray) unmergeQueues() {
	if a.complexCount > 0 {
		return
	}
	for _, q := range a.pendingAlter {
		q.link(&a.sems[q.sops[0].Num].pendingAlter)
	}
	a.pendingAlter = nil
}

// performAtomicSemop is perform_atomic_semop: 0 when every operation was
// done, 1 when the caller must sleep, or -errno (EAGAIN with IPC_NOWAIT,
// ERANGE past SEMVMX or the undo range). The semaphores change only when
// all operations can be done. With several operations on one semaphore
// (dupsop) each must see the effect of the ones before, so they are done
// one by one and rolled back on failure (perform_atomic_semop_slow).
func (ns *Namespace) performAtomicSemop(a *SemArray, q *SemQueue) int {
	un := q.undo
	if q.dupsop {
		return performAtomicSemopSlow(a, q)
	}
	for i, sop := range q.sops {
		curr := &a.sems[sop.Num]
		result := curr.val
		if sop.Op == 0 && result != 0 {
			return q.wouldBlock(i)
		}
		result += int(sop.Op)
		if result < 0 {
			return q.wouldBlock(i)
		}
		if result > SEMVMX {
			return -int(errno.ERANGE)
		}
		if sop.Flg&SEM_UNDO != 0 {
			if undo := un.semadj[sop.Num] - int(sop.Op); undo < -SEMAEM-1 || undo > SEMAEM {
				return -int(errno.ERANGE)
			}
		}
	}
	for _, sop := range q.sops {
		curr := &a.sems[sop.Num]
		if sop.Flg&SEM_UNDO != 0 {
			un.semadj[sop.Num] -= int(sop.Op)
		}
		curr.val += int(sop.Op)
		curr.pid = q.pid
	}
	return 0
}

func performAtomicSemopSlow(a *SemArray, q *SemQueue) int {
	un := q.undo
	undo := func(n int, r int) int {
		for i := n - 1; i >= 0; i-- {
			sop := q.sops[i]
			a.sems[sop.Num].val -= int(sop.Op)
			if sop.Flg&SEM_UNDO != 0 {
				un.semadj[sop.Num] += int(sop.Op)
			}
		}
		return r
	}
	for i, sop := range q.sops {
		curr := &a.sems[sop.Num]
		result := curr.val
		if sop.Op == 0 && result != 0 {
			return undo(i, q.wouldBlock(i))
		}
		result += int(sop.Op)
		if result < 0 {
			return undo(i, q.wouldBlock(i))
		}
		if result > SEMVMX {
			return undo(i, -int(errno.ERANGE))
		}
		if sop.Flg&SEM_UNDO != 0 {
			adj := un.semadj[sop.Num] - int(sop.Op)
			if adj < -SEMAEM-1 || adj > SEMAEM {
				return undo(i, -int(errno.ERANGE))
			}
			un.semadj[sop.Num] = adj
		}
		curr.val = result
	}
	for _, sop := range q.sops {
		a.sems[sop.Num].pid = q.pid
	}
	return 0
}

func (q *SemQueue) wouldBlock(i int) int {
	q.blocking = i
	if q.sops[i].Flg&IPC_NOWAIT != 0 {
		return -int(errno.EAGAIN)
	}
	return 1
}

// wakeQueue is wake_up_sem_queue_prepare: the sleeper's result is in and
// it is made runnable.
func wakeQueue(q *SemQueue, err error) {
	q.status = err
	q.wake()
}

// semResult turns performAtomicSemop's answer into a status.
func semResult(r int) error {
	if r < 0 {
		return errno.Errno(-r)
	}
	return nil
}

// wakeConstOps is wake_const_ops: the wait-for-zero sleepers of semaphore
// semnum (-1: the array's complex ones) that can now go, go.
func (ns *Namespace) wakeConstOps(a *SemArray, semnum int) bool {
	l := &a.pendingConst
	if semnum >= 0 {
		l = &a.sems[semnum].pendingConst
	}
	completed := false
	for i := 0; i < len(*l); {
		q := (*l)[i]
		r := ns.performAtomicSemop(a, q)
		if r > 0 {
			i++
			continue
		}
		a.unlinkQueue(q)
		wakeQueue(q, semResult(r))
		completed = true
	}
	return completed
}

// doSmartWakeupZero is do_smart_wakeup_zero: after sops (nil: any
// semaphore) changed values, wake the wait-for-zero sleepers of the
// semaphores that are now 0, then the complex ones.
func (ns *Namespace) doSmartWakeupZero(a *SemArray, sops []Sembuf) bool {
	completed, gotZero := false, false
	if sops != nil {
		for _, sop := range sops {
			if a.sems[sop.Num].val == 0 {
				gotZero = true
				completed = ns.wakeConstOps(a, int(sop.Num)) || completed
			}
		}
	} else {
		for i := range a.sems {
			if a.sems[i].val == 0 {
				gotZero = true
				completed = ns.wakeConstOps(a, i) || completed
			}
		}
	}
	if gotZero {
		completed = ns.wakeConstOps(a, -1) || completed
	}
	return completed
}

// updateQueue is update_queue: try the altering sleepers of semaphore
// semnum (-1: the array's list) in order, performing each that can go. A
// completed complex operation (or any while complex ones wait) may enable
// earlier ones, so the scan starts over (check_restart).
func (ns *Namespace) updateQueue(a *SemArray, semnum int) bool {
	l := &a.pendingAlter
	if semnum >= 0 {
		l = &a.sems[semnum].pendingAlter
	}
	completed := false
again:
	for i := 0; i < len(*l); {
		// A decrement cannot succeed on a semaphore at 0, and
		// increments never sleep here: nothing more to do.
		if semnum >= 0 && a.sems[semnum].val == 0 {
			break
		}
		q := (*l)[i]
		r := ns.performAtomicSemop(a, q)
		if r > 0 {
			i++
			continue
		}
		a.unlinkQueue(q)
		restart := false
		if r == 0 {
			completed = true
			ns.doSmartWakeupZero(a, q.sops)
			restart = len(a.pendingAlter) > 0 || len(q.sops) > 1
		}
		wakeQueue(q, semResult(r))
		if restart {
			goto again
		}
	}
	return completed
}

// doSmartUpdate is do_smart_update: after sops (nil: unknown, e.g.
// SETALL or exit_sem) changed semaphores, wake every sleeper that can now
// complete, and note the operation time when told to or when a sleeper
// completed.
func (ns *Namespace) doSmartUpdate(a *SemArray, sops []Sembuf, otime bool) {
	otime = ns.doSmartWakeupZero(a, sops) || otime
	switch {
	case len(a.pendingAlter) > 0:
		otime = ns.updateQueue(a, -1) || otime
	case sops == nil:
		for i := range a.sems {
			otime = ns.updateQueue(a, i) || otime
		}
	default:
		// Only an increment can let a sleeping decrement go.
		for _, sop := range sops {
			if sop.Op > 0 {
				otime = ns.updateQueue(a, int(sop.Num)) || otime
			}
		}
	}
	if otime {
		ns.setSemotime(a, sops)
	}
	a.unmergeQueues()
}

// setSemotime records the time of the last operation on the first
// semaphore it touched (semaphore 0 when unknown).
func (ns *Namespace) setSemotime(a *SemArray, sops []Sembuf) {
	n := 0
	if sops != nil {
		n = int(sops[0].Num)
	}
	a.sems[n].otime = ns.now()
}

// findAllocUndo is find_alloc_undo, with sem.mu held: the caller's undo
// entry for set id, made (with the undo list itself) on first use.
func (ns *Namespace) findAllocUndo(ss *SysvSem, id int) (*semUndo, error) {
	if ss.undoList == nil {
		ss.undoList = &UndoList{refs: 1}
	}
	ulp := ss.undoList
	for i, un := range ulp.undos {
		if un.semid == id {
			// lookup_undo moves it to the front.
			copy(ulp.undos[1:i+1], ulp.undos[:i])
			ulp.undos[0] = un
			return un, nil
		}
	}
	a, err := ns.sem.obtainCheck(id)
	if err != nil {
		return nil, err
	}
	un := &semUndo{semid: id, semadj: make([]int, len(a.sems)), ulp: ulp}
	ulp.undos = append([]*semUndo{un}, ulp.undos...)
	a.undos = append([]*semUndo{un}, a.undos...)
	return un, nil
}

// CopySemundo is copy_semundo at clone: with CLONE_SYSVSEM the child
// shares the parent's undo list (made now if need be); otherwise it starts
// without one (fork does not inherit semaphore adjustments).
func (ns *Namespace) CopySemundo(parent, child *SysvSem, share bool) {
	child.undoList = nil
	if !share {
		return
	}
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	if parent.undoList == nil {
		parent.undoList = &UndoList{refs: 1}
	}
	parent.undoList.refs++
	child.undoList = parent.undoList
}

// ExitSem is exit_sem: when the last task sharing the undo list exits,
// each set it touched gets its adjustments back (clamped to
// 0..SEMVMX), and sleepers that can now go are woken.
func (ns *Namespace) ExitSem(ss *SysvSem, pid int) {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	ulp := ss.undoList
	ss.undoList = nil
	if ulp == nil {
		return
	}
	if ulp.refs--; ulp.refs > 0 {
		return
	}
	for _, un := range ulp.undos {
		if un.semid == -1 {
			continue
		}
		a, err := ns.sem.obtainCheck(un.semid)
		if err != nil {
			continue
		}
		for i, x := range a.undos {
			if x == un {
				a.undos = append(a.undos[:i], a.undos[i+1:]...)
				break
			}
		}
		for i, adj := range un.semadj {
			if adj == 0 {
				continue
			}
			s := &a.sems[i]
			s.val = min(max(s.val+adj, 0), SEMVMX)
			s.pid = pid
		}
		ns.doSmartUpdate(a, nil, true)
	}
	ulp.undos = nil
}

// freeary is freeary: every undo entry for the set is dropped and every
// sleeper fails with EIDRM; then the id goes.
func (ns *Namespace) freeary(a *SemArray) {
	for _, un := range a.undos {
		un.semid = -1
		ulp := un.ulp
		for i, x := range ulp.undos {
			if x == un {
				ulp.undos = append(ulp.undos[:i], ulp.undos[i+1:]...)
				break
			}
		}
	}
	a.undos = nil
	idrm := func(l *[]*SemQueue) {
		for len(*l) > 0 {
			q := (*l)[0]
			a.unlinkQueue(q)
			wakeQueue(q, errno.EIDRM)
		}
	}
	idrm(&a.pendingConst)
	idrm(&a.pendingAlter)
	for i := range a.sems {
		idrm(&a.sems[i].pendingConst)
		idrm(&a.sems[i].pendingAlter)
	}
	ns.sem.rmID(a)
	ns.usedSems -= len(a.sems)
}

// SemidDS is struct semid64_ds.
type SemidDS struct {
	Perm         Perm64
	Otime, Ctime int64
	Nsems        uint64
}

// SemInfo is struct seminfo (IPC_INFO, SEM_INFO).
type SemInfo struct {
	Semmap, Semmni, Semmns, Semmnu, Semmsl, Semopm, Semume, Semusz, Semvmx, Semaem int32
}

// SemCtlInfo is semctl_info: the limits (IPC_INFO) or, for SEM_INFO, the
// sets in use (semusz) and semaphores in use (semaem) in their place; and
// the highest index in use.
func (ns *Namespace) SemCtlInfo(cmd int) (SemInfo, int) {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	si := SemInfo{Semmni: int32(ns.SemMNI), Semmns: int32(ns.SemMNS), Semmsl: int32(ns.SemMSL),
		Semopm: int32(ns.SemOPM), Semvmx: SEMVMX, Semmnu: SEMMNU, Semmap: SEMMAP, Semume: SEMUME,
		Semusz: SEMUSZ, Semaem: SEMAEM}
	if cmd == SEM_INFO {
		si.Semusz, si.Semaem = int32(ns.sem.inUse), int32(ns.usedSems)
	}
	return si, ns.sem.maxIdxForInfo()
}

// SemCtlStat is semctl_stat (IPC_STAT by id → 0; SEM_STAT, SEM_STAT_ANY by
// index → the id).
func (ns *Namespace) SemCtlStat(id, cmd int, c Caller) (SemidDS, int, error) {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	var a *SemArray
	var err error
	if cmd == IPC_STAT {
		a, err = ns.sem.obtainCheck(id)
	} else {
		a, err = ns.sem.obtainIdx(id)
	}
	if err != nil {
		return SemidDS{}, 0, err
	}
	if cmd != SEM_STAT_ANY && !ipcperms(&a.Perm, c, 0o444) {
		return SemidDS{}, 0, errno.EACCES
	}
	ret := 0
	if cmd != IPC_STAT {
		ret = a.ID
	}
	return a.stat(), ret, nil
}

func (a *SemArray) stat() SemidDS {
	var otime int64
	for i := range a.sems {
		otime = max(otime, a.sems[i].otime)
	}
	return SemidDS{Perm: a.to64(), Otime: otime, Ctime: a.ctime, Nsems: uint64(len(a.sems))}
}

// SemSetVal is semctl_setval: ERANGE outside 0..SEMVMX (checked first),
// EINVAL for a bad semnum; every process's adjustment for the semaphore is
// cleared.
func (ns *Namespace) SemSetVal(id, semnum, val int, c Caller) error {
	if val > SEMVMX || val < 0 {
		return errno.ERANGE
	}
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	a, err := ns.sem.obtainCheck(id)
	if err != nil {
		return err
	}
	if semnum < 0 || semnum >= len(a.sems) {
		return errno.EINVAL
	}
	if !ipcperms(&a.Perm, c, 0o222) {
		return errno.EACCES
	}
	for _, un := range a.undos {
		un.semadj[semnum] = 0
	}
	a.sems[semnum].val = val
	a.sems[semnum].pid = c.PID
	a.ctime = ns.now()
	ns.doSmartUpdate(a, nil, false)
	return nil
}

// SemNsems returns the size of set id after the permission check of
// GETALL (read) or SETALL (write): the caller needs it to copy the values.
func (ns *Namespace) SemNsems(id int, write bool, c Caller) (int, error) {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	a, err := ns.sem.obtainCheck(id)
	if err != nil {
		return 0, err
	}
	acc := uint32(0o444)
	if write {
		acc = 0o222
	}
	if !ipcperms(&a.Perm, c, acc) {
		return 0, errno.EACCES
	}
	return len(a.sems), nil
}

// SemGetAll is GETALL.
func (ns *Namespace) SemGetAll(id int, c Caller) ([]uint16, error) {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	a, err := ns.sem.obtainCheck(id)
	if err != nil {
		return nil, err
	}
	if !ipcperms(&a.Perm, c, 0o444) {
		return nil, errno.EACCES
	}
	out := make([]uint16, len(a.sems))
	for i := range a.sems {
		out[i] = uint16(a.sems[i].val)
	}
	return out, nil
}

// SemSetAll is SETALL: ERANGE for a value above SEMVMX; every adjustment
// for the set is cleared.
func (ns *Namespace) SemSetAll(id int, vals []uint16, c Caller) error {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	a, err := ns.sem.obtainCheck(id)
	if err != nil {
		return err
	}
	if !ipcperms(&a.Perm, c, 0o222) {
		return errno.EACCES
	}
	if len(vals) != len(a.sems) {
		return errno.EIDRM // the set was replaced since the caller sized it
	}
	for _, v := range vals {
		if v > SEMVMX {
			return errno.ERANGE
		}
	}
	for i, v := range vals {
		a.sems[i].val = int(v)
		a.sems[i].pid = c.PID
	}
	for _, un := range a.undos {
		clear(un.semadj)
	}
	a.ctime = ns.now()
	ns.doSmartUpdate(a, nil, false)
	return nil
}

// SemGet answers GETVAL, GETPID, GETNCNT and GETZCNT for one semaphore.
func (ns *Namespace) SemGet(id, semnum, cmd int, c Caller) (int, error) {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	a, err := ns.sem.obtainCheck(id)
	if err != nil {
		return 0, err
	}
	if !ipcperms(&a.Perm, c, 0o444) {
		return 0, errno.EACCES
	}
	if semnum < 0 || semnum >= len(a.sems) {
		return 0, errno.EINVAL
	}
	s := &a.sems[semnum]
	switch cmd {
	case GETVAL:
		return s.val, nil
	case GETPID:
		return s.pid, nil
	case GETNCNT:
		return a.countSemcnt(semnum, false), nil
	case GETZCNT:
		return a.countSemcnt(semnum, true), nil
	}
	return 0, errno.EINVAL
}

// countSemcnt is count_semcnt: the sleepers whose blocking operation is a
// decrement (GETNCNT) or a wait for zero (GETZCNT) of semaphore semnum.
func (a *SemArray) countSemcnt(semnum int, zero bool) int {
	n := 0
	count := func(l []*SemQueue) {
		for _, q := range l {
			sop := q.sops[q.blocking]
			if int(sop.Num) == semnum && (zero && sop.Op == 0 || !zero && sop.Op < 0) {
				n++
			}
		}
	}
	s := &a.sems[semnum]
	if zero {
		count(s.pendingConst)
		count(a.pendingConst)
	} else {
		count(s.pendingAlter)
	}
	count(a.pendingAlter)
	return n
}

// SemCtlDown is semctl_down: IPC_RMID (freeary) or IPC_SET.
func (ns *Namespace) SemCtlDown(id, cmd int, ds *SemidDS, c Caller) error {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	a, err := ns.sem.obtainCheck(id)
	if err != nil {
		return err
	}
	if !ownerOrAdmin(&a.Perm, c) {
		return errno.EPERM
	}
	switch cmd {
	case IPC_RMID:
		ns.freeary(a)
	case IPC_SET:
		if err := a.setPerm(ds.Perm); err != nil {
			return err
		}
		a.ctime = ns.now()
	default:
		return errno.EINVAL
	}
	return nil
}

// SemEntry is a line of /proc/sysvipc/sem.
type SemEntry struct {
	ID int
	SemidDS
}

// SemSets lists the sets in index order.
func (ns *Namespace) SemSets() []SemEntry {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	var out []SemEntry
	for _, a := range ns.sem.all() {
		out = append(out, SemEntry{a.ID, a.stat()})
	}
	return out
}

// UndoListAddr identifies ss's undo list for kcmp(KCMP_SYSVSEM): tasks
// sharing one (CLONE_SYSVSEM) give the same value; 0 means none yet.
func (ns *Namespace) UndoListAddr(ss *SysvSem) uintptr {
	ns.sem.mu.Lock()
	defer ns.sem.mu.Unlock()
	return uintptr(unsafe.Pointer(ss.undoList))
}
