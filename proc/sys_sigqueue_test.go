package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

// userSiginfo builds a user siginfo with si_code and si_value.
func (u *utask) userSiginfo(signo, code int32, value uint64) uint64 {
	b := make([]byte, 128)
	binary.LittleEndian.PutUint32(b[0:], uint32(signo))
	binary.LittleEndian.PutUint32(b[8:], uint32(code))
	binary.LittleEndian.PutUint32(b[16:], uint32(u.TGID))
	binary.LittleEndian.PutUint64(b[24:], value)
	return u.bytes(b)
}

func TestRtSigqueueinfo(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	other := h.newTask(t)
	self, oth := uint64(u.PID), uint64(other.PID)
	tests := []struct {
		name string
		nr   uint64
		args func() []uint64
		err  error
	}{
		{"queue to self", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{self, SIGUSR1, u.userSiginfo(0, SI_QUEUE, 1)} }, nil},
		{"queue to another", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{oth, SIGUSR1, u.userSiginfo(0, SI_QUEUE, 1)} }, nil},
		{"SI_USER to another", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{oth, SIGUSR1, u.userSiginfo(0, SI_USER, 1)} }, errno.EPERM},
		{"SI_KERNEL to another", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{oth, SIGUSR1, u.userSiginfo(0, SI_KERNEL, 1)} }, errno.EPERM},
		{"SI_TKILL to another", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{oth, SIGUSR1, u.userSiginfo(0, SI_TKILL, 1)} }, errno.EPERM},
		{"SI_USER to self", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{self, SIGUSR1, u.userSiginfo(0, SI_USER, 1)} }, nil},
		{"bad siginfo", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{self, SIGUSR1, kernelVA} }, errno.EFAULT},
		{"EPERM before ESRCH", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{99999, SIGUSR1, u.userSiginfo(0, SI_USER, 1)} }, errno.EPERM},
		{"no such process", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{99999, SIGUSR1, u.userSiginfo(0, SI_QUEUE, 1)} }, errno.ESRCH},
		{"pid 0", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{0, SIGUSR1, u.userSiginfo(0, SI_QUEUE, 1)} }, errno.ESRCH},
		{"bad signal", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{self, 65, u.userSiginfo(0, SI_QUEUE, 1)} }, errno.EINVAL},
		{"signal 0", SYS_rt_sigqueueinfo, func() []uint64 { return []uint64{self, 0, u.userSiginfo(0, SI_QUEUE, 1)} }, nil},
		{"tg to self", SYS_rt_tgsigqueueinfo, func() []uint64 { return []uint64{uint64(u.TGID), self, SIGUSR1, u.userSiginfo(0, SI_QUEUE, 1)} }, nil},
		{"tg tid 0", SYS_rt_tgsigqueueinfo, func() []uint64 { return []uint64{uint64(u.TGID), 0, SIGUSR1, u.userSiginfo(0, SI_QUEUE, 1)} }, errno.EINVAL},
		{"tg tgid 0", SYS_rt_tgsigqueueinfo, func() []uint64 { return []uint64{0, self, SIGUSR1, u.userSiginfo(0, SI_QUEUE, 1)} }, errno.EINVAL},
		{"tg wrong group", SYS_rt_tgsigqueueinfo, func() []uint64 { return []uint64{uint64(other.TGID), self, SIGUSR1, u.userSiginfo(0, SI_QUEUE, 1)} }, errno.ESRCH},
		{"tg SI_TKILL to another", SYS_rt_tgsigqueueinfo, func() []uint64 { return []uint64{uint64(other.TGID), oth, SIGUSR1, u.userSiginfo(0, SI_TKILL, 1)} }, errno.EPERM},
		{"tg bad signal", SYS_rt_tgsigqueueinfo, func() []uint64 { return []uint64{uint64(u.TGID), self, 99, u.userSiginfo(0, SI_QUEUE, 1)} }, errno.EINVAL},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(tc.nr, tc.args()...)
			assert.Equal(t, tc.err, err)
		})
	}
}

func TestSigqueueValueAndOrder(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	u.Blocked = Bit(SIGRTMIN) | Bit(SIGRTMIN+1) | Bit(SIGUSR2)
	for i := range 3 {
		_, err := u.call(SYS_rt_sigqueueinfo, uint64(u.PID), SIGRTMIN+1, u.userSiginfo(99, SI_QUEUE, uint64(10+i)))
		require.NoError(t, err)
		_, err = u.call(SYS_rt_sigqueueinfo, uint64(u.PID), SIGRTMIN, u.userSiginfo(99, SI_QUEUE, uint64(20+i)))
		require.NoError(t, err)
	}
	for i := range 2 {
		_, err := u.call(SYS_rt_tgsigqueueinfo, uint64(u.TGID), uint64(u.PID), SIGUSR2, u.userSiginfo(0, SI_QUEUE, uint64(1+i)))
		require.NoError(t, err)
	}
	u.Blocked = 0
	type got struct {
		sig   int32
		value uint64
	}
	var order []got
	for {
		si, ok := h.k.dequeueSignal(u.Task)
		if !ok {
			break
		}
		b := si.encode()
		assert.Equal(t, uint32(si.Signo), binary.LittleEndian.Uint32(b), "si_signo is the signal sent")
		assert.Equal(t, int32(SI_QUEUE), int32(binary.LittleEndian.Uint32(b[8:])))
		assert.Equal(t, uint32(u.TGID), binary.LittleEndian.Uint32(b[16:]), "si_pid as written")
		order = append(order, got{si.Signo, binary.LittleEndian.Uint64(b[24:])})
	}
	assert.Equal(t, []got{
		{SIGUSR2, 1}, // standard signals coalesce: the first stays
		{SIGRTMIN, 20}, {SIGRTMIN, 21}, {SIGRTMIN, 22},
		{SIGRTMIN + 1, 10}, {SIGRTMIN + 1, 11}, {SIGRTMIN + 1, 12},
	}, order)
}
