package proc

import (
	"sync"

	"tamix/vfs"
)

// FSStruct is fs_struct: a task's working directory and umask. Threads
// share it (CLONE_FS, which every CLONE_THREAD caller passes), and so do
// processes made with CLONE_FS; fork copies it.
type FSStruct struct {
	mu    sync.Mutex
	users int
	pwd   *vfs.Inode // nil: the root
	umask uint32
}

// defaultUmask is init's umask (init_fs: 0022).
const defaultUmask = 0o022

func newFSStruct() *FSStruct { return &FSStruct{users: 1, umask: defaultUmask} }

// fsOf returns t's fs_struct; a task made before it had one (the idle
// tasks) reads init's.
func (t *Task) fsOf() *FSStruct {
	if t.fs == nil {
		return initFS
	}
	return t.fs
}

// initFS is init_fs, for tasks with no fs_struct of their own.
var initFS = newFSStruct()

// copyFS is copy_fs: share the parent's fs_struct with CLONE_FS, else copy
// it.
func copyFS(parent, child *Task, clone uint64) {
	pfs := parent.fsOf()
	if clone&CLONE_FS != 0 && pfs != initFS {
		pfs.mu.Lock()
		pfs.users++
		pfs.mu.Unlock()
		child.fs = pfs
		return
	}
	pfs.mu.Lock()
	child.fs = &FSStruct{users: 1, pwd: pfs.pwd, umask: pfs.umask}
	pfs.mu.Unlock()
}

// exitFS drops t's use of its fs_struct (exit_fs).
func exitFS(t *Task) {
	if fs := t.fs; fs != nil {
		fs.mu.Lock()
		fs.users--
		fs.mu.Unlock()
		t.fs = nil
	}
}

// unshareFS gives t a copy of a shared fs_struct (unshare(CLONE_FS)).
func (t *Task) unshareFS() {
	fs := t.fsOf()
	fs.mu.Lock()
	shared := fs.users > 1 || fs == initFS
	fs.mu.Unlock()
	if shared {
		old := t.fs
		copyFS(t, t, 0)
		if old != nil {
			old.mu.Lock()
			old.users--
			old.mu.Unlock()
		}
	}
}

// cwd returns t's working directory (nil: the root).
func (k *Kernel) cwd(t *Task) *vfs.Inode {
	fs := t.fsOf()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.pwd
}

// setCwd changes t's working directory (set_fs_pwd).
func (k *Kernel) setCwd(t *Task, d *vfs.Inode) {
	if d == k.VFS.Root() {
		d = nil
	}
	fs := t.fsOf()
	fs.mu.Lock()
	fs.pwd = d
	fs.mu.Unlock()
}

// umask is t's file mode creation mask (current_umask).
func (k *Kernel) umask(t *Task) uint32 {
	fs := t.fsOf()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.umask
}

// InheritFS gives child a copy of parent's working directory and umask
// (copy_fs without CLONE_FS), for callers outside kernel_clone.
func (k *Kernel) InheritFS(parent, child *Task) { copyFS(parent, child, 0) }

// ExitFS releases t's fs_struct (exit_fs).
func (k *Kernel) ExitFS(t *Task) { exitFS(t) }
