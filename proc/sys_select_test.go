package proc

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
	"tamix/mm"
)

// fdsetBytes is an fd_set of words 64-bit words with the given bits set.
func fdsetBytes(words int, fds ...int) []byte {
	b := make([]byte, words*8)
	for _, fd := range fds {
		b[fd/8] |= 1 << (fd % 8)
	}
	return b
}

// bitsOf lists the set bits of an fd_set.
func bitsOf(b []byte) []int {
	var fds []int
	for i := range len(b) * 8 {
		if b[i/8]&(1<<(i%8)) != 0 {
			fds = append(fds, i)
		}
	}
	return fds
}

func timeval(sec, usec int64) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(sec))
	return binary.LittleEndian.AppendUint64(b, uint64(usec))
}

func (u *utask) timevalAt(va uint64) (int64, int64) {
	b := u.read(va, 16)
	return int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:]))
}

func TestSelectReadiness(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, w := u.mkpipe(t, 0)
	r2, w2 := u.mkpipe(t, 0)
	null := int(u.open(t, "/dev/null", fs.O_RDWR))
	zero := u.bytes(timeval(0, 0))
	rd, wr, ex := u.alloc(8), u.alloc(8), u.alloc(8)
	sel := func(nfds int, in, out, exc []int) (uint64, error) {
		u.MM.CopyOut(rd, fdsetBytes(1, in...))
		u.MM.CopyOut(wr, fdsetBytes(1, out...))
		u.MM.CopyOut(ex, fdsetBytes(1, exc...))
		return u.call(SYS_select, uint64(nfds), rd, wr, ex, zero)
	}
	n, err := sel(w2+1, []int{r, w}, []int{r, w}, []int{r, w})
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n, "only the write end is writable")
	assert.Empty(t, bitsOf(u.read(rd, 8)))
	assert.Equal(t, []int{w}, bitsOf(u.read(wr, 8)))
	assert.Empty(t, bitsOf(u.read(ex, 8)), "pipes have no exceptional conditions")

	_, err = u.call(SYS_write, uint64(w), u.bytes([]byte("x")), 1)
	require.NoError(t, err)
	n, err = sel(w2+1, []int{r, r2}, []int{w, w2}, nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), n, "each set bit that is ready counts")
	assert.Equal(t, []int{r}, bitsOf(u.read(rd, 8)))
	assert.Equal(t, []int{w, w2}, bitsOf(u.read(wr, 8)))

	// Hang-up reads as readable; a write end without readers as writable.
	u.call(SYS_close, uint64(w2))
	u.call(SYS_close, uint64(r))
	n, err = sel(w2+1, []int{r2}, []int{w}, []int{r2, w})
	require.NoError(t, err)
	assert.Equal(t, uint64(2), n)
	assert.Equal(t, []int{r2}, bitsOf(u.read(rd, 8)), "POLLHUP")
	assert.Equal(t, []int{w}, bitsOf(u.read(wr, 8)), "POLLERR")

	n, err = sel(null+1, []int{null}, []int{null}, nil)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), n, "/dev/null is always ready")

	// NULL sets and nfds 0 with a zero timeout: nothing to do.
	n, err = u.call(SYS_select, 0, 0, 0, 0, zero)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestSelectErrors(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, w := u.mkpipe(t, 0) // 0 and 1: a harness task starts with no descriptors
	require.Equal(t, []int{0, 1}, []int{r, w})
	zero := u.bytes(timeval(0, 0))
	set := u.alloc(32)
	bad := uint64(0xffff800000000000)
	tests := []struct {
		name    string
		nfds    uint64
		in      []byte
		tv      uint64
		want    uint64
		err     error
		written []byte // the set afterwards (nil: as before)
	}{
		{"negative nfds", ^uint64(0), fdsetBytes(4, 0), zero, 0, errno.EINVAL, nil},
		{"nfds is an int", 1<<32 | 2, fdsetBytes(4, 1), zero, 0, nil, fdsetBytes(4)},
		{"closed fd", 8, fdsetBytes(4, 0, 5), zero, 0, errno.EBADF, nil},
		{"bits at or above nfds are not checked", 2, fdsetBytes(4, 1, 5), zero, 0, nil, fdsetBytes(4)},
		{"but their word is written back", 2, fdsetBytes(4, 63, 64), zero, 0, nil, append(fdsetBytes(1), fdsetBytes(3, 0)...)},
		{"nfds is cut to the table size (64)", 1 << 20, fdsetBytes(4, 100, 200), zero, 0, nil, fdsetBytes(4, 100, 200)},
		{"negative tv_usec", 2, fdsetBytes(4, 1), u.bytes(timeval(1, -1)), 0, errno.EINVAL, nil},
		{"negative tv_sec", 2, fdsetBytes(4, 1), u.bytes(timeval(-1, 0)), 0, errno.EINVAL, nil},
		{"tv_usec carries into tv_sec", 2, fdsetBytes(4, 1), u.bytes(timeval(0, 1_500_000)), 0, nil, fdsetBytes(4)},
		{"tv_usec borrows from tv_sec", 2, fdsetBytes(4, 1), u.bytes(timeval(2, -1_000_000)), 0, nil, fdsetBytes(4)},
		{"bad timeval", 2, fdsetBytes(4, 1), bad, 0, errno.EFAULT, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, u.MM.CopyOut(set, tc.in))
			// Set 1 (the write end) in writefds too, so the call never sleeps.
			wr := u.bytes(fdsetBytes(1, w))
			n, err := u.call(SYS_select, tc.nfds, set, wr, 0, tc.tv)
			assert.Equal(t, tc.err, err)
			if tc.err == nil {
				assert.Equal(t, uint64(1), n)
			}
			want := tc.written
			if want == nil {
				want = tc.in
			}
			assert.Equal(t, want, u.read(set, 32))
		})
	}
	_, err := u.call(SYS_select, 2, bad, 0, 0, zero)
	assert.Equal(t, errno.EFAULT, err, "unreadable readfds")
	_, err = u.call(SYS_select, 2, 0, 0, u.bytes(fdsetBytes(1)), zero)
	assert.NoError(t, err)
	_, err = u.call(SYS_select, 0, bad, bad, bad, zero)
	assert.NoError(t, err, "nfds 0 reads no set")

	// The table grows with the descriptors: dup2 to 100 makes it 128.
	_, err = u.call(SYS_dup2, uint64(w), 100)
	require.NoError(t, err)
	require.NoError(t, u.MM.CopyOut(set, fdsetBytes(4, 100, 127)))
	_, err = u.call(SYS_select, 1000, 0, set, 0, zero)
	assert.Equal(t, errno.EBADF, err, "fd 127 is within the table now, and closed")
	require.NoError(t, u.MM.CopyOut(set, fdsetBytes(4, 100, 128)))
	n, err := u.call(SYS_select, 1000, 0, set, 0, zero)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
	assert.Equal(t, fdsetBytes(4, 100, 128), u.read(set, 32), "two words written, bit 128 beyond them")

	// A write-back fault is EFAULT (after the wait).
	ro, err := u.call(SYS_mmap, 0, mm.PageSize, mm.PROT_READ, mm.MAP_PRIVATE|mm.MAP_ANONYMOUS, ^uint64(0), 0)
	require.NoError(t, err)
	_, err = u.call(SYS_select, 2, 0, ro, 0, zero)
	assert.Equal(t, errno.EFAULT, err, "the (empty) result cannot be written back")
}

func TestSelectSleeps(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, w := u.mkpipe(t, 0)
	rd := u.alloc(8)
	tv := u.alloc(16)
	u.MM.CopyOut(rd, fdsetBytes(1, r))
	u.MM.CopyOut(tv, timeval(1, 0))
	_, err := u.call(SYS_select, uint64(r+1), rd, 0, 0, tv)
	require.ErrorIs(t, err, errBlock)
	require.True(t, u.sleeping())
	of, _ := u.Files.Get(r)
	q := of.File.Wait()
	of.put()
	assert.Equal(t, 1, q.Len(), "queued on the pipe")

	h.now += 250_000_000
	_, err = u.call(SYS_write, uint64(w), u.bytes([]byte("x")), 1)
	require.NoError(t, err)
	assert.False(t, u.sleeping(), "the write woke it")
	n, err := u.call(SYS_select, uint64(r+1), rd, 0, 0, tv)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
	assert.Zero(t, q.Len(), "off the queue")
	sec, usec := u.timevalAt(tv)
	assert.Equal(t, [2]int64{0, 750_000}, [2]int64{sec, usec}, "the time left is written back")
	assert.False(t, u.restart.armed)

	// A timeout that expires: 0, an empty set, the timeval zeroed.
	u.call(SYS_read, uint64(r), u.alloc(8), 8)
	u.MM.CopyOut(tv, timeval(0, 10_000))
	_, err = u.call(SYS_select, uint64(r+1), rd, 0, 0, tv)
	require.ErrorIs(t, err, errBlock)
	h.now += 10_000_000
	h.k.RunTimers(h.now)
	assert.False(t, u.sleeping(), "the timer woke it")
	n, err = u.call(SYS_select, uint64(r+1), rd, 0, 0, tv)
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Empty(t, bitsOf(u.read(rd, 8)))
	sec, usec = u.timevalAt(tv)
	assert.Zero(t, sec|usec)

	// No descriptors at all: select as a sleep.
	u.MM.CopyOut(tv, timeval(0, 5_000))
	_, err = u.call(SYS_select, 0, 0, 0, 0, tv)
	require.ErrorIs(t, err, errBlock)
	h.now += 5_000_000
	h.k.RunTimers(h.now)
	n, err = u.call(SYS_select, 0, 0, 0, 0, tv)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestSelectSignal(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, _ := u.mkpipe(t, 0)
	rd := u.bytes(fdsetBytes(1, r))
	_, err := u.call(SYS_select, uint64(r+1), rd, 0, 0, 0)
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	assert.False(t, u.sleeping())
	_, err = u.call(SYS_select, uint64(r+1), rd, 0, 0, 0)
	assert.Equal(t, errno.ERESTARTNOHAND, err)
	assert.Equal(t, []int{r}, bitsOf(u.read(rd, 8)), "the sets are left alone")

	// Even a zero timeout reports the signal when nothing is ready.
	zero := u.bytes(timeval(0, 0))
	_, err = u.call(SYS_select, uint64(r+1), rd, 0, 0, zero)
	assert.Equal(t, errno.ERESTARTNOHAND, err)
	// A timeval that cannot be written back makes it EINTR: the call
	// could not restart with the time left.
	ro, err := u.call(SYS_mmap, 0, mm.PageSize, mm.PROT_READ|mm.PROT_WRITE, mm.MAP_PRIVATE|mm.MAP_ANONYMOUS, ^uint64(0), 0)
	require.NoError(t, err)
	require.NoError(t, u.MM.CopyOut(ro, timeval(5, 0)))
	_, err = u.call(SYS_mprotect, ro, mm.PageSize, mm.PROT_READ)
	require.NoError(t, err)
	_, err = u.call(SYS_select, uint64(r+1), rd, 0, 0, ro)
	assert.Equal(t, errno.EINTR, err)
	assert.Equal(t, []int{r}, bitsOf(u.read(rd, 8)))
}

func TestPselect6(t *testing.T) {
	h := newHarness(t)
	u := h.newTask(t)
	r, w := u.mkpipe(t, 0)
	rd := u.alloc(8)
	u.MM.CopyOut(rd, fdsetBytes(1, r))
	mask := u.bytes(binary.LittleEndian.AppendUint64(nil, uint64(Bit(SIGUSR1))))
	pack := func(ss, size uint64) uint64 {
		return u.bytes(binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, ss), size))
	}
	ts := u.alloc(16)
	u.MM.CopyOut(ts, timeval(1, 0)) // {1 s, 0 ns}

	_, err := u.call(SYS_pselect6, uint64(r+1), rd, 0, 0, ts, pack(mask, 4))
	assert.Equal(t, errno.EINVAL, err, "ss_len must be 8")
	_, err = u.call(SYS_pselect6, uint64(r+1), rd, 0, 0, ts, 0xffff800000000000)
	assert.Equal(t, errno.EFAULT, err, "bad argument pack")
	_, err = u.call(SYS_pselect6, uint64(r+1), rd, 0, 0, u.bytes(timeval(0, 1_000_000_000)), 0)
	assert.Equal(t, errno.EINVAL, err, "tv_nsec out of range")
	assert.False(t, u.Blocked.Has(SIGUSR1))

	_, err = u.call(SYS_pselect6, uint64(r+1), rd, 0, 0, ts, pack(mask, 8))
	require.ErrorIs(t, err, errBlock)
	assert.True(t, u.Blocked.Has(SIGUSR1), "the temporary mask is in force while waiting")
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR1, Code: SI_USER}, false)
	assert.True(t, u.sleeping(), "a signal the mask blocks does not interrupt")
	h.now += 400_000_000
	_, err = u.call(SYS_write, uint64(w), u.bytes([]byte("x")), 1)
	require.NoError(t, err)
	n, err := u.call(SYS_pselect6, uint64(r+1), rd, 0, 0, ts, pack(mask, 8))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), n)
	assert.False(t, u.Blocked.Has(SIGUSR1), "the old mask is back")
	sec, nsec := u.timevalAt(ts)
	assert.Equal(t, [2]int64{0, 600_000_000}, [2]int64{sec, nsec}, "timespec written back")

	// Interrupted: the temporary mask stays for the handler.
	u.call(SYS_read, uint64(r), u.alloc(8), 8)
	u.Pending = SigPending{}
	none := u.bytes(make([]byte, 8))
	_, err = u.call(SYS_pselect6, uint64(r+1), rd, 0, 0, 0, pack(none, 8))
	require.ErrorIs(t, err, errBlock)
	h.k.SendSignalInfo(u.Task, SigInfo{Signo: SIGUSR2, Code: SI_USER}, false)
	_, err = u.call(SYS_pselect6, uint64(r+1), rd, 0, 0, 0, pack(none, 8))
	assert.Equal(t, errno.ERESTARTNOHAND, err)
	assert.True(t, u.restoreSigmask, "restored by the handler's sigreturn")
	assert.Equal(t, SigSet(0), u.Blocked)
}
