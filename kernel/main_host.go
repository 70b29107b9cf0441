//go:build !tamago

package main

import (
	"fmt"
	"os"
)

// On the host the kernel package only holds testable parts (the shell).
func main() {
	fmt.Fprintln(os.Stderr, "tamix runs on GOOS=tamago only: build it with make kernel")
	os.Exit(1)
}
