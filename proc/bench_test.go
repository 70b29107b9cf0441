package proc

import (
	"testing"
)

// BenchmarkSyscallGetppid is the Go side of a null system call: what the
// per-CPU loop runs for each SYSCALL (dispatch, handler, result), without
// the ring switch.
func BenchmarkSyscallGetppid(b *testing.B) {
	h := newHarness(b)
	u := h.newTask(b)
	t := u.Task
	for i := 0; i < b.N; i++ {
		t.Regs.RAX = SYS_getppid
		h.k.HandleTrap(t, 256)
		if !h.k.PrepareToRun(t) {
			b.Fatal("task cannot run")
		}
	}
}
