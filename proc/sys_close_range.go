package proc

import "tamix/errno"

// close_range and personality (fs/file.c, kernel/exec_domain.c).
const (
	SYS_personality = 135
	SYS_close_range = 436

	CLOSE_RANGE_UNSHARE = 1 << 1
	CLOSE_RANGE_CLOEXEC = 1 << 2

	// PER_LINUX is the only execution domain; personality(0xffffffff)
	// only reads the current one.
	PER_LINUX        = 0
	personalityQuery = 0xffffffff
)

func init() {
	syscallTable[SYS_close_range] = sysCloseRange
	syscallTable[SYS_personality] = sysPersonality
}

// sysCloseRange is close_range(first, last, flags): every open descriptor
// from first to last (clamped to the table) is closed, or only marked
// close-on-exec with CLOSE_RANGE_CLOEXEC; CLOSE_RANGE_UNSHARE first gives
// the caller a table of its own if it shares one (CLONE_FILES).
func sysCloseRange(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	first, last, flags := uint32(a[0]), uint32(a[1]), uint32(a[2])
	if flags&^(CLOSE_RANGE_UNSHARE|CLOSE_RANGE_CLOEXEC) != 0 || first > last {
		return 0, errno.EINVAL
	}
	if flags&CLOSE_RANGE_UNSHARE != 0 {
		t.unshareFiles()
	}
	t.Files.closeRange(int(min(first, 1<<30)), int(min(last, 1<<30)), flags&CLOSE_RANGE_CLOEXEC != 0)
	return 0, nil
}

// unshareFiles gives t its own copy of a shared descriptor table
// (unshare_fd).
func (t *Task) unshareFiles() {
	fs := t.Files
	fs.mu.Lock()
	shared := fs.users > 1
	fs.mu.Unlock()
	if !shared {
		return
	}
	t.Files = fs.dup()
	fs.put()
}

// closeRange closes (or marks close-on-exec) the open descriptors in
// [first, last] (__close_range).
func (fs *FilesStruct) closeRange(first, last int, cloexec bool) {
	fs.mu.Lock()
	var closing []*OpenFile
	for fd := first; fd <= last && fd < len(fs.fds); fd++ {
		e := &fs.fds[fd]
		if e.file == nil {
			continue
		}
		if cloexec {
			e.cloexec = true
			continue
		}
		closing = append(closing, e.file)
		*e = fdEntry{}
	}
	fs.mu.Unlock()
	for _, of := range closing {
		of.put()
	}
}

// sysPersonality is personality(persona): it returns the old persona and
// stores the new one (its flag bits, like ADDR_NO_RANDOMIZE, are kept
// and reported; tamix changes no behaviour for them).
func sysPersonality(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	old := t.personality
	if p := uint32(a[0]); p != personalityQuery {
		t.personality = p
	}
	return uint64(old), nil
}
