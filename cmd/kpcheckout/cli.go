package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// cli is what a command gets from the process: the environment and the standard streams.
type cli struct {
	getenv         func(string) string
	stdin          io.Reader
	stdout, stderr io.Writer
}

// Which server settings a command's help shows beside its own flags.
const (
	settingsNone     = iota // the command opens no database (version, help, the API commands)
	settingsDatabase        // it opens the database: --database-url, the rest from KPCHECKOUT_*
	settingsAll             // serve, migrate, backup: every server flag
)

// command is one command of kpcheckout, as typed after "kpcheckout": its one-line summary, its
// usage, examples, the flags it cannot do without, and what it does.
type command struct {
	name     string // "webhook list"
	summary  string
	usage    string // what follows the name: "--merchant M --url U [--events t1,t2]"
	about    string // a paragraph for its help, or ""
	examples []string
	required []string // flag names that must be given
	settings int
	run      func(ctx context.Context, c *cli, args []string) error
}

// commands lists every command, in the order help shows them.
func commands() []command {
	return slices.Concat(serverCommands(), databaseCommands(), apiCommands(), []command{
		{name: "help", summary: "this list, or a command's help", usage: "[COMMAND]",
			examples: []string{"kpcheckout help listen"}, run: helpCommand},
		{name: "version", summary: "print the version", run: func(_ context.Context, c *cli, args []string) error {
			fs := newFlagSet("version", c.stdout)
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			fmt.Fprintln(c.stdout, "kpcheckout", buildVersion())
			return nil
		}},
	})
}

// lookup finds a command by its name.
func lookup(name string) (command, bool) {
	i := slices.IndexFunc(commands(), func(c command) bool { return c.name == name })
	if i < 0 {
		return command{}, false
	}
	return commands()[i], true
}

// errHelpShown is what parsing answers for --help once the help is printed: the command ends
// there, successfully.
var errHelpShown = errors.New("help shown")

// run dispatches to a command. With no arguments it lists the commands; arguments that start
// with a flag are serve's.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, &cli{getenv: getenv, stdin: emptyReader{}, stdout: stdout, stderr: stderr})
}

// runWith is run with every stream given.
func runWith(ctx context.Context, args []string, c *cli) error {
	switch {
	case len(args) == 0:
		return helpCommand(ctx, c, nil)
	case isHelpFlag(args[0]):
		return helpCommand(ctx, c, args[1:])
	case strings.HasPrefix(args[0], "-"):
		args = append([]string{"serve"}, args...)
	}
	cmd, rest, err := resolve(args)
	if err != nil {
		return err
	}
	err = cmd.run(ctx, c, rest)
	if errors.Is(err, errHelpShown) {
		return nil
	}
	return err
}

// resolve finds the command that args name, one word ("listen") or two ("webhook list"), and
// the arguments that follow it.
func resolve(args []string) (command, []string, error) {
	if len(args) > 1 {
		if cmd, ok := lookup(args[0] + " " + args[1]); ok {
			return cmd, args[2:], nil
		}
	}
	if cmd, ok := lookup(args[0]); ok {
		return cmd, args[1:], nil
	}
	if verbs := groupVerbs(args[0]); verbs != nil {
		if len(args) == 1 || strings.HasPrefix(args[1], "-") {
			return command{}, nil, fmt.Errorf("kpcheckout %s needs one of: %s (kpcheckout help %[1]s)",
				args[0], strings.Join(verbs, ", "))
		}
		return command{}, nil, unknown("command", args[0]+" "+args[1], prefixed(args[0]+" ", verbs), "kpcheckout help")
	}
	return command{}, nil, unknown("command", args[0], topNames(), "kpcheckout help")
}

// groupVerbs lists the second words of the commands whose first word is group ("merchant":
// create, update), or nil when group is no such word.
func groupVerbs(group string) []string {
	var verbs []string
	for _, c := range commands() {
		if g, verb, ok := strings.Cut(c.name, " "); ok && g == group {
			verbs = append(verbs, verb)
		}
	}
	return verbs
}

// topNames are the words a command line may start with.
func topNames() []string {
	var names []string
	for _, c := range commands() {
		first, _, _ := strings.Cut(c.name, " ")
		if !slices.Contains(names, first) {
			names = append(names, first)
		}
		names = append(names, c.name)
	}
	return names
}

func prefixed(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}

// unknown words an unknown command or flag, suggesting the nearest known one.
func unknown(what, typed string, known []string, hint string) error {
	if s := suggest(typed, known); s != "" {
		return fmt.Errorf("unknown %s %q; did you mean %q?", what, typed, s)
	}
	return fmt.Errorf("unknown %s %q (%s lists them)", what, typed, hint)
}

// helpCommand serves `kpcheckout help [COMMAND]` and `kpcheckout --help`.
func helpCommand(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 {
		printOverview(c.stdout)
		return nil
	}
	if isHelpFlag(args[0]) {
		args = []string{"help"}
	}
	if args[0] == "help" {
		printHelp(c.stdout, mustLookup("help"), flag.NewFlagSet("help", flag.ContinueOnError))
		return nil
	}
	cmd, _, err := resolve(args)
	if err != nil {
		if verbs := groupVerbs(args[0]); verbs != nil && len(args) == 1 {
			printGroup(c.stdout, args[0])
			return nil
		}
		return err
	}
	return cmd.run(ctx, c, []string{"--help"})
}

// printOverview lists the commands, one line each.
func printOverview(w io.Writer) {
	fmt.Fprint(w, "kpcheckout runs a hosted checkout for KakaoPay, and talks to one from the command line.\n\n"+
		"Usage: kpcheckout COMMAND [flags]\n")
	sections := []struct {
		head string
		cmds []command
	}{
		{"The server", serverCommands()},
		{"On the server's database (run where the server runs)", databaseCommands()},
		{"Over the API of a running server (--url, --api-key)", apiCommands()},
	}
	for _, s := range sections {
		fmt.Fprintf(w, "\n%s:\n", s.head)
		printSummaries(w, s.cmds)
	}
	fmt.Fprintln(w, "\nOther:")
	printSummaries(w, []command{mustLookup("help"), mustLookup("version")})
	fmt.Fprint(w, "\nkpcheckout help COMMAND (or kpcheckout COMMAND --help) tells more of one.\n")
}

// printGroup lists the commands of one group ("webhook").
func printGroup(w io.Writer, group string) {
	var cmds []command
	for _, verb := range groupVerbs(group) {
		cmds = append(cmds, mustLookup(group+" "+verb))
	}
	fmt.Fprintf(w, "kpcheckout %s:\n", group)
	printSummaries(w, cmds)
}

func printSummaries(w io.Writer, cmds []command) {
	for _, cmd := range cmds {
		fmt.Fprintf(w, "  %-18s %s\n", cmd.name, cmd.summary)
	}
}

func mustLookup(name string) command {
	cmd, ok := lookup(name)
	if !ok {
		panic("kpcheckout: no command " + name)
	}
	return cmd
}

func isHelpFlag(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "--h"
}

// newFlagSet is the flag set of the command name (parseFlags finds the command by it), which
// prints its help on out.
func newFlagSet(name string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	return fs
}

// parseFlags parses a command's flags (fs is named as the command) for people: --help prints the
// command's help to fs's output and answers errHelpShown; an unknown flag is named with the
// nearest known one; a missing required flag is named as a flag.
func parseFlags(fs *flag.FlagSet, args []string) error {
	cmd, _ := lookup(fs.Name())
	out := fs.Output()
	fs.SetOutput(io.Discard) // flag's own messages: ours say it better, once
	fs.Usage = func() {}
	err := fs.Parse(args)
	fs.SetOutput(out)
	if errors.Is(err, flag.ErrHelp) {
		printHelp(out, cmd, fs)
		return errHelpShown
	}
	if err != nil {
		return flagError(fs, err)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range cmd.required {
		if !set[name] {
			return fmt.Errorf("--%s is required (kpcheckout %s --help)", name, fs.Name())
		}
	}
	return nil
}

// flagMessages are the forms of the flag package's errors, with the flag's name.
var flagMessages = []*regexp.Regexp{
	regexp.MustCompile(`^flag provided but not defined: -+(.*)$`),
	regexp.MustCompile(`^(invalid (?:boolean )?value .* for (?:flag )?)-+(\S+): (.*)$`),
	regexp.MustCompile(`^flag needs an argument: -+(.*)$`),
}

// flagError words the flag package's refusal with the flag as typed (--name) and, for one it
// does not know, the nearest flag it does.
func flagError(fs *flag.FlagSet, err error) error {
	msg := err.Error()
	if m := flagMessages[0].FindStringSubmatch(msg); m != nil {
		var known []string
		fs.VisitAll(func(f *flag.Flag) { known = append(known, "--"+f.Name) })
		return fmt.Errorf("%w (kpcheckout %s --help lists its flags)", unknown("flag", "--"+m[1], known, "--help"), fs.Name())
	}
	if m := flagMessages[1].FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("--%s: %s: %s", m[2], strings.TrimSuffix(m[1], " for flag "), m[3])
	}
	if m := flagMessages[2].FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("--%s needs a value", m[1])
	}
	return err
}

// suggest is the known word nearest to typed, or "" when none is near: one that starts with
// it, or one within two edits (a swap of two letters counts as one).
func suggest(typed string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if len(typed) >= 3 && strings.HasPrefix(k, typed) {
			return k
		}
		if d := editDistance(typed, k); d < bestD && d < len([]rune(typed)) {
			best, bestD = k, d
		}
	}
	return best
}

// editDistance counts the insertions, deletions, substitutions and swaps of neighbours that make
// a into b (the optimal string alignment distance).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// emptyReader is the stdin of run's callers that give none.
type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }

// printHelp prints a command's help: what it does, its usage, its own flags, the server
// settings it reads, and examples.
func printHelp(w io.Writer, cmd command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "kpcheckout %s: %s\n\nUsage:\n  kpcheckout %s", cmd.name, cmd.summary, cmd.name)
	if cmd.usage != "" {
		fmt.Fprint(w, " "+cmd.usage)
	}
	fmt.Fprintln(w)
	if cmd.about != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.about)
	}
	server := configFlagNames()
	var own, settings []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		switch {
		case !server[f.Name]:
			own = append(own, f)
		case cmd.settings == settingsAll || (cmd.settings == settingsDatabase && f.Name == "database-url"):
			settings = append(settings, f)
		}
	})
	if len(own) > 0 {
		fmt.Fprintln(w, "\nFlags:")
		printFlags(w, own, cmd.required)
	}
	switch cmd.settings {
	case settingsDatabase:
		fmt.Fprintln(w, "\nThe database (the other server settings apply too, as for serve: kpcheckout help serve):")
		printFlags(w, settings, nil)
	case settingsAll:
		fmt.Fprintln(w, "\nServer settings (each flag also from its KPCHECKOUT_* variable):")
		printFlags(w, settings, nil)
	}
	if len(cmd.examples) > 0 {
		fmt.Fprintln(w, "\nExamples:")
		for _, e := range cmd.examples {
			fmt.Fprintln(w, "  "+e)
		}
	}
}

// printFlags prints flags one a line: --name VALUE, what it is, its default.
func printFlags(w io.Writer, flags []*flag.Flag, required []string) {
	heads := make([]string, len(flags))
	width := 0
	for i, f := range flags {
		heads[i] = "--" + f.Name
		if value := valueName(f); value != "" {
			heads[i] += " " + value
		}
		if len(heads[i]) <= 26 {
			width = max(width, len(heads[i]))
		}
	}
	for i, f := range flags {
		_, usage := flag.UnquoteUsage(f)
		if slices.Contains(required, f.Name) && !strings.Contains(usage, "(required)") {
			usage += " (required)"
		}
		if d := f.DefValue; d != "" && d != "0" && d != "false" && d != "0s" {
			usage += fmt.Sprintf(" (default %s)", d)
		}
		lines := wrapText(usage, 100-width-4)
		if len(heads[i]) > width {
			fmt.Fprintf(w, "  %s\n", heads[i])
			fmt.Fprintf(w, "  %-*s  %s\n", width, "", lines[0])
		} else {
			fmt.Fprintf(w, "  %-*s  %s\n", width, heads[i], lines[0])
		}
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "  %-*s  %s\n", width, "", l)
		}
	}
}

// valueName is what a flag's value is called in help: a name in backquotes in its usage, else
// a word for its kind; none for a switch.
func valueName(f *flag.Flag) string {
	name, _ := flag.UnquoteUsage(f)
	switch name {
	case "", "`":
		return ""
	case "string", "value":
		return "VALUE"
	case "int", "uint", "float", "int64", "uint64":
		return "N"
	}
	return strings.ToUpper(name)
}

// wrapText breaks s into lines of at most width characters, at spaces.
func wrapText(s string, width int) []string {
	width = max(width, 40)
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len([]rune(line))+1+len([]rune(word)) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return append(lines, line)
}

// configFlagNames are the names of the server's flags.
func configFlagNames() map[string]bool {
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	newConfig(fs, func(string) string { return "" })
	names := map[string]bool{}
	fs.VisitAll(func(f *flag.Flag) { names[f.Name] = true })
	return names
}
