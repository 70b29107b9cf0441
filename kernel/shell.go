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
	// background is set while a built-in runs for a line ending in "&"
	// (nice, taskset and chrt start programs).
	background bool
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
			return
		}
		sh.exec(line)
	}
}

// exec runs one command line.
func (sh *shell) exec(line string) {
	args, err := splitWords(line)
	if err != nil {
		fmt.Fprintf(sh.out, "tamix: %v\n", err)
		sh.status = 2
		return
	}
	background := false
	if n := len(args); n > 0 && args[n-1] == "&" {
		background, args = true, args[:n-1]
	} else if n > 0 && len(args[n-1]) > 1 && strings.HasSuffix(args[n-1], "&") {
		background, args[n-1] = true, strings.TrimSuffix(args[n-1], "&")
	}
	if len(args) == 0 {
		return
	}
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
	var words []string
	var w strings.Builder
	inWord := false
	var quote rune
	escaped := false
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
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
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
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}
