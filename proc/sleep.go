package proc

import (
	"errors"
	"sync"

	"tamix/fs"
)

// errBlock is returned by a system call that put its task to sleep: the
// loop switches away and calls the system call again once the task wakes.
var errBlock = errors.New("task blocked")

// errJustReturn is what a handler returns when it has set the task's
// registers itself (execve, rt_sigreturn, exit): Syscall leaves RAX alone.
var errJustReturn = errors.New("registers set by the handler")

// prepareToWait queues t on q and marks it TASK_INTERRUPTIBLE, like
// prepare_to_wait: the caller checks its condition once more afterwards and
// either calls finishWait or returns errBlock.
func (k *Kernel) prepareToWait(t *Task, q *fs.WaitQueue) {
	if t.waiter.Wake == nil {
		t.waiter.Wake = func() bool { return k.WakeUp(t) } // made once per task
	}
	q.Add(&t.waiter)
	t.SetState(TASK_INTERRUPTIBLE)
}

// finishWait undoes prepareToWait when the condition came true in time.
func (k *Kernel) finishWait(t *Task, q *fs.WaitQueue) {
	t.piLock.Lock()
	t.SetState(TASK_RUNNING)
	t.piLock.Unlock()
	q.Remove(&t.waiter)
}

// WakeUp makes a sleeping task runnable (try_to_wake_up). It reports whether
// the task was asleep.
func (k *Kernel) WakeUp(t *Task) bool {
	t.piLock.Lock()
	defer t.piLock.Unlock()
	if t.State() != TASK_INTERRUPTIBLE && t.State() != TASK_UNINTERRUPTIBLE {
		return false
	}
	t.SetState(TASK_RUNNING)
	if t.OnRQ {
		// Still on its runqueue: the loop that runs it has not switched
		// away yet and will now keep it (ttwu_runnable).
		return true
	}
	k.Sched.Wake(&t.Task) // sends the reschedule IPI itself
	return true
}

// Deactivate takes a task that went to sleep (or died) off its runqueue;
// the loop calls it after a system call returned errBlock.
func (k *Kernel) Deactivate(t *Task) {
	t.piLock.Lock()
	defer t.piLock.Unlock()
	// A signal that arrived after the system call looked for one, but
	// before __state said "sleeping", would find the task awake and not
	// wake it: check once more here, as __schedule does
	// (signal_pending_state).
	if t.State() == TASK_INTERRUPTIBLE && k.signalPending(t) {
		t.SetState(TASK_RUNNING)
		return
	}
	if s := t.State(); (s == TASK_INTERRUPTIBLE || s == TASK_UNINTERRUPTIBLE || s == TASK_STOPPED) && t.OnRQ {
		k.Sched.Dequeue(&t.Task, true)
	}
}

// timerQueue holds what must happen at a deadline on CLOCK_MONOTONIC,
// checked on the tick: sleepers to wake (nanosleep, poll and futex
// timeouts) and hrtimers whose function runs (the ITIMER_REAL timer that
// sends SIGALRM). It is a binary heap ordered by deadline, written out
// here rather than with container/heap so that no entry is boxed into an
// interface: queueing a sleeper does not allocate.
type timerQueue struct {
	mu sync.Mutex
	h  []timerEntry
	// arm asks the machine for a RunTimers call at about the given
	// deadline (Config.ArmTimer: the one-shot clock event device behind
	// high-resolution timers); nil: timers run on ticks only. Called under
	// mu, whenever the earliest deadline may have changed.
	arm func(when int64)
}

// timerEntry is one deadline: a task to wake (t), or an hrtimer (tm).
type timerEntry struct {
	when int64
	t    *Task
	tm   *hrtimer
}

// hrtimer is a timer that runs fn when it expires (Linux's struct hrtimer,
// with HRTIMER_NORESTART semantics: fn re-arms it if it wants to). The zero
// value is an unqueued timer; fn must be set before it is started.
type hrtimer struct {
	when int64 // the deadline it was last started with (hrtimer_get_expires)
	idx  int   // its position in the heap + 1; 0 when not queued
	fn   func(k *Kernel)
}

// add queues a wake-up of t at when. A task that wakes earlier leaves the
// entry behind; it then gives a spurious wake-up, which every sleeping
// system call tolerates (it re-checks its condition).
func (q *timerQueue) add(when int64, t *Task) {
	q.mu.Lock()
	q.push(timerEntry{when: when, t: t})
	q.mu.Unlock()
}

// start (re)queues tm to run at when (hrtimer_start with an absolute time).
func (q *timerQueue) start(tm *hrtimer, when int64) {
	q.mu.Lock()
	if tm.idx != 0 {
		q.removeAt(tm.idx - 1)
	}
	tm.when = when
	q.push(timerEntry{when: when, tm: tm})
	q.mu.Unlock()
}

// cancel dequeues tm (hrtimer_try_to_cancel) and reports whether it was
// queued. A function already taken off the queue by RunTimers still runs.
func (q *timerQueue) cancel(tm *hrtimer) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if tm.idx == 0 {
		return false
	}
	q.removeAt(tm.idx - 1)
	return true
}

// state returns tm's deadline and whether it is queued (hrtimer_is_queued).
func (q *timerQueue) state(tm *hrtimer) (when int64, queued bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return tm.when, tm.idx != 0
}

// Len is the number of queued entries.
func (q *timerQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.h)
}

// The heap, under q.mu.

func (q *timerQueue) set(i int, e timerEntry) {
	q.h[i] = e
	if e.tm != nil {
		e.tm.idx = i + 1
	}
}

func (q *timerQueue) push(e timerEntry) {
	q.h = append(q.h, e)
	q.set(len(q.h)-1, e)
	q.up(len(q.h) - 1)
	if q.arm != nil && q.h[0].when == e.when {
		q.arm(e.when) // the new earliest deadline
	}
}

// removeAt takes entry i out of the heap and returns it.
func (q *timerQueue) removeAt(i int) timerEntry {
	e := q.h[i]
	last := len(q.h) - 1
	if i != last {
		q.set(i, q.h[last])
	}
	q.h[last] = timerEntry{} // drop the references for the GC
	q.h = q.h[:last]
	if i != last {
		if !q.down(i) {
			q.up(i)
		}
	}
	if e.tm != nil {
		e.tm.idx = 0
	}
	return e
}

func (q *timerQueue) up(i int) {
	e := q.h[i]
	for i > 0 {
		p := (i - 1) / 2
		if q.h[p].when <= e.when {
			break
		}
		q.set(i, q.h[p])
		i = p
	}
	q.set(i, e)
}

// down sifts entry i down and reports whether it moved.
func (q *timerQueue) down(i int) bool {
	e, start, n := q.h[i], i, len(q.h)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && q.h[r].when < q.h[c].when {
			c = r
		}
		if e.when <= q.h[c].when {
			break
		}
		q.set(i, q.h[c])
		i = c
	}
	q.set(i, e)
	return i != start
}

// popDue takes the earliest entry if it is due by now.
// popDue takes the earliest entry if it is due. When none is, it asks the
// clock event device for the next deadline (it may have fired early: it
// cannot wait past 55 ms); arm is cheap when already armed in time.
func (q *timerQueue) popDue(now int64) (timerEntry, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.h) == 0 || q.h[0].when > now {
		if len(q.h) > 0 && q.arm != nil {
			q.arm(q.h[0].when)
		}
		return timerEntry{}, false
	}
	return q.removeAt(0), true
}

// RunTimers wakes every task whose sleep ended by now and runs the
// functions of the hrtimers that expired. The loop calls it on timer
// ticks. The queue lock is not held while a task is woken or a function
// runs, so a function may start timers itself.
func (k *Kernel) RunTimers(now int64) {
	for {
		e, ok := k.timers.popDue(now)
		if !ok {
			return
		}
		if e.t != nil {
			k.WakeUp(e.t)
		} else {
			e.tm.fn(k)
		}
	}
}

// NextTimer returns the earliest deadline, or 0 when nothing is queued.
func (k *Kernel) NextTimer() int64 {
	q := &k.timers
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.h) == 0 {
		return 0
	}
	return q.h[0].when
}
