package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/ipc/sysv"
)

func sembufs(ops ...sysv.Sembuf) []byte {
	var b []byte
	for _, o := range ops {
		b = binary.LittleEndian.AppendUint16(b, o.Num)
		b = binary.LittleEndian.AppendUint16(b, uint16(o.Op))
		b = binary.LittleEndian.AppendUint16(b, uint16(o.Flg))
	}
	return b
}

func timespec(sec, nsec int64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(sec))
	return binary.LittleEndian.AppendUint64(b, uint64(nsec))
}

// The system call's checks come in Linux's order: the timeout is copied
// first, then nsops is checked, then sops copied, then semid and the
// timeout's value.
func TestSemtimedopErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	id, err := u.call(SYS_semget, 0, 2, 0o600)
	require.NoError(t, err)
	ok := u.bytes(sembufs(sysv.Sembuf{Num: 0, Op: 1}))
	good, bad := u.bytes(timespec(1, 0)), u.bytes(timespec(0, 1e9))
	tests := []struct {
		name               string
		semid              uint64
		sops, nsops, tmout uint64
		err                error
	}{
		{"bad timeout pointer first", id, badVA, 501, badVA, errno.EFAULT},
		{"E2BIG before EFAULT", id, badVA, 501, good, errno.E2BIG},
		{"nsops 0", id, ok, 0, 0, errno.EINVAL},
		{"bad sops", ^uint64(0), badVA, 1, 0, errno.EFAULT},
		{"negative id", ^uint64(0), ok, 1, 0, errno.EINVAL},
		{"invalid timespec", id, ok, 1, bad, errno.EINVAL},
		{"unknown id", id + 1, ok, 1, 0, errno.EINVAL},
		{"sem_num too big", id, u.bytes(sembufs(sysv.Sembuf{Num: 2, Op: 1})), 1, 0, errno.EFBIG},
		{"fine", id, ok, 1, good, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(SYS_semtimedop, tc.semid, tc.sops, tc.nsops, tc.tmout)
			assert.Equal(t, tc.err, err)
			assert.False(t, u.sleeping())
		})
	}
}

func TestSemopSleep(t *testing.T) {
	h := newHarness(t)
	a, b := h.newTask(t), h.newTask(t)
	id, err := a.call(SYS_semget, 0, 1, 0o600)
	require.NoError(t, err)
	down := a.bytes(sembufs(sysv.Sembuf{Op: -1}))
	up := b.bytes(sembufs(sysv.Sembuf{Op: 1}))

	// Woken by the increment, which did the decrement for the sleeper.
	_, err = a.call(SYS_semop, id, down, 1)
	require.ErrorIs(t, err, errBlock)
	assert.True(t, a.sleeping())
	n, err := b.call(SYS_semctl, id, 0, sysv.GETNCNT)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
	_, err = b.call(SYS_semop, id, up, 1)
	require.NoError(t, err)
	assert.False(t, a.sleeping())
	_, err = a.call(SYS_semop, id, down, 1)
	assert.NoError(t, err)
	v, _ := b.call(SYS_semctl, id, 0, sysv.GETVAL)
	assert.Zero(t, v)
	pid, _ := b.call(SYS_semctl, id, 0, sysv.GETPID)
	assert.Equal(t, uint64(a.TGID), pid, "the sleeper's pid, though b did the work")

	// A timeout: EAGAIN, off the queue.
	_, err = a.call(SYS_semtimedop, id, down, 1, a.bytes(timespec(0, 5e6)))
	require.ErrorIs(t, err, errBlock)
	h.now += 10e6
	_, err = a.call(SYS_semtimedop, id, down, 1, 0)
	assert.Equal(t, errno.EAGAIN, err)
	n, _ = b.call(SYS_semctl, id, 0, sysv.GETNCNT)
	assert.Zero(t, n)

	// A signal: EINTR, never a restart.
	a.restart = restartBlock{} // as Syscall does for a new call
	_, err = a.call(SYS_semop, id, down, 1)
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(a.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	assert.False(t, a.sleeping())
	_, err = a.call(SYS_semop, id, down, 1)
	assert.Equal(t, errno.EINTR, err)
}

func TestSemUndoAtExit(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	id, _ := u.call(SYS_semget, 0, 1, 0o600)
	_, err := u.call(SYS_semctl, id, 0, sysv.SETVAL, 3)
	require.NoError(t, err)
	_, err = u.call(SYS_semop, id, u.bytes(sembufs(sysv.Sembuf{Op: -2, Flg: sysv.SEM_UNDO})), 1)
	require.NoError(t, err)
	other := h.newTask(t)
	v, _ := other.call(SYS_semctl, id, 0, sysv.GETVAL)
	assert.Equal(t, uint64(1), v)
	h.k.DoExit(u.Task, 0)
	v, _ = other.call(SYS_semctl, id, 0, sysv.GETVAL)
	assert.Equal(t, uint64(3), v, "exit_sem gave the 2 back")
}

func TestSemctlArgs(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	id, _ := u.call(SYS_semget, 0, 2, 0o600)
	tests := []struct {
		name     string
		semnum   uint64
		cmd, arg uint64
		want     uint64
		err      error
	}{
		{"SETVAL takes an int", 1, sysv.SETVAL, 1<<32 | 7, 0, nil},
		{"GETVAL", 1, sysv.GETVAL, 0, 7, nil},
		{"SETVAL -1", 1, sysv.SETVAL, 0xffffffff, 0, errno.ERANGE},
		{"SETALL from a bad pointer", 0, sysv.SETALL, badVA, 0, errno.EFAULT},
		{"GETALL to a bad pointer", 0, sysv.GETALL, badVA, 0, errno.EFAULT},
		{"IPC_STAT to a bad pointer", 0, sysv.IPC_STAT, badVA, 0, errno.EFAULT},
		{"IPC_INFO returns the highest index", 0, sysv.IPC_INFO, u.alloc(sysv.SizeofSemInfo), 0, nil},
		{"IPC_64 is not a flag on x86-64", 0, sysv.IPC_STAT | sysv.IPC_64, u.alloc(sysv.SizeofSemidDS), 0, errno.EINVAL},
		{"unknown", 0, 99, 0, 0, errno.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := u.call(SYS_semctl, id, tc.semnum, tc.cmd, tc.arg)
			assert.Equal(t, tc.err, err)
			if err == nil {
				assert.Equal(t, tc.want, got)
			}
		})
	}
	buf := u.alloc(sysv.SizeofSemidDS)
	_, err := u.call(SYS_semctl, id, 0, sysv.IPC_STAT, buf)
	require.NoError(t, err)
	ds := sysv.ParseSemidDS(u.read(buf, sysv.SizeofSemidDS))
	assert.Equal(t, uint64(2), ds.Nsems)
	assert.Equal(t, uint32(0o600), ds.Perm.Mode)
	assert.Equal(t, int64(1_700_000_001), ds.Ctime, "the harness's wall clock, in seconds")
}

func TestShmSyscalls(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	id, err := u.call(SYS_shmget, 0, 5000, 0o600)
	require.NoError(t, err)
	va, err := u.call(SYS_shmat, id, 0, 0)
	require.NoError(t, err)
	require.NoError(t, u.MM.CopyOut(va+4999, []byte{1}), "the segment is mapped")
	buf := u.alloc(sysv.SizeofShmidDS)
	_, err = u.call(SYS_shmctl, id, sysv.IPC_STAT, buf)
	require.NoError(t, err)
	raw := u.read(buf, sysv.SizeofShmidDS)
	assert.Equal(t, uint64(5000), binary.LittleEndian.Uint64(raw[48:]), "shm_segsz")
	assert.Equal(t, uint32(u.TGID), binary.LittleEndian.Uint32(raw[80:]), "shm_cpid")
	assert.Equal(t, uint64(1), binary.LittleEndian.Uint64(raw[88:]), "shm_nattch")

	_, err = u.call(SYS_shmctl, id, sysv.IPC_RMID, 0)
	require.NoError(t, err)
	h.k.DoExit(u.Task, 0) // exit detaches: the segment goes
	other := h.newTask(t)
	_, err = other.call(SYS_shmctl, id, sysv.IPC_STAT, other.alloc(sysv.SizeofShmidDS))
	assert.Equal(t, errno.EINVAL, err)

	info := other.alloc(sysv.SizeofShmInfo)
	_, err = other.call(SYS_shmctl, 0, sysv.SHM_INFO, info)
	require.NoError(t, err)
	assert.Zero(t, binary.LittleEndian.Uint32(other.read(info, 4)), "no segment in use")
}

func TestMsgSyscalls(t *testing.T) {
	h := newHarness(t)
	a, b := h.newTask(t), h.newTask(t)
	id, err := a.call(SYS_msgget, 0, 0o600)
	require.NoError(t, err)
	msg := func(u *utask, typ int64, text string) uint64 {
		return u.bytes(append(binary.LittleEndian.AppendUint64(nil, uint64(typ)), text...))
	}
	tests := []struct {
		name  string
		msgp  uint64
		msgsz uint64
		err   error
	}{
		{"bad pointer", badVA, 1, errno.EFAULT},
		{"mtype 0", msg(a, 0, "x"), 1, errno.EINVAL},
		{"negative mtype", msg(a, -5, "x"), 1, errno.EINVAL},
		{"negative size", msg(a, 1, "x"), 1 << 63, errno.EINVAL},
		{"empty text", msg(a, 1, ""), 0, nil},
		{"too large", msg(a, 1, "x"), 8193, errno.EINVAL},
		{"text past the mapping", msg(a, 1, "x"), 8192, errno.EFAULT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.msgp
			if tc.name == "text past the mapping" {
				p = a.base + scratchSize - 16
				require.NoError(t, a.MM.CopyOut(p, binary.LittleEndian.AppendUint64(nil, 1)))
			}
			_, err := a.call(SYS_msgsnd, id, p, tc.msgsz, 0)
			assert.Equal(t, tc.err, err)
		})
	}

	// A receiver sleeps; the sender hands it the message.
	rbuf := b.alloc(8 + 16)
	_, err = b.call(SYS_msgrcv, id, rbuf, 16, 2, 0)
	require.ErrorIs(t, err, errBlock)
	_, err = a.call(SYS_msgsnd, id, msg(a, 1, "one"), 3, 0)
	require.NoError(t, err)
	assert.True(t, b.sleeping(), "type 1 is not what it waits for")
	_, err = a.call(SYS_msgsnd, id, msg(a, 2, "two!"), 4, 0)
	require.NoError(t, err)
	assert.False(t, b.sleeping())
	n, err := b.call(SYS_msgrcv, id, rbuf, 16, 2, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(4), n)
	assert.Equal(t, "\x02\x00\x00\x00\x00\x00\x00\x00two!", string(b.read(rbuf, 12)))

	// A signal ends the sleep with ERESTARTNOHAND (restarted unless a
	// handler runs).
	_, err = b.call(SYS_msgrcv, id, rbuf, 16, 9, 0)
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(b.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	_, err = b.call(SYS_msgrcv, id, rbuf, 16, 9, 0)
	assert.Equal(t, errno.ERESTARTNOHAND, err)

	ds := a.alloc(sysv.SizeofMsqidDS)
	_, err = a.call(SYS_msgctl, id, sysv.IPC_STAT, ds)
	require.NoError(t, err)
	st := sysv.ParseMsqidDS(a.read(ds, sysv.SizeofMsqidDS))
	assert.Equal(t, uint64(2), st.Qnum, "the empty message and type 1 are still there")
	assert.Equal(t, int32(b.TGID), st.Lrpid)
	assert.Equal(t, int32(a.TGID), st.Lspid)
}
