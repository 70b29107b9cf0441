package proc

import (
	"tamix/errno"
	"tamix/vfs"
)

// RLIMIT_FSIZE (mm/filemap.c generic_write_check_limits, fs/attr.c
// inode_newsize_ok): no write or truncate may take a regular file past
// the limit. A write that would start at or beyond it fails with EFBIG
// and raises SIGXFSZ (which kills, unless caught or ignored); one that
// crosses it is cut short at the limit.

// fsizeLimit returns how many of count bytes a write at pos() may move;
// the position is only worked out when there is a limit.
func (k *Kernel) fsizeLimit(t *Task, count uint64, pos func() int64) (uint64, error) {
	lim := t.Signal.Rlimit(RLIMIT_FSIZE).Cur
	if lim == RLIM_INFINITY || count == 0 {
		return count, nil
	}
	p := pos()
	if p < 0 || uint64(p) >= lim {
		k.sendSIGXFSZ(t)
		return 0, errno.EFBIG
	}
	return min(count, lim-uint64(p)), nil
}

// sendSIGXFSZ is send_sig(SIGXFSZ, current, 0).
func (k *Kernel) sendSIGXFSZ(t *Task) {
	k.SendSignalInfo(t, SigInfo{Signo: SIGXFSZ, Code: SI_USER, PID: int32(t.TGID), UID: int32(t.Cred().UID)}, false)
}

// writePos is where a write to the regular file f goes: its end for an
// O_APPEND write, else its position.
func (k *Kernel) writePos(f *vfs.RegFile, appending bool) int64 {
	if appending && k.VFS != nil {
		return k.VFS.Stat(f.Inode()).Size
	}
	return f.Pos()
}

// truncateLimit is inode_newsize_ok's check: growing a file past
// RLIMIT_FSIZE is EFBIG with SIGXFSZ.
func (k *Kernel) truncateLimit(t *Task, ino *vfs.Inode, length int64) error {
	lim := t.Signal.Rlimit(RLIMIT_FSIZE).Cur
	if lim == RLIM_INFINITY || ino == nil || !ino.IsReg() || k.VFS == nil {
		return nil
	}
	if uint64(length) > lim && length > k.VFS.Stat(ino).Size {
		k.sendSIGXFSZ(t)
		return errno.EFBIG
	}
	return nil
}

// positionalFsizeLimit applies RLIMIT_FSIZE to pwrite/pwritev on a regular
// file (an O_APPEND one writes at its end).
func (k *Kernel) positionalFsizeLimit(t *Task, p vfs.Positional, write bool, pos int64, count uint64) (uint64, error) {
	if !write {
		return count, nil
	}
	switch f := p.(type) {
	case *vfs.RegFile:
		return k.fsizeLimit(t, count, func() int64 { return pos })
	case *appendAt:
		return k.fsizeLimit(t, count, func() int64 { return k.writePos(f.f, true) })
	}
	return count, nil
}
