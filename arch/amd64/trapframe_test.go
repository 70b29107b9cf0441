package amd64

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTrapFrameLayoutMatchesIRETQ(t *testing.T) {
	// Enter points RSP at RIP and executes IRETQ: RIP, CS, RFLAGS, RSP, SS
	// must be consecutive.
	var tf TrapFrame
	base := fieldOffsets(&tf)
	assert.Equal(t, base["RIP"]+8, base["CS"])
	assert.Equal(t, base["CS"]+8, base["RFLAGS"])
	assert.Equal(t, base["RFLAGS"]+8, base["RSP"])
	assert.Equal(t, base["RSP"]+8, base["SS"])
}

func TestSyscallArgsAliasTheRegisters(t *testing.T) {
	tf := TrapFrame{RDI: 1, RSI: 2, RDX: 3, R10: 4, R8: 5, R9: 6, RCX: 7, RAX: 8}
	a := tf.SyscallArgs()
	assert.Equal(t, [6]uint64{1, 2, 3, 4, 5, 6}, *a)
	a[3] = 40
	assert.Equal(t, uint64(40), tf.R10, "the array is the frame, not a copy")
}

func TestCanonical(t *testing.T) {
	for va, want := range map[uint64]bool{
		0: true, 0x400000: true, 0x7fffffffffff: true, 0x800000000000: false,
		0xffff800000000000: true, 0xffff7fffffffffff: false, ^uint64(0): true,
	} {
		assert.Equal(t, want, IsCanonical(va), "%#x", va)
	}
}

func TestSetUserFlags(t *testing.T) {
	var tf TrapFrame
	tf.SetUserFlags(^uint64(0))
	assert.NotZero(t, tf.RFLAGS&FlagIF)
	assert.Zero(t, tf.RFLAGS&FlagIOPL, "IOPL must stay 0")
	assert.Zero(t, tf.RFLAGS&FlagNT)
	assert.NotZero(t, tf.RFLAGS&FlagDF)
	tf.SetUserFlags(0)
	assert.Equal(t, uint64(FlagIF|flagsRes), tf.RFLAGS)
}

func TestErrorCodeVectors(t *testing.T) {
	assert.True(t, HasErrorCode(VecPageFault))
	assert.True(t, HasErrorCode(VecGPF))
	assert.False(t, HasErrorCode(VecInvalidOp))
	assert.False(t, HasErrorCode(VecLocalTimer))
	assert.Equal(t, "page fault", TrapName(VecPageFault))
	assert.Equal(t, "system call", TrapName(TrapSyscall))
}
