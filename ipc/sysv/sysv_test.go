package sysv

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/mm"
)

const testFrames = 256

func newTestNS(t testing.TB) (*Namespace, *mm.FrameAllocator) {
	t.Helper()
	const base = 1 << 20
	mem := mm.NewArena(0, base+testFrames*mm.PageSize)
	frames := mm.NewFrameAllocator(mem, []mm.Range{{Start: base, End: base + testFrames*mm.PageSize}})
	now := int64(1_700_000_000)
	return NewNamespace(frames, func() int64 { return now }), frames
}

var root = Caller{PID: 100}

// Ids are seq*32768 + index: indices cycle through at least 64 slots
// before one is reused, and the sequence number steps when the cycle
// starts over, so a removed object's id is not valid again soon.
func TestIDScheme(t *testing.T) {
	ns, _ := newTestNS(t)
	var got []int
	for i := 0; i < 66; i++ {
		id, err := ns.Msgget(IPC_PRIVATE, 0600, root)
		require.NoError(t, err)
		got = append(got, id)
		require.NoError(t, ns.MsgCtlDown(id, IPC_RMID, nil, root))
	}
	assert.Equal(t, []int{0, 1, 2}, got[:3])
	assert.Equal(t, 63, got[63])
	assert.Equal(t, []int{SEQ_MULTIPLIER, SEQ_MULTIPLIER + 1}, got[64:], "the cycle starts over with seq 1")
	_, _, err := ns.MsgCtlStat(0, IPC_STAT, root)
	assert.Equal(t, errno.EINVAL, err, "a removed id")

	// With many in use, the cycle is in_use*3/2 long.
	for i := 0; i < 70; i++ {
		_, err := ns.Msgget(IPC_PRIVATE, 0600, root)
		require.NoError(t, err)
	}
	_, max := ns.MsgCtlInfo(IPC_INFO)
	assert.Equal(t, 71, max, "indices 2..71")
	_, ret, err := ns.MsgCtlStat(71, MSG_STAT, root)
	require.NoError(t, err)
	assert.Equal(t, SEQ_MULTIPLIER+71, ret, "MSG_STAT takes the index and returns the id")
	_, _, err = ns.MsgCtlStat(1, MSG_STAT, root)
	assert.Equal(t, errno.EINVAL, err, "a free index")
}

func TestShmget(t *testing.T) {
	tests := []struct {
		name string
		key  int32
		size uint64
		flg  int
		err  error
		same bool // the id of the segment made first
	}{
		{"existing key", 7, 4096, 0, nil, true},
		{"smaller size is fine", 7, 1, IPC_CREAT, nil, true},
		{"larger size", 7, 8193, 0, errno.EINVAL, false},
		{"IPC_EXCL", 7, 4096, IPC_CREAT | IPC_EXCL, errno.EEXIST, false},
		{"IPC_EXCL before the size check", 7, 1 << 20, IPC_CREAT | IPC_EXCL, errno.EEXIST, false},
		{"no such key", 8, 4096, 0, errno.ENOENT, false},
		{"size 0", 8, 0, IPC_CREAT, errno.EINVAL, false},
		{"size above SHMMAX", IPC_PRIVATE, SHMMAX + 1, 0, errno.EINVAL, false},
		{"more than memory", IPC_PRIVATE, 2 * testFrames * mm.PageSize, 0, errno.ENOMEM, false},
		{"more than memory with SHM_NORESERVE", IPC_PRIVATE, 2 * testFrames * mm.PageSize, SHM_NORESERVE, nil, false},
		{"SHM_HUGETLB", IPC_PRIVATE, 4096, SHM_HUGETLB, errno.ENOMEM, false},
		{"new key", 9, 100, IPC_CREAT | 0644, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns, _ := newTestNS(t)
			first, err := ns.Shmget(7, 8192, IPC_CREAT|0600, root)
			require.NoError(t, err)
			id, err := ns.Shmget(tc.key, tc.size, tc.flg, root)
			assert.Equal(t, tc.err, err)
			if tc.err == nil {
				assert.Equal(t, tc.same, id == first)
			}
		})
	}
}

// segment attaches are VMAs: fork and split raise nattch, unmapping lowers
// it, and a removed segment goes with its last mapping.
func TestShmAttachLifetime(t *testing.T) {
	ns, frames := newTestNS(t)
	free := frames.FreeCount()
	m, err := mm.NewMM(frames, 0, nil)
	require.NoError(t, err)
	id, err := ns.Shmget(IPC_PRIVATE, 3*mm.PageSize, 0600, root)
	require.NoError(t, err)
	nattch := func() uint64 {
		ds, _, err := ns.ShmStat(id, IPC_STAT, root)
		require.NoError(t, err)
		return ds.Nattch
	}
	va, err := ns.Shmat(id, 0, 0, root, m)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), nattch())
	require.NoError(t, m.CopyOut(va+mm.PageSize, []byte("hello")))

	child, err := m.Fork()
	require.NoError(t, err)
	assert.Equal(t, uint64(2), nattch(), "fork")
	buf := make([]byte, 5)
	require.NoError(t, child.CopyIn(buf, va+mm.PageSize))
	assert.Equal(t, "hello", string(buf), "the child sees the parent's page")
	require.NoError(t, child.CopyOut(va, []byte("child")))
	require.NoError(t, m.CopyIn(buf, va))
	assert.Equal(t, "child", string(buf), "and the parent the child's")

	require.NoError(t, m.Mprotect(va+mm.PageSize, mm.PageSize, mm.PROT_READ))
	assert.Equal(t, uint64(4), nattch(), "split into three VMAs")

	require.NoError(t, ns.ShmCtlDown(id, IPC_RMID, nil, root))
	ds, _, err := ns.ShmStat(id, IPC_STAT, root)
	require.NoError(t, err)
	assert.Equal(t, uint32(SHM_DEST|0600), ds.Perm.Mode)

	child.Release()
	assert.Equal(t, uint64(3), nattch(), "exit")
	require.NoError(t, ns.Shmdt(va, root, m))
	_, _, err = ns.ShmStat(id, IPC_STAT, root)
	assert.Equal(t, errno.EINVAL, err, "destroyed with the last detach")
	m.Release()
	assert.Equal(t, free, frames.FreeCount(), "every frame is back")
}

func TestShmat(t *testing.T) {
	const hole = 0x7f0000000000
	tests := []struct {
		name string
		addr uint64
		flg  int
		want uint64
		err  error
	}{
		{"anywhere", 0, 0, 0, nil},
		{"at an address", hole, 0, hole, nil},
		{"unaligned", hole + 1, 0, 0, errno.EINVAL},
		{"SHM_RND", hole + 1, SHM_RND, hole, nil},
		{"SHM_REMAP without an address", 0, SHM_REMAP, 0, errno.EINVAL},
		{"SHM_RND to 0 with SHM_REMAP", 1, SHM_RND | SHM_REMAP, 0, errno.EINVAL},
		{"over a mapping", hole - mm.PageSize, 0, 0, errno.EINVAL},
		{"over a mapping with SHM_REMAP", hole - mm.PageSize, SHM_REMAP, hole - mm.PageSize, nil},
		{"beyond user space", 1 << 47, 0, 0, errno.ENOMEM},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns, frames := newTestNS(t)
			m, err := mm.NewMM(frames, 0, nil)
			require.NoError(t, err)
			defer m.Release()
			_, err = m.Mmap(hole-mm.PageSize, mm.PageSize, mm.PROT_READ, mm.MAP_PRIVATE|mm.MAP_ANONYMOUS|mm.MAP_FIXED, nil, 0)
			require.NoError(t, err)
			id, err := ns.Shmget(IPC_PRIVATE, 2*mm.PageSize, 0600, root)
			require.NoError(t, err)
			va, err := ns.Shmat(id, tc.addr, tc.flg, root, m)
			assert.Equal(t, tc.err, err)
			if err == nil && tc.want != 0 {
				assert.Equal(t, tc.want, va)
			}
			ds, _, _ := ns.ShmStat(id, IPC_STAT, root)
			if err == nil {
				assert.Equal(t, uint64(1), ds.Nattch)
			} else {
				assert.Equal(t, uint64(0), ds.Nattch, "a failed attach leaves no count")
			}
		})
	}
}

func TestShmatReadOnly(t *testing.T) {
	ns, frames := newTestNS(t)
	m, err := mm.NewMM(frames, 0, nil)
	require.NoError(t, err)
	defer m.Release()
	id, _ := ns.Shmget(IPC_PRIVATE, mm.PageSize, 0600, root)
	va, err := ns.Shmat(id, 0, SHM_RDONLY, root, m)
	require.NoError(t, err)
	_, err = m.HandleFault(va, mm.AccessWrite|mm.AccessUser)
	assert.Error(t, err, "a write faults")
	assert.Equal(t, errno.EACCES, m.Mprotect(va, mm.PageSize, mm.PROT_READ|mm.PROT_WRITE))
	assert.Equal(t, errno.EINVAL, ns.Shmdt(va+1, root, m))
	assert.Equal(t, errno.EINVAL, ns.Shmdt(va+mm.PageSize, root, m))
	assert.NoError(t, ns.Shmdt(va, root, m))
}

// recorder collects wake-ups in order.
type recorder struct{ woken []string }

func (r *recorder) wake(name string) func() bool {
	return func() bool { r.woken = append(r.woken, name); return true }
}

func TestSemop(t *testing.T) {
	tests := []struct {
		name string
		init []uint16
		sops []Sembuf
		err  error
		want []int
	}{
		{"decrement", []uint16{2, 0}, []Sembuf{{0, -1, 0}}, nil, []int{1, 0}},
		{"two at once", []uint16{1, 0}, []Sembuf{{0, -1, 0}, {1, 3, 0}}, nil, []int{0, 3}},
		{"IPC_NOWAIT", []uint16{0, 5}, []Sembuf{{1, -1, 0}, {0, -1, IPC_NOWAIT}}, errno.EAGAIN, []int{0, 5}},
		{"wait-for-zero with IPC_NOWAIT", []uint16{1, 0}, []Sembuf{{0, 0, IPC_NOWAIT}}, errno.EAGAIN, []int{1, 0}},
		{"zero is zero", []uint16{0, 1}, []Sembuf{{0, 0, 0}}, nil, []int{0, 1}},
		{"above SEMVMX", []uint16{32767, 0}, []Sembuf{{0, 1, 0}}, errno.ERANGE, []int{32767, 0}},
		{"sem_num out of range", []uint16{0, 0}, []Sembuf{{2, 1, 0}}, errno.EFBIG, []int{0, 0}},
		{"dupsop sees its own effect", []uint16{0, 0}, []Sembuf{{0, 2, 0}, {0, -1, 0}}, nil, []int{1, 0}},
		{"dupsop rolls back", []uint16{0, 0}, []Sembuf{{0, 2, 0}, {0, -3, IPC_NOWAIT}}, errno.EAGAIN, []int{0, 0}},
		{"dupsop ERANGE rolls back", []uint16{32760, 0}, []Sembuf{{0, 5, 0}, {0, 5, 0}}, errno.ERANGE, []int{32760, 0}},
		{"undo range", []uint16{0, 0}, []Sembuf{{0, 32767, SEM_UNDO}, {1, 1, 0}}, nil, []int{32767, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns, _ := newTestNS(t)
			id, err := ns.Semget(IPC_PRIVATE, len(tc.init), 0600, root)
			require.NoError(t, err)
			require.NoError(t, ns.SemSetAll(id, tc.init, root))
			var ss SysvSem
			q, err := ns.Semtimedop(id, tc.sops, &ss, root, nil)
			assert.Nil(t, q)
			assert.Equal(t, tc.err, err)
			vals, _ := ns.SemGetAll(id, root)
			for i, v := range tc.want {
				assert.Equal(t, v, int(vals[i]), "semaphore %d", i)
			}
		})
	}
}

// Sleepers are woken in Linux's order: a decrement that fits is done even
// if an earlier, larger one still cannot go; equal ones go first come,
// first served; wait-for-zero sleepers go when the value reaches 0.
func TestSemWakeOrder(t *testing.T) {
	ns, _ := newTestNS(t)
	id, _ := ns.Semget(IPC_PRIVATE, 2, 0600, root)
	var rec recorder
	sleep := func(name string, sops ...Sembuf) *SemQueue {
		var ss SysvSem
		q, err := ns.Semtimedop(id, sops, &ss, root, rec.wake(name))
		require.NoError(t, err)
		require.NotNil(t, q, name+" sleeps")
		return q
	}
	require.NoError(t, ns.SemSetVal(id, 1, 1, root))
	a := sleep("a", Sembuf{0, -2, 0})
	b := sleep("b", Sembuf{0, -1, 0})
	c := sleep("c", Sembuf{0, -1, 0})
	z := sleep("z", Sembuf{1, 0, 0})
	cx := sleep("complex", Sembuf{0, -1, 0}, Sembuf{1, -1, 0})
	cnt := func(n, cmd int) int { v, _ := ns.SemGet(id, n, cmd, root); return v }
	assert.Equal(t, 4, cnt(0, GETNCNT))
	assert.Equal(t, 0, cnt(1, GETNCNT), "the complex one blocks on semaphore 0")
	assert.Equal(t, 1, cnt(1, GETZCNT))

	var ss SysvSem
	op := func(sops ...Sembuf) {
		_, err := ns.Semtimedop(id, sops, &ss, root, nil)
		require.NoError(t, err)
	}
	op(Sembuf{0, 1, 0})
	assert.Equal(t, []string{"b"}, rec.woken, "b fits, a does not")
	done, err := ns.SemopWait(b, false, false)
	assert.True(t, done)
	assert.NoError(t, err)
	op(Sembuf{0, 2, 0})
	assert.Equal(t, []string{"b", "a"}, rec.woken, "then a; c is next in line")
	done, err = ns.SemopWait(c, false, true)
	assert.True(t, done)
	assert.Equal(t, errno.EINTR, err, "a signal")
	done, err = ns.SemopWait(cx, true, false)
	assert.False(t, !done)
	assert.Equal(t, errno.EAGAIN, err, "a timeout")
	op(Sembuf{1, -1, 0})
	assert.Equal(t, []string{"b", "a", "z"}, rec.woken, "1 reached 0")
	_ = a
	_ = z

	cx = sleep("complex", Sembuf{0, -1, 0}, Sembuf{1, -1, 0})
	done, _ = ns.SemopWait(cx, false, false)
	assert.False(t, done, "a spurious wake-up")
	require.NoError(t, ns.SemCtlDown(id, IPC_RMID, nil, root))
	assert.Equal(t, []string{"b", "a", "z", "complex"}, rec.woken)
	done, err = ns.SemopWait(cx, false, false)
	assert.True(t, done)
	assert.Equal(t, errno.EIDRM, err)
}

func TestSemUndo(t *testing.T) {
	ns, _ := newTestNS(t)
	id, _ := ns.Semget(IPC_PRIVATE, 2, 0600, root)
	require.NoError(t, ns.SemSetAll(id, []uint16{5, 0}, root))
	val := func(n int) int { v, _ := ns.SemGet(id, n, GETVAL, root); return v }

	var parent, thread, child SysvSem
	_, err := ns.Semtimedop(id, []Sembuf{{0, -3, SEM_UNDO}, {1, 2, SEM_UNDO}}, &parent, root, nil)
	require.NoError(t, err)
	ns.CopySemundo(&parent, &thread, true)
	ns.CopySemundo(&parent, &child, false)
	ns.ExitSem(&child, 200)
	assert.Equal(t, []int{2, 2}, []int{val(0), val(1)}, "fork does not inherit")
	ns.ExitSem(&thread, 101)
	assert.Equal(t, []int{2, 2}, []int{val(0), val(1)}, "a thread shares the list")
	require.NoError(t, ns.SemSetVal(id, 1, 0, root)) // clears semaphore 1's adjustment
	ns.ExitSem(&parent, 100)
	assert.Equal(t, []int{5, 0}, []int{val(0), val(1)}, "the last exit applies it")
	pid, _ := ns.SemGet(id, 0, GETPID, root)
	assert.Equal(t, 100, pid)

	// Adjustments are clamped to 0..SEMVMX.
	var p2 SysvSem
	_, err = ns.Semtimedop(id, []Sembuf{{0, 1, SEM_UNDO}}, &p2, root, nil)
	require.NoError(t, err)
	require.NoError(t, ns.SemSetAll(id, []uint16{0, 0}, root)) // clears every adjustment
	_, err = ns.Semtimedop(id, []Sembuf{{0, 1, SEM_UNDO}}, &p2, root, nil)
	require.NoError(t, err)
	require.NoError(t, ns.SemCtlDown(id, IPC_RMID, nil, root))
	ns.ExitSem(&p2, 100) // the set is gone: nothing to do, no panic
}

func TestMsgrcvModes(t *testing.T) {
	types := []int64{3, 1, 2, 5, 1}
	tests := []struct {
		name   string
		msgtyp int64
		flg    int
		want   int64 // the type received, or 0 for an error
		err    error
	}{
		{"any", 0, 0, 3, nil},
		{"equal", 2, 0, 2, nil},
		{"except", 3, MSG_EXCEPT, 1, nil},
		{"less or equal takes the lowest", -4, 0, 1, nil},
		{"less or equal, type 1 first", -1, 0, 1, nil},
		{"no such type", 9, IPC_NOWAIT, 0, errno.ENOMSG},
		{"MSG_COPY by position", 3, MSG_COPY | IPC_NOWAIT, 5, nil},
		{"MSG_COPY past the end", 9, MSG_COPY | IPC_NOWAIT, 0, errno.ENOMSG},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns, _ := newTestNS(t)
			id, _ := ns.Msgget(IPC_PRIVATE, 0600, root)
			for _, ty := range types {
				_, err := ns.Msgsnd(id, &Msg{Type: ty, Text: []byte("x")}, 0, root, nil, false, nil)
				require.NoError(t, err)
			}
			require.NoError(t, MsgrcvCheck(id, 8, tc.flg))
			m, r, err := ns.Msgrcv(id, 8, tc.msgtyp, tc.flg, root, nil, false, nil)
			assert.Nil(t, r)
			assert.Equal(t, tc.err, err)
			if tc.err == nil {
				assert.Equal(t, tc.want, m.Type)
			}
		})
	}
	assert.Equal(t, errno.EINVAL, MsgrcvCheck(0, 8, MSG_COPY), "MSG_COPY needs IPC_NOWAIT")
	assert.Equal(t, errno.EINVAL, MsgrcvCheck(0, 8, MSG_COPY|IPC_NOWAIT|MSG_EXCEPT))
	assert.Equal(t, errno.EINVAL, MsgrcvCheck(0, 1<<63, 0), "a negative size")
}

func TestMsgBlocking(t *testing.T) {
	ns, _ := newTestNS(t)
	id, _ := ns.Msgget(IPC_PRIVATE, 0600, root)
	var rec recorder
	// A receiver with a small buffer gets E2BIG from the sender on the
	// way; the next matching one gets the message itself.
	small, _, _ := func() (*MsgReceiver, *Msg, error) {
		_, r, err := ns.Msgrcv(id, 2, 0, 0, root, nil, false, rec.wake("small"))
		return r, nil, err
	}()
	_, big, _ := ns.Msgrcv(id, 64, 0, 0, root, nil, false, rec.wake("big"))
	require.NotNil(t, small)
	require.NotNil(t, big)
	_, err := ns.Msgsnd(id, &Msg{Type: 1, Text: []byte("hello")}, 0, root, nil, false, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"small", "big"}, rec.woken)
	_, _, err = ns.Msgrcv(id, 2, 0, 0, root, small, false, nil)
	assert.Equal(t, errno.E2BIG, err)
	m, _, err := ns.Msgrcv(id, 64, 0, 0, root, big, false, nil)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(m.Text))
	ds, _, _ := ns.MsgCtlStat(id, IPC_STAT, root)
	assert.Equal(t, uint64(0), ds.Qnum, "handed over, never queued")

	// A full queue: the sender sleeps until a receive makes room.
	ds.Qbytes = 10
	require.NoError(t, ns.MsgCtlDown(id, IPC_SET, &ds, root))
	_, err = ns.Msgsnd(id, &Msg{Type: 1, Text: make([]byte, 6)}, 0, root, nil, false, nil)
	require.NoError(t, err)
	_, err = ns.Msgsnd(id, &Msg{Type: 1, Text: make([]byte, 6)}, IPC_NOWAIT, root, nil, false, nil)
	assert.Equal(t, errno.EAGAIN, err)
	s, err := ns.Msgsnd(id, &Msg{Type: 2, Text: make([]byte, 6)}, 0, root, nil, false, rec.wake("sender"))
	require.NoError(t, err)
	require.NotNil(t, s)
	_, _, err = ns.Msgrcv(id, 64, 1, 0, root, nil, false, nil)
	require.NoError(t, err)
	assert.Equal(t, "sender", rec.woken[len(rec.woken)-1])
	s, err = ns.Msgsnd(id, nil, 0, root, s, false, nil)
	assert.Nil(t, s)
	require.NoError(t, err)
	m, _, err = ns.Msgrcv(id, 64, 0, IPC_NOWAIT, root, nil, false, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(2), m.Type)

	// IPC_RMID: sleepers get EIDRM.
	_, r, _ := ns.Msgrcv(id, 64, 0, 0, root, nil, false, rec.wake("last"))
	require.NoError(t, ns.MsgCtlDown(id, IPC_RMID, nil, root))
	_, _, err = ns.Msgrcv(id, 64, 0, 0, root, r, false, nil)
	assert.Equal(t, errno.EIDRM, err)
}

func TestPermAndSet(t *testing.T) {
	ns, _ := newTestNS(t)
	id, _ := ns.Semget(42, 1, IPC_CREAT|0640, root)
	ds, _, _ := ns.SemCtlStat(id, IPC_STAT, root)
	assert.Equal(t, Perm64{Key: 42, Mode: 0640}, ds.Perm)
	ds.Perm.Mode = 0o7777
	ds.Perm.UID = 5
	require.NoError(t, ns.SemCtlDown(id, IPC_SET, &ds, root))
	ds, _, _ = ns.SemCtlStat(id, IPC_STAT, root)
	assert.Equal(t, uint32(0o777), ds.Perm.Mode, "only the rwx bits change")
	assert.Equal(t, uint32(5), ds.Perm.UID)
	assert.Equal(t, uint32(0), ds.Perm.CUID)
	ds.Perm.UID = ^uint32(0)
	assert.Equal(t, errno.EINVAL, ns.SemCtlDown(id, IPC_SET, &ds, root), "uid -1")

	ds.Perm.UID, ds.Perm.Mode = 5, 0o600
	require.NoError(t, ns.SemCtlDown(id, IPC_SET, &ds, root))
	other, owner := Caller{PID: 1, UID: 7, GID: 7}, Caller{PID: 1, UID: 5, GID: 7}
	_, err := ns.Semget(42, 1, 0600, other)
	assert.Equal(t, errno.EACCES, err, "mode 0600 keeps others out")
	_, err = ns.Semget(42, 1, 0600, owner)
	assert.NoError(t, err, "the owner gets in")
	assert.Equal(t, errno.EPERM, ns.SemCtlDown(id, IPC_RMID, nil, other))
	assert.NoError(t, ns.SemCtlDown(id, IPC_RMID, nil, owner))
}
