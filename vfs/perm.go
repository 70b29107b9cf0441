package vfs

import "tamix/errno"

// Permission masks (include/linux/fs.h MAY_*), as access(2)'s X_OK, W_OK
// and R_OK.
const (
	MAY_EXEC  = 1
	MAY_WRITE = 2
	MAY_READ  = 4
)

// Mode bits beyond the permissions.
const (
	S_ISUID = 0o4000
	S_ISGID = 0o2000
	S_IXGRP = 0o010
	S_IXUGO = 0o111
)

// The capabilities the namespace consults (include/uapi/linux/capability.h).
const (
	CAP_CHOWN           = 0
	CAP_DAC_OVERRIDE    = 1
	CAP_DAC_READ_SEARCH = 2
	CAP_FOWNER          = 3
	CAP_FSETID          = 4
)

// Cred is what permission checks need of the credentials a caller acts
// with on files: the fsuid and fsgid, the supplementary groups and the
// capabilities (proc's struct cred provides it).
type Cred interface {
	FSIDs() (uid, gid uint32)
	InGroup(gid uint32) bool
	Capable(cap int) bool
}

// CredHolder is a caller that knows its credentials (a task).
type CredHolder interface{ FSCred() Cred }

// kernelCred is the kernel acting on its own behalf (a nil caller, the
// shell's internal calls): root with every capability.
type kernelCred struct{}

func (kernelCred) FSIDs() (uint32, uint32) { return 0, 0 }
func (kernelCred) InGroup(gid uint32) bool { return gid == 0 }
func (kernelCred) Capable(int) bool        { return true }

// credOf returns the credentials of a caller.
func credOf(caller any) Cred {
	if h, ok := caller.(CredHolder); ok {
		if c := h.FSCred(); c != nil {
			return c
		}
	}
	return kernelCred{}
}

// WithCred returns the calls on behalf of the same caller but checked
// against cred (access(2) checks with the real IDs).
func (c Caller) WithCred(cred Cred) Caller { c.cred = cred; return c }

// lock takes the namespace lock for a call on behalf of c; the function
// it returns undoes it.
func (c Caller) lock() func() {
	v := c.v
	v.mu.Lock()
	prevCaller, prevCred := v.caller, v.cred
	v.caller, v.cred = c.caller, c.cred
	if v.cred == nil {
		v.cred = credOf(c.caller)
	}
	return func() {
		v.caller, v.cred = prevCaller, prevCred
		v.mu.Unlock()
	}
}

// currentCred is the credentials of the call in progress (v.mu held).
func (v *FS) currentCred() Cred {
	if v.cred == nil {
		return kernelCred{}
	}
	return v.cred
}

// generic_permission checks mask against ino's mode for cred: the owner's
// bits if cred's fsuid owns it, else the group's if cred is in its group,
// else the others'. Then the capabilities: CAP_DAC_READ_SEARCH reads any
// file and reads or searches any directory, CAP_DAC_OVERRIDE reads and
// writes anything and executes anything with an x bit (and any directory).
func genericPermission(cred Cred, ino *Inode, mask uint32) error {
	uid, _ := cred.FSIDs()
	mode := ino.Mode
	switch {
	case uid == ino.UID:
		mode >>= 6
	case cred.InGroup(ino.GID):
		mode >>= 3
	}
	mask &= MAY_READ | MAY_WRITE | MAY_EXEC
	if mask&^mode&7 == 0 {
		return nil
	}
	if ino.IsDir() {
		if mask&MAY_WRITE == 0 && cred.Capable(CAP_DAC_READ_SEARCH) {
			return nil
		}
		if cred.Capable(CAP_DAC_OVERRIDE) {
			return nil
		}
		return errno.EACCES
	}
	if mask == MAY_READ && cred.Capable(CAP_DAC_READ_SEARCH) {
		return nil
	}
	if (mask&MAY_EXEC == 0 || ino.Mode&S_IXUGO != 0) && cred.Capable(CAP_DAC_OVERRIDE) {
		return nil
	}
	return errno.EACCES
}

// permission is inode_permission for the caller of the call in progress
// (v.mu held). Synthetic inodes (procfs) and the kernel's own calls use
// the same rules: their modes say what anyone may do.
func (v *FS) permission(ino *Inode, mask uint32) error {
	return genericPermission(v.currentCred(), ino, mask)
}

// Permission is inode_permission on behalf of the caller: exec checks
// MAY_EXEC on the program, ftruncate and others check what they need.
func (c Caller) Permission(ino *Inode, mask uint32) error {
	defer c.lock()()
	return c.v.permission(ino, mask)
}

// ownerOrCapable is inode_owner_or_capable: the fsuid owns ino, or has
// CAP_FOWNER.
func ownerOrCapable(cred Cred, ino *Inode) bool {
	uid, _ := cred.FSIDs()
	return uid == ino.UID || cred.Capable(CAP_FOWNER)
}

// mayDelete is the permission half of may_delete: write and search on the
// directory, and in a sticky directory (like /tmp) only the owner of the
// victim or of the directory, or CAP_FOWNER, may remove or rename it.
func (v *FS) mayDelete(dir, victim *Inode) error {
	if err := v.permission(dir, MAY_WRITE|MAY_EXEC); err != nil {
		return err
	}
	if dir.Mode&S_ISVTX != 0 {
		cred := v.currentCred()
		uid, _ := cred.FSIDs()
		if uid != victim.UID && uid != dir.UID && !cred.Capable(CAP_FOWNER) {
			return errno.EPERM
		}
	}
	return nil
}

// initOwner is inode_init_owner: a new inode belongs to the caller's fsuid
// and, in a set-group-ID directory, to the directory's group (a new
// directory inherits the bit), else to the caller's fsgid. A new file's
// S_ISGID is dropped when the caller is not in its group and lacks
// CAP_FSETID (mode_strip_sgid).
func (v *FS) initOwner(ino, dir *Inode) {
	cred := v.currentCred()
	ino.UID, ino.GID = cred.FSIDs()
	if dir == nil || dir.Mode&S_ISGID == 0 {
		return
	}
	ino.GID = dir.GID
	if ino.IsDir() {
		ino.Mode |= S_ISGID
	} else if ino.Mode&(S_ISGID|S_IXGRP) == S_ISGID|S_IXGRP && !cred.InGroup(ino.GID) && !cred.Capable(CAP_FSETID) {
		ino.Mode &^= S_ISGID
	}
}

// Chown changes an inode's owner and group (chown_common, notify_change);
// invalidID (-1) leaves one alone. Giving a file away needs CAP_CHOWN; the
// owner may change the group to one it belongs to. A non-directory loses
// its set-user-ID bit, and its set-group-ID bit when group-executable,
// even when nothing changes.
func (c Caller) Chown(ino *Inode, uid, gid uint32) error {
	v := c.v
	defer c.lock()()
	if ino.readOnly {
		return errno.EROFS
	}
	if ino.synth != nil {
		return errno.EPERM // proc_setattr
	}
	cred := v.currentCred()
	fsuid, _ := cred.FSIDs()
	const keep = ^uint32(0)
	if uid != keep && !(fsuid == ino.UID && uid == ino.UID) && !cred.Capable(CAP_CHOWN) {
		return errno.EPERM
	}
	if gid != keep && !(fsuid == ino.UID && (cred.InGroup(gid) || gid == ino.GID)) && !cred.Capable(CAP_CHOWN) {
		return errno.EPERM
	}
	ino.mu.Lock()
	defer ino.mu.Unlock()
	if uid != keep {
		ino.UID = uid
	}
	if gid != keep {
		ino.GID = gid
	}
	if !ino.IsDir() {
		ino.Mode &^= S_ISUID
		if ino.Mode&S_IXGRP != 0 {
			ino.Mode &^= S_ISGID
		}
	}
	ino.Ctime = v.now()
	return nil
}

// UTIME_NOW and UTIME_OMIT are utimensat's special tv_nsec values.
const (
	UTIME_NOW  = (1 << 30) - 1
	UTIME_OMIT = (1 << 30) - 2
)

// Utimes sets an inode's access and modification times (utimes_common):
// atime and mtime are ns since the epoch, or UTIME_NOW / UTIME_OMIT. Only
// the owner (or CAP_FOWNER) may set explicit times (EPERM); setting both to
// now is also allowed to whoever may write the file (else EACCES). The
// change time becomes now.
func (c Caller) Utimes(ino *Inode, atime, mtime int64) error {
	v := c.v
	defer c.lock()()
	if atime == UTIME_OMIT && mtime == UTIME_OMIT {
		return nil
	}
	if ino.readOnly {
		return errno.EROFS
	}
	if ino.synth != nil {
		return errno.EPERM
	}
	cred := v.currentCred()
	if !ownerOrCapable(cred, ino) {
		if atime != UTIME_NOW || mtime != UTIME_NOW {
			return errno.EPERM
		}
		if err := v.permission(ino, MAY_WRITE); err != nil {
			return err
		}
	}
	now := v.now()
	ino.mu.Lock()
	defer ino.mu.Unlock()
	switch atime {
	case UTIME_NOW:
		ino.Atime = now
	case UTIME_OMIT:
	default:
		ino.Atime = atime
	}
	switch mtime {
	case UTIME_NOW:
		ino.Mtime = now
	case UTIME_OMIT:
	default:
		ino.Mtime = mtime
	}
	ino.Ctime = now
	return nil
}

// renamePermission is vfs_rename's permission checks: the source may be
// deleted from its directory, the target replaced (or a name made in the
// new directory), and a directory that changes parent must be writable
// (its ".." changes).
func (v *FS) renamePermission(odir, old, ndir, tgt *Inode, exchange bool) error {
	if err := v.mayDelete(odir, old); err != nil {
		return err
	}
	if tgt == nil {
		if err := v.permission(ndir, MAY_WRITE|MAY_EXEC); err != nil {
			return err
		}
	} else if err := v.mayDelete(ndir, tgt); err != nil {
		return err
	}
	if odir != ndir {
		if old.IsDir() {
			if err := v.permission(old, MAY_WRITE); err != nil {
				return err
			}
		}
		if exchange && tgt.IsDir() {
			if err := v.permission(tgt, MAY_WRITE); err != nil {
				return err
			}
		}
	}
	return nil
}

// Truncate is vfs_truncate on behalf of the caller: FS.Truncate's checks,
// with write permission on the file checked after EROFS.
func (c Caller) Truncate(ino *Inode, size int64) error {
	if ino.IsReg() && !ino.readOnly && ino.synth == nil {
		if err := c.Permission(ino, MAY_WRITE); err != nil {
			return err
		}
	}
	return c.v.Truncate(ino, size)
}
