package mm

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

func TestVMLimits(t *testing.T) {
	m := newEnv(t, 256).newMM(t)
	m.SetVMLimits(16*PageSize, 8*PageSize)
	_, err := m.Mmap(0, 20*PageSize, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	assert.Equal(t, errno.ENOMEM, err, "past RLIMIT_AS")
	a, err := m.Mmap(0, 8*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err, "8 data pages fit")
	_, err = m.Mmap(0, PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	assert.Equal(t, errno.ENOMEM, err, "a ninth data page is past RLIMIT_DATA")
	_, err = m.Mmap(a, 8*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, nil, 0)
	assert.NoError(t, err, "MAP_FIXED over itself replaces, it does not add")
	_, err = m.Mmap(0, 4*PageSize, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_ANONYMOUS, nil, 0)
	assert.NoError(t, err, "shared memory is not data")
	m.SetVMLimits(noLimit, noLimit)
	_, err = m.Mmap(0, 64*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	assert.NoError(t, err, "no limits")
}

func TestVMLimitsMremap(t *testing.T) {
	m := newEnv(t, 256).newMM(t)
	a, err := m.Mmap(0, 4*PageSize, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, nil, 0)
	require.NoError(t, err)
	m.SetVMLimits(noLimit, 6*PageSize)
	_, err = m.Mremap(a, 4*PageSize, 8*PageSize, MREMAP_MAYMOVE, 0)
	assert.Equal(t, errno.ENOMEM, err, "growing past RLIMIT_DATA")
	_, err = m.Mremap(a, 4*PageSize, 6*PageSize, MREMAP_MAYMOVE, 0)
	assert.NoError(t, err, "up to it is fine")
}
