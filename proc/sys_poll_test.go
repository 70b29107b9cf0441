package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

func pollfds(fds ...int32) []byte {
	b := make([]byte, 0, len(fds)*8)
	for i := 0; i+1 < len(fds); i += 2 {
		var r [8]byte
		binary.LittleEndian.PutUint32(r[0:], uint32(fds[i]))
		binary.LittleEndian.PutUint16(r[4:], uint16(fds[i+1]))
		b = append(b, r[:]...)
	}
	return b
}

func (u *utask) revents(va uint64, i int) uint16 {
	return binary.LittleEndian.Uint16(u.read(va+uint64(i)*8+6, 2))
}

func TestPollReady(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, w := u.mkpipe(t, 0)
	pf := u.bytes(pollfds(int32(r), fs.POLLIN, int32(w), fs.POLLOUT, 77, fs.POLLIN, -1, fs.POLLIN))
	n, err := u.call(SYS_poll, pf, 4, 0)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), n, "write end and the closed fd")
	assert.Zero(t, u.revents(pf, 0))
	assert.Equal(t, uint16(fs.POLLOUT), u.revents(pf, 1))
	assert.Equal(t, uint16(fs.POLLNVAL), u.revents(pf, 2))
	assert.Zero(t, u.revents(pf, 3))

	_, err = u.call(SYS_poll, 0xffff800000000000, 1, 0)
	assert.Equal(t, errno.EFAULT, err)
	_, err = u.call(SYS_poll, pf, NrOpenDefault+1, 0)
	assert.Equal(t, errno.EINVAL, err)
}

func TestPollBlocksUntilWrite(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, w := u.mkpipe(t, 0)
	r2, _ := u.mkpipe(t, 0)
	pf := u.bytes(pollfds(int32(r), fs.POLLIN, int32(r2), fs.POLLIN))
	_, err := u.call(SYS_poll, pf, 2, uint64(0xffffffff)) // -1: no timeout
	require.ErrorIs(t, err, errBlock)
	require.True(t, u.sleeping())
	rq := func(fd int) *fs.WaitQueue {
		of, _ := u.Files.Get(fd)
		defer of.put()
		return of.File.Wait()
	}
	assert.Equal(t, 1, rq(r).Len())
	assert.Equal(t, 1, rq(r2).Len(), "queued on every polled file")

	_, err = u.call(SYS_write, uint64(w), u.bytes([]byte("b")), 1)
	require.NoError(t, err)
	assert.False(t, u.sleeping(), "the write woke the poller")
	n, err := u.call(SYS_poll, pf, 2, uint64(0xffffffff))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
	assert.Equal(t, uint16(fs.POLLIN), u.revents(pf, 0))
	assert.Zero(t, rq(r2).Len(), "the re-run left no entries behind")
	assert.False(t, u.restart.armed)
}

func TestPollTimeoutAndSignal(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, _ := u.mkpipe(t, 0)
	pf := u.bytes(pollfds(int32(r), fs.POLLIN))
	_, err := u.call(SYS_poll, pf, 1, 10)
	require.ErrorIs(t, err, errBlock)
	h.now += 5_000_000
	h.k.RunTimers(h.now)
	assert.True(t, u.sleeping(), "not yet")
	h.now += 5_000_000
	h.k.RunTimers(h.now)
	assert.False(t, u.sleeping(), "the timer woke it")
	n, err := u.call(SYS_poll, pf, 1, 10)
	assert.NoError(t, err)
	assert.Zero(t, n, "timed out")

	_, err = u.call(SYS_poll, pf, 1, uint64(0xffffffff))
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	assert.False(t, u.sleeping())
	_, err = u.call(SYS_poll, pf, 1, uint64(0xffffffff))
	assert.Equal(t, errno.ERESTART_RESTARTBLOCK, err)
}

func TestPpollSigmask(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, w := u.mkpipe(t, 0)
	pf := u.bytes(pollfds(int32(r), fs.POLLIN))
	mask := u.alloc(8)
	u.MM.CopyOut(mask, binary.LittleEndian.AppendUint64(nil, uint64(Bit(SIGUSR1))))
	ts := u.bytes(make([]byte, 16))
	u.MM.CopyOut(ts, binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, 1), 0)) // 1 s

	_, err := u.call(SYS_ppoll, pf, 1, ts, mask, 4)
	assert.Equal(t, errno.EINVAL, err, "sigsetsize must be 8")

	_, err = u.call(SYS_ppoll, pf, 1, ts, mask, 8)
	require.ErrorIs(t, err, errBlock)
	assert.True(t, u.Blocked.Has(SIGUSR1), "the temporary mask is in force while waiting")
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	assert.True(t, u.sleeping(), "a signal blocked by the ppoll mask does not interrupt")
	h.now += 250_000_000
	u.call(SYS_write, uint64(w), u.bytes([]byte("x")), 1)
	n, err := u.call(SYS_ppoll, pf, 1, ts, mask, 8)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
	assert.False(t, u.Blocked.Has(SIGUSR1), "the old mask is back")
	left := u.read(ts, 16)
	assert.Equal(t, uint64(0), binary.LittleEndian.Uint64(left))
	assert.Equal(t, uint64(750_000_000), binary.LittleEndian.Uint64(left[8:]), "time left written back")
}
