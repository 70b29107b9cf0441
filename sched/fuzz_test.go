package sched

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"
)

// opMachine drives the scheduler with a stream of operations the kernel
// could issue, checking the invariants after each one.
type opMachine struct {
	m       *sim
	lastMin []uint64
	nextID  int
}

func newOpMachine(tb testing.TB, ncpus int) *opMachine {
	m := newSim(tb, ncpus, 250)
	om := &opMachine{m: m, lastMin: make([]uint64, ncpus)}
	for c, rq := range m.s.RQs {
		om.lastMin[c] = rq.CFS.MinVruntime
	}
	return om
}

// running reports the non-idle current task of cpu, or nil.
func (om *opMachine) running(cpu int) *Task {
	if p := om.m.s.Curr(cpu); p != om.m.idle[cpu] {
		return p
	}
	return nil
}

func (om *opMachine) pick(a byte, f func(p *Task) bool) *Task {
	var c []*Task
	for _, p := range om.m.tasks {
		if f(p) {
			c = append(c, p)
		}
	}
	if len(c) == 0 {
		return nil
	}
	return c[int(a)%len(c)]
}

var fuzzPolicies = []struct {
	pol  Policy
	prio int
}{{SchedNormal, 0}, {SchedBatch, 0}, {SchedIdle, 0}, {SchedFIFO, 10}, {SchedRR, 10}, {SchedFIFO, 50}, {SchedRR, 1}, {SchedFIFO, 0}}

// step performs operation op with arguments a, b and returns its name.
func (om *opMachine) step(op, a, b byte) (string, error) {
	m := om.m
	s := m.s
	n := len(s.RQs)
	cpu := int(a) % n
	name := ""
	switch op % 13 {
	case 0: // fork from the running task (or from nothing)
		if len(m.tasks) >= 48 {
			break
		}
		om.nextID++
		p := &Task{Owner: fmt.Sprintf("t%d", om.nextID)}
		s.SchedFork(p, om.running(cpu))
		m.tasks = append(m.tasks, p)
		s.WakeUpNewTask(p)
		name = "fork"
	case 1: // wake a sleeping task
		if p := om.pick(b, func(p *Task) bool { return !p.OnRQ }); p != nil {
			if !s.TryToWakeUp(p) {
				return "", fmt.Errorf("wakeup of sleeping %v failed", p.Owner)
			}
			name = "wake"
		}
	case 2: // the running task blocks
		if p := om.running(cpu); p != nil {
			s.Dequeue(p, true)
			s.Schedule(cpu, true)
			name = "sleep"
		}
	case 3, 4, 5: // timer tick
		m.clk.now += int64(b%16+1) * 250 * NSecPerUSec
		if s.Tick(cpu) {
			s.Schedule(cpu, false)
		}
		name = "tick"
	case 6:
		s.Schedule(cpu, false)
		name = "schedule"
	case 7:
		if p := om.pick(a, func(*Task) bool { return true }); p != nil {
			s.SetUserNice(p, int(b)%40+MinNice)
			name = "nice"
		}
	case 8:
		if p := om.pick(b, func(*Task) bool { return true }); p != nil {
			mask := CPUMask{uint64(a)}
			err := s.SetAffinity(p, mask)
			if (err != nil) != mask.And(s.Online).Empty() {
				return "", fmt.Errorf("SetAffinity(%v) = %v", mask, err)
			}
			name = "affinity"
		}
	case 9:
		if p := om.running(cpu); p != nil {
			s.Yield(p)
			s.Schedule(cpu, false)
			name = "yield"
		}
	case 10:
		if p := om.pick(a, func(*Task) bool { return true }); p != nil {
			pp := fuzzPolicies[int(b)%len(fuzzPolicies)]
			err := s.SetScheduler(p, pp.pol, pp.prio, b&0x80 != 0)
			if (err != nil) != (rtPolicy(pp.pol) && pp.prio == 0) {
				return "", fmt.Errorf("SetScheduler(%v, %d) = %v", pp.pol, pp.prio, err)
			}
			name = "setscheduler"
		}
	case 11: // the running task exits
		if p := om.running(cpu); p != nil {
			s.Dequeue(p, false)
			s.Schedule(cpu, true)
			i := slices.Index(m.tasks, p)
			m.tasks = slices.Delete(m.tasks, i, i+1)
			name = "exit"
		}
	case 12: // everybody sleeps for a while, balancing runs
		m.clk.now += int64(b) * NSecPerMSec
		s.LoadBalance(cpu, om.running(cpu) == nil)
		name = "balance"
	}
	// The kernel loops react to reschedule requests (IPIs).
	m.reschedAll()
	return name, checkInvariants(s, m.tasks, om.lastMin)
}

func runOps(t testing.TB, ncpus int, data []byte) {
	om := newOpMachine(t, ncpus)
	for i := 0; i+2 < len(data); i += 3 {
		name, err := om.step(data[i], data[i+1], data[i+2])
		if err != nil {
			t.Fatalf("op %d (%s %d %d %d): %v", i/3, name, data[i], data[i+1], data[i+2], err)
		}
	}
}

func FuzzScheduler(f *testing.F) {
	f.Add(byte(2), []byte{0, 0, 0, 0, 1, 0, 3, 0, 5, 3, 1, 7, 2, 0, 0, 1, 0, 0})
	f.Add(byte(1), []byte{0, 0, 0, 0, 0, 0, 10, 0, 3, 3, 0, 9, 9, 0, 0, 11, 0, 0, 1, 0, 0})
	f.Add(byte(4), []byte{0, 0, 0, 0, 1, 0, 0, 2, 0, 8, 1, 0, 3, 0, 15, 12, 1, 3, 6, 1, 0})
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 8; i++ {
		d := make([]byte, 600)
		rng.Read(d)
		f.Add(byte(i%4+1), d)
	}
	f.Fuzz(func(t *testing.T, ncpus byte, data []byte) {
		runOps(t, int(ncpus)%4+1, data)
	})
}

// TestRandomOps runs the fuzz machine over fixed random streams, so plain
// `go test` covers thousands of operations.
func TestRandomOps(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 30
	}
	for seed := 0; seed < seeds; seed++ {
		rng := rand.New(rand.NewSource(int64(seed)))
		d := make([]byte, 3*400)
		rng.Read(d)
		// Bias towards forks early so there is something to schedule.
		for i := 0; i < 30; i += 3 {
			d[i] = 0
		}
		runOps(t, seed%4+1, d)
	}
}

// TestRBTree checks the red-black tree against a sorted slice.
func TestRBTree(t *testing.T) {
	rng := rand.New(rand.NewSource(42))
	var tree rbRootCached
	var in []*SchedEntity
	pool := make([]SchedEntity, 2000)
	for i := range pool {
		pool[i].task = &Task{Owner: i}
	}
	for op := 0; op < 20000; op++ {
		if len(in) < 5 || (rng.Intn(2) == 0 && len(in) < len(pool)) {
			var se *SchedEntity
			for se == nil || slices.Contains(in, se) {
				se = &pool[rng.Intn(len(pool))]
			}
			se.Vruntime = uint64(rng.Intn(500)) - 250 // wraps around 0
			tree.add(se, entityBefore)
			in = append(in, se)
		} else {
			i := rng.Intn(len(in))
			tree.erase(in[i])
			in = slices.Delete(in, i, i+1)
		}
		if op%97 == 0 || len(in) < 10 {
			if isRed(tree.root) {
				t.Fatal("red root")
			}
			_, n, err := checkRB(tree.root, nil)
			if err != nil || n != len(in) {
				t.Fatalf("op %d: %v (%d nodes, want %d)", op, err, n, len(in))
			}
			var prev *SchedEntity
			for se := tree.first(); se != nil; se = rbNext(se) {
				if prev != nil && entityBefore(se, prev) {
					t.Fatal("out of order")
				}
				prev = se
			}
			if len(in) > 0 && tree.leftmost != rbMin(tree.root) {
				t.Fatal("leftmost")
			}
			if len(in) > 0 && tree.last() != prev {
				t.Fatal("last")
			}
		}
	}
}
