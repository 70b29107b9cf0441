//go:build tamago

package main

import (
	"fmt"
	"strconv"
	"strings"

	"tamix/proc"
	"tamix/sched"
)

// The scheduler commands: nice, taskset and chrt start a program with a
// scheduling attribute set (before it first runs, as the real tools do
// with setpriority/sched_setaffinity/sched_setscheduler and exec), and
// sched prints every runqueue.
func addSchedCommands(sh *shell) {
	schedPrefixes = map[string]prefixCmd{"nice": cmdNice, "taskset": cmdTaskset, "chrt": cmdChrt}
	sh.add(&command{name: "nice", usage: "nice [-n N] command [args...]", help: "run a command at nice N (default 10)", run: prefixRun(cmdNice)})
	sh.add(&command{name: "taskset", usage: "taskset MASK command [args...]", help: "run a command on the CPUs in hex MASK", run: prefixRun(cmdTaskset)})
	sh.add(&command{name: "chrt", usage: "chrt -f|-r|-o|-b|-i PRIO command [args...]", help: "run a command with a scheduling policy (FIFO, RR, OTHER, BATCH, IDLE)", run: prefixRun(cmdChrt)})
	sh.add(&command{name: "sched", usage: "sched", help: "print every runqueue: tasks in vruntime order", run: cmdSched})
}

// A prefixCmd sets one scheduling attribute and runs the rest of its
// arguments; prefixes nest ("taskset 1 chrt -f 10 spin").
type prefixCmd func(sh *shell, args []string, outer setupFunc) int

type setupFunc func(t *proc.Task) error

var schedPrefixes map[string]prefixCmd

func prefixRun(c prefixCmd) func(sh *shell, args []string) int {
	return func(sh *shell, args []string) int { return c(sh, args, nil) }
}

// runWith runs args like runProgram, applying the outer set-ups and then
// setup to the child before it first runs.
func runWith(sh *shell, args []string, outer, inner setupFunc) int {
	both := func(t *proc.Task) error {
		if outer != nil {
			if err := outer(t); err != nil {
				return err
			}
		}
		return inner(t)
	}
	if len(args) > 0 {
		if c, ok := schedPrefixes[args[0]]; ok {
			return c(sh, args, both)
		}
	}
	setup := both
	background := sh.background
	if len(args) == 0 {
		fmt.Fprintln(sh.out, "missing command")
		return 2
	}
	status, ok := startProgram(sh, args, background, setup)
	if !ok {
		fmt.Fprintf(sh.out, "tamix: %s: command not found\n", args[0])
		return 127
	}
	return status
}

func cmdNice(sh *shell, args []string, outer setupFunc) int {
	n := 10
	args = args[1:]
	if len(args) >= 2 && args[0] == "-n" {
		v, err := strconv.Atoi(args[1])
		if err != nil {
			fmt.Fprintf(sh.out, "nice: invalid adjustment %q\n", args[1])
			return 125
		}
		n, args = v, args[2:]
	}
	return runWith(sh, args, outer, func(t *proc.Task) error {
		kern.Sched.SetUserNice(&t.Task, max(-20, min(19, n)))
		return nil
	})
}

func cmdTaskset(sh *shell, args []string, outer setupFunc) int {
	if len(args) < 3 {
		fmt.Fprintln(sh.out, "usage: taskset MASK command [args...]")
		return 2
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(args[1], "0x"), 16, 64)
	if err != nil || v == 0 {
		fmt.Fprintf(sh.out, "taskset: invalid mask %q\n", args[1])
		return 1
	}
	var mask sched.CPUMask
	for cpu := 0; cpu < 64; cpu++ {
		if v&(1<<cpu) != 0 {
			mask.Set(cpu)
		}
	}
	return runWith(sh, args[2:], outer, func(t *proc.Task) error {
		return kern.Sched.SetAffinity(&t.Task, mask)
	})
}

func cmdChrt(sh *shell, args []string, outer setupFunc) int {
	if len(args) < 4 {
		fmt.Fprintln(sh.out, "usage: chrt -f|-r|-o|-b|-i PRIO command [args...]")
		return 2
	}
	pol := map[string]sched.Policy{"-f": sched.SchedFIFO, "-r": sched.SchedRR, "-o": sched.SchedNormal,
		"-b": sched.SchedBatch, "-i": sched.SchedIdle}
	p, ok := pol[args[1]]
	prio, err := strconv.Atoi(args[2])
	if !ok || err != nil {
		fmt.Fprintln(sh.out, "usage: chrt -f|-r|-o|-b|-i PRIO command [args...]")
		return 2
	}
	return runWith(sh, args[3:], outer, func(t *proc.Task) error {
		return kern.Sched.SetScheduler(&t.Task, p, prio, false)
	})
}

func cmdSched(sh *shell, _ []string) int {
	for _, c := range kern.Sched.Snapshot() {
		fmt.Fprintf(sh.out, "cpu%d: nr_running %d load %d min_vruntime %d nr_switches %d idle %s rt_time %s%s\n",
			c.CPU, c.NrRunning, c.Load, c.MinVruntime, c.NrSwitches, ms(c.IdleTime), ms(c.RTTime),
			map[bool]string{true: " (rt throttled)", false: ""}[c.RTThrottled])
		show := func(mark string, ti sched.TaskInfo) {
			t, _ := ti.Owner.(*proc.Task)
			if t == nil {
				return
			}
			fmt.Fprintf(sh.out, "  %s %5d %-16s %-5s prio %3d nice %3d vruntime %14d lag %+11d sum_exec %9s nvcsw %d nivcsw %d\n",
				mark, t.PID, t.Comm(), ti.Class, ti.Prio, ti.Nice, ti.Vruntime, ti.Lag, ms(ti.SumExecRuntime), ti.Nvcsw, ti.Nivcsw)
		}
		if !c.CurrIsIdle {
			show(">", c.Curr)
		}
		for _, ti := range c.RTTasks {
			if !ti.Running {
				show(" ", ti)
			}
		}
		for _, ti := range c.Tasks {
			show(" ", ti)
		}
	}
	return 0
}
