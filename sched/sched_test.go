package sched

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"tamix/errno"
)

func TestWeightTables(t *testing.T) {
	for i, w := range SchedPrioToWeight {
		exact := float64(uint64(1)<<32) / float64(w)
		assert.InDelta(t, exact, float64(SchedPrioToWmult[i]), 1, "wmult of nice %d", i+MinNice)
		if i > 0 {
			r := float64(SchedPrioToWeight[i-1]) / float64(w)
			assert.InDelta(t, 1.25, r, 0.06, "step nice %d", i+MinNice)
		}
	}
	for _, tc := range []struct {
		nice int
		w    uint64
	}{{0, 1024}, {5, 335}, {-20, 88761}, {19, 15}, {-5, 3121}, {-30, 88761}, {30, 15}} {
		assert.Equal(t, tc.w, NiceToWeight(tc.nice), "nice %d", tc.nice)
	}
}

func TestCalcDelta(t *testing.T) {
	for _, w := range append(SchedPrioToWeight[:], WeightIdlePrio, 1024*3) {
		for _, d := range []uint64{1, 999, 1000000, 4000000, 1 << 40} {
			lw := LoadWeight{Weight: w}
			got := calcDelta(d, Nice0Load, &lw)
			want := float64(d) * Nice0Load / float64(w)
			assert.InDelta(t, want, float64(got), want*2e-5+2, "delta %d weight %d", d, w)
		}
	}
}

func TestTunablesScaleWithCPUs(t *testing.T) {
	for _, tc := range []struct{ ncpus, factor int }{{1, 1}, {2, 2}, {3, 2}, {4, 3}, {7, 3}, {8, 4}, {16, 4}, {64, 4}} {
		s := New(tc.ncpus, func() int64 { return 0 })
		f := int64(tc.factor)
		assert.Equal(t, 6*NSecPerMSec*f, s.SchedLatency, "latency %d cpus", tc.ncpus)
		assert.Equal(t, 750*NSecPerUSec*f, s.MinGranularity, "min_gran %d cpus", tc.ncpus)
		assert.Equal(t, 1*NSecPerMSec*f, s.WakeupGranularity, "wakeup_gran %d cpus", tc.ncpus)
		assert.Equal(t, s.SchedLatency, schedNrLatency*s.MinGranularity)
	}
}

func TestSchedPeriodAndSlice(t *testing.T) {
	m := newSim(t, 1, 1000)
	s := m.s
	assert.Equal(t, 6*NSecPerMSec, s.schedPeriod(1))
	assert.Equal(t, 6*NSecPerMSec, s.schedPeriod(8))
	assert.Equal(t, 9*750*NSecPerUSec, s.schedPeriod(9))
	a := m.spawn("a", 0, nil)
	b := m.spawn("b", 5, nil)
	rq := s.RQs[0]
	// 6 ms split 1024:335.
	assert.InDelta(t, 6e6*1024/1359, float64(s.schedSlice(&rq.CFS, &a.SE)), 2)
	assert.InDelta(t, 6e6*335/1359, float64(s.schedSlice(&rq.CFS, &b.SE)), 2)
	var ps []*Task
	for i := 0; i < 20; i++ {
		ps = append(ps, m.spawn(fmt.Sprint(i), 19, nil))
	}
	// Tiny slices are raised to min_granularity.
	assert.Equal(t, s.MinGranularity, s.schedSlice(&rq.CFS, &ps[0].SE))
}

func TestPrioValues(t *testing.T) {
	for _, tc := range []struct {
		policy               Policy
		rtprio, nice         int
		prio, static, normal int
		weight               uint64
		class                string
	}{
		{SchedNormal, 0, 0, 120, 120, 120, 1024, "fair"},
		{SchedNormal, 0, -20, 100, 100, 100, 88761, "fair"},
		{SchedNormal, 0, 19, 139, 139, 139, 15, "fair"},
		{SchedBatch, 0, 5, 125, 125, 125, 335, "fair"},
		{SchedIdle, 0, 0, 120, 120, 120, 3, "fair"},
		{SchedFIFO, 1, 0, 98, 120, 98, 1024, "rt"},
		{SchedFIFO, 99, 0, 0, 120, 0, 1024, "rt"},
		{SchedRR, 50, -3, 49, 117, 49, 1991, "rt"},
	} {
		t.Run(fmt.Sprintf("%v/%d/%d", tc.policy, tc.rtprio, tc.nice), func(t *testing.T) {
			m := newSim(t, 1, 250)
			p := m.spawn("p", tc.nice, nil)
			require.NoError(t, m.s.SetScheduler(p, tc.policy, tc.rtprio, false))
			m.reschedAll()
			assert.Equal(t, tc.prio, p.Prio)
			assert.Equal(t, tc.static, p.StaticPrio)
			assert.Equal(t, tc.normal, p.NormalPrio)
			assert.Equal(t, tc.rtprio, p.RTPriority)
			assert.Equal(t, tc.weight, p.SE.Load.Weight)
			assert.Equal(t, tc.class, p.Class())
			assert.Equal(t, tc.nice, p.Nice())
			require.NoError(t, checkInvariants(m.s, m.tasks, nil))
		})
	}
}

func TestPriorityMinMax(t *testing.T) {
	for _, tc := range []struct {
		policy   Policy
		min, max int
		err      error
	}{
		{SchedNormal, 0, 0, nil},
		{SchedBatch, 0, 0, nil},
		{SchedIdle, 0, 0, nil},
		{SchedFIFO, 1, 99, nil},
		{SchedRR, 1, 99, nil},
		{SchedDeadline, 0, 0, nil},
		{4, 0, 0, errno.EINVAL},
		{7, 0, 0, errno.EINVAL},
		{-1, 0, 0, errno.EINVAL},
	} {
		lo, err1 := PriorityMin(tc.policy)
		hi, err2 := PriorityMax(tc.policy)
		if tc.err != nil {
			assert.Equal(t, tc.err, err1, "%v", tc.policy)
			assert.Equal(t, tc.err, err2, "%v", tc.policy)
			continue
		}
		require.NoError(t, err1)
		require.NoError(t, err2)
		assert.Equal(t, tc.min, lo, "min %v", tc.policy)
		assert.Equal(t, tc.max, hi, "max %v", tc.policy)
	}
}

func TestSetSchedulerErrno(t *testing.T) {
	for _, tc := range []struct {
		policy Policy
		prio   int
		err    error
	}{
		{SchedNormal, 0, nil},
		{SchedBatch, 0, nil},
		{SchedIdle, 0, nil},
		{SchedFIFO, 1, nil},
		{SchedFIFO, 99, nil},
		{SchedRR, 42, nil},
		{SchedNormal, 1, errno.EINVAL},
		{SchedBatch, 5, errno.EINVAL},
		{SchedIdle, 99, errno.EINVAL},
		{SchedFIFO, 0, errno.EINVAL},
		{SchedRR, 100, errno.EINVAL},
		{SchedRR, -1, errno.EINVAL},
		{SchedFIFO, 1000, errno.EINVAL},
		{SchedDeadline, 0, errno.EINVAL},
		{4, 0, errno.EINVAL},
		{7, 0, errno.EINVAL},
		{-1, 0, errno.EINVAL},
		{SchedResetOnFork, 0, errno.EINVAL}, // the flag must be stripped by the caller
	} {
		t.Run(fmt.Sprintf("%d/%d", tc.policy, tc.prio), func(t *testing.T) {
			m := newSim(t, 1, 250)
			p := m.spawn("p", 0, nil)
			err := m.s.SetScheduler(p, tc.policy, tc.prio, false)
			if tc.err == nil {
				require.NoError(t, err)
				assert.Equal(t, tc.policy, p.Policy)
			} else {
				assert.Equal(t, tc.err, err)
				assert.Equal(t, SchedNormal, p.Policy, "failed call changed nothing")
			}
		})
	}
	m := newSim(t, 1, 250)
	assert.Equal(t, errno.EINVAL, m.s.SetScheduler(m.idle[0], SchedFIFO, 1, false))
}

func TestResetOnFork(t *testing.T) {
	for _, tc := range []struct {
		name         string
		policy       Policy
		rtprio, nice int
		wantPolicy   Policy
		wantPrio     int
		wantNice     int
	}{
		{"fifo", SchedFIFO, 10, 0, SchedNormal, 120, 0},
		{"rr-nice", SchedRR, 10, 5, SchedNormal, 120, 0}, // RT resets nice too
		{"negative nice", SchedNormal, 0, -10, SchedNormal, 120, 0},
		{"positive nice kept", SchedBatch, 0, 7, SchedBatch, 127, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newSim(t, 1, 250)
			parent := m.spawn("parent", tc.nice, nil)
			require.NoError(t, m.s.SetScheduler(parent, tc.policy, tc.rtprio, true))
			m.reschedAll()
			child := &Task{}
			m.s.SchedFork(child, parent)
			assert.Equal(t, tc.wantPolicy, child.Policy)
			assert.Equal(t, tc.wantPrio, child.Prio)
			assert.Equal(t, tc.wantNice, child.Nice())
			assert.False(t, child.ResetOnFork)
			assert.True(t, parent.ResetOnFork)
		})
	}
}

// TestFairness: N equal CPU-bound tasks on one CPU get the same time.
func TestFairness(t *testing.T) {
	for _, hz := range []int{250, 1000} {
		for _, n := range []int{2, 3, 5, 8, 12} {
			t.Run(fmt.Sprintf("HZ%d/%dtasks", hz, n), func(t *testing.T) {
				m := newSim(t, 1, hz)
				var ts []*Task
				for i := 0; i < n; i++ {
					ts = append(ts, m.spawn(fmt.Sprint(i), 0, nil))
				}
				m.run(10 * NSecPerSec)
				rt := runtimes(ts)
				var sum int64
				for _, r := range rt {
					sum += r
				}
				mean := float64(sum) / float64(n)
				assert.InDelta(t, 10e9, float64(sum), 1e7, "the CPU was busy all the time")
				worst := 0.0
				for _, r := range rt {
					worst = math.Max(worst, math.Abs(float64(r)-mean)/mean)
				}
				assert.Less(t, worst, 0.02, "runtimes %v", rt)
				t.Logf("worst deviation from the mean %.3f%%", worst*100)
			})
		}
	}
}

// runPair runs two CPU-bound tasks of nice a and b on one CPU and returns
// their runtime ratio.
func runPair(t *testing.T, a, b int, d int64) float64 {
	m := newSim(t, 1, 1000)
	pa := m.spawn("a", a, nil)
	pb := m.spawn("b", b, nil)
	m.run(d)
	return float64(pa.SE.SumExecRuntime) / float64(pb.SE.SumExecRuntime)
}

// TestNiceRatios: CPU time splits in the ratio of the weights, for nice 0
// against every other level and for every pair of adjacent levels.
func TestNiceRatios(t *testing.T) {
	type pair struct{ a, b int }
	var pairs []pair
	for n := MinNice; n <= MaxNice; n++ {
		if n != 0 {
			pairs = append(pairs, pair{0, n})
		}
		if n < MaxNice {
			pairs = append(pairs, pair{n, n + 1})
		}
	}
	if !testing.Short() {
		pairs = append(pairs, pair{-20, 19}, pair{-10, 10}, pair{-5, 15})
	}
	worst := 0.0
	for _, pr := range pairs {
		wa, wb := NiceToWeight(pr.a), NiceToWeight(pr.b)
		want := float64(wa) / float64(wb)
		lo := float64(min(wa, wb))
		// Long enough for the lighter task to run ~100 ticks.
		d := max(int64(10*NSecPerSec), int64(100*float64(wa+wb)/lo)*NSecPerMSec)
		got := runPair(t, pr.a, pr.b, d)
		dev := math.Abs(got-want) / want
		worst = math.Max(worst, dev)
		assert.Less(t, dev, 0.02, "nice %d vs %d: ratio %.3f want %.3f", pr.a, pr.b, got, want)
		if pr.a == 0 && pr.b == 5 {
			t.Logf("nice 0 vs 5: %.4f (1024:335 = %.4f)", got, want)
		}
	}
	t.Logf("%d pairs, worst ratio error %.3f%%", len(pairs), worst*100)
}

// TestRTStarvesFairAndThrottling: an RT hog takes the CPU from fair tasks,
// except for the 5% that RT throttling (950 ms per 1000 ms) leaves them.
func TestRTStarvesFairAndThrottling(t *testing.T) {
	for _, tc := range []struct {
		name          string
		policy        Policy
		runtime       int64
		wantFairShare float64
		tol           float64
	}{
		{"fifo unthrottled", SchedFIFO, RuntimeInf, 0, 0},
		{"fifo throttled", SchedFIFO, DefaultRTRuntime, 0.05, 0.005},
		{"rr throttled", SchedRR, DefaultRTRuntime, 0.05, 0.005},
		{"fifo half", SchedFIFO, 500 * NSecPerMSec, 0.5, 0.01},
	} {
		for _, hz := range []int{250, 1000} {
			t.Run(fmt.Sprintf("%s/HZ%d", tc.name, hz), func(t *testing.T) {
				m := newSim(t, 1, hz)
				m.s.RTRuntime = tc.runtime
				fair := m.spawn("fair", 0, nil)
				rt := m.spawn("rt", 0, nil)
				require.NoError(t, m.s.SetScheduler(rt, tc.policy, 50, false))
				m.reschedAll()
				assert.Equal(t, rt, m.s.Curr(0), "RT preempts fair at once")
				f0, r0 := fair.SE.SumExecRuntime, rt.SE.SumExecRuntime
				m.run(10 * NSecPerSec)
				df, dr := fair.SE.SumExecRuntime-f0, rt.SE.SumExecRuntime-r0
				share := float64(df) / float64(df+dr)
				assert.InDelta(t, tc.wantFairShare, share, tc.tol+1e-9)
				t.Logf("fair share %.3f%% (rt %v ms, fair %v ms)", share*100, dr/NSecPerMSec, df/NSecPerMSec)
			})
		}
	}
}

func TestFIFORunsUntilYieldOrBlock(t *testing.T) {
	m := newSim(t, 1, 250)
	a := m.spawn("a", 0, nil)
	b := m.spawn("b", 0, nil)
	require.NoError(t, m.s.SetScheduler(a, SchedFIFO, 10, false))
	require.NoError(t, m.s.SetScheduler(b, SchedFIFO, 10, false))
	m.reschedAll()
	m.s.RTRuntime = RuntimeInf
	require.Equal(t, a, m.s.Curr(0))
	b0 := b.SE.SumExecRuntime
	m.run(3 * NSecPerSec)
	assert.Equal(t, a, m.s.Curr(0), "no timeslice for FIFO")
	assert.Equal(t, b0, b.SE.SumExecRuntime)

	m.s.Yield(a)
	m.s.Schedule(0, false)
	assert.Equal(t, b, m.s.Curr(0), "yield goes to the tail of the list")
	a0 := a.SE.SumExecRuntime
	m.run(NSecPerSec)
	assert.Equal(t, a0, a.SE.SumExecRuntime)

	assert.Equal(t, b, m.block(0))
	assert.Equal(t, a, m.s.Curr(0), "blocking lets the next one run")
	assert.Equal(t, uint64(1), b.Nvcsw)

	// A higher priority wakeup preempts; the preempted task keeps the head.
	c := &Task{Owner: "c"}
	m.s.SchedFork(c, nil)
	m.s.WakeUpNewTask(c)
	require.NoError(t, m.s.SetScheduler(c, SchedFIFO, 20, false))
	m.reschedAll()
	assert.Equal(t, c, m.s.Curr(0))
	m.wake(b)
	m.block(0)
	assert.Equal(t, a, m.s.Curr(0), "preempted FIFO task stays at the head")
}

func TestRRRotation(t *testing.T) {
	for _, hz := range []int{100, 250, 1000} {
		t.Run(fmt.Sprintf("HZ%d", hz), func(t *testing.T) {
			m := newSim(t, 1, hz)
			m.s.RTRuntime = RuntimeInf
			var ts []*Task
			for i := 0; i < 3; i++ {
				p := m.spawn(fmt.Sprint(i), 0, nil)
				require.NoError(t, m.s.SetScheduler(p, SchedRR, 30, false))
				ts = append(ts, p)
			}
			m.reschedAll()
			assert.Equal(t, 100*NSecPerMSec, m.s.RRInterval(ts[0]))
			// Record run lengths.
			var spans []int64
			last, start := m.s.Curr(0), m.clk.now
			for i := 0; i < 2*hz; i++ {
				m.step()
				if c := m.s.Curr(0); c != last {
					spans = append(spans, m.clk.now-start)
					last, start = c, m.clk.now
				}
			}
			require.Greater(t, len(spans), 10)
			for _, sp := range spans[1:] {
				assert.Equal(t, 100*NSecPerMSec, sp)
			}
			rt := runtimes(ts)
			assert.InDelta(t, float64(rt[0]), float64(rt[2]), float64(100*NSecPerMSec)+1)
		})
	}
}

func TestYield(t *testing.T) {
	t.Run("fair", func(t *testing.T) {
		m := newSim(t, 1, 1000)
		a := m.spawn("a", 0, nil)
		b := m.spawn("b", 0, nil)
		m.run(50 * NSecPerMSec)
		cur := m.s.Curr(0)
		other := a
		if cur == a {
			other = b
		}
		n := cur.Nivcsw
		m.s.Yield(cur)
		assert.True(t, m.s.NeedResched(0))
		assert.Equal(t, other, m.s.Schedule(0, false))
		assert.Equal(t, n+1, cur.Nivcsw, "sched_yield counts as involuntary, as in Linux")
		assert.Equal(t, &cur.SE, m.s.RQs[0].CFS.skip, "skip buddy stays set until the yielder is picked")
		m.run(20 * NSecPerMSec)
		require.NoError(t, checkInvariants(m.s, m.tasks, nil))
	})
	t.Run("alone", func(t *testing.T) {
		m := newSim(t, 1, 1000)
		a := m.spawn("a", 0, nil)
		m.s.Yield(a)
		assert.Equal(t, a, m.s.Schedule(0, false))
	})
	t.Run("rr alone", func(t *testing.T) {
		m := newSim(t, 1, 1000)
		a := m.spawn("a", 0, nil)
		require.NoError(t, m.s.SetScheduler(a, SchedRR, 1, false))
		m.s.Yield(a)
		assert.Equal(t, a, m.s.Schedule(0, false))
	})
}

// TestWakeupPreemption: check_preempt_wakeup and the class rules.
func TestWakeupPreemption(t *testing.T) {
	for _, tc := range []struct {
		name       string
		currPolicy Policy
		wakePolicy Policy
		wakePrio   int
		lag        int64 // wakee vruntime relative to curr's, before placement
		preempt    bool
	}{
		{"long sleeper preempts", SchedNormal, SchedNormal, 0, -100 * NSecPerMSec, true},
		{"just behind: within wakeup_gran", SchedNormal, SchedNormal, 0, -500 * NSecPerUSec, false},
		{"ahead: no", SchedNormal, SchedNormal, 0, 5 * NSecPerMSec, false},
		{"batch wakee never preempts", SchedNormal, SchedBatch, 0, -100 * NSecPerMSec, false},
		{"idle wakee never preempts", SchedNormal, SchedIdle, 0, -100 * NSecPerMSec, false},
		{"idle curr always preempted", SchedIdle, SchedNormal, 0, 50 * NSecPerMSec, true},
		{"rt wakee preempts fair", SchedNormal, SchedFIFO, 1, 50 * NSecPerMSec, true},
		{"higher rt preempts rt", SchedFIFO, SchedFIFO, 20, 0, true},
		{"equal rt does not", SchedFIFO, SchedFIFO, 10, 0, false},
		{"fair does not preempt rt", SchedFIFO, SchedNormal, 0, -100 * NSecPerMSec, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newSim(t, 1, 1000)
			curr := m.spawn("curr", 0, nil)
			w := m.spawn("wakee", 0, nil)
			currPrio := 0
			if rtPolicy(tc.currPolicy) {
				currPrio = 10
			}
			require.NoError(t, m.s.SetScheduler(curr, tc.currPolicy, currPrio, false))
			m.reschedAll()
			if m.s.Curr(0) != curr {
				m.s.Yield(m.s.Curr(0))
				m.s.Schedule(0, false)
			}
			require.Equal(t, curr, m.s.Curr(0))
			m.s.Dequeue(w, true)
			require.NoError(t, m.s.SetScheduler(w, tc.wakePolicy, tc.wakePrio, false))
			m.run(200 * NSecPerMSec)
			require.Equal(t, curr, m.s.Curr(0))
			if tc.wakePolicy != SchedFIFO {
				w.SE.Vruntime = curr.SE.Vruntime + uint64(tc.lag)
			}
			woken, cpu := m.s.Wake(w)
			require.True(t, woken)
			assert.Equal(t, tc.preempt, m.s.NeedResched(0))
			if tc.preempt {
				assert.Equal(t, 0, cpu)
				if tc.lag < 0 || rtPolicy(tc.wakePolicy) {
					assert.Equal(t, w, m.s.Schedule(0, false))
				}
			} else {
				assert.Equal(t, -1, cpu)
			}
			require.NoError(t, checkInvariants(m.s, m.tasks, nil))
		})
	}
	t.Run("idle cpu", func(t *testing.T) {
		m := newSim(t, 1, 1000)
		a := m.spawn("a", 0, nil)
		m.block(0)
		assert.Equal(t, m.idle[0], m.s.Curr(0))
		woken, cpu := m.s.Wake(a)
		assert.True(t, woken)
		assert.Equal(t, 0, cpu)
		woken, _ = m.s.Wake(a)
		assert.False(t, woken, "already runnable")
	})
}

// TestSleeperPlacement: place_entity for wakeups.
func TestSleeperPlacement(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy Policy
		lag    int64 // sleeper's vruntime relative to min_vruntime at wakeup
		want   int64 // its vruntime relative to min_vruntime after
	}{
		{"long sleep: half a latency credit", SchedNormal, -time100ms, -3 * NSecPerMSec},
		{"short sleep keeps its vruntime", SchedNormal, -1 * NSecPerMSec, -1 * NSecPerMSec},
		{"ahead keeps its vruntime", SchedNormal, 2 * NSecPerMSec, 2 * NSecPerMSec},
		{"SCHED_IDLE gets min_gran/2", SchedIdle, -time100ms, -375 * NSecPerUSec},
		{"batch like normal", SchedBatch, -time100ms, -3 * NSecPerMSec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newSim(t, 1, 1000)
			a := m.spawn("a", 0, nil)
			b := m.spawn("b", 0, nil)
			require.NoError(t, m.s.SetScheduler(b, tc.policy, 0, false))
			m.s.Dequeue(b, true)
			m.reschedAll()
			m.run(time100ms)
			require.Equal(t, a, m.s.Curr(0))
			rq := m.s.RQs[0]
			// Wake in the middle of a tick so update_curr has run.
			rq.lock.Lock()
			b.SE.Vruntime = rq.CFS.MinVruntime + uint64(tc.lag)
			min := rq.CFS.MinVruntime
			rq.lock.Unlock()
			m.s.TryToWakeUp(b)
			assert.Equal(t, tc.want, int64(b.SE.Vruntime-min))
		})
	}
}

const time100ms = 100 * NSecPerMSec

// TestForkPlacement: the child starts a vslice after min_vruntime, never
// before the parent (START_DEBIT), and the parent keeps running.
func TestForkPlacement(t *testing.T) {
	m := newSim(t, 1, 1000)
	parent := m.spawn("parent", 0, nil)
	m.run(50 * NSecPerMSec)
	require.Equal(t, parent, m.s.Curr(0))
	rq := m.s.RQs[0]
	child := &Task{Owner: "child"}
	m.s.SchedFork(child, parent)
	// cfs has 1 runnable; the child's slice is computed as if it were queued.
	vslice := uint64(m.s.SchedLatency / 2)
	want := maxVruntime(parent.SE.Vruntime, rq.CFS.MinVruntime+vslice)
	assert.InDelta(t, want-rq.CFS.MinVruntime, child.SE.Vruntime, 4, "relative until woken")
	cpu := m.s.WakeUpNewTask(child)
	m.tasks = append(m.tasks, child)
	assert.InDelta(t, want, child.SE.Vruntime, 4)
	assert.Equal(t, -1, cpu, "sched_child_runs_first=0: the parent goes on")
	assert.Equal(t, SchedNormal, child.Policy)
	assert.Equal(t, parent.CPUsMask, child.CPUsMask)
	require.NoError(t, checkInvariants(m.s, m.tasks, nil))
}

// TestLoadBalanceSpreads: four tasks started on CPU 0 end up two per CPU
// and get half a CPU each.
func TestLoadBalanceSpreads(t *testing.T) {
	for _, n := range []int{2, 4, 6} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			m := newSim(t, 2, 250)
			cpu0 := MaskOf(0)
			var ts []*Task
			for i := 0; i < n; i++ {
				ts = append(ts, m.spawn(fmt.Sprint(i), 0, &cpu0))
			}
			assert.Equal(t, n, m.s.RQs[0].NrRunning)
			for _, p := range ts {
				require.NoError(t, m.s.SetAffinity(p, CPUMaskAll))
			}
			m.run(100 * NSecPerMSec)
			assert.Equal(t, n/2, m.s.RQs[0].NrRunning)
			assert.Equal(t, n/2, m.s.RQs[1].NrRunning)
			before := runtimes(ts)
			m.run(5 * NSecPerSec)
			after := runtimes(ts)
			for i := range ts {
				share := float64(after[i]-before[i]) / float64(5*NSecPerSec)
				assert.InDelta(t, 2.0/float64(n), share, 0.03, "task %d", i)
			}
			require.NoError(t, checkInvariants(m.s, m.tasks, nil))
		})
	}
	t.Run("fork spreads", func(t *testing.T) {
		m := newSim(t, 4, 250)
		for i := 0; i < 4; i++ {
			m.spawn(fmt.Sprint(i), 0, nil)
		}
		for c := 0; c < 4; c++ {
			assert.Equal(t, 1, m.s.RQs[c].NrRunning)
		}
	})
	t.Run("idle pull of rt", func(t *testing.T) {
		m := newSim(t, 2, 250)
		cpu0 := MaskOf(0)
		a := m.spawn("a", 0, &cpu0)
		b := m.spawn("b", 0, &cpu0)
		require.NoError(t, m.s.SetScheduler(a, SchedFIFO, 5, false))
		require.NoError(t, m.s.SetScheduler(b, SchedFIFO, 5, false))
		require.NoError(t, m.s.SetAffinity(b, CPUMaskAll))
		m.reschedAll()
		m.run(10 * NSecPerMSec)
		assert.NotEqual(t, a.CPU, b.CPU)
	})
}

func TestAffinity(t *testing.T) {
	t.Run("wakeup honours mask", func(t *testing.T) {
		m := newSim(t, 4, 250)
		p := m.spawn("p", 0, nil)
		cpu := p.CPU
		m.block(cpu)
		only := MaskOf(2)
		if cpu == 2 {
			only = MaskOf(3)
		}
		require.NoError(t, m.s.SetAffinity(p, only))
		m.wake(p)
		assert.Equal(t, only.First(), p.CPU)
		assert.Equal(t, p, m.s.Curr(p.CPU))
		require.NoError(t, checkInvariants(m.s, m.tasks, nil))
	})
	t.Run("wakeup prefers the idle previous cpu", func(t *testing.T) {
		m := newSim(t, 4, 250)
		p := m.spawn("p", 0, nil)
		prev := p.CPU
		m.block(prev)
		m.wake(p)
		assert.Equal(t, prev, p.CPU)
	})
	t.Run("balancing never breaks it", func(t *testing.T) {
		m := newSim(t, 2, 250)
		cpu0 := MaskOf(0)
		var ts []*Task
		for i := 0; i < 4; i++ {
			ts = append(ts, m.spawn(fmt.Sprint(i), 0, &cpu0))
		}
		m.run(NSecPerSec)
		for _, p := range ts {
			assert.Equal(t, 0, p.CPU)
		}
		assert.Equal(t, m.idle[1], m.s.Curr(1))
		require.NoError(t, checkInvariants(m.s, m.tasks, nil))
	})
	t.Run("SetAffinity moves queued and running tasks", func(t *testing.T) {
		m := newSim(t, 2, 250)
		cpu0, cpu1 := MaskOf(0), MaskOf(1)
		a := m.spawn("a", 0, &cpu0)
		b := m.spawn("b", 0, &cpu0)
		running := m.s.Curr(0)
		queued := a
		if running == a {
			queued = b
		}
		require.NoError(t, m.s.SetAffinity(queued, cpu1))
		assert.Equal(t, 1, queued.CPU, "queued task moved at once")
		m.reschedAll()
		assert.Equal(t, queued, m.s.Curr(1))
		require.NoError(t, checkInvariants(m.s, m.tasks, nil))

		require.NoError(t, m.s.SetAffinity(running, cpu1))
		assert.True(t, m.s.NeedResched(0), "running task asked to leave")
		m.reschedAll()
		assert.Equal(t, 1, running.CPU)
		assert.Equal(t, m.idle[0], m.s.Curr(0))
		require.NoError(t, checkInvariants(m.s, m.tasks, nil))
		assert.Equal(t, cpu1, m.s.GetAffinity(running))
	})
	t.Run("EINVAL without an online cpu", func(t *testing.T) {
		m := newSim(t, 2, 250)
		p := m.spawn("p", 0, nil)
		assert.Equal(t, errno.EINVAL, m.s.SetAffinity(p, MaskOf(5, 7)))
		assert.Equal(t, errno.EINVAL, m.s.SetAffinity(p, CPUMask{}))
		assert.Equal(t, MaskFirstN(2), m.s.GetAffinity(p))
		require.NoError(t, m.s.SetAffinity(p, MaskOf(1, 5)))
		assert.Equal(t, MaskOf(1), p.CPUsMask)
	})
}

func TestSetUserNice(t *testing.T) {
	m := newSim(t, 1, 1000)
	a := m.spawn("a", 0, nil)
	b := m.spawn("b", 0, nil)
	m.run(NSecPerSec)
	m.s.SetUserNice(b, 5)
	assert.Equal(t, uint64(335), b.SE.Load.Weight)
	assert.Equal(t, uint64(1024+335), m.s.RQs[0].CFS.Load.Weight)
	require.NoError(t, checkInvariants(m.s, m.tasks, nil))
	a0, b0 := a.SE.SumExecRuntime, b.SE.SumExecRuntime
	m.run(10 * NSecPerSec)
	r := float64(a.SE.SumExecRuntime-a0) / float64(b.SE.SumExecRuntime-b0)
	assert.InDelta(t, 1024.0/335, r, 0.02*1024/335)
	m.s.SetUserNice(b, 40) // ignored
	assert.Equal(t, 5, b.Nice())
	// RT tasks only remember it.
	require.NoError(t, m.s.SetScheduler(a, SchedFIFO, 1, false))
	m.s.SetUserNice(a, -5)
	assert.Equal(t, -5, a.Nice())
	assert.Equal(t, 98, a.Prio)
	require.NoError(t, m.s.SetScheduler(a, SchedNormal, 0, false))
	assert.Equal(t, 115, a.Prio)
	assert.Equal(t, uint64(3121), a.SE.Load.Weight)
	m.reschedAll()
	require.NoError(t, checkInvariants(m.s, m.tasks, nil))
}

func TestContextSwitchCounts(t *testing.T) {
	m := newSim(t, 1, 1000)
	a := m.spawn("a", 0, nil)
	b := m.spawn("b", 0, nil)
	m.run(NSecPerSec)
	assert.Greater(t, a.Nivcsw, uint64(50))
	assert.Equal(t, uint64(0), a.Nvcsw+b.Nvcsw)
	cur := m.s.Curr(0)
	n := cur.Nvcsw
	m.block(0)
	assert.Equal(t, n+1, cur.Nvcsw)
	snap := m.s.Snapshot()
	assert.Equal(t, 1, snap[0].NrRunning)
	assert.Equal(t, m.s.RQs[0].NrSwitches, snap[0].NrSwitches)
	assert.Equal(t, a.NrSwitches+b.NrSwitches+m.idle[0].NrSwitches, snap[0].NrSwitches)
}

func TestSnapshot(t *testing.T) {
	m := newSim(t, 2, 250)
	for i := 0; i < 6; i++ {
		m.spawn(fmt.Sprint(i), i-3, nil)
	}
	m.run(100 * NSecPerMSec)
	snap := m.s.Snapshot()
	require.Len(t, snap, 2)
	total := 0
	for _, c := range snap {
		total += c.NrRunning
		assert.Len(t, c.Tasks, c.NrRunning-1)
		assert.True(t, c.Curr.Running)
		for i := 1; i < len(c.Tasks); i++ {
			assert.LessOrEqual(t, c.Tasks[i-1].Lag, c.Tasks[i].Lag)
		}
	}
	assert.Equal(t, 6, total)
	p := m.tasks[0]
	ti := m.s.TaskSnapshot(p)
	assert.Equal(t, "0", ti.Owner)
	assert.Equal(t, -3, ti.Nice)
}

func TestCPUMask(t *testing.T) {
	m := MaskOf(0, 1, 2, 3, 6, 64, 65, 200)
	assert.Equal(t, "0-3,6,64-65,200", m.String())
	assert.Equal(t, 8, m.Weight())
	assert.Equal(t, 0, m.First())
	assert.Equal(t, 6, m.Next(3))
	assert.Equal(t, 64, m.Next(6))
	assert.Equal(t, 200, m.Next(65))
	assert.Equal(t, NRCPUs, m.Next(200))
	assert.True(t, m.Test(65))
	assert.False(t, m.Test(66))
	assert.False(t, m.Test(-1))
	assert.False(t, m.Test(NRCPUs))
	m.Clear(65)
	assert.False(t, m.Test(65))
	assert.Equal(t, MaskOf(0, 1), m.And(MaskFirstN(2)))
	assert.Equal(t, MaskOf(0, 1, 2, 3, 5, 6, 64, 200), m.Or(MaskOf(5)))
	assert.True(t, CPUMask{}.Empty())
	assert.Equal(t, NRCPUs, CPUMask{}.First())
	assert.Equal(t, "", CPUMask{}.String())
	assert.Equal(t, m, MaskFromBytes(m.Bytes(NRCPUs/8)))
	assert.Equal(t, MaskOf(0, 9), MaskFromBytes([]byte{1, 2}))
	assert.Equal(t, []byte{0x0f}, MaskOf(0, 1, 2, 3, 9).Bytes(1))
	assert.Equal(t, []int{0, 9}, MaskOf(9, 0).CPUs())
	assert.Equal(t, NRCPUs, CPUMaskAll.Weight())
}

// TestMigrationNormalisesVruntime: a task keeps its lag (vruntime minus
// min_vruntime) when it moves to a runqueue whose min_vruntime differs.
func TestMigrationNormalisesVruntime(t *testing.T) {
	t.Run("queued task moved by SetAffinity", func(t *testing.T) {
		m := newSim(t, 2, 1000)
		cpu0 := MaskOf(0)
		var ts []*Task
		for i := 0; i < 3; i++ {
			ts = append(ts, m.spawn(fmt.Sprint(i), 0, &cpu0))
		}
		m.run(300 * NSecPerMSec)
		rq0, rq1 := m.s.RQs[0], m.s.RQs[1]
		p := rq0.CFS.First().task
		lag := int64(p.SE.Vruntime - rq0.CFS.MinVruntime)
		min1 := rq1.CFS.MinVruntime
		require.NotEqual(t, rq0.CFS.MinVruntime, min1)
		require.NoError(t, m.s.SetAffinity(p, MaskOf(1)))
		assert.Equal(t, 1, p.CPU)
		assert.Equal(t, lag, int64(p.SE.Vruntime-min1))
		require.NoError(t, checkInvariants(m.s, m.tasks, nil))
	})
	t.Run("sleeper woken on another cpu", func(t *testing.T) {
		m := newSim(t, 2, 1000)
		cpu0 := MaskOf(0)
		a := m.spawn("a", 0, &cpu0)
		b := m.spawn("b", 0, &cpu0)
		m.run(300 * NSecPerMSec)
		cur := m.s.Curr(0)
		other := a
		if cur == a {
			other = b
		}
		m.block(0)
		rq0, rq1 := m.s.RQs[0], m.s.RQs[1]
		lag := int64(cur.SE.Vruntime - rq0.CFS.MinVruntime)
		require.NoError(t, m.s.SetAffinity(cur, MaskOf(1)))
		m.run(50 * NSecPerMSec) // only other runs
		require.Equal(t, other, m.s.Curr(0))
		min0, min1 := rq0.CFS.MinVruntime, rq1.CFS.MinVruntime
		rq0.lock.Lock()
		cur.SE.Vruntime = min0 + uint64(lag) // forget the sleep credit
		rq0.lock.Unlock()
		m.wake(cur)
		assert.Equal(t, 1, cur.CPU)
		want := max(lag, -m.s.SchedLatency/2) // place_entity after renormalising
		assert.Equal(t, want, int64(cur.SE.Vruntime-min1))
		assert.Equal(t, uint64(1), cur.SE.NrMigrations)
	})
}

func TestRRInterval(t *testing.T) {
	m := newSim(t, 1, 1000)
	a := m.spawn("a", 0, nil)
	b := m.spawn("b", 5, nil)
	assert.Equal(t, 4*NSecPerMSec, m.s.RRInterval(a)) // 4.52 ms in jiffies
	assert.Equal(t, 1*NSecPerMSec, m.s.RRInterval(b)) // 1.48 ms
	require.NoError(t, m.s.SetScheduler(a, SchedFIFO, 1, false))
	assert.Equal(t, int64(0), m.s.RRInterval(a))
	require.NoError(t, m.s.SetScheduler(a, SchedRR, 1, false))
	assert.Equal(t, 100*NSecPerMSec, m.s.RRInterval(a))
}

func TestRemoteWakeupIPI(t *testing.T) {
	m := newSim(t, 2, 250)
	var ipis []int
	m.s.SendReschedIPI = func(cpu int) { ipis = append(ipis, cpu) }
	cpu1 := MaskOf(1)
	p := m.spawn("p", 0, &cpu1)
	assert.Equal(t, []int{1}, ipis, "new task on idle cpu 1")
	m.block(1)
	ipis = nil
	woken, cpu := m.s.Wake(p)
	assert.True(t, woken)
	assert.Equal(t, 1, cpu)
	assert.Equal(t, []int{1}, ipis)
	assert.True(t, m.s.NeedResched(1))
	assert.False(t, m.s.NeedResched(0))
	m.s.SetNeedResched(0)
	assert.True(t, m.s.NeedResched(0))
	assert.Equal(t, []int{1, 0}, ipis)
}
