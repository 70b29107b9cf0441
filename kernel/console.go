//go:build tamago

package main

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"time"

	"tamix/boot"
)

// consolePoll is how often the reader looks at the UART. It polls rather
// than being woken by COM1's interrupt: TamaGo's way of waking a sleeping
// goroutine from an interrupt (runtime.WakeG) edits the Go timer heap
// without its lock and once corrupted it ("timer data corruption").
const consolePoll = 10 * time.Millisecond

// shellInput carries console input to the shell while no program owns the
// terminal.
var shellInput = make(chan []byte, 64)

// consoleReader owns COM1's input. A program in the foreground owns the
// terminal: what is typed goes through its line discipline (echo, ^C).
// Otherwise it goes to the shell's line editor.
func consoleReader() {
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
