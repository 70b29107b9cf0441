package sysv

import (
	"errors"
	"math"

	"tamix/errno"
)

// Message queue limits, flags and commands (include/uapi/linux/msg.h).
const (
	MSGMNI  = 32000
	MSGMAX  = 8192  // largest message
	MSGMNB  = 16384 // default queue size in bytes
	MSGPOOL = MSGMNI * MSGMNB / 1024
	MSGTQL  = MSGMNB
	MSGMAP  = MSGMNB
	MSGSSZ  = 16
	MSGSEG  = 0xffff

	MSG_NOERROR = 0o10000
	MSG_EXCEPT  = 0o20000
	MSG_COPY    = 0o40000

	MSG_STAT     = 11
	MSG_INFO     = 12
	MSG_STAT_ANY = 13
)

// Search modes of msgrcv (convert_mode).
const (
	searchAny = iota + 1
	searchEqual
	searchNotEqual
	searchLessEqual
	searchNumber
)

// Msg is one message (msg_msg).
type Msg struct {
	Type int64
	Text []byte
}

// MsgQueue is a message queue (msg_queue): the messages in order, the
// receivers sleeping for a message and the senders sleeping for room.
type MsgQueue struct {
	Perm
	stime, rtime, ctime int64
	cbytes, qnum        uint64
	qbytes              uint64
	lspid, lrpid        int
	messages            []*Msg
	receivers           []*MsgReceiver
	senders             []*MsgSender
}

func (q *MsgQueue) perm() *Perm { return &q.Perm }

// errMsgPending is a sleeping receiver's r_msg until a sender hands it a
// message (or an error).
var errMsgPending = errors.New("msgrcv pending")

// MsgReceiver is a sleeping msgrcv (msg_receiver). A sender that has a
// matching message gives it straight to the receiver (pipelined_send).
type MsgReceiver struct {
	q       *MsgQueue
	msgtype int64
	mode    int
	maxsize uint64
	pid     int
	msg     *Msg
	status  error // errMsgPending, nil with msg, or E2BIG / EIDRM / EAGAIN
	wake    func() bool
	queued  bool
}

// MsgSender is a sleeping msgsnd (msg_sender): it waits for room.
type MsgSender struct {
	q      *MsgQueue
	msgsz  uint64
	wake   func() bool
	queued bool
	// Msg is the message, copied in before the first sleep, so a re-run
	// does not read user memory again.
	Msg *Msg
}

// Msgget is ksys_msgget.
func (ns *Namespace) Msgget(key int32, flg int, c Caller) (int, error) {
	ns.msg.mu.Lock()
	defer ns.msg.mu.Unlock()
	return ns.msg.ipcget(key, flg, c, func() (int, error) {
		q := &MsgQueue{qbytes: uint64(ns.MsgCtlMNB), ctime: ns.now()}
		q.Key = key
		q.Mode = uint32(flg) & sIRWXUGO
		if err := ns.msg.addID(q, ns.MsgCtlMNI, c); err != nil {
			return 0, err
		}
		return q.ID, nil
	}, nil)
}

// msgFitsInqueue is msg_fits_inqueue: the bytes and the number of
// messages are both bounded by msg_qbytes.
func (q *MsgQueue) msgFitsInqueue(msgsz uint64) bool {
	return msgsz+q.cbytes <= q.qbytes && 1+q.qnum <= q.qbytes
}

// MsgsndCheck is do_msgsnd's first checks, before the message is copied
// in: EINVAL for a size over msgmax, a negative id or a type below 1.
func (ns *Namespace) MsgsndCheck(id int, mtype int64, msgsz uint64) error {
	if msgsz > uint64(ns.MsgCtlMax) || int64(msgsz) < 0 || id < 0 || mtype < 1 {
		return errno.EINVAL
	}
	return nil
}

// Msgsnd is do_msgsnd's loop, for a message already copied in: it queues
// m (or hands it to a waiting receiver) and returns (nil, nil); fails; or,
// when the queue is full, queues a sender and returns it: the caller
// sleeps and calls Msgsnd again with it (s.Msg is the message), as
// Linux's loop runs again after schedule(). A signal between makes the
// call fail with ERESTARTNOHAND (signalled).
func (ns *Namespace) Msgsnd(id int, m *Msg, flg int, c Caller, s *MsgSender, signalled bool, wake func() bool) (*MsgSender, error) {
	ns.msg.mu.Lock()
	defer ns.msg.mu.Unlock()
	if s != nil {
		// Back from the sleep.
		q := s.q
		if q.deleted {
			return nil, errno.EIDRM
		}
		q.ssDel(s)
		if signalled {
			return nil, errno.ERESTARTNOHAND
		}
		m = s.Msg
	}
	q, err := ns.msg.obtainCheck(id)
	if err != nil {
		return nil, err
	}
	msgsz := uint64(len(m.Text))
	if !ipcperms(&q.Perm, c, 0o222) {
		return nil, errno.EACCES
	}
	if !q.msgFitsInqueue(msgsz) {
		if flg&IPC_NOWAIT != 0 {
			return nil, errno.EAGAIN
		}
		if s == nil {
			s = &MsgSender{}
		}
		*s = MsgSender{q: q, msgsz: msgsz, wake: wake, Msg: m, queued: true}
		q.senders = append(q.senders, s) // ss_add
		return s, nil
	}
	q.lspid = c.PID
	q.stime = ns.now()
	if !ns.pipelinedSend(q, m) {
		q.messages = append(q.messages, m)
		q.cbytes += msgsz
		q.qnum++
		ns.msgBytes += int(msgsz)
		ns.msgHdrs++
	}
	return nil, nil
}

// ssDel takes a sender off the queue's list.
func (q *MsgQueue) ssDel(s *MsgSender) {
	if !s.queued {
		return
	}
	for i, x := range q.senders {
		if x == s {
			q.senders = append(q.senders[:i], q.senders[i+1:]...)
			break
		}
	}
	s.queued = false
}

// ssWakeup is ss_wakeup: wake the senders whose message now fits, moving
// the others to the tail in their order; with kill (the queue is going)
// wake them all.
func (q *MsgQueue) ssWakeup(kill bool) {
	if kill {
		for _, s := range q.senders {
			s.queued = false
			s.wake()
		}
		q.senders = nil
		return
	}
	var wake, stay []*MsgSender
	for _, s := range q.senders {
		if q.msgFitsInqueue(s.msgsz) {
			wake = append(wake, s)
		} else {
			stay = append(stay, s)
		}
	}
	// Woken senders stay listed until they run (ss_del); the others
	// go behind them.
	q.senders = append(wake, stay...)
	for _, s := range wake {
		s.wake()
	}
}

// testmsg is testmsg: does m match a receiver's type and mode?
func testmsg(m *Msg, msgtype int64, mode int) bool {
	switch mode {
	case searchAny, searchNumber:
		return true
	case searchLessEqual:
		return m.Type <= msgtype
	case searchEqual:
		return m.Type == msgtype
	case searchNotEqual:
		return m.Type != msgtype
	}
	return false
}

// pipelinedSend is pipelined_send: the first sleeping receiver that wants
// m gets it directly; receivers whose buffer is too small (without
// MSG_NOERROR) are woken with E2BIG on the way.
func (ns *Namespace) pipelinedSend(q *MsgQueue, m *Msg) bool {
	for i := 0; i < len(q.receivers); {
		r := q.receivers[i]
		if !testmsg(m, r.msgtype, r.mode) {
			i++
			continue
		}
		q.receivers = append(q.receivers[:i], q.receivers[i+1:]...)
		r.queued = false
		if r.maxsize < uint64(len(m.Text)) {
			r.status = errno.E2BIG
			r.wake()
			continue
		}
		q.lrpid = r.pid
		q.rtime = ns.now()
		r.msg, r.status = m, nil
		r.wake()
		return true
	}
	return false
}

// convertMode is convert_mode: the search mode for msgtyp and flags, and
// the type to compare with (|msgtyp| for a negative one).
func convertMode(msgtyp int64, flg int) (int64, int) {
	switch {
	case flg&MSG_COPY != 0:
		return msgtyp, searchNumber
	case msgtyp == 0:
		return msgtyp, searchAny
	case msgtyp < 0:
		if msgtyp == math.MinInt64 {
			return math.MaxInt64, searchLessEqual
		}
		return -msgtyp, searchLessEqual
	case flg&MSG_EXCEPT != 0:
		return msgtyp, searchNotEqual
	}
	return msgtyp, searchEqual
}

// findMsg is find_msg: the first matching message; for "less or equal"
// the one of lowest type (the first of them); for MSG_COPY the msgtyp'th.
func (q *MsgQueue) findMsg(msgtyp int64, mode int) int {
	found := -1
	count := int64(0)
	for i, m := range q.messages {
		if !testmsg(m, msgtyp, mode) {
			continue
		}
		switch {
		case mode == searchLessEqual && m.Type != 1:
			msgtyp = m.Type - 1
			found = i
		case mode == searchNumber:
			if msgtyp == count {
				return i
			}
		default:
			return i
		}
		count++
	}
	return found
}

// MsgrcvCheck is do_msgrcv's first checks: EINVAL for a negative id or
// size, and for MSG_COPY with MSG_EXCEPT or without IPC_NOWAIT.
func MsgrcvCheck(id int, bufsz uint64, flg int) error {
	if id < 0 || int64(bufsz) < 0 {
		return errno.EINVAL
	}
	if flg&MSG_COPY != 0 && (flg&MSG_EXCEPT != 0 || flg&IPC_NOWAIT == 0) {
		return errno.EINVAL
	}
	return nil
}

// Msgrcv is do_msgrcv's loop: it returns a message taken from queue id
// (a copy of it with MSG_COPY), an error (E2BIG when the message is larger
// than bufsz without MSG_NOERROR, ENOMSG with IPC_NOWAIT, EIDRM), or a
// receiver queued for the caller to sleep on. After the sleep the caller
// calls it again with that receiver: a sender may have handed it a
// message or an error; otherwise a signal ends the call with
// ERESTARTNOHAND, and a spurious wake-up searches again.
func (ns *Namespace) Msgrcv(id int, bufsz uint64, msgtyp int64, flg int, c Caller, r *MsgReceiver, signalled bool, wake func() bool) (*Msg, *MsgReceiver, error) {
	msgtyp, mode := convertMode(msgtyp, flg)
	ns.msg.mu.Lock()
	defer ns.msg.mu.Unlock()
	if r != nil {
		if r.status != errMsgPending {
			return r.msg, nil, r.status
		}
		q := r.q
		for i, x := range q.receivers {
			if x == r {
				q.receivers = append(q.receivers[:i], q.receivers[i+1:]...)
				break
			}
		}
		r.queued = false
		if signalled {
			return nil, nil, errno.ERESTARTNOHAND
		}
		msgtyp = r.msgtype // find_msg may have lowered it for "less or equal"
	}
	q, err := ns.msg.obtainCheck(id)
	if err != nil {
		return nil, nil, err
	}
	if !ipcperms(&q.Perm, c, 0o444) {
		return nil, nil, errno.EACCES
	}
	if i := q.findMsg(msgtyp, mode); i >= 0 {
		m := q.messages[i]
		if bufsz < uint64(len(m.Text)) && flg&MSG_NOERROR == 0 {
			return nil, nil, errno.E2BIG
		}
		if flg&MSG_COPY != 0 {
			return &Msg{Type: m.Type, Text: append([]byte(nil), m.Text...)}, nil, nil
		}
		q.messages = append(q.messages[:i], q.messages[i+1:]...)
		q.qnum--
		q.rtime = ns.now()
		q.lrpid = c.PID
		q.cbytes -= uint64(len(m.Text))
		ns.msgBytes -= len(m.Text)
		ns.msgHdrs--
		q.ssWakeup(false)
		return m, nil, nil
	}
	if flg&IPC_NOWAIT != 0 {
		return nil, nil, errno.ENOMSG
	}
	if r == nil {
		r = &MsgReceiver{}
	}
	// A sender that hands over a message records the receiving thread
	// (pipelined_send's task_pid), not its process.
	*r = MsgReceiver{q: q, msgtype: msgtyp, mode: mode, maxsize: bufsz, pid: c.TID,
		status: errMsgPending, wake: wake, queued: true}
	if flg&MSG_NOERROR != 0 {
		r.maxsize = math.MaxInt32
	}
	q.receivers = append(q.receivers, r)
	return nil, r, nil
}

// MsgCancel takes a sleeping sender or receiver off its queue (its task
// exits without running the call again).
func (ns *Namespace) MsgCancel(s *MsgSender, r *MsgReceiver) {
	ns.msg.mu.Lock()
	defer ns.msg.mu.Unlock()
	if s != nil {
		s.q.ssDel(s)
	}
	if r != nil && r.queued {
		for i, x := range r.q.receivers {
			if x == r {
				r.q.receivers = append(r.q.receivers[:i], r.q.receivers[i+1:]...)
				break
			}
		}
		r.queued = false
	}
}

// expungeAll is expunge_all: every sleeping receiver is woken, with err
// (EIDRM when the queue goes) or, for EAGAIN (after IPC_SET), to search
// again.
func (q *MsgQueue) expungeAll(err error) {
	for _, r := range q.receivers {
		r.queued = false
		if err != errno.EAGAIN {
			r.status = err
		}
		r.wake()
	}
	q.receivers = nil
}

// MsqidDS is struct msqid64_ds.
type MsqidDS struct {
	Perm                 Perm64
	Stime, Rtime, Ctime  int64
	Cbytes, Qnum, Qbytes uint64
	Lspid, Lrpid         int32
}

// MsgInfo is struct msginfo (IPC_INFO, MSG_INFO).
type MsgInfo struct {
	Msgpool, Msgmap, Msgmax, Msgmnb, Msgmni, Msgssz, Msgtql int32
	Msgseg                                                  uint16
}

// MsgCtlInfo is msgctl_info: the limits; for MSG_INFO msgpool, msgmap and
// msgtql hold the queues, messages and bytes in use. And the highest index.
func (ns *Namespace) MsgCtlInfo(cmd int) (MsgInfo, int) {
	ns.msg.mu.Lock()
	defer ns.msg.mu.Unlock()
	mi := MsgInfo{Msgmni: int32(ns.MsgCtlMNI), Msgmax: int32(ns.MsgCtlMax), Msgmnb: int32(ns.MsgCtlMNB),
		Msgssz: MSGSSZ, Msgseg: MSGSEG, Msgpool: MSGPOOL, Msgmap: MSGMAP, Msgtql: MSGTQL}
	if cmd == MSG_INFO {
		mi.Msgpool = int32(ns.msg.inUse)
		mi.Msgmap = int32(ns.msgHdrs)
		mi.Msgtql = int32(ns.msgBytes)
	}
	return mi, ns.msg.maxIdxForInfo()
}

func (q *MsgQueue) stat() MsqidDS {
	return MsqidDS{Perm: q.to64(), Stime: q.stime, Rtime: q.rtime, Ctime: q.ctime, Cbytes: q.cbytes,
		Qnum: q.qnum, Qbytes: q.qbytes, Lspid: int32(q.lspid), Lrpid: int32(q.lrpid)}
}

// MsgCtlStat is msgctl_stat (IPC_STAT by id → 0; MSG_STAT, MSG_STAT_ANY by
// index → the id).
func (ns *Namespace) MsgCtlStat(id, cmd int, c Caller) (MsqidDS, int, error) {
	ns.msg.mu.Lock()
	defer ns.msg.mu.Unlock()
	var q *MsgQueue
	var err error
	if cmd == IPC_STAT {
		q, err = ns.msg.obtainCheck(id)
	} else {
		q, err = ns.msg.obtainIdx(id)
	}
	if err != nil {
		return MsqidDS{}, 0, err
	}
	if cmd != MSG_STAT_ANY && !ipcperms(&q.Perm, c, 0o444) {
		return MsqidDS{}, 0, errno.EACCES
	}
	ret := 0
	if cmd != IPC_STAT {
		ret = q.ID
	}
	return q.stat(), ret, nil
}

// MsgCtlDown is msgctl_down: IPC_RMID (freeque: receivers and senders
// fail with EIDRM, the messages go) or IPC_SET (owner, mode and
// msg_qbytes; then senders that now fit are woken and receivers search
// again). msg_qbytes above msgmnb needs CAP_SYS_RESOURCE (root has it).
func (ns *Namespace) MsgCtlDown(id, cmd int, ds *MsqidDS, c Caller) error {
	ns.msg.mu.Lock()
	defer ns.msg.mu.Unlock()
	q, err := ns.msg.obtainCheck(id)
	if err != nil {
		return err
	}
	if !ownerOrAdmin(&q.Perm, c) {
		return errno.EPERM
	}
	switch cmd {
	case IPC_RMID:
		q.expungeAll(errno.EIDRM)
		q.ssWakeup(true)
		ns.msg.rmID(q)
		for _, m := range q.messages {
			ns.msgBytes -= len(m.Text)
			ns.msgHdrs--
		}
		q.messages = nil
	case IPC_SET:
		if ds.Qbytes > uint64(ns.MsgCtlMNB) && !c.CapSysResource {
			return errno.EPERM
		}
		if err := q.setPerm(ds.Perm); err != nil {
			return err
		}
		q.qbytes = ds.Qbytes
		q.ctime = ns.now()
		q.ssWakeup(false)
		q.expungeAll(errno.EAGAIN)
	default:
		return errno.EINVAL
	}
	return nil
}

// MsgEntry is a line of /proc/sysvipc/msg.
type MsgEntry struct {
	ID int
	MsqidDS
}

// MsgQueues lists the queues in index order.
func (ns *Namespace) MsgQueues() []MsgEntry {
	ns.msg.mu.Lock()
	defer ns.msg.mu.Unlock()
	var out []MsgEntry
	for _, q := range ns.msg.all() {
		out = append(out, MsgEntry{q.ID, q.stat()})
	}
	return out
}
