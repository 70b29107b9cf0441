// Package harness boots the tamix kernel in QEMU and drives its shell over
// the serial console, for tests and for the tools/qemu command.
//
//	m, err := harness.Boot(ctx, harness.Config{Kernel: "build/tamix", SMP: 2})
//	out, err := m.Run("uname", 5*time.Second)
//	_, err = m.RunUntil("poweroff", "power off", 5*time.Second)
//	st, err := m.Wait(10 * time.Second) // st.Kind == harness.ExitPowerOff
//	m.Close()
//
// In tests, BootT does all of it: KernelPath (skips loudly without
// $TAMIX_KERNEL), Boot, Close at cleanup and the transcript on failure.
//
// QEMU runs with the serial console on its stdin/stdout (-serial stdio) and
// a QMP socket (for the reason of a shutdown: power-off or reset). All the
// text the harness returns is normalized: "\r\n" → "\n", ANSI escapes and
// other control characters removed (see Normalize).
package harness

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config describes a machine to boot.
type Config struct {
	// Kernel is the path of the kernel ELF (required unless Disk is set).
	Kernel string
	// Disk, if set, boots this raw disk image the way a PC does: the
	// firmware (SeaBIOS, or OVMF with UEFI) runs the image's boot loader;
	// there is no -kernel. The image is opened with snapshot=on, so
	// machines may share it.
	Disk string
	// UEFI boots with OVMF (OVMFCode as read-only pflash, a private copy
	// of OVMFVars as the writable variable store) instead of SeaBIOS.
	UEFI bool
	// Machine is QEMU's -machine value (default "q35,pic=off"). Disk boots
	// may use plain "q35": the kernel masks the 8259 itself.
	Machine string
	// SMP is the number of CPUs (default 2).
	SMP int
	// Mem is the guest RAM in QEMU's -m syntax, e.g. "2G", "512M" (default "2G").
	Mem string
	// ExtraArgs are appended to QEMU's command line.
	ExtraArgs []string
	// Timeout bounds the boot: from QEMU's start to the first prompt
	// (default 30s).
	Timeout time.Duration
	// Log, if set, receives the normalized console text as it arrives.
	Log io.Writer
	// QEMU is the emulator binary (default $TAMIX_QEMU, else
	// qemu-system-x86_64).
	QEMU string
	// Prompt is the shell's prompt (default DefaultPrompt).
	Prompt string

	ovmfVars string // the private copy of OVMFVars (set by Start)
}

// DefaultTimeout is used by Run, RunUntil, Expect, WaitPrompt and Wait when
// their timeout is 0, and by Boot when Config.Timeout is 0.
const DefaultTimeout = 30 * time.Second

// ErrTimeout is wrapped by the error of every wait that timed out
// (errors.Is(err, harness.ErrTimeout)).
var ErrTimeout = errors.New("timeout")

// ExitError is the error of a wait (Boot, Run, RunUntil, Expect,
// WaitPrompt) during which QEMU exited, e.g. after a kernel panic.
type ExitError struct {
	Status ExitStatus // how QEMU ended
	What   string     // what was awaited
	Tail   string     // the end of the transcript and of QEMU's stderr
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("harness: QEMU exited (%v) while waiting for %s\n%s", e.Status, e.What, e.Tail)
}

// Timing is how long the boot took.
type Timing struct {
	// Host is the wall time from QEMU's start to the first prompt.
	Host time.Duration
	// Guest is the kernel's own figure ("tamix: prompt after N ms"), -1
	// if the banner did not say.
	Guest time.Duration
}

// Machine is a running QEMU with tamix.
type Machine struct {
	cfg   Config
	cmd   *exec.Cmd
	stdin *os.File
	tmp   string
	qmp   net.Conn
	start time.Time

	mu       sync.Mutex
	raw      []byte
	norm     []byte
	nz       normalizer
	changed  chan struct{} // closed and replaced when norm grows
	cursor   int           // index in norm of what the next wait looks at
	banner   string
	timing   Timing
	reason   string // last QMP SHUTDOWN reason
	events   []string
	stderr   strings.Builder
	exit     ExitStatus
	timedOut bool

	readerDone chan struct{} // the console reader saw EOF
	qmpDone    chan struct{} // the QMP reader ended
	procDone   chan struct{} // the QEMU process ended
	done       chan struct{} // QEMU exited and the readers drained; m.exit is set
	closeOnce  sync.Once
}

// Args returns QEMU's command line (without the binary) for cfg, with the
// QMP socket at qmpPath ("" for none).
func Args(cfg Config, qmpPath string) []string {
	smp, mem := cfg.SMP, cfg.Mem
	if smp <= 0 {
		smp = 2
	}
	if mem == "" {
		mem = "2G"
	}
	machine := cfg.Machine
	if machine == "" {
		machine = "q35,pic=off"
	}
	args := []string{
		"-machine", machine, "-cpu", "max",
		"-smp", strconv.Itoa(smp), "-m", mem,
		"-no-reboot", "-nic", "none",
		"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
		"-display", "none", "-monitor", "none", "-serial", "stdio",
	}
	if qmpPath != "" {
		args = append(args, "-qmp", "unix:"+qmpPath+",server=on,wait=on")
	}
	if cfg.UEFI {
		args = append(args,
			"-drive", "if=pflash,format=raw,unit=0,readonly=on,file="+OVMFCode,
			"-drive", "if=pflash,format=raw,unit=1,file="+cfg.ovmfVars)
	}
	if cfg.Disk != "" {
		args = append(args, "-drive", "file="+cfg.Disk+",format=raw,snapshot=on")
	} else {
		args = append(args, "-kernel", cfg.Kernel)
	}
	return append(args, cfg.ExtraArgs...)
}

// OVMF firmware (Debian's ovmf package) for Config.UEFI.
var (
	OVMFCode = "/usr/share/OVMF/OVMF_CODE.fd"
	OVMFVars = "/usr/share/OVMF/OVMF_VARS.fd" // template: Start copies it
)

func copyFile(dst, src string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

// QEMUBinary returns the emulator Boot runs for cfg.
func QEMUBinary(cfg Config) string {
	if cfg.QEMU != "" {
		return cfg.QEMU
	}
	if q := os.Getenv("TAMIX_QEMU"); q != "" {
		return q
	}
	return "qemu-system-x86_64"
}

// Start starts QEMU and returns at once, without waiting for the prompt
// (use it for boots that are expected to fail; then Expect and Wait).
// Cancelling ctx kills QEMU.
func Start(ctx context.Context, cfg Config) (*Machine, error) {
	if cfg.Disk != "" {
		if _, err := os.Stat(cfg.Disk); err != nil {
			return nil, fmt.Errorf("harness: disk image: %w", err)
		}
	} else if cfg.Kernel == "" {
		return nil, errors.New("harness: Config.Kernel is empty")
	} else if _, err := os.Stat(cfg.Kernel); err != nil {
		return nil, fmt.Errorf("harness: kernel: %w", err)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Prompt == "" {
		cfg.Prompt = DefaultPrompt
	}
	// unix socket paths are short (108 bytes): keep it in /tmp
	tmp, err := os.MkdirTemp("", "tamix-qemu-")
	if err != nil {
		return nil, err
	}
	qmpPath := filepath.Join(tmp, "qmp.sock")
	if cfg.UEFI {
		cfg.ovmfVars = filepath.Join(tmp, "OVMF_VARS.fd")
		if err := copyFile(cfg.ovmfVars, OVMFVars); err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("harness: OVMF variable store: %w", err)
		}
	}
	m := &Machine{
		cfg:        cfg,
		tmp:        tmp,
		changed:    make(chan struct{}),
		readerDone: make(chan struct{}),
		qmpDone:    make(chan struct{}),
		procDone:   make(chan struct{}),
		done:       make(chan struct{}),
		timing:     Timing{Guest: -1},
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		os.RemoveAll(tmp)
		return nil, err
	}
	m.stdin = inW
	m.cmd = exec.CommandContext(ctx, QEMUBinary(cfg), Args(cfg, qmpPath)...)
	m.cmd.Stdin = inR
	m.cmd.Stdout = outW
	m.cmd.Stderr = stderrWriter{m}
	m.start = time.Now()
	err = m.cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("harness: starting QEMU: %w", err)
	}
	go m.readConsole(outR)
	go m.waitExit()

	// QEMU waits for us on the QMP socket before it starts the guest.
	if err := m.connectQMP(qmpPath); err != nil {
		m.Close()
		return nil, fmt.Errorf("harness: %w\n%s", err, m.tails())
	}
	return m, nil
}

// Boot starts QEMU and waits (at most cfg.Timeout) for the shell's first
// prompt. On error QEMU is gone and the error holds the transcript's tail.
func Boot(ctx context.Context, cfg Config) (*Machine, error) {
	m, err := Start(ctx, cfg)
	if err != nil {
		return nil, err
	}
	prompt := m.cfg.Prompt
	var at time.Time
	_, err = m.waitFor("the first prompt", m.cfg.Timeout, func(text string) (string, int, bool) {
		p := findPrompt(text, prompt)
		if p < 0 {
			return "", 0, false
		}
		at = time.Now()
		return text[:p], p + len(prompt), true
	})
	if err != nil {
		m.Close()
		return nil, err
	}
	m.mu.Lock()
	m.banner = string(m.norm[:m.cursor-len(prompt)])
	m.timing.Host = at.Sub(m.start)
	if g := guestRE.FindStringSubmatch(m.banner); g != nil {
		ms, _ := strconv.Atoi(g[1])
		m.timing.Guest = time.Duration(ms) * time.Millisecond
	}
	m.mu.Unlock()
	return m, nil
}

var guestRE = regexp.MustCompile(`prompt after (\d+) ms`)

func (m *Machine) connectQMP(path string) error {
	deadline := time.Now().Add(m.cfg.Timeout)
	var conn net.Conn
	for {
		c, err := net.Dial("unix", path)
		if err == nil {
			conn = c
			break
		}
		select {
		case <-m.procDone:
			close(m.qmpDone)
			<-m.done
			return fmt.Errorf("QEMU exited at startup: %v", m.exitStatus())
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			close(m.qmpDone)
			return fmt.Errorf("no QMP socket after %v: %v", m.cfg.Timeout, err)
		}
	}
	r, err := qmpHandshake(conn, m.cfg.Timeout)
	if err != nil {
		conn.Close()
		close(m.qmpDone)
		return err
	}
	m.mu.Lock()
	m.qmp = conn
	m.mu.Unlock()
	go m.readQMP(r)
	return nil
}

func (m *Machine) readQMP(r *bufio.Reader) {
	defer close(m.qmpDone)
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var ev qmpEvent
			if json.Unmarshal(line, &ev) == nil && ev.Event != "" {
				m.mu.Lock()
				m.events = append(m.events, strings.TrimSpace(string(line)))
				if ev.Event == "SHUTDOWN" {
					m.reason = ev.Data.Reason
				}
				m.mu.Unlock()
			}
		}
		if err != nil {
			return
		}
	}
}

func (m *Machine) readConsole(r *os.File) {
	defer close(m.readerDone)
	defer r.Close()
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			m.mu.Lock()
			m.raw = append(m.raw, buf[:n]...)
			old := len(m.norm)
			m.norm = m.nz.write(m.norm, buf[:n])
			added := m.norm[old:len(m.norm):len(m.norm)]
			if len(added) > 0 {
				close(m.changed)
				m.changed = make(chan struct{})
			}
			m.mu.Unlock()
			if m.cfg.Log != nil && len(added) > 0 {
				// norm is append-only: added stays valid
				m.cfg.Log.Write(added)
			}
		}
		if err != nil {
			return
		}
	}
}

func (m *Machine) waitExit() {
	m.cmd.Wait()
	close(m.procDone)
	status := -1
	if m.cmd.ProcessState != nil {
		status = m.cmd.ProcessState.ExitCode()
	}
	// let the readers drain what QEMU wrote before it exited
	for _, c := range []chan struct{}{m.readerDone, m.qmpDone} {
		select {
		case <-c:
		case <-time.After(2 * time.Second):
		}
	}
	m.mu.Lock()
	m.exit = DecodeExit(status, m.reason)
	if m.timedOut {
		m.exit.Kind = ExitTimeout
	}
	close(m.done)
	close(m.changed)
	m.changed = make(chan struct{})
	m.mu.Unlock()
}

type stderrWriter struct{ m *Machine }

func (w stderrWriter) Write(p []byte) (int, error) {
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	w.m.stderr.Write(p)
	return len(p), nil
}

func (m *Machine) exitStatus() ExitStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.exit
}

func (m *Machine) exited() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// tails describes the end of the transcript and of QEMU's stderr, for errors.
func (m *Machine) tails() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.tailsLocked()
}

func (m *Machine) tailsLocked() string {
	s := "--- console (last lines) ---\n" + tail(string(m.norm), 30, 4000) + "\n---"
	if e := strings.TrimSpace(filterStderr(m.stderr.String())); e != "" {
		s += "\n--- QEMU stderr ---\n" + tail(e, 10, 2000) + "\n---"
	}
	return s
}

// waitFor waits until check accepts the console text after the cursor. check
// returns the result, how many bytes of text it consumed and whether it is
// done; the cursor then moves past the consumed text.
func (m *Machine) waitFor(what string, timeout time.Duration, check func(text string) (string, int, bool)) (string, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		m.mu.Lock()
		res, n, ok := check(string(m.norm[m.cursor:]))
		if ok {
			m.cursor += n
			m.mu.Unlock()
			return res, nil
		}
		changed := m.changed
		if m.exited() {
			err := &ExitError{Status: m.exit, What: what, Tail: m.tailsLocked()}
			m.mu.Unlock()
			return "", err
		}
		m.mu.Unlock()
		select {
		case <-changed:
		case <-m.done:
		case <-timer.C:
			return "", fmt.Errorf("harness: %w after %v waiting for %s\n%s", ErrTimeout, timeout, what, m.tails())
		}
	}
}

// Send writes raw bytes to the serial console (no line end is added).
func (m *Machine) Send(raw string) error {
	if m.exited() {
		return fmt.Errorf("harness: QEMU has exited (%v)", m.exitStatus())
	}
	// QEMU's serial front end applies back-pressure (it reads its stdin only
	// while the UART's FIFO has room), so full speed is safe.
	_, err := io.WriteString(m.stdin, raw)
	if err != nil {
		return fmt.Errorf("harness: writing to the console: %w", err)
	}
	return nil
}

// Run types cmd and Enter ("\r") at the prompt, waits for the next prompt
// and returns the command's output: the text between the echoed command
// line and the prompt, normalized ("\n" line ends, no escapes). cmd may hold
// editing keys (DEL, ESC [ A, ...): the echo is then taken to be the first
// line of what follows.
func (m *Machine) Run(cmd string, timeout time.Duration) (string, error) {
	if err := m.Send(cmd + "\r"); err != nil {
		return "", err
	}
	return m.waitFor(fmt.Sprintf("the prompt after %q", cmd), timeout, func(text string) (string, int, bool) {
		return parseCommand(text, m.cfg.Prompt, cmd)
	})
}

// RunUntil types cmd and Enter and waits until the output (after the echoed
// line) matches the regular expression pattern; it returns the output up to
// the end of the match. For commands that do not return to the prompt
// (crash, poweroff, reboot).
func (m *Machine) RunUntil(cmd, pattern string, timeout time.Duration) (string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	if err := m.Send(cmd + "\r"); err != nil {
		return "", err
	}
	return m.waitFor(fmt.Sprintf("%q after %q", pattern, cmd), timeout, func(text string) (string, int, bool) {
		e, foreign := skipEcho(text, m.cfg.Prompt, cmd)
		if e < 0 {
			return "", 0, false
		}
		loc := re.FindStringIndex(foreign + text[e:])
		if loc == nil {
			return "", 0, false
		}
		if loc[1] <= len(foreign) {
			return foreign[:loc[1]], e, true
		}
		return foreign + text[e:e+loc[1]-len(foreign)], e + loc[1] - len(foreign), true
	})
}

// Expect waits until the console text after the last consumed point matches
// the regular expression pattern and returns that text up to the end of the
// match.
func (m *Machine) Expect(pattern string, timeout time.Duration) (string, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "", fmt.Errorf("harness: %w", err)
	}
	return m.waitFor(fmt.Sprintf("%q", pattern), timeout, func(text string) (string, int, bool) {
		loc := re.FindStringIndex(text)
		if loc == nil {
			return "", 0, false
		}
		return text[:loc[1]], loc[1], true
	})
}

// WaitPrompt waits for a prompt at the start of a line after the last
// consumed point (e.g. after Send) and returns the text before it.
func (m *Machine) WaitPrompt(timeout time.Duration) (string, error) {
	return m.waitFor("the prompt", timeout, func(text string) (string, int, bool) {
		p := findPrompt(text, m.cfg.Prompt)
		if p < 0 {
			return "", 0, false
		}
		return text[:p], p + len(m.cfg.Prompt), true
	})
}

// Wait waits for QEMU to exit and tells how. After timeout it kills QEMU and
// returns Kind ExitTimeout with an error holding the transcript's tail; the
// error is nil whenever QEMU exited by itself.
func (m *Machine) Wait(timeout time.Duration) (ExitStatus, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-m.done:
		return m.exitStatus(), nil
	case <-timer.C:
	}
	m.mu.Lock()
	m.timedOut = true
	m.mu.Unlock()
	m.kill()
	<-m.done
	st := m.exitStatus()
	st.Kind = ExitTimeout
	return st, fmt.Errorf("harness: %w after %v waiting for QEMU to exit\n%s", ErrTimeout, timeout, m.tails())
}

// Done is closed when QEMU has exited.
func (m *Machine) Done() <-chan struct{} { return m.done }

func (m *Machine) kill() {
	if m.cmd.Process != nil {
		m.cmd.Process.Kill()
	}
}

// Close kills QEMU (if it still runs), reaps it and frees everything. It is
// safe to call more than once and after Wait.
func (m *Machine) Close() error {
	m.closeOnce.Do(func() {
		m.kill()
		select {
		case <-m.done:
		case <-time.After(10 * time.Second):
		}
		m.stdin.Close()
		m.mu.Lock()
		if m.qmp != nil {
			m.qmp.Close()
		}
		m.mu.Unlock()
		os.RemoveAll(m.tmp)
	})
	return nil
}

// Banner returns the console text before the first prompt.
func (m *Machine) Banner() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.banner
}

// Timing returns how long the boot took (zero before Boot returned).
func (m *Machine) Timing() Timing {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.timing
}

// Transcript returns the whole console text so far, normalized.
func (m *Machine) Transcript() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return string(m.norm)
}

// RawTranscript returns the console bytes so far, as QEMU wrote them.
func (m *Machine) RawTranscript() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]byte(nil), m.raw...)
}

// Stderr returns what QEMU wrote to its standard error so far, without
// QEMU's notice that it waits for the harness on the QMP socket.
func (m *Machine) Stderr() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return filterStderr(m.stderr.String())
}

// filterStderr drops QEMU's "info: QEMU waiting for connection" lines.
func filterStderr(s string) string {
	if !strings.Contains(s, "QEMU waiting for connection") {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if !strings.Contains(l, "info: QEMU waiting for connection") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// Events returns the QMP events received so far (one JSON object each).
func (m *Machine) Events() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.events...)
}

// Exited reports whether QEMU has exited.
func (m *Machine) Exited() bool { return m.exited() }
