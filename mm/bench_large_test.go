package mm

import "testing"

// Benchmarks on a large address space (issue 8): 256 MiB of touched private
// memory, 65536 PTEs in 128 page tables.

const large = 256 << 20

// BenchmarkFork256MiB: fork of a 256 MiB address space (every PTE made
// read-only and shared, every frame's reference taken); the child's release
// is not timed.
func BenchmarkFork256MiB(b *testing.B) {
	e := newEnv(b, large/PageSize+1024)
	mm := e.newMM(b)
	if _, err := mm.Mmap(0, large, rw, anonRW|MAP_POPULATE, nil, 0); err != nil {
		b.Fatal(err)
	}
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

// BenchmarkWalkSpread: page-table walks of pages spread over 256 MiB (a
// stride of 129 pages visits every page table), so the walk does not stay
// in one table's cache lines.
func BenchmarkWalkSpread(b *testing.B) {
	e := newEnv(b, large/PageSize+1024)
	mm := e.newMM(b)
	a, err := mm.Mmap(0, large, rw, anonRW|MAP_POPULATE, nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	const pages = large / PageSize
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := mm.pt.Walk(a + uint64(i*129%pages)*PageSize); !ok {
			b.Fatal("not mapped")
		}
	}
}
