package proc

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/mm"
)

func TestMlock(t *testing.T) {
	u := newHarness(t).newTask(t)
	const pg = mm.PageSize
	base, err := u.MM.Mmap(0, 3*pg, mm.PROT_READ|mm.PROT_WRITE, mm.MAP_PRIVATE|mm.MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	require.NoError(t, u.MM.Munmap(base+pg, pg))
	tests := []struct {
		name string
		nr   uint64
		args []uint64
		err  error
	}{
		{"mlock one page", SYS_mlock, []uint64{base, pg}, nil},
		{"mlock unaligned", SYS_mlock, []uint64{base + 100, 10}, nil},
		{"mlock length 0", SYS_mlock, []uint64{base, 0}, nil},
		{"mlock length 0 unmapped", SYS_mlock, []uint64{0, 0}, nil},
		{"mlock over a hole", SYS_mlock, []uint64{base, 3 * pg}, errno.ENOMEM},
		{"mlock spills into the hole", SYS_mlock, []uint64{base + pg - 1, 2}, errno.ENOMEM},
		{"mlock page 0", SYS_mlock, []uint64{0, pg}, errno.ENOMEM},
		{"mlock wraps", SYS_mlock, []uint64{^uint64(0) - pg + 1, 2 * pg}, errno.EINVAL},
		{"munlock", SYS_munlock, []uint64{base + 2*pg, pg}, nil},
		{"munlock over a hole", SYS_munlock, []uint64{base, 3 * pg}, errno.ENOMEM},
		{"mlock2 0", SYS_mlock2, []uint64{base, pg, 0}, nil},
		{"mlock2 ONFAULT", SYS_mlock2, []uint64{base, pg, MLOCK_ONFAULT}, nil},
		{"mlock2 bad flags", SYS_mlock2, []uint64{base, pg, 2}, errno.EINVAL},
		{"mlock2 bad flags first", SYS_mlock2, []uint64{0, pg, 2}, errno.EINVAL},
		{"mlockall current", SYS_mlockall, []uint64{MCL_CURRENT}, nil},
		{"mlockall all", SYS_mlockall, []uint64{MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT}, nil},
		{"mlockall 0", SYS_mlockall, []uint64{0}, errno.EINVAL},
		{"mlockall onfault alone", SYS_mlockall, []uint64{MCL_ONFAULT}, errno.EINVAL},
		{"mlockall bad", SYS_mlockall, []uint64{8}, errno.EINVAL},
		{"munlockall", SYS_munlockall, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := u.call(tc.nr, tc.args...)
			assert.Equal(t, tc.err, err)
		})
	}
}
