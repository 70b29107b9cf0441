package sched

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func load(x uint64) float64 { return float64(x) / Fixed1 }

func TestCalcLoadStep(t *testing.T) {
	for _, tc := range []struct {
		name              string
		load, exp, active uint64
		want              uint64
	}{
		{"idle stays idle", 0, exp1, 0, 0},
		{"one task from idle: one step of 1-e^(-5/60)", 0, exp1, Fixed1, (Fixed1*(Fixed1-exp1) + Fixed1 - 1) / Fixed1},
		{"steady at the active count", 2 * Fixed1, exp5, 2 * Fixed1, 2 * Fixed1},
		{"decay rounds down", Fixed1, exp1, 0, Fixed1 * exp1 / Fixed1},
	} {
		assert.Equal(t, tc.want, calcLoad(tc.load, tc.exp, tc.active), tc.name)
	}
}

// Two spinners on two CPUs for a minute: the 1-minute average approaches
// 2(1-1/e), the 15-minute one much less; once they stop, it decays.
func TestLoadAverageFollowsRunnableTasks(t *testing.T) {
	m := newSim(t, 2, 250)
	m.run(NSecPerSec) // the first call arms the period
	assert.Equal(t, [3]uint64{}, m.s.LoadAvg(), "idle machine")
	m.spawn("a", 0, nil)
	m.spawn("b", 0, nil)
	m.run(60 * NSecPerSec)
	la := m.s.LoadAvg()
	want1 := 2 * (1 - math.Exp(-1))
	assert.InDelta(t, want1, load(la[0]), 0.1, "1-minute average after a minute of 2 runnable tasks")
	assert.InDelta(t, 2*(1-math.Exp(-60.0/300)), load(la[1]), 0.05, "5-minute")
	assert.InDelta(t, 2*(1-math.Exp(-60.0/900)), load(la[2]), 0.05, "15-minute")
	assert.Greater(t, la[0], la[1])
	assert.Greater(t, la[1], la[2])
}

func TestLoadAverageCatchesUpMissedPeriods(t *testing.T) {
	m := newSim(t, 1, 250)
	m.s.CalcGlobalLoad() // arms the first period
	m.s.load.avenrun[0].Store(4 * Fixed1)
	m.clk.now += 60 * NSecPerSec // a minute with no tick: the first period ends
	m.s.CalcGlobalLoad()         // 5.004 s after arming, so 11 have passed
	assert.InDelta(t, 4*math.Exp(-11*5.004/60), load(m.s.LoadAvg()[0]), 0.02, "decayed once per period missed")
}
