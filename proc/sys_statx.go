package proc

import (
	"encoding/binary"

	"tamix/errno"
	"tamix/vfs"
)

// System calls that describe files and filesystems beyond stat
// (fs/stat.c statx, fs/statfs.c).
const (
	SYS_statfs  = 137
	SYS_fstatfs = 138
	SYS_statx   = 332
)

// statx flags and masks (include/uapi/linux/stat.h, fcntl.h).
const (
	AT_STATX_SYNC_TYPE   = 0x6000
	STATX_BASIC_STATS    = 0x07ff
	STATX_MNT_ID         = 0x1000
	STATX__RESERVED      = 0x80000000
	STATX_ATTR_AUTOMOUNT = 0x1000
	STATX_ATTR_MOUNTROOT = 0x2000
	STATX_ATTR_DAX       = 0x200000
	// tmpfs can report these chattr flags (shmem_getattr).
	STATX_ATTR_IMMUTABLE = 0x10
	STATX_ATTR_APPEND    = 0x20
	STATX_ATTR_NODUMP    = 0x40
	statxSize            = 256
)

func init() {
	syscallTable[SYS_statx] = sysStatx
	syscallTable[SYS_statfs] = sysStatfs
	syscallTable[SYS_fstatfs] = sysFstatfs
}

// sysStatx is statx(dfd, path, flags, mask, buf): the basic stats and the
// mount ID whatever the mask asks (tmpfs has no birth time), as Linux
// 6.1 reports them.
func sysStatx(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	flags, mask := int(int32(a[2])), uint32(a[3])
	if flags&^(AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT|AT_EMPTY_PATH|AT_STATX_SYNC_TYPE) != 0 ||
		flags&AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE {
		return 0, errno.EINVAL
	}
	if mask&STATX__RESERVED != 0 {
		return 0, errno.EINVAL
	}
	s, ino, err := k.statAt(t, int(int32(a[0])), a[1], flags&^AT_STATX_SYNC_TYPE)
	if err != nil {
		return 0, err
	}
	var attrs, attrsMask uint64 = 0, STATX_ATTR_AUTOMOUNT | STATX_ATTR_MOUNTROOT | STATX_ATTR_DAX
	if ino != nil {
		if ino.IsMountRoot() {
			attrs |= STATX_ATTR_MOUNTROOT
		}
		if k.VFS.StatfsOf(ino).Type == vfs.TMPFS_MAGIC {
			attrsMask |= STATX_ATTR_IMMUTABLE | STATX_ATTR_APPEND | STATX_ATTR_NODUMP
		}
	}
	return 0, t.copyOut(a[4], encodeStatx(&s, attrs, attrsMask))
}

// encodeStatx lays out struct statx.
func encodeStatx(s *vfs.Stat, attrs, attrsMask uint64) []byte {
	b := make([]byte, statxSize)
	le := binary.LittleEndian
	le.PutUint32(b[0:], STATX_BASIC_STATS|STATX_MNT_ID)
	le.PutUint32(b[4:], uint32(s.Blksize))
	le.PutUint64(b[8:], attrs)
	le.PutUint32(b[16:], uint32(s.Nlink))
	le.PutUint32(b[20:], s.UID)
	le.PutUint32(b[24:], s.GID)
	binary.LittleEndian.PutUint16(b[28:], uint16(s.Mode))
	le.PutUint64(b[32:], s.Ino)
	le.PutUint64(b[40:], uint64(s.Size))
	le.PutUint64(b[48:], uint64(s.Blocks))
	le.PutUint64(b[56:], attrsMask)
	for off, ns := range map[int]int64{64: s.Atime, 96: s.Ctime, 112: s.Mtime} {
		le.PutUint64(b[off:], uint64(floorDiv(ns, 1e9)))
		le.PutUint32(b[off+8:], uint32(ns-floorDiv(ns, 1e9)*1e9))
	}
	major := func(dev uint64) uint32 { return uint32(dev >> 8 & 0xfff) }
	minor := func(dev uint64) uint32 { return uint32(dev&0xff | dev>>12&0xfff00) }
	le.PutUint32(b[128:], major(s.Rdev))
	le.PutUint32(b[132:], minor(s.Rdev))
	le.PutUint32(b[136:], major(s.Dev))
	le.PutUint32(b[140:], minor(s.Dev))
	le.PutUint64(b[144:], vfs.MountID(s.Dev))
	return b
}

// floorDiv divides rounding toward minus infinity (times before 1970 have
// a negative second and a positive nanosecond).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// sysStatfs is statfs(path, buf): the filesystem the path (followed) is on.
func sysStatfs(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	v, base, path, err := k.resolveAt(t, AT_FDCWD, a[0], false)
	if err != nil {
		return 0, err
	}
	ino, err := v.As(t).Lookup(base, path)
	if err != nil {
		return 0, err
	}
	s := v.StatfsOf(ino)
	return 0, t.copyOut(a[1], s.Encode())
}

// sysFstatfs is fstatfs(fd, buf): an anonymous pipe is on pipefs, the
// console on devtmpfs, eventfd and epoll files on the anonymous inode fs.
func sysFstatfs(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, err := t.Files.Get(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	defer of.put()
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	ino := v.InodeOf(of.File)
	if ino == nil {
		st := k.statOpenFile(of.File)
		ino = &vfs.Inode{Dev: st.Dev} // pipefs, devtmpfs or an anonymous inode
	}
	s := v.StatfsOf(ino)
	return 0, t.copyOut(a[1], s.Encode())
}
