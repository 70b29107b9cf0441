//go:build tamago

package main

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"time"

	arch "tamix/arch/amd64"
	"tamix/boot"
)

// consoleVector is COM1's IRQ 4 through the IOAPIC.
const consoleVector = arch.VecIRQBase + 4

// consolePoll bounds how long the reader sleeps before it looks at the UART
// again; the receive interrupt normally wakes it sooner.
const consolePoll = 20 * time.Millisecond

// shellInput carries console input to the shell while no program owns the
// terminal.
var shellInput = make(chan []byte, 64)

// consoleReader owns COM1's input. A program in the foreground owns the
// terminal: what is typed goes through its line discipline (echo, ^C).
// Otherwise it goes to the shell's line editor.
func consoleReader() {
	arch.WakeOnInterrupt(consoleVector)
	buf := make([]byte, 256)
	for {
		n, _ := boot.UART0.Read(buf)
		if n == 0 {
			time.Sleep(consolePoll)
			continue
		}
		b := append([]byte(nil), buf[:n]...)
		if i := bytes.IndexByte(b, sysrqKey); i >= 0 {
			sysrq()
			b = append(b[:i], b[i+1:]...)
		}
		if foreground.Load() != nil {
			console.Receive(b)
		} else {
			shellInput <- b
		}
	}
}

// sysrqKey (^T) dumps every goroutine's stack and the tasks to the console,
// whatever runs: the way to see where a hung system waits (like Linux's
// magic SysRq t).
const sysrqKey = 0x14

func sysrq() {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	boot.UART0.Write([]byte("\r\n--- sysrq: goroutines ---\r\n"))
	boot.UART0.Write(bytes.ReplaceAll(buf[:n], []byte("\n"), []byte("\r\n")))
	for _, t := range kern.Tasks() {
		fmt.Fprintf(boot.UART0, "task %d %s state %c pending=%v cpu %d onrq %v\r\n", t.PID, t.Comm(), t.StateChar(), t.InSyscallSleep(), t.CPU, t.OnRQ)
	}
}

// shellConsole is the shell's terminal: input from consoleReader, output
// straight to the UART.
type shellConsole struct{ pending []byte }

func (c *shellConsole) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		c.pending = <-shellInput
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *shellConsole) Write(p []byte) (int, error) {
	return consoleWrite(p)
}

// consoleMu makes each write to the console whole: the shell and the
// programs write from different CPUs, and a write(2) on a Linux tty is not
// interleaved byte by byte with another either.
var consoleMu sync.Mutex

func consoleWrite(p []byte) (int, error) {
	consoleMu.Lock()
	defer consoleMu.Unlock()
	return boot.UART0.Write(p)
}
