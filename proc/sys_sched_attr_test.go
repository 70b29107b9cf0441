package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/sched"
)

func schedAttrBytes(size, policy uint32, flags uint64, nice int32, prio uint32, extra int) []byte {
	a := schedAttr{size: size, policy: policy, flags: flags, nice: nice, priority: prio}
	return append(a.encode(), make([]byte, extra)...)
}

func TestSchedSetattrGetattr(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	for _, tc := range []struct {
		name string
		b    []byte
		err  error
	}{
		{"nice 5", schedAttrBytes(56, 0, 0, 5, 0, 0), nil},
		{"size 0 is VER0", schedAttrBytes(0, 0, 0, 6, 0, 0), nil},
		{"size 40", schedAttrBytes(40, 0, 0, 0, 0, 0), errno.E2BIG},
		{"unknown flag", schedAttrBytes(56, 0, 0x80, 0, 0, 0), errno.EINVAL},
		{"clamp with VER0", schedAttrBytes(48, 0, SCHED_FLAG_UTIL_CLAMP_MIN, 0, 0, 0), errno.EINVAL},
		{"clamp unsupported", schedAttrBytes(56, 0, SCHED_FLAG_UTIL_CLAMP_MIN, 0, 0, 0), errno.EOPNOTSUPP},
		{"FIFO 0", schedAttrBytes(56, uint32(sched.SchedFIFO), 0, 0, 0, 0), errno.EINVAL},
		{"FIFO 10", schedAttrBytes(56, uint32(sched.SchedFIFO), 0, 0, 10, 0), nil},
		{"zero tail", schedAttrBytes(64, 0, 0, 0, 0, 8), nil},
	} {
		_, err := u.call(SYS_sched_setattr, 0, u.bytes(tc.b), 0)
		assert.Equal(t, tc.err, err, tc.name)
	}
	// The E2BIG case wrote the kernel's size back.
	va := u.bytes(schedAttrBytes(40, 0, 0, 0, 0, 0))
	_, err := u.call(SYS_sched_setattr, 0, va, 0)
	require.Equal(t, errno.E2BIG, err)
	assert.Equal(t, uint32(schedAttrSizeVer1), u.u32(va))

	require.NoError(t, errOf(u.call(SYS_sched_setattr, 0, u.bytes(schedAttrBytes(56, uint32(sched.SchedBatch), 0, 7, 0, 0)), 0)))
	out := u.alloc(64)
	_, err = u.call(SYS_sched_getattr, 0, out, 56, 0)
	require.NoError(t, err)
	b := u.read(out, 56)
	assert.Equal(t, uint32(56), binary.LittleEndian.Uint32(b))
	assert.Equal(t, uint32(sched.SchedBatch), binary.LittleEndian.Uint32(b[4:]))
	assert.Equal(t, int32(7), int32(binary.LittleEndian.Uint32(b[16:])))
	_, err = u.call(SYS_sched_getattr, 0, out, 47, 0)
	assert.Equal(t, errno.EINVAL, err)
}

func errOf(_ uint64, err error) error { return err }

// FuzzSchedAttr: struct sched_attr is untrusted input.
func FuzzSchedAttr(f *testing.F) {
	f.Add(schedAttrBytes(56, 0, 0, 5, 0, 0))
	f.Add(schedAttrBytes(0, 1, 0x18, -3, 50, 16))
	h := newHarness(f)
	u := h.newTask(f)
	buf := u.alloc(8192)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 8192 {
			b = b[:8192]
		}
		require.NoError(t, u.MM.CopyOut(buf, append(b, make([]byte, 8192-len(b))...)))
		a, err := u.copySchedAttr(buf)
		if err == nil {
			assert.True(t, a.nice >= -20 && a.nice <= 19, "nice clamped")
			assert.True(t, a.size >= schedAttrSizeVer0 && a.size <= 4096)
		}
	})
}
