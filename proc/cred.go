package proc

import (
	"slices"

	"tamix/errno"
	"tamix/vfs"
)

// Capabilities tamix checks (include/uapi/linux/capability.h). The others
// exist in the sets and move through capset and exec like these, but guard
// nothing tamix has.
const (
	CAP_CHOWN              = 0
	CAP_DAC_OVERRIDE       = 1
	CAP_DAC_READ_SEARCH    = 2
	CAP_FOWNER             = 3
	CAP_FSETID             = 4
	CAP_KILL               = 5
	CAP_SETGID             = 6
	CAP_SETUID             = 7
	CAP_SETPCAP            = 8
	CAP_LINUX_IMMUTABLE    = 9
	CAP_IPC_LOCK           = 14
	CAP_IPC_OWNER          = 15
	CAP_SYS_PTRACE         = 19
	CAP_SYS_CHROOT         = 18
	CAP_SYS_ADMIN          = 21
	CAP_SYS_NICE           = 23
	CAP_SYS_RESOURCE       = 24
	CAP_MKNOD              = 27
	CAP_CHECKPOINT_RESTORE = 40
	CAP_LAST_CAP           = 40 // CAP_CHECKPOINT_RESTORE in Linux 6.1
)

// KernelCap is kernel_cap_t: one bit per capability.
type KernelCap uint64

// CAP_FULL_SET is every capability up to CAP_LAST_CAP.
const CAP_FULL_SET KernelCap = 1<<(CAP_LAST_CAP+1) - 1

// capFSMask is CAP_FS_MASK: the capabilities that follow the fsuid
// (cap_emulate_setxuid drops them when the fsuid leaves 0).
const capFSMask KernelCap = 1<<CAP_CHOWN | 1<<CAP_DAC_OVERRIDE | 1<<CAP_DAC_READ_SEARCH |
	1<<CAP_FOWNER | 1<<CAP_FSETID | 1<<CAP_LINUX_IMMUTABLE | 1<<CAP_MKNOD

// Raised reports whether capability c is in the set.
func (s KernelCap) Raised(c int) bool { return s&(1<<c) != 0 }

// NGROUPS_MAX bounds setgroups.
const NGROUPS_MAX = 65536

// invalidID is (uid_t)-1: "leave it as it is" in setre*id/setres*id, and
// never a valid ID (uid_valid).
const invalidID = ^uint32(0)

// Securebits tamix honours (include/uapi/linux/securebits.h).
const SECBIT_KEEP_CAPS = 1 << 4

// Cred is struct cred: whom a task acts as. A Cred is never changed once a
// task uses it; a change makes a new one and swaps it in (prepare_creds,
// commit_creds), so another CPU reading a task's credentials (to check a
// kill, say) always sees a consistent set without a lock.
type Cred struct {
	UID, EUID, SUID, FSUID uint32 // real, effective, saved, filesystem user IDs
	GID, EGID, SGID, FSGID uint32
	Groups                 []uint32 // supplementary groups, sorted (group_info)

	CapInheritable, CapPermitted, CapEffective KernelCap
	CapBset, CapAmbient                        KernelCap
	Securebits                                 uint32
}

// initCred is init_cred: root with every capability.
var initCred = &Cred{
	CapPermitted: CAP_FULL_SET, CapEffective: CAP_FULL_SET, CapBset: CAP_FULL_SET,
}

// Cred returns t's credentials (current_cred()).
func (t *Task) Cred() *Cred {
	if c := t.cred.Load(); c != nil {
		return c
	}
	return initCred
}

// commitCreds installs new credentials (commit_creds).
func (t *Task) commitCreds(c *Cred) { t.cred.Store(c) }

// prepare copies c for changing (prepare_creds).
func (c *Cred) prepare() *Cred {
	n := *c
	return &n
}

// Capable reports whether the credentials hold capability cap in their
// effective set (ns_capable in the initial user namespace).
func (c *Cred) Capable(cap int) bool { return c.CapEffective.Raised(cap) }

// InGroup reports whether gid is the fsgid or a supplementary group
// (in_group_p).
func (c *Cred) InGroup(gid uint32) bool {
	if gid == c.FSGID {
		return true
	}
	_, found := slices.BinarySearch(c.Groups, gid)
	return found
}

// emulateSetxuid fixes the capability sets after a change of user IDs, as
// cap_emulate_setxuid and cap_task_fix_setuid: leaving root (no ID 0 left)
// drops the permitted and effective sets unless SECBIT_KEEP_CAPS; an euid
// leaving 0 drops the effective set, one coming back to 0 restores it from
// the permitted set; the fsuid moves the filesystem capabilities.
func (c *Cred) emulateSetxuid(old *Cred) {
	if (old.UID == 0 || old.EUID == 0 || old.SUID == 0) &&
		c.UID != 0 && c.EUID != 0 && c.SUID != 0 {
		if c.Securebits&SECBIT_KEEP_CAPS == 0 {
			c.CapPermitted, c.CapEffective = 0, 0
		}
		c.CapAmbient = 0
	}
	if old.EUID == 0 && c.EUID != 0 {
		c.CapEffective = 0
	}
	if old.EUID != 0 && c.EUID == 0 {
		c.CapEffective = c.CapPermitted
	}
	c.fixFSCaps(old)
}

// fixFSCaps moves CAP_FS_MASK with the fsuid (the CAP_FS_MASK half of
// cap_task_fix_setuid, also used by setfsuid).
func (c *Cred) fixFSCaps(old *Cred) {
	if old.FSUID == 0 && c.FSUID != 0 {
		c.CapEffective &^= capFSMask
	}
	if old.FSUID != 0 && c.FSUID == 0 {
		c.CapEffective |= c.CapPermitted & capFSMask
	}
}

// setuid is __sys_setuid: with CAP_SETUID all four user IDs change;
// without it only the effective (and fs) ID, and only to the real or saved
// one.
func (old *Cred) setuid(uid uint32) (*Cred, error) {
	if uid == invalidID {
		return nil, errno.EINVAL
	}
	c := old.prepare()
	if old.Capable(CAP_SETUID) {
		c.UID, c.SUID = uid, uid
	} else if uid != old.UID && uid != old.SUID {
		return nil, errno.EPERM
	}
	c.EUID, c.FSUID = uid, uid
	c.emulateSetxuid(old)
	return c, nil
}

// setreuid is __sys_setreuid: an unprivileged task may swap its real and
// effective IDs or set the effective one to the saved one. The saved ID
// follows the effective one when the real ID is set or the effective ID
// becomes other than the old real one.
func (old *Cred) setreuid(ruid, euid uint32) (*Cred, error) {
	c := old.prepare()
	capable := old.Capable(CAP_SETUID)
	if ruid != invalidID {
		c.UID = ruid
		if old.UID != ruid && old.EUID != ruid && !capable {
			return nil, errno.EPERM
		}
	}
	if euid != invalidID {
		c.EUID = euid
		if old.UID != euid && old.EUID != euid && old.SUID != euid && !capable {
			return nil, errno.EPERM
		}
	}
	if ruid != invalidID || euid != invalidID && euid != old.UID {
		c.SUID = c.EUID
	}
	c.FSUID = c.EUID
	c.emulateSetxuid(old)
	return c, nil
}

// setresuid is __sys_setresuid: without CAP_SETUID each new ID must be
// one of the three current ones; -1 leaves an ID alone.
func (old *Cred) setresuid(ruid, euid, suid uint32) (*Cred, error) {
	if !old.Capable(CAP_SETUID) {
		for _, id := range []uint32{ruid, euid, suid} {
			if id != invalidID && id != old.UID && id != old.EUID && id != old.SUID {
				return nil, errno.EPERM
			}
		}
	}
	c := old.prepare()
	if ruid != invalidID {
		c.UID = ruid
	}
	if euid != invalidID {
		c.EUID = euid
	}
	if suid != invalidID {
		c.SUID = suid
	}
	c.FSUID = c.EUID
	c.emulateSetxuid(old)
	return c, nil
}

// setfsuid is __sys_setfsuid: it always returns the old fsuid, and
// changes it only to one of the task's IDs (or any, with CAP_SETUID).
func (old *Cred) setfsuid(uid uint32) (prev uint32, c *Cred) {
	prev = old.FSUID
	if uid == invalidID {
		return prev, nil
	}
	if uid == old.UID || uid == old.EUID || uid == old.SUID || uid == old.FSUID || old.Capable(CAP_SETUID) {
		if uid != old.FSUID {
			c = old.prepare()
			c.FSUID = uid
			c.fixFSCaps(old)
		}
	}
	return prev, c
}

// The group ID calls mirror the user ID ones with CAP_SETGID; they leave
// the capability sets alone.

func (old *Cred) setgid(gid uint32) (*Cred, error) {
	if gid == invalidID {
		return nil, errno.EINVAL
	}
	c := old.prepare()
	if old.Capable(CAP_SETGID) {
		c.GID, c.SGID = gid, gid
	} else if gid != old.GID && gid != old.SGID {
		return nil, errno.EPERM
	}
	c.EGID, c.FSGID = gid, gid
	return c, nil
}

func (old *Cred) setregid(rgid, egid uint32) (*Cred, error) {
	c := old.prepare()
	capable := old.Capable(CAP_SETGID)
	if rgid != invalidID {
		c.GID = rgid
		if old.GID != rgid && old.EGID != rgid && !capable {
			return nil, errno.EPERM
		}
	}
	if egid != invalidID {
		c.EGID = egid
		if old.GID != egid && old.EGID != egid && old.SGID != egid && !capable {
			return nil, errno.EPERM
		}
	}
	if rgid != invalidID || egid != invalidID && egid != old.GID {
		c.SGID = c.EGID
	}
	c.FSGID = c.EGID
	return c, nil
}

func (old *Cred) setresgid(rgid, egid, sgid uint32) (*Cred, error) {
	if !old.Capable(CAP_SETGID) {
		for _, id := range []uint32{rgid, egid, sgid} {
			if id != invalidID && id != old.GID && id != old.EGID && id != old.SGID {
				return nil, errno.EPERM
			}
		}
	}
	c := old.prepare()
	if rgid != invalidID {
		c.GID = rgid
	}
	if egid != invalidID {
		c.EGID = egid
	}
	if sgid != invalidID {
		c.SGID = sgid
	}
	c.FSGID = c.EGID
	return c, nil
}

func (old *Cred) setfsgid(gid uint32) (prev uint32, c *Cred) {
	prev = old.FSGID
	if gid == invalidID {
		return prev, nil
	}
	if gid == old.GID || gid == old.EGID || gid == old.SGID || gid == old.FSGID || old.Capable(CAP_SETGID) {
		if gid != old.FSGID {
			c = old.prepare()
			c.FSGID = gid
		}
	}
	return prev, c
}

// setgroups replaces the supplementary groups (set_groups; sorted so that
// InGroup can search them). It needs CAP_SETGID.
func (old *Cred) setgroups(groups []uint32) (*Cred, error) {
	if !old.Capable(CAP_SETGID) {
		return nil, errno.EPERM
	}
	c := old.prepare()
	c.Groups = slices.Clone(groups)
	slices.Sort(c.Groups)
	return c, nil
}

// execCreds computes the credentials after execve of a file with no
// set-user-ID bit and no file capabilities (cap_bprm_creds_from_file with
// the root special case): root (real or effective) gets the bounding set
// as permitted capabilities, effective too when the euid is 0; anyone else
// keeps only the ambient set. The saved and fs IDs become the effective
// ones.
func (old *Cred) execCreds() *Cred {
	c := old.prepare()
	if c.UID == 0 || c.EUID == 0 {
		c.CapPermitted = c.CapInheritable | c.CapBset
		c.CapAmbient = 0
	} else {
		c.CapPermitted = c.CapAmbient
	}
	if c.EUID == 0 {
		c.CapEffective = c.CapPermitted
	} else {
		c.CapEffective = c.CapAmbient
	}
	c.SUID, c.FSUID = c.EUID, c.EUID
	c.SGID, c.FSGID = c.EGID, c.EGID
	c.Securebits &^= SECBIT_KEEP_CAPS // always cleared by execve
	return c
}

// capset is cap_capset's check and update: the inheritable set may only
// grow within the permitted set (or with CAP_SETPCAP) and never past the
// bounding set; the permitted set may only shrink; the effective set must
// be within the new permitted set.
func (old *Cred) capset(eff, inh, perm KernelCap) (*Cred, error) {
	if !old.Capable(CAP_SETPCAP) && inh&^(old.CapInheritable|old.CapPermitted) != 0 {
		return nil, errno.EPERM
	}
	if inh&^(old.CapInheritable|old.CapBset) != 0 {
		return nil, errno.EPERM
	}
	if perm&^old.CapPermitted != 0 {
		return nil, errno.EPERM
	}
	if eff&^perm != 0 {
		return nil, errno.EPERM
	}
	c := old.prepare()
	c.CapEffective, c.CapInheritable, c.CapPermitted = eff, inh, perm
	c.CapAmbient &= perm & inh // cap_capset: ambient stays within both
	return c, nil
}

// killOK is kill_ok_by_cred: a signal may be sent by a task whose real or
// effective user ID is the target's real or saved one, or with CAP_KILL.
func (c *Cred) killOK(target *Cred) bool {
	return c.EUID == target.SUID || c.EUID == target.UID ||
		c.UID == target.SUID || c.UID == target.UID || c.Capable(CAP_KILL)
}

// sameOwner is check_same_owner: the caller's euid is the target's real or
// effective user ID (sched_setaffinity, sched_setscheduler).
func (c *Cred) sameOwner(target *Cred) bool {
	return c.EUID == target.EUID || c.EUID == target.UID
}

// checkKillPermission is check_kill_permission for a signal sent from user
// space: the sender must be allowed by kill_ok_by_cred, except that SIGCONT
// may go to any process of the sender's session.
func (t *Task) checkKillPermission(target *Task, sig int) error {
	if t.Cred().killOK(target.Cred()) {
		return nil
	}
	if sig == SIGCONT && target.Signal != nil && target.Signal.Session == t.Signal.Session {
		return nil
	}
	return errno.EPERM
}

// FSIDs returns the IDs the task acts as on files (vfs.Cred).
func (c *Cred) FSIDs() (uid, gid uint32) { return c.FSUID, c.FSGID }

// FSCred gives the namespace t's credentials (vfs.CredHolder).
// A nil task is the kernel.
func (t *Task) FSCred() vfs.Cred {
	if t == nil {
		return nil
	}
	return t.Cred()
}

// accessCreds are the credentials access(2) checks with
// (access_override_creds): the real user and group IDs as fs IDs, and
// root's permitted capabilities only when the real uid is 0.
func (c *Cred) accessCreds() *Cred {
	n := c.prepare()
	n.FSUID, n.FSGID = c.UID, c.GID
	if c.UID != 0 {
		n.CapEffective = 0
	} else {
		n.CapEffective = c.CapPermitted
	}
	return n
}
