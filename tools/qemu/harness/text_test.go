package harness

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"crlf", "a\r\nb\r\n", "a\nb\n"},
		{"double cr", "a\r\r\nb", "a\nb"},
		{"lone cr dropped", "abc\rdef", "abcdef"},
		{"trailing cr dropped", "abc\r", "abc"},
		{"tab and lf kept", "a\tb\n", "a\tb\n"},
		{"csi", "a\x1b[Kb\x1b[2Jc\x1b[?25hd", "abcd"},
		{"csi cursor", "x\x1b[1;31mred\x1b[0m\x1b[D\x1b[3C", "xred"},
		{"osc bel", "a\x1b]0;title\x07b", "ab"},
		{"osc st", "a\x1b]0;title\x1b\\b", "ab"},
		{"two byte esc", "a\x1b7b\x1b8c\x1b=d", "abcd"},
		{"esc with intermediate", "a\x1b(Bb", "ab"},
		{"other controls", "a\x07b\x08c\x00d\x7fe", "abcde"},
		{"utf8", "héllo → ✓\r\n", "héllo → ✓\n"},
		{"unterminated csi", "a\x1b[1", "a"},
		{"csi aborted by control", "a\x1b[1\nb", "ab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, Normalize(tc.in))
		})
	}
}

// The normalizer is a stream: any split of the input gives the same text.
func TestNormalizerSplit(t *testing.T) {
	in := "tamix# ec\x1b[Dho\x1b]0;t\x1b\\ hi\r\nhi\r\r\n\x1b[?25l\x1b(Bok\r\n"
	want := Normalize(in)
	for i := 0; i <= len(in); i++ {
		for j := i; j <= len(in); j++ {
			var n normalizer
			out := n.write(nil, []byte(in[:i]))
			prefix := string(out)
			out = n.write(out, []byte(in[i:j]))
			out = n.write(out, []byte(in[j:]))
			require.Equal(t, want, string(out), "split at %d,%d", i, j)
			require.True(t, strings.HasPrefix(want, prefix))
		}
	}
}

func TestFindPrompt(t *testing.T) {
	p := DefaultPrompt
	assert.Equal(t, 0, findPrompt("tamix# ", p))
	assert.Equal(t, 4, findPrompt("abc\ntamix# x", p))
	assert.Equal(t, -1, findPrompt("abc tamix# ", p), "not at a line start")
	assert.Equal(t, 13, findPrompt("echo tamix# \ntamix# ", p))
	assert.Equal(t, -1, findPrompt("abc\ntamix#", p), "incomplete")
	assert.Equal(t, -1, findPrompt("", p))
}

func TestSkipEcho(t *testing.T) {
	p := DefaultPrompt
	echoEnd := func(text, prompt, cmd string) int {
		e, _ := skipEcho(text, prompt, cmd)
		return e
	}
	assert.Equal(t, 6, echoEnd("uname\nout\n", p, "uname"))
	assert.Equal(t, -1, echoEnd("una", p, "uname"), "incomplete echo")
	assert.Equal(t, -1, echoEnd("uname", p, "uname"), "no line end yet")
	// an echo that does not match (editing keys): the first line
	assert.Equal(t, 9, echoEnd("echo abc\nabc\n", p, "echo abcX\x7f"))
	assert.Equal(t, -1, echoEnd("echo abc", p, "echo abcX\x7f"))
	// empty command
	assert.Equal(t, 1, echoEnd("\ntamix# ", p, ""))

	// x/term wraps the echo after every 80 columns, prompt included
	long := "echo " + strings.Repeat("x", 100)
	echo := long[:80-len(p)] + "\n" + long[80-len(p):] + "\n"
	assert.Equal(t, len(echo), echoEnd(echo+"out\n", p, long))

	// a line that ends exactly at column 80: wrap, then Enter's line end
	exact := "echo " + strings.Repeat("y", 80-len(p)-5)
	assert.Equal(t, len(exact)+2, echoEnd(exact+"\n\n"+strings.Repeat("y", 68)+"\n", p, exact))
	assert.Equal(t, -1, echoEnd(exact+"\n", p, exact))

	// output of a background job inside the echo, or before it
	e, foreign := skipEcho("wspin rt: loops=1 wall_ms=4000\nait\n[5] done\n", p, "wait")
	assert.Equal(t, len("wspin rt: loops=1 wall_ms=4000\nait\n"), e)
	assert.Equal(t, "spin rt: loops=1 wall_ms=4000\n", foreign)
	e, foreign = skipEcho("[1] done exit 0  spin\nwait\nout\n", p, "wait")
	assert.Equal(t, len("[1] done exit 0  spin\nwait\n"), e)
	assert.Equal(t, "[1] done exit 0  spin\n", foreign)
	// foreign text that starts like the rest of the command
	e, foreign = skipEcho("eaten\ncho x\nx\n", p, "echo x")
	assert.Equal(t, len("eaten\ncho x\n"), e)
	assert.Equal(t, "aten\n", foreign)
	// a redraw of the prompt and the line after foreign output
	e, foreign = skipEcho("upsoutput\ntamix# uptime\nup 1s\n", p, "uptime")
	assert.Equal(t, len("upsoutput\ntamix# uptime\n"), e)
	assert.Equal(t, "soutput\n", foreign)
	// a foreign line still arriving: wait
	assert.Equal(t, -1, echoEnd("wspin rt: loo", p, "wait"))
	// no echo at all, but a prompt followed: the first line
	assert.Equal(t, 4, echoEnd("abc\ntamix# ", p, "wait"))
}

func TestParseCommand(t *testing.T) {
	p := DefaultPrompt
	for _, tc := range []struct {
		name, text, cmd, out string
		ok                   bool
	}{
		{"output", "uname\ntamix dev\ntamix# ", "uname", "tamix dev\n", true},
		{"no output", "\ntamix# ", "", "", true},
		{"silent command", "true\ntamix# ", "true", "", true},
		{"prompt not yet", "uname\ntamix dev\n", "uname", "", false},
		{"partial prompt", "uname\ntamix dev\ntamix", "uname", "", false},
		{"prompt inside a line", "echo a tamix# x\na tamix# x\ntamix# ", "echo a tamix# x", "a tamix# x\n", true},
		{"not found", "foo\ntamix: foo: command not found\ntamix# ", "foo", "tamix: foo: command not found\n", true},
		{"multi line", "mem\nRAM 1\nGo RAM 2\ntamix# ", "mem", "RAM 1\nGo RAM 2\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, n, ok := parseCommand(tc.text, p, tc.cmd)
			require.Equal(t, tc.ok, ok)
			if ok {
				assert.Equal(t, tc.out, out)
				assert.Equal(t, len(tc.text), n)
			}
		})
	}
	// background output inside the echo counts as output
	out, n, ok := parseCommand("wspin rt: x\nait\n[5] done\ntamix# ", p, "wait")
	require.True(t, ok)
	assert.Equal(t, "spin rt: x\n[5] done\n", out)
	assert.Equal(t, len("wspin rt: x\nait\n[5] done\ntamix# "), n)

	// Known limit: an output line that starts with the prompt ends the
	// output there (use RunUntil for such commands).
	out, n, ok = parseCommand("echo tamix# x\ntamix# x\ntamix# ", p, "echo tamix# x")
	require.True(t, ok)
	assert.Equal(t, "", out)
	assert.Equal(t, 21, n)

	// the cursor stops right after the first prompt
	text := "a\nA\ntamix# b\nB\ntamix# "
	out, n, ok = parseCommand(text, p, "a")
	require.True(t, ok)
	assert.Equal(t, "A\n", out)
	assert.Equal(t, "b\nB\ntamix# ", text[n:])
}

func TestTail(t *testing.T) {
	assert.Equal(t, "c\nd", tail("a\nb\nc\nd\n", 2, 100))
	assert.Equal(t, "a\nb", tail("a\nb", 5, 100))
	assert.Equal(t, "89", tail("0123456789", 3, 2))
	assert.Equal(t, "", tail("", 3, 10))
}

func TestFilterStderr(t *testing.T) {
	s := "qemu-system-x86_64: -qmp unix:/tmp/x/qmp.sock,server=on,wait=on: info: QEMU waiting for connection on: disconnected:unix:/tmp/x/qmp.sock,server=on\nreal error\n"
	assert.Equal(t, "real error\n", filterStderr(s))
	assert.Equal(t, "x\n", filterStderr("x\n"))
}
