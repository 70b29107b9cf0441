package ipc

import (
	"bytes"
	"encoding/binary"
	"testing"

	"tamix/errno"
	"tamix/fs"
)

// FuzzPipe runs random reads, writes and closes on a pipe and checks them
// against a byte queue: bytes come out in order, nothing is lost or made
// up, writes of at most PIPE_BUF are all or nothing, a write never fails
// while POLLOUT was reported, the pipe never holds more than 64 KiB, EOF
// and EPIPE follow the end counts, and every change wakes the queue.
func FuzzPipe(f *testing.F) {
	f.Add([]byte{0, 10, 0, 1, 5, 0, 2, 0, 0})
	f.Add([]byte{0, 255, 255, 0, 255, 255, 1, 16, 0, 3, 0, 0})
	f.Add(bytes.Repeat([]byte{0, 16, 0}, 20))
	f.Fuzz(func(t *testing.T, ops []byte) {
		r, w := NewPipeFiles()
		var model []byte
		rOpen, wOpen := true, true
		var seq byte
		for len(ops) >= 3 {
			op, n := ops[0]%4, int(binary.LittleEndian.Uint16(ops[1:3]))
			ops = ops[3:]
			woke := watch(r.Wait())
			changed := false
			switch op {
			case 0, 3: // write n bytes (op 3: n scaled up past PIPE_BUF)
				if !wOpen {
					continue
				}
				if op == 3 {
					n *= 3
				}
				b := make([]byte, n)
				for i := range b {
					b[i] = seq
					seq++
				}
				pollout := w.Poll()&fs.POLLOUT != 0
				got, err := w.Write(b)
				switch {
				case n == 0:
					if got != 0 || err != nil {
						t.Fatalf("null write: %d, %v", got, err)
					}
				case !rOpen:
					if err != errno.EPIPE || got != 0 {
						t.Fatalf("write with no reader: %d, %v", got, err)
					}
				case err == errno.EAGAIN:
					if got != 0 || pollout && n <= PIPE_BUF {
						t.Fatalf("EAGAIN for %d bytes with POLLOUT=%v", n, pollout)
					}
					if len(model) == 0 {
						t.Fatalf("EAGAIN on an empty pipe")
					}
				case err != nil:
					t.Fatalf("write: %v", err)
				default:
					if n <= PIPE_BUF && got != n {
						t.Fatalf("atomic write of %d wrote %d", n, got)
					}
					if got <= 0 || got > n {
						t.Fatalf("write of %d returned %d", n, got)
					}
					if len(model) == 0 && got != min(n, PipeSize) {
						t.Fatalf("empty pipe took %d of %d", got, n)
					}
					b = b[:got]
					seq -= byte(n - got)
					model = append(model, b...)
					changed = true
				}
			case 1: // read up to n bytes
				if !rOpen {
					continue
				}
				buf := make([]byte, n)
				got, err := r.Read(buf)
				switch {
				case n == 0:
					if got != 0 || err != nil {
						t.Fatalf("null read: %d, %v", got, err)
					}
				case len(model) == 0 && wOpen:
					if err != errno.EAGAIN {
						t.Fatalf("empty read with a writer: %d, %v", got, err)
					}
				case len(model) == 0:
					if err != nil || got != 0 {
						t.Fatalf("read at EOF: %d, %v", got, err)
					}
				default:
					want := min(n, len(model))
					if err != nil || got != want || !bytes.Equal(buf[:got], model[:got]) {
						t.Fatalf("read %d: got %d, %v, want %d bytes", n, got, err, want)
					}
					model = model[got:]
					changed = true
				}
			case 2: // close one end
				if n%2 == 0 && rOpen {
					r.Release()
					rOpen = false
					changed = true
				} else if n%2 == 1 && wOpen {
					w.Release()
					wOpen = false
					changed = true
				}
			}
			if changed && woke.n != 1 {
				t.Fatalf("op %d changed the pipe without a wake-up", op)
			}
			if !changed {
				r.Wait().Remove(&woke.w)
			}
			if !rOpen && !wOpen {
				return // the pipe is gone
			}
			if l := w.Pipe().Len(); l != len(model) || l > PipeSize {
				t.Fatalf("pipe holds %d bytes, model %d", l, len(model))
			}
			if rOpen {
				ev := r.Poll()
				if (ev&fs.POLLIN != 0) != (len(model) > 0) || (ev&fs.POLLHUP != 0) != !wOpen {
					t.Fatalf("reader poll %#x with %d bytes, writer open %v", ev, len(model), wOpen)
				}
			}
			if wOpen && (w.Poll()&fs.POLLERR != 0) != !rOpen {
				t.Fatalf("writer poll %#x, reader open %v", w.Poll(), rOpen)
			}
		}
	})
}
