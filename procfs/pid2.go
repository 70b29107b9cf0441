package procfs

import (
	"bytes"
	"fmt"
	"strconv"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/proc"
	"tamix/vfs"
)

// limitNames are lnames in fs/proc/base.c: each limit's label and unit.
var limitNames = [proc.RLIM_NLIMITS]struct{ name, unit string }{
	proc.RLIMIT_CPU:        {"Max cpu time", "seconds"},
	proc.RLIMIT_FSIZE:      {"Max file size", "bytes"},
	proc.RLIMIT_DATA:       {"Max data size", "bytes"},
	proc.RLIMIT_STACK:      {"Max stack size", "bytes"},
	proc.RLIMIT_CORE:       {"Max core file size", "bytes"},
	proc.RLIMIT_RSS:        {"Max resident set", "bytes"},
	proc.RLIMIT_NPROC:      {"Max processes", "processes"},
	proc.RLIMIT_NOFILE:     {"Max open files", "files"},
	proc.RLIMIT_MEMLOCK:    {"Max locked memory", "bytes"},
	proc.RLIMIT_AS:         {"Max address space", "bytes"},
	proc.RLIMIT_LOCKS:      {"Max file locks", "locks"},
	proc.RLIMIT_SIGPENDING: {"Max pending signals", "signals"},
	proc.RLIMIT_MSGQUEUE:   {"Max msgqueue size", "bytes"},
	proc.RLIMIT_NICE:       {"Max nice priority", ""},
	proc.RLIMIT_RTPRIO:     {"Max realtime priority", ""},
	proc.RLIMIT_RTTIME:     {"Max realtime timeout", "us"},
}

// showLimits is proc_pid_limits: a header, then each limit's soft and
// hard value ("unlimited" for RLIM_INFINITY) and its unit, if it has one.
func showLimits(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units")
	val := func(v uint64) {
		if v == proc.RLIM_INFINITY {
			fmt.Fprintf(&b, "%-20s ", "unlimited")
		} else {
			fmt.Fprintf(&b, "%-20d ", v)
		}
	}
	for i, r := range t.Rlimits() {
		fmt.Fprintf(&b, "%-25s ", limitNames[i].name)
		val(r.Cur)
		val(r.Max)
		if u := limitNames[i].unit; u != "" {
			fmt.Fprintf(&b, "%-10s", u)
		}
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// showSchedstat is proc_pid_schedstat: time on the CPU (ns), time spent
// waiting on a runqueue (ns) and the number of times it was switched in.
// tamix does not measure run delay (sched_info.run_delay), so the second
// field is 0, as Linux shows it when schedstats are off.
func showSchedstat(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	si := f.k.Sched.TaskSnapshot(&t.Task)
	return []byte(fmt.Sprintf("%d %d %d\n", si.SumExecRuntime, 0, si.NrSwitches)), nil
}

// showWchan is proc_pid_wchan: the function the task sleeps in, or "0";
// no newline.
func showWchan(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	return []byte(t.Wchan()), nil
}

// showChildren is children_seq_show: each child's PID and a space.
func showChildren(f *FS, t *proc.Task, whole bool) ([]byte, error) {
	var b []byte
	for _, pid := range f.k.ChildrenOf(t) {
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, ' ')
	}
	return b, nil
}

// linkRoot is proc_root_link: tamix has one namespace and no chroot.
func linkRoot(f *FS, t *proc.Task) (string, error) { return "/", nil }

// showFdinfo is seq_show in fs/proc/fd.c (Linux 6.1): position, f_flags
// in octal with O_CLOEXEC added when the descriptor has it, the mount
// and the inode number.
func (f *FS) showFdinfo(t *proc.Task, fd int) ([]byte, error) {
	var d *proc.FD
	if t.Files != nil {
		fds, _ := t.Files.FDs()
		for i := range fds {
			if fds[i].FD == fd {
				d = &fds[i]
			}
		}
	}
	if d == nil {
		return nil, errno.ENOENT
	}
	flags := d.Flags
	if ce, err := t.Files.Cloexec(fd); err == nil && ce {
		flags |= fs.O_CLOEXEC
	}
	var pos int64
	if p, ok := d.File.(interface{ Pos() int64 }); ok {
		pos = p.Pos()
	}
	var dev, ino uint64
	if in, ok := d.File.(interface{ Inode() *vfs.Inode }); ok {
		dev, ino = in.Inode().Dev, in.Inode().Ino
	} else if p, ok := d.File.(*ipc.File); ok {
		ino = p.Pipe().Ino
	}
	return []byte(fmt.Sprintf("pos:\t%d\nflags:\t0%o\nmnt_id:\t%d\nino:\t%d\n", pos, flags, vfs.MountID(dev), ino)), nil
}
