// Command qprof counts where the instructions of a tamix command go, by
// function, kernel and user code alike:
//
//	go run ./tools/qprof [-window 300ms] [-delay 2s] [-top 30] -- 'bench_syscall 1000000'
//
// It boots the kernel under QEMU's deterministic instruction counting with
// one instruction per translation block (-icount shift=0,sleep=off
// -singlestep), types the command, and after -delay turns QEMU's execution
// log on for -window of host time through the monitor ("log exec,nochain").
// Every logged line is one executed guest instruction, which QEMU names
// with the ELF symbol it falls in; under icount one instruction is one
// nanosecond of guest time. Divide a function's count by the number of
// iterations the window saw (e.g. the calls of the system call's handler)
// to get its cost per operation. User code shows as raw addresses.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"tamix/tools/qemu/harness"
)

func main() {
	kernel := flag.String("kernel", "build/tamix", "kernel ELF")
	window := flag.Duration("window", 300*time.Millisecond, "host time the log is on")
	delay := flag.Duration("delay", 2*time.Second, "host time from typing the command to starting the log")
	top := flag.Int("top", 30, "functions to print")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: go run ./tools/qprof [flags] -- 'command'")
		os.Exit(2)
	}
	if err := run(*kernel, flag.Arg(0), *delay, *window, *top); err != nil {
		fmt.Fprintln(os.Stderr, "qprof:", err)
		os.Exit(1)
	}
}

func run(kernel, cmd string, delay, window time.Duration, top int) error {
	dir, err := os.MkdirTemp("", "qprof")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	mon, trace := filepath.Join(dir, "mon.sock"), filepath.Join(dir, "trace.log")
	m, err := harness.Boot(context.Background(), harness.Config{
		Kernel: kernel, SMP: 1, Mem: "1G", Timeout: 5 * time.Minute,
		ExtraArgs: []string{"-icount", "shift=0,sleep=off", "-singlestep", "-D", trace,
			"-monitor", "unix:" + mon + ",server=on,wait=off"},
	})
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Send(cmd + "\r"); err != nil {
		return err
	}
	time.Sleep(delay)
	if err := monitor(mon, "log exec,nochain", window, "log none"); err != nil {
		return err
	}
	out, err := m.WaitPrompt(10 * time.Minute)
	if err != nil {
		return err
	}
	fmt.Print(strings.TrimPrefix(out, cmd))
	f, err := os.Open(trace)
	if err != nil {
		return err
	}
	defer f.Close()
	p, err := countSymbols(f)
	if err != nil {
		return err
	}
	p.print(os.Stdout, top)
	return nil
}

// monitor sends on to QEMU's human monitor, waits, then sends off.
func monitor(path, on string, wait time.Duration, off string) error {
	c, err := net.Dial("unix", path)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "%s\n", on); err != nil {
		return err
	}
	time.Sleep(wait)
	_, err = fmt.Fprintf(c, "%s\n", off)
	time.Sleep(200 * time.Millisecond) // let QEMU act before we hang up
	return err
}

// profile is a count of executed instructions per symbol.
type profile struct {
	total int
	count map[string]int
}

// countSymbols reads QEMU's exec log: "Trace N: HOSTPC [CS/PC/FLAGS/...] SYMBOL",
// SYMBOL missing for code outside the kernel's symbols (user programs).
func countSymbols(r io.Reader) (profile, error) {
	p := profile{count: map[string]int{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || f[0] != "Trace" {
			continue
		}
		sym := "[user]"
		if len(f) >= 5 {
			sym = f[4]
		}
		p.count[sym]++
		p.total++
	}
	return p, sc.Err()
}

// sorted lists the symbols, most instructions first (ties by name, so
// the output is stable).
func (p profile) sorted() []string {
	names := make([]string, 0, len(p.count))
	for n := range p.count {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		if p.count[a] != p.count[b] {
			return p.count[a] > p.count[b]
		}
		return a < b
	})
	return names
}

func (p profile) print(w io.Writer, top int) {
	fmt.Fprintf(w, "%d instructions in the window\n", p.total)
	for i, n := range p.sorted() {
		if i == top {
			break
		}
		fmt.Fprintf(w, "%9d %5.1f%%  %s\n", p.count[n], 100*float64(p.count[n])/float64(max(p.total, 1)), n)
	}
}
