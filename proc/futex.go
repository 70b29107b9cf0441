package proc

import (
	"encoding/binary"
	"sync"

	"tamix/errno"
	"tamix/mm"
)

// futex operations (include/uapi/linux/futex.h).
const (
	FUTEX_WAIT             = 0
	FUTEX_WAKE             = 1
	FUTEX_REQUEUE          = 3
	FUTEX_CMP_REQUEUE      = 4
	FUTEX_WAIT_BITSET      = 9
	FUTEX_WAKE_BITSET      = 10
	FUTEX_PRIVATE_FLAG     = 128
	FUTEX_CLOCK_REALTIME   = 256
	futexCmdMask           = ^(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
	FUTEX_BITSET_MATCH_ANY = 0xffffffff
)

// futexKey names a futex word (union futex_key): a private futex by its
// address space and address; a shared one in a shared mapping by the
// physical address of the word (mm nil), so that processes mapping the page
// at different addresses (System V segments, MAP_SHARED after fork) meet
// on one queue.
type futexKey struct {
	mm   *mm.MM
	addr uint64
}

// getFutexKey is get_futex_key. FUTEX_PRIVATE_FLAG promises the word is
// private to the process; without it, a word in a shared mapping gets the
// shared key. A word in a private mapping has the private key either way,
// as in Linux.
func getFutexKey(m *mm.MM, uaddr uint64, private bool) (futexKey, error) {
	if !private && m != nil {
		pa, shared, err := m.FutexPhys(uaddr)
		if err != nil {
			return futexKey{}, err
		}
		if shared {
			return futexKey{nil, pa}, nil
		}
	}
	return futexKey{m, uaddr}, nil
}

type futexWaiter struct {
	t      *Task
	key    futexKey // the queue it is on (a requeue moves it)
	bitset uint32
	woken  bool
}

// futexTable is the hash of futex wait queues (futex_queues).
type futexTable struct {
	mu sync.Mutex
	q  map[futexKey][]*futexWaiter
}

var futexes = futexTable{q: map[futexKey][]*futexWaiter{}}

func init() {
	syscallTable[SYS_futex] = sysFutex
}

func sysFutex(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	uaddr, op, val := a[0], int(a[1]), uint32(a[2])
	if uaddr%4 != 0 {
		return 0, errno.EINVAL
	}
	cmd := op & futexCmdMask
	private := op&FUTEX_PRIVATE_FLAG != 0
	switch cmd {
	case FUTEX_WAIT, FUTEX_WAIT_BITSET:
		bitset := uint32(FUTEX_BITSET_MATCH_ANY)
		if cmd == FUTEX_WAIT_BITSET {
			bitset = uint32(a[5])
			if bitset == 0 {
				return 0, errno.EINVAL
			}
		}
		return k.futexWait(t, uaddr, private, val, a[3], bitset, cmd == FUTEX_WAIT_BITSET, op&FUTEX_CLOCK_REALTIME != 0)
	case FUTEX_WAKE, FUTEX_WAKE_BITSET:
		bitset := uint32(FUTEX_BITSET_MATCH_ANY)
		if cmd == FUTEX_WAKE_BITSET {
			bitset = uint32(a[5])
			if bitset == 0 {
				return 0, errno.EINVAL
			}
		}
		key, err := getFutexKey(t.MM, uaddr, private)
		if err != nil {
			return 0, err
		}
		return uint64(k.futexWakeBits(key, int(int32(val)), bitset)), nil
	case FUTEX_REQUEUE, FUTEX_CMP_REQUEUE:
		if cmd == FUTEX_CMP_REQUEUE {
			cur, err := t.copyIn(uaddr, 4)
			if err != nil {
				return 0, err
			}
			if binary.LittleEndian.Uint32(cur) != uint32(a[5]) {
				return 0, errno.EAGAIN
			}
		}
		if a[4]%4 != 0 {
			return 0, errno.EINVAL
		}
		from, err := getFutexKey(t.MM, uaddr, private)
		if err != nil {
			return 0, err
		}
		to, err := getFutexKey(t.MM, a[4], private)
		if err != nil {
			return 0, err
		}
		return uint64(k.futexRequeue(from, to, int(int32(val)), int(int32(a[3])))), nil
	}
	return 0, errno.ENOSYS
}

// futexWait sleeps while *uaddr == val. The call runs again after every
// wake-up; the waiter entry in the restart state says whether a FUTEX_WAKE
// chose this task.
func (k *Kernel) futexWait(t *Task, uaddr uint64, private bool, val uint32, timeout uint64, bitset uint32, absolute, realtime bool) (uint64, error) {
	rb := &t.restart
	if w := t.futexWaiter; w != nil {
		futexes.mu.Lock()
		woken := w.woken
		if !woken {
			futexes.remove(w.key, w)
		}
		futexes.mu.Unlock()
		switch {
		case woken:
			t.futexWaiter = nil
			return 0, nil
		case rb.armed && k.Clock() >= rb.deadline:
			t.futexWaiter = nil
			return 0, errno.ETIMEDOUT
		case k.signalPending(t):
			t.futexWaiter = nil
			return 0, errno.ERESTARTSYS
		}
		// A spurious wake-up: queue again below.
	} else if timeout != 0 {
		d, err := getTimespec(t, timeout)
		if err != nil {
			return 0, err
		}
		if absolute {
			now := k.Clock()
			if realtime {
				now = k.Wall()
			}
			d -= now
		}
		rb.deadline, rb.armed = k.Clock()+d, true
	}
	key, err := getFutexKey(t.MM, uaddr, private)
	if err != nil {
		t.futexWaiter = nil
		return 0, err
	}
	futexes.mu.Lock()
	cur, err := t.getUint32(uaddr)
	if err != nil {
		futexes.mu.Unlock()
		t.futexWaiter = nil
		return 0, err
	}
	if cur != val {
		futexes.mu.Unlock()
		t.futexWaiter = nil
		return 0, errno.EAGAIN
	}
	if rb.armed && k.Clock() >= rb.deadline {
		futexes.mu.Unlock()
		t.futexWaiter = nil
		return 0, errno.ETIMEDOUT
	}
	w := &futexWaiter{t: t, key: key, bitset: bitset}
	t.futexWaiter = w
	futexes.q[key] = append(futexes.q[key], w)
	t.SetState(TASK_INTERRUPTIBLE)
	futexes.mu.Unlock()
	if rb.armed {
		k.timers.add(rb.deadline, t)
	}
	return 0, errBlock
}

func (ft *futexTable) remove(key futexKey, w *futexWaiter) {
	ws := ft.q[key]
	for i, x := range ws {
		if x == w {
			ft.q[key] = append(ws[:i], ws[i+1:]...)
			break
		}
	}
	if len(ft.q[key]) == 0 {
		delete(ft.q, key)
	}
}

// futexWake wakes up to n waiters on the shared-keyed word uaddr, as the
// kernel's own wake-ups do (CLONE_CHILD_CLEARTID, robust futexes).
func (k *Kernel) futexWake(m *mm.MM, uaddr uint64, n int) int {
	key, err := getFutexKey(m, uaddr, false)
	if err != nil {
		return 0
	}
	return k.futexWakeBits(key, n, FUTEX_BITSET_MATCH_ANY)
}

func (k *Kernel) futexWakeBits(key futexKey, n int, bitset uint32) int {
	var wake []*Task
	futexes.mu.Lock()
	ws := futexes.q[key]
	rest := ws[:0]
	for _, w := range ws {
		if len(wake) < n && w.bitset&bitset != 0 {
			w.woken = true
			wake = append(wake, w.t)
			continue
		}
		rest = append(rest, w)
	}
	if len(rest) == 0 {
		delete(futexes.q, key)
	} else {
		futexes.q[key] = rest
	}
	futexes.mu.Unlock()
	for _, t := range wake {
		k.WakeUp(t)
	}
	return len(wake)
}

// futexRequeue wakes n waiters of from and moves up to n2 others to to.
func (k *Kernel) futexRequeue(from, to futexKey, n, n2 int) int {
	woken := k.futexWakeBits(from, n, FUTEX_BITSET_MATCH_ANY)
	futexes.mu.Lock()
	ws := futexes.q[from]
	moved := 0
	for len(ws) > 0 && moved < n2 {
		ws[0].key = to
		futexes.q[to] = append(futexes.q[to], ws[0])
		ws = ws[1:]
		moved++
	}
	if len(ws) == 0 {
		delete(futexes.q, from)
	} else {
		futexes.q[from] = ws
	}
	futexes.mu.Unlock()
	return woken + moved
}
