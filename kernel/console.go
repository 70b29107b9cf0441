//go:build tamago

package main

import (
	"time"

	arch "tamix/arch/amd64"
	"tamix/boot"
)

// uartConsole is the serial console as an io.ReadWriter for the shell.
type uartConsole struct{}

// consolePoll bounds how long a reader sleeps before it looks at the UART
// again; the receive interrupt normally wakes it sooner.
const consolePoll = 20 * time.Millisecond

// consoleVector is COM1's IRQ 4 through the IOAPIC.
const consoleVector = arch.VecIRQBase + 4

func (uartConsole) Read(p []byte) (int, error) {
	arch.WakeOnInterrupt(consoleVector)
	for {
		if n, _ := boot.UART0.Read(p); n > 0 {
			return n, nil
		}
		time.Sleep(consolePoll)
	}
}

func (uartConsole) Write(p []byte) (int, error) {
	return boot.UART0.Write(p)
}
