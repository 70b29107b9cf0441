// Package procfs is tamix's /proc, after Linux's fs/proc: a synthetic
// filesystem whose directories and files are made on each lookup and read
// from the live kernel state — the task list, each task's scheduler entity,
// address space, signals and descriptors, the frame allocator and the
// runqueues. Nothing is stored: reading /proc/PID/sched twice shows the
// scheduler's state at each read.
//
//	/proc/self, /proc/thread-self     symbolic links to the caller's directories
//	/proc/PID/                        one per thread group (any TID is found too)
//	    stat status statm sched comm cmdline environ maps   files
//	    limits schedstat wchan
//	    cwd root exe                                       links
//	    fd/N                                               links to the open files
//	    fdinfo/N                                           their position and flags
//	    task/TID/                                          the same per thread,
//	                                                       with children
//	/proc/meminfo cpuinfo uptime loadavg stat version
//	/proc/sys/kernel, /proc/sys/fs                     sysctl files (sys.go)
//
// It plugs into the namespace through vfs.Synthetic (vfs.FS.Mount), so the
// path walk, stat, getdents64 and the descriptor table treat it like any
// other filesystem. Everything here is plain Go, tested on the host
// against a kernel made by proc's test helpers.
package procfs

import (
	"sort"
	"strconv"
	"strings"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/proc"
	"tamix/vfs"
)

// Dev is /proc's device number (st_dev), an anonymous device as Linux's.
var Dev = vfs.Mkdev(0, 22)

// RootIno is /proc's inode number (PROC_ROOT_INO).
const RootIno = 1

// CPU describes one processor for /proc/cpuinfo (from CPUID on the machine).
type CPU struct {
	VendorID                string
	Family, Model, Stepping int
	ModelName               string
	MHz                     float64
	CacheKB                 int
	Flags                   []string
	APICID                  int
}

// Config is what /proc shows beyond the kernel's state.
type Config struct {
	// CPUs describes each CPU; missing entries show as generic x86-64.
	CPUs []CPU
	// Version is /proc/version's line, without the newline.
	Version string
}

// FS is the mounted /proc.
type FS struct {
	k    *proc.Kernel
	v    *vfs.FS
	root *vfs.Inode
	cfg  Config
}

// Mount mounts /proc in v, showing k.
func Mount(v *vfs.FS, k *proc.Kernel, cfg Config) *FS {
	f := &FS{k: k, v: v, cfg: cfg}
	f.root = v.Mount("proc", 0o555, Dev, f)
	f.root.Ino = RootIno
	f.root.Private = &node{kind: kRoot}
	return f
}

// Root is /proc's directory inode.
func (f *FS) Root() *vfs.Inode { return f.root }

type nodeKind int

const (
	kRoot       nodeKind = iota
	kGlobal              // /proc/meminfo…
	kSelf                // /proc/self
	kThreadSelf          // /proc/thread-self
	kPidDir              // /proc/PID
	kTidDir              // /proc/PID/task/TID
	kTaskDir             // /proc/PID/task
	kFdDir               // fd
	kFdLink              // fd/N
	kPidFile             // stat, status…
	kPidLink             // cwd, exe
	kSysvipcDir          // /proc/sysvipc
	kFdinfoDir           // fdinfo
	kFdinfoFile          // fdinfo/N
	kSysDir              // /proc/sys and its directories
	kSysFile             // a sysctl file
)

// node is what a /proc inode stands for (its i_private).
type node struct {
	kind   nodeKind
	task   *proc.Task // the task of per-task nodes
	thread bool       // under task/TID: the per-thread view
	pent   *pidEntry
	gent   *globalEntry
	fd     int
	sysdir string       // kSysDir: the path under /proc/sys ("" for sys)
	sysent *sysctlEntry // kSysFile
}

func nodeOf(ino *vfs.Inode) *node {
	n, _ := ino.Private.(*node)
	if n == nil {
		return &node{kind: -1}
	}
	return n
}

// Inode numbers: fixed per object, so that stat sees the same inode for
// the same path. Per-task inodes carry the TID and the view.
const (
	globalInoBase = 0xf0000000
	selfIno       = globalInoBase + 0x100
	threadSelfIno = globalInoBase + 0x101
	taskInoBase   = 1 << 32
)

func taskIno(tid int, view int, idx int) uint64 {
	return taskInoBase + uint64(tid)<<16 + uint64(view)<<12 + uint64(idx)
}

// Views of per-task inodes (taskIno).
const (
	viewPid       = 0 // /proc/PID/…
	viewTid       = 1 // /proc/PID/task/TID/…
	viewPidFd     = 2 // /proc/PID/fd/N
	viewTidFd     = 3 // /proc/PID/task/TID/fd/N
	viewTask      = 4 // /proc/PID/task
	viewPidFdinfo = 5 // /proc/PID/fdinfo/N
	viewTidFdinfo = 6 // /proc/PID/task/TID/fdinfo/N
)

func (n *node) view(fd bool) int {
	switch {
	case fd && n.thread:
		return viewTidFd
	case fd:
		return viewPidFd
	case n.thread:
		return viewTid
	}
	return viewPid
}

func (n *node) fdinfoView() int {
	if n.thread {
		return viewTidFdinfo
	}
	return viewPidFdinfo
}

// nameToInt parses a PID or descriptor name as name_to_int does: decimal,
// no sign, no leading zero.
func nameToInt(name string) (int, bool) {
	if name == "" || len(name) > 1 && name[0] == '0' || len(name) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range name {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func (f *FS) alive(t *proc.Task) bool { return t != nil && f.k.Alive(t) }

// Lookup implements vfs.Synthetic (proc_root_lookup, proc_pid_lookup,
// proc_pident_lookup, proc_task_lookup, proc_lookupfd).
func (f *FS) Lookup(caller any, dir *vfs.Inode, name string) (*vfs.Inode, error) {
	n := nodeOf(dir)
	switch n.kind {
	case kRoot:
		if g := findGlobal(name); g != nil {
			return f.v.NewSyntheticInode(dir, name, g.ino(), vfs.S_IFREG|g.mode, 1, &node{kind: kGlobal, gent: g}), nil
		}
		switch name {
		case "self":
			return f.v.NewSyntheticInode(dir, name, selfIno, vfs.S_IFLNK|0o777, 1, &node{kind: kSelf}), nil
		case "thread-self":
			return f.v.NewSyntheticInode(dir, name, threadSelfIno, vfs.S_IFLNK|0o777, 1, &node{kind: kThreadSelf}), nil
		case "sysvipc":
			return f.sysvipcDir(dir), nil
		case "sys":
			return f.sysDir(dir, ""), nil
		}
		pid, ok := nameToInt(name)
		if !ok || pid == 0 {
			return nil, errno.ENOENT
		}
		t := f.k.FindTask(pid)
		if !f.alive(t) {
			return nil, errno.ENOENT
		}
		return f.taskDir(dir, name, t, false), nil
	case kPidDir, kTidDir:
		if !f.alive(n.task) {
			return nil, errno.ENOENT
		}
		for i := range pidEntries {
			e := &pidEntries[i]
			if e.name != name || n.thread && e.tgidOnly || !n.thread && e.tidOnly {
				continue
			}
			return f.pidEntryInode(dir, n, e), nil
		}
	case kTaskDir:
		tid, ok := nameToInt(name)
		if !ok || !f.alive(n.task) {
			return nil, errno.ENOENT
		}
		t := f.k.FindTask(tid)
		if !f.alive(t) || t.TGID != n.task.TGID {
			return nil, errno.ENOENT
		}
		return f.taskDir(dir, name, t, true), nil
	case kSysvipcDir:
		return f.lookupSysvipc(dir, name)
	case kSysDir:
		return f.lookupSys(dir, n, name)
	case kFdinfoDir:
		fd, ok := nameToInt(name)
		if !ok || !f.alive(n.task) {
			return nil, errno.ENOENT
		}
		if _, ok := f.fileOf(n.task, fd); !ok {
			return nil, errno.ENOENT
		}
		return f.v.NewSyntheticInode(dir, name, taskIno(n.task.PID, n.fdinfoView(), fd), vfs.S_IFREG|0o444, 1,
			&node{kind: kFdinfoFile, task: n.task, thread: n.thread, fd: fd}), nil
	case kFdDir:
		fd, ok := nameToInt(name)
		if !ok || !f.alive(n.task) {
			return nil, errno.ENOENT
		}
		if _, ok := f.fileOf(n.task, fd); !ok {
			return nil, errno.ENOENT
		}
		return f.v.NewSyntheticInode(dir, name, taskIno(n.task.PID, n.view(true), fd), vfs.S_IFLNK|0o700, 1,
			&node{kind: kFdLink, task: n.task, thread: n.thread, fd: fd}), nil
	}
	return nil, errno.ENOENT
}

func (f *FS) taskDir(parent *vfs.Inode, name string, t *proc.Task, thread bool) *vfs.Inode {
	kind, view := kPidDir, viewPid
	if thread {
		kind, view = kTidDir, viewTid
	}
	return f.v.NewSyntheticInode(parent, name, taskIno(t.PID, view, 0), vfs.S_IFDIR|0o555, 3,
		&node{kind: kind, task: t, thread: thread})
}

func (f *FS) pidEntryInode(dir *vfs.Inode, n *node, e *pidEntry) *vfs.Inode {
	idx := int(e.idx())
	nn := &node{task: n.task, thread: n.thread, pent: e}
	switch {
	case e.name == "task":
		nn.kind = kTaskDir
		return f.v.NewSyntheticInode(dir, e.name, taskIno(n.task.PID, viewTask, 0), vfs.S_IFDIR|e.mode, 3, nn)
	case e.name == "fdinfo":
		nn.kind = kFdinfoDir
		return f.v.NewSyntheticInode(dir, e.name, taskIno(n.task.PID, n.view(false), idx), vfs.S_IFDIR|e.mode, 2, nn)
	case e.name == "fd":
		nn.kind = kFdDir
		return f.v.NewSyntheticInode(dir, e.name, taskIno(n.task.PID, n.view(false), idx), vfs.S_IFDIR|e.mode, 2, nn)
	case e.link != nil:
		nn.kind = kPidLink
		return f.v.NewSyntheticInode(dir, e.name, taskIno(n.task.PID, n.view(false), idx), vfs.S_IFLNK|e.mode, 1, nn)
	}
	nn.kind = kPidFile
	return f.v.NewSyntheticInode(dir, e.name, taskIno(n.task.PID, n.view(false), idx), vfs.S_IFREG|e.mode, 1, nn)
}

// Readdir implements vfs.Synthetic (proc_root_readdir, proc_pident_readdir,
// proc_task_readdir, proc_readfd): ENOENT once the task is gone.
func (f *FS) Readdir(dir *vfs.Inode) ([]vfs.Dirent, error) {
	n := nodeOf(dir)
	var out []vfs.Dirent
	switch n.kind {
	case kRoot:
		// The registered entries first, in the order of their tree (by
		// length, then by name), then self, thread-self and the
		// thread-group leaders by PID (proc_pid_readdir).
		// The directories take their places in the tree among the files.
		dirs := []vfs.Dirent{{Ino: sysIno, Type: vfs.DT_DIR, Name: "sys"}, {Ino: sysvipcIno, Type: vfs.DT_DIR, Name: "sysvipc"}}
		for i := range sortedGlobals {
			g := sortedGlobals[i]
			for len(dirs) > 0 && (len(g.name) > len(dirs[0].Name) || len(g.name) == len(dirs[0].Name) && g.name > dirs[0].Name) {
				out = append(out, dirs[0])
				dirs = dirs[1:]
			}
			out = append(out, vfs.Dirent{Ino: g.ino(), Type: vfs.DT_REG, Name: g.name})
		}
		out = append(out, dirs...)
		out = append(out, vfs.Dirent{Ino: selfIno, Type: vfs.DT_LNK, Name: "self"},
			vfs.Dirent{Ino: threadSelfIno, Type: vfs.DT_LNK, Name: "thread-self"})
		for _, t := range f.k.Tasks() {
			if t.PID != 0 && t.PID == t.TGID {
				out = append(out, vfs.Dirent{Ino: taskIno(t.PID, viewPid, 0), Type: vfs.DT_DIR, Name: strconv.Itoa(t.PID)})
			}
		}
	case kPidDir, kTidDir:
		if !f.alive(n.task) {
			return nil, errno.ENOENT
		}
		for i := range pidEntries {
			e := &pidEntries[i]
			if n.thread && e.tgidOnly || !n.thread && e.tidOnly {
				continue
			}
			typ := byte(vfs.DT_REG)
			switch {
			case e.name == "task" || e.name == "fd" || e.name == "fdinfo":
				typ = vfs.DT_DIR
			case e.link != nil:
				typ = vfs.DT_LNK
			}
			ino := taskIno(n.task.PID, n.view(false), int(e.idx()))
			if e.name == "task" {
				ino = taskIno(n.task.PID, viewTask, 0)
			}
			out = append(out, vfs.Dirent{Ino: ino, Type: typ, Name: e.name})
		}
	case kTaskDir:
		if !f.alive(n.task) {
			return nil, errno.ENOENT
		}
		for _, t := range f.threads(n.task) {
			out = append(out, vfs.Dirent{Ino: taskIno(t.PID, viewTid, 0), Type: vfs.DT_DIR, Name: strconv.Itoa(t.PID)})
		}
	case kSysvipcDir:
		out = readdirSysvipc()
	case kSysDir:
		out = readdirSys(n.sysdir)
	case kFdinfoDir:
		if !f.alive(n.task) || n.task.Files == nil {
			return nil, errno.ENOENT
		}
		fds, _ := n.task.Files.FDs()
		for _, d := range fds {
			out = append(out, vfs.Dirent{Ino: taskIno(n.task.PID, n.fdinfoView(), d.FD), Type: vfs.DT_REG, Name: strconv.Itoa(d.FD)})
		}
	case kFdDir:
		if !f.alive(n.task) || n.task.Files == nil {
			return nil, errno.ENOENT
		}
		fds, _ := n.task.Files.FDs()
		for _, d := range fds {
			out = append(out, vfs.Dirent{Ino: taskIno(n.task.PID, n.view(true), d.FD), Type: vfs.DT_LNK, Name: strconv.Itoa(d.FD)})
		}
	default:
		return nil, errno.ENOTDIR
	}
	return out, nil
}

// threads lists t's thread group by TID, the leader included even as a
// zombie.
func (f *FS) threads(t *proc.Task) []*proc.Task {
	leader := t.GroupLeader
	if leader == nil {
		leader = t
	}
	ths := f.k.ThreadsOf(leader)
	found := false
	for _, th := range ths {
		found = found || th == leader
	}
	if !found && f.alive(leader) {
		ths = append(ths, leader)
	}
	sort.Slice(ths, func(i, j int) bool { return ths[i].PID < ths[j].PID })
	return ths
}

// Open implements vfs.Synthetic: the files render on their first read.
func (f *FS) Open(ino *vfs.Inode, flags int) (fs.File, error) {
	n := nodeOf(ino)
	switch n.kind {
	case kGlobal, kPidFile, kFdinfoFile:
		return &File{fs: f, ino: ino, n: n, flags: flags}, nil
	case kSysFile:
		// proc_sys_permission: a file without write permission refuses
		// writers, root included.
		if flags&fs.O_ACCMODE != fs.O_RDONLY && n.sysent.write == nil {
			return nil, errno.EACCES
		}
		return &File{fs: f, ino: ino, n: n, flags: flags}, nil
	}
	return nil, errno.ENXIO
}

// Readlink implements vfs.Synthetic. caller is the *proc.Task resolving
// the path (Linux's current); /proc/self needs one.
func (f *FS) Readlink(caller any, ino *vfs.Inode) (string, error) {
	n := nodeOf(ino)
	switch n.kind {
	case kSelf, kThreadSelf:
		t, ok := caller.(*proc.Task)
		if !ok || t == nil {
			return "", errno.ENOENT
		}
		if n.kind == kSelf {
			return strconv.Itoa(t.TGID), nil
		}
		return strconv.Itoa(t.TGID) + "/task/" + strconv.Itoa(t.PID), nil
	case kFdLink:
		if !f.alive(n.task) {
			return "", errno.ENOENT
		}
		file, ok := f.fileOf(n.task, n.fd)
		if !ok {
			return "", errno.ENOENT
		}
		return f.describe(file), nil
	case kPidLink:
		if !f.alive(n.task) {
			return "", errno.ENOENT
		}
		return n.pent.link(f, n.task)
	}
	return "", errno.EINVAL
}

// fileOf returns the file open on fd in t.
func (f *FS) fileOf(t *proc.Task, fd int) (fs.File, bool) {
	if t.Files == nil {
		return nil, false
	}
	fds, _ := t.Files.FDs()
	for _, d := range fds {
		if d.FD == fd {
			return d.File, true
		}
	}
	return nil, false
}

// describe is d_path for an open file, as /proc/PID/fd/N shows it.
func (f *FS) describe(file fs.File) string {
	if p := vfs.DevicePath(file); p != "" {
		return p
	}
	if file == f.k.Console {
		return "/dev/console"
	}
	if in, ok := file.(interface{ Inode() *vfs.Inode }); ok {
		return inodePath(in.Inode())
	}
	if p, ok := file.(*ipc.File); ok {
		return "pipe:[" + strconv.FormatUint(p.Pipe().Ino, 10) + "]"
	}
	if s, ok := file.(interface{ SockName() string }); ok {
		return s.SockName() // socket:[ino]
	}
	if a, ok := file.(interface{ AnonName() string }); ok {
		return "anon_inode:" + a.AnonName() // eventpoll, eventfd
	}
	return "anon_inode:[unknown]"
}

// inodePath is an inode's absolute path from its names, without the
// namespace lock (the namespace may hold it while a link is followed).
func inodePath(ino *vfs.Inode) string {
	var parts []string
	deleted := ""
	d := ino
	if d.Parent() == nil && d.DeletedFrom() != nil {
		// An unlinked file: its dentry still has its d_parent.
		parts, deleted, d = append(parts, d.Name()), " (deleted)", d.DeletedFrom()
	}
	for ; d.Parent() != d; d = d.Parent() {
		parts = append(parts, d.Name())
		if d.Parent() == nil {
			deleted = " (deleted)"
			break
		}
	}
	return "/" + strings.Join(reverse(parts), "/") + deleted
}

func reverse(s []string) []string {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
	return s
}
