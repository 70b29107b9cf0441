package harness

import "fmt"

// ExitKind classifies how QEMU ended.
type ExitKind int

const (
	// ExitPowerOff: QEMU exited with status 0 after the guest turned the
	// machine off (ACPI S5).
	ExitPowerOff ExitKind = iota
	// ExitReset: QEMU exited with status 0 because the guest reset the
	// machine (reboot, or a triple fault) and QEMU runs with -no-reboot.
	// Told apart from ExitPowerOff by QMP's SHUTDOWN event.
	ExitReset
	// ExitPanic: the kernel panicked and wrote its code to isa-debug-exit;
	// QEMU exited with status (code<<1)|1. ExitStatus.PanicCode holds code.
	ExitPanic
	// ExitTimeout: the harness gave up waiting and killed QEMU.
	ExitTimeout
	// ExitOther: anything else (QEMU error, status 1, killed by a signal,
	// host-side shutdown).
	ExitOther
)

func (k ExitKind) String() string {
	switch k {
	case ExitPowerOff:
		return "power-off"
	case ExitReset:
		return "reset"
	case ExitPanic:
		return "panic"
	case ExitTimeout:
		return "timeout"
	case ExitOther:
		return "other"
	}
	return fmt.Sprintf("ExitKind(%d)", int(k))
}

// ExitStatus tells how QEMU ended.
type ExitStatus struct {
	Kind ExitKind
	// Status is QEMU's exit status; -1 when it was killed by a signal.
	Status int
	// PanicCode is the code the kernel wrote to isa-debug-exit (Kind ==
	// ExitPanic): (Status-1)/2.
	PanicCode int
	// Reason is the reason of QMP's last SHUTDOWN event ("guest-shutdown",
	// "guest-reset", "host-signal", ...), "" if there was none.
	Reason string
}

func (s ExitStatus) String() string {
	str := fmt.Sprintf("%v (QEMU exit status %d", s.Kind, s.Status)
	if s.Kind == ExitPanic {
		str += fmt.Sprintf(", kernel panic code %d", s.PanicCode)
	}
	if s.Reason != "" {
		str += ", " + s.Reason
	}
	return str + ")"
}

// DecodeExit classifies QEMU's exit status (-1: killed by a signal) and
// the reason of QMP's last SHUTDOWN event ("" if none).
//
//   - 0 and reason "guest-reset": ExitReset (reset with -no-reboot).
//   - 0 and a host reason ("host-signal", "host-qmp-quit", "host-ui", ...):
//     ExitOther.
//   - 0 otherwise: ExitPowerOff.
//   - odd and >= 3: ExitPanic with code (status-1)/2. Status 1 is ambiguous
//     (QEMU's own error status, or isa-debug-exit code 0, which tamix does
//     not use for panics): ExitOther.
//   - anything else: ExitOther.
func DecodeExit(status int, reason string) ExitStatus {
	s := ExitStatus{Kind: ExitOther, Status: status, Reason: reason}
	switch {
	case status == 0:
		switch {
		case reason == "guest-reset":
			s.Kind = ExitReset
		case len(reason) >= 5 && reason[:5] == "host-":
			s.Kind = ExitOther
		default:
			s.Kind = ExitPowerOff
		}
	case status >= 3 && status%2 == 1:
		s.Kind = ExitPanic
		s.PanicCode = (status - 1) / 2
	}
	return s
}
