package mm

import (
	"testing"
)

// BenchmarkWalk: a software page-table walk of a present user page.
func BenchmarkWalk(b *testing.B) {
	e := newEnv(b, 64)
	mm := e.newMM(b)
	a, _ := mm.Mmap(0, PageSize, rw, anonRW, nil, 0)
	touch(b, mm, a, PageSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := mm.pt.Walk(a); !ok {
			b.Fatal("not mapped")
		}
	}
}

// BenchmarkFork16MiB: fork (and release) of an address space with 16 MiB of
// touched private memory: 4096 PTEs shared COW.
func BenchmarkFork16MiB(b *testing.B) {
	e := newEnv(b, 3*4096+256)
	mm := e.newMM(b)
	a, _ := mm.Mmap(0, 16<<20, rw, anonRW|MAP_POPULATE, nil, 0)
	touch(b, mm, a, PageSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c, err := mm.Fork()
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		c.Release()
		b.StartTimer()
	}
}

// BenchmarkRelease16MiB: exit_mmap of a forked 16 MiB address space.
func BenchmarkRelease16MiB(b *testing.B) {
	e := newEnv(b, 3*4096+256)
	mm := e.newMM(b)
	mm.Mmap(0, 16<<20, rw, anonRW|MAP_POPULATE, nil, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c, err := mm.Fork()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		c.Release()
	}
}

// BenchmarkCOWFault: a write fault on a page shared with a forked child
// (allocate, copy 4 KiB, flush, drop the old reference).
func BenchmarkCOWFault(b *testing.B) {
	const pages = 1024
	e := newEnv(b, 3*pages+64)
	mm := e.newMM(b)
	a, _ := mm.Mmap(0, pages*PageSize, rw, anonRW|MAP_POPULATE, nil, 0)
	var c *MM
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % pages
		if k == 0 {
			b.StopTimer()
			if c != nil {
				c.Release()
			}
			c, _ = mm.Fork()
			b.StartTimer()
		}
		if res, err := c.HandleFault(a+uint64(k)*PageSize, AccessWrite|AccessUser); err != nil || res != FaultCOW {
			b.Fatal(res, err)
		}
	}
}

// BenchmarkAnonFault: a demand-zero fault.
func BenchmarkAnonFault(b *testing.B) {
	const pages = 1024
	e := newEnv(b, pages+64)
	mm := e.newMM(b)
	a, _ := mm.Mmap(0, pages*PageSize, rw, anonRW, nil, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % pages
		if k == 0 && i > 0 {
			b.StopTimer()
			mm.Madvise(a, pages*PageSize, MADV_DONTNEED)
			b.StartTimer()
		}
		if _, err := mm.HandleFault(a+uint64(k)*PageSize, AccessWrite|AccessUser); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCopyIn4K: copy_from_user of one page-crossing 4 KiB buffer.
func BenchmarkCopyIn4K(b *testing.B) {
	e := newEnv(b, 64)
	mm := e.newMM(b)
	a, _ := mm.Mmap(0, 2*PageSize, rw, anonRW|MAP_POPULATE, nil, 0)
	buf := make([]byte, PageSize)
	b.SetBytes(PageSize)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := mm.CopyIn(buf, a+100); err != nil {
			b.Fatal(err)
		}
	}
}
