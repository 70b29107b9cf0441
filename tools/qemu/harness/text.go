package harness

import (
	"strings"
	"unicode/utf8"
)

// normalizer turns the raw bytes of a serial console into plain text, as a
// stream: "\r\n" becomes "\n", a lone "\r" is dropped, ANSI escape sequences
// (CSI "ESC [ ... final", OSC "ESC ] ... BEL|ESC \", and two- or three-byte
// ESC sequences) are removed, and so are the other C0 control characters
// except "\n" and "\t". An escape sequence split across writes is handled:
// the normalizer keeps its state between calls, so the text it has emitted is
// always a prefix of the text of any longer input.
type normalizer struct {
	state int
	cr    bool // a '\r' is pending: it becomes part of "\n" or is dropped
}

const (
	stText   = iota
	stEsc    // after ESC
	stEscInt // ESC followed by intermediate bytes (0x20-0x2f), e.g. ESC ( B
	stCSI    // ESC [
	stOSC    // ESC ]
	stOSCEsc // ESC inside an OSC string (ESC \ ends it)
)

// write appends the normalized form of p to dst.
func (n *normalizer) write(dst, p []byte) []byte {
	for _, b := range p {
		switch n.state {
		case stText:
			if n.cr {
				n.cr = false
				if b == '\n' {
					dst = append(dst, '\n')
					continue
				}
			}
			switch {
			case b == '\r':
				n.cr = true
			case b == 0x1b:
				n.state = stEsc
			case b == '\n' || b == '\t':
				dst = append(dst, b)
			case b < 0x20 || b == 0x7f:
				// other control characters (BEL, BS, ...) are dropped
			default:
				dst = append(dst, b)
			}
		case stEsc:
			switch {
			case b == '[':
				n.state = stCSI
			case b == ']':
				n.state = stOSC
			case b >= 0x20 && b <= 0x2f:
				n.state = stEscInt
			case b == 0x1b:
				// ESC ESC: stay
			default:
				n.state = stText // ESC x: a two-byte sequence
			}
		case stEscInt:
			if b < 0x20 || b > 0x2f {
				n.state = stText
			}
		case stCSI:
			switch {
			case b >= 0x40 && b <= 0x7e:
				n.state = stText // final byte
			case b >= 0x20 && b <= 0x3f:
				// parameter and intermediate bytes
			case b == 0x1b:
				n.state = stEsc
			default:
				// a control byte aborts the sequence (as CAN/SUB do)
				n.state = stText
			}
		case stOSC:
			switch b {
			case 0x07:
				n.state = stText
			case 0x1b:
				n.state = stOSCEsc
			}
		case stOSCEsc:
			if b == '\\' {
				n.state = stText
			} else {
				n.state = stOSC
			}
		}
	}
	return dst
}

// Normalize returns s as plain text: "\r\n" → "\n", lone "\r" dropped, ANSI
// escape sequences and control characters other than "\n" and "\t" removed.
func Normalize(s string) string {
	var n normalizer
	return string(n.write(nil, []byte(s)))
}

// DefaultPrompt is the prompt of tamix's shell.
const DefaultPrompt = "tamix# "

// termWidth is the width golang.org/x/term assumes for the console: it
// emits "\r\n" after every termWidth columns of an echoed line.
const termWidth = 80

// findPrompt returns the index in text of the first prompt that starts a
// line (at index 0 or right after "\n"), or -1.
func findPrompt(text, prompt string) int {
	for i := 0; i <= len(text)-len(prompt); {
		j := strings.Index(text[i:], prompt)
		if j < 0 {
			return -1
		}
		if k := i + j; k == 0 || text[k-1] == '\n' {
			return k
		}
		i += j + 1
	}
	return -1
}

// printable reports whether cmd is made only of printable characters, so
// that the terminal echoes it verbatim.
func printable(cmd string) bool {
	if !utf8.ValidString(cmd) {
		return false
	}
	for _, r := range cmd {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return false
		}
	}
	return true
}

// skipEcho finds the end of the echo of a command line typed after a
// prompt. text is the normalized console text right after the prompt; it
// returns the index just past the line end that Enter produced, or -1 while
// the echo is not complete yet.
//
// A printable command is matched against the echo (the terminal inserts a
// line break after every 80 columns, prompt included). A command with
// control characters or escape sequences (line editing, history) cannot be
// matched: then the echo is taken to be the first line.
func skipEcho(text, prompt, cmd string) int {
	if printable(cmd) {
		i, j := 0, 0
		for j < len(cmd) {
			if i >= len(text) {
				return -1
			}
			switch {
			case text[i] == cmd[j]:
				i++
				j++
			case text[i] == '\n':
				i++ // a line wrap
			default:
				goto firstLine
			}
		}
		cols := utf8.RuneCountInString(prompt) + utf8.RuneCountInString(cmd)
		if cmd != "" && cols%termWidth == 0 {
			// the last character ended a terminal line: x/term wrapped
			// before Enter's own line end
			if i >= len(text) {
				return -1
			}
			if text[i] == '\n' {
				i++
			}
		}
		if i >= len(text) {
			return -1
		}
		if text[i] == '\n' {
			return i + 1
		}
	}
firstLine:
	if k := strings.IndexByte(text, '\n'); k >= 0 {
		return k + 1
	}
	return -1
}

// parseCommand parses the console text that follows a prompt at which cmd
// was typed. When the next prompt has arrived it returns the command's
// output (the text between the echoed line and the next prompt), the number
// of bytes of text up to the end of that prompt, and true.
func parseCommand(text, prompt, cmd string) (output string, consumed int, ok bool) {
	e := skipEcho(text, prompt, cmd)
	if e < 0 {
		return "", 0, false
	}
	p := findPrompt(text[e:], prompt)
	if p < 0 {
		return "", 0, false
	}
	p += e
	return text[e:p], p + len(prompt), true
}

// tail returns the last n lines of s (at most max bytes).
func tail(s string, n, max int) string {
	s = strings.TrimRight(s, "\n")
	i := len(s)
	for ; n > 0 && i > 0; n-- {
		j := strings.LastIndexByte(s[:i], '\n')
		if j < 0 {
			i = 0
			break
		}
		i = j
	}
	if i > 0 {
		i++ // skip the '\n'
	}
	if len(s)-i > max {
		i = len(s) - max
	}
	return s[i:]
}
