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

	"github.com/starling-nats/starling/core"
)

// maxStdinBody bounds a body read from stdin; nats-server's largest
// max_payload is 64 MiB.
const maxStdinBody = 64 << 20

// templateHelp documents the functions of body and header templates.
const templateHelp = `BODY and header values may be Go templates, as with the nats CLI:
{{Count}} (1, 2, ... per message), {{ID}} (a unique id), {{TimeStamp}}
(RFC 3339), {{Unix}}, {{UnixNano}}, {{Random 10 20}} (10 to 20 random
letters).`

// textTemplate renders a body or header value per message. Text without
// "{{" is used as is, so a literal body costs nothing per message.
type textTemplate struct {
	literal []byte
	tmpl    *template.Template
	count   int // the message number {{Count}} renders
	buf     bytes.Buffer
}

func parseTemplate(name, text string) (*textTemplate, error) {
	t := &textTemplate{literal: []byte(text)}
	if !strings.Contains(text, "{{") {
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
		return nil, usageErrorf("", "%s is not a valid template: %v", name, err)
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

func parseHeaderTemplate(h headerFlag) (*headerTemplate, error) {
	ht := &headerTemplate{}
	templated := false
	for _, kv := range h {
		k, v, _ := strings.Cut(kv, ":")
		t, err := parseTemplate("header "+strings.TrimSpace(k), strings.TrimSpace(v))
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
// forced or when data is piped in by someone at a terminal (a script
// without a terminal must say --force-stdin, so that a command run with an
// open, silent stdin does not wait forever), else empty.
func bodyArg(st *stdio, pos []string, forceStdin bool) (string, error) {
	if len(pos) > 1 {
		if forceStdin {
			return "", usageErrorf("", "give a BODY or --force-stdin, not both")
		}
		return pos[1], nil
	}
	if !forceStdin && (st.stdinIsTerminal || !st.stderrIsTerminal) {
		return "", nil
	}
	if st.stdin == nil {
		return "", nil
	}
	return readAllLimited(st.stdin)
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
