// Package mqueue is POSIX message queues as Linux keeps them (ipc/mqueue.c):
// named queues of prioritised messages in a namespace of their own, opened
// as files. The operations here never block: a send to a full queue or a
// receive from an empty one says EAGAIN, and the caller (proc) sleeps on
// the queue's sender or receiver list and tries again when woken, so a
// sleeping task never holds a goroutine (DESIGN decision 3).
package mqueue

import (
	"encoding/binary"
	"fmt"
	"sync"

	"tamix/errno"
	"tamix/fs"
)

// Limits (include/linux/ipc_namespace.h; /proc/sys/fs/mqueue defaults).
const (
	DFLT_QUEUESMAX  = 256
	DFLT_MSG        = 10
	DFLT_MSGMAX     = 10
	DFLT_MSGSIZE    = 8192
	DFLT_MSGSIZEMAX = 8192
	HARD_MSGMAX     = 65536
	HARD_MSGSIZEMAX = 16 * 1024 * 1024
	MQ_PRIO_MAX     = 32768
	NAME_MAX        = 255
	FILENT_SIZE     = 80 // i_size of a queue's inode
)

// Accounting sizes of a 64-bit Linux: struct msg_msg and struct
// posix_msg_tree_node, charged per possible message against
// RLIMIT_MSGQUEUE (mqueue_get_inode).
const (
	sizeofMsgMsg   = 48
	sizeofTreeNode = 48
)

// Attr is struct mq_attr (four longs and four reserved ones).
type Attr struct {
	Flags, MaxMsg, MsgSize, CurMsgs int64
}

// AttrSize is sizeof(struct mq_attr) on x86-64.
const AttrSize = 64

// DecodeAttr reads a struct mq_attr; short input is EFAULT (the copy
// from user space came up short).
func DecodeAttr(b []byte) (Attr, error) {
	if len(b) < AttrSize {
		return Attr{}, errno.EFAULT
	}
	le := binary.LittleEndian
	return Attr{
		Flags:   int64(le.Uint64(b[0:])),
		MaxMsg:  int64(le.Uint64(b[8:])),
		MsgSize: int64(le.Uint64(b[16:])),
		CurMsgs: int64(le.Uint64(b[24:])),
	}, nil
}

// Encode lays a out as struct mq_attr, reserved words zero.
func (a Attr) Encode() []byte {
	b := make([]byte, AttrSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], uint64(a.Flags))
	le.PutUint64(b[8:], uint64(a.MaxMsg))
	le.PutUint64(b[16:], uint64(a.MsgSize))
	le.PutUint64(b[24:], uint64(a.CurMsgs))
	return b
}

// sigevent's sigev_notify values.
const (
	SIGEV_SIGNAL = 0
	SIGEV_NONE   = 1
	SIGEV_THREAD = 2
)

// SigeventSize is sizeof(struct sigevent).
const SigeventSize = 64

// Sigevent is the part of struct sigevent mq_notify reads.
type Sigevent struct {
	Value  uint64 // sigev_value
	Signo  int32
	Notify int32
}

// DecodeSigevent reads a struct sigevent: sigev_value at 0, sigev_signo
// at 8, sigev_notify at 12.
func DecodeSigevent(b []byte) (Sigevent, error) {
	if len(b) < SigeventSize {
		return Sigevent{}, errno.EFAULT
	}
	le := binary.LittleEndian
	return Sigevent{
		Value:  le.Uint64(b[0:]),
		Signo:  int32(le.Uint32(b[8:])),
		Notify: int32(le.Uint32(b[12:])),
	}, nil
}

// Cred is what the queue needs of the caller's credentials.
type Cred interface {
	FSIDs() (uid, gid uint32)
	InGroup(gid uint32) bool
	Capable(cap int) bool
}

// Capabilities consulted (include/uapi/linux/capability.h).
const (
	CAP_DAC_OVERRIDE    = 1
	CAP_DAC_READ_SEARCH = 2
	CAP_FOWNER          = 3
	CAP_SYS_RESOURCE    = 24
)

// Permission masks (MAY_*).
const (
	MAY_WRITE = 2
	MAY_READ  = 4
)

// Notification is a registration made by mq_notify (info->notify and
// notify_owner): Owner identifies the registering process, PID is its
// TGID for the queue file's NOTIFY_PID, Fire sends the signal.
type Notification struct {
	Notify int32 // SIGEV_SIGNAL or SIGEV_NONE
	Signo  int32
	Owner  any
	PID    int
	// Fire delivers a SIGEV_SIGNAL notification on behalf of the sender
	// (si_pid, si_uid); called under the queue's lock, it must not block.
	Fire func(senderPID int, senderUID uint32)
}

type message struct {
	prio uint32
	data []byte
}

// Queue is one message queue (mqueue_inode_info).
type Queue struct {
	mu       sync.Mutex
	Ino      uint64
	UID, GID uint32
	Mode     uint32 // permission bits
	Nlink    uint32 // 1 while named, 0 once unlinked
	attr     Attr
	// levels holds the messages by priority, highest last; each level is
	// FIFO. Linux keeps an rbtree of levels; a sorted slice reads the same.
	levels []level
	qsize  int64 // bytes of message text queued
	notify *Notification
	// Sleepers: tasks waiting for room (senders) and for a message
	// (receivers), woken one at a time in arrival order; poll and epoll
	// wait on pollWait (info->wait_q).
	senders, receivers []*fs.Waiter
	pollWait           fs.WaitQueue
	// charge is what the queue costs its creator's RLIMIT_MSGQUEUE.
	charge int64
	user   uint32
	ns     *Namespace
	opens  int // open files; the queue goes when unnamed and unopened
}

type level struct {
	prio uint32
	msgs [][]byte
}

// Namespace is the set of named queues of an IPC namespace (the mqueue
// mount's root directory) with the /proc/sys/fs/mqueue limits.
type Namespace struct {
	mu          sync.Mutex
	queues      map[string]*Queue
	nextIno     uint64
	QueuesMax   int
	MsgMax      int64
	MsgSizeMax  int64
	MsgDefault  int64
	SizeDefault int64
	count       int              // queues that exist (named or still open)
	userBytes   map[uint32]int64 // user_struct.mq_bytes, by real UID
}

// NewNamespace returns an empty namespace with Linux's default limits.
func NewNamespace() *Namespace {
	return &Namespace{
		queues: map[string]*Queue{}, userBytes: map[uint32]int64{}, nextIno: 1,
		QueuesMax: DFLT_QUEUESMAX, MsgMax: DFLT_MSGMAX, MsgSizeMax: DFLT_MSGSIZEMAX,
		MsgDefault: DFLT_MSG, SizeDefault: DFLT_MSGSIZE,
	}
}

// checkName is lookup_one_len's and simple_lookup's test of a name
// within the queue directory: no '/', not "." or "..", at most NAME_MAX.
// The empty name never gets here (getname says ENOENT).
func checkName(name string) error {
	if name == "." || name == ".." {
		return errno.EACCES
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			return errno.EACCES
		}
	}
	if len(name) > NAME_MAX {
		return errno.ENAMETOOLONG
	}
	return nil
}

// OpenRequest is what mq_open asks for.
type OpenRequest struct {
	Name   string
	Flags  int    // O_ACCMODE, O_CREAT, O_EXCL
	Mode   uint32 // creation mode, the umask already taken out
	Attr   *Attr  // nil: the defaults
	Cred   Cred
	RUID   uint32 // the real UID, whose user_struct pays for the queue
	Rlimit int64  // RLIMIT_MSGQUEUE's soft limit
}

// Open is do_mq_open after the name is copied in: it finds or creates
// the queue and checks access (prepare_open). The caller wraps the
// queue in a File.
func (ns *Namespace) Open(r OpenRequest) (*Queue, error) {
	if err := checkName(r.Name); err != nil {
		return nil, err
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	q := ns.queues[r.Name]
	if q == nil {
		if r.Flags&fs.O_CREAT == 0 {
			return nil, errno.ENOENT
		}
		q, err := ns.create(r)
		if err != nil {
			return nil, err
		}
		ns.queues[r.Name] = q
		q.opens++
		return q, nil
	}
	if r.Flags&(fs.O_CREAT|fs.O_EXCL) == fs.O_CREAT|fs.O_EXCL {
		return nil, errno.EEXIST
	}
	acc := r.Flags & fs.O_ACCMODE
	if acc == fs.O_ACCMODE {
		return nil, errno.EINVAL
	}
	mask := [...]uint32{MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE}[acc]
	if err := q.permission(r.Cred, mask); err != nil {
		return nil, err
	}
	q.mu.Lock()
	q.opens++
	q.mu.Unlock()
	return q, nil
}

// create is mqueue_create_attr + mqueue_get_inode: the queue count, the
// attribute limits, and the memory charged to the creator's user.
func (ns *Namespace) create(r OpenRequest) (*Queue, error) {
	privileged := r.Cred.Capable(CAP_SYS_RESOURCE)
	if ns.count >= ns.QueuesMax && !privileged {
		return nil, errno.ENOSPC
	}
	attr := Attr{MaxMsg: min(ns.MsgMax, ns.MsgDefault), MsgSize: min(ns.MsgSizeMax, ns.SizeDefault)}
	if r.Attr != nil {
		attr.MaxMsg, attr.MsgSize = r.Attr.MaxMsg, r.Attr.MsgSize
	}
	if err := ns.attrOK(attr, privileged); err != nil {
		return nil, err
	}
	charge := attr.MaxMsg*(attr.MsgSize+sizeofMsgMsg) + min(attr.MaxMsg, MQ_PRIO_MAX)*sizeofTreeNode
	if ns.userBytes[r.RUID]+charge > r.Rlimit {
		return nil, errno.EMFILE
	}
	ns.userBytes[r.RUID] += charge
	ns.count++
	uid, gid := r.Cred.FSIDs()
	q := &Queue{
		Ino: ns.nextIno, UID: uid, GID: gid, Mode: r.Mode & 0o7777, Nlink: 1,
		attr: attr, charge: charge, user: r.RUID, ns: ns,
	}
	ns.nextIno++
	return q, nil
}

// attrOK is mqueue_get_inode's check of the attributes: both positive,
// within the sysctl maxima (the hard ones with CAP_SYS_RESOURCE), and a
// size that does not overflow (EOVERFLOW).
func (ns *Namespace) attrOK(a Attr, privileged bool) error {
	if a.MaxMsg <= 0 || a.MsgSize <= 0 {
		return errno.EINVAL
	}
	if privileged {
		if a.MaxMsg > HARD_MSGMAX || a.MsgSize > HARD_MSGSIZEMAX {
			return errno.EINVAL
		}
	} else if a.MaxMsg > ns.MsgMax || a.MsgSize > ns.MsgSizeMax {
		return errno.EINVAL
	}
	return nil // within the hard limits the sizes cannot overflow
}

// Unlink is mq_unlink after the name is copied in. The queue directory
// is sticky (01777, owned by root): only the queue's owner, or a caller
// with CAP_FOWNER, removes it (EPERM otherwise, which musl reports as
// EACCES).
func (ns *Namespace) Unlink(name string, cred Cred) error {
	if err := checkName(name); err != nil {
		return err
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	q := ns.queues[name]
	if q == nil {
		return errno.ENOENT
	}
	if uid, _ := cred.FSIDs(); uid != q.UID && uid != 0 && !cred.Capable(CAP_FOWNER) {
		return errno.EPERM
	}
	delete(ns.queues, name)
	q.mu.Lock()
	q.Nlink = 0
	gone := q.opens == 0
	q.mu.Unlock()
	if gone {
		ns.evict(q)
	}
	return nil
}

// evict is mqueue_evict_inode: the user gets the queue's memory back.
// Called with ns.mu held.
func (ns *Namespace) evict(q *Queue) {
	ns.userBytes[q.user] -= q.charge
	ns.count--
}

// Names lists the named queues (the mqueue directory).
func (ns *Namespace) Names() []string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	names := make([]string, 0, len(ns.queues))
	for n := range ns.queues {
		names = append(names, n)
	}
	return names
}

// permission is generic_permission on a regular file.
func (q *Queue) permission(cred Cred, mask uint32) error {
	uid, _ := cred.FSIDs()
	mode := q.Mode
	switch {
	case uid == q.UID:
		mode >>= 6
	case cred.InGroup(q.GID):
		mode >>= 3
	}
	if mask&^mode&7 == 0 {
		return nil
	}
	if mask == MAY_READ && cred.Capable(CAP_DAC_READ_SEARCH) {
		return nil
	}
	if cred.Capable(CAP_DAC_OVERRIDE) {
		return nil
	}
	return errno.EACCES
}

// Attr returns the queue's attributes (mq_flags is the open file's).
func (q *Queue) Attr() Attr {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.attr
}

// Send is do_mq_timedsend's work under the lock: EAGAIN when full. With a
// receiver asleep the message wakes it (Linux hands it over directly,
// pipelined_send); otherwise a registered notification fires when the
// queue was empty (__do_notify). senderPID and senderUID fill the
// notification's siginfo.
func (q *Queue) Send(data []byte, prio uint32, senderPID int, senderUID uint32) error {
	if prio >= MQ_PRIO_MAX {
		return errno.EINVAL
	}
	if int64(len(data)) > q.attr.MsgSize {
		return errno.EMSGSIZE
	}
	q.mu.Lock()
	if q.attr.CurMsgs == q.attr.MaxMsg {
		q.mu.Unlock()
		return errno.EAGAIN
	}
	q.insert(prio, data)
	if len(q.receivers) > 0 {
		wakeFirst(&q.receivers)
	} else if n := q.notify; n != nil && q.attr.CurMsgs == 1 {
		if n.Notify == SIGEV_SIGNAL {
			n.Fire(senderPID, senderUID)
		}
		q.notify = nil // a notification fires once
	}
	q.mu.Unlock()
	q.pollWait.WakeKey(fs.POLLIN | fs.POLLRDNORM)
	return nil
}

// insert is msg_insert: at the tail of its priority's level.
func (q *Queue) insert(prio uint32, data []byte) {
	i := 0
	for i < len(q.levels) && q.levels[i].prio < prio {
		i++
	}
	if i == len(q.levels) || q.levels[i].prio != prio {
		q.levels = append(q.levels, level{})
		copy(q.levels[i+1:], q.levels[i:])
		q.levels[i] = level{prio: prio}
	}
	q.levels[i].msgs = append(q.levels[i].msgs, data)
	q.attr.CurMsgs++
	q.qsize += int64(len(data))
}

// Receive is do_mq_timedreceive's work under the lock: the oldest message
// of the highest priority (msg_get), EMSGSIZE when bufLen is under
// mq_msgsize, EAGAIN when empty. A sender asleep on a full queue is woken.
func (q *Queue) Receive(bufLen int64) ([]byte, uint32, error) {
	if bufLen < q.attr.MsgSize {
		return nil, 0, errno.EMSGSIZE
	}
	q.mu.Lock()
	if q.attr.CurMsgs == 0 {
		q.mu.Unlock()
		return nil, 0, errno.EAGAIN
	}
	top := &q.levels[len(q.levels)-1]
	data, prio := top.msgs[0], top.prio
	top.msgs[0] = nil
	top.msgs = top.msgs[1:]
	if len(top.msgs) == 0 {
		q.levels = q.levels[:len(q.levels)-1]
	}
	q.attr.CurMsgs--
	q.qsize -= int64(len(data))
	wakeFirst(&q.senders)
	q.mu.Unlock()
	q.pollWait.WakeKey(fs.POLLOUT | fs.POLLWRNORM)
	return data, prio, nil
}

// wakeFirst takes the first sleeper off list and wakes it.
func wakeFirst(list *[]*fs.Waiter) {
	for len(*list) > 0 {
		w := (*list)[0]
		*list = (*list)[1:]
		if w.Wake() {
			return
		}
	}
}

// Sleep queues w as a sender (send) or a receiver, to be woken when its
// call may succeed (wq_add). It reports false, queueing nothing, when the
// call would succeed now: the caller then tries again instead of sleeping.
func (q *Queue) Sleep(w *fs.Waiter, send bool) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if send && q.attr.CurMsgs < q.attr.MaxMsg || !send && q.attr.CurMsgs > 0 {
		return false
	}
	list := &q.receivers
	if send {
		list = &q.senders
	}
	*list = append(*list, w)
	return true
}

// Unsleep takes w off the sleeper lists (wq_sleep's list_del). A sleeper
// that was woken but leaves without taking its turn (a signal, a
// timeout) passes the wake-up on, so the message or the room it was
// woken for is not left with everyone else asleep.
func (q *Queue) Unsleep(w *fs.Waiter, send bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	list := &q.receivers
	if send {
		list = &q.senders
	}
	for i, x := range *list {
		if x == w {
			*list = append((*list)[:i], (*list)[i+1:]...)
			return
		}
	}
	if send && q.attr.CurMsgs < q.attr.MaxMsg || !send && q.attr.CurMsgs > 0 {
		wakeFirst(list)
	}
}

// Notify is do_mq_notify: n nil removes the caller's registration (others'
// are left alone, silently); otherwise EBUSY when one exists.
func (q *Queue) Notify(n *Notification, owner any) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if n == nil {
		if q.notify != nil && q.notify.Owner == owner {
			q.notify = nil
		}
		return nil
	}
	if q.notify != nil {
		return errno.EBUSY
	}
	q.notify = n
	return nil
}

// Flush is mqueue_flush_file: a close by the registered process removes
// its registration.
func (q *Queue) Flush(owner any) {
	q.mu.Lock()
	if q.notify != nil && q.notify.Owner == owner {
		q.notify = nil
	}
	q.mu.Unlock()
}

// Status is the line a read of the queue file gives (mqueue_read_file).
func (q *Queue) Status() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var notify, signo int32
	pid := 0
	if n := q.notify; n != nil {
		notify, pid = n.Notify, n.PID
		if n.Notify == SIGEV_SIGNAL {
			signo = n.Signo
		}
	}
	return fmt.Sprintf("QSIZE:%-10d NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n", q.qsize, notify, signo, pid)
}

// Poll is mqueue_poll_file.
func (q *Queue) Poll() uint32 {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ev uint32
	if q.attr.CurMsgs > 0 {
		ev |= fs.POLLIN | fs.POLLRDNORM
	}
	if q.attr.CurMsgs < q.attr.MaxMsg {
		ev |= fs.POLLOUT | fs.POLLWRNORM
	}
	return ev
}

// File is one open queue (a struct file on the mqueue filesystem): the
// queue and the read position in its status line.
type File struct {
	Q   *Queue
	mu  sync.Mutex
	pos int
}

// NewFile opens q; Open has already counted the open.
func NewFile(q *Queue) *File { return &File{Q: q} }

// Read is mqueue_read_file: the status line from the file position.
func (f *File) Read(p []byte) (int, error) {
	s := f.Q.Status()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pos >= len(s) {
		return 0, nil
	}
	n := copy(p, s[f.pos:])
	f.pos += n
	return n, nil
}

// Seek is default_llseek on a file of FILENT_SIZE bytes: SEEK_SET,
// SEEK_CUR and SEEK_END move the position (EINVAL below 0), SEEK_DATA and
// SEEK_HOLE see one block of data (ENXIO at or past the end).
func (f *File) Seek(off int64, whence int) (int64, error) {
	const size = FILENT_SIZE
	f.mu.Lock()
	defer f.mu.Unlock()
	switch whence {
	case 0: // SEEK_SET
	case 1: // SEEK_CUR
		off += int64(f.pos)
	case 2: // SEEK_END
		off += size
	case 3, 4: // SEEK_DATA, SEEK_HOLE
		if off < 0 || off >= size {
			return 0, errno.ENXIO
		}
		if whence == 4 {
			off = size
		}
	default:
		return 0, errno.EINVAL
	}
	if off < 0 {
		return 0, errno.EINVAL
	}
	f.pos = int(min(off, 1<<30))
	return off, nil
}

// Write: the queue file has no write operation.
func (f *File) Write(p []byte) (int, error) { return 0, errno.EINVAL }

// Poll reports POLLIN with a message queued, POLLOUT with room.
func (f *File) Poll() uint32 { return f.Q.Poll() }

// Wait is the queue poll and epoll sleep on.
func (f *File) Wait() *fs.WaitQueue { return &f.Q.pollWait }

// Release drops the open; an unlinked queue goes with its last one.
func (f *File) Release() {
	q := f.Q
	ns := q.ns
	ns.mu.Lock()
	q.mu.Lock()
	q.opens--
	gone := q.opens == 0 && q.Nlink == 0
	q.mu.Unlock()
	if gone {
		ns.evict(q)
	}
	ns.mu.Unlock()
}
