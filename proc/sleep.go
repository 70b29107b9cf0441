package proc

import (
	"container/heap"
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

// timerQueue wakes sleepers at a deadline (nanosleep), checked on the tick.
type timerQueue struct {
	mu sync.Mutex
	h  timerHeap
}

type sleepTimer struct {
	when int64
	t    *Task
}

type timerHeap []sleepTimer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].when < h[j].when }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(sleepTimer)) }
func (h *timerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (k *Kernel) addTimer(when int64, t *Task) {
	q := &k.timers
	q.mu.Lock()
	heap.Push(&q.h, sleepTimer{when, t})
	if q.h[0].when == when && k.ArmTimer != nil {
		k.ArmTimer(when) // the new earliest deadline
	}
	q.mu.Unlock()
}

// RunTimers wakes every task whose sleep ended by now. The loops call it on
// timer ticks, and when the one-shot timer armed through Config.ArmTimer
// fires.
func (k *Kernel) RunTimers(now int64) {
	var due []*Task
	q := &k.timers
	q.mu.Lock()
	for q.h.Len() > 0 && q.h[0].when <= now {
		due = append(due, heap.Pop(&q.h).(sleepTimer).t)
	}
	if q.h.Len() > 0 && k.ArmTimer != nil {
		k.ArmTimer(q.h[0].when) // cheap when already armed in time
	}
	q.mu.Unlock()
	for _, t := range due {
		k.WakeUp(t)
	}
}

// NextTimer returns the earliest deadline, or 0 when no task sleeps.
func (k *Kernel) NextTimer() int64 {
	q := &k.timers
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.h.Len() == 0 {
		return 0
	}
	return q.h[0].when
}
