// Package ipc holds pipes and FIFOs, after Linux's fs/pipe.c and
// fs/fifo.c: a pipe_inode_info with a ring of page-sized buffers (16, 64 KiB,
// Linux's default pipe size, until F_SETPIPE_SZ resizes it), reader and
// writer counts, and the two ends as
// fs.File values. Nothing here blocks: Read, Write and OpenFifo return
// errno.EAGAIN when the caller must sleep on Wait() and try again, as the
// fs.File contract says.
package ipc

import (
	"encoding/binary"
	"sync"
	"sync/atomic"

	"tamix/errno"
	"tamix/fs"
)

// Sizes from include/linux/pipe_fs_i.h and limits.h.
const (
	PageSize       = 4096
	PipeDefBuffers = 16                        // PIPE_DEF_BUFFERS
	PipeSize       = PipeDefBuffers * PageSize // the default pipe capacity (65536)
	PIPE_BUF       = 4096                      // writes up to this size are atomic
)

// FIONREAD is the ioctl that counts unread bytes.
const FIONREAD = 0x541b

// fmode bits of an open pipe file (FMODE_READ, FMODE_WRITE).
const (
	fmodeRead  = 1
	fmodeWrite = 2
)

// pipeBuffer is one slot of the ring (struct pipe_buffer): a page and the
// bytes of it that hold data.
type pipeBuffer struct {
	page   []byte // PageSize bytes, allocated when the slot is first used
	offset int
	len    int
}

// Pipe is a pipe's shared state (struct pipe_inode_info). Anonymous pipes
// get one from NewPipeFiles; a FIFO inode keeps one and opens it with
// OpenFifo.
type Pipe struct {
	mu sync.Mutex
	// bufs is the ring; its length (a power of two, PipeDefBuffers unless
	// F_SETPIPE_SZ changed it) is the pipe's capacity in pages.
	bufs []pipeBuffer
	head uint // next slot to fill (monotonic; slot = head & (len(bufs)-1))
	tail uint // next slot to read
	// readers and writers count open ends; files counts open files and
	// openers still waiting for a partner (a FIFO's buffer is dropped when
	// it reaches zero, as Linux frees pipe_inode_info).
	readers, writers, files int
	// rCounter and wCounter count opens for reading and writing: a
	// blocked FIFO open waits for its partner's counter to move.
	rCounter, wCounter uint64
	// wait is woken on every change of state: data, room, an end opened or
	// closed. Linux has rd_wait and wr_wait; one queue keeps fs.File's
	// single Wait() exact for O_RDWR FIFOs at the cost of waking both sides.
	wait fs.WaitQueue
	// Ino is the inode number an anonymous pipe reports (pipefs).
	Ino uint64
}

var pipeIno atomic.Uint64

// NewPipe returns an empty pipe with no ends open (a FIFO's pipe).
func NewPipe() *Pipe {
	return &Pipe{Ino: pipeIno.Add(1), bufs: make([]pipeBuffer, PipeDefBuffers)}
}

// NewPipeFiles makes an anonymous pipe and its read and write ends
// (create_pipe_files).
func NewPipeFiles() (r, w *File) {
	p := NewPipe()
	p.readers, p.writers, p.files = 1, 1, 2
	p.rCounter, p.wCounter = 1, 1
	return &File{p: p, mode: fmodeRead}, &File{p: p, mode: fmodeWrite}
}

func (p *Pipe) empty() bool { return p.head == p.tail }
func (p *Pipe) full() bool  { return p.head-p.tail >= uint(len(p.bufs)) }

// slot is the ring slot of the monotonic index i.
func (p *Pipe) slot(i uint) *pipeBuffer { return &p.bufs[i&uint(len(p.bufs)-1)] }

// Size is the pipe's capacity in bytes (F_GETPIPE_SZ).
func (p *Pipe) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.bufs) * PageSize
}

// pipeMaxRoot bounds F_SETPIPE_SZ. Linux lets a process with
// CAP_SYS_RESOURCE go past pipe-max-size (1 MiB, PipeMaxSize; fcntl
// checks it) up to 2 GiB if the ring array can be allocated; tamix stops at
// 256 MiB and answers ENOMEM beyond, as a failed allocation would.
const pipeMaxRoot = 256 << 20

// SetSize resizes the ring to hold size bytes, rounded up to a power of two
// pages, at least one (pipe_set_size, round_pipe_size): EINVAL for more
// than 2 GiB, EBUSY when the data already in the pipe would not fit. It
// returns the new size.
func (p *Pipe) SetSize(size uint64) (int, error) {
	if size > 1<<31 {
		return 0, errno.EINVAL
	}
	pages := uint64(1)
	for pages*PageSize < size {
		pages <<= 1
	}
	if pages*PageSize > pipeMaxRoot {
		return 0, errno.ENOMEM
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.head - p.tail
	if uint64(n) > pages {
		return 0, errno.EBUSY
	}
	if int(pages) != len(p.bufs) {
		ring := make([]pipeBuffer, pages)
		for i := uint(0); i < n; i++ {
			ring[i] = *p.slot(p.tail + i)
		}
		p.bufs, p.tail, p.head = ring, 0, n
	}
	return int(pages) * PageSize, nil
}

// unread counts the bytes in the ring (FIONREAD).
func (p *Pipe) unread() int {
	n := 0
	for i := p.tail; i != p.head; i++ {
		n += p.slot(i).len
	}
	return n
}

// Len reports the number of unread bytes.
func (p *Pipe) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unread()
}

// Counts reports the open readers and writers.
func (p *Pipe) Counts() (readers, writers int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readers, p.writers
}

// Wait is the queue woken whenever the pipe's state changes.
func (p *Pipe) Wait() *fs.WaitQueue { return &p.wait }

// read is pipe_read: copy from the oldest slots; an empty pipe gives 0
// (EOF) when no writer is left, else EAGAIN.
func (p *Pipe) read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	p.mu.Lock()
	ret := 0
	for !p.empty() && ret < len(b) {
		buf := p.slot(p.tail)
		n := copy(b[ret:], buf.page[buf.offset:buf.offset+buf.len])
		buf.offset += n
		buf.len -= n
		ret += n
		if buf.len == 0 {
			buf.offset = 0
			p.tail++ // the page stays with the slot for reuse
		}
	}
	writers := p.writers
	p.mu.Unlock()
	if ret > 0 {
		p.wait.WakeKey(fs.POLLOUT | fs.POLLWRNORM) // room for writers
		return ret, nil
	}
	if writers == 0 {
		return 0, nil
	}
	return 0, errno.EAGAIN
}

// write is pipe_write. The sub-page tail of the data (len % PageSize)
// merges into the last slot when it fits; the rest fills fresh slots a page
// at a time. A write of at most PIPE_BUF bytes therefore lands in one slot
// or not at all (EAGAIN): atomic. A longer one may stop part way when the
// ring fills.
func (p *Pipe) write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil // a null write succeeds, even with no reader
	}
	p.mu.Lock()
	if p.readers == 0 {
		p.mu.Unlock()
		return 0, errno.EPIPE // the system call layer raises SIGPIPE
	}
	ret := 0
	if chars := len(b) & (PageSize - 1); chars != 0 && !p.empty() {
		buf := p.slot(p.head - 1)
		if off := buf.offset + buf.len; off+chars <= PageSize {
			copy(buf.page[off:], b[:chars])
			buf.len += chars
			ret = chars
		}
	}
	for ret < len(b) && !p.full() {
		buf := p.slot(p.head)
		if buf.page == nil {
			buf.page = make([]byte, PageSize)
		}
		n := copy(buf.page, b[ret:])
		buf.offset, buf.len = 0, n
		p.head++
		ret += n
	}
	p.mu.Unlock()
	if ret == 0 {
		return 0, errno.EAGAIN
	}
	p.wait.WakeKey(fs.POLLIN | fs.POLLRDNORM) // data for readers
	return ret, nil
}

// poll is pipe_poll for a file opened with mode; fPipe suppresses POLLHUP
// for a FIFO reader that has not seen a writer yet.
func (p *Pipe) poll(mode int, fPipe uint64) uint32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	var mask uint32
	if mode&fmodeRead != 0 {
		if !p.empty() {
			mask |= fs.POLLIN | fs.POLLRDNORM
		}
		if p.writers == 0 && fPipe != p.wCounter {
			mask |= fs.POLLHUP
		}
	}
	if mode&fmodeWrite != 0 {
		if !p.full() {
			mask |= fs.POLLOUT | fs.POLLWRNORM
		}
		if p.readers == 0 {
			mask |= fs.POLLERR
		}
	}
	return mask
}

// release drops one open file of mode (pipe_release) and wakes everyone:
// a reader may now see EOF, a writer EPIPE.
func (p *Pipe) release(mode int) {
	p.mu.Lock()
	if mode&fmodeRead != 0 {
		p.readers--
	}
	if mode&fmodeWrite != 0 {
		p.writers--
	}
	p.putFile()
	p.mu.Unlock()
	p.wait.WakeAll()
}

// putFile drops a file reference; with none left the buffered data goes,
// as a FIFO's pipe_inode_info is freed when its last file closes.
func (p *Pipe) putFile() {
	p.files--
	if p.files == 0 {
		p.head, p.tail = 0, 0
		// The next open gets a new pipe_inode_info: default size, empty.
		p.bufs = make([]pipeBuffer, PipeDefBuffers)
	}
}

// File is one open end of a pipe or FIFO (a struct file whose f_op is
// pipefifo_fops). It implements fs.File and fs.Ioctler.
type File struct {
	p        *Pipe
	mode     int
	fPipe    uint64
	released atomic.Bool
}

// Pipe returns the pipe behind f.
func (f *File) Pipe() *Pipe { return f.p }

// Readable and Writable report the end's mode.
func (f *File) Readable() bool { return f.mode&fmodeRead != 0 }
func (f *File) Writable() bool { return f.mode&fmodeWrite != 0 }

// Read implements fs.File.
func (f *File) Read(b []byte) (int, error) {
	if f.mode&fmodeRead == 0 {
		return 0, errno.EBADF
	}
	return f.p.read(b)
}

// Write implements fs.File.
func (f *File) Write(b []byte) (int, error) {
	if f.mode&fmodeWrite == 0 {
		return 0, errno.EBADF
	}
	return f.p.write(b)
}

// Poll implements fs.File.
func (f *File) Poll() uint32 { return f.p.poll(f.mode, f.fPipe) }

// Wait implements fs.File.
func (f *File) Wait() *fs.WaitQueue { return &f.p.wait }

// Release implements fs.File; a second call is ignored.
func (f *File) Release() {
	if f.released.CompareAndSwap(false, true) {
		f.p.release(f.mode)
	}
}

// Ioctl answers FIONREAD (pipe_ioctl); anything else is ENOTTY.
func (f *File) Ioctl(req uint64, arg []byte) ([]byte, uint64, error) {
	if req != FIONREAD {
		return nil, 0, errno.ENOTTY
	}
	out := make([]byte, 4)
	binary.LittleEndian.PutUint32(out, uint32(f.p.Len()))
	return out, 0, nil
}
