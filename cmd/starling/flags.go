package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/starling-nats/starling/core"
)

// envURL is the environment variable that names the servers when --server
// is not given, as for the nats CLI.
const envURL = "NATS_URL"

// flagSet is a flag.FlagSet that knows which flags are aliases of others
// (-s for --server), prints usage with each alias beside its flag, and
// accepts flags after positional arguments, as the nats CLI does.
type flagSet struct {
	*flag.FlagSet
	// usageLine is the synopsis after "starling", e.g. "pub [flags] SUBJECT [BODY]".
	usageLine string
	// about explains the command, printed after the synopsis.
	about string
	// aliasOf maps an alias to its flag's name; shortOf the other way.
	aliasOf map[string]string
	shortOf map[string]string
	out     io.Writer
}

func newFlagSet(name, usageLine, about string, out io.Writer) *flagSet {
	fs := &flagSet{
		FlagSet:   flag.NewFlagSet(name, flag.ContinueOnError),
		usageLine: usageLine,
		about:     about,
		aliasOf:   map[string]string{},
		shortOf:   map[string]string{},
		out:       out,
	}
	// Errors are reported by the caller, usage on request only: a wrong flag
	// gets one line saying so, not the whole help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// alias makes short another name of the flag long.
func (fs *flagSet) alias(short, long string) {
	f := fs.Lookup(long)
	fs.Var(f.Value, short, f.Usage)
	fs.aliasOf[short] = long
	fs.shortOf[long] = short
}

// parse parses args, which may mix flags and positional arguments ("--"
// ends the flags), and returns the positional ones. -h and --help print the
// command's help and return flag.ErrHelp.
func (fs *flagSet) parse(args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.printUsage(fs.out)
				return nil, flag.ErrHelp
			}
			return nil, usageErrorf(fs.Name(), "%v", err)
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" && !fs.wasValue(args, consumed-1) {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// wasValue reports whether args[i] was the value of the flag before it
// ("--reply --"), not the end of the flags.
func (fs *flagSet) wasValue(args []string, i int) bool {
	if i == 0 {
		return false
	}
	prev := strings.TrimLeft(args[i-1], "-")
	if strings.Contains(prev, "=") || !strings.HasPrefix(args[i-1], "-") {
		return false
	}
	f := fs.Lookup(prev)
	if f == nil {
		return false
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return false
	}
	return true
}

// isSet reports whether the flag (or its alias) was given.
func (fs *flagSet) isSet(name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name || fs.aliasOf[f.Name] == name {
			set = true
		}
	})
	return set
}

// printUsage writes the command's help: synopsis, explanation, flags.
func (fs *flagSet) printUsage(w io.Writer) {
	fmt.Fprintf(w, "Usage: starling %s\n", fs.usageLine)
	if fs.about != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(fs.about, "\n"))
	}
	var own, conn []flagLine
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := fs.aliasOf[f.Name]; ok {
			return
		}
		if connFlagNames[f.Name] {
			conn = append(conn, fs.describe(f))
		} else {
			own = append(own, fs.describe(f))
		}
	})
	width := 0
	for _, l := range append(own, conn...) {
		width = max(width, len(l.left))
	}
	if len(own) > 0 {
		fmt.Fprintf(w, "\nFlags:\n")
		printFlagLines(w, own, width)
	}
	if len(conn) > 0 {
		fmt.Fprintf(w, "\nConnection flags (all commands):\n")
		printFlagLines(w, conn, width)
	}
}

// flagLine is a flag's help: names and placeholder left, text right.
type flagLine struct{ left, right string }

func (fs *flagSet) describe(f *flag.Flag) flagLine {
	placeholder, usage := flag.UnquoteUsage(f)
	left := "    --" + f.Name
	if s := fs.shortOf[f.Name]; s != "" {
		left = "-" + s + ", --" + f.Name
	}
	if placeholder != "" {
		left += " " + placeholder
	}
	if d := f.DefValue; d != "" && d != "0" && d != "false" && d != "0s" {
		if g, ok := f.Value.(flag.Getter); ok {
			if _, isString := g.Get().(string); isString {
				d = fmt.Sprintf("%q", d)
			}
		}
		usage += " (default " + d + ")"
	}
	return flagLine{left, usage}
}

func printFlagLines(w io.Writer, lines []flagLine, width int) {
	indent := "\n  " + strings.Repeat(" ", width+2)
	for _, l := range lines {
		fmt.Fprintf(w, "  %-*s  %s\n", width, l.left, strings.ReplaceAll(l.right, "\n", indent))
	}
}

// headerFlag collects repeated -H key:value flags, in order.
type headerFlag []string

func (h *headerFlag) String() string { return strings.Join(*h, ", ") }

func (h *headerFlag) Set(v string) error {
	k, _, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("header %q is not key:value", v)
	}
	*h = append(*h, v)
	return nil
}

// header builds the message header, nil when there is none.
func (h headerFlag) header() core.Header {
	if len(h) == 0 {
		return nil
	}
	hdr := core.Header{}
	for _, kv := range h {
		k, v, _ := strings.Cut(kv, ":")
		hdr.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	return hdr
}

// connFlagNames are the flags every command shares, listed apart in usage.
var connFlagNames = map[string]bool{
	"server": true, "creds": true, "user": true, "password": true, "token": true,
	"tlsca": true, "tlscert": true, "tlskey": true,
}

// connFlags are the connection flags of every command, named as the nats
// CLI names them.
type connFlags struct {
	server   string
	creds    string
	user     string
	password string
	token    string
	tlsCA    string
	tlsCert  string
	tlsKey   string
}

func (c *connFlags) register(fs *flagSet) {
	fs.StringVar(&c.server, "server", "", "NATS server `URLS`, comma-separated (default: $"+envURL+",\nelse an embedded nats-server started for this command)")
	fs.alias("s", "server")
	fs.StringVar(&c.creds, "creds", "", "user JWT and NKey seed from a .creds `FILE`")
	fs.StringVar(&c.user, "user", "", "`USER` name for user/password authentication")
	fs.StringVar(&c.password, "password", "", "`PASSWORD` for user/password authentication")
	fs.StringVar(&c.token, "token", "", "authentication `TOKEN`")
	fs.StringVar(&c.tlsCA, "tlsca", "", "trust the CA certificates in PEM `FILE` (turns TLS on)")
	fs.StringVar(&c.tlsCert, "tlscert", "", "client certificate PEM `FILE` (with --tlskey)")
	fs.StringVar(&c.tlsKey, "tlskey", "", "client key PEM `FILE` (with --tlscert)")
}

// url returns the servers to use: --server, else $NATS_URL, else "" for an
// embedded server.
func (c *connFlags) url(getenv func(string) string) string {
	if s := strings.TrimSpace(c.server); s != "" {
		return s
	}
	return strings.TrimSpace(getenv(envURL))
}

// options turns the flags into connection options.
func (c *connFlags) options() ([]core.Option, error) {
	var opts []core.Option
	if c.password != "" && c.user == "" {
		return nil, usageErrorf("", "--password needs --user")
	}
	if c.user != "" {
		opts = append(opts, core.WithUserInfo(c.user, c.password))
	}
	if c.token != "" {
		opts = append(opts, core.WithToken(c.token))
	}
	if c.creds != "" {
		opts = append(opts, core.WithCredentialsFile(c.creds))
	}
	if (c.tlsCert == "") != (c.tlsKey == "") {
		return nil, usageErrorf("", "--tlscert and --tlskey go together")
	}
	if c.tlsCA != "" {
		opts = append(opts, core.WithRootCAs(c.tlsCA))
	}
	if c.tlsCert != "" {
		opts = append(opts, core.WithClientCert(c.tlsCert, c.tlsKey))
	}
	return opts, nil
}

// secured names the auth and TLS flags given, which an embedded server
// (no authentication, no TLS) could not honour.
func (c *connFlags) secured() []string {
	var set []string
	for _, f := range []struct{ name, v string }{
		{"--creds", c.creds}, {"--user", c.user}, {"--password", c.password}, {"--token", c.token},
		{"--tlsca", c.tlsCA}, {"--tlscert", c.tlsCert}, {"--tlskey", c.tlsKey},
	} {
		if f.v != "" {
			set = append(set, f.name)
		}
	}
	return set
}

// usageErrorf is a mistake in the command line: the dispatcher prints it
// and exits with status 2.
func usageErrorf(cmd, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if cmd != "" {
		msg += " (see 'starling " + cmd + " -h')"
	}
	return usageError{errors.New(msg)}
}

// isTerminal reports whether f is an interactive terminal: a character
// device other than /dev/null (which is one too, but nobody watches it).
func isTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	if null, err := os.Stat(os.DevNull); err == nil && os.SameFile(fi, null) {
		return false
	}
	return true
}
