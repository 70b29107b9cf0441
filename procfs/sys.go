package procfs

import (
	"bytes"
	"sort"
	"strconv"
	"strings"

	"tamix/errno"
	"tamix/ipc"
	"tamix/proc"
	"tamix/vfs"
)

// /proc/sys: the sysctl tables (kernel/sysctl.c, kernel/utsname_sysctl.c,
// fs/file.c, fs/pipe.c). Reading a file prints the value and a newline;
// writing parses it (proc_dointvec_minmax, proc_dostring). The mode says
// who may write: 0644 files are root's (the path walk's permission check
// gives everyone else EACCES), 0444 ones nobody's.

// sysctlEntry is one ctl_table entry.
type sysctlEntry struct {
	path  string // under /proc/sys
	show  func(f *FS) string
	write func(f *FS, p []byte) error // nil: read-only
}

func (e *sysctlEntry) mode() uint32 {
	if e.write == nil {
		return 0o444
	}
	return 0o644
}

const sysIno = globalInoBase + 0x200

var sysctls = []sysctlEntry{
	{"fs/nr_open", func(f *FS) string { return strconv.Itoa(proc.NrOpen()) },
		func(f *FS, p []byte) error { return dointvec(p, proc.SetNrOpen) }},
	{"fs/pipe-max-size", func(f *FS) string { return strconv.Itoa(ipc.PipeMaxSize()) }, writePipeMaxSize},
	{"kernel/domainname", func(f *FS) string { _, _, _, _, _, d := proc.UTS(); return cString(d) },
		func(f *FS, p []byte) error { proc.SetDomainname(dostring(p)); return nil }},
	{"kernel/hostname", func(f *FS) string { _, n, _, _, _, _ := proc.UTS(); return cString(n) },
		func(f *FS, p []byte) error { proc.SetNodename(dostring(p)); return nil }},
	{"kernel/osrelease", func(f *FS) string { _, _, r, _, _, _ := proc.UTS(); return r }, nil},
	{"kernel/ostype", func(f *FS) string { s, _, _, _, _, _ := proc.UTS(); return s }, nil},
	{"kernel/pid_max", func(f *FS) string { return strconv.Itoa(f.k.PIDMaxValue()) },
		func(f *FS, p []byte) error { return dointvec(p, f.k.SetPIDMax) }},
	{"kernel/sched_child_runs_first", func(f *FS) string { return "0" }, nil},
	{"kernel/threads-max", func(f *FS) string { return strconv.Itoa(f.k.MaxThreadsValue()) },
		func(f *FS, p []byte) error { return dointvec(p, f.k.SetMaxThreads) }},
	{"kernel/version", func(f *FS) string { _, _, _, v, _, _ := proc.UTS(); return v }, nil},
}

// cString is a name up to its first NUL (sethostname takes any bytes).
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// dostring is proc_dostring's write: the bytes up to a newline or NUL.
func dostring(p []byte) string {
	if i := bytes.IndexAny(p, "\n\x00"); i >= 0 {
		p = p[:i]
	}
	return string(p)
}

// dointvec parses one decimal int as proc_dointvec does (spaces around,
// an optional sign) and hands it to set, which checks the bounds.
func dointvec(p []byte, set func(int) error) error {
	s := strings.TrimSpace(string(bytes.TrimRight(p, "\x00")))
	if strings.HasPrefix(s, "+") { // proc_get_long takes a minus only
		return errno.EINVAL
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return errno.EINVAL
	}
	return set(int(n))
}

// writePipeMaxSize is proc_dopipe_max_size: rounded up to a power of two
// pages; 0 is EINVAL.
func writePipeMaxSize(f *FS, p []byte) error {
	return dointvec(p, ipc.SetPipeMaxSize)
}

// sysDirs are the directories under /proc/sys, "" being sys itself.
func sysChildren(dir string) (names []string, isDir map[string]bool) {
	isDir = map[string]bool{}
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	for _, e := range sysctls {
		if !strings.HasPrefix(e.path, prefix) {
			continue
		}
		rest := e.path[len(prefix):]
		name, _, sub := strings.Cut(rest, "/")
		if _, seen := isDir[name]; !seen {
			names = append(names, name)
		}
		isDir[name] = sub
	}
	sort.Strings(names)
	return names, isDir
}

func sysDirIno(dir string) uint64 {
	if dir == "" {
		return sysIno
	}
	h := uint64(0)
	for _, c := range dir {
		h = h*31 + uint64(c)
	}
	return sysIno + 0x100 + h%0x100
}

func (f *FS) sysDir(parent *vfs.Inode, dir string) *vfs.Inode {
	name := dir[strings.LastIndexByte(dir, '/')+1:]
	if dir == "" {
		name = "sys"
	}
	return f.v.NewSyntheticInode(parent, name, sysDirIno(dir), vfs.S_IFDIR|0o555, 2, &node{kind: kSysDir, sysdir: dir})
}

func (f *FS) lookupSys(dir *vfs.Inode, n *node, name string) (*vfs.Inode, error) {
	names, isDir := sysChildren(n.sysdir)
	for _, c := range names {
		if c != name {
			continue
		}
		path := strings.TrimPrefix(n.sysdir+"/"+name, "/")
		if isDir[name] {
			return f.sysDir(dir, path), nil
		}
		for i := range sysctls {
			if e := &sysctls[i]; e.path == path {
				return f.v.NewSyntheticInode(dir, name, sysIno+0x400+uint64(i), vfs.S_IFREG|e.mode(), 1,
					&node{kind: kSysFile, sysent: e}), nil
			}
		}
	}
	return nil, errno.ENOENT
}

func readdirSys(dir string) []vfs.Dirent {
	names, isDir := sysChildren(dir)
	var out []vfs.Dirent
	for _, name := range names {
		path := strings.TrimPrefix(dir+"/"+name, "/")
		if isDir[name] {
			out = append(out, vfs.Dirent{Ino: sysDirIno(path), Type: vfs.DT_DIR, Name: name})
			continue
		}
		for i := range sysctls {
			if sysctls[i].path == path {
				out = append(out, vfs.Dirent{Ino: sysIno + 0x400 + uint64(i), Type: vfs.DT_REG, Name: name})
			}
		}
	}
	return out
}
