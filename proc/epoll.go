package proc

import (
	"encoding/binary"
	"sync"

	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
	"tamix/vfs"
)

// epoll (fs/eventpoll.c): an eventpoll instance is an anonymous-inode file
// in the descriptor table. Each registration (epitem) is keyed by the open
// file description and the descriptor number it was added with, and stays
// on the file's wait queue (a keyed fs.Waiter) until it is deleted or the
// last reference to that open file goes. A wake-up of the file puts the
// item on the ready list; epoll_wait polls the ready items again and
// reports those whose events are there, re-queueing level-triggered ones.

// System call numbers of this file.
const (
	SYS_epoll_create  = 213
	SYS_epoll_wait    = 232
	SYS_epoll_ctl     = 233
	SYS_epoll_pwait   = 281
	SYS_epoll_pwait2  = 441
	SYS_epoll_create1 = 291
)

// epoll_ctl operations and event bits (include/uapi/linux/eventpoll.h).
const (
	EPOLL_CTL_ADD = 1
	EPOLL_CTL_DEL = 2
	EPOLL_CTL_MOD = 3

	EPOLLIN        = 0x1
	EPOLLPRI       = 0x2
	EPOLLOUT       = 0x4
	EPOLLERR       = 0x8
	EPOLLHUP       = 0x10
	EPOLLRDNORM    = 0x40
	EPOLLRDHUP     = 0x2000
	EPOLLEXCLUSIVE = 1 << 28
	EPOLLWAKEUP    = 1 << 29
	EPOLLONESHOT   = 1 << 30
	EPOLLET        = 1 << 31

	EPOLL_CLOEXEC = fs.O_CLOEXEC

	// epPrivateBits are the flags that are not events (EP_PRIVATE_BITS).
	epPrivateBits = EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE
	// epExclusiveOKBits may go with EPOLLEXCLUSIVE (EPOLLEXCLUSIVE_OK_BITS).
	epExclusiveOKBits = EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE
	// epollEventSize is sizeof(struct epoll_event) on x86-64: packed, a
	// uint32 then a uint64.
	epollEventSize = 12
	// epMaxEvents bounds maxevents (EP_MAX_EVENTS: INT_MAX / 12).
	epMaxEvents = 0x7fffffff / epollEventSize
	// epMaxNests is how deep epoll files may nest (EP_MAX_NESTS).
	epMaxNests = 4
)

// epollEvent is struct epoll_event.
type epollEvent struct {
	Events uint32
	Data   uint64
}

func decodeEpollEvent(b []byte) epollEvent {
	return epollEvent{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint64(b[4:])}
}

func (e epollEvent) encode(b []byte) {
	binary.LittleEndian.PutUint32(b, e.Events)
	binary.LittleEndian.PutUint64(b[4:], e.Data)
}

// eventPoll is struct eventpoll. mtx serialises epoll_ctl, event harvesting
// and removals (ep->mtx); lock guards the ready list and the items' ready
// state and events, and is the only lock the wake-up callbacks take
// (ep->lock). Lock order: mtx, then a file's wait queue or of.mu; a
// wait-queue lock, then lock.
type eventPoll struct {
	mtx   sync.Mutex
	items map[epKey]*epitem // the interest list (ep->rbr), under mtx

	lock sync.Mutex
	rdl  []*epitem // the ready list (ep->rdllist), under lock

	// wq holds the tasks in epoll_wait and the registrations of epoll
	// files this one is nested in (ep->wq and ep->poll_wait).
	wq fs.WaitQueue
}

type epKey struct {
	of *OpenFile
	fd int
}

// epitem is one registration (struct epitem). It holds no reference on
// the open file: the file's last close removes it.
type epitem struct {
	ep  *eventPoll
	key epKey
	q   *fs.WaitQueue // the file's queue, where w stays
	w   fs.Waiter
	// Under ep.lock (and ep.mtx to change events or dead).
	ev     epollEvent
	linked bool // on ep.rdl
	dead   bool
}

func newEventPoll() *eventPoll { return &eventPoll{items: map[epKey]*epitem{}} }

// Read and Write: an epoll file has neither (EINVAL, as without f_op).
func (ep *eventPoll) Read(p []byte) (int, error)  { return 0, errno.EINVAL }
func (ep *eventPoll) Write(p []byte) (int, error) { return 0, errno.EINVAL }

// AnonName is the anonymous inode's name (/proc/PID/fd links).
func (ep *eventPoll) AnonName() string { return "[eventpoll]" }

// Wait is the queue woken when an item becomes ready.
func (ep *eventPoll) Wait() *fs.WaitQueue { return &ep.wq }

// Poll reports POLLIN when an item on the ready list has its events
// (ep_eventpoll_poll); items that turn out not to be ready leave the list.
func (ep *eventPoll) Poll() uint32 {
	ep.mtx.Lock()
	defer ep.mtx.Unlock()
	ep.lock.Lock()
	tx := ep.rdl
	ep.rdl = nil
	ep.lock.Unlock()
	var mask uint32
	var keep []*epitem
	for i, epi := range tx {
		if epi.poll() != 0 {
			mask = fs.POLLIN | fs.POLLRDNORM
			keep = tx[i:]
			break
		}
		ep.lock.Lock()
		epi.linked = false
		ep.lock.Unlock()
	}
	ep.lock.Lock()
	ep.rdl = append(keep, ep.rdl...)
	ep.lock.Unlock()
	return mask
}

// Release empties the interest list when the epoll file's last reference
// goes (ep_clear_and_put).
func (ep *eventPoll) Release() {
	ep.mtx.Lock()
	for _, epi := range ep.items {
		ep.remove(epi)
	}
	ep.mtx.Unlock()
}

// poll is ep_item_poll: the file's events the item asks for.
func (epi *epitem) poll() uint32 {
	epi.ep.lock.Lock()
	ev := epi.ev.Events
	epi.ep.lock.Unlock()
	return epi.key.of.File.Poll() & ev
}

// wake is ep_poll_callback: the file's queue was woken about key.
func (epi *epitem) wake(key uint32) {
	ep := epi.ep
	ep.lock.Lock()
	ev := epi.ev.Events
	if epi.dead || ev&^epPrivateBits == 0 || key != 0 && key&ev == 0 {
		// Deleted, a disabled EPOLLONESHOT item, or not about our events.
		ep.lock.Unlock()
		return
	}
	if !epi.linked {
		epi.linked = true
		ep.rdl = append(ep.rdl, epi)
	}
	ep.lock.Unlock()
	ep.wq.WakeKey(fs.POLLIN | fs.POLLRDNORM)
}

// readyNow links epi on the ready list if its file has its events, and
// wakes the waiters (the end of ep_insert and ep_modify). Under ep.mtx.
func (ep *eventPoll) readyNow(epi *epitem) {
	if epi.poll() == 0 {
		return
	}
	ep.lock.Lock()
	if !epi.linked {
		epi.linked = true
		ep.rdl = append(ep.rdl, epi)
	}
	ep.lock.Unlock()
	ep.wq.WakeKey(fs.POLLIN | fs.POLLRDNORM)
}

// insert is ep_insert. Under ep.mtx.
func (ep *eventPoll) insert(key epKey, ev epollEvent) {
	epi := &epitem{ep: ep, key: key, ev: ev}
	epi.w.Keyed = epi.wake
	ep.items[key] = epi
	key.of.mu.Lock()
	key.of.epitems = append(key.of.epitems, epi)
	key.of.mu.Unlock()
	epi.q = key.of.File.Wait()
	epi.q.Add(&epi.w)
	ep.readyNow(epi)
}

// modify is ep_modify. Under ep.mtx.
func (ep *eventPoll) modify(epi *epitem, ev epollEvent) {
	ep.lock.Lock()
	epi.ev = ev
	ep.lock.Unlock()
	ep.readyNow(epi)
}

// remove is ep_remove. Under ep.mtx.
func (ep *eventPoll) remove(epi *epitem) {
	epi.q.Remove(&epi.w)
	ep.lock.Lock()
	epi.dead = true
	if epi.linked {
		epi.linked = false
		for i, x := range ep.rdl {
			if x == epi {
				ep.rdl = append(ep.rdl[:i], ep.rdl[i+1:]...)
				break
			}
		}
	}
	ep.lock.Unlock()
	delete(ep.items, epi.key)
	of := epi.key.of
	of.mu.Lock()
	for i, x := range of.epitems {
		if x == epi {
			of.epitems = append(of.epitems[:i], of.epitems[i+1:]...)
			break
		}
	}
	if len(of.epitems) == 0 {
		of.epitems = nil
	}
	of.mu.Unlock()
}

// eventpollRelease removes every registration of of when its last
// reference goes (eventpoll_release_file).
func eventpollRelease(of *OpenFile) {
	of.mu.Lock()
	items := of.epitems
	of.mu.Unlock()
	for _, epi := range items {
		ep := epi.ep
		ep.mtx.Lock()
		if !epi.dead {
			ep.remove(epi)
		}
		ep.mtx.Unlock()
	}
}

// hasReady reports whether the ready list is not empty (ep_events_available).
func (ep *eventPoll) hasReady() bool {
	ep.lock.Lock()
	defer ep.lock.Unlock()
	return len(ep.rdl) > 0
}

// sendEvents is ep_send_events: it polls the ready items again and writes
// the events of those that have some to the user's array, at most max.
// An EPOLLONESHOT item is disabled once reported; a level-triggered one
// goes back on the ready list (at the tail), an edge-triggered one waits
// for the next wake-up. Items not reached stay at the head of the list.
func (ep *eventPoll) sendEvents(t *Task, va uint64, max int) (int, error) {
	ep.mtx.Lock()
	defer ep.mtx.Unlock()
	ep.lock.Lock()
	tx := ep.rdl
	ep.rdl = nil
	ep.lock.Unlock()
	var (
		res    int
		err    error
		i      int
		buf    [epollEventSize]byte
		failed *epitem
	)
	for ; i < len(tx) && res < max; i++ {
		epi := tx[i]
		ep.lock.Lock()
		epi.linked = false
		ep.lock.Unlock()
		revents := epi.poll()
		if revents == 0 {
			continue
		}
		ep.lock.Lock()
		data := epi.ev.Data
		ep.lock.Unlock()
		epollEvent{revents, data}.encode(buf[:])
		if t.copyOut(va+uint64(res)*epollEventSize, buf[:]) != nil {
			failed = epi // stays on the list: break leaves i at it
			if res == 0 {
				err = errno.EFAULT
			}
			break
		}
		res++
		ep.lock.Lock()
		switch {
		case epi.ev.Events&EPOLLONESHOT != 0:
			epi.ev.Events &= epPrivateBits
		case epi.ev.Events&EPOLLET == 0 && !epi.linked:
			epi.linked = true
			ep.rdl = append(ep.rdl, epi)
		}
		ep.lock.Unlock()
	}
	// ep_done_scan: what was not reached goes back at the head.
	ep.lock.Lock()
	var rest []*epitem
	for _, epi := range tx[i:] {
		// Still linked, but for the one whose copy failed, which a
		// wake-up may have linked again meanwhile.
		if epi.linked && epi == failed {
			continue
		}
		epi.linked = true
		rest = append(rest, epi)
	}
	if len(rest) > 0 {
		ep.rdl = append(rest, ep.rdl...)
	}
	more := len(ep.rdl) > 0
	ep.lock.Unlock()
	if more {
		// Others sleeping on this instance (or polling it) may take the
		// rest (ep_done_scan's wake_up).
		ep.wq.WakeKey(fs.POLLIN | fs.POLLRDNORM)
	}
	return res, err
}

// loopCheck reports whether adding the epoll file of tep to ep would make
// a cycle or nest deeper than epMaxNests (ep_loop_check).
func loopCheck(ep, tep *eventPoll, depth int) bool {
	if depth > epMaxNests {
		return true
	}
	if tep == ep {
		return true
	}
	tep.mtx.Lock()
	var subs []*eventPoll
	for k := range tep.items {
		if sub, ok := k.of.File.(*eventPoll); ok {
			subs = append(subs, sub)
		}
	}
	tep.mtx.Unlock()
	for _, sub := range subs {
		if loopCheck(ep, sub, depth+1) {
			return true
		}
	}
	return false
}

func init() {
	syscallTable[SYS_epoll_create] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		if int32(a[0]) <= 0 {
			return 0, errno.EINVAL
		}
		return k.epollCreate(t, 0)
	}
	syscallTable[SYS_epoll_create1] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.epollCreate(t, int(int32(a[0])))
	}
	syscallTable[SYS_epoll_ctl] = sysEpollCtl
	syscallTable[SYS_epoll_wait] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.epollWait(t, a, false)
	}
	syscallTable[SYS_epoll_pwait] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.epollWait(t, a, true)
	}
	syscallTable[SYS_epoll_pwait2] = func(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
		return k.epollPwait2(t, a)
	}
}

// epollCreate is do_epoll_create: only EPOLL_CLOEXEC is a valid flag.
func (k *Kernel) epollCreate(t *Task, flags int) (uint64, error) {
	if flags&^EPOLL_CLOEXEC != 0 {
		return 0, errno.EINVAL
	}
	of := NewOpenFile(newEventPoll(), fs.O_RDWR)
	fd, err := t.Files.Install(of, 0, flags&EPOLL_CLOEXEC != 0)
	if err != nil {
		of.put()
		return 0, err
	}
	return uint64(fd), nil
}

// sysEpollCtl is epoll_ctl(epfd, op, fd, event) with do_epoll_ctl's checks
// in Linux's order.
func sysEpollCtl(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	epfd, op, fd := int(int32(a[0])), int(int32(a[1])), int(int32(a[2]))
	var ev epollEvent
	hasEvent := op != EPOLL_CTL_DEL
	if hasEvent {
		var b [epollEventSize]byte
		if err := t.copyInto(b[:], a[3]); err != nil {
			return 0, err
		}
		ev = decodeEpollEvent(b[:])
	}
	f, err := t.Files.Get(epfd)
	if err != nil {
		return 0, err
	}
	defer f.put()
	tf, err := t.Files.Get(fd)
	if err != nil {
		return 0, err
	}
	defer tf.put()
	if !vfs.CanPoll(tf.File) {
		return 0, errno.EPERM // file_can_poll: regular files, directories, /dev/null
	}
	ep, ok := f.File.(*eventPoll)
	if f == tf || !ok {
		return 0, errno.EINVAL
	}
	_, targetIsEpoll := tf.File.(*eventPoll)
	if hasEvent && ev.Events&EPOLLEXCLUSIVE != 0 {
		if op == EPOLL_CTL_MOD {
			return 0, errno.EINVAL
		}
		if op == EPOLL_CTL_ADD && (targetIsEpoll || ev.Events&^epExclusiveOKBits != 0) {
			return 0, errno.EINVAL
		}
	}
	if op == EPOLL_CTL_ADD && targetIsEpoll && loopCheck(ep, tf.File.(*eventPoll), 1) {
		return 0, errno.ELOOP
	}
	ep.mtx.Lock()
	defer ep.mtx.Unlock()
	key := epKey{tf, fd}
	epi := ep.items[key]
	switch op {
	case EPOLL_CTL_ADD:
		if epi != nil {
			return 0, errno.EEXIST
		}
		ev.Events |= EPOLLERR | EPOLLHUP
		ep.insert(key, ev)
		return 0, nil
	case EPOLL_CTL_DEL:
		if epi == nil {
			return 0, errno.ENOENT
		}
		ep.remove(epi)
		return 0, nil
	case EPOLL_CTL_MOD:
		if epi == nil {
			return 0, errno.ENOENT
		}
		if epi.ev.Events&EPOLLEXCLUSIVE != 0 {
			return 0, errno.EINVAL
		}
		ev.Events |= EPOLLERR | EPOLLHUP
		ep.modify(epi, ev)
		return 0, nil
	}
	return 0, errno.EINVAL
}

// epollWait is epoll_wait(epfd, events, maxevents, timeout) and, with
// pwait, epoll_pwait(…, sigmask, sigsetsize): the mask is in force while
// the call waits and is restored on return unless it ends with EINTR (then
// the handler's sigreturn restores it). A signal ends the wait with EINTR,
// never a restart, as on Linux.
func (k *Kernel) epollWait(t *Task, a *sysArgs, pwait bool) (uint64, error) {
	return k.epollWaitUntil(t, a, pwait, func() (int64, error) {
		if ms := int64(int32(a[3])); ms >= 0 {
			return k.Clock() + ms*1_000_000, nil
		}
		return -1, nil
	})
}

// epollPwait2 is epoll_pwait2(epfd, events, maxevents, timeout, sigmask,
// sigsetsize): the timeout is a timespec (NULL: none), checked first:
// EFAULT for a bad pointer, EINVAL for a negative or malformed one.
func (k *Kernel) epollPwait2(t *Task, a *sysArgs) (uint64, error) {
	return k.epollWaitUntil(t, a, true, func() (int64, error) {
		if a[3] == 0 {
			return -1, nil
		}
		b, err := t.copyIn(a[3], 16)
		if err != nil {
			return 0, err
		}
		sec, nsec := int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
		if sec < 0 || nsec < 0 || nsec >= 1e9 {
			return 0, errno.EINVAL
		}
		if sec > (1<<62)/1_000_000_000 {
			return -1, nil // beyond any uptime: no timeout
		}
		return k.Clock() + sec*1e9 + nsec, nil
	})
}

// epollWaitUntil is do_epoll_pwait with the deadline (-1: none) that
// deadline computes on the first run.
func (k *Kernel) epollWaitUntil(t *Task, a *sysArgs, pwait bool, deadline func() (int64, error)) (uint64, error) {
	if !t.restart.armed {
		d, err := deadline()
		if err != nil {
			return 0, err
		}
		if pwait && a[4] != 0 {
			if a[5] != 8 {
				return 0, errno.EINVAL
			}
			v, err := t.getUint64(a[4])
			if err != nil {
				return 0, err
			}
			t.savedSigmask, t.restoreSigmask = t.Blocked, true
			t.Blocked = SigSet(v) &^ unblockable
		}
		t.restart.deadline = d
		t.restart.armed = true
	}
	n, err := k.doEpollWait(t, int(int32(a[0])), a[1], int(int32(a[2])), t.restart.deadline)
	if err == errBlock {
		return n, err
	}
	t.restart.armed = false
	if pwait && a[4] != 0 && err != errno.EINTR && t.restoreSigmask {
		t.Blocked, t.restoreSigmask = t.savedSigmask, false
	}
	return n, err
}

// doEpollWait is do_epoll_wait + ep_poll. It runs again after every
// wake-up of a sleep (the task sleeps on the instance's queue and, with a
// timeout, on the timer queue).
func (k *Kernel) doEpollWait(t *Task, epfd int, va uint64, max int, deadline int64) (uint64, error) {
	if max <= 0 || max > epMaxEvents {
		return 0, errno.EINVAL
	}
	if va >= mm.TaskSize || uint64(max)*epollEventSize > mm.TaskSize-va { // access_ok
		return 0, errno.EFAULT
	}
	of, err := t.Files.Get(epfd)
	if err != nil {
		return 0, err
	}
	defer of.put()
	ep, ok := of.File.(*eventPoll)
	if !ok {
		return 0, errno.EINVAL
	}
	if t.pending {
		ep.wq.Remove(&t.waiter) // a timer or signal woke us: still queued
	}
	for {
		if ep.hasReady() {
			n, err := ep.sendEvents(t, va, max)
			if n > 0 || err != nil {
				return uint64(n), err
			}
		}
		if deadline >= 0 && k.Clock() >= deadline {
			return 0, nil
		}
		if k.signalPending(t) {
			return 0, errno.EINTR
		}
		k.prepareToWait(t, &ep.wq)
		if ep.hasReady() {
			k.finishWait(t, &ep.wq)
			continue
		}
		if deadline >= 0 {
			k.timers.add(deadline, t)
		}
		return 0, errBlock
	}
}
