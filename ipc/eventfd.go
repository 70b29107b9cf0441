package ipc

import (
	"encoding/binary"
	"math"
	"sync"

	"tamix/errno"
	"tamix/fs"
)

// EventFD is an eventfd (fs/eventfd.c): a 64-bit counter that write adds
// to and read takes (all of it, or 1 in semaphore mode). Read blocks at 0
// and write blocks when the sum would pass 0xfffffffffffffffe; the caller
// sleeps on Wait() after EAGAIN, as for pipes. It implements fs.File and
// fs.RecordFile: every call moves exactly one 8-byte value.
type EventFD struct {
	mu        sync.Mutex
	count     uint64
	semaphore bool
	wait      fs.WaitQueue
}

// NewEventFD returns an eventfd holding initval.
func NewEventFD(initval uint64, semaphore bool) *EventFD {
	return &EventFD{count: initval, semaphore: semaphore}
}

// RecordSize makes EventFD a fs.RecordFile of 8-byte records.
func (e *EventFD) RecordSize() int { return 8 }

// Read is eventfd_read: EINVAL for a buffer under 8 bytes, EAGAIN when the
// counter is 0.
func (e *EventFD) Read(p []byte) (int, error) {
	if len(p) < 8 {
		return 0, errno.EINVAL
	}
	e.mu.Lock()
	if e.count == 0 {
		e.mu.Unlock()
		return 0, errno.EAGAIN
	}
	v := e.count
	if e.semaphore {
		v = 1
	}
	e.count -= v
	e.mu.Unlock()
	e.wait.WakeKey(fs.POLLOUT)
	binary.LittleEndian.PutUint64(p, v)
	return 8, nil
}

// Write is eventfd_write: EINVAL unless the buffer is exactly 8 bytes
// (since Linux 6.9; before, longer buffers were taken), or for the value
// 0xffffffffffffffff; EAGAIN when the sum would not fit.
func (e *EventFD) Write(p []byte) (int, error) {
	if len(p) != 8 {
		return 0, errno.EINVAL
	}
	v := binary.LittleEndian.Uint64(p)
	if v == math.MaxUint64 {
		return 0, errno.EINVAL
	}
	e.mu.Lock()
	if math.MaxUint64-e.count <= v {
		e.mu.Unlock()
		return 0, errno.EAGAIN
	}
	e.count += v
	e.mu.Unlock()
	e.wait.WakeKey(fs.POLLIN)
	return 8, nil
}

// Poll is eventfd_poll: POLLIN when the counter is not 0, POLLOUT while a
// write of 1 fits, POLLERR at 0xffffffffffffffff (only reachable in Linux
// through eventfd_signal overflow).
func (e *EventFD) Poll() uint32 {
	e.mu.Lock()
	c := e.count
	e.mu.Unlock()
	var ev uint32
	if c > 0 {
		ev |= fs.POLLIN
	}
	if c == math.MaxUint64 {
		ev |= fs.POLLERR
	}
	if math.MaxUint64-1 > c {
		ev |= fs.POLLOUT
	}
	return ev
}

// Count returns the counter (for /proc fdinfo and tests).
func (e *EventFD) Count() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count
}

// Wait is the queue woken by every read and write.
func (e *EventFD) Wait() *fs.WaitQueue { return &e.wait }

// AnonName is the anonymous inode's name (/proc/PID/fd links).
func (e *EventFD) AnonName() string { return "[eventfd]" }

// Release does nothing: the counter goes with the last reference.
func (e *EventFD) Release() {}
