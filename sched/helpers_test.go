package sched

import (
	"fmt"
	"testing"
)

// fakeClock is the test's sched_clock.
type fakeClock struct{ now int64 }

func (c *fakeClock) Now() int64 { return c.now }

// sim plays the per-CPU kernel loops of DESIGN.md decision 3 against a
// fake clock: every tick advances time by 1/HZ and runs Tick on each CPU,
// then Schedule wherever a reschedule is pending.
type sim struct {
	tb    testing.TB
	s     *Scheduler
	clk   *fakeClock
	idle  []*Task
	tasks []*Task
	tick  int64
}

func newSim(tb testing.TB, ncpus, hz int) *sim {
	clk := &fakeClock{now: 1000 * NSecPerSec}
	s := New(ncpus, clk.Now)
	s.HZ = hz
	m := &sim{tb: tb, s: s, clk: clk, tick: NSecPerSec / int64(hz)}
	for c := 0; c < ncpus; c++ {
		idle := &Task{Owner: fmt.Sprintf("swapper/%d", c)}
		s.InitIdle(c, idle)
		m.idle = append(m.idle, idle)
	}
	return m
}

// spawn forks a task (from parent, or from nothing) with the given nice,
// optionally pinned, and wakes it.
func (m *sim) spawn(name string, nice int, mask *CPUMask) *Task {
	p := &Task{Owner: name}
	m.s.SchedFork(p, nil)
	if nice != 0 {
		m.s.SetUserNice(p, nice)
	}
	if mask != nil {
		if err := m.s.SetAffinity(p, *mask); err != nil {
			m.tb.Fatal(err)
		}
	}
	m.s.WakeUpNewTask(p)
	m.tasks = append(m.tasks, p)
	m.reschedAll()
	return p
}

func (m *sim) reschedAll() {
	for c := range m.s.RQs {
		if m.s.NeedResched(c) {
			m.s.Schedule(c, false)
		}
	}
}

// step advances one tick on every CPU.
func (m *sim) step() {
	m.clk.now += m.tick
	for c := range m.s.RQs {
		if m.s.Tick(c) {
			m.s.Schedule(c, false)
		}
	}
	m.reschedAll()
}

func (m *sim) run(d int64) {
	for end := m.clk.now + d; m.clk.now < end; {
		m.step()
	}
}

// block puts cpu's current task to sleep, as a blocking syscall would.
func (m *sim) block(cpu int) *Task {
	p := m.s.Curr(cpu)
	m.s.Dequeue(p, true)
	m.s.Schedule(cpu, true)
	return p
}

func (m *sim) wake(p *Task) {
	m.s.TryToWakeUp(p)
	m.reschedAll()
}

func runtimes(ts []*Task) []int64 {
	r := make([]int64, len(ts))
	for i, p := range ts {
		r[i] = p.SE.SumExecRuntime
	}
	return r
}

// checkInvariants verifies the runqueues after an operation: red-black
// properties, vruntime order, leftmost cache, counters, loads, RT bitmap,
// min_vruntime monotonic, each task queued on at most one runqueue and only
// on a CPU it may use.
func checkInvariants(s *Scheduler, tasks []*Task, lastMin []uint64) error {
	seen := map[*Task]int{}
	for _, rq := range s.RQs {
		rq.lock.Lock()
		err := checkRQ(s, rq, seen, lastMin)
		rq.lock.Unlock()
		if err != nil {
			return fmt.Errorf("cpu %d: %w", rq.CPU, err)
		}
	}
	for _, p := range tasks {
		if p.migrating.Load() {
			return fmt.Errorf("%v still migrating", p.Owner)
		}
		want := 0
		if p.OnRQ {
			want = 1
		}
		if seen[p] != want {
			return fmt.Errorf("%v OnRQ=%v found on %d runqueues", p.Owner, p.OnRQ, seen[p])
		}
	}
	return nil
}

func checkRB(n *SchedEntity, parent *SchedEntity) (blackHeight int, count int, err error) {
	if n == nil {
		return 1, 0, nil
	}
	if n.node.parent != parent {
		return 0, 0, fmt.Errorf("bad parent link")
	}
	if n.node.red && (isRed(n.node.left) || isRed(n.node.right)) {
		return 0, 0, fmt.Errorf("red node with red child")
	}
	lh, lc, err := checkRB(n.node.left, n)
	if err != nil {
		return 0, 0, err
	}
	rh, rc, err := checkRB(n.node.right, n)
	if err != nil {
		return 0, 0, err
	}
	if lh != rh {
		return 0, 0, fmt.Errorf("black heights differ: %d vs %d", lh, rh)
	}
	if !n.node.red {
		lh++
	}
	return lh, lc + rc + 1, nil
}

func checkRQ(s *Scheduler, rq *RQ, seen map[*Task]int, lastMin []uint64) error {
	cfs := &rq.CFS
	t := &cfs.tasksTimeline
	if isRed(t.root) {
		return fmt.Errorf("red root")
	}
	_, count, err := checkRB(t.root, nil)
	if err != nil {
		return err
	}
	if t.root == nil {
		if t.leftmost != nil {
			return fmt.Errorf("leftmost cached in empty tree")
		}
	} else if t.leftmost != rbMin(t.root) {
		return fmt.Errorf("leftmost cache wrong")
	}
	var load uint64
	n := 0
	var prev *SchedEntity
	for se := t.first(); se != nil; se = rbNext(se) {
		n++
		if prev != nil && entityBefore(se, prev) {
			return fmt.Errorf("tree not ordered by vruntime")
		}
		prev = se
		p := se.task
		if !p.OnRQ || !se.OnRQ || p.class != classFair || p.CPU != rq.CPU || int(p.cpu.Load()) != rq.CPU {
			return fmt.Errorf("bad task %v in tree (OnRQ %v class %v cpu %d)", p.Owner, p.OnRQ, p.class, p.CPU)
		}
		if !p.CPUsMask.Test(rq.CPU) {
			return fmt.Errorf("%v queued on disallowed cpu (mask %v)", p.Owner, p.CPUsMask)
		}
		if rq.Curr == p {
			return fmt.Errorf("running task %v in tree", p.Owner)
		}
		load += se.Load.Weight
		seen[p]++
	}
	if n != count {
		return fmt.Errorf("in-order walk %d nodes, tree %d", n, count)
	}
	curr := rq.Curr
	if curr == nil || !curr.OnCPU || curr.CPU != rq.CPU {
		return fmt.Errorf("bad curr")
	}
	if curr.class == classFair {
		if cfs.Curr != &curr.SE {
			return fmt.Errorf("cfs curr is not rq curr")
		}
	} else if cfs.Curr != nil {
		return fmt.Errorf("cfs curr set while %v class runs", curr.class)
	}
	fairQueued := n
	if cfs.Curr != nil && cfs.Curr.OnRQ {
		fairQueued++
		load += cfs.Curr.Load.Weight
		seen[curr]++
		if !curr.CPUsMask.Test(rq.CPU) {
			return fmt.Errorf("running %v on disallowed cpu", curr.Owner)
		}
	}
	if cfs.NrRunning != fairQueued {
		return fmt.Errorf("cfs nr_running %d, queued %d", cfs.NrRunning, fairQueued)
	}
	idleN := 0
	for se := t.first(); se != nil; se = rbNext(se) {
		if seIsIdle(se) {
			idleN++
		}
	}
	if cfs.Curr != nil && cfs.Curr.OnRQ && seIsIdle(cfs.Curr) {
		idleN++
	}
	if idleN != cfs.idleNrRunning {
		return fmt.Errorf("idle_nr_running %d, counted %d", cfs.idleNrRunning, idleN)
	}
	if cfs.Load.Weight != load {
		return fmt.Errorf("cfs load %d, sum %d", cfs.Load.Weight, load)
	}
	for _, b := range []*SchedEntity{cfs.next, cfs.last, cfs.skip} {
		if b != nil && (!b.OnRQ || b.task.CPU != rq.CPU || b.task.class != classFair) {
			return fmt.Errorf("stale buddy %v", b.task.Owner)
		}
	}
	rtn := 0
	for prio := 0; prio < MaxRTPrio; prio++ {
		q := rq.RT.active.queue[prio]
		bit := rq.RT.active.bitmap[prio/64]&(1<<(prio%64)) != 0
		if bit != (q.head != nil) {
			return fmt.Errorf("rt bitmap wrong at %d", prio)
		}
		var last *Task
		for p := q.head; p != nil; p = p.RT.next {
			rtn++
			if p.RT.prev != last || p.Prio != prio || p.class != classRT || !p.OnRQ || p.CPU != rq.CPU {
				return fmt.Errorf("bad rt task %v", p.Owner)
			}
			if !p.CPUsMask.Test(rq.CPU) {
				return fmt.Errorf("rt %v queued on disallowed cpu", p.Owner)
			}
			seen[p]++
			last = p
		}
		if q.tail != last {
			return fmt.Errorf("rt tail wrong at %d", prio)
		}
	}
	if rtn != rq.RT.NrRunning {
		return fmt.Errorf("rt nr_running %d, queued %d", rq.RT.NrRunning, rtn)
	}
	if rq.NrRunning != cfs.NrRunning+rq.RT.NrRunning {
		return fmt.Errorf("nr_running %d != cfs %d + rt %d", rq.NrRunning, cfs.NrRunning, rq.RT.NrRunning)
	}
	if int(rq.nrA.Load()) != rq.NrRunning {
		return fmt.Errorf("nr_running mirror stale")
	}
	if curr.class == classIdle && curr != rq.Idle {
		return fmt.Errorf("foreign idle task")
	}
	if lastMin != nil {
		if int64(cfs.MinVruntime-lastMin[rq.CPU]) < 0 {
			return fmt.Errorf("min_vruntime went backwards")
		}
		lastMin[rq.CPU] = cfs.MinVruntime
	}
	return nil
}
