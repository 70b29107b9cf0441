package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/mm"
	"tamix/proc/binfmt"
)

// Resource limits (include/uapi/asm-generic/resource.h).
const (
	RLIMIT_CPU        = 0
	RLIMIT_FSIZE      = 1
	RLIMIT_DATA       = 2
	RLIMIT_STACK      = 3
	RLIMIT_CORE       = 4
	RLIMIT_RSS        = 5
	RLIMIT_NPROC      = 6
	RLIMIT_NOFILE     = 7
	RLIMIT_MEMLOCK    = 8
	RLIMIT_AS         = 9
	RLIMIT_LOCKS      = 10
	RLIMIT_SIGPENDING = 11
	RLIMIT_MSGQUEUE   = 12
	RLIMIT_NICE       = 13
	RLIMIT_RTPRIO     = 14
	RLIMIT_RTTIME     = 15
	RLIM_NLIMITS      = 16

	RLIM_INFINITY = ^uint64(0)
)

// Limits of the defaults (INR_OPEN_CUR, INR_OPEN_MAX, sysctl_nr_open,
// MLOCK_LIMIT, MQ_BYTES_MAX).
const (
	inrOpenCur   = NrOpenDefault
	inrOpenMax   = 4096
	sysctlNrOpen = 1024 * 1024
	mlockLimit   = 8 << 20
	mqBytesMax   = 819200
)

// Rlimit is struct rlimit (and rlimit64: the same on x86-64).
type Rlimit struct{ Cur, Max uint64 }

// defaultRlimits are init_task's limits (INIT_RLIMITS), with RLIMIT_NPROC
// and RLIMIT_SIGPENDING at maxThreads/2 as fork_init sets them.
func defaultRlimits(maxThreads int) [RLIM_NLIMITS]Rlimit {
	inf := Rlimit{RLIM_INFINITY, RLIM_INFINITY}
	var r [RLIM_NLIMITS]Rlimit
	for i := range r {
		r[i] = inf
	}
	half := uint64(maxThreads / 2)
	r[RLIMIT_STACK] = Rlimit{binfmt.StackRlimit, RLIM_INFINITY}
	r[RLIMIT_CORE] = Rlimit{0, RLIM_INFINITY}
	r[RLIMIT_NPROC] = Rlimit{half, half}
	r[RLIMIT_NOFILE] = Rlimit{inrOpenCur, inrOpenMax}
	r[RLIMIT_MEMLOCK] = Rlimit{mlockLimit, mlockLimit}
	r[RLIMIT_SIGPENDING] = Rlimit{half, half}
	r[RLIMIT_MSGQUEUE] = Rlimit{mqBytesMax, mqBytesMax}
	r[RLIMIT_NICE] = Rlimit{0, 0}
	r[RLIMIT_RTPRIO] = Rlimit{0, 0}
	return r
}

// setInitRlimits gives the idle tasks, whose limits every process
// inherits, Linux's boot-time limits.
func (k *Kernel) setInitRlimits() {
	for _, idle := range k.IdleTasks {
		idle.Signal.rlimMu.Lock()
		idle.Signal.rlim = defaultRlimits(k.MaxThreads)
		idle.Signal.rlimMu.Unlock()
		idle.Signal.dumpable.Store(SUID_DUMP_USER)
	}
}

// rlimits returns a copy of every limit.
func (s *SignalStruct) rlimits() [RLIM_NLIMITS]Rlimit {
	s.rlimMu.Lock()
	defer s.rlimMu.Unlock()
	return s.rlim
}

// Rlimit returns one limit of the process (rlimit / rlimit_max).
func (s *SignalStruct) Rlimit(res int) Rlimit {
	s.rlimMu.Lock()
	defer s.rlimMu.Unlock()
	return s.rlim[res]
}

// nofile is RLIMIT_NOFILE's soft limit as a descriptor bound.
func (s *SignalStruct) nofile() int {
	cur := s.Rlimit(RLIMIT_NOFILE).Cur
	if n := uint64(NrOpen()); cur > n { // expand_files stops at nr_open
		cur = n
	}
	return int(cur)
}

// maxFDs bounds the descriptors of a table: RLIMIT_NOFILE of the process
// that owns it (Linux reads current's; the same but for CLONE_FILES
// between processes).
func (fs *FilesStruct) maxFDs() int {
	if fs.owner == nil {
		return NrOpenDefault
	}
	return fs.owner.nofile()
}

// doPrlimit reads and/or sets one limit of p's process (do_prlimit) for
// the caller: raising a hard limit needs CAP_SYS_RESOURCE.
func (k *Kernel) doPrlimit(p *Task, res uint64, newLim, oldLim *Rlimit) error {
	return k.doPrlimitAs(p, p, res, newLim, oldLim)
}

func (k *Kernel) doPrlimitAs(caller, p *Task, res uint64, newLim, oldLim *Rlimit) error {
	if res >= RLIM_NLIMITS {
		return errno.EINVAL
	}
	if newLim != nil {
		if newLim.Cur > newLim.Max {
			return errno.EINVAL
		}
		if res == RLIMIT_NOFILE && newLim.Max > uint64(NrOpen()) {
			return errno.EPERM
		}
		if newLim.Max > p.Signal.Rlimit(int(res)).Max && !caller.Cred().Capable(CAP_SYS_RESOURCE) {
			return errno.EPERM
		}
	}
	s := p.Signal
	s.rlimMu.Lock()
	if oldLim != nil {
		*oldLim = s.rlim[res]
	}
	if newLim != nil {
		s.rlim[res] = *newLim
	}
	s.rlimMu.Unlock()
	if newLim != nil && res == RLIMIT_CPU {
		s.armRlimitCPU()
	}
	if newLim != nil && (res == RLIMIT_AS || res == RLIMIT_DATA) {
		for _, th := range k.threadsOf(p) {
			if m := th.MM; m != nil {
				m.SetVMLimits(s.Rlimit(RLIMIT_AS).Cur, s.Rlimit(RLIMIT_DATA).Cur)
				break
			}
		}
	}
	if newLim != nil && res == RLIMIT_STACK {
		// Stack growth checks the limit at fault time (acct_stack_growth).
		for _, th := range k.threadsOf(p) {
			if m := th.MM; m != nil {
				m.SetStackLimit(newLim.Cur)
				break
			}
		}
	}
	return nil
}

func encodeRlimit(r Rlimit) []byte {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:], r.Cur)
	binary.LittleEndian.PutUint64(b[8:], r.Max)
	return b[:]
}

func (t *Task) getRlimit(va uint64) (Rlimit, error) {
	var b [16]byte
	if err := t.copyInto(b[:], va); err != nil {
		return Rlimit{}, err
	}
	return Rlimit{binary.LittleEndian.Uint64(b[0:]), binary.LittleEndian.Uint64(b[8:])}, nil
}

func init() {
	syscallTable[SYS_getrlimit] = sysGetrlimit
	syscallTable[SYS_setrlimit] = sysSetrlimit
	syscallTable[SYS_prlimit64] = sysPrlimit64
}

// sysGetrlimit is getrlimit(resource, rlim).
func sysGetrlimit(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var old Rlimit
	if err := k.doPrlimit(t, uint64(uint32(a[0])), nil, &old); err != nil {
		return 0, err
	}
	return 0, t.copyOut(a[1], encodeRlimit(old))
}

// sysSetrlimit is setrlimit(resource, rlim): the copy comes first, so a bad
// pointer is EFAULT whatever the resource.
func sysSetrlimit(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	r, err := t.getRlimit(a[1])
	if err != nil {
		return 0, err
	}
	return 0, k.doPrlimit(t, uint64(uint32(a[0])), &r, nil)
}

// sysPrlimit64 is prlimit64(pid, resource, new, old): pid 0 is the caller,
// any other names a thread of the process to act on.
func sysPrlimit64(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	var newLim, old Rlimit
	var np, op *Rlimit
	if a[2] != 0 {
		r, err := t.getRlimit(a[2])
		if err != nil {
			return 0, err
		}
		newLim, np = r, &newLim
	}
	if a[3] != 0 {
		op = &old
	}
	p := t
	if pid := int(int32(a[0])); pid != 0 {
		p = k.FindTask(pid)
		if p == nil || p.ExitState == EXIT_DEAD {
			return 0, errno.ESRCH
		}
		// check_prlimit_permission: the caller's real IDs match all of
		// the target's, or it has CAP_SYS_RESOURCE.
		c, pc := t.Cred(), p.Cred()
		match := c.UID == pc.UID && c.UID == pc.EUID && c.UID == pc.SUID &&
			c.GID == pc.GID && c.GID == pc.EGID && c.GID == pc.SGID
		if p.TGID != t.TGID && !match && !c.Capable(CAP_SYS_RESOURCE) {
			return 0, errno.EPERM
		}
	}
	if err := k.doPrlimitAs(t, p, uint64(uint32(a[1])), np, op); err != nil {
		return 0, err
	}
	if op != nil {
		return 0, t.copyOut(a[3], encodeRlimit(old))
	}
	return 0, nil
}

// stackRlimitAS is the new mm for exec with the stack area sized by the
// process's RLIMIT_STACK (bprm->rlim_stack).
type stackRlimitAS struct {
	*mm.MM
	limit uint64
	vdso  []byte // the vvar page and the vDSO (Kernel.vdsoPages)
}

// MapVDSO maps the vvar page (r--) and the vDSO (r-x) just above it below
// the mmap base, as arch_setup_additional_pages does, and returns the
// vDSO's address.
func (a stackRlimitAS) MapVDSO() (uint64, error) {
	if len(a.vdso) == 0 {
		return 0, nil
	}
	addr, err := a.MM.Mmap(0, uint64(len(a.vdso)), mm.PROT_READ|mm.PROT_EXEC, mm.MAP_PRIVATE,
		&mm.FileBacking{Data: a.vdso}, 0)
	if err != nil {
		return 0, err
	}
	if err := a.MM.Mprotect(addr, mm.PageSize, mm.PROT_READ); err != nil {
		return 0, err
	}
	a.MM.VDSO = addr + mm.PageSize
	return a.MM.VDSO, nil
}

func (a stackRlimitAS) SetupStack(top, _ uint64) error {
	// mm reads a zero maximum as "the default": a zero limit gets the
	// smallest stack instead.
	return a.MM.SetupStack(top, max(a.limit, mm.PageSize))
}
