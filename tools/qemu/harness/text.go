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

// maxEchoSearch bounds how far into the text skipEcho looks for the echo.
const maxEchoSearch = 64 << 10

// skipEcho finds the end of the echo of a command line typed after a
// prompt. text is the normalized console text right after the prompt; it
// returns the index just past the line end that Enter produced, or -1 while
// the echo is not complete yet, and the foreign text found inside the echo.
//
// A printable command is matched against the echo. The terminal inserts a
// line break after every 80 columns (prompt included), and output of
// background jobs may arrive before or inside the echo ("tamix# w" "spin
// done\n" "ait\n"): such foreign lines are skipped and returned, so the
// caller can count them as output. A redraw of the prompt at a line start
// restarts the echo. A command with control characters or escape sequences
// (line editing, history) cannot be matched: then the echo is taken to be
// the first line; the same fallback is used when the echo cannot be found
// but a prompt has already followed.
func skipEcho(text, prompt, cmd string) (int, string) {
	if printable(cmd) {
		if len(text) > maxEchoSearch {
			text = text[:maxEchoSearch]
		}
		e := echoSearch{text: text, prompt: prompt, cmd: cmd,
			exact:  cmd != "" && (utf8.RuneCountInString(prompt)+utf8.RuneCountInString(cmd))%termWidth == 0,
			failed: map[[2]int]bool{}}
		if end, ok := e.search(0, 0); ok {
			return end, e.foreign.String()
		}
		if e.hitEnd && findPrompt(text, prompt) < 0 {
			return -1, "" // may still come
		}
	}
	if k := strings.IndexByte(text, '\n'); k >= 0 {
		return k + 1, ""
	}
	return -1, ""
}

// echoSearch is a depth-first search for the echo of cmd in text.
type echoSearch struct {
	text, prompt, cmd string
	exact             bool // the echo ends at column 80: a wrap precedes Enter
	failed            map[[2]int]bool
	hitEnd            bool // some path needed more text
	foreign           strings.Builder
}

// search matches cmd[j:] at text[i:]; it returns the end of the echo.
func (e *echoSearch) search(i, j int) (int, bool) {
	if e.failed[[2]int{i, j}] {
		return 0, false
	}
	text, cmd := e.text, e.cmd
	if i >= len(text) {
		e.hitEnd = true
		return 0, false
	}
	lineStart := i == 0 || text[i-1] == '\n'
	if j == len(cmd) {
		if e.exact && text[i] == '\n' {
			if i+1 >= len(text) {
				e.hitEnd = true
				return 0, false
			}
			if text[i+1] == '\n' {
				return i + 2, true
			}
		}
		if text[i] == '\n' {
			return i + 1, true
		}
	} else if text[i] == cmd[j] {
		if end, ok := e.search(i+1, j+1); ok {
			return end, true
		}
	} else if text[i] == '\n' && j > 0 {
		// a line wrap inside the echo
		if end, ok := e.search(i+1, j); ok {
			return end, true
		}
	}
	if lineStart && strings.HasPrefix(text[i:], e.prompt) {
		// the terminal redrew the prompt and the line
		if end, ok := e.search(i+len(e.prompt), 0); ok {
			return end, true
		}
	}
	// foreign output up to the end of its line
	if k := strings.IndexByte(text[i:], '\n'); k >= 0 {
		n := e.foreign.Len()
		e.foreign.WriteString(text[i : i+k+1])
		if end, ok := e.search(i+k+1, j); ok {
			return end, true
		}
		s := e.foreign.String()[:n]
		e.foreign.Reset()
		e.foreign.WriteString(s)
	} else {
		e.hitEnd = true
	}
	e.failed[[2]int{i, j}] = true
	return 0, false
}

// parseCommand parses the console text that follows a prompt at which cmd
// was typed. When the next prompt has arrived it returns the command's
// output (foreign lines inside the echo, then the text between the echoed
// line and the next prompt), the number of bytes of text up to the end of
// that prompt, and true.
func parseCommand(text, prompt, cmd string) (output string, consumed int, ok bool) {
	e, foreign := skipEcho(text, prompt, cmd)
	if e < 0 {
		return "", 0, false
	}
	p := findPrompt(text[e:], prompt)
	if p < 0 {
		return "", 0, false
	}
	p += e
	return foreign + text[e:p], p + len(prompt), true
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
