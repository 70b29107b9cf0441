package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"golang.org/x/term"
)

// A command of the in-kernel shell. Run returns the command's exit status.
type command struct {
	name  string
	usage string
	help  string
	run   func(sh *shell, args []string) int
}

// shell is tamix's in-kernel shell: it reads lines from the console with
// line editing and history (golang.org/x/term) and runs built-in commands.
type shell struct {
	term *term.Terminal
	out  io.Writer
	cmds map[string]*command
	// status is the exit status of the last command, as $? in sh.
	status int
	done   bool
	// external runs a command that is not a built-in (a program of /bin);
	// ok=false means there is no such program.
	external func(sh *shell, args []string, background bool) (status int, ok bool)
	// keepGoing makes the shell ignore end-of-input (^D, ^C at the prompt):
	// the console never closes.
	keepGoing bool
	// background is set while a built-in runs for a line ending in "&"
	// (nice, taskset and chrt start programs).
	background bool
	// pipeline runs several programs connected by pipes, or one with its
	// input or output redirected; it returns the last stage's status.
	pipeline func(sh *shell, stages []stage, background bool) int
	// beforePrompt runs before each line is read (reaping background jobs).
	beforePrompt func(sh *shell)
}

const prompt = "tamix# "

func newShell(rw io.ReadWriter) *shell {
	t := term.NewTerminal(rw, prompt)
	sh := &shell{term: t, out: t, cmds: map[string]*command{}}
	sh.add(&command{name: "help", usage: "help [command]", help: "list the commands, or explain one", run: (*shell).help})
	sh.add(&command{name: "echo", usage: "echo [arg...]", help: "print the arguments", run: func(sh *shell, args []string) int {
		fmt.Fprintln(sh.out, strings.Join(args[1:], " "))
		return 0
	}})
	sh.add(&command{name: "exit", usage: "exit", help: "leave the shell (the console goes quiet)", run: func(sh *shell, _ []string) int {
		sh.done = true
		return 0
	}})
	return sh
}

func (sh *shell) add(c *command) { sh.cmds[c.name] = c }

func (sh *shell) help(args []string) int {
	if len(args) > 1 {
		c, ok := sh.cmds[args[1]]
		if !ok {
			fmt.Fprintf(sh.out, "help: no such command: %s\n", args[1])
			return 1
		}
		fmt.Fprintf(sh.out, "%s\n    %s\n", c.usage, c.help)
		return 0
	}
	names := make([]string, 0, len(sh.cmds))
	for n := range sh.cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(sh.out, "  %-28s %s\n", sh.cmds[n].usage, sh.cmds[n].help)
	}
	return 0
}

// run reads and executes lines until the console closes or `exit`.
func (sh *shell) run() {
	for !sh.done {
		if sh.beforePrompt != nil {
			sh.beforePrompt(sh)
		}
		line, err := sh.term.ReadLine()
		if err != nil {
			if sh.keepGoing {
				// ^C or ^D at the prompt: a new line, as sh does.
				continue
			}
			return
		}
		sh.exec(line)
	}
}

// exec runs one command line: a built-in, a program, or a pipeline of
// programs with redirections.
func (sh *shell) exec(line string) {
	toks, err := splitTokens(line)
	if err == nil {
		var stages []stage
		var background bool
		stages, background, err = parsePipeline(toks)
		if err == nil {
			sh.run1(stages, background)
			return
		}
	}
	fmt.Fprintf(sh.out, "tamix: %v\n", err)
	sh.status = 2
}

func (sh *shell) run1(stages []stage, background bool) {
	if len(stages) == 0 {
		return
	}
	if len(stages) > 1 || stages[0].stdin != "" || stages[0].stdout != "" {
		if sh.pipeline == nil {
			fmt.Fprintln(sh.out, "tamix: pipelines and redirections need user programs")
			sh.status = 2
			return
		}
		sh.status = sh.pipeline(sh, stages, background)
		return
	}
	args := stages[0].args
	if c, ok := sh.cmds[args[0]]; ok {
		sh.background = background
		sh.status = c.run(sh, args)
		sh.background = false
		return
	}
	if sh.external != nil {
		if status, ok := sh.external(sh, args, background); ok {
			sh.status = status
			return
		}
	}
	fmt.Fprintf(sh.out, "tamix: %s: command not found\n", args[0])
	sh.status = 127
}

// splitWords splits a command line into words as sh does for the simple
// cases: blanks separate words, '...' and "..." quote, \ escapes a character.
func splitWords(line string) ([]string, error) {
	toks, err := splitTokens(line)
	var words []string
	for _, t := range toks {
		words = append(words, t.text)
	}
	return words, err
}

// token is a word or, when op is set, an unquoted operator: | < > &.
type token struct {
	text string
	op   bool
}

func splitTokens(line string) ([]token, error) {
	var words []token
	var w strings.Builder
	inWord := false
	var quote rune
	escaped := false
	flush := func() {
		if inWord {
			words = append(words, token{text: w.String()})
			w.Reset()
			inWord = false
		}
	}
	for _, r := range line {
		switch {
		case escaped:
			w.WriteRune(r)
			escaped = false
		case r == '\\' && quote != '\'':
			escaped, inWord = true, true
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				w.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			flush()
		case r == '|' || r == '<' || r == '>' || r == '&':
			flush()
			words = append(words, token{text: string(r), op: true})
		default:
			w.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote", quote)
	}
	if escaped {
		return nil, fmt.Errorf("trailing backslash")
	}
	flush()
	return words, nil
}

// stage is one command of a pipeline with its redirections.
type stage struct {
	args        []string
	stdin       string // "< path"
	stdout      string // "> path"
	hasOperator bool
}

// parsePipeline turns tokens into pipeline stages: a | b < in > out, with a
// trailing & for the background.
func parsePipeline(toks []token) (stages []stage, background bool, err error) {
	if n := len(toks); n > 0 && toks[n-1].op && toks[n-1].text == "&" {
		background, toks = true, toks[:n-1]
	}
	cur := stage{}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !t.op {
			cur.args = append(cur.args, t.text)
			continue
		}
		cur.hasOperator = true
		switch t.text {
		case "|":
			if len(cur.args) == 0 {
				return nil, false, fmt.Errorf("syntax error near |")
			}
			stages = append(stages, cur)
			cur = stage{hasOperator: true}
		case "<", ">":
			if i+1 >= len(toks) || toks[i+1].op {
				return nil, false, fmt.Errorf("syntax error near %s", t.text)
			}
			if t.text == "<" {
				cur.stdin = toks[i+1].text
			} else {
				cur.stdout = toks[i+1].text
			}
			i++
		default:
			return nil, false, fmt.Errorf("syntax error near %s", t.text)
		}
	}
	if len(cur.args) == 0 {
		if len(stages) > 0 || cur.hasOperator {
			return nil, false, fmt.Errorf("syntax error: missing command")
		}
		return nil, background, nil
	}
	return append(stages, cur), background, nil
}
