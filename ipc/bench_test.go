package ipc

import "testing"

// BenchmarkPipe64K writes 64 KiB and reads it back: the ring copy in both
// directions, as bench_pipe_bw does per chunk.
func BenchmarkPipe64K(b *testing.B) {
	r, w := NewPipeFiles()
	src := make([]byte, PipeSize)
	dst := make([]byte, PipeSize)
	b.SetBytes(PipeSize)
	for b.Loop() {
		if n, err := w.Write(src); n != PipeSize || err != nil {
			b.Fatal(n, err)
		}
		for got := 0; got < PipeSize; {
			n, err := r.Read(dst)
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
}

// BenchmarkPipeRoundTrip1B sends one byte each way through two pipes, as
// bench_pipe_rt does between two processes (without the process switch).
func BenchmarkPipeRoundTrip1B(b *testing.B) {
	r1, w1 := NewPipeFiles()
	r2, w2 := NewPipeFiles()
	c := []byte{'x'}
	buf := make([]byte, 1)
	for b.Loop() {
		w1.Write(c)
		r1.Read(buf)
		w2.Write(buf)
		r2.Read(buf)
	}
}

// BenchmarkPipeSmallWrites fills a pipe with 1-byte writes (page merging)
// and drains it with one read.
func BenchmarkPipeSmallWrites(b *testing.B) {
	r, w := NewPipeFiles()
	c := []byte{'y'}
	dst := make([]byte, PipeSize)
	b.SetBytes(PipeSize)
	for b.Loop() {
		for i := 0; i < PipeSize; i++ {
			w.Write(c)
		}
		r.Read(dst)
	}
}
