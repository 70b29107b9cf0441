package proc

import "tamix/errno"

// readlink(2) and readlinkat(2), for /proc's symbolic links (/proc/self,
// /proc/PID/fd/N, cwd, exe). Registered unless another file of the
// package already provides them.
const (
	sysReadlink   = 89
	sysReadlinkat = 267
)

func init() {
	if syscallTable[sysReadlink] == nil {
		syscallTable[sysReadlink] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
			return k.doReadlinkat(t, AT_FDCWD, a[0], a[1], a[2])
		}
	}
	if syscallTable[sysReadlinkat] == nil {
		syscallTable[sysReadlinkat] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
			return k.doReadlinkat(t, int(int32(a[0])), a[1], a[2], a[3])
		}
	}
}

// doReadlinkat is do_readlinkat: EINVAL for a size <= 0 or a file that is
// not a link; the target is copied without a NUL, truncated to bufsiz.
func (k *Kernel) doReadlinkat(t *Task, dfd int, pathVA, buf, bufsiz uint64) (uint64, error) {
	if int32(bufsiz) <= 0 {
		return 0, errno.EINVAL
	}
	v, base, path, err := k.resolveAt(t, dfd, pathVA, true)
	if err != nil {
		return 0, err
	}
	if path == "" {
		return 0, errno.ENOENT
	}
	target, err := v.ReadlinkAs(t, base, path)
	if err != nil {
		return 0, err
	}
	b := []byte(target)
	if uint64(len(b)) > uint64(uint32(bufsiz)) {
		b = b[:uint32(bufsiz)]
	}
	if err := t.copyOut(buf, b); err != nil {
		return 0, err
	}
	return uint64(len(b)), nil
}
