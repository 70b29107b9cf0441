// Command qemu boots tamix in QEMU, types shell commands on its serial
// console and reports how the machine ended.
//
//	go run ./tools/qemu [-smp N] [-mem M] [-kernel PATH] [-timeout D] -- 'cmd' 'cmd' ...
//
// Each command is typed at the prompt in turn. poweroff, reboot and crash
// end the machine: they are sent and the tool waits for QEMU to exit. When
// the commands do not end the machine, the tool types poweroff itself. The
// transcript goes to stdout as it arrives; boot timing and the verdict go to
// stderr. Exit status: 0 after a power-off (or a reset the commands asked
// for), 1 after a kernel panic, 2 after a timeout, 3 otherwise.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"tamix/tools/qemu/harness"
)

func main() {
	smp := flag.Int("smp", 2, "number of CPUs")
	mem := flag.String("mem", "2G", "guest RAM (QEMU -m syntax)")
	kernel := flag.String("kernel", "build/tamix", "kernel ELF")
	timeout := flag.Duration("timeout", 60*time.Second, "limit for the whole session")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: go run ./tools/qemu [flags] -- 'cmd' 'cmd' ...\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	os.Exit(run(*kernel, *smp, *mem, *timeout, flag.Args()))
}

// ends tells whether a command line ends the machine (the shell never
// prompts again).
func ends(cmd string) bool {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return false
	}
	switch f[0] {
	case "poweroff", "reboot", "crash", "exit":
		return true
	}
	return false
}

func run(kernel string, smp int, mem string, timeout time.Duration, cmds []string) int {
	deadline := time.Now().Add(timeout)
	left := func() time.Duration {
		d := time.Until(deadline)
		if d < time.Millisecond {
			d = time.Millisecond
		}
		return d
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(5*time.Second))
	defer cancel()

	m, err := harness.Boot(ctx, harness.Config{
		Kernel: kernel, SMP: smp, Mem: mem, Timeout: timeout, Log: os.Stdout,
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "\nqemu: %v\n", err)
		var ee *harness.ExitError
		switch {
		case errors.Is(err, harness.ErrTimeout):
			fmt.Fprintln(os.Stderr, "qemu: timeout")
			return 2
		case errors.As(err, &ee) && ee.Status.Kind == harness.ExitPanic:
			fmt.Fprintf(os.Stderr, "qemu: kernel panic (code %d)\n", ee.Status.PanicCode)
			return 1
		}
		return 3
	}
	defer m.Close()
	tm := m.Timing()
	timing := func() {
		guest := "?"
		if tm.Guest >= 0 {
			guest = fmt.Sprint(tm.Guest.Milliseconds())
		}
		fmt.Fprintf(os.Stderr, "qemu: boot to prompt: host %d ms wall (QEMU start to prompt), guest %s ms (kernel's figure)\n",
			tm.Host.Milliseconds(), guest)
	}

	wantReset := false
	ended := false
	for _, c := range cmds {
		if ends(c) {
			wantReset = strings.Fields(c)[0] == "reboot"
			if err := m.Send(c + "\r"); err != nil {
				fmt.Fprintf(os.Stderr, "\nqemu: %v\n", err)
			}
			ended = true
			break
		}
		if _, err := m.Run(c, left()); err != nil {
			fmt.Fprintf(os.Stderr, "\nqemu: %v\n", err)
			break
		}
	}
	if !ended && !m.Exited() {
		m.Send("poweroff\r")
	}
	if ended && len(cmds) > 0 && strings.Fields(cmds[len(cmds)-1])[0] == "exit" {
		// the shell has gone quiet: nothing will power the machine off
		m.Wait(500 * time.Millisecond)
		fmt.Println()
		timing()
		fmt.Fprintln(os.Stderr, "qemu: the shell exited; QEMU stopped")
		return 0
	}
	st, err := m.Wait(left())
	fmt.Println()
	timing()
	switch {
	case err != nil || st.Kind == harness.ExitTimeout:
		fmt.Fprintln(os.Stderr, "qemu: timeout")
		return 2
	case st.Kind == harness.ExitPowerOff:
		fmt.Fprintf(os.Stderr, "qemu: power off (%v)\n", st)
		return 0
	case st.Kind == harness.ExitReset && wantReset:
		fmt.Fprintf(os.Stderr, "qemu: reset, QEMU exited (-no-reboot) (%v)\n", st)
		return 0
	case st.Kind == harness.ExitPanic:
		fmt.Fprintf(os.Stderr, "qemu: kernel panic (code %d)\n", st.PanicCode)
		return 1
	default:
		fmt.Fprintf(os.Stderr, "qemu: QEMU ended unexpectedly: %v\n", st)
		if e := strings.TrimSpace(m.Stderr()); e != "" {
			fmt.Fprintf(os.Stderr, "qemu: QEMU stderr:\n%s\n", e)
		}
		return 3
	}
}
