package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"text/template"
	"time"

	"github.com/nats-io/nuid"
	"github.com/spf13/pflag"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
)

// maxStdinBody bounds a body read from stdin; nats-server's largest
// max_payload is 64 MiB.
const maxStdinBody = 64 << 20

// templateHelp documents the rule for "{{" and the template functions.
const templateHelp = `BODY and header values are sent as given, "{{" included. With --templates
they are Go templates, as with the nats CLI: {{Count}} (1, 2, ... per
message), {{ID}} (a unique id), {{TimeStamp}} (RFC 3339), {{Unix}},
{{UnixNano}}, {{Random 10 20}} (10 to 20 random letters).`

// templateFlags are the body flags of pub, req and reply.
type templateFlags struct {
	templates   bool
	noTemplates bool // the nats CLI's flag; literal is the default here
	forceStdin  bool
}

func (t *templateFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&t.templates, "templates", false, "render BODY and header values as templates")
	fs.BoolVar(&t.noTemplates, "no-templates", false, "send BODY and header values literally (the default)")
	fs.BoolVar(&t.forceStdin, "force-stdin", false, "read the body from stdin even where it is a terminal")
}

// parse prepares the body text and the -H headers.
func (t *templateFlags) parse(cmd cmdPath, text string, hdr headerFlag) (*textTemplate, *headerTemplate, error) {
	if t.templates && t.noTemplates {
		return nil, nil, usageErrorf(cmd, "--templates and --no-templates contradict each other")
	}
	body, err := parseTemplate(cmd, "BODY", text, t.templates)
	if err != nil {
		return nil, nil, err
	}
	headers, err := parseHeaderTemplate(cmd, hdr, t.templates)
	if err != nil {
		return nil, nil, err
	}
	return body, headers, nil
}

// textTemplate renders a body or header value per message. Literal text
// (templates off, or no "{{") costs nothing per message.
type textTemplate struct {
	literal []byte
	tmpl    *template.Template
	count   int // the message number {{Count}} renders
	buf     bytes.Buffer
}

func parseTemplate(cmd cmdPath, name, text string, templates bool) (*textTemplate, error) {
	t := &textTemplate{literal: []byte(text)}
	if !templates || !strings.Contains(text, "{{") {
		return t, nil
	}
	tmpl, err := template.New(name).Option("missingkey=error").Funcs(template.FuncMap{
		"Count":     func() int { return t.count },
		"ID":        nuid.Next,
		"TimeStamp": func() string { return time.Now().Format(time.RFC3339Nano) },
		"Unix":      func() int64 { return time.Now().Unix() },
		"UnixNano":  func() int64 { return time.Now().UnixNano() },
		"Random":    randomLetters,
	}).Parse(text)
	if err != nil {
		return nil, usageErrorf(cmd, "%s is not a valid template: %v", name, err)
	}
	t.tmpl = tmpl
	return t, nil
}

// render returns the text for message number n (1-based); the slice is
// valid until the next call.
func (t *textTemplate) render(n int) ([]byte, error) {
	if t.tmpl == nil {
		return t.literal, nil
	}
	t.count = n
	t.buf.Reset()
	if err := t.tmpl.Execute(&t.buf, nil); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", t.tmpl.Name(), err)
	}
	return t.buf.Bytes(), nil
}

func randomLetters(lo, hi int) (string, error) {
	if lo < 0 || hi < lo || hi > maxStdinBody {
		return "", fmt.Errorf("Random %d %d: want 0 <= min <= max <= %d", lo, hi, maxStdinBody)
	}
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, lo+rand.IntN(hi-lo+1))
	for i := range b {
		b[i] = letters[rand.IntN(len(letters))]
	}
	return string(b), nil
}

// headerTemplate renders -H flags per message.
type headerTemplate struct {
	keys   []string
	values []*textTemplate
	fixed  core.Header // when no value is a template
}

func parseHeaderTemplate(cmd cmdPath, h headerFlag, templates bool) (*headerTemplate, error) {
	ht := &headerTemplate{}
	templated := false
	for _, kv := range h {
		k, v, _ := strings.Cut(kv, ":")
		t, err := parseTemplate(cmd, "header "+strings.TrimSpace(k), strings.TrimSpace(v), templates)
		if err != nil {
			return nil, err
		}
		templated = templated || t.tmpl != nil
		ht.keys = append(ht.keys, strings.TrimSpace(k))
		ht.values = append(ht.values, t)
	}
	if !templated {
		ht.fixed = h.header()
	}
	return ht, nil
}

// render returns the header of message n, nil when there is none.
func (h *headerTemplate) render(n int) (core.Header, error) {
	if h.fixed != nil || len(h.keys) == 0 {
		return h.fixed, nil
	}
	hdr := core.Header{}
	for i, k := range h.keys {
		v, err := h.values[i].render(n)
		if err != nil {
			return nil, err
		}
		hdr.Add(k, string(v))
	}
	return hdr, nil
}

// bodyArg returns the body: the BODY argument when given, else stdin when
// it is not a terminal (a pipe, a file; /dev/null gives an empty body) or
// when forced, else empty. This is the nats CLI's rule: a body piped in is
// never lost.
func bodyArg(cmd cmdPath, st *stdio, args []string, forceStdin bool) (string, error) {
	if len(args) > 1 {
		if forceStdin {
			return "", usageErrorf(cmd, "give a BODY or --force-stdin, not both")
		}
		return args[1], nil
	}
	if st.stdin == nil || (st.stdinIsTerminal && !forceStdin) {
		return "", nil
	}
	return readAllLimited(st.stdin)
}

// checkSubject refuses a subject no server would take for a publish,
// before anything is printed or connected.
func checkSubject(cmd cmdPath, subject string) error {
	if !codec.ValidPublishSubject(subject) {
		return usageErrorf(cmd, "invalid subject %q", subject)
	}
	return nil
}

func readAllLimited(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxStdinBody+1))
	if err != nil {
		return "", fmt.Errorf("reading the body from stdin: %w", err)
	}
	if len(b) > maxStdinBody {
		return "", fmt.Errorf("the body on stdin is larger than %d bytes", maxStdinBody)
	}
	return string(b), nil
}
