package proc

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"tamix/errno"
)

func TestSigAltStackSet(t *testing.T) {
	const base, size = 0x10000, 0x4000
	for _, tc := range []struct {
		name      string
		cur       sigAltStack
		sp        uint64
		ssFlags   uint32
		ssSize    uint64
		err       error
		wantFlags uint32
	}{
		{"set", sigAltStack{}, 0x7000_0000, 0, size, nil, 0},
		{"too small", sigAltStack{}, 0x7000_0000, 0, MINSIGSTKSZ - 1, errno.ENOMEM, 0},
		{"bad mode", sigAltStack{}, 0x7000_0000, 3, size, errno.EINVAL, 0},
		{"autodisarm", sigAltStack{}, 0x7000_0000, SS_AUTODISARM, size, nil, SS_AUTODISARM},
		{"while on it", sigAltStack{base, size, 0}, base + 0x100, 0, size, errno.EPERM, 0},
		{"on it but disarmed", sigAltStack{base, size, SS_AUTODISARM}, base + 0x100, 0, size, nil, 0},
		{"disable: small size is fine", sigAltStack{base, size, 0}, 0x7000_0000, SS_DISABLE, 1, nil, SS_DISABLE},
	} {
		s := tc.cur
		err := s.set(tc.sp, base, tc.ssFlags, tc.ssSize)
		assert.Equal(t, tc.err, err, tc.name)
		if err == nil {
			assert.Equal(t, tc.wantFlags, s.flags, tc.name)
			if tc.ssFlags == SS_DISABLE {
				assert.Equal(t, SS_DISABLE, int(s.ssFlags(0x7000_0000)), tc.name)
			}
		}
	}
}

func TestSigframeStack(t *testing.T) {
	s := sigAltStack{sp: 0x10000, size: 0x4000}
	top, entering, ok := s.sigframeStack(0x7000_0000, true, 1200)
	assert.True(t, ok)
	assert.True(t, entering)
	assert.Equal(t, uint64(0x14000), top, "the top of the alternate stack, no red zone")
	top, entering, ok = s.sigframeStack(0x7000_0000, false, 1200)
	assert.True(t, ok)
	assert.False(t, entering)
	assert.Equal(t, uint64(0x7000_0000-128), top, "below the red zone")
	_, _, ok = s.sigframeStack(0x10000+500, true, 1200)
	assert.False(t, ok, "nested: the frame would overflow the alternate stack")
	top, _, ok = s.sigframeStack(0x12000, true, 1200)
	assert.True(t, ok, "nested with room")
	assert.Equal(t, uint64(0x12000-128), top)
}
