package ipc

import (
	"unsafe"

	"tamix/errno"
	"tamix/fs"
)

// The pipe side of splice, tee, vmsplice and sendfile (fs/splice.c). A
// pipe's ring holds buffers; splicing fills fresh buffers from a file or
// user memory (one buffer per source page, never merged into the last
// one, as Linux adds page references), drains buffers into a file, or
// moves (splice) or copies (tee) buffers between two pipes. tamix copies
// the bytes where Linux passes page references: the result a program
// sees is the same. Nothing here blocks: EAGAIN means the caller sleeps
// on the pipe's queue and tries again.

// SpliceFill adds up to max bytes to the pipe (splice_file_to_pipe,
// vmsplice_to_pipe): each new buffer takes at most seg(done) bytes, done
// being the bytes added so far, and fill writes them into the buffer's
// page and says how many it wrote (0 or an error stops). EPIPE when no
// reader is left (the caller raises SIGPIPE), EAGAIN when the ring is
// full; with bytes added, those are the answer and fill's error is
// dropped.
func (p *Pipe) SpliceFill(max int, seg func(done int) int, fill func(b []byte) (int, error)) (int, error) {
	p.mu.Lock()
	if p.readers == 0 {
		p.mu.Unlock()
		return 0, errno.EPIPE
	}
	if p.full() {
		p.mu.Unlock()
		return 0, errno.EAGAIN
	}
	done := 0
	var err error
	for done < max && !p.full() {
		buf := p.slot(p.head)
		if buf.page == nil {
			buf.page = make([]byte, PageSize)
		}
		n := min(max-done, seg(done), PageSize)
		var got int
		if got, err = fill(buf.page[:n]); got <= 0 || err != nil {
			break
		}
		buf.offset, buf.len = 0, got
		p.head++
		done += got
		if got < n {
			break // the source ran short (end of file)
		}
	}
	p.mu.Unlock()
	if done == 0 {
		return 0, err
	}
	p.wait.WakeKey(fs.POLLIN | fs.POLLRDNORM)
	return done, nil
}

// SpliceDrain hands up to max bytes from the oldest buffers to drain,
// which takes what it can (splice_from_pipe): the bytes it took leave the
// pipe, the rest stay. An empty pipe gives 0 when no writer is left,
// EAGAIN otherwise. drain's error is the answer only when nothing was
// taken.
func (p *Pipe) SpliceDrain(max int, drain func(b []byte) (int, error)) (int, error) {
	p.mu.Lock()
	if p.empty() {
		writers := p.writers
		p.mu.Unlock()
		if writers == 0 {
			return 0, nil
		}
		return 0, errno.EAGAIN
	}
	done := 0
	var err error
	for done < max && !p.empty() {
		buf := p.slot(p.tail)
		want := min(buf.len, max-done)
		var n int
		n, err = drain(buf.page[buf.offset : buf.offset+want])
		if n > 0 {
			buf.offset += n
			buf.len -= n
			done += n
			if buf.len == 0 {
				buf.offset = 0
				p.tail++
			}
		}
		if err != nil || n < want {
			break
		}
	}
	p.mu.Unlock()
	if done == 0 {
		return 0, err
	}
	p.wait.WakeKey(fs.POLLOUT | fs.POLLWRNORM)
	return done, nil
}

// SplicePipes moves (splice_pipe_to_pipe) or, with tee, copies without
// consuming (link_pipe) up to max bytes from in to out, whole buffers
// where they fit and part of the last one otherwise. When the call must
// wait it returns EAGAIN and the pipe whose queue to sleep on: in when it
// is empty (no writer left: 0, nothing to wait for), out when it is full.
// EPIPE when out has no reader. in and out must differ.
func SplicePipes(in, out *Pipe, max int, tee bool) (int, *Pipe, error) {
	// Lock in address order (pipe_double_lock).
	first, second := in, out
	if uintptr(unsafe.Pointer(second)) < uintptr(unsafe.Pointer(first)) {
		first, second = second, first
	}
	first.mu.Lock()
	second.mu.Lock()
	unlock := func() {
		second.mu.Unlock()
		first.mu.Unlock()
	}
	switch {
	case in.empty() && in.writers == 0:
		unlock()
		return 0, nil, nil
	case in.empty():
		unlock()
		return 0, in, errno.EAGAIN
	case out.readers == 0:
		unlock()
		return 0, nil, errno.EPIPE
	case out.full():
		unlock()
		return 0, out, errno.EAGAIN
	}
	done := 0
	for i := in.tail; done < max && i != in.head && !out.full(); {
		ibuf, obuf := in.slot(i), out.slot(out.head)
		n := min(ibuf.len, max-done)
		if !tee && n == ibuf.len {
			// The whole buffer moves: swap the pages.
			obuf.page, ibuf.page = ibuf.page, obuf.page
			obuf.offset, obuf.len = ibuf.offset, ibuf.len
			ibuf.offset, ibuf.len = 0, 0
		} else {
			if obuf.page == nil {
				obuf.page = make([]byte, PageSize)
			}
			copy(obuf.page, ibuf.page[ibuf.offset:ibuf.offset+n])
			obuf.offset, obuf.len = 0, n
			if !tee {
				ibuf.offset += n
				ibuf.len -= n
			}
		}
		out.head++
		done += n
		if tee || ibuf.len == 0 {
			i++
		}
		if !tee {
			in.tail = i
		}
	}
	unlock()
	if !tee {
		in.wait.WakeKey(fs.POLLOUT | fs.POLLWRNORM)
	}
	out.wait.WakeKey(fs.POLLIN | fs.POLLRDNORM)
	return done, nil, nil
}
