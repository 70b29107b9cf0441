package proc

import (
	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
	"tamix/vfs"
)

// Memory-mapped files and memfd_create (mm/mmap.c's do_mmap for a file,
// mm/memfd.c). The mapping itself is mm's: it maps the file's page cache.

// System call numbers (arch/x86/entry/syscalls/syscall_64.tbl).
const (
	SYS_memfd_create = 319
)

// memfd_create flags and limits (include/uapi/linux/memfd.h).
const (
	MFD_CLOEXEC       = 0x1
	MFD_ALLOW_SEALING = 0x2
	MFD_HUGETLB       = 0x4
	mfdNameMaxLen     = 255 - len("memfd:") // MFD_NAME_MAX_LEN
)

// fcntl commands for seals.
const (
	F_ADD_SEALS = 1033
	F_GET_SEALS = 1034
)

func init() {
	syscallTable[SYS_memfd_create] = sysMemfdCreate
}

// mmapFile is the file half of do_mmap: the descriptor (EBADF), the open
// mode (EACCES: a mapping needs a readable file, a shared writable one a
// writable file), then whether the file can be mapped at all (ENODEV for
// pipes, sockets, terminals, directories, /proc). /dev/zero maps
// anonymous memory (mmap_zero). A memfd sealed against writing refuses
// shared mappings that may write (EPERM).
func (k *Kernel) mmapFile(t *Task, addr, length uint64, prot, flags, fd int, off uint64) (uint64, error) {
	if off&(mm.PageSize-1) != 0 {
		return 0, errno.EINVAL // sys_mmap checks the offset first
	}
	of, err := t.Files.Get(fd)
	if err != nil {
		return 0, err
	}
	defer of.put()
	typ := flags & mm.MAP_TYPE
	if length == 0 || typ != mm.MAP_SHARED && typ != mm.MAP_PRIVATE && typ != mm.MAP_SHARED_VALIDATE {
		return 0, errno.EINVAL
	}
	acc := of.Flags & fs.O_ACCMODE
	readable := acc == fs.O_RDONLY || acc == fs.O_RDWR
	writable := acc == fs.O_WRONLY || acc == fs.O_RDWR
	shared := typ != mm.MAP_PRIVATE
	if shared && prot&mm.PROT_WRITE != 0 && !writable || !readable {
		return 0, errno.EACCES
	}
	if vfs.IsDevZero(of.File) {
		addr, err := t.MM.Mmap(addr, length, prot, flags|mm.MAP_ANONYMOUS, nil, 0)
		return addr, asErrno(err)
	}
	mf, ok := of.File.(vfs.Mappable)
	if !ok {
		return 0, errno.ENODEV
	}
	c, err := mf.PageCache()
	if err != nil {
		return 0, err
	}
	if rf, ok := of.File.(*vfs.RegFile); ok && rf.MapDenied(shared, writable) {
		return 0, errno.EPERM
	}
	addr, err = t.MM.MmapFile(addr, length, prot, flags, c, off, readable, writable)
	return addr, asErrno(err)
}

// sysMemfdCreate is memfd_create(name, flags): a new tmpfs file with no
// name in any directory, open read-write, shown as "memfd:NAME". EINVAL
// for unknown flags (MFD_HUGETLB included: tamix has no huge pages) or a
// name longer than 249 bytes; EFAULT for a bad name pointer.
func sysMemfdCreate(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	flags := uint32(a[1])
	if flags&^(MFD_CLOEXEC|MFD_ALLOW_SEALING) != 0 {
		return 0, errno.EINVAL
	}
	name, err := t.MM.CopyInString(a[0], mfdNameMaxLen+1)
	if err == mm.ErrStringTooLong {
		return 0, errno.EINVAL
	}
	if err != nil {
		return 0, errno.EFAULT
	}
	v, err := k.namespace()
	if err != nil {
		return 0, err
	}
	f := v.Memfd(name, flags&MFD_ALLOW_SEALING != 0)
	of := NewOpenFile(f, fs.O_RDWR|O_LARGEFILE)
	fd, err := t.Files.Install(of, 0, flags&MFD_CLOEXEC != 0)
	if err != nil {
		of.put()
		return 0, err
	}
	return uint64(fd), nil
}

// sealsFcntl is memfd_fcntl: F_ADD_SEALS and F_GET_SEALS on a tmpfs file;
// EINVAL for any other file.
func sealsFcntl(of *OpenFile, cmd, arg uint64) (uint64, error) {
	rf, ok := of.File.(*vfs.RegFile)
	if !ok {
		return 0, errno.EINVAL
	}
	if cmd == F_GET_SEALS {
		s, err := rf.Seals()
		return uint64(s), err
	}
	acc := of.Flags & fs.O_ACCMODE
	return 0, rf.AddSeals(uint32(arg), acc == fs.O_WRONLY || acc == fs.O_RDWR)
}
