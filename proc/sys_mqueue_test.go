package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/ipc/mqueue"
)

// mqCall runs a fresh system call (the loop resets the restart block
// for every new call).
func (u *utask) mqCall(nr uint64, args ...uint64) (uint64, error) {
	u.restart = restartBlock{}
	return u.call(nr, args...)
}

func (u *utask) mqAttr(maxmsg, msgsize int64) uint64 {
	return u.bytes(mqueue.Attr{MaxMsg: maxmsg, MsgSize: msgsize}.Encode())
}

func TestMqOpen(t *testing.T) {
	tests := []struct {
		name  string
		qname string
		flags uint64
		attr  func(u *utask) uint64
		err   error
	}{
		{"create", "q", fs.O_RDWR | fs.O_CREAT, nil, nil},
		{"exists", "e", fs.O_RDWR | fs.O_CREAT | fs.O_EXCL, nil, errno.EEXIST},
		{"open existing", "e", fs.O_RDONLY, nil, nil},
		{"missing", "m", fs.O_RDWR, nil, errno.ENOENT},
		{"empty name", "", fs.O_RDWR | fs.O_CREAT, nil, errno.ENOENT},
		{"slash", "a/b", fs.O_RDWR | fs.O_CREAT, nil, errno.EACCES},
		{"bad attr pointer", "q", fs.O_RDWR | fs.O_CREAT, func(*utask) uint64 { return 8 }, errno.EFAULT},
		{"maxmsg 0", "q", fs.O_RDWR | fs.O_CREAT, func(u *utask) uint64 { return u.mqAttr(0, 1) }, errno.EINVAL},
		{"attr ignored when it exists", "e", fs.O_RDWR | fs.O_CREAT, func(u *utask) uint64 { return u.mqAttr(0, 1) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newHarness(t).newTask(t)
			_, err := u.mqCall(SYS_mq_open, u.str("e"), fs.O_CREAT, 0o600, 0)
			require.NoError(t, err)
			var attr uint64
			if tc.attr != nil {
				attr = tc.attr(u)
			}
			fd, err := u.mqCall(SYS_mq_open, u.str(tc.qname), tc.flags|fs.O_NONBLOCK, 0o600, attr)
			if tc.err != nil {
				assert.Equal(t, tc.err, err)
				return
			}
			require.NoError(t, err)
			c, _ := u.Files.Cloexec(int(fd))
			assert.True(t, c, "always close-on-exec")
			of, _ := u.Files.Get(int(fd))
			defer of.put()
			assert.True(t, of.Nonblock())
			assert.Equal(t, 0, of.Flags&fs.O_CREAT)
		})
	}
}

func TestMqSendReceiveBlocking(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd, err := u.mqCall(SYS_mq_open, u.str("q"), fs.O_RDWR|fs.O_CREAT, 0o600, u.mqAttr(1, 8))
	require.NoError(t, err)
	buf, prio := u.alloc(8), u.alloc(4)

	// An empty queue: the receiver sleeps; a send wakes it.
	_, err = u.mqCall(SYS_mq_timedreceive, fd, buf, 8, prio, 0)
	assert.Equal(t, errBlock, err)
	assert.True(t, u.sleeping())
	v := h.fork(t, u.Task)
	_, err = v.mqCall(SYS_mq_timedsend, fd, v.bytes([]byte("hi")), 2, 9, 0)
	require.NoError(t, err)
	assert.False(t, u.sleeping())
	n, err := u.call(SYS_mq_timedreceive, fd, buf, 8, prio, 0) // the re-run
	require.NoError(t, err)
	assert.Equal(t, uint64(2), n)
	assert.Equal(t, "hi", string(u.read(buf, 2)))
	assert.Equal(t, uint32(9), u.u32(prio))

	// A full queue: the sender sleeps until the deadline.
	_, err = u.mqCall(SYS_mq_timedsend, fd, u.bytes([]byte("a")), 1, 0, 0)
	require.NoError(t, err)
	ts := u.alloc(16)
	wall := h.k.Wall()
	binary.LittleEndian.PutUint64(u.read(ts, 16), 0)
	require.NoError(t, u.MM.CopyOut(ts, append(binary.LittleEndian.AppendUint64(nil, uint64(wall/1e9+2)), make([]byte, 8)...)))
	_, err = u.mqCall(SYS_mq_timedsend, fd, u.bytes([]byte("b")), 1, 0, ts)
	assert.Equal(t, errBlock, err)
	h.now += 3e9
	h.k.RunTimers(h.now)
	assert.False(t, u.sleeping())
	_, err = u.call(SYS_mq_timedsend, fd, u.bytes([]byte("b")), 1, 0, ts)
	assert.Equal(t, errno.ETIMEDOUT, err)
}

func TestMqErrors(t *testing.T) {
	u := newHarness(t).newTask(t)
	fd, err := u.mqCall(SYS_mq_open, u.str("q"), fs.O_WRONLY|fs.O_CREAT|fs.O_NONBLOCK, 0o600, u.mqAttr(2, 4))
	require.NoError(t, err)
	badTS := u.bytes(append(binary.LittleEndian.AppendUint64(nil, 1), binary.LittleEndian.AppendUint64(nil, 1e9)...))
	msg := u.bytes([]byte("abcde"))
	efd, err := u.mqCall(SYS_eventfd2, 0, 0)
	require.NoError(t, err)
	tests := []struct {
		name string
		nr   uint64
		args []uint64
		err  error
	}{
		{"prio too high", SYS_mq_timedsend, []uint64{fd, msg, 1, mqueue.MQ_PRIO_MAX, 0}, errno.EINVAL},
		{"too long", SYS_mq_timedsend, []uint64{fd, msg, 5, 0, 0}, errno.EMSGSIZE},
		{"bad message pointer", SYS_mq_timedsend, []uint64{fd, 8, 4, 0, 0}, errno.EFAULT},
		{"bad timespec", SYS_mq_timedsend, []uint64{fd, msg, 1, 0, badTS}, errno.EINVAL},
		{"bad timespec pointer", SYS_mq_timedsend, []uint64{fd, msg, 1, 0, 8}, errno.EFAULT},
		{"receive on O_WRONLY", SYS_mq_timedreceive, []uint64{fd, msg, 8, 0, 0}, errno.EBADF},
		{"not a queue", SYS_mq_timedsend, []uint64{efd, msg, 1, 0, 0}, errno.EBADF},
		{"closed", SYS_mq_timedsend, []uint64{77, msg, 1, 0, 0}, errno.EBADF},
		{"getsetattr bad flags", SYS_mq_getsetattr, []uint64{fd, u.bytes(mqueue.Attr{Flags: fs.O_APPEND}.Encode()), 0}, errno.EINVAL},
		{"getsetattr bad pointer", SYS_mq_getsetattr, []uint64{fd, 8, 0}, errno.EFAULT},
		{"notify bad pointer", SYS_mq_notify, []uint64{fd, 8}, errno.EFAULT},
		{"unlink missing", SYS_mq_unlink, []uint64{u.str("nope")}, errno.ENOENT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.mqCall(tc.nr, tc.args...)
			assert.Equal(t, tc.err, err)
		})
	}
}

func TestMqNotifySignal(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	fd, err := u.mqCall(SYS_mq_open, u.str("q"), fs.O_RDWR|fs.O_CREAT, 0o600, 0)
	require.NoError(t, err)
	ev := make([]byte, mqueue.SigeventSize)
	binary.LittleEndian.PutUint64(ev, 42)
	binary.LittleEndian.PutUint32(ev[8:], SIGUSR1)
	_, err = u.mqCall(SYS_mq_notify, fd, u.bytes(ev))
	require.NoError(t, err)
	_, err = u.mqCall(SYS_mq_notify, fd, u.bytes(ev))
	assert.Equal(t, errno.EBUSY, err)
	v := h.fork(t, u.Task)
	_, err = v.mqCall(SYS_mq_timedsend, fd, v.bytes([]byte("x")), 1, 0, 0)
	require.NoError(t, err)
	si, ok := h.k.dequeueSignalFrom(u.Task, Bit(SIGUSR1))
	require.True(t, ok)
	b := si.encode()
	assert.Equal(t, int32(SI_MESGQ), int32(binary.LittleEndian.Uint32(b[8:])))
	assert.Equal(t, uint32(v.TGID), binary.LittleEndian.Uint32(b[16:]))
	assert.Equal(t, uint64(42), binary.LittleEndian.Uint64(b[24:]))
	// Fired once: registering again works.
	_, err = u.mqCall(SYS_mq_notify, fd, u.bytes(ev))
	assert.NoError(t, err)
	// SIGEV_THREAD needs a netlink socket: a queue is not a socket.
	binary.LittleEndian.PutUint32(ev[8:], uint32(fd))
	binary.LittleEndian.PutUint32(ev[12:], mqueue.SIGEV_THREAD)
	binary.LittleEndian.PutUint64(ev, u.alloc(32))
	_, err = u.mqCall(SYS_mq_notify, fd, u.bytes(ev))
	assert.Equal(t, errno.ENOTSOCK, err)
}

// FuzzMqNotify: any sigevent gets an errno or a registration, never a panic.
func FuzzMqNotify(f *testing.F) {
	f.Add(make([]byte, mqueue.SigeventSize))
	f.Fuzz(func(t *testing.T, ev []byte) {
		if len(ev) < mqueue.SigeventSize {
			return
		}
		u := newHarness(t).newTask(t)
		fd, err := u.mqCall(SYS_mq_open, u.str("q"), fs.O_RDWR|fs.O_CREAT, 0o600, 0)
		require.NoError(t, err)
		_, err = u.mqCall(SYS_mq_notify, fd, u.bytes(ev[:mqueue.SigeventSize]))
		if err == nil {
			_, err = u.mqCall(SYS_mq_timedsend, fd, u.bytes([]byte("x")), 1, 0, 0)
			assert.NoError(t, err)
		}
	})
}
