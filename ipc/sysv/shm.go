package sysv

import (
	"fmt"

	"tamix/errno"
	"tamix/mm"
)

// Shared memory limits, flags and commands (include/uapi/linux/shm.h).
const (
	SHMMIN = 1
	SHMMNI = 4096
	SHMMAX = ^uint64(0) - 1<<24 // bytes
	SHMALL = ^uint64(0) - 1<<24 // pages
	SHMSEG = SHMMNI
	SHMLBA = mm.PageSize // x86: attaches are page aligned

	SHM_RDONLY = 0o10000
	SHM_RND    = 0o20000
	SHM_REMAP  = 0o40000
	SHM_EXEC   = 0o100000

	SHM_HUGETLB   = 0o4000
	SHM_NORESERVE = 0o10000

	SHM_DEST   = 0o1000 // mode bit: removed, lives until the last detach
	SHM_LOCKED = 0o2000 // mode bit: SHM_LOCK'ed

	SHM_LOCK     = 11
	SHM_UNLOCK   = 12
	SHM_STAT     = 13
	SHM_INFO     = 14
	SHM_STAT_ANY = 15
)

// Segment is a shared memory segment (shmid_kernel). Its pages are an
// mm.SharedObject; every VMA that maps it counts in nattch through the
// mm.VMOps hooks (shm_open/shm_close), so fork raises the count and exit,
// exec and munmap lower it.
type Segment struct {
	Perm
	ns                  *Namespace
	obj                 *mm.SharedObject
	name                string
	segsz               uint64
	atime, dtime, ctime int64
	cpid, lpid          int
	nattch              uint64
}

func (s *Segment) perm() *Perm { return &s.Perm }

// Open is shm_open: one more VMA maps the segment.
func (s *Segment) Open(*mm.VMA) {
	s.ns.shm.mu.Lock()
	s.nattch++
	s.atime = s.ns.now()
	s.ns.shm.mu.Unlock()
}

// Close is shm_close: a VMA went; the last one of a removed segment
// destroys it.
func (s *Segment) Close(*mm.VMA) {
	s.ns.shm.mu.Lock()
	s.nattch--
	s.dtime = s.ns.now()
	if s.mayDestroy() {
		s.ns.shmDestroy(s)
	}
	s.ns.shm.mu.Unlock()
}

// Name is the name of the segment's file in /proc/PID/maps.
func (s *Segment) Name() string { return s.name }

// Ino is the inode number of the segment's file: its id.
func (s *Segment) Ino() uint64 { return uint64(s.ID) }

// mayDestroy is shm_may_destroy (shm_rmid_forced is 0).
func (s *Segment) mayDestroy() bool { return s.nattch == 0 && s.Mode&SHM_DEST != 0 }

// shmDestroy is shm_destroy, with shm.mu held: the id goes and the pages
// go with the last attach (each holds a reference to the object).
func (ns *Namespace) shmDestroy(s *Segment) {
	ns.shmTot -= pages(s.segsz)
	ns.shm.rmID(s)
	s.obj.Put()
}

func pages(size uint64) uint64 { return (size + mm.PageSize - 1) / mm.PageSize }

// Shmget is ksys_shmget: the id of the segment with this key, or a new one
// of size bytes. EINVAL for a size outside SHMMIN..shmmax or larger than
// the existing segment's, ENOSPC past the limits, ENOMEM when the size is
// more than memory (heuristic overcommit) without SHM_NORESERVE.
func (ns *Namespace) Shmget(key int32, size uint64, flg int, c Caller) (int, error) {
	ns.shm.mu.Lock()
	defer ns.shm.mu.Unlock()
	return ns.shm.ipcget(key, flg, c, func() (int, error) { return ns.newseg(key, size, flg, c) },
		func(s *Segment) error {
			if s.segsz < size {
				return errno.EINVAL // shm_more_checks
			}
			return nil
		})
}

// newseg creates a segment, with shm.mu held.
func (ns *Namespace) newseg(key int32, size uint64, flg int, c Caller) (int, error) {
	if size < SHMMIN || size > ns.ShmCtlMax {
		return 0, errno.EINVAL
	}
	n := pages(size)
	if n*mm.PageSize < size {
		return 0, errno.ENOSPC
	}
	if ns.shmTot+n < ns.shmTot || ns.shmTot+n > ns.ShmCtlAll {
		return 0, errno.ENOSPC
	}
	if flg&SHM_HUGETLB != 0 {
		return 0, errno.ENOMEM // no huge pages reserved (nr_hugepages = 0)
	}
	if flg&SHM_NORESERVE == 0 && n > uint64(ns.frames.TotalCount()) {
		return 0, errno.ENOMEM // shmem_acct_size: more than memory
	}
	s := &Segment{ns: ns, segsz: size, cpid: c.PID, ctime: ns.now()}
	s.Key = key
	s.Mode = uint32(flg) & sIRWXUGO
	if err := ns.shm.addID(s, ns.ShmCtlMNI, c); err != nil {
		return 0, err
	}
	s.obj = mm.NewSharedObject(ns.frames, n)
	s.name = fmt.Sprintf("/SYSV%08x (deleted)", uint32(key))
	ns.shmTot += n
	return s.ID, nil
}

// Shmat is do_shmat: it maps the segment into m and returns the address.
// A non-zero addr must be page aligned unless SHM_RND rounds it down; it
// may not overlap a mapping unless SHM_REMAP. The segment is pinned
// (nattch+1) while it is mapped without the lock, so a concurrent
// IPC_RMID cannot destroy it under us.
func (ns *Namespace) Shmat(id int, addr uint64, flg int, c Caller, m *mm.MM) (uint64, error) {
	if id < 0 {
		return 0, errno.EINVAL
	}
	if addr != 0 {
		if addr&(SHMLBA-1) != 0 {
			if flg&SHM_RND == 0 {
				return 0, errno.EINVAL
			}
			addr &^= SHMLBA - 1
			if addr == 0 && flg&SHM_REMAP != 0 {
				return 0, errno.EINVAL
			}
		}
	} else if flg&SHM_REMAP != 0 {
		return 0, errno.EINVAL
	}
	prot, acc := mm.PROT_READ|mm.PROT_WRITE, uint32(0o666)
	if flg&SHM_RDONLY != 0 {
		prot, acc = mm.PROT_READ, 0o444
	}
	if flg&SHM_EXEC != 0 {
		prot |= mm.PROT_EXEC
		acc |= 0o111
	}

	ns.shm.mu.Lock()
	s, err := ns.shm.obtainCheck(id)
	if err != nil {
		ns.shm.mu.Unlock()
		return 0, err
	}
	if !ipcperms(&s.Perm, c, acc) {
		ns.shm.mu.Unlock()
		return 0, errno.EACCES
	}
	if s.deleted {
		ns.shm.mu.Unlock()
		return 0, errno.EIDRM
	}
	s.nattch++
	size := s.segsz
	ns.shm.mu.Unlock()

	va, err := m.MmapObject(addr, size, prot, addr != 0, flg&SHM_REMAP != 0, s.obj, s)

	ns.shm.mu.Lock()
	s.nattch--
	if err == nil {
		s.lpid = c.PID
	}
	if s.mayDestroy() {
		ns.shmDestroy(s)
	}
	ns.shm.mu.Unlock()
	return va, err
}

// Shmdt is ksys_shmdt: it unmaps the attach at addr from m.
func (ns *Namespace) Shmdt(addr uint64, c Caller, m *mm.MM) error {
	ops, err := m.Shmdt(addr, func(o mm.VMOps) bool {
		s, ok := o.(*Segment)
		return ok && s.ns == ns
	})
	if err != nil {
		return err
	}
	s := ops.(*Segment)
	ns.shm.mu.Lock()
	s.lpid = c.PID // shm_close sets it to the caller
	ns.shm.mu.Unlock()
	return nil
}

// ShmidDS is struct shmid64_ds.
type ShmidDS struct {
	Perm                Perm64
	Segsz               uint64
	Atime, Dtime, Ctime int64
	Cpid, Lpid          int32
	Nattch              uint64
}

// ShmInfo64 is struct shminfo64 (IPC_INFO).
type ShmInfo64 struct {
	Shmmax, Shmmin, Shmmni, Shmseg, Shmall uint64
}

// ShmInfo is struct shm_info (SHM_INFO): usage in pages.
type ShmInfo struct {
	UsedIDs                     int32
	ShmTot, ShmRss, ShmSwp      uint64
	SwapAttempts, SwapSuccesses uint64
}

// ShmStat is shmctl_stat: IPC_STAT takes an id and returns 0; SHM_STAT
// and SHM_STAT_ANY take an index and return the id. EACCES without read
// permission (not for SHM_STAT_ANY).
func (ns *Namespace) ShmStat(id, cmd int, c Caller) (ShmidDS, int, error) {
	ns.shm.mu.Lock()
	defer ns.shm.mu.Unlock()
	var s *Segment
	var err error
	if cmd == IPC_STAT {
		s, err = ns.shm.obtainCheck(id)
	} else {
		s, err = ns.shm.obtainIdx(id)
	}
	if err != nil {
		return ShmidDS{}, 0, err
	}
	if cmd != SHM_STAT_ANY && !ipcperms(&s.Perm, c, 0o444) {
		return ShmidDS{}, 0, errno.EACCES
	}
	ds := ShmidDS{Perm: s.to64(), Segsz: s.segsz, Atime: s.atime, Dtime: s.dtime, Ctime: s.ctime,
		Cpid: int32(s.cpid), Lpid: int32(s.lpid), Nattch: s.nattch}
	ret := 0
	if cmd != IPC_STAT {
		ret = s.ID
	}
	return ds, ret, nil
}

// ShmInfo64 answers IPC_INFO: the limits, and the highest index in use.
func (ns *Namespace) ShmIPCInfo() (ShmInfo64, int) {
	ns.shm.mu.Lock()
	defer ns.shm.mu.Unlock()
	return ShmInfo64{Shmmax: ns.ShmCtlMax, Shmmin: SHMMIN, Shmmni: uint64(ns.ShmCtlMNI), Shmseg: SHMSEG,
		Shmall: ns.ShmCtlAll}, ns.shm.maxIdxForInfo()
}

// ShmInfo answers SHM_INFO: the usage, and the highest index in use.
func (ns *Namespace) ShmInfo() (ShmInfo, int) {
	ns.shm.mu.Lock()
	defer ns.shm.mu.Unlock()
	var rss uint64
	for _, s := range ns.shm.all() {
		rss += s.obj.Resident()
	}
	return ShmInfo{UsedIDs: int32(ns.shm.inUse), ShmTot: ns.shmTot, ShmRss: rss}, ns.shm.maxIdxForInfo()
}

// ShmCtlDown is shmctl_down: IPC_SET (owner and mode from ds) or
// IPC_RMID. A segment still attached is marked SHM_DEST and loses its key
// at once; it goes with the last detach.
func (ns *Namespace) ShmCtlDown(id, cmd int, ds *ShmidDS, c Caller) error {
	ns.shm.mu.Lock()
	defer ns.shm.mu.Unlock()
	s, err := ns.shm.obtainCheck(id)
	if err != nil {
		return err
	}
	if !ownerOrAdmin(&s.Perm, c) {
		return errno.EPERM
	}
	switch cmd {
	case IPC_RMID:
		if s.nattch > 0 {
			s.Mode |= SHM_DEST
			ns.shm.setKeyPrivate(s)
			return nil
		}
		ns.shmDestroy(s)
	case IPC_SET:
		if err := s.setPerm(ds.Perm); err != nil {
			return err
		}
		s.ctime = ns.now()
	default:
		return errno.EINVAL
	}
	return nil
}

// ShmLock is shmctl_do_lock: SHM_LOCK and SHM_UNLOCK set and clear the
// SHM_LOCKED mode bit (tamix never swaps, so the pages stay either way).
func (ns *Namespace) ShmLock(id, cmd int) error {
	ns.shm.mu.Lock()
	defer ns.shm.mu.Unlock()
	s, err := ns.shm.obtainCheck(id)
	if err != nil {
		return err
	}
	if s.deleted {
		return errno.EIDRM
	}
	if cmd == SHM_LOCK {
		s.Mode |= SHM_LOCKED
	} else {
		s.Mode &^= SHM_LOCKED
	}
	return nil
}

// ShmEntry is a line of /proc/sysvipc/shm: a segment, its id and its
// resident size in bytes.
type ShmEntry struct {
	ID int
	ShmidDS
	RSS uint64
}

// ShmSegments lists the segments in index order.
func (ns *Namespace) ShmSegments() []ShmEntry {
	ns.shm.mu.Lock()
	defer ns.shm.mu.Unlock()
	var out []ShmEntry
	for _, s := range ns.shm.all() {
		out = append(out, ShmEntry{ID: s.ID, ShmidDS: ShmidDS{Perm: s.to64(), Segsz: s.segsz, Atime: s.atime,
			Dtime: s.dtime, Ctime: s.ctime, Cpid: int32(s.cpid), Lpid: int32(s.lpid), Nattch: s.nattch},
			RSS: s.obj.Resident() * mm.PageSize})
	}
	return out
}
