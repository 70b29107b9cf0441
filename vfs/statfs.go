package vfs

import "encoding/binary"

// Filesystem magic numbers (include/uapi/linux/magic.h) for statfs's f_type.
const (
	RAMFS_MAGIC         = 0x858458f6 // the root and /bin (the initramfs)
	TMPFS_MAGIC         = 0x01021994 // /tmp and /dev (devtmpfs)
	PROC_SUPER_MAGIC    = 0x9fa0
	PIPEFS_MAGIC        = 0x50495045
	ANON_INODE_FS_MAGIC = 0x09041934 // eventfd, epoll, signalfd, timerfd
)

// Mount flags statfs reports in f_flags (ST_* of statvfs).
const (
	ST_RDONLY = 0x0001
	ST_NOSUID = 0x0002
	ST_NODEV  = 0x0004
	ST_NOEXEC = 0x0008
	ST_VALID  = 0x0020 // f_flags is meaningful (ST_VALID, always set)
)

// Statfs is struct statfs's content.
type Statfs struct {
	Type, Bsize            int64
	Blocks, Bfree, Bavail  uint64
	Files, Ffree           uint64
	Fsid                   [2]int32
	Namelen, Frsize, Flags int64
}

// StatfsSize is sizeof(struct statfs) on x86-64.
const StatfsSize = 120

// Encode lays s out as x86-64's struct statfs.
func (s *Statfs) Encode() []byte {
	b := make([]byte, StatfsSize)
	le := binary.LittleEndian
	for i, w := range []uint64{uint64(s.Type), uint64(s.Bsize), s.Blocks, s.Bfree, s.Bavail, s.Files, s.Ffree} {
		le.PutUint64(b[8*i:], w)
	}
	le.PutUint32(b[56:], uint32(s.Fsid[0]))
	le.PutUint32(b[60:], uint32(s.Fsid[1]))
	le.PutUint64(b[64:], uint64(s.Namelen))
	le.PutUint64(b[72:], uint64(s.Frsize))
	le.PutUint64(b[80:], uint64(s.Flags))
	return b
}

// StatfsOf describes the filesystem an inode lives on (the superblock's
// statfs: simple_statfs for the initramfs and procfs, shmem_statfs for
// tmpfs, with the capacity and free inodes counted as tmpfs counts them).
func (v *FS) StatfsOf(ino *Inode) Statfs {
	s := Statfs{Bsize: PageSize, Frsize: PageSize, Namelen: NAME_MAX, Flags: ST_VALID}
	switch ino.Dev {
	case devTmp, devDev:
		used, max := v.TmpfsUsage()
		s.Type = TMPFS_MAGIC
		s.Blocks, s.Bfree, s.Bavail = uint64(max), uint64(max-used), uint64(max-used)
		// tmpfs's default nr_inodes is its default size in pages.
		s.Files = uint64(max)
		s.Ffree = s.Files - min(s.Files, v.countInodes(ino.Dev))
		s.Flags |= ST_NOSUID
		if ino.Dev == devTmp {
			s.Flags |= ST_NODEV
		}
	case devPipefs:
		s.Type = PIPEFS_MAGIC
	case devRoot:
		s.Type = RAMFS_MAGIC
		s.Flags |= ST_RDONLY
	default:
		if ino.synth != nil {
			s.Type = PROC_SUPER_MAGIC
			s.Flags |= ST_NOSUID | ST_NODEV | ST_NOEXEC
		} else {
			s.Type = ANON_INODE_FS_MAGIC
		}
	}
	return s
}

// countInodes counts the named inodes of a mount (tmpfs's used inodes).
func (v *FS) countInodes(dev uint64) uint64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	var n uint64
	seen := map[*Inode]bool{}
	var walk func(d *Inode)
	walk = func(d *Inode) {
		for _, c := range d.children {
			if seen[c] {
				continue
			}
			seen[c] = true
			if c.Dev == dev {
				n++
			}
			if c.IsDir() {
				walk(c)
			}
		}
	}
	walk(v.root)
	return n
}

// MountID is a mount's identifier (statx's stx_mnt_id, mountinfo's first
// field): tamix has one mount per device.
func MountID(dev uint64) uint64 { return dev&0xff | dev>>12&0xfff00 }

// IsMountRoot reports whether ino is the root directory of its mount
// (STATX_ATTR_MOUNT_ROOT).
func (i *Inode) IsMountRoot() bool {
	return i.IsDir() && (i.parent == nil || i.parent == i || i.parent.Dev != i.Dev)
}
