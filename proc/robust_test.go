package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

func words64(vs ...uint64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
	return b
}

func TestExitRobustList(t *testing.T) {
	h := newHarness(t)
	p := h.newTask(t)
	th := h.fork(t, p.Task) // the thread that dies holding the locks
	tid := uint32(th.PID)
	// Three locks: held with waiters, held without, held by someone else.
	// Each is a robust_list entry (next pointer) followed by its futex
	// word at futex_offset 8.
	head := th.alloc(24)
	locks := [3]uint64{th.alloc(16), th.alloc(16), th.alloc(16)}
	words := []uint32{tid | FUTEX_WAITERS, tid, 4242}
	for i, l := range locks {
		next := head
		if i < 2 {
			next = locks[i+1]
		}
		require.NoError(t, th.MM.CopyOut(l, words64(next)))
		var w [4]byte
		binary.LittleEndian.PutUint32(w[:], words[i])
		require.NoError(t, th.MM.CopyOut(l+8, w[:]))
	}
	require.NoError(t, th.MM.CopyOut(head, words64(locks[0], 8, 0)))
	_, err := th.call(SYS_set_robust_list, head, 24)
	require.NoError(t, err)
	_, err = th.call(SYS_set_robust_list, head, 16)
	assert.Equal(t, errno.EINVAL, err)

	got := [3]uint32{}
	h.k.exitRobustList(th.Task)
	for i, l := range locks {
		got[i] = th.u32(l + 8)
	}
	assert.Equal(t, uint32(FUTEX_WAITERS|FUTEX_OWNER_DIED), got[0], "waiters kept, owner died")
	assert.Equal(t, uint32(FUTEX_OWNER_DIED), got[1])
	assert.Equal(t, uint32(4242), got[2], "another thread's lock is left alone")
	assert.Zero(t, th.robustList, "walked once")
}

func TestExitRobustListCircular(t *testing.T) {
	h := newHarness(t)
	th := h.newTask(t)
	head := th.alloc(24)
	loop := th.alloc(16)
	require.NoError(t, th.MM.CopyOut(loop, words64(loop))) // points at itself
	require.NoError(t, th.MM.CopyOut(head, words64(loop, 8, 0)))
	th.robustList = head
	h.k.exitRobustList(th.Task) // ends after ROBUST_LIST_LIMIT entries
}
