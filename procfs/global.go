package procfs

import (
	"bytes"
	"fmt"
	"sort"
	"strings"

	"tamix/mm"
	"tamix/sched"
)

// globalEntry is a file at the top of /proc (proc_create_single).
type globalEntry struct {
	name string
	mode uint32
	show func(f *FS) ([]byte, error)
}

func (g *globalEntry) ino() uint64 {
	for i := range globals {
		if &globals[i] == g {
			return globalInoBase + uint64(i) + 1
		}
	}
	return 0
}

var globals = []globalEntry{
	{"cpuinfo", 0o444, showCPUInfo},
	{"loadavg", 0o444, showLoadavg},
	{"meminfo", 0o444, showMeminfo},
	{"stat", 0o444, showProcStat},
	{"uptime", 0o444, showUptime},
	{"version", 0o444, showVersion},
}

// sortedGlobals is the order of the entries in their rb-tree (proc_match:
// shorter names first, then by bytes).
var sortedGlobals = func() []*globalEntry {
	out := make([]*globalEntry, len(globals))
	for i := range globals {
		out[i] = &globals[i]
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].name) != len(out[j].name) {
			return len(out[i].name) < len(out[j].name)
		}
		return out[i].name < out[j].name
	})
	return out
}()

func findGlobal(name string) *globalEntry {
	for i := range globals {
		if globals[i].name == name {
			return &globals[i]
		}
	}
	return nil
}

// meminfo's line: a 16-wide label, then kB 8 wide (show_val_kb).
func memLine(b *bytes.Buffer, label string, pages uint64) {
	fmt.Fprintf(b, "%-16s%8d kB\n", label+":", pages*mm.PageSize/1024)
}

// showMeminfo is meminfo_proc_show from the frame allocator: every frame
// it manages is RAM for processes (the kernel's own Go memory is not in
// it, as Linux leaves out reserved memory), and nothing is cache.
func showMeminfo(f *FS) ([]byte, error) {
	var total, free uint64
	if a := f.k.Frames; a != nil {
		total, free = uint64(a.TotalCount()), uint64(a.FreeCount())
	}
	var anon, ptables uint64
	seen := map[*mm.MM]bool{}
	for _, t := range f.k.Tasks() {
		if m := t.MM; m != nil && !seen[m] {
			seen[m] = true
			c := m.Counters()
			anon += c.RSS
			ptables += uint64(c.PageTables)
		}
	}
	var b bytes.Buffer
	memLine(&b, "MemTotal", total)
	memLine(&b, "MemFree", free)
	memLine(&b, "MemAvailable", free)
	for _, l := range []string{"Buffers", "Cached", "SwapCached"} {
		memLine(&b, l, 0)
	}
	memLine(&b, "Active", anon)
	memLine(&b, "Inactive", 0)
	memLine(&b, "Active(anon)", anon)
	for _, l := range []string{"Inactive(anon)", "Active(file)", "Inactive(file)", "Unevictable", "Mlocked",
		"SwapTotal", "SwapFree", "Dirty", "Writeback"} {
		memLine(&b, l, 0)
	}
	memLine(&b, "AnonPages", anon)
	memLine(&b, "Mapped", 0)
	memLine(&b, "Shmem", 0)
	memLine(&b, "PageTables", ptables)
	memLine(&b, "CommitLimit", total)
	return b.Bytes(), nil
}

// showCPUInfo is show_cpuinfo for each online CPU.
func showCPUInfo(f *FS) ([]byte, error) {
	var b bytes.Buffer
	n := f.k.NCPU
	for i := 0; i < n; i++ {
		c := CPU{VendorID: "unknown", ModelName: "x86-64 processor", APICID: i}
		if i < len(f.cfg.CPUs) {
			c = f.cfg.CPUs[i]
		}
		fmt.Fprintf(&b, "processor\t: %d\nvendor_id\t: %s\ncpu family\t: %d\nmodel\t\t: %d\nmodel name\t: %s\nstepping\t: %d\n",
			i, c.VendorID, c.Family, c.Model, c.ModelName, c.Stepping)
		fmt.Fprintf(&b, "cpu MHz\t\t: %.3f\n", c.MHz)
		if c.CacheKB > 0 {
			fmt.Fprintf(&b, "cache size\t: %d KB\n", c.CacheKB)
		}
		fmt.Fprintf(&b, "physical id\t: 0\nsiblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\napicid\t\t: %d\ninitial apicid\t: %d\n",
			n, i, n, c.APICID, c.APICID)
		fmt.Fprintf(&b, "fpu\t\t: yes\nfpu_exception\t: yes\nwp\t\t: yes\nflags\t\t: %s\n", strings.Join(c.Flags, " "))
		fmt.Fprintf(&b, "bogomips\t: %.2f\nclflush size\t: 64\ncache_alignment\t: 64\naddress sizes\t: 48 bits physical, 48 bits virtual\npower management:\n\n",
			c.MHz*2)
	}
	return b.Bytes(), nil
}

// showUptime is uptime_proc_show: seconds since boot, and the idle time
// of all CPUs together (each idle task's sum_exec_runtime).
func showUptime(f *FS) ([]byte, error) {
	up := f.k.Clock()
	var idle int64
	for _, ci := range f.k.Sched.Snapshot() {
		idle += ci.IdleTime
	}
	return []byte(fmt.Sprintf("%d.%02d %d.%02d\n", up/1e9, up%1e9/1e7, idle/1e9, idle%1e9/1e7)), nil
}

// runnable counts the tasks on every runqueue (nr_running), the running
// ones included.
func (f *FS) runnable() int {
	n := 0
	for _, ci := range f.k.Sched.Snapshot() {
		n += ci.NrRunning
	}
	return n
}

// showLoadavg is loadavg_proc_show: the 1, 5 and 15 minute load averages
// (sched's calc_global_load), runnable/total tasks and the last PID handed
// out.
func showLoadavg(f *FS) ([]byte, error) {
	var b []byte
	for _, x := range f.k.Sched.LoadAvg() {
		x += sched.Fixed1 / 200 // get_avenrun's rounding offset
		b = fmt.Appendf(b, "%d.%02d ", x>>sched.FShift, (x&(sched.Fixed1-1))*100>>sched.FShift)
	}
	return fmt.Appendf(b, "%d/%d %d\n", f.runnable(), f.k.NrThreads(), f.k.LastPID()), nil
}

// showProcStat is show_stat: per-CPU time in USER_HZ ticks from the tick
// accounting (user, nice, system; idle from the idle tasks), context
// switches, boot time, forks, runnable tasks.
func showProcStat(f *FS) ([]byte, error) {
	snap := f.k.Sched.Snapshot()
	type row struct{ user, nice, system, idle int64 }
	rows := make([]row, len(snap))
	var sum row
	var ctxt uint64
	for i, ci := range snap {
		r := row{idle: ci.IdleTime}
		if i < len(f.k.CPUStat) {
			s := &f.k.CPUStat[i]
			r.user, r.nice, r.system = s.User.Load(), s.Nice.Load(), s.System.Load()
		}
		rows[i] = r
		sum.user += r.user
		sum.nice += r.nice
		sum.system += r.system
		sum.idle += r.idle
		ctxt += ci.NrSwitches
	}
	var b bytes.Buffer
	line := func(name string, r row) {
		fmt.Fprintf(&b, "%s %d %d %d %d 0 0 0 0 0 0\n", name, clockT(r.user), clockT(r.nice), clockT(r.system), clockT(r.idle))
	}
	line("cpu ", sum)
	for i, r := range rows {
		line(fmt.Sprintf("cpu%d", i), r)
	}
	btime := int64(0)
	if f.k.Wall != nil {
		btime = (f.k.Wall() - f.k.Clock()) / 1e9
	}
	fmt.Fprintf(&b, "intr 0\nctxt %d\nbtime %d\nprocesses %d\nprocs_running %d\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
		ctxt, btime, f.k.Forks.Load(), f.runnable())
	return b.Bytes(), nil
}

// showVersion is version_proc_show.
func showVersion(f *FS) ([]byte, error) {
	v := f.cfg.Version
	if v == "" {
		v = "Linux version 6.1.0-tamix (tamix) #1 SMP tamix"
	}
	return []byte(v + "\n"), nil
}
