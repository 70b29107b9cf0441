package proc

import (
	"encoding/binary"
	"path"
	"strings"

	arch "tamix/arch/amd64"
	"tamix/errno"
	"tamix/mm"
	"tamix/proc/binfmt"
)

// lookupImage finds an executable of the embedded /bin by path. A name
// without a slash is looked up in /bin, as the shell's PATH would.
func (k *Kernel) lookupImage(p string) ([]byte, string, error) {
	if p == "" {
		return nil, "", errno.ENOENT
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	p = path.Clean(p)
	if p == "/bin" || p == "/" {
		return nil, "", errno.EACCES // a directory
	}
	img, ok := k.Images[p]
	if !ok {
		if dir := path.Dir(p); dir != "/bin" && dir != "/" {
			return nil, "", errno.ENOENT
		}
		return nil, "", errno.ENOENT
	}
	return img, p, nil
}

// Execve replaces t's program (do_execve → load_elf_binary): a new mm with
// the image mapped lazily, the initial stack, caught signals reset to
// SIG_DFL, close-on-exec descriptors closed. On error t is left untouched.
func (k *Kernel) Execve(t *Task, filename string, argv, envp []string) error {
	img, err := k.prepareExec(t, filename, execTarget{}, argv, envp)
	if err != nil {
		return err
	}
	k.commitExec(t, img)
	return nil
}

// execImage is a program loaded into a new address space but not yet
// installed (what Linux's linux_binprm holds up to the point of no return).
type execImage struct {
	mm        *mm.MM
	entry, sp uint64
	path      string
	cred      *Cred // the credentials after exec (bprm->cred)
}

// prepareExec finds, checks and loads the program: every error of execve
// comes from here, before the caller's process is touched.
// filename is what the caller named (AT_EXECFN); target, when resolved
// through the namespace (resolveExec), is the program itself.
func (k *Kernel) prepareExec(t *Task, filename string, target execTarget, argv, envp []string) (*execImage, error) {
	image, p := target.image, target.path
	if image == nil {
		var err error
		name := filename
		if p != "" {
			name = p
		}
		if image, p, err = k.lookupImage(name); err != nil {
			return nil, err
		}
	}
	img, err := binfmt.Parse(image)
	if err != nil {
		return nil, err
	}
	if err := binfmt.CheckArgs(filename, argv, envp); err != nil {
		return nil, err
	}
	newMM, err := mm.NewMM(k.Frames, k.KernelRoot, k.TLB)
	if err != nil {
		return nil, errno.ENOMEM
	}
	var random [16]byte
	k.Random(random[:])
	aux := img.AuxInfo(filename)
	aux.HWCap = k.HWCap
	cred := t.Cred().execCreds()
	aux.UID, aux.EUID, aux.GID, aux.EGID = uint64(cred.UID), uint64(cred.EUID), uint64(cred.GID), uint64(cred.EGID)
	stack := stackRlimitAS{newMM, t.Signal.Rlimit(RLIMIT_STACK).Cur, k.vdsoPages}
	var as binfmt.AddressSpace = stack
	if c := k.imageCache(p, image); c != nil {
		as = imageAS{stack, c} // the text comes from the page cache
	}
	entry, sp, err := binfmt.LoadElfBinary(as, image, argv, envp, aux, random)
	if err != nil {
		newMM.Release()
		return nil, err
	}
	setArgEnv(newMM, sp, argv, envp)
	setCodeData(newMM, img)
	// RLIMIT_AS and RLIMIT_DATA bound what the program maps from now on
	// (the image itself is loaded without them).
	newMM.SetVMLimits(t.Signal.Rlimit(RLIMIT_AS).Cur, t.Signal.Rlimit(RLIMIT_DATA).Cur)
	return &execImage{mm: newMM, entry: entry, sp: sp, path: p, cred: cred}, nil
}

// commitExec installs img in t: the point of no return (begin_new_exec).
func (k *Kernel) commitExec(t *Task, img *execImage) {
	k.exitRobustList(t) // exec_mm_release: the old program's robust locks
	old := t.MM
	t.MM, t.ActiveMM = img.mm, img.mm
	if old != nil {
		k.mmput(old)
	}
	t.SetComm(path.Base(img.path))
	t.Flags &^= PF_FORKNOEXEC | PF_KTHREAD
	t.Signal.dumpable.Store(SUID_DUMP_USER) // set_dumpable in begin_new_exec
	t.commitCreds(img.cred)
	t.Files.closeOnExec()
	k.flushSignalHandlers(t)
	k.execPosixTimers(t)
	t.altStack = sigAltStack{} // execve clears the alternate signal stack
	t.Regs = arch.TrapFrame{RIP: img.entry, RSP: img.sp, CS: arch.UserCS, SS: arch.UserSS}
	t.Regs.SetUserFlags(0)
	arch.InitFPU(&t.Regs)
	t.pending = false
	if t.vforkDone != nil {
		close(t.vforkDone)
		t.vforkDone = nil
	}
}

// setArgEnv records where the argument and environment strings lie
// (mm->arg_start..arg_end, env_start..env_end, as create_elf_tables sets
// them): they start at argv[0], the word after argc at the initial sp, one
// string after the other. /proc/PID/cmdline and environ read them there.
func setArgEnv(m *mm.MM, sp uint64, argv, envp []string) {
	var b [8]byte
	if m.CopyIn(b[:], sp+8) != nil {
		return
	}
	if len(argv) == 0 {
		argv = []string{""}
	}
	p := binary.LittleEndian.Uint64(b[:])
	m.ArgStart = p
	for _, a := range argv {
		p += uint64(len(a)) + 1
	}
	m.ArgEnd, m.EnvStart = p, p
	for _, e := range envp {
		p += uint64(len(e)) + 1
	}
	m.EnvEnd = p
}

// setCodeData sets start_code..end_code and start_data..end_data from the
// segments as load_elf_binary does: the code is what executable segments
// hold of the file, the data ends with the last file byte of any segment.
func setCodeData(m *mm.MM, img *binfmt.Image) {
	startCode, endCode, startData, endData := ^uint64(0), uint64(0), uint64(0), uint64(0)
	for _, s := range img.Segments {
		exec := s.Prot&binfmt.ProtExec != 0
		if exec && s.Vaddr < startCode {
			startCode = s.Vaddr
		}
		startData = max(startData, s.Vaddr)
		end := s.Vaddr + s.Filesz
		if exec {
			endCode = max(endCode, end)
		}
		endData = max(endData, end)
	}
	if startCode == ^uint64(0) {
		startCode = 0
	}
	m.StartCode, m.EndCode, m.StartData, m.EndData = startCode, endCode, startData, endData
}

// flushSignalHandlers resets caught signals to SIG_DFL; ignored ones stay
// ignored and the mask is kept (flush_signal_handlers).
func (k *Kernel) flushSignalHandlers(t *Task) {
	sh := t.Sighand
	if sh.shared() {
		// After exec the process has its own handlers (unshare_sighand).
		n := newSigHand()
		sh.mu.Lock()
		n.Action = sh.Action
		sh.mu.Unlock()
		t.Sighand = n
		sh = n
	}
	sh.mu.Lock()
	for i := range sh.Action {
		a := &sh.Action[i]
		if a.Handler != SIG_IGN {
			a.Handler = SIG_DFL
		}
		a.Flags, a.Restorer, a.Mask = 0, 0, 0
	}
	sh.mu.Unlock()
}

// mmput drops t's use of m; the last user makes every CPU stop using its
// page table before the frames are freed.
func (k *Kernel) mmput(m *mm.MM) {
	if m.Users() == 1 && k.DropMM != nil {
		k.DropMM(m)
	}
	m.Mmput()
}
