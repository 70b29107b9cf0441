package proc

import (
	"encoding/binary"
	"sync"

	"tamix/errno"
	"tamix/fs"
)

// timerfd (fs/timerfd.c): a timer delivered through a file instead of a
// signal. Each expiry adds one to a count of ticks; read returns the count
// as 8 bytes and clears it, blocking (or EAGAIN) while it is 0, and poll
// says POLLIN while it is not. Like a POSIX timer, a periodic timerfd does
// not re-arm when it fires but when it is read (or timerfd_gettime looks
// at it), adding the intervals it missed meanwhile to the count.

// System call numbers of this file.
const (
	SYS_timerfd_create  = 283
	SYS_timerfd_settime = 286
	SYS_timerfd_gettime = 287
)

// timerfd flags.
const (
	TFD_CLOEXEC             = fs.O_CLOEXEC
	TFD_NONBLOCK            = fs.O_NONBLOCK
	TFD_TIMER_ABSTIME       = 1
	TFD_TIMER_CANCEL_ON_SET = 2
	tfdCreateFlags          = TFD_CLOEXEC | TFD_NONBLOCK
	tfdSettimeFlags         = TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET
	timerfdTicksSize        = 8
)

func init() {
	syscallTable[SYS_timerfd_create] = sysTimerfdCreate
	syscallTable[SYS_timerfd_settime] = sysTimerfdSettime
	syscallTable[SYS_timerfd_gettime] = sysTimerfdGettime
}

// timerFD is struct timerfd_ctx. Its times are on CLOCK_MONOTONIC, the
// timer queue's clock (see monoExpiry).
type timerFD struct {
	k     *Kernel
	clock int32
	mu    sync.Mutex // ctx->wqh.lock
	// ticks counts expiries not read yet; expired says the timer fired
	// and a periodic one waits to be forwarded (ctx->expired).
	ticks    uint64
	expired  bool
	interval int64 // ctx->tintv
	expires  int64 // the last expiry set; 0 when never armed
	armed    bool  // queued to fire (or firing)
	hr       hrtimer
	wait     fs.WaitQueue
}

func newTimerFD(k *Kernel, clock int32) *timerFD {
	tf := &timerFD{k: k, clock: clock}
	tf.hr.fn = func(k *Kernel) { tf.fire() }
	return tf
}

// fire is timerfd_tmrproc: one more tick, and the readers wake.
func (tf *timerFD) fire() {
	tf.mu.Lock()
	if !tf.armed {
		tf.mu.Unlock()
		return // disarmed since it was taken off the queue
	}
	if _, queued := tf.k.timers.state(&tf.hr); queued {
		tf.mu.Unlock()
		return // set again meanwhile
	}
	tf.armed = false
	tf.expired = true
	tf.ticks++
	tf.mu.Unlock()
	tf.wait.WakeKey(fs.POLLIN)
}

// forward moves an expired periodic timer past now and re-arms it,
// returning the intervals it moved (hrtimer_forward_now + restart).
// Under mu.
func (tf *timerFD) forward() uint64 {
	var n int64
	tf.expires, n = timerForward(tf.expires, tf.k.Clock(), tf.interval)
	tf.armed = true
	tf.k.timers.start(&tf.hr, tf.expires)
	return uint64(n)
}

// remaining is timerfd_get_remaining: the time to the expiry, 0 once it
// passed. Under mu.
func (tf *timerFD) remaining() int64 {
	return max(tf.expires-tf.k.Clock(), 0)
}

// RecordSize makes timerFD a fs.RecordFile: reads take 8 bytes.
func (tf *timerFD) RecordSize() int { return timerfdTicksSize }

// Read is timerfd_read: EINVAL under 8 bytes, EAGAIN without ticks.
func (tf *timerFD) Read(p []byte) (int, error) {
	if len(p) < timerfdTicksSize {
		return 0, errno.EINVAL
	}
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if tf.ticks == 0 {
		return 0, errno.EAGAIN
	}
	ticks := tf.ticks
	if tf.expired && tf.interval != 0 {
		ticks += tf.forward() - 1
	}
	tf.expired, tf.ticks = false, 0
	binary.LittleEndian.PutUint64(p, ticks)
	return timerfdTicksSize, nil
}

// Write: a timerfd has no write (EINVAL).
func (tf *timerFD) Write(p []byte) (int, error) { return 0, errno.EINVAL }

// Poll is timerfd_poll: POLLIN while ticks wait.
func (tf *timerFD) Poll() uint32 {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if tf.ticks != 0 {
		return fs.POLLIN
	}
	return 0
}

// Wait is woken on every expiry.
func (tf *timerFD) Wait() *fs.WaitQueue { return &tf.wait }

// AnonName is the anonymous inode's name (/proc/PID/fd links).
func (tf *timerFD) AnonName() string { return "[timerfd]" }

// Release stops the timer with the last reference (timerfd_release).
func (tf *timerFD) Release() {
	tf.mu.Lock()
	tf.armed = false
	tf.k.timers.cancel(&tf.hr)
	tf.mu.Unlock()
}

// get is timerfd_gettime's part under the lock: an expired periodic timer
// is forwarded first, its missed intervals kept as ticks.
func (tf *timerFD) get() (value, interval int64) {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	if tf.expired && tf.interval != 0 {
		tf.expired = false
		tf.ticks += tf.forward() - 1
	}
	return tf.remaining(), tf.interval
}

// set is do_timerfd_settime's: it returns the old setting and arms the
// timer anew (timerfd_setup), clearing the ticks.
func (tf *timerFD) set(abs bool, value, interval int64) (ovalue, ointerval int64) {
	tf.mu.Lock()
	defer tf.mu.Unlock()
	tf.armed = false
	tf.k.timers.cancel(&tf.hr)
	if tf.expired && tf.interval != 0 {
		tf.expires, _ = timerForward(tf.expires, tf.k.Clock(), tf.interval)
	}
	ovalue, ointerval = tf.remaining(), tf.interval
	tf.expired, tf.ticks = false, 0
	tf.interval = interval
	tf.expires = 0
	if value != 0 {
		tf.expires = tf.k.monoExpiry(tf.clock, abs, value)
		tf.armed = true
		tf.k.timers.start(&tf.hr, tf.expires)
	}
	return ovalue, ointerval
}

// timerfdClock maps a timerfd clock to the clock its times are read on:
// the alarm clocks are CLOCK_REALTIME and CLOCK_BOOTTIME that would also
// wake a suspended machine, and tamix never suspends.
func timerfdClock(clock int32) (int32, bool) {
	switch clock {
	case CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME:
		return clock, true
	case CLOCK_REALTIME_ALARM:
		return CLOCK_REALTIME, true
	case CLOCK_BOOTTIME_ALARM:
		return CLOCK_BOOTTIME, true
	}
	return 0, false
}

// sysTimerfdCreate is timerfd_create(clockid, flags): the file is O_RDWR,
// plus O_NONBLOCK with TFD_NONBLOCK.
func sysTimerfdCreate(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	flags := int(int32(a[1]))
	clock, ok := timerfdClock(int32(a[0]))
	if flags&^tfdCreateFlags != 0 || !ok {
		return 0, errno.EINVAL
	}
	of := NewOpenFile(newTimerFD(k, clock), fs.O_RDWR|flags&TFD_NONBLOCK)
	fd, err := t.Files.Install(of, 0, flags&TFD_CLOEXEC != 0)
	if err != nil {
		of.put()
		return 0, err
	}
	return uint64(fd), nil
}

// timerfdGet returns the timerfd behind fd (timerfd_fget): EBADF, or
// EINVAL for another kind of file. The caller puts the reference.
func timerfdGet(t *Task, fd int) (*OpenFile, *timerFD, error) {
	of, err := t.Files.Get(fd)
	if err != nil {
		return nil, nil, err
	}
	tf, ok := of.File.(*timerFD)
	if !ok {
		of.put()
		return nil, nil, errno.EINVAL
	}
	return of, tf, nil
}

// sysTimerfdSettime is timerfd_settime(fd, flags, new, old): EFAULT, then
// EINVAL for bad flags or times, then the descriptor's errors.
// TFD_TIMER_CANCEL_ON_SET is accepted; as nothing sets CLOCK_REALTIME in
// tamix, no read ever reports ECANCELED.
func sysTimerfdSettime(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	value, interval, valid, err := getItimerspec(t, a[2])
	if err != nil {
		return 0, err
	}
	flags := int(int32(a[1]))
	if flags&^tfdSettimeFlags != 0 || !valid {
		return 0, errno.EINVAL
	}
	of, tf, err := timerfdGet(t, int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	ovalue, ointerval := tf.set(flags&TFD_TIMER_ABSTIME != 0, value, interval)
	of.put()
	if a[3] == 0 {
		return 0, nil
	}
	return 0, putItimerspec(t, a[3], ovalue, ointerval)
}

// sysTimerfdGettime is timerfd_gettime(fd, curr).
func sysTimerfdGettime(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	of, tf, err := timerfdGet(t, int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	value, interval := tf.get()
	of.put()
	return 0, putItimerspec(t, a[1], value, interval)
}
