package errno

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestErrnoValuesMatchLinux(t *testing.T) {
	for _, tc := range []struct {
		e    Errno
		v    uintptr
		name string
	}{
		{EPERM, 1, "EPERM"}, {ENOENT, 2, "ENOENT"}, {EINTR, 4, "EINTR"},
		{ENOEXEC, 8, "ENOEXEC"}, {ECHILD, 10, "ECHILD"}, {EAGAIN, 11, "EAGAIN"},
		{ENOMEM, 12, "ENOMEM"}, {EFAULT, 14, "EFAULT"}, {EINVAL, 22, "EINVAL"},
		{EPIPE, 32, "EPIPE"}, {ENOSYS, 38, "ENOSYS"}, {ETIMEDOUT, 110, "ETIMEDOUT"},
	} {
		assert.Equal(t, tc.v, uintptr(tc.e))
		assert.Equal(t, tc.name, tc.e.Name())
	}
	assert.Equal(t, EAGAIN, EWOULDBLOCK)
	assert.Equal(t, "Bad address", EFAULT.Error())
	assert.Equal(t, uint64(0xfffffffffffffff2), EFAULT.Negated())
	assert.Equal(t, "errno 4000", Errno(4000).Error())
}

func TestIsRestart(t *testing.T) {
	for _, tc := range []struct {
		rax  uint64
		want bool
	}{
		{0, false},
		{42, false},
		{EINTR.Negated(), false},
		{ERESTARTSYS.Negated(), true},
		{ERESTARTNOINTR.Negated(), true},
		{ERESTARTNOHAND.Negated(), true},
		{Errno(515).Negated(), false}, // ENOIOCTLCMD, not a restart
		{ERESTART_RESTARTBLOCK.Negated(), true},
		{Errno(517).Negated(), false},
		{Errno(511).Negated(), false},
		{1 << 63, false},
	} {
		assert.Equal(t, tc.want, IsRestart(tc.rax), "rax %#x", tc.rax)
	}
}
