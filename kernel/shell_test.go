package main

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitWords(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  bool
	}{
		{"", nil, false},
		{"   ", nil, false},
		{"echo a  b", []string{"echo", "a", "b"}, false},
		{`echo 'a b' "c d"`, []string{"echo", "a b", "c d"}, false},
		{`echo a\ b`, []string{"echo", "a b"}, false},
		{`echo ''`, []string{"echo", ""}, false},
		{`echo "it's"`, []string{"echo", "it's"}, false},
		{`echo 'x`, nil, true},
		{`echo x\`, nil, true},
	} {
		got, err := splitWords(tc.in)
		if tc.err {
			assert.Error(t, err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

// console is a fake terminal: input from a string, output collected.
type fakeConsole struct {
	in  io.Reader
	out bytes.Buffer
}

func (c *fakeConsole) Read(p []byte) (int, error)  { return c.in.Read(p) }
func (c *fakeConsole) Write(p []byte) (int, error) { return c.out.Write(p) }

func runShell(input string) (*shell, string) {
	c := &fakeConsole{in: strings.NewReader(input)}
	sh := newShell(c)
	sh.run()
	return sh, strings.ReplaceAll(c.out.String(), "\r\n", "\n")
}

func TestShellRunsCommandsAndSurvivesUnknownOnes(t *testing.T) {
	sh, out := runShell("echo hello   world\rnosuchcmd x\recho 'still here'\r")
	assert.Contains(t, out, "hello world\n")
	assert.Contains(t, out, "tamix: nosuchcmd: command not found\n")
	assert.Contains(t, out, "still here\n")
	assert.Equal(t, 0, sh.status)
}

func TestShellStatus(t *testing.T) {
	sh, _ := runShell("nosuchcmd\r")
	assert.Equal(t, 127, sh.status)
	sh, out := runShell("echo 'oops\r")
	assert.Equal(t, 2, sh.status)
	assert.Contains(t, out, "unterminated ' quote")
}

func TestShellHelp(t *testing.T) {
	_, out := runShell("help\rhelp echo\rhelp nope\r")
	assert.Contains(t, out, "echo [arg...]")
	assert.Contains(t, out, "print the arguments")
	assert.Contains(t, out, "help: no such command: nope")
}

func TestShellExit(t *testing.T) {
	sh, out := runShell("exit\recho after\r")
	assert.True(t, sh.done)
	assert.NotContains(t, out, "after")
}

func TestShellLineEditingAndHistory(t *testing.T) {
	// "echo abX", backspace, "c", enter; then up-arrow recalls it.
	_, out := runShell("echo abX\x7fc\r\x1b[A\r")
	assert.Equal(t, 2, strings.Count(out, "\nabc\n"), out)
}

func TestShellExternalAndBackground(t *testing.T) {
	c := &fakeConsole{in: strings.NewReader("prog a b\rprog x &\rmissing\r")}
	sh := newShell(c)
	var calls []string
	sh.external = func(sh *shell, args []string, bg bool) (int, bool) {
		if args[0] != "prog" {
			return 0, false
		}
		calls = append(calls, strings.Join(args, ",")+map[bool]string{true: " bg", false: ""}[bg])
		return 3, true
	}
	sh.run()
	assert.Equal(t, []string{"prog,a,b", "prog,x bg"}, calls)
	assert.Contains(t, c.out.String(), "tamix: missing: command not found")
	assert.Equal(t, 127, sh.status)
}

func TestParsePipeline(t *testing.T) {
	for _, tc := range []struct {
		line   string
		stages []stage
		bg     bool
		err    bool
	}{
		{"a b", []stage{{args: []string{"a", "b"}}}, false, false},
		{"yes | head -n 3|wc -l", []stage{
			{args: []string{"yes"}, hasOperator: true},
			{args: []string{"head", "-n", "3"}, hasOperator: true},
			{args: []string{"wc", "-l"}, hasOperator: true}}, false, false},
		{"cat < /dev/null > /dev/null &", []stage{{args: []string{"cat"}, stdin: "/dev/null", stdout: "/dev/null", hasOperator: true}}, true, false},
		{"echo '|' x", []stage{{args: []string{"echo", "|", "x"}}}, false, false},
		{"spin 1&", []stage{{args: []string{"spin", "1"}}}, true, false},
		{"| a", nil, false, true},
		{"a |", nil, false, true},
		{"a >", nil, false, true},
		{"a & b", nil, false, true},
	} {
		toks, err := splitTokens(tc.line)
		require.NoError(t, err, tc.line)
		st, bg, err := parsePipeline(toks)
		if tc.err {
			assert.Error(t, err, tc.line)
			continue
		}
		require.NoError(t, err, tc.line)
		assert.Equal(t, tc.stages, st, tc.line)
		assert.Equal(t, tc.bg, bg, tc.line)
	}
}

func TestShellPipelineHook(t *testing.T) {
	c := &fakeConsole{in: strings.NewReader("a | b\r")}
	sh := newShell(c)
	var got []stage
	sh.pipeline = func(sh *shell, st []stage, bg bool) int { got = st; return 7 }
	sh.run()
	assert.Len(t, got, 2)
	assert.Equal(t, 7, sh.status)
}
