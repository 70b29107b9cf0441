// Package sysv is System V IPC as Linux implements it (ipc/util.c,
// ipc/shm.c, ipc/sem.c, ipc/msg.c): shared memory segments, semaphore sets
// and message queues, each named by a key and an id.
//
// An object's id is seq*SEQ_MULTIPLIER + index, as in Linux: the index is
// the object's slot (allocated cyclically, so a freed slot is not reused at
// once) and seq counts how often the allocation wrapped, so a stale id of a
// removed object is EINVAL rather than another object's.
//
// Locking is simpler than Linux's (an rwsem per kind plus a spinlock per
// object): one mutex per kind guards all its objects. Blocking operations
// never sleep here: they queue an entry, tell the caller to sleep, and are
// resumed by the caller when the task runs again (see Semop, Msgsnd,
// Msgrcv).
package sysv

import (
	"sync"

	"tamix/errno"
)

// Flags and commands shared by the three kinds (include/uapi/linux/ipc.h).
const (
	IPC_PRIVATE = 0

	IPC_CREAT  = 0o1000
	IPC_EXCL   = 0o2000
	IPC_NOWAIT = 0o4000

	IPC_RMID = 0
	IPC_SET  = 1
	IPC_STAT = 2
	IPC_INFO = 3

	// IPC_64 is the "new" structure layout flag some ABIs put in cmd; the
	// x86-64 system calls take cmd as it is (no ipc_parse_version), so a
	// command with it is EINVAL, as on Linux.
	IPC_64 = 0x100
)

// IPCMNI bounds the index part of an id (ipc_mni without ipcmni_extend);
// SEQ_MULTIPLIER is the weight of the sequence number.
const (
	IPCMNI         = 32768
	IPCMNI_SHIFT   = 15
	SEQ_MULTIPLIER = IPCMNI
	ipcidSeqMax    = 0x7fffffff >> IPCMNI_SHIFT
	ipcMinCycle    = 64 // RADIX_TREE_MAP_SIZE: ids cycle through at least this many slots
	sIRWXUGO       = 0o777
)

// Perm is an object's kern_ipc_perm: who owns it, its mode, its key and id.
type Perm struct {
	Key        int32
	ID         int
	UID, GID   uint32
	CUID, CGID uint32
	Mode       uint32
	Seq        uint32
	deleted    bool
	idx        int
}

// kernIPC is what each kind's object is: a struct holding its Perm.
type kernIPC interface {
	comparable
	perm() *Perm
}

// Caller is who asks: the calling process (its tgid, which the *pid
// fields record), the thread, and the credentials: the effective user and
// group IDs, group membership (in_group_p) and the capabilities IPC
// checks.
type Caller struct {
	PID      int
	TID      int
	UID, GID uint32 // euid, egid
	// InGroup reports membership of a group (nil: only GID).
	InGroup func(gid uint32) bool
	// CapIPCOwner bypasses the mode bits; CapSysAdmin may change and
	// remove any object; CapSysResource may raise msg_qbytes.
	CapIPCOwner, CapSysAdmin, CapSysResource bool
}

// inGroup is in_group_p for c.
func (c Caller) inGroup(gid uint32) bool {
	if c.InGroup != nil {
		return c.InGroup(gid)
	}
	return gid == c.GID
}

// ipcperms is Linux's ipcperms: flag holds the requested rwx bits in any of
// the three positions; CAP_IPC_OWNER passes every check.
func ipcperms(p *Perm, c Caller, flag uint32) bool {
	granted := p.Mode
	switch {
	case c.UID == p.CUID || c.UID == p.UID:
		granted >>= 6
	case c.inGroup(p.CGID) || c.inGroup(p.GID):
		granted >>= 3
	}
	requested := (flag>>6 | flag>>3 | flag) & 7
	return requested&^granted&7 == 0 || c.CapIPCOwner
}

// ownerOrAdmin is the check of IPC_SET and IPC_RMID (ipcctl_obtain_check):
// the owner, the creator or CAP_SYS_ADMIN.
func ownerOrAdmin(p *Perm, c Caller) bool {
	return c.UID == p.CUID || c.UID == p.UID || c.CapSysAdmin
}

// Perm64 is struct ipc64_perm as the system calls read and write it.
type Perm64 struct {
	Key                  int32
	UID, GID, CUID, CGID uint32
	Mode                 uint32
	Seq                  uint16
}

func (p *Perm) to64() Perm64 {
	return Perm64{Key: p.Key, UID: p.UID, GID: p.GID, CUID: p.CUID, CGID: p.CGID, Mode: p.Mode, Seq: uint16(p.Seq)}
}

// setPerm is ipc_update_perm for IPC_SET: owner and the rwx bits. A uid or
// gid of -1 does not map to a user and is EINVAL (make_kuid).
func (p *Perm) setPerm(in Perm64) error {
	if in.UID == ^uint32(0) || in.GID == ^uint32(0) {
		return errno.EINVAL
	}
	p.UID, p.GID = in.UID, in.GID
	p.Mode = p.Mode&^sIRWXUGO | in.Mode&sIRWXUGO
	return nil
}

// ids is one kind's ipc_ids: the objects by index, the key table, and the
// counters that make ids.
type ids[T kernIPC] struct {
	mu      sync.Mutex
	slots   []T         // by index (the idr); the zero T in a free slot
	keys    map[int32]T // key → object, for keys other than IPC_PRIVATE
	inUse   int
	seq     uint32
	lastIdx int // the index allocated last (-1 at first)
	nextIdx int // where the cyclic search starts (idr_next)
	maxIdx  int // the highest index in use (-1 when empty)
}

func (s *ids[T]) init() {
	s.keys = map[int32]T{}
	s.lastIdx, s.maxIdx = -1, -1
}

// findKey is ipc_findkey.
func (s *ids[T]) findKey(key int32) (T, bool) {
	o, ok := s.keys[key]
	return o, ok
}

// idrAllocCyclic returns the lowest free index in [next, end), else in
// [0, end): idr_alloc_cyclic.
func (s *ids[T]) idrAllocCyclic(end int) int {
	var zero T
	try := func(from int) int {
		for i := from; i < end; i++ {
			if i >= len(s.slots) || s.slots[i] == zero {
				return i
			}
		}
		return -1
	}
	idx := try(s.nextIdx)
	if idx < 0 && s.nextIdx > 0 {
		idx = try(0)
	}
	if idx >= 0 {
		s.nextIdx = idx + 1
	}
	return idx
}

// addID is ipc_addid: it gives o an index, a sequence number and its id,
// and makes its key findable. ENOSPC beyond limit objects.
func (s *ids[T]) addID(o T, limit int, c Caller) error {
	limit = min(limit, IPCMNI)
	if s.inUse >= limit {
		return errno.ENOSPC
	}
	p := o.perm()
	p.UID, p.CUID = c.UID, c.UID
	p.GID, p.CGID = c.GID, c.GID
	p.deleted = false
	// ipc_idr_alloc: ids cycle through max(in_use*3/2, 64) slots, and
	// the sequence number steps when the cycle starts over.
	idx := s.idrAllocCyclic(min(max(s.inUse*3/2, ipcMinCycle), IPCMNI))
	if idx < 0 {
		return errno.ENOSPC
	}
	if idx <= s.lastIdx {
		s.seq++
		if s.seq >= ipcidSeqMax {
			s.seq = 0
		}
	}
	s.lastIdx = idx
	p.Seq = s.seq
	p.idx = idx
	p.ID = int(p.Seq)<<IPCMNI_SHIFT + idx
	for len(s.slots) <= idx {
		var zero T
		s.slots = append(s.slots, zero)
	}
	s.slots[idx] = o
	if p.Key != IPC_PRIVATE {
		s.keys[p.Key] = o
	}
	s.inUse++
	s.maxIdx = max(s.maxIdx, idx)
	return nil
}

// rmID is ipc_rmid: the object leaves the tables and is marked deleted
// (ipc_valid_object is false from now on).
func (s *ids[T]) rmID(o T) {
	var zero T
	p := o.perm()
	s.slots[p.idx] = zero
	if p.Key != IPC_PRIVATE && s.keys[p.Key] == o {
		delete(s.keys, p.Key)
	}
	s.inUse--
	p.deleted = true
	for s.maxIdx >= 0 && s.slots[s.maxIdx] == zero {
		s.maxIdx--
	}
}

// setKeyPrivate is ipc_set_key_private: the object keeps its id but no key
// finds it any more (a removed segment that is still attached).
func (s *ids[T]) setKeyPrivate(o T) {
	p := o.perm()
	if p.Key != IPC_PRIVATE && s.keys[p.Key] == o {
		delete(s.keys, p.Key)
	}
	p.Key = IPC_PRIVATE
}

// obtainCheck is ipc_obtain_object_check: the object with this id, or
// EINVAL for a free slot or a stale sequence number.
func (s *ids[T]) obtainCheck(id int) (T, error) {
	var zero T
	if id < 0 {
		return zero, errno.EINVAL
	}
	o, err := s.obtainIdx(id & (IPCMNI - 1))
	if err != nil {
		return zero, err
	}
	if uint32(id>>IPCMNI_SHIFT) != o.perm().Seq {
		return zero, errno.EINVAL
	}
	return o, nil
}

// obtainIdx is ipc_obtain_object_idr, which the *_STAT commands use with
// an index instead of an id.
func (s *ids[T]) obtainIdx(idx int) (T, error) {
	var zero T
	if idx < 0 || idx >= len(s.slots) || s.slots[idx] == zero {
		return zero, errno.EINVAL
	}
	return s.slots[idx], nil
}

// maxIdxForInfo is ipc_get_maxidx as the *_INFO commands return it: the
// highest index in use, 0 when there is none.
func (s *ids[T]) maxIdxForInfo() int {
	if s.inUse == IPCMNI {
		return IPCMNI - 1
	}
	return max(s.maxIdx, 0)
}

// all returns the live objects in index order (for /proc/sysvipc).
func (s *ids[T]) all() []T {
	var out []T
	var zero T
	for _, o := range s.slots {
		if o != zero {
			out = append(out, o)
		}
	}
	return out
}

// ipcget is ipcget_new/ipcget_public, with s.mu held: IPC_PRIVATE always
// creates; a key finds its object (EEXIST with IPC_CREAT|IPC_EXCL,
// moreChecks for the kind's own test, then the permission check) or
// creates one with IPC_CREAT, else ENOENT. It returns the id.
func (s *ids[T]) ipcget(key int32, flg int, c Caller, getnew func() (int, error), moreChecks func(T) error) (int, error) {
	if key == IPC_PRIVATE {
		return getnew()
	}
	o, ok := s.findKey(key)
	if !ok {
		if flg&IPC_CREAT == 0 {
			return 0, errno.ENOENT
		}
		return getnew()
	}
	if flg&IPC_CREAT != 0 && flg&IPC_EXCL != 0 {
		return 0, errno.EEXIST
	}
	if moreChecks != nil {
		if err := moreChecks(o); err != nil {
			return 0, err
		}
	}
	if !ipcperms(o.perm(), c, uint32(flg)) {
		return 0, errno.EACCES
	}
	return o.perm().ID, nil
}
