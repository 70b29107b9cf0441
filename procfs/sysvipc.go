package procfs

import (
	"bytes"
	"fmt"

	"tamix/errno"
	"tamix/vfs"
)

// /proc/sysvipc: the System V IPC objects, one line each, as ipcs(1) reads
// them (sysvipc_shm_proc_show, sysvipc_sem_proc_show,
// sysvipc_msg_proc_show).

var sysvipcEntries = []globalEntry{
	{"shm", 0o444, showSysvipcShm},
	{"sem", 0o444, showSysvipcSem},
	{"msg", 0o444, showSysvipcMsg},
}

const sysvipcIno = globalInoBase + 0x200 // the directory; its files follow

// sysvipcDir is the inode of /proc/sysvipc.
func (f *FS) sysvipcDir(root *vfs.Inode) *vfs.Inode {
	return f.v.NewSyntheticInode(root, "sysvipc", sysvipcIno, vfs.S_IFDIR|0o555, 2, &node{kind: kSysvipcDir})
}

func (f *FS) lookupSysvipc(dir *vfs.Inode, name string) (*vfs.Inode, error) {
	for i := range sysvipcEntries {
		if e := &sysvipcEntries[i]; e.name == name {
			return f.v.NewSyntheticInode(dir, name, sysvipcIno+uint64(i)+1, vfs.S_IFREG|e.mode, 1,
				&node{kind: kGlobal, gent: e}), nil
		}
	}
	return nil, errno.ENOENT
}

// readdirSysvipc lists the files in the order of their tree: by length,
// then by name.
func readdirSysvipc() []vfs.Dirent {
	var out []vfs.Dirent
	for _, name := range []string{"msg", "sem", "shm"} {
		for i := range sysvipcEntries {
			if sysvipcEntries[i].name == name {
				out = append(out, vfs.Dirent{Ino: sysvipcIno + uint64(i) + 1, Type: vfs.DT_REG, Name: name})
			}
		}
	}
	return out
}

func showSysvipcShm(f *FS) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n")
	for _, s := range f.k.IPC.ShmSegments() {
		fmt.Fprintf(&b, "%10d %10d  %4o %21d %5d %5d  %5d %5d %5d %5d %5d %10d %10d %10d %21d %21d\n",
			s.Perm.Key, s.ID, s.Perm.Mode, s.Segsz, s.Cpid, s.Lpid, s.Nattch,
			s.Perm.UID, s.Perm.GID, s.Perm.CUID, s.Perm.CGID, s.Atime, s.Dtime, s.Ctime, s.RSS, 0)
	}
	return b.Bytes(), nil
}

func showSysvipcSem(f *FS) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n")
	for _, s := range f.k.IPC.SemSets() {
		fmt.Fprintf(&b, "%10d %10d  %4o %10d %5d %5d %5d %5d %10d %10d\n",
			s.Perm.Key, s.ID, s.Perm.Mode, s.Nsems, s.Perm.UID, s.Perm.GID, s.Perm.CUID, s.Perm.CGID,
			s.Otime, s.Ctime)
	}
	return b.Bytes(), nil
}

func showSysvipcMsg(f *FS) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n")
	for _, q := range f.k.IPC.MsgQueues() {
		fmt.Fprintf(&b, "%10d %10d  %4o  %10d %10d %5d %5d %5d %5d %5d %5d %10d %10d %10d\n",
			q.Perm.Key, q.ID, q.Perm.Mode, q.Cbytes, q.Qnum, q.Lspid, q.Lrpid,
			q.Perm.UID, q.Perm.GID, q.Perm.CUID, q.Perm.CGID, q.Stime, q.Rtime, q.Ctime)
	}
	return b.Bytes(), nil
}
