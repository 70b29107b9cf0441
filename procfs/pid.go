package procfs

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"tamix/errno"
	"tamix/mm"
	"tamix/proc"
	"tamix/sched"
	"tamix/vfs"
)

// pidEntry is one file of /proc/PID (Linux's pid_entry in tgid_base_stuff
// and tid_base_stuff).
type pidEntry struct {
	name     string
	mode     uint32 // permissions
	tgidOnly bool   // not under task/TID
	tidOnly  bool   // only under task/TID
	// show renders the file for t; whole is the thread-group view
	// (/proc/PID), not the per-thread one (/proc/PID/task/TID).
	show  func(f *FS, t *proc.Task, whole bool) ([]byte, error)
	write func(f *FS, t *proc.Task, p []byte) (int, error)
	link  func(f *FS, t *proc.Task) (string, error)
}

func (e *pidEntry) idx() uint64 {
	for i := range pidEntries {
		if &pidEntries[i] == e {
			return uint64(i + 1)
		}
	}
	return 0
}

// pidEntries in Linux's order.
var pidEntries = []pidEntry{
	{name: "task", mode: 0o555, tgidOnly: true},
	{name: "fd", mode: 0o500},
	{name: "fdinfo", mode: 0o500},
	{name: "environ", mode: 0o400, show: showEnviron},
	{name: "status", mode: 0o444, show: showStatus},
	{name: "limits", mode: 0o444, show: showLimits},
	{name: "sched", mode: 0o644, show: showSched},
	{name: "comm", mode: 0o644, show: showComm, write: writeComm},
	{name: "cmdline", mode: 0o444, show: showCmdline},
	{name: "stat", mode: 0o444, show: showStat},
	{name: "statm", mode: 0o444, show: showStatm},
	{name: "maps", mode: 0o444, show: showMaps},
	{name: "children", mode: 0o444, tidOnly: true, show: showChildren},
	{name: "cwd", mode: 0o777, link: linkCwd},
	{name: "root", mode: 0o777, link: linkRoot},
	{name: "exe", mode: 0o777, link: linkExe},
	{name: "wchan", mode: 0o444, show: showWchan},
	{name: "schedstat", mode: 0o444, show: showSchedstat},
}

// USER_HZ: the unit of clock_t in /proc (nsec_to_clock_t).
const userHZ = 100

func clockT(ns int64) int64 { return ns / (1e9 / userHZ) }

// stateName is get_task_state: the letter and the word of task_state_array.
func stateName(t *proc.Task) string {
	switch t.StateChar() {
	case 'R':
		return "R (running)"
	case 'S':
		return "S (sleeping)"
	case 'D':
		return "D (disk sleep)"
	case 'T':
		return "T (stopped)"
	case 'Z':
		return "Z (zombie)"
	case 'X':
		return "X (dead)"
	}
	return "R (running)"
}

// ppid is the TGID of the process's real parent, 0 for a child of the
// idle task (init and the kernel threads), as task_tgid_nr_ns gives.
func ppid(t *proc.Task) int {
	l := t.GroupLeader
	if l == nil {
		l = t
	}
	p := l.RealParent()
	if p == nil || p == l || p.PID == 0 {
		return 0
	}
	return p.TGID
}

// groupTotals sums the thread group's counters (thread_group_cputime and
// the min_flt/maj_flt loop of do_task_stat) for the whole view.
type totals struct {
	utime, stime   int64
	minflt, majflt uint64
	nvcsw, nivcsw  uint64
	threads        int
}

func (f *FS) totals(t *proc.Task, whole bool) totals {
	ths := []*proc.Task{t}
	if whole {
		ths = f.threads(t)
	}
	var s totals
	for _, th := range ths {
		s.utime += th.Utime
		s.stime += th.Stime
		s.minflt += th.MinFlt
		s.majflt += th.MajFlt
		s.nvcsw += th.Nvcsw
		s.nivcsw += th.Nivcsw
		if th.ExitState == 0 {
			s.threads++
		}
	}
	s.threads = max(s.threads, 1)
	return s
}

// showStat is do_task_stat (fs/proc/array.c): 52 fields on one line.
func showStat(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	var b bytes.Buffer
	tot := f.totals(t, whole)
	if !whole {
		tot.threads = f.totals(t, true).threads
	}
	m := t.MM
	var c mm.Counters
	if m != nil {
		c = m.Counters()
	}
	sig := t.Signal
	var pgrp, sid int
	var cmin, cmaj uint64
	var cutime, cstime int64
	if sig != nil {
		pgrp, sid = sig.Pgrp, sig.Session
		cmin, cmaj, cutime, cstime = sig.CMinFlt, sig.CMajFlt, sig.CUtime, sig.CStime
	}
	ss := t.SignalSets()
	si := f.k.Sched.TaskSnapshot(&t.Task)
	wchan := 0
	if t.StateChar() != 'R' && (!whole || tot.threads < 2) {
		wchan = 1
	}
	fmt.Fprintf(&b, "%d (%s) %c %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d",
		t.PID, t.Comm(), t.StateChar(), ppid(t), pgrp, sid,
		0, -1, // tty_nr, tpgid: tamix has no controlling terminals
		t.Flags, tot.minflt, cmin, tot.majflt, cmaj,
		clockT(tot.utime), clockT(tot.stime), clockT(cutime), clockT(cstime),
		si.Prio-sched.MaxRTPrio, si.Nice, tot.threads,
		0, // itrealvalue
		clockT(t.StartTime),
		c.TotalVM*mm.PageSize, c.RSS)
	b.WriteString(" 18446744073709551615") // rsslim: RLIM_INFINITY
	if m != nil {
		fmt.Fprintf(&b, " %d %d %d", m.StartCode, m.EndCode, m.StartStack)
	} else {
		b.WriteString(" 0 0 0")
	}
	fmt.Fprintf(&b, " 0 0 %d %d %d %d %d 0 0 %d %d %d %d 0 0 0",
		uint64(ss.Pending)&0x7fffffff, uint64(ss.Blocked)&0x7fffffff,
		uint64(ss.Ignored)&0x7fffffff, uint64(ss.Caught)&0x7fffffff, wchan,
		t.ExitSignal, si.CPU, si.RTPriority, int(si.Policy))
	if m != nil {
		fmt.Fprintf(&b, " %d %d %d %d %d %d %d", m.StartData, m.EndData, m.StartBrk,
			m.ArgStart, m.ArgEnd, m.EnvStart, m.EnvEnd)
	} else {
		b.WriteString(" 0 0 0 0 0 0 0")
	}
	exitCode := 0
	if t.ExitState != 0 {
		exitCode = t.ExitCode
	}
	fmt.Fprintf(&b, " %d\n", exitCode)
	return b.Bytes(), nil
}

// kB formats pages as task_mem's SEQ_PUT_DEC does: kB, 8 wide.
func kB(pages uint64) string { return fmt.Sprintf("%8d kB", pages*mm.PageSize/1024) }

// sigset is render_sigset_t: 16 hex digits.
func sigset(s proc.SigSet) string { return fmt.Sprintf("%016x", uint64(s)) }

// showStatus is proc_pid_status.
func showStatus(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Name:\t%s\n", escapeName(t.Comm()))
	fmt.Fprintf(&b, "Umask:\t%04o\n", f.k.Umask(t))
	fmt.Fprintf(&b, "State:\t%s\n", stateName(t))
	fmt.Fprintf(&b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", t.TGID, t.PID, ppid(t))
	cr := t.Cred()
	fmt.Fprintf(&b, "Uid:\t%d\t%d\t%d\t%d\nGid:\t%d\t%d\t%d\t%d\n",
		cr.UID, cr.EUID, cr.SUID, cr.FSUID, cr.GID, cr.EGID, cr.SGID, cr.FSGID)
	fdsize := 0
	if t.Files != nil {
		_, fdsize = t.Files.FDs()
	}
	fmt.Fprintf(&b, "FDSize:\t%d\nGroups:\t", fdsize)
	for i, g := range cr.Groups {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%d", g)
	}
	b.WriteString(" \n") // the trailing space is Linux's
	pgrp, sid := 0, 0
	if t.Signal != nil {
		pgrp, sid = t.Signal.Pgrp, t.Signal.Session
	}
	fmt.Fprintf(&b, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", t.TGID, t.PID, pgrp, sid)
	kthread := 0
	if t.IsKernelThread() {
		kthread = 1
	}
	fmt.Fprintf(&b, "Kthread:\t%d\n", kthread)
	if m := t.MM; m != nil {
		c := m.Counters()
		text := (pageUp(m.EndCode) - (m.StartCode &^ (mm.PageSize - 1))) / mm.PageSize
		if m.EndCode == 0 {
			text = 0
		}
		fmt.Fprintf(&b, "VmPeak:\t%s\nVmSize:\t%s\nVmLck:\t%s\nVmPin:\t%s\n", kB(c.TotalVM), kB(c.TotalVM), kB(0), kB(0))
		fmt.Fprintf(&b, "VmHWM:\t%s\nVmRSS:\t%s\n", kB(c.HiwaterRSS), kB(c.RSS))
		fmt.Fprintf(&b, "RssAnon:\t%s\nRssFile:\t%s\nRssShmem:\t%s\n", kB(c.RSS), kB(0), kB(0))
		fmt.Fprintf(&b, "VmData:\t%s\nVmStk:\t%s\nVmExe:\t%s\nVmLib:\t%s\n", kB(c.DataVM), kB(c.StackVM), kB(text), kB(0))
		fmt.Fprintf(&b, "VmPTE:\t%s\nVmSwap:\t%s\n", kB(uint64(c.PageTables)), kB(0))
		fmt.Fprintf(&b, "HugetlbPages:\t%s\nCoreDumping:\t0\nTHP_enabled:\t0\n", kB(0))
	}
	tot := f.totals(t, true)
	ss := t.SignalSets()
	fmt.Fprintf(&b, "Threads:\t%d\nSigQ:\t%d/%d\n", tot.threads, ss.Queued, sigQueueMax)
	fmt.Fprintf(&b, "SigPnd:\t%s\nShdPnd:\t%s\nSigBlk:\t%s\nSigIgn:\t%s\nSigCgt:\t%s\n",
		sigset(ss.Pending), sigset(ss.SharedPending), sigset(ss.Blocked), sigset(ss.Ignored), sigset(ss.Caught))
	fmt.Fprintf(&b, "CapInh:\t%016x\nCapPrm:\t%016x\nCapEff:\t%016x\nCapBnd:\t%016x\nCapAmb:\t%016x\n",
		uint64(cr.CapInheritable), uint64(cr.CapPermitted), uint64(cr.CapEffective), uint64(cr.CapBset), uint64(cr.CapAmbient))
	b.WriteString("NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n")
	si := f.k.Sched.TaskSnapshot(&t.Task)
	ncpu := f.k.Sched.NrCPUs()
	fmt.Fprintf(&b, "Cpus_allowed:\t%s\nCpus_allowed_list:\t%s\n", maskHex(si.CPUsMask, ncpu), maskList(si.CPUsMask, ncpu))
	b.WriteString("Mems_allowed:\t1\nMems_allowed_list:\t0\n")
	fmt.Fprintf(&b, "voluntary_ctxt_switches:\t%d\nnonvoluntary_ctxt_switches:\t%d\n", si.Nvcsw, si.Nivcsw)
	return b.Bytes(), nil
}

// sigQueueMax is RLIMIT_SIGPENDING as SigQ shows it.
const sigQueueMax = 7823

func pageUp(a uint64) uint64 { return (a + mm.PageSize - 1) &^ (mm.PageSize - 1) }

// escapeName is proc_task_name's escaping for status: backslash and
// newline become \\ and \n.
func escapeName(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return strings.ReplaceAll(s, "\n", `\n`)
}

// maskHex is %*pb over nbits CPUs: 32-bit groups in hex, separated by
// commas, the first one as wide as the bits need.
func maskHex(m sched.CPUMask, nbits int) string {
	b := m.Bytes((nbits + 7) / 8)
	var words []uint32
	for i := 0; i < nbits; i += 32 {
		var w uint32
		for j := 0; j < 4 && i/8+j < len(b); j++ {
			w |= uint32(b[i/8+j]) << (8 * j)
		}
		words = append(words, w)
	}
	var parts []string
	for i := len(words) - 1; i >= 0; i-- {
		width := 8
		if i == len(words)-1 {
			bits := nbits - 32*i
			width = (bits + 3) / 4
		}
		parts = append(parts, fmt.Sprintf("%0*x", width, words[i]))
	}
	return strings.Join(parts, ",")
}

// maskList is %*pbl: ranges like 0-1,3.
func maskList(m sched.CPUMask, nbits int) string {
	var parts []string
	for cpu := 0; cpu < nbits; cpu++ {
		if !m.Test(cpu) {
			continue
		}
		end := cpu
		for end+1 < nbits && m.Test(end+1) {
			end++
		}
		if end == cpu {
			parts = append(parts, strconv.Itoa(cpu))
		} else {
			parts = append(parts, strconv.Itoa(cpu)+"-"+strconv.Itoa(end))
		}
		cpu = end
	}
	return strings.Join(parts, ",")
}

// splitNS is SPLIT_NS for "%14Ld.%06ld": ms and the ns below them, the
// sign on the ms part as nsec_high puts it.
func splitNS(ns int64) string {
	hi, lo := ns/1e6, ns%1e6
	if lo < 0 {
		lo = -lo
	}
	return fmt.Sprintf("%14d.%06d", hi, lo)
}

// showSched is proc_sched_show_task (kernel/sched/debug.c): what CFS
// knows about the task.
func showSched(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	var b bytes.Buffer
	tot := f.totals(t, true)
	si := f.k.Sched.TaskSnapshot(&t.Task)
	fmt.Fprintf(&b, "%s (%d, #threads: %d)\n", t.Comm(), t.PID, tot.threads)
	b.WriteString("-------------------------------------------------------------------\n")
	ps := func(name string, v int64) { fmt.Fprintf(&b, "%-45s:%21d\n", name, v) }
	pn := func(name string, ns int64) { fmt.Fprintf(&b, "%-45s:%s\n", name, splitNS(ns)) }
	pn("se.exec_start", si.ExecStart)
	pn("se.vruntime", int64(si.Vruntime))
	pn("se.sum_exec_runtime", si.SumExecRuntime)
	ps("se.nr_migrations", int64(si.NrMigrations))
	ps("nr_switches", int64(si.Nvcsw+si.Nivcsw))
	ps("nr_voluntary_switches", int64(si.Nvcsw))
	ps("nr_involuntary_switches", int64(si.Nivcsw))
	// 64-bit Linux keeps weights scaled by 2^10 (scale_load).
	ps("se.load.weight", int64(si.Weight)<<10)
	ps("policy", int64(si.Policy))
	ps("prio", int64(si.Prio))
	t0 := f.k.Clock()
	ps("clock-delta", f.k.Clock()-t0)
	return b.Bytes(), nil
}

func showComm(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	return []byte(t.Comm() + "\n"), nil
}

// writeComm is comm_write: a thread of the same group may rename t
// (TASK_COMM_LEN-1 bytes at most, taken as they are).
func writeComm(f *FS, t *proc.Task, p []byte) (int, error) {
	n := len(p)
	name := p[:min(n, proc.TASK_COMM_LEN-1)]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	t.SetComm(string(name))
	return n, nil
}

// readArea reads [start, end) of t's memory as access_remote_vm does; a
// hole ends it.
func readArea(m *mm.MM, start, end uint64) []byte {
	if m == nil || end <= start || end-start > 1<<20 {
		return nil
	}
	buf := make([]byte, end-start)
	if m.CopyIn(buf, start) == nil {
		return buf
	}
	// Page by page up to the first page that cannot be read.
	var out []byte
	for a := start; a < end; {
		next := min(end, (a+mm.PageSize)&^(mm.PageSize-1))
		chunk := make([]byte, next-a)
		if m.CopyIn(chunk, a) != nil {
			break
		}
		out = append(out, chunk...)
		a = next
	}
	return out
}

// showCmdline is get_mm_cmdline: the argument strings as they are in the
// process's memory now, NUL-separated. When the last byte is no longer a
// NUL (the program rewrote its arguments, setproctitle), the string runs
// on into the environment up to the first NUL. Kernel threads and
// zombies have none.
func showCmdline(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	m := t.MM
	if m == nil || m.ArgEnd <= m.ArgStart {
		return nil, nil
	}
	b := readArea(m, m.ArgStart, m.ArgEnd)
	if len(b) == 0 || b[len(b)-1] == 0 {
		return b, nil
	}
	// get_mm_proctitle: the first string from arg_start, within a page.
	b = readArea(m, m.ArgStart, min(m.ArgStart+mm.PageSize, max(m.EnvEnd, m.ArgEnd)))
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i+1]
	}
	return b, nil
}

// showEnviron is environ_read: the environment strings.
func showEnviron(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	m := t.MM
	if m == nil {
		return nil, nil
	}
	return readArea(m, m.EnvStart, m.EnvEnd), nil
}

// showStatm is proc_pid_statm: sizes in pages.
func showStatm(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	m := t.MM
	if m == nil {
		return []byte("0 0 0 0 0 0 0\n"), nil
	}
	c := m.Counters()
	text := uint64(0)
	if m.EndCode != 0 {
		text = (pageUp(m.EndCode) - (m.StartCode &^ (mm.PageSize - 1))) / mm.PageSize
	}
	return []byte(fmt.Sprintf("%d %d %d %d 0 %d 0\n", c.TotalVM, c.RSS, 0, text, c.DataVM+c.StackVM)), nil
}

// imagePath finds which embedded executable a file mapping maps (the
// path of vm_file).
func (f *FS) imagePath(fb *mm.FileBacking) string {
	if fb == nil || len(fb.Data) == 0 {
		return ""
	}
	for p, img := range f.k.Images {
		if len(img) > 0 && &img[0] == &fb.Data[0] {
			return p
		}
	}
	return ""
}

// showMaps is show_map_vma for each VMA: start-end perms offset dev inode,
// then the name padded to column 73: the file, [heap], [stack], or the
// shared anonymous object (/dev/zero (deleted)).
func showMaps(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	m := t.MM
	if m == nil {
		return nil, nil
	}
	var b bytes.Buffer
	for _, v := range m.VMAs() {
		perm := []byte("---p")
		if v.Flags&mm.VMRead != 0 {
			perm[0] = 'r'
		}
		if v.Flags&mm.VMWrite != 0 {
			perm[1] = 'w'
		}
		if v.Flags&mm.VMExec != 0 {
			perm[2] = 'x'
		}
		if v.Flags&mm.VMShared != 0 {
			perm[3] = 's'
		}
		var off, ino uint64
		var dev uint64
		name := ""
		switch {
		case m.VDSO != 0 && v.Start == m.VDSO:
			name = "[vdso]"
		case m.VDSO != 0 && v.End == m.VDSO:
			name = "[vvar]"
		case v.PageCache() != nil:
			// A mapped file: its path, " (deleted)" once unlinked;
			// a memfd shows as "/memfd:NAME (deleted)".
			off = v.PgOff * mm.PageSize
			if in, ok := v.PageCache().Owner.(*vfs.Inode); ok {
				name, dev, ino = inodePath(in), in.Dev, in.Ino
			}
		case v.File != nil:
			off = v.PgOff * mm.PageSize
			if name = f.imagePath(v.File); name != "" {
				dev, ino = f.fileID(name)
			}
		case v.Ops != nil:
			// A SysV segment: its file on the internal shm mount, whose
			// inode number is the segment's id.
			off = v.PgOff * mm.PageSize
			name, dev = v.Ops.Name(), vfs.Mkdev(0, 1)
			if i, ok := v.Ops.(interface{ Ino() uint64 }); ok {
				ino = i.Ino()
			}
		case v.Flags&mm.VMShared != 0:
			off = v.PgOff * mm.PageSize
			name, dev = "/dev/zero (deleted)", vfs.Mkdev(0, 1)
		case v.Start <= m.CurBrk && v.End >= m.StartBrk && m.StartBrk != 0:
			name = "[heap]"
		case v.Start <= m.StartStack && v.End >= m.StartStack:
			name = "[stack]"
		}
		line := fmt.Sprintf("%08x-%08x %s %08x %02x:%02x %d ", v.Start, v.End, perm, off,
			dev>>8&0xfff, dev&0xff|dev>>12&^0xff, ino)
		if name != "" {
			line = fmt.Sprintf("%-73s%s", line, name)
		} else {
			line = strings.TrimSuffix(line, " ")
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// fileID returns st_dev and st_ino of a file of the namespace.
func (f *FS) fileID(path string) (dev, ino uint64) {
	if in, err := f.v.Lookup(nil, path); err == nil {
		return in.Dev, in.Ino
	}
	return 0, 0
}

// linkCwd is proc_cwd_link.
func linkCwd(f *FS, t *proc.Task) (string, error) {
	if t.MM == nil && t.IsKernelThread() && t.PID == 0 {
		return "", errno.ENOENT
	}
	d := f.k.Cwd(t)
	if d == nil {
		return "/", nil
	}
	return inodePath(d), nil
}

// linkExe is proc_exe_link: the executable the text is mapped from.
func linkExe(f *FS, t *proc.Task) (string, error) {
	m := t.MM
	if m == nil {
		return "", errno.ENOENT
	}
	for _, v := range m.VMAs() {
		if c := v.PageCache(); c != nil {
			if in, ok := c.Owner.(*vfs.Inode); ok {
				return inodePath(in), nil
			}
		}
		if p := f.imagePath(v.File); p != "" {
			return p, nil
		}
	}
	return "", errno.ENOENT
}
