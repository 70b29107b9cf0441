package mqueue

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

// testCred is a caller: uid/gid, the capabilities it has.
type testCred struct {
	uid, gid uint32
	caps     map[int]bool
}

func (c testCred) FSIDs() (uint32, uint32) { return c.uid, c.gid }
func (c testCred) InGroup(gid uint32) bool { return gid == c.gid }
func (c testCred) Capable(cap int) bool    { return c.caps[cap] }
func root() testCred {
	return testCred{caps: map[int]bool{CAP_DAC_OVERRIDE: true, CAP_DAC_READ_SEARCH: true, CAP_FOWNER: true, CAP_SYS_RESOURCE: true}}
}
func user(uid uint32) testCred { return testCred{uid: uid, gid: uid} }
func req(name string, flags int, c Cred) OpenRequest {
	return OpenRequest{Name: name, Flags: flags, Mode: 0o600, Cred: c, Rlimit: 819200}
}

func TestOpen(t *testing.T) {
	big := &Attr{MaxMsg: 11, MsgSize: 16}
	tests := []struct {
		name string
		r    OpenRequest
		err  error
	}{
		{"create", req("a", fs.O_RDWR|fs.O_CREAT, root()), nil},
		{"missing", req("b", fs.O_RDWR, root()), errno.ENOENT},
		{"exclusive", req("q", fs.O_RDWR|fs.O_CREAT|fs.O_EXCL, root()), errno.EEXIST},
		{"existing with O_CREAT", req("q", fs.O_RDWR|fs.O_CREAT, root()), nil},
		{"slash", req("a/b", fs.O_RDWR|fs.O_CREAT, root()), errno.EACCES},
		{"dot", req(".", fs.O_RDWR|fs.O_CREAT, root()), errno.EACCES},
		{"dotdot", req("..", fs.O_RDWR|fs.O_CREAT, root()), errno.EACCES},
		{"256 bytes", req(string(make([]byte, 256)), fs.O_RDWR|fs.O_CREAT, root()), errno.ENAMETOOLONG},
		{"access mode 3", req("q", fs.O_ACCMODE, root()), errno.EINVAL},
		{"other user reads 0600", req("q", fs.O_RDONLY, user(5)), errno.EACCES},
		{"other user writes 0600", req("q", fs.O_WRONLY, user(5)), errno.EACCES},
		{"owner", req("q", fs.O_RDWR, user(7)), nil},
		{"maxmsg 11 unprivileged", OpenRequest{Name: "c", Flags: fs.O_CREAT, Cred: user(5), Attr: big, Rlimit: 819200}, errno.EINVAL},
		{"maxmsg 11 privileged", OpenRequest{Name: "c", Flags: fs.O_CREAT, Cred: root(), Attr: big, Rlimit: 819200}, nil},
		{"zero maxmsg", OpenRequest{Name: "c", Flags: fs.O_CREAT, Cred: root(), Attr: &Attr{MsgSize: 1}, Rlimit: 819200}, errno.EINVAL},
		{"negative msgsize", OpenRequest{Name: "c", Flags: fs.O_CREAT, Cred: root(), Attr: &Attr{MaxMsg: 1, MsgSize: -1}, Rlimit: 819200}, errno.EINVAL},
		{"over the hard limit", OpenRequest{Name: "c", Flags: fs.O_CREAT, Cred: root(), Attr: &Attr{MaxMsg: HARD_MSGMAX + 1, MsgSize: 1}, Rlimit: 819200}, errno.EINVAL},
		{"over RLIMIT_MSGQUEUE", OpenRequest{Name: "c", Flags: fs.O_CREAT, Cred: root(), Rlimit: 80000}, errno.EMFILE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := NewNamespace()
			_, err := ns.Open(OpenRequest{Name: "q", Flags: fs.O_CREAT, Mode: 0o600, Cred: user(7), Rlimit: 819200})
			require.NoError(t, err)
			_, err = ns.Open(tc.r)
			assert.Equal(t, tc.err, err)
		})
	}
}

func TestQueueLimit(t *testing.T) {
	ns := NewNamespace()
	ns.QueuesMax = 1
	_, err := ns.Open(req("a", fs.O_CREAT, user(1)))
	require.NoError(t, err)
	_, err = ns.Open(req("b", fs.O_CREAT, user(1)))
	assert.Equal(t, errno.ENOSPC, err)
	_, err = ns.Open(req("b", fs.O_CREAT, root()))
	assert.NoError(t, err, "CAP_SYS_RESOURCE passes queues_max")
}

func TestUnlinkAndCharge(t *testing.T) {
	ns := NewNamespace()
	q, err := ns.Open(req("a", fs.O_CREAT|fs.O_RDWR, user(3)))
	require.NoError(t, err)
	charge := ns.userBytes[0]
	assert.Equal(t, int64(10*(8192+48)+10*48), charge, "mqueue_get_inode's mq_bytes for 10 x 8192")
	assert.Equal(t, errno.EPERM, ns.Unlink("a", user(4)), "sticky directory")
	assert.Equal(t, errno.ENOENT, ns.Unlink("b", user(3)))
	f := NewFile(q)
	require.NoError(t, ns.Unlink("a", user(3)))
	assert.Equal(t, uint32(0), q.Nlink)
	assert.Equal(t, charge, ns.userBytes[0], "an open queue keeps its charge")
	require.NoError(t, q.Send([]byte("x"), 0, 1, 0))
	f.Release()
	assert.Equal(t, int64(0), ns.userBytes[0])
	assert.Equal(t, 0, ns.count)
}

func TestPriorityOrder(t *testing.T) {
	tests := []struct {
		name  string
		sends []uint32
		want  []uint32 // priorities in receive order; the payload is the send index
		order []int
	}{
		{"fifo", []uint32{0, 0, 0}, []uint32{0, 0, 0}, []int{0, 1, 2}},
		{"highest first", []uint32{1, 5, 3}, []uint32{5, 3, 1}, []int{1, 2, 0}},
		{"fifo within a level", []uint32{3, 1, 3, 9, 1}, []uint32{9, 3, 3, 1, 1}, []int{3, 0, 2, 1, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := NewNamespace()
			q, err := ns.Open(req("q", fs.O_CREAT, root()))
			require.NoError(t, err)
			for i, p := range tc.sends {
				require.NoError(t, q.Send([]byte{byte(i)}, p, 1, 0))
			}
			for i := range tc.want {
				d, p, err := q.Receive(8192)
				require.NoError(t, err)
				assert.Equal(t, tc.want[i], p)
				assert.Equal(t, byte(tc.order[i]), d[0])
			}
			_, _, err = q.Receive(8192)
			assert.Equal(t, errno.EAGAIN, err)
		})
	}
}

func TestSendReceiveErrors(t *testing.T) {
	ns := NewNamespace()
	q, err := ns.Open(OpenRequest{Name: "q", Flags: fs.O_CREAT, Cred: root(), Attr: &Attr{MaxMsg: 1, MsgSize: 4}, Rlimit: 819200})
	require.NoError(t, err)
	assert.Equal(t, errno.EINVAL, q.Send(nil, MQ_PRIO_MAX, 1, 0))
	assert.Equal(t, errno.EMSGSIZE, q.Send(make([]byte, 5), 0, 1, 0))
	_, _, err = q.Receive(3)
	assert.Equal(t, errno.EMSGSIZE, err)
	assert.Equal(t, uint32(fs.POLLOUT|fs.POLLWRNORM), q.Poll())
	require.NoError(t, q.Send([]byte("abcd"), 0, 1, 0))
	assert.Equal(t, errno.EAGAIN, q.Send(nil, 0, 1, 0))
	assert.Equal(t, uint32(fs.POLLIN|fs.POLLRDNORM), q.Poll())
}

func TestSleepersAndNotify(t *testing.T) {
	ns := NewNamespace()
	q, err := ns.Open(req("q", fs.O_CREAT, root()))
	require.NoError(t, err)
	woken := 0
	w := &fs.Waiter{Wake: func() bool { woken++; return true }}
	var fired []int
	n := &Notification{Notify: SIGEV_SIGNAL, Signo: 10, Owner: "p1", PID: 7, Fire: func(pid int, uid uint32) { fired = append(fired, pid) }}
	require.NoError(t, q.Notify(n, "p1"))
	assert.Equal(t, errno.EBUSY, q.Notify(&Notification{Owner: "p2"}, "p2"))
	assert.Equal(t, "QSIZE:0          NOTIFY:0     SIGNO:10    NOTIFY_PID:7     \n", q.Status())

	// A receiver asleep: the message wakes it, no notification.
	assert.True(t, q.Sleep(w, false))
	require.NoError(t, q.Send([]byte("ab"), 0, 42, 0))
	assert.Equal(t, 1, woken)
	assert.Empty(t, fired)
	assert.False(t, q.Sleep(w, false), "a message is there: no sleep")
	_, _, err = q.Receive(8192)
	require.NoError(t, err)

	// No receiver: the notification fires once, on the empty queue.
	require.NoError(t, q.Send([]byte("ab"), 0, 42, 0))
	require.NoError(t, q.Send([]byte("c"), 0, 43, 0))
	assert.Equal(t, []int{42}, fired)
	assert.Equal(t, "QSIZE:3          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n", q.Status())

	// Removal only by the owner; Flush by the owner.
	require.NoError(t, q.Notify(&Notification{Notify: SIGEV_NONE, Owner: "p1", PID: 7}, "p1"))
	require.NoError(t, q.Notify(nil, "p2"))
	assert.Contains(t, q.Status(), "NOTIFY:1 ")
	q.Flush("p2")
	assert.Contains(t, q.Status(), "NOTIFY:1 ")
	q.Flush("p1")
	assert.Contains(t, q.Status(), "NOTIFY:0 ")

	// A woken receiver that leaves passes the wake-up on.
	w2woken := 0
	w2 := &fs.Waiter{Wake: func() bool { w2woken++; return true }}
	for range 2 {
		_, _, err = q.Receive(8192)
		require.NoError(t, err)
	}
	assert.True(t, q.Sleep(w, false))
	assert.True(t, q.Sleep(w2, false))
	require.NoError(t, q.Send([]byte("x"), 0, 1, 0))
	assert.Equal(t, 0, w2woken)
	q.Unsleep(w, false) // w was woken, but leaves (a signal)
	assert.Equal(t, 1, w2woken)
}

func TestFileReadSeek(t *testing.T) {
	ns := NewNamespace()
	q, err := ns.Open(req("q", fs.O_CREAT, root()))
	require.NoError(t, err)
	f := NewFile(q)
	b := make([]byte, 10)
	n, _ := f.Read(b)
	assert.Equal(t, "QSIZE:0   ", string(b[:n]))
	off, err := f.Seek(0, 2)
	require.NoError(t, err)
	assert.Equal(t, int64(FILENT_SIZE), off)
	_, err = f.Seek(-100, 1)
	assert.Equal(t, errno.EINVAL, err)
	_, err = f.Seek(80, 3)
	assert.Equal(t, errno.ENXIO, err)
	off, _ = f.Seek(6, 0)
	n, _ = f.Read(b[:4])
	assert.Equal(t, "0   ", string(b[:n]))
	_, err = f.Write(b)
	assert.Equal(t, errno.EINVAL, err)
}

func TestDecode(t *testing.T) {
	a := Attr{Flags: fs.O_NONBLOCK, MaxMsg: 3, MsgSize: 100, CurMsgs: 2}
	got, err := DecodeAttr(a.Encode())
	require.NoError(t, err)
	assert.Equal(t, a, got)
	_, err = DecodeAttr(make([]byte, 63))
	assert.Equal(t, errno.EFAULT, err)

	b := make([]byte, SigeventSize)
	binary.LittleEndian.PutUint64(b, 42)
	binary.LittleEndian.PutUint32(b[8:], 10)
	binary.LittleEndian.PutUint32(b[12:], SIGEV_NONE)
	ev, err := DecodeSigevent(b)
	require.NoError(t, err)
	assert.Equal(t, Sigevent{Value: 42, Signo: 10, Notify: SIGEV_NONE}, ev)
}

// FuzzAttr: any mq_attr either creates a queue whose attributes are the
// ones asked for, within the limits, or is refused with EINVAL/EMFILE.
func FuzzAttr(f *testing.F) {
	f.Add(Attr{MaxMsg: 10, MsgSize: 8192}.Encode(), false)
	f.Add(Attr{MaxMsg: -1, MsgSize: 1 << 62}.Encode(), true)
	f.Fuzz(func(t *testing.T, b []byte, privileged bool) {
		a, err := DecodeAttr(b)
		if err != nil {
			assert.Less(t, len(b), AttrSize)
			return
		}
		c := user(1)
		if privileged {
			c = root()
		}
		ns := NewNamespace()
		q, err := ns.Open(OpenRequest{Name: "q", Flags: fs.O_CREAT, Cred: c, Attr: &a, Rlimit: 1 << 40})
		if err != nil {
			assert.Contains(t, []error{errno.EINVAL, errno.EMFILE}, err)
			return
		}
		got := q.Attr()
		assert.Equal(t, a.MaxMsg, got.MaxMsg)
		assert.Equal(t, a.MsgSize, got.MsgSize)
		assert.True(t, got.MaxMsg > 0 && got.MaxMsg <= HARD_MSGMAX && got.MsgSize > 0 && got.MsgSize <= HARD_MSGSIZEMAX)
	})
}

// FuzzSigevent: decoding never panics and reads the fixed offsets.
func FuzzSigevent(f *testing.F) {
	f.Add(make([]byte, SigeventSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := DecodeSigevent(b)
		if err != nil {
			return
		}
		assert.Equal(t, int32(binary.LittleEndian.Uint32(b[12:])), ev.Notify)
	})
}
