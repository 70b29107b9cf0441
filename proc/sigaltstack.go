package proc

import (
	"encoding/binary"

	"tamix/errno"
)

// Alternate signal stacks (kernel/signal.c do_sigaltstack, arch/x86
// get_sigframe): a handler installed with SA_ONSTACK runs on a stack the
// thread set aside, so that it can run even when the normal stack is what
// overflowed.

// ss_flags values.
const (
	SS_ONSTACK    = 1
	SS_DISABLE    = 2
	SS_AUTODISARM = 1 << 31 // disarm while a handler runs on the stack
	ssFlagBits    = SS_AUTODISARM
	// MINSIGSTKSZ is the smallest stack sigaltstack accepts (x86).
	MINSIGSTKSZ = 2048
	stackTSize  = 24 // sizeof(stack_t): ss_sp, ss_flags, ss_size
)

// sigAltStack is a thread's sas_ss_sp, sas_ss_size and sas_ss_flags.
type sigAltStack struct {
	sp, size uint64
	flags    uint32
}

// onSigStack is on_sig_stack: sp lies on the alternate stack (never, while
// SS_AUTODISARM has it disarmed). Stacks grow down: the top is included.
func (s *sigAltStack) onSigStack(sp uint64) bool {
	if s.flags&SS_AUTODISARM != 0 {
		return false
	}
	return s.within(sp)
}

// within is __on_sig_stack: sp lies on the stack, armed or not.
func (s *sigAltStack) within(sp uint64) bool { return sp > s.sp && sp-s.sp <= s.size }

// ssFlags is sas_ss_flags: what ss_flags reports for a thread at sp.
func (s *sigAltStack) ssFlags(sp uint64) uint32 {
	if s.size == 0 {
		return SS_DISABLE
	}
	if s.onSigStack(sp) {
		return SS_ONSTACK
	}
	return 0
}

// encode lays out stack_t with the given ss_flags.
func (s *sigAltStack) encode(flags uint32) []byte {
	b := make([]byte, stackTSize)
	le := binary.LittleEndian
	le.PutUint64(b[0:], s.sp)
	le.PutUint32(b[8:], flags)
	le.PutUint64(b[16:], s.size)
	return b
}

// set is do_sigaltstack's change: EPERM while running on the stack,
// EINVAL for a mode other than 0, SS_ONSTACK or SS_DISABLE, ENOMEM for a
// stack under MINSIGSTKSZ. SS_DISABLE forgets the stack.
func (s *sigAltStack) set(spNow, ssSP uint64, ssFlags uint32, ssSize uint64) error {
	if s.onSigStack(spNow) {
		return errno.EPERM
	}
	mode := ssFlags &^ ssFlagBits
	if mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0 {
		return errno.EINVAL
	}
	if s.sp == ssSP && s.size == ssSize && s.flags == ssFlags {
		return nil
	}
	if mode == SS_DISABLE {
		ssSP, ssSize = 0, 0
	} else if ssSize < MINSIGSTKSZ {
		return errno.ENOMEM
	}
	*s = sigAltStack{sp: ssSP, size: ssSize, flags: ssFlags}
	return nil
}

// sysSigaltstack is sigaltstack(ss, old_ss): the old settings are read
// first, then the new ones applied, then the old ones written out.
func sysSigaltstack(k *Kernel, t *Task, a *sysArgs) (uint64, error) {
	sp := t.Regs.RSP
	old := t.altStack.encode(t.altStack.ssFlags(sp) | t.altStack.flags&ssFlagBits)
	if a[0] != 0 {
		b, err := t.copyIn(a[0], stackTSize)
		if err != nil {
			return 0, err
		}
		le := binary.LittleEndian
		if err := t.altStack.set(sp, le.Uint64(b[0:]), le.Uint32(b[8:]), le.Uint64(b[16:])); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		if err := t.copyOut(a[1], old); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// sigframeStack is get_sigframe's choice of stack: below the red zone of
// the current one, or the top of the alternate stack for an SA_ONSTACK
// handler when the thread is not already on it. ok is false when the frame
// would run off the alternate stack (the thread is then killed by
// SIGSEGV, as Linux returns a bogus frame address).
func (s *sigAltStack) sigframeStack(sp uint64, onstack bool, frameBytes uint64) (top uint64, entering, ok bool) {
	nested := s.onSigStack(sp)
	top = sp - 128 // the red zone
	if onstack && s.ssFlags(top) == 0 {
		top, entering = s.sp+s.size, true
	}
	if (nested || entering) && !s.within(top-frameBytes) {
		return top, entering, false
	}
	return top, entering, true
}
