package sched

import (
	"fmt"
	"testing"
)

// benchRQ builds one CPU with n runnable nice-mixed fair tasks.
func benchRQ(b *testing.B, n int) *sim {
	m := newSim(b, 1, 1000)
	for i := 0; i < n; i++ {
		p := &Task{Owner: i}
		m.s.SchedFork(p, nil)
		m.s.SetUserNice(p, i%40+MinNice)
		m.s.WakeUpNewTask(p)
		m.tasks = append(m.tasks, p)
	}
	m.s.Schedule(0, false)
	return m
}

// BenchmarkEnqueuePick: __schedule with 1000 queued tasks, i.e. put_prev
// (enqueue into the tree) plus pick_next_entity (cached leftmost) and the
// erase of the picked entity.
func BenchmarkEnqueuePick(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			m := benchRQ(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.clk.now += 100 * NSecPerUSec
				m.s.Schedule(0, false)
			}
		})
	}
}

// BenchmarkDequeueWake: a queued task sleeps and is woken again.
func BenchmarkDequeueWake(b *testing.B) {
	m := benchRQ(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := m.tasks[i%len(m.tasks)]
		if m.s.Curr(0) == p {
			continue
		}
		m.s.Dequeue(p, true)
		m.s.TryToWakeUp(p)
	}
}

// BenchmarkTick: scheduler_tick on a CPU with 1000 queued tasks, with the
// Schedule it triggers.
func BenchmarkTick(b *testing.B) {
	m := benchRQ(b, 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.clk.now += NSecPerMSec
		if m.s.Tick(0) {
			m.s.Schedule(0, false)
		}
	}
}
