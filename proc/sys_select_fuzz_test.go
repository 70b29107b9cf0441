package proc

import (
	"encoding/binary"
	"math/bits"
	"testing"

	"github.com/stretchr/testify/require"

	"tamix/errno"
	"tamix/fs"
)

// FuzzSelect feeds select random nfds values, fd_sets and descriptor
// tables, and checks the result against a bit-by-bit model of Linux's
// core_sys_select: nfds cut to the table size, EBADF for a set bit on a
// closed descriptor, the ready bits, whole words written back, the bytes
// beyond them and every set after an error left alone.
func FuzzSelect(f *testing.F) {
	f.Add([]byte{8, 0, 0, 0, 0, 0, 0x0f, 0x1f, 0xff})
	f.Add([]byte{0xff, 0xff, 0, 0, 0, 0, 1})
	f.Add([]byte{0, 4, 100, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10})
	f.Add([]byte{65, 0, 64, 3, 0, 0x02, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1})
	f.Add([]byte{0, 0x80, 200, 5, 0x30, 0, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 6 {
			return
		}
		h := newHarness(t)
		u := h.newTask(t)
		// 0 1: an empty pipe, 2 3: a pipe with data, 4: /dev/null.
		u.mkpipe(t, 0)
		_, w := u.mkpipe(t, 0)
		u.call(SYS_write, uint64(w), u.bytes([]byte("x")), 1)
		u.open(t, "/dev/null", fs.O_RDWR)
		nfds := int64(int16(binary.LittleEndian.Uint16(data)))
		if data[1]&0x80 != 0 && data[0]&1 != 0 {
			nfds = int64(int32(uint32(data[0]) << 24)) // large or negative ints
		}
		high, ops, closing := int(data[2])+int(data[3]&3)*256, data[4], data[5]
		highest := 4
		if ops&1 != 0 && high < NrOpenDefault {
			_, err := u.call(SYS_dup2, uint64(ops>>1&3), uint64(high))
			require.NoError(t, err)
			highest = max(highest, high)
		}
		for fd := range 5 {
			if closing&(1<<fd) != 0 {
				u.call(SYS_close, uint64(fd))
			}
		}
		const setBytes = NrOpenDefault / 8
		var sets [3][]byte
		var vas [3]uint64
		rest := data[6:]
		for i := range sets {
			sets[i] = make([]byte, setBytes)
			n := copy(sets[i][:40], rest)
			rest = rest[n:]
			vas[i] = u.bytes(sets[i])
		}
		got, err := u.call(SYS_select, uint64(nfds), vas[0], vas[1], vas[2], u.bytes(make([]byte, 16)))

		// The model.
		unchanged := func() {
			for i := range sets {
				require.Equal(t, sets[i], u.read(vas[i], setBytes), "set %d changed", i)
			}
		}
		if nfds < 0 {
			require.Equal(t, errno.EINVAL, err)
			unchanged()
			return
		}
		maxFds := 64
		if highest >= 64 {
			maxFds = 1 << bits.Len(uint(highest))
		}
		n := int(min(nfds, int64(maxFds)))
		bit := func(b []byte, fd int) bool { return b[fd/8]&(1<<(fd%8)) != 0 }
		var want [3][]byte
		count := uint64(0)
		for i := range want {
			want[i] = append([]byte(nil), sets[i]...)
			clear(want[i][:(n+63)/64*8])
		}
		for fd := range n {
			if !bit(sets[0], fd) && !bit(sets[1], fd) && !bit(sets[2], fd) {
				continue
			}
			of, gerr := u.Files.Get(fd)
			if gerr != nil {
				require.Equal(t, errno.EBADF, err, "fd %d is closed", fd)
				unchanged()
				return
			}
			mask := of.File.Poll()
			of.put()
			for i, ready := range [3]uint32{pollInSet, pollOutSet, pollExSet} {
				if bit(sets[i], fd) && mask&ready != 0 {
					want[i][fd/8] |= 1 << (fd % 8)
					count++
				}
			}
		}
		require.NoError(t, err)
		require.Equal(t, count, got)
		for i := range want {
			require.Equal(t, want[i], u.read(vas[i], setBytes), "set %d", i)
		}
	})
}

// FuzzImportIovec checks preadv/pwritev's reading of user iovec arrays:
// EINVAL for a count above UIO_MAXIOV or a negative length, EFAULT for a
// segment outside user space; otherwise lengths only shrink, so that they
// add up to at most MAX_RW_COUNT.
func FuzzImportIovec(f *testing.F) {
	f.Add(uint16(2), []byte{0, 0x10, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0})
	f.Add(uint16(1), []byte{0, 0, 0, 0, 0, 0x80, 0xff, 0xff, 1})
	f.Add(uint16(1025), []byte{})
	f.Fuzz(func(t *testing.T, vlen uint16, raw []byte) {
		h := newHarness(t)
		u := h.newTask(t)
		n := int(vlen)
		// At most 64 entries fit: the array ends where the scratch memory does.
		b := make([]byte, min(n, 64)*16)
		copy(b, raw)
		va := u.base + scratchSize - 64*16
		require.NoError(t, u.MM.CopyOut(va, b))
		iov, total, err := u.importIovec(va, uint64(vlen))
		switch {
		case n > uioMaxIOV:
			require.Equal(t, errno.EINVAL, err)
			return
		case n > 64:
			require.Equal(t, errno.EFAULT, err, "the array runs past the scratch memory")
			return
		case n == 0:
			require.NoError(t, err)
			require.Zero(t, total)
			return
		}
		neg := false
		for i := range n {
			neg = neg || int64(binary.LittleEndian.Uint64(b[i*16+8:])) < 0
		}
		if neg {
			require.Equal(t, errno.EINVAL, err)
			return
		}
		if err != nil {
			require.Equal(t, errno.EFAULT, err)
			return
		}
		var sum uint64
		for i, v := range iov {
			base, l := binary.LittleEndian.Uint64(b[i*16:]), binary.LittleEndian.Uint64(b[i*16+8:])
			require.Equal(t, base, v.base)
			require.LessOrEqual(t, v.len, l)
			require.True(t, userAccessOK(v.base, v.len))
			if sum+l <= maxRWCount {
				require.Equal(t, l, v.len, "no clamping below MAX_RW_COUNT")
			}
			sum += v.len
		}
		require.Equal(t, sum, total)
		require.LessOrEqual(t, total, uint64(maxRWCount))
	})
}
