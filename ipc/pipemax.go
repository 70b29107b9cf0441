package ipc

import (
	"sync/atomic"

	"tamix/errno"
)

// pipeMaxSize is /proc/sys/fs/pipe-max-size (pipe_max_size): how large
// F_SETPIPE_SZ may make a pipe without CAP_SYS_RESOURCE.
var pipeMaxSize atomic.Int64

func init() { pipeMaxSize.Store(1 << 20) }

// PipeMaxSize is pipe-max-size in bytes.
func PipeMaxSize() int { return int(pipeMaxSize.Load()) }

// SetPipeMaxSize writes pipe-max-size (proc_dopipe_max_size): rounded up
// to a power of two pages (round_pipe_size); 0 or more than 2 GiB is
// EINVAL.
func SetPipeMaxSize(n int) error {
	if n <= 0 || n > 1<<31 {
		return errno.EINVAL
	}
	size := PageSize
	for size < n {
		size <<= 1
	}
	pipeMaxSize.Store(int64(size))
	return nil
}
