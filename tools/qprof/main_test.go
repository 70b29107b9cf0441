package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleLog = `Trace 0: 0x7f0000000000 [0000000000000000/000000001011a74e/0040c2b0/ff020201] tamix/proc.(*Kernel).Syscall
Trace 0: 0x7f0000000140 [0000000000000000/000000001011a752/0040c2b0/ff020201] tamix/proc.(*Kernel).Syscall
Trace 0: 0x7f0000000280 [0000000000000000/0000000000401610/0040c293/ff020201]
Trace 0: 0x7f00000003c0 [0000000000000000/000000001012e59f/0040c2b0/ff020201] main.runTask
a line QEMU prints that is not a trace
Trace 0: 0x7f0000000500 [0000000000000000/000000001011a758/0040c2b0/ff020201] tamix/proc.(*Kernel).Syscall
`

func TestCountSymbols(t *testing.T) {
	p, err := countSymbols(strings.NewReader(sampleLog))
	require.NoError(t, err)
	assert.Equal(t, 5, p.total)
	assert.Equal(t, map[string]int{"tamix/proc.(*Kernel).Syscall": 3, "[user]": 1, "main.runTask": 1}, p.count)
	assert.Equal(t, []string{"tamix/proc.(*Kernel).Syscall", "[user]", "main.runTask"}, p.sorted(), "by count, ties by name")
}

func TestPrintTop(t *testing.T) {
	p, err := countSymbols(strings.NewReader(sampleLog))
	require.NoError(t, err)
	var b bytes.Buffer
	p.print(&b, 2)
	assert.Equal(t, "5 instructions in the window\n        3  60.0%  tamix/proc.(*Kernel).Syscall\n        1  20.0%  [user]\n", b.String())
}

func TestCountSymbolsEmpty(t *testing.T) {
	p, err := countSymbols(strings.NewReader(""))
	require.NoError(t, err)
	assert.Zero(t, p.total)
	var b bytes.Buffer
	p.print(&b, 10)
	assert.Equal(t, "0 instructions in the window\n", b.String())
}
