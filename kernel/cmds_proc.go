//go:build tamago

package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc"
	"tamix/proc"
	"tamix/vfs"
)

// job is a program the shell started in the background.
type job struct {
	id  int
	pid int
	cmd string
}

var (
	jobs    []job
	nextJob = 1
)

func addProcessCommands(sh *shell) {
	sh.add(&command{name: "ls", usage: "ls [DIR]", help: "list a directory (default /bin: the embedded programs and their sizes)", run: cmdLs})
	sh.add(&command{name: "ps", usage: "ps", help: "list tasks: PID, PPID, state, CPU, policy/nice, faults, comm", run: cmdPs})
	sh.add(&command{name: "jobs", usage: "jobs", help: "list background jobs", run: func(sh *shell, _ []string) int {
		for _, j := range jobs {
			fmt.Fprintf(sh.out, "[%d] %d running  %s\n", j.id, j.pid, j.cmd)
		}
		return 0
	}})
	sh.add(&command{name: "kill", usage: "kill [-SIG] pid", help: "send a signal (default SIGTERM)", run: cmdKill})
	sh.add(&command{name: "fg", usage: "fg [job]", help: "continue a stopped or background job in the foreground", run: cmdFg})
	sh.add(&command{name: "wait", usage: "wait", help: "wait for every background job", run: func(sh *shell, _ []string) int {
		for len(jobs) > 0 {
			res, err := kern.WaitChild(kshell, -1, 0)
			if err != nil {
				break
			}
			reportJob(sh, res)
		}
		return 0
	}})
	sh.add(&command{name: "strace", usage: "strace on|off", help: "log every system call of every task", run: func(sh *shell, args []string) int {
		kern.Trace.Store(len(args) > 1 && args[1] == "on")
		return 0
	}})
	sh.add(&command{name: "dmesg", usage: "dmesg", help: "print the kernel log", run: func(sh *shell, _ []string) int {
		dmesgMu.Lock()
		defer dmesgMu.Unlock()
		for _, l := range dmesg {
			fmt.Fprintln(sh.out, l)
		}
		return 0
	}})
	sh.add(&command{name: "repeat", usage: "repeat N command [args...]", help: "run a command N times (stops at the first failure)", run: func(sh *shell, args []string) int {
		n, err := strconv.Atoi(strings.TrimSpace(strings.Join(args[1:2], "")))
		if len(args) < 3 || err != nil || n < 0 {
			fmt.Fprintln(sh.out, "usage: repeat N command [args...]")
			return 2
		}
		for i := 0; i < n; i++ {
			sh.exec(strings.Join(quoteAll(args[2:]), " "))
			if sh.status != 0 {
				return sh.status
			}
		}
		return 0
	}})
	sh.add(&command{name: "free", usage: "free", help: "page frames: free, used, total", run: func(sh *shell, _ []string) int {
		free, total := frames.FreeCount(), frames.TotalCount()
		fmt.Fprintf(sh.out, "frames: %d free, %d used, %d total (4 KiB each)\n", free, total-free, total)
		return 0
	}})
	sh.add(&command{name: "mkfifo", usage: "mkfifo path...", help: "make FIFOs (named pipes), e.g. in /tmp", run: func(sh *shell, args []string) int {
		status := 0
		for _, p := range args[1:] {
			if _, err := kern.VFS.Mknod(kern.VFS.Root(), p, vfs.S_IFIFO|0o644, 0); err != nil {
				fmt.Fprintf(sh.out, "mkfifo: %s: %v\n", p, err)
				status = 1
			}
		}
		return status
	}})
	sh.add(&command{name: "rm", usage: "rm path...", help: "unlink files, FIFOs and device nodes", run: func(sh *shell, args []string) int {
		status := 0
		for _, p := range args[1:] {
			if err := kern.VFS.Unlink(kern.VFS.Root(), p); err != nil {
				fmt.Fprintf(sh.out, "rm: %s: %v\n", p, err)
				status = 1
			}
		}
		return status
	}})
	sh.external = runProgram
	sh.pipeline = runPipeline
	sh.beforePrompt = func(sh *shell) {
		for len(jobs) > 0 {
			res, err := kern.WaitChild(kshell, -1, proc.WNOHANG)
			if err != nil || res.PID == 0 {
				return
			}
			reportJob(sh, res)
		}
	}
}

func reportJob(sh *shell, res proc.WaitResult) {
	for i, j := range jobs {
		if j.pid == res.PID {
			fmt.Fprintf(sh.out, "[%d] done %s  %s\n", j.id, statusText(res.Status, nil), j.cmd)
			jobs = append(jobs[:i], jobs[i+1:]...)
			return
		}
	}
}

// statusText describes a wait status as a shell would.
func statusText(status int, t *proc.Task) string {
	if sig := status & 0x7f; sig != 0 {
		s := "killed by " + proc.SignalName(sig)
		// For a fault, say where: the faulting address, or the instruction.
		if t != nil && t.FatalSignal.Signo == int32(sig) && isFaultSignal(sig) &&
			t.FatalSignal.Code != proc.SI_USER && t.FatalSignal.Code != proc.SI_TKILL {
			if a := t.FatalSignal.Addr; a != 0 {
				s += fmt.Sprintf(" at %#x", a)
			} else {
				s += fmt.Sprintf(" at %#x", t.FatalRIP)
			}
		}
		if status&0x80 != 0 {
			s += " (core dumped)"
		}
		return s
	}
	return fmt.Sprintf("exit %d", status>>8&0xff)
}

// runProgram starts /bin/args[0] as a child of the shell's kernel thread
// and waits for it unless it runs in the background.
func runProgram(sh *shell, args []string, background bool) (int, bool) {
	return startProgram(sh, args, background, nil)
}

// startProgram is runProgram with a set-up step on the child before it
// first runs (nice, taskset, chrt).
func startProgram(sh *shell, args []string, background bool, setup func(*proc.Task) error) (int, bool) {
	name := args[0]
	path := name
	if !strings.HasPrefix(path, "/") {
		path = "/bin/" + name
	}
	if _, ok := kern.Images[path]; !ok {
		return 0, false
	}
	env := []string{"HOME=/", "PATH=/bin", "TERM=linux"}
	var setupErr error
	t, err := kern.Spawn(kshell, path, args, env, func(t *proc.Task) {
		t.Signal.Pgrp = t.PID // a job is a process group (setpgid(pid, pid))
		if setup != nil {
			setupErr = setup(t)
		}
	})
	if setupErr != nil {
		fmt.Fprintf(sh.out, "tamix: %s: %v\n", name, setupErr)
	}
	if err != nil {
		e, _ := err.(errno.Errno)
		fmt.Fprintf(sh.out, "tamix: %s: %v\n", name, e.Error())
		return 126, true
	}
	cmd := strings.Join(args, " ")
	if background {
		jobs = append(jobs, job{nextJob, t.PID, cmd})
		fmt.Fprintf(sh.out, "[%d] %d\n", nextJob, t.PID)
		nextJob++
		return 0, true
	}
	res, err := waitForeground(t, t.PID, cmd)
	if b := console.Drain(); len(b) > 0 {
		select {
		case shellInput <- b:
		default:
		}
	}
	if err != nil {
		fmt.Fprintf(sh.out, "tamix: wait: %v\n", err)
		return 1, true
	}
	if res.Status&0xff == 0x7f {
		return stoppedJob(sh, t.PID, cmd, res.Status), true
	}
	if res.Status != 0 {
		fmt.Fprintf(sh.out, "[%s]\n", statusText(res.Status, t))
	}
	if res.Status&0x7f != 0 {
		return 128 + res.Status&0x7f, true
	}
	return res.Status >> 8 & 0xff, true
}

func cmdLs(sh *shell, args []string) int {
	dir := "/bin"
	if len(args) > 1 {
		dir = args[1]
	}
	names, err := listDir(dir)
	if err != nil {
		fmt.Fprintf(sh.out, "ls: %s: %v\n", dir, err)
		return 1
	}
	for _, n := range names {
		if img, ok := kern.Images["/bin/"+n]; ok && strings.TrimSuffix(dir, "/") == "/bin" {
			fmt.Fprintf(sh.out, "%8d  %s\n", len(img), n)
			continue
		}
		fmt.Fprintln(sh.out, n)
	}
	return 0
}

// listDir reads a directory's names through the VFS, as getdents64 does
// for a program (without "." and "..").
func listDir(path string) ([]string, error) {
	ino, err := kern.VFS.Lookup(nil, path)
	if err != nil {
		return nil, err
	}
	f, err := kern.VFS.OpenInode(ino, fs.O_RDONLY|fs.O_DIRECTORY, nil)
	if err != nil {
		return nil, err
	}
	defer f.Release()
	d, ok := f.(*vfs.Dir)
	if !ok {
		return nil, errno.ENOTDIR
	}
	var names []string
	for {
		b, err := d.Getdents64(4096)
		if err != nil {
			return nil, err
		}
		if len(b) == 0 {
			return names, nil
		}
		for len(b) >= 19 {
			reclen := int(binary.LittleEndian.Uint16(b[16:]))
			name := string(bytes.TrimRight(b[19:reclen], "\x00"))
			if name != "." && name != ".." {
				names = append(names, name)
			}
			b = b[reclen:]
		}
	}
}

func cmdPs(sh *shell, _ []string) int {
	fmt.Fprintf(sh.out, "%5s %5s %5s S CPU POL  NI PRI %8s %8s %9s %9s %9s %6s %6s COMM\n", "PID", "TGID", "PPID", "MINFLT", "MAJFLT", "UTIME", "STIME", "SUMEXEC", "NVCSW", "NIVCSW")
	for _, t := range kern.Tasks() {
		ppid := 0
		if p := t.RealParent(); p != nil && p != t {
			ppid = p.TGID
		}
		pol := map[int]string{0: "TS", 1: "FF", 2: "RR", 3: "B", 5: "IDL"}[int(t.Policy)]
		if t.Flags&proc.PF_IDLE != 0 {
			pol = "IDL"
		}
		fmt.Fprintf(sh.out, "%5d %5d %5d %c %3d %-3s %3d %3d %8d %8d %9s %9s %9s %6d %6d %s\n",
			t.PID, t.TGID, ppid, t.StateChar(), t.CPU, pol, t.Nice(), t.Prio,
			t.MinFlt, t.MajFlt, ms(t.Utime), ms(t.Stime), ms(t.SE.SumExecRuntime), t.Nvcsw, t.Nivcsw, t.Comm())
	}
	return 0
}

func ms(ns int64) string { return strconv.FormatFloat(float64(ns)/1e6, 'f', 1, 64) + "ms" }

func cmdKill(sh *shell, args []string) int {
	sig := proc.SIGTERM
	if len(args) > 1 && strings.HasPrefix(args[1], "-") {
		name := strings.TrimPrefix(args[1], "-")
		if n, err := strconv.Atoi(name); err == nil {
			sig = n
		} else {
			sig = 0
			for s := 1; s < 32; s++ {
				if proc.SignalName(s) == "SIG"+strings.TrimPrefix(name, "SIG") {
					sig = s
				}
			}
		}
		args = append(args[:1], args[2:]...)
	}
	if len(args) != 2 || sig <= 0 || sig > proc.NSIG {
		fmt.Fprintln(sh.out, "usage: kill [-SIG] pid")
		return 2
	}
	pid, err := strconv.Atoi(args[1])
	t := kern.FindTask(pid)
	if err != nil || t == nil || t.IsKernelThread() {
		fmt.Fprintf(sh.out, "kill: (%s) - No such process\n", args[1])
		return 1
	}
	kern.SendSignalInfo(t.GroupLeader, proc.SigInfo{Signo: int32(sig), Code: proc.SI_USER}, true)
	return 0
}

// quoteAll quotes words so that splitWords gives them back unchanged.
func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
	}
	return out
}

// runPipeline starts a | b | c with pipes between the stages and the
// redirections of each, all in one process group (the job), and waits for
// every stage unless the job runs in the background. The status is the last
// stage's, as in sh.
func runPipeline(sh *shell, stages []stage, background bool) int {
	for _, st := range stages {
		if _, ok := kern.Images[programPath(st.args[0])]; !ok {
			fmt.Fprintf(sh.out, "tamix: %s: command not found\n", st.args[0])
			return 127
		}
	}
	var opened []*proc.OpenFile // the shell's references, dropped at the end
	defer func() {
		for _, of := range opened {
			of.Put()
		}
	}()
	n := len(stages)
	ins, outs := make([]*proc.OpenFile, n), make([]*proc.OpenFile, n)
	for i := 0; i < n-1; i++ {
		r, w := ipc.NewPipeFiles()
		ins[i+1] = proc.NewOpenFile(r, fs.O_RDONLY)
		outs[i] = proc.NewOpenFile(w, fs.O_WRONLY)
		opened = append(opened, ins[i+1], outs[i])
	}
	for i, st := range stages {
		for _, r := range []struct {
			path  string
			flags int
			slot  **proc.OpenFile
		}{{st.stdin, fs.O_RDONLY, &ins[i]}, {st.stdout, fs.O_WRONLY | fs.O_CREAT | fs.O_TRUNC, &outs[i]}} {
			if r.path == "" {
				continue
			}
			of, err := kern.OpenForShell(r.path, r.flags)
			if err != nil {
				fmt.Fprintf(sh.out, "tamix: %s: %v\n", r.path, err)
				return 1
			}
			opened = append(opened, of)
			*r.slot = of
		}
	}
	env := []string{"HOME=/", "PATH=/bin", "TERM=linux"}
	pgid := 0
	var tasks []*proc.Task
	for i, st := range stages {
		t, err := kern.Spawn(kshell, programPath(st.args[0]), st.args, env, func(t *proc.Task) {
			if ins[i] != nil {
				t.Files.Replace(0, ins[i])
			}
			if outs[i] != nil {
				t.Files.Replace(1, outs[i])
			}
			if pgid == 0 {
				pgid = t.PID
			}
			t.Signal.Pgrp = pgid
		})
		if err != nil {
			fmt.Fprintf(sh.out, "tamix: %s: %v\n", st.args[0], err)
			return 126
		}
		tasks = append(tasks, t)
	}
	// Only the children hold the pipe ends now: a reader sees EOF when its
	// writers exit.
	for _, of := range opened {
		of.Put()
	}
	opened = nil
	last := tasks[len(tasks)-1]
	if background {
		jobs = append(jobs, job{nextJob, last.PID, joinStages(stages)})
		fmt.Fprintf(sh.out, "[%d] %d\n", nextJob, last.PID)
		nextJob++
		return 0
	}
	status := 0
	for range tasks {
		res, err := waitForeground(last, pgid, joinStages(stages))
		if err == nil && res.Status&0xff == 0x7f {
			return stoppedJob(sh, last.PID, joinStages(stages), res.Status)
		}
		if err == nil && res.PID == last.PID {
			status = res.Status
			if res.Status != 0 {
				fmt.Fprintf(sh.out, "[%s]\n", statusText(res.Status, last))
			}
		}
	}
	if status&0x7f != 0 {
		return 128 + status&0x7f
	}
	return status >> 8 & 0xff
}

func programPath(name string) string {
	if strings.HasPrefix(name, "/") {
		return name
	}
	return "/bin/" + name
}

func joinStages(stages []stage) string {
	var parts []string
	for _, st := range stages {
		parts = append(parts, strings.Join(st.args, " "))
	}
	return strings.Join(parts, " | ")
}

// waitForeground gives the terminal to the job (process group pgid, whose
// last process is t) and waits until a process of it exits or the job stops
// (^Z); then the shell takes the terminal back, with the typeahead.
func waitForeground(t *proc.Task, pgid int, cmd string) (proc.WaitResult, error) {
	foreground.Store(t)
	kern.SetForegroundPgrp(pgid)
	res, err := kern.WaitChild(kshell, -pgid, proc.WUNTRACED)
	kern.SetForegroundPgrp(kshell.PID)
	foreground.Store(nil)
	if b := console.Drain(); len(b) > 0 {
		select {
		case shellInput <- b:
		default:
		}
	}
	return res, err
}

// stoppedJob records a job that ^Z stopped: it shows in jobs, and fg or
// kill -CONT resumes it.
func stoppedJob(sh *shell, pid int, cmd string, status int) int {
	jobs = append(jobs, job{nextJob, pid, cmd})
	fmt.Fprintf(sh.out, "\n[%d]+ Stopped (%s)  %s\n", nextJob, proc.SignalName(status>>8&0xff), cmd)
	nextJob++
	return 128 + status>>8&0xff
}

func cmdFg(sh *shell, args []string) int {
	if len(jobs) == 0 {
		fmt.Fprintln(sh.out, "fg: no current job")
		return 1
	}
	i := len(jobs) - 1
	if len(args) > 1 {
		n, _ := strconv.Atoi(strings.TrimPrefix(args[1], "%"))
		i = -1
		for k, j := range jobs {
			if j.id == n {
				i = k
			}
		}
		if i < 0 {
			fmt.Fprintf(sh.out, "fg: %s: no such job\n", args[1])
			return 1
		}
	}
	j := jobs[i]
	jobs = append(jobs[:i], jobs[i+1:]...)
	t := kern.FindTask(j.pid)
	if t == nil {
		return 0
	}
	fmt.Fprintln(sh.out, j.cmd)
	pgid := t.Signal.Pgrp
	kern.KillPgrp(pgid, proc.SigInfo{Signo: proc.SIGCONT, Code: proc.SI_USER})
	res, err := waitForeground(t, pgid, j.cmd)
	if err != nil {
		return 1
	}
	if res.Status&0xff == 0x7f {
		return stoppedJob(sh, j.pid, j.cmd, res.Status)
	}
	if res.Status != 0 {
		fmt.Fprintf(sh.out, "[%s]\n", statusText(res.Status, t))
	}
	return res.Status >> 8 & 0xff
}

func isFaultSignal(sig int) bool {
	switch sig {
	case proc.SIGSEGV, proc.SIGBUS, proc.SIGILL, proc.SIGFPE, proc.SIGTRAP:
		return true
	}
	return false
}
