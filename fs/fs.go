// Package fs holds what every kind of open file shares: the File interface
// (Linux's file_operations), open-file flags, and wait queues on which tasks
// sleep until a file is ready.
package fs

import (
	"sync"

	"tamix/errno"
)

// Open-file flags (Linux's O_* values, include/uapi/asm-generic/fcntl.h).
const (
	O_RDONLY    = 0x0
	O_WRONLY    = 0x1
	O_RDWR      = 0x2
	O_ACCMODE   = 0x3
	O_CREAT     = 0x40
	O_EXCL      = 0x80
	O_NOCTTY    = 0x100
	O_TRUNC     = 0x200
	O_APPEND    = 0x400
	O_NONBLOCK  = 0x800
	O_DIRECTORY = 0x10000
	O_CLOEXEC   = 0x80000
)

// Poll events (include/uapi/asm-generic/poll.h).
const (
	POLLIN     = 0x1
	POLLPRI    = 0x2
	POLLOUT    = 0x4
	POLLERR    = 0x8
	POLLHUP    = 0x10
	POLLNVAL   = 0x20
	POLLRDNORM = 0x40
	POLLWRNORM = 0x100
)

// File is an open file's operations. Read and Write never block: when the
// call would have to wait they return errno.EAGAIN, and the caller sleeps on
// Wait() and retries (or returns EAGAIN to a non-blocking caller). That keeps
// the per-CPU kernel loop free of blocked goroutines (DESIGN decision 3).
type File interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	// Poll reports the POLL* events that are ready now.
	Poll() uint32
	// Wait is the queue woken whenever Poll's answer may have changed.
	Wait() *WaitQueue
	// Release is called when the last descriptor for the open file closes.
	Release()
}

// Ioctler is implemented by files that answer ioctl(2).
type Ioctler interface {
	Ioctl(req uint64, arg []byte) (out []byte, ret uint64, err error)
}

// WaitQueue is a list of sleepers (Linux's wait_queue_head_t). A sleeper is a
// function that makes its task runnable again; it reports false once it no
// longer needs waking (so WakeOne moves on).
type WaitQueue struct {
	mu      sync.Mutex
	waiters []*Waiter
}

// Waiter is one entry on a WaitQueue.
type Waiter struct {
	Wake func() bool // must not block or touch the queue
	// Keyed, when set, is called instead of Wake with the POLL* events the
	// wake-up is about (0: not said), and the entry stays queued until it
	// is Removed: an epoll registration (Linux's ep_poll_callback entry,
	// which stays on the file's queue for as long as it is registered).
	// Like Wake, it must not block or touch the queue.
	Keyed func(key uint32)
}

// Add puts w on the queue.
func (q *WaitQueue) Add(w *Waiter) {
	q.mu.Lock()
	q.waiters = append(q.waiters, w)
	q.mu.Unlock()
}

// Remove takes w off the queue if it is there.
func (q *WaitQueue) Remove(w *Waiter) {
	q.mu.Lock()
	for i, x := range q.waiters {
		if x == w {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			break
		}
	}
	q.mu.Unlock()
}

// WakeAll wakes every sleeper and empties the queue (wake_up_all). As in
// Linux, the wake functions run under the queue's lock, so the queue keeps
// its array and a wait-wake cycle allocates nothing; a wake function must
// not touch the queue itself.
func (q *WaitQueue) WakeAll() { q.WakeKey(0) }

// WakeKey is WakeAll for a wake-up about the POLL* events in key
// (wake_up_poll): keyed entries (epoll) that wait for none of them ignore
// it. Keyed entries stay queued; the others are dropped.
func (q *WaitQueue) WakeKey(key uint32) {
	q.mu.Lock()
	n := 0
	for _, w := range q.waiters {
		if w.Keyed != nil {
			w.Keyed(key)
			q.waiters[n] = w
			n++
			continue
		}
		w.Wake()
	}
	clear(q.waiters[n:])
	q.waiters = q.waiters[:n]
	q.mu.Unlock()
}

// RecordFile is implemented by files whose read and write move one record
// per call (eventfd's 8-byte counter): a blocking write is not looped until
// every byte is written, and a read of fewer than RecordSize bytes (zero
// too) or a write of any other size is EINVAL before user memory is
// touched.
type RecordFile interface {
	File
	RecordSize() int
}

// Len is the number of sleepers.
func (q *WaitQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiters)
}

// ErrWouldBlock is what Read and Write return when the caller must wait.
var ErrWouldBlock = errno.EAGAIN
