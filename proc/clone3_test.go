package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

// cloneArgsBytes lays out struct clone_args.
func cloneArgsBytes(words ...uint64) []byte {
	b := make([]byte, 8*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	return b
}

func TestClone3Args(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	for _, tc := range []struct {
		name  string
		words []uint64 // flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup
		size  uint64
		err   error
	}{
		{"too small", []uint64{0, 0, 0, 0, 17, 0, 0, 0}, 56, errno.EINVAL},
		{"too big", make([]uint64, 11), 4097, errno.E2BIG},
		{"signal in flags", []uint64{17, 0, 0, 0, 0, 0, 0, 0}, 64, errno.EINVAL},
		{"bad exit signal", []uint64{0, 0, 0, 0, 65, 0, 0, 0}, 64, errno.EINVAL},
		{"thread with exit signal", []uint64{CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, 0, 0, 0, 17, 0, 0, 0}, 64, errno.EINVAL},
		{"stack without size", []uint64{0, 0, 0, 0, 17, 0x1000, 0, 0}, 64, errno.EINVAL},
		{"set_tid_size without set_tid", []uint64{0, 0, 0, 0, 17, 0, 0, 0, 0, 1, 0}, 88, errno.EINVAL},
		{"two levels", []uint64{0, 0, 0, 0, 17, 0, 0, 0, 0x1000, 2, 0}, 88, errno.EINVAL},
		{"cgroup", []uint64{CLONE_INTO_CGROUP, 0, 0, 0, 17, 0, 0, 0, 0, 0, 3}, 88, errno.EBADF},
		{"unknown high flag", []uint64{1 << 40, 0, 0, 0, 17, 0, 0, 0}, 64, errno.EINVAL},
	} {
		b := cloneArgsBytes(tc.words...)
		if uint64(len(b)) < tc.size {
			b = append(b, make([]byte, tc.size-uint64(len(b)))...)
		}
		va := u.bytes(b)
		_, err := u.call(SYS_clone3, va, tc.size)
		assert.Equal(t, tc.err, err, tc.name)
	}
	// Non-zero bytes past the structure are E2BIG; zeros are fine.
	b := append(cloneArgsBytes(0, 0, 0, 0, 17, 0, 0, 0, 0, 0, 0), make([]byte, 16)...)
	b[95] = 1
	_, err := u.call(SYS_clone3, u.bytes(b), uint64(len(b)))
	assert.Equal(t, errno.E2BIG, err)
	b[95] = 0
	pid, err := u.call(SYS_clone3, u.bytes(b), uint64(len(b)))
	require.NoError(t, err)
	assert.NotNil(t, h.k.FindTask(int(pid)), "a child")
}

// FuzzClone3Args: struct clone_args is untrusted; parsing never panics and
// what it accepts passes clone3_args_valid's invariants.
func FuzzClone3Args(f *testing.F) {
	f.Add(cloneArgsBytes(0, 0, 0, 0, 17, 0, 0, 0), uint64(64))
	f.Add(cloneArgsBytes(CLONE_PIDFD, 0x1000, 0, 0, 17, 0x2000, 0x1000, 0, 0x3000, 1, 0), uint64(88))
	h := newHarness(f)
	u := h.newTask(f)
	buf := u.alloc(4096)
	f.Fuzz(func(t *testing.T, b []byte, size uint64) {
		if len(b) > 4096 {
			b = b[:4096]
		}
		require.NoError(t, u.MM.CopyOut(buf, append(b, make([]byte, 4096-len(b))...)))
		c, err := u.copyCloneArgs(buf, size%5000)
		if err != nil {
			return
		}
		if c.valid() {
			assert.Zero(t, c.flags&(CSIGNAL|CLONE_DETACHED))
			assert.Equal(t, c.stack == 0, c.stackSize == 0)
		}
	})
}
