// Command bench runs the process micro-benchmarks of user/ (bench_*) on tamix
// and on Linux in the same QEMU, with the same flags, and prints one table:
// metric, tamix, Linux, ratio (tamix/Linux) and the target of issue 8.
//
//	go run ./tools/bench [-mode icount|wall] [-smp N] [-mem M] [-runs N] ...
//
// `make bench` builds what it needs (build/tamix, build/linux/vmlinuz from
// Debian's linux-image package, build/linux/initramfs.cpio.gz with
// busybox-static and the same static user programs) and runs it.
//
// Mode icount (the default) runs QEMU with -icount shift=0,sleep=off: guest
// time counts executed instructions (1 ns each), so results repeat from run
// to run whatever the host's load; an idle CPU that halts costs nothing.
// Mode wall runs plain TCG; figures then follow the host's speed and load.
//
// Each benchmark has a timeout (host wall time). A benchmark that does not
// finish is reported as "timeout": the tool interrupts it with ^C, or boots
// the kernel again when the shell does not come back, and goes on.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"tamix/tools/qemu/harness"
)

// A benchmark is one program of user/ and how to read its result line.
type benchmark struct {
	key    string // short name (for -only)
	metric string // table row
	cmd    string // command line typed at the shell
	re     *regexp.Regexp
	unit   string
	lower  bool // lower is better (times); else higher (bandwidth)
	// target for tamix/Linux: ratio <= target (lower) or >= target
	// (higher); for cfs, see cfsTarget.
	target float64
}

// cfsWeights is the nice-0 : nice-5 weight ratio of CFS (1024/335).
const cfsWeights = 1024.0 / 335.0

var benchmarks = []benchmark{
	{"syscall", "null syscall (getppid)", "bench_syscall", regexp.MustCompile(`getppid: ([0-9.]+) ns/call`), "ns", true, 0.7},
	{"fork", "fork+exit+wait", "bench_fork", regexp.MustCompile(`fork\+exit\+wait: ([0-9.]+) us`), "us", true, 0.5},
	{"forkexec", "fork+exec+wait", "bench_forkexec", regexp.MustCompile(`fork\+exec\+wait: ([0-9.]+) us`), "us", true, 0.5},
	{"pipe_rt", "pipe round trip (1 B)", "bench_pipe_rt", regexp.MustCompile(`pipe round trip: ([0-9.]+) us`), "us", true, 1.0},
	{"ctxsw", "context switch (token ring)", "bench_ctxsw", regexp.MustCompile(`context switch \(token hop, \d+ processes\): ([0-9.]+) us`), "us", true, 1.0},
	{"cow", "COW fault", "bench_cow", regexp.MustCompile(`cow fault: ([0-9.]+) us/page`), "us/page", true, 1.0},
	{"pipe_bw", "pipe bandwidth (64 KiB)", "bench_pipe_bw", regexp.MustCompile(`pipe bandwidth: ([0-9.]+) MB/s`), "MB/s", false, 1.0},
	{"cfs", "CFS share nice0/nice5", "bench_cfs", regexp.MustCompile(`cfs: nice0=\d+ nice5=\d+ loops, ratio ([0-9.]+)`), "x", false, 0},
}

// A result is one benchmark on one kernel: the runs' values, or why not.
type result struct {
	vals []float64
	err  string // "timeout", "no output", "not run", ...
}

func (r result) ok() bool { return len(r.vals) > 0 }

// value is the median of the runs.
func (r result) value() float64 {
	v := append([]float64(nil), r.vals...)
	for i := range v {
		for j := i + 1; j < len(v); j++ {
			if v[j] < v[i] {
				v[i], v[j] = v[j], v[i]
			}
		}
	}
	return v[len(v)/2]
}

// kernel describes how to boot one of the two systems.
type kernel struct {
	name     string
	cfg      harness.Config
	poweroff string
}

type options struct {
	mode     string
	timeout  time.Duration
	boot     time.Duration
	runs     int
	only     map[string]bool
	verbose  bool
	noTamix  bool
	noLinux  bool
	args     map[string]string // per-benchmark argument override
	progress io.Writer
}

func main() {
	mode := flag.String("mode", "icount", "icount (deterministic: -icount shift=0,sleep=off) or wall")
	smp := flag.Int("smp", 0, "CPUs (-smp), the same for both kernels (default: 1 in icount mode, 2 in wall mode)")
	mem := flag.String("mem", "2G", "guest RAM (-m), the same for both kernels")
	tamix := flag.String("tamix", "build/tamix", "tamix kernel ELF")
	vmlinuz := flag.String("linux", "build/linux/vmlinuz", "Linux kernel image")
	initrd := flag.String("initrd", "build/linux/initramfs.cpio.gz", "Linux initramfs (busybox + the user programs)")
	timeout := flag.Duration("timeout", 3*time.Minute, "limit per benchmark (host wall time)")
	bootTimeout := flag.Duration("boot-timeout", 5*time.Minute, "limit for a boot to the shell prompt")
	runs := flag.Int("runs", 1, "runs of each benchmark per kernel (the table shows the median)")
	only := flag.String("only", "", "comma-separated benchmark keys (syscall,fork,forkexec,pipe_rt,ctxsw,cow,pipe_bw,cfs)")
	argsFlag := flag.String("args", "", "per-benchmark arguments, e.g. 'pipe_bw=32,cfs=1'")
	verbose := flag.Bool("v", false, "copy the consoles to stderr")
	noTamix := flag.Bool("no-tamix", false, "skip tamix")
	noLinux := flag.Bool("no-linux", false, "skip Linux")
	flag.Parse()

	if *mode != "icount" && *mode != "wall" {
		fmt.Fprintf(os.Stderr, "bench: -mode must be icount or wall\n")
		os.Exit(2)
	}
	o := options{mode: *mode, timeout: *timeout, boot: *bootTimeout, runs: max(*runs, 1),
		verbose: *verbose, noTamix: *noTamix, noLinux: *noLinux, progress: os.Stderr,
		args: map[string]string{}}
	if *only != "" {
		o.only = map[string]bool{}
		for _, k := range strings.Split(*only, ",") {
			o.only[strings.TrimSpace(k)] = true
		}
	}
	if *argsFlag != "" {
		for _, kv := range strings.Split(*argsFlag, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				fmt.Fprintf(os.Stderr, "bench: -args: %q is not key=value\n", kv)
				os.Exit(2)
			}
			o.args[strings.TrimSpace(k)] = strings.ReplaceAll(v, ":", " ")
		}
	}

	if *smp <= 0 {
		// QEMU before 8.1 gives each vCPU of a round-robin icount run the
		// whole budget up to the next timer deadline, so a CPU that spins
		// starves the others for good: Linux 6.1 hangs at "Booting SMP
		// configuration" and tamix panics at boot with -smp 2. One CPU in
		// icount mode, two in wall mode.
		*smp = 2
		if *mode == "icount" {
			*smp = 1
		}
	}
	var extra []string
	if *mode == "icount" {
		extra = []string{"-icount", "shift=0,sleep=off"}
	}
	// QEMU reads -kernel when it starts; a private copy keeps a rebuild of
	// build/tamix during the run from mixing two kernels in one table.
	tamixCopy, err := privateCopy(*tamix)
	if err != nil && !o.noTamix {
		fmt.Fprintf(os.Stderr, "bench: %v (run make kernel)\n", err)
		os.Exit(1)
	}
	defer os.Remove(tamixCopy)
	if !o.noLinux {
		for _, f := range []string{*vmlinuz, *initrd} {
			if _, err := os.Stat(f); err != nil {
				fmt.Fprintf(os.Stderr, "bench: %v (run make bench, which fetches and builds them)\n", err)
				os.Exit(1)
			}
		}
	}
	kernels := []kernel{
		{name: "tamix", poweroff: "poweroff", cfg: harness.Config{
			Kernel: tamixCopy, SMP: *smp, Mem: *mem, ExtraArgs: extra, Timeout: o.boot}},
		{name: "Linux", poweroff: "poweroff -f", cfg: harness.Config{
			Kernel: *vmlinuz, SMP: *smp, Mem: *mem, Timeout: o.boot, Prompt: "linux# ",
			ExtraArgs: append([]string{"-initrd", *initrd, "-append", "console=ttyS0 quiet"}, extra...)}},
	}

	results := map[string]map[string]result{}
	info := map[string]string{}
	for _, k := range kernels {
		if (k.name == "tamix" && o.noTamix) || (k.name == "Linux" && o.noLinux) {
			continue
		}
		results[k.name], info[k.name] = runKernel(k, o)
	}
	fmt.Printf("\n## make bench, mode %s (QEMU %s, -machine q35,pic=off -cpu max -smp %d -m %s%s)\n",
		o.mode, qemuVersion(), *smp, *mem, map[bool]string{true: " -icount shift=0,sleep=off", false: ""}[o.mode == "icount"])
	for _, k := range kernels {
		if s := info[k.name]; s != "" {
			fmt.Printf("%s: %s\n", k.name, s)
		}
	}
	fmt.Println()
	printTable(os.Stdout, results, o)
}

func privateCopy(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "tamix-bench-*.elf")
	if err != nil {
		return "", err
	}
	defer f.Close()
	_, err = f.Write(b)
	return f.Name(), err
}

func qemuVersion() string {
	out, err := exec.Command(harness.QEMUBinary(harness.Config{}), "--version").Output()
	if err != nil {
		return "?"
	}
	if m := regexp.MustCompile(`version ([0-9.]+)`).FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return "?"
}

func (o options) selected() []benchmark {
	var bs []benchmark
	for _, b := range benchmarks {
		if o.only == nil || o.only[b.key] {
			bs = append(bs, b)
		}
	}
	return bs
}

// runKernel boots k and runs every selected benchmark o.runs times. It
// returns the results by key and a line describing the kernel.
func runKernel(k kernel, o options) (map[string]result, string) {
	res := map[string]result{}
	var m *harness.Machine
	var desc string
	defer func() {
		if m != nil {
			m.Close()
		}
	}()
	boot := func() error {
		if m != nil {
			m.Close()
			m = nil
		}
		cfg := k.cfg
		if o.verbose {
			cfg.Log = os.Stderr
		}
		fmt.Fprintf(o.progress, "bench: booting %s (%s mode)\n", k.name, o.mode)
		t0 := time.Now()
		mm, err := harness.Boot(context.Background(), cfg)
		if err != nil {
			return err
		}
		m = mm
		fmt.Fprintf(o.progress, "bench: %s at its prompt after %.1f s wall\n", k.name, time.Since(t0).Seconds())
		if desc == "" {
			desc = describe(k.name, m)
		}
		return nil
	}
	bootErr := boot()
	for run := 0; run < o.runs; run++ {
		for _, b := range o.selected() {
			r := res[b.key]
			if bootErr != nil {
				if r.err == "" && !r.ok() {
					r.err = "boot failed"
				}
				res[b.key] = r
				continue
			}
			cmd := b.cmd
			if a, ok := o.args[b.key]; ok {
				cmd += " " + a
			}
			fmt.Fprintf(o.progress, "bench: %s: %s (run %d/%d) ... ", k.name, cmd, run+1, o.runs)
			t0 := time.Now()
			out, err := m.Run(cmd, o.timeout)
			switch {
			case err == nil:
				if mt := b.re.FindStringSubmatch(out); mt != nil {
					v, _ := strconv.ParseFloat(mt[1], 64)
					r.vals = append(r.vals, v)
					fmt.Fprintf(o.progress, "%s %s (%.1f s wall)\n", mt[1], b.unit, time.Since(t0).Seconds())
				} else {
					r.err = "no result"
					fmt.Fprintf(o.progress, "no result line: %q\n", strings.TrimSpace(out))
				}
			case errors.Is(err, harness.ErrTimeout):
				r.err = "timeout"
				fmt.Fprintf(o.progress, "timeout after %v\n", o.timeout)
				// ^C, else a fresh boot for what is left
				m.Send("\x03")
				if _, err := m.WaitPrompt(15 * time.Second); err != nil {
					fmt.Fprintf(o.progress, "bench: %s does not come back after ^C; booting again\n", k.name)
					bootErr = boot()
				}
			default:
				r.err = "crashed"
				fmt.Fprintf(o.progress, "error: %v\n", err)
				bootErr = boot()
			}
			res[b.key] = r
		}
	}
	if m != nil && bootErr == nil && !m.Exited() {
		m.Send(k.poweroff + "\r")
		m.Wait(30 * time.Second)
	}
	if bootErr != nil {
		fmt.Fprintf(o.progress, "bench: %s: %v\n", k.name, firstLine(bootErr.Error()))
	}
	return res, desc
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

// describe summarizes the banner: version, CPUs, clock.
func describe(name string, m *harness.Machine) string {
	b := m.Banner()
	var parts []string
	for _, l := range strings.Split(b, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case name == "tamix" && (strings.HasPrefix(l, "tamix ") || strings.Contains(l, "CPUs, TSC") || strings.Contains(l, "prompt after")):
			parts = append(parts, strings.TrimPrefix(l, "tamix: "))
		case name == "Linux" && strings.HasPrefix(l, "linux: "):
			parts = append(parts, strings.TrimPrefix(l, "linux: "))
		}
	}
	return strings.Join(parts, "; ")
}

func printTable(w io.Writer, res map[string]map[string]result, o options) {
	cell := func(r result, ok bool) string {
		switch {
		case !ok:
			return "-"
		case r.ok():
			return fmt.Sprintf("%.2f", r.value())
		case r.err != "":
			return r.err
		}
		return "-"
	}
	type row struct{ c [6]string }
	rows := []row{{[6]string{"metric", "unit", "tamix", "Linux", "ratio", "target"}}}
	var missed []string
	for _, b := range o.selected() {
		t, tok := res["tamix"][b.key]
		l, lok := res["Linux"][b.key]
		r := row{[6]string{b.metric, b.unit, cell(t, tok), cell(l, lok), "", ""}}
		ratio := math.NaN()
		if t.ok() && l.ok() && l.value() != 0 {
			ratio = t.value() / l.value()
			r.c[4] = fmt.Sprintf("%.2f", ratio)
		} else {
			r.c[4] = "-"
		}
		var met, known bool
		switch {
		case b.key == "cfs":
			// the share of nice 0 against nice 5 within 2% of 1024/335
			r.c[5] = fmt.Sprintf("tamix %.2f±2%%", cfsWeights)
			if t.ok() {
				known = true
				met = math.Abs(t.value()/cfsWeights-1) <= 0.02
				r.c[5] += fmt.Sprintf(" (%+.1f%%)", (t.value()/cfsWeights-1)*100)
			}
		case b.lower:
			r.c[5] = fmt.Sprintf("<= %.1f", b.target)
			if !math.IsNaN(ratio) {
				known, met = true, ratio <= b.target
			}
		default:
			r.c[5] = fmt.Sprintf(">= %.1f", b.target)
			if !math.IsNaN(ratio) {
				known, met = true, ratio >= b.target
			}
		}
		switch {
		case !known:
			r.c[5] += " ?"
		case met:
			r.c[5] += " ✓"
		default:
			r.c[5] += " ✗"
			missed = append(missed, b.metric)
		}
		rows = append(rows, r)
	}
	var width [6]int
	for _, r := range rows {
		for i, c := range r.c {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	for i, r := range rows {
		var sb strings.Builder
		for j, c := range r.c {
			pad := width[j] - len([]rune(c))
			if j >= 2 && j <= 4 { // numbers: right-aligned
				sb.WriteString(strings.Repeat(" ", pad) + c)
			} else {
				sb.WriteString(c + strings.Repeat(" ", pad))
			}
			if j < len(r.c)-1 {
				sb.WriteString("  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(sb.String(), " "))
		if i == 0 {
			n := 0
			for _, x := range width {
				n += x + 2
			}
			fmt.Fprintln(w, strings.Repeat("-", n-2))
		}
	}
	fmt.Fprintln(w, "\nratio = tamix/Linux (times: lower is better; bandwidth: higher is better).")
	if len(missed) > 0 {
		fmt.Fprintf(w, "targets missed: %s\n", strings.Join(missed, ", "))
	}
}
