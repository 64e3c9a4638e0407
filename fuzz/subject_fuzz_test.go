package fuzz

import (
	"bytes"
	"strings"
	"testing"

	"github.com/starling-nats/starling/codec"
)

// subjectOracle is an independent statement of protocol-facts §1.8.
func subjectOracle(s string, wildcards bool) bool {
	if s == "" {
		return false
	}
	toks := strings.Split(s, ".")
	for i, tok := range toks {
		switch {
		case tok == "", strings.ContainsAny(tok, " \t\r\n\f"):
			return false
		case tok == "*" && !wildcards:
			return false
		case tok == ">" && (!wildcards || i != len(toks)-1):
			return false
		}
	}
	return true
}

// FuzzSubject checks the validators against the oracle and sends valid
// subjects through the encoders and decoders.
func FuzzSubject(f *testing.F) {
	f.Add("foo.*.>")
	f.Fuzz(func(t *testing.T, s string) {
		pub, sub := codec.ValidPublishSubject(s), codec.ValidSubscribeSubject(s)
		if pub != subjectOracle(s, false) || sub != subjectOracle(s, true) {
			t.Fatalf("%q: publish %v subscribe %v, oracle %v %v", s, pub, sub, subjectOracle(s, false), subjectOracle(s, true))
		}
		if pub && !sub {
			t.Fatalf("%q publishable but not subscribable", s)
		}
		if q := s != "" && !strings.ContainsAny(s, " \t\r\n\f"); codec.ValidQueueName(s) != q {
			t.Fatalf("ValidQueueName(%q) = %v", s, !q)
		}
		key := s != ""
		for i := 0; i < len(s); i++ {
			if s[i] < 33 || s[i] > 126 || s[i] == ':' {
				key = false
			}
		}
		if codec.ValidHeaderKey(s) != key {
			t.Fatalf("ValidHeaderKey(%q) = %v", s, !key)
		}
		if codec.ValidHeaderValue(s) != !strings.ContainsAny(s, "\r\n") {
			t.Fatalf("ValidHeaderValue(%q) wrong", s)
		}
		if !sub {
			return
		}
		var in []byte
		in = codec.AppendSub(in, s, "q", 1)
		if pub {
			in = codec.AppendPub(in, s, s, []byte("x"))
		}
		r := codec.NewClientReader(bytes.NewReader(in), codec.Limits{MaxControlLine: 1 << 20})
		defer r.Release()
		op, err := r.Next()
		if err != nil || string(op.Subject) != s {
			t.Fatalf("SUB %q decodes to %v, %v", s, op, err)
		}
		if pub {
			op, err = r.Next()
			if err != nil || string(op.Subject) != s || string(op.Reply) != s {
				t.Fatalf("PUB %q decodes to %v, %v", s, op, err)
			}
			msg := codec.AppendMsg(nil, s, 1, "", nil)
			sr := codec.NewReader(bytes.NewReader(msg), codec.Limits{MaxControlLine: 1 << 20})
			defer sr.Release()
			if mop, err := sr.Next(); err != nil || string(mop.Subject) != s {
				t.Fatalf("MSG %q decodes to %v, %v", s, mop, err)
			}
		}
	})
}
