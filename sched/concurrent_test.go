package sched

import (
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentLoops runs one goroutine per CPU as the kernel loop, plus
// a waker and a goroutine changing nice/policy/affinity, to exercise the
// lock order (run with -race).
func TestConcurrentLoops(t *testing.T) {
	const ncpus = 4
	var clock atomic.Int64
	clock.Store(NSecPerSec)
	s := New(ncpus, clock.Load)
	s.HZ = 1000
	var ipis atomic.Int64
	s.SendReschedIPI = func(int) { ipis.Add(1) }
	for c := 0; c < ncpus; c++ {
		s.InitIdle(c, &Task{Owner: fmt.Sprintf("idle%d", c)})
	}
	var tasks []*Task
	for i := 0; i < 24; i++ {
		p := &Task{Owner: i}
		s.SchedFork(p, nil)
		s.WakeUpNewTask(p)
		tasks = append(tasks, p)
	}
	var mu sync.Mutex
	var sleepers []*Task
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 16)

	for c := 0; c < ncpus; c++ {
		wg.Add(1)
		go func(cpu int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(cpu)))
			curr := s.Schedule(cpu, false)
			for !stop.Load() {
				clock.Add(50 * NSecPerUSec)
				if curr.Owner != nil && curr.class != classIdle && rng.Intn(20) == 0 {
					s.Dequeue(curr, true)
					mu.Lock()
					sleepers = append(sleepers, curr)
					mu.Unlock()
					curr = s.Schedule(cpu, true)
					continue
				}
				if rng.Intn(50) == 0 && curr.class != classIdle {
					s.Yield(curr)
				}
				if s.Tick(cpu) || s.NeedResched(cpu) {
					curr = s.Schedule(cpu, false)
				}
			}
		}(c)
	}
	wg.Add(2)
	go func() { // waker
		defer wg.Done()
		rng := rand.New(rand.NewSource(99))
		for !stop.Load() {
			mu.Lock()
			var p *Task
			if len(sleepers) > 0 {
				i := rng.Intn(len(sleepers))
				p = sleepers[i]
				sleepers = append(sleepers[:i], sleepers[i+1:]...)
			}
			mu.Unlock()
			if p != nil && !s.TryToWakeUp(p) {
				errs <- fmt.Errorf("wakeup of %v failed", p.Owner)
				return
			}
			time.Sleep(10 * time.Microsecond)
		}
	}()
	go func() { // setters
		defer wg.Done()
		rng := rand.New(rand.NewSource(7))
		for !stop.Load() {
			p := tasks[rng.Intn(len(tasks))]
			switch rng.Intn(3) {
			case 0:
				s.SetUserNice(p, rng.Intn(40)-20)
			case 1:
				_ = s.SetAffinity(p, CPUMask{uint64(rng.Intn(15) + 1)})
			case 2:
				pp := fuzzPolicies[rng.Intn(len(fuzzPolicies)-1)]
				if err := s.SetScheduler(p, pp.pol, pp.prio, false); err != nil {
					errs <- err
					return
				}
			}
			_ = s.Snapshot()
			time.Sleep(20 * time.Microsecond)
		}
	}()
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Quiesce: let every CPU process pending reschedules, then check.
	for c := 0; c < ncpus; c++ {
		s.Schedule(c, false)
	}
	if err := checkInvariants(s, tasks, nil); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, p := range tasks {
		total += p.SE.SumExecRuntime
	}
	if total == 0 {
		t.Fatal("nothing ran")
	}
	t.Logf("ran %v ms of task time, %d reschedule IPIs", total/NSecPerMSec, ipis.Load())
}
