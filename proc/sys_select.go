package proc

import (
	"encoding/binary"
	"math"
	"math/bits"

	"tamix/errno"
	"tamix/fs"
)

func init() {
	syscallTable[SYS_select] = sysSelect
	syscallTable[SYS_pselect6] = sysPselect6
}

// What select counts as ready in each set (fs/select.c).
const (
	pollRdBand = 0x80
	pollWrBand = 0x200
	pollInSet  = fs.POLLRDNORM | pollRdBand | fs.POLLIN | fs.POLLHUP | fs.POLLERR
	pollOutSet = pollWrBand | fs.POLLWRNORM | fs.POLLOUT | fs.POLLERR
	pollExSet  = fs.POLLPRI
)

// selectDeadline is poll_select_set_timeout: EINVAL unless 0 <= nsec < 1e9
// and sec >= 0; 0 stands for a zero timeout (poll once, write nothing
// back), else the absolute deadline, saturated (tamix: at 2^63-1 ns).
func (k *Kernel) selectDeadline(sec, nsec int64) (int64, error) {
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, errno.EINVAL
	}
	if sec == 0 && nsec == 0 {
		return 0, nil
	}
	now := k.Clock()
	if sec >= (math.MaxInt64-now-nsec)/1e9 {
		return math.MaxInt64, nil
	}
	return now + sec*1e9 + nsec, nil
}

// sysSelect is select(nfds, readfds, writefds, exceptfds, timeout): a
// struct timeval timeout (NULL: wait for ever; zero: poll), written back
// with the time left as Linux does (except for a zero timeout).
func sysSelect(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	tvp := a[4]
	if !t.restart.armed {
		t.restart.deadline = -1
		if tvp != 0 {
			b, err := t.copyIn(tvp, 16)
			if err != nil {
				return 0, err
			}
			sec := int64(binary.LittleEndian.Uint64(b))
			usec := int64(binary.LittleEndian.Uint64(b[8:]))
			d, err := k.selectDeadline(sec+usec/1e6, usec%1e6*1000)
			if err != nil {
				return 0, err
			}
			t.restart.deadline = d
		}
		t.restart.armed = true
	}
	n, err := k.coreSysSelect(t, int64(int32(a[0])), a[1], a[2], a[3], t.restart.deadline)
	if err == errBlock {
		return 0, err
	}
	t.restart.armed = false
	return k.pollSelectFinish(t, tvp, false, n, err)
}

// sysPselect6 is pselect6(nfds, readfds, writefds, exceptfds, timeout,
// sig): a struct timespec timeout, written back like select's, and sig
// pointing to {const sigset_t *ss; size_t ss_len}: the mask is in force
// while the call waits and restored on return, unless a signal handler
// runs first (sigreturn restores it then, as with ppoll).
func sysPselect6(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	tsp := a[4]
	if !t.restart.armed {
		var ss, ssLen uint64
		if a[5] != 0 {
			b, err := t.copyIn(a[5], 16)
			if err != nil {
				return 0, err
			}
			ss, ssLen = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		}
		t.restart.deadline = -1
		if tsp != 0 {
			b, err := t.copyIn(tsp, 16)
			if err != nil {
				return 0, err
			}
			d, err := k.selectDeadline(int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:])))
			if err != nil {
				return 0, err
			}
			t.restart.deadline = d
		}
		if ss != 0 { // set_user_sigmask
			if ssLen != 8 {
				return 0, errno.EINVAL
			}
			v, err := t.getUint64(ss)
			if err != nil {
				return 0, err
			}
			t.savedSigmask, t.restoreSigmask = t.Blocked, true
			t.Blocked = SigSet(v) &^ unblockable
		}
		t.restart.armed = true
	}
	n, err := k.coreSysSelect(t, int64(int32(a[0])), a[1], a[2], a[3], t.restart.deadline)
	if err == errBlock {
		return 0, err
	}
	t.restart.armed = false
	return k.pollSelectFinish(t, tsp, true, n, err)
}

// pollSelectFinish is poll_select_finish: the caller's signal mask comes
// back unless the call is interrupted (then the handler runs under the
// temporary mask and sigreturn restores it); the time left goes back to
// the user's timeval or timespec, unless the timeout was zero. A timeout
// that cannot be written back is no error, but the call then cannot be
// restarted: ERESTARTNOHAND becomes EINTR.
func (k *Kernel) pollSelectFinish(t *Task, p uint64, timespec bool, n uint64, err error) (uint64, error) {
	if err != errno.ERESTARTNOHAND && t.restoreSigmask {
		t.Blocked, t.restoreSigmask = t.savedSigmask, false
	}
	deadline := t.restart.deadline
	if p == 0 || deadline <= 0 {
		return n, err
	}
	left := max(deadline-k.Clock(), 0)
	var b [16]byte
	binary.LittleEndian.PutUint64(b[0:], uint64(left/1e9))
	if timespec {
		binary.LittleEndian.PutUint64(b[8:], uint64(left%1e9))
	} else {
		binary.LittleEndian.PutUint64(b[8:], uint64(left%1e9/1000))
	}
	if t.copyOut(p, b[:]) != nil && err == errno.ERESTARTNOHAND {
		err = errno.EINTR
	}
	return n, err
}

// fdSet is a select bitmap: bit fd%64 of word fd/64.
type fdSet []uint64

func (s fdSet) has(fd int) bool { return s[fd/64]&(1<<(fd%64)) != 0 }
func (s fdSet) set(fd int)      { s[fd/64] |= 1 << (fd % 64) }

// decodeFdSet reads a bitmap of words 64-bit words.
func decodeFdSet(b []byte, words int) fdSet {
	s := make(fdSet, words)
	for i := range s {
		s[i] = binary.LittleEndian.Uint64(b[i*8:])
	}
	return s
}

// encode lays the bitmap out as user memory.
func (s fdSet) encode() []byte {
	b := make([]byte, len(s)*8)
	for i, w := range s {
		binary.LittleEndian.PutUint64(b[i*8:], w)
	}
	return b
}

// getFdSet is get_fd_set: the whole words covering the first n bits
// (FDS_BYTES); a NULL set reads as empty.
func (t *Task) getFdSet(va uint64, words int) (fdSet, error) {
	if va == 0 {
		return make(fdSet, words), nil
	}
	b, err := t.copyIn(va, words*8)
	if err != nil {
		return nil, err
	}
	return decodeFdSet(b, words), nil
}

// maxSelectFd is max_select_fd: EBADF when a bit below n, in any of the
// sets, names a descriptor that is not open; else one more than the
// highest such bit (0 when there is none).
func maxSelectFd(n int, in, out, ex, open fdSet) (int, error) {
	top := 0
	for w := 0; w*64 < n; w++ {
		set := in[w] | out[w] | ex[w]
		if rem := n - w*64; rem < 64 {
			set &= 1<<rem - 1
		}
		if set == 0 {
			continue
		}
		if set&^open[w] != 0 {
			return 0, errno.EBADF
		}
		top = w*64 + bits.Len64(set)
	}
	return top, nil
}

// coreSysSelect is core_sys_select + do_select. nfds above the size of the
// descriptor table is cut down to it (bits beyond are neither looked at nor
// written), a negative one is EINVAL. Each run polls every descriptor
// named in the sets; with none ready, time left and no signal pending, the
// task sleeps on every file's wait queue (the machinery poll uses) and the
// call runs again when it is woken. deadline: < 0 none, 0 zero timeout.
// The result sets replace the user's, whole words, only on success; a
// signal with nothing ready ends the call with ERESTARTNOHAND, the sets
// untouched.
func (k *Kernel) coreSysSelect(t *Task, nfds int64, inp, outp, exp uint64, deadline int64) (uint64, error) {
	if st := peekFsState(t); st != nil { // woken: off the previous run's queues
		k.pollUnqueue(t, st)
		fsStates.Delete(t)
	}
	if nfds < 0 {
		return 0, errno.EINVAL
	}
	open, maxFds := t.Files.openFds()
	n := int(min(nfds, int64(maxFds)))
	words := (n + 63) / 64
	in, err := t.getFdSet(inp, words)
	if err != nil {
		return 0, err
	}
	out, err := t.getFdSet(outp, words)
	if err != nil {
		return 0, err
	}
	ex, err := t.getFdSet(exp, words)
	if err != nil {
		return 0, err
	}
	top, err := maxSelectFd(n, in, out, ex, open)
	if err != nil {
		return 0, err
	}
	files := make([]*OpenFile, top)
	defer func() {
		for _, of := range files {
			if of != nil {
				of.put()
			}
		}
	}()
	rin, rout, rex := make(fdSet, words), make(fdSet, words), make(fdSet, words)
	scan := func() (count uint64) {
		for fd := range files {
			want := [3]bool{in.has(fd), out.has(fd), ex.has(fd)}
			if !want[0] && !want[1] && !want[2] {
				continue
			}
			if files[fd] == nil {
				of, err := t.Files.Get(fd)
				if err != nil {
					continue // closed meanwhile (do_select skips it)
				}
				files[fd] = of
			}
			mask := files[fd].pollFor(t)
			for i, set := range [3]uint32{pollInSet, pollOutSet, pollExSet} {
				if want[i] && mask&set != 0 {
					[3]fdSet{rin, rout, rex}[i].set(fd)
					count++
				}
			}
		}
		return count
	}
	count := scan()
	if count == 0 && deadline != 0 && (deadline < 0 || k.Clock() < deadline) && !k.signalPending(t) {
		// Queue on every file, then look again before sleeping.
		st := k.pollQueue(t, files)
		if count = scan(); count == 0 {
			if deadline > 0 {
				k.timers.add(deadline, t)
			}
			return 0, errBlock
		}
		k.pollCancel(t, st)
	}
	fsStates.Delete(t)
	if count == 0 && k.signalPending(t) {
		return 0, errno.ERESTARTNOHAND
	}
	for i, va := range [3]uint64{inp, outp, exp} {
		if va == 0 {
			continue
		}
		if err := t.copyOut(va, [3]fdSet{rin, rout, rex}[i].encode()); err != nil {
			return 0, errno.EFAULT
		}
	}
	return count, nil
}
