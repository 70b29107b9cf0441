package proc

import (
	"tamix/errno"
	"tamix/fs"
	"tamix/vfs"
)

// Finding the program execve runs (fs/exec.c do_open_execat), and
// execveat, which names it relative to a directory descriptor or by an open
// file (fexecve).

const SYS_execveat = 322

// maxExecFile bounds a program read from a writable mount (tmpfs): the
// embedded images are used in place.
const maxExecFile = 64 << 20

func init() {
	syscallTable[SYS_execveat] = sysExecveat
}

// execTarget is a resolved program: its path in the namespace and, for a
// file outside the embedded images, its bytes.
type execTarget struct {
	path  string
	image []byte
}

// resolveExec is do_open_execat: the path from dfd (or, with AT_EMPTY_PATH
// and an empty path, the file open on dfd), its last symbolic link
// followed unless AT_SYMLINK_NOFOLLOW (then ELOOP). The program must be a
// regular file (EACCES) that the caller may execute (EACCES).
func (k *Kernel) resolveExec(t *Task, dfd int, filename string, flags int) (execTarget, error) {
	v, err := k.namespace()
	if err != nil {
		return execTarget{path: filename}, nil // no namespace: the embedded images by name
	}
	var ino *vfs.Inode
	if filename == "" {
		if flags&AT_EMPTY_PATH == 0 {
			return execTarget{}, errno.ENOENT
		}
		if ino, err = k.fdInode(t, dfd); err != nil {
			return execTarget{}, err
		}
		if ino == nil {
			return execTarget{}, errno.EACCES // a pipe or socket
		}
	} else {
		base, err := k.startDir(t, dfd, filename)
		if err != nil {
			return execTarget{}, err
		}
		if ino, err = v.LookupAs(t, base, filename, flags&AT_SYMLINK_NOFOLLOW != 0); err != nil {
			return execTarget{}, err
		}
		if ino.IsLink() {
			return execTarget{}, errno.ELOOP
		}
	}
	if !ino.IsReg() {
		return execTarget{}, errno.EACCES
	}
	if err := v.As(t).Permission(ino, vfs.MAY_EXEC); err != nil {
		return execTarget{}, err
	}
	p := v.Path(ino)
	if _, ok := k.Images[p]; ok {
		return execTarget{path: p}, nil
	}
	// A program written to tmpfs: its bytes as they are now.
	image, err := readWholeFile(v, ino)
	if err != nil {
		return execTarget{}, err
	}
	if p == "" {
		p = filename
	}
	return execTarget{path: p, image: image}, nil
}

// readWholeFile reads a regular file from the start (kernel_read_file).
func readWholeFile(v *vfs.FS, ino *vfs.Inode) ([]byte, error) {
	f, err := v.OpenInode(ino, fs.O_RDONLY, nil)
	if err != nil {
		return nil, err
	}
	defer f.Release()
	var b []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := f.Read(buf) // 0 at the end of the file, as read(2)
		if err != nil {
			return nil, errno.EIO
		}
		if n == 0 {
			return b, nil
		}
		if b = append(b, buf[:n]...); len(b) > maxExecFile {
			return nil, errno.ENOMEM
		}
	}
}

// sysExecveat is execveat(dfd, path, argv, envp, flags).
func sysExecveat(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	flags := int(int32(a[4]))
	if flags&^(AT_EMPTY_PATH|AT_SYMLINK_NOFOLLOW) != 0 {
		return 0, errno.EINVAL
	}
	return k.doExecve(t, int(int32(a[0])), a[1], a[2], a[3], flags)
}
