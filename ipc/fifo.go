package ipc

import (
	"tamix/errno"
	"tamix/fs"
)

// FifoOpen is an open(2) of a FIFO in progress. Linux's fifo_open counts
// the opener as a reader or writer at once and then sleeps until its
// partner's counter moves (wait_for_partner). Here the system call sleeps
// by returning and running again, so the count and the counter it waits on
// live in this value, which the caller keeps across the runs of one open.
type FifoOpen struct {
	p       *Pipe
	mode    int
	counted bool   // the opener is in readers/writers already
	cur     uint64 // the partner's counter when the wait began
	waiting bool
}

// OpenFifo runs fifo_open for flags (O_ACCMODE, O_NONBLOCK) with the state
// st, which must be zero on the first call of an open and passed again on
// each retry. It returns the open file, or errno.EAGAIN when the caller must
// sleep on p.Wait() and call again, or ENXIO (O_WRONLY|O_NONBLOCK with no
// reader) or EINVAL (a bad access mode). Linux's rules:
//   - O_RDONLY waits until a writer has opened, unless O_NONBLOCK;
//   - O_WRONLY waits until a reader has opened; with O_NONBLOCK and no
//     reader it fails with ENXIO;
//   - O_RDWR never waits.
func (p *Pipe) OpenFifo(flags int, st *FifoOpen) (*File, error) {
	p.mu.Lock()
	if st.counted {
		// A retry: has the partner come (its counter moved)?
		if st.mode == fmodeRead && p.wCounter == st.cur || st.mode == fmodeWrite && p.rCounter == st.cur {
			p.mu.Unlock()
			return nil, errno.EAGAIN
		}
		p.mu.Unlock()
		st.counted, st.waiting = false, false
		return &File{p: p, mode: st.mode}, nil
	}
	var f *File
	switch flags & fs.O_ACCMODE {
	case fs.O_RDONLY:
		p.rCounter++
		p.readers++
		p.files++
		f = &File{p: p, mode: fmodeRead}
		if p.writers == 0 {
			if flags&fs.O_NONBLOCK != 0 {
				// Suppress POLLHUP until a writer shows up.
				f.fPipe = p.wCounter
			} else {
				*st = FifoOpen{p: p, mode: fmodeRead, counted: true, cur: p.wCounter, waiting: true}
				p.mu.Unlock()
				p.wait.WakeAll() // a blocked writer's partner came
				return nil, errno.EAGAIN
			}
		}
	case fs.O_WRONLY:
		if p.readers == 0 && flags&fs.O_NONBLOCK != 0 {
			p.mu.Unlock()
			return nil, errno.ENXIO
		}
		p.wCounter++
		p.writers++
		p.files++
		f = &File{p: p, mode: fmodeWrite}
		if p.readers == 0 {
			*st = FifoOpen{p: p, mode: fmodeWrite, counted: true, cur: p.rCounter, waiting: true}
			p.mu.Unlock()
			p.wait.WakeAll()
			return nil, errno.EAGAIN
		}
	case fs.O_RDWR:
		// POSIX leaves this undefined; Linux never blocks: the opener is
		// its own partner.
		p.rCounter++
		p.wCounter++
		p.readers++
		p.writers++
		p.files++
		f = &File{p: p, mode: fmodeRead | fmodeWrite}
	default:
		p.mu.Unlock()
		return nil, errno.EINVAL
	}
	p.mu.Unlock()
	p.wait.WakeAll() // wake_up_partner
	return f, nil
}

// Waiting reports whether st is an open that sleeps for its partner.
func (st *FifoOpen) Waiting() bool { return st.waiting }

// Abort gives up a waiting open (a signal arrived): the opener stops
// counting as a reader or writer (fifo_open's err_rd/err_wr path).
func (st *FifoOpen) Abort() {
	if !st.counted {
		return
	}
	p := st.p
	p.mu.Lock()
	if st.mode == fmodeRead {
		p.readers--
	} else {
		p.writers--
	}
	p.putFile()
	p.mu.Unlock()
	st.counted, st.waiting = false, false
	p.wait.WakeAll()
}
