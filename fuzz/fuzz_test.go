package fuzz

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/starling-nats/starling/codec"
)

// Small limits, so that mutated inputs reach them, and the defaults.
var (
	smallLimits = codec.Limits{MaxControlLine: 256, MaxPayload: 4096, MaxInfo: 1024}
	limitSets   = []codec.Limits{smallLimits, {}}
)

func withDefaults(l codec.Limits) codec.Limits {
	if l.MaxControlLine <= 0 {
		l.MaxControlLine = codec.DefaultMaxControlLine
	}
	if l.MaxPayload <= 0 {
		l.MaxPayload = codec.DefaultMaxPayload
	}
	if l.MaxInfo <= 0 {
		l.MaxInfo = codec.DefaultMaxInfo
	}
	return l
}

var errorKinds = []error{codec.ErrControlLineTooLong, codec.ErrInfoTooLarge, codec.ErrPayloadTooLarge, codec.ErrUnknownOp, codec.ErrMalformed}

// checkErr accepts only the errors a decoder may return for a byte stream,
// and returns a comparable class for it.
func checkErr(t *testing.T, err error) string {
	t.Helper()
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return err.Error()
	}
	var pe *codec.ProtocolError
	if !errors.As(err, &pe) {
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
	for _, k := range errorKinds {
		if pe.Kind == k {
			if !errors.Is(err, k) {
				t.Fatalf("errors.Is(%v, its kind) is false", err)
			}
			if !strings.HasPrefix(err.Error(), "codec: ") {
				t.Fatalf("error message without prefix: %q", err)
			}
			return k.Error()
		}
	}
	t.Fatalf("protocol error of unknown kind: %v", err)
	return ""
}

func capped(t *testing.T, what string, b []byte) {
	if len(b) != cap(b) {
		t.Fatalf("%s not capped: len %d cap %d", what, len(b), cap(b))
	}
}

// quote renders a field for comparison: quoted when short, by length and
// checksum when long (quoting a large payload in every mode made each run
// of a large input, and so the fuzzer's minimisation, slow).
func quote(b []byte) string {
	switch {
	case b == nil:
		return "nil"
	case len(b) > 64:
		return fmt.Sprintf("<%d bytes %08x>", len(b), crc32.ChecksumIEEE(b))
	}
	return strconv.Quote(string(b))
}

// describeOp renders an op completely, nil distinct from empty.
func describeOp(op *codec.Op) string {
	return fmt.Sprintf("%v %s %s %s %s %s %s", op.Kind, quote(op.Subject), quote(op.SID), quote(op.Reply),
		quote(op.Header), quote(op.Payload), quote(op.Text))
}

func describeClientOp(op *codec.ClientOp) string {
	return fmt.Sprintf("%v %s %s %s %s %d %s %s %s", op.Kind, quote(op.Subject), quote(op.Reply), quote(op.Queue),
		quote(op.SID), op.Max, quote(op.Header), quote(op.Payload), quote(op.Text))
}

// checkServerOp asserts an op's shape and that it is within the limits.
func checkServerOp(t *testing.T, op *codec.Op, l codec.Limits) {
	for name, b := range map[string][]byte{"subject": op.Subject, "sid": op.SID, "reply": op.Reply,
		"header": op.Header, "payload": op.Payload, "text": op.Text} {
		capped(t, name, b)
	}
	switch op.Kind {
	case codec.OpMsg, codec.OpHMsg:
		if len(op.Subject) == 0 || len(op.SID) == 0 || op.Payload == nil {
			t.Fatalf("%v without subject, sid or payload", op.Kind)
		}
		if (op.Kind == codec.OpHMsg) != (op.Header != nil) {
			t.Fatalf("%v with header %q", op.Kind, op.Header)
		}
		if n := len(op.Header) + len(op.Payload); n > l.MaxPayload {
			t.Fatalf("%v of %d bytes beyond the limit %d", op.Kind, n, l.MaxPayload)
		}
		if n := len(op.Subject) + len(op.SID) + len(op.Reply); n > l.MaxControlLine {
			t.Fatalf("%v control line beyond the limit", op.Kind)
		}
	case codec.OpInfo:
		if len(op.Text) == 0 || len(op.Text) > l.MaxInfo {
			t.Fatalf("INFO of %d bytes, limit %d", len(op.Text), l.MaxInfo)
		}
	case codec.OpErr:
		if len(op.Text) > l.MaxControlLine {
			t.Fatalf("-ERR of %d bytes, limit %d", len(op.Text), l.MaxControlLine)
		}
	case codec.OpPing, codec.OpPong, codec.OpOK:
	default:
		t.Fatalf("unexpected op kind %v", op.Kind)
	}
}

func checkClientOp(t *testing.T, op *codec.ClientOp, l codec.Limits) {
	for name, b := range map[string][]byte{"subject": op.Subject, "reply": op.Reply, "queue": op.Queue, "sid": op.SID,
		"header": op.Header, "payload": op.Payload, "text": op.Text} {
		capped(t, name, b)
	}
	switch op.Kind {
	case codec.OpPub, codec.OpHPub:
		if len(op.Subject) == 0 || op.Payload == nil {
			t.Fatalf("%v without subject or payload", op.Kind)
		}
		if (op.Kind == codec.OpHPub) != (op.Header != nil) {
			t.Fatalf("%v with header %q", op.Kind, op.Header)
		}
		if n := len(op.Header) + len(op.Payload); n > l.MaxPayload {
			t.Fatalf("%v of %d bytes beyond the limit %d", op.Kind, n, l.MaxPayload)
		}
	case codec.OpSub:
		if len(op.Subject) == 0 || len(op.SID) == 0 {
			t.Fatal("SUB without subject or sid")
		}
	case codec.OpUnsub:
		if len(op.SID) == 0 || op.Max < 0 {
			t.Fatal("UNSUB without sid or with a negative max")
		}
	case codec.OpConnect:
		if len(op.Text) == 0 || len(op.Text) > l.MaxControlLine {
			t.Fatalf("CONNECT of %d bytes, limit %d", len(op.Text), l.MaxControlLine)
		}
	case codec.OpPing, codec.OpPong:
	default:
		t.Fatalf("unexpected op kind %v", op.Kind)
	}
}

// decodeServer decodes data completely and returns the ops and the class of
// the error that ended the stream. It also checks that protocol errors are
// sticky and that the op count is bounded by the input.
func decodeServer(t *testing.T, src io.Reader, size int, l codec.Limits) ([]string, string) {
	r := codec.NewReader(src, l)
	defer r.Release()
	full := withDefaults(l)
	var ops []string
	for {
		op, err := r.Next()
		if err != nil {
			class := checkErr(t, err)
			if _, again := r.Next(); again != err && !(err == io.EOF || err == io.ErrUnexpectedEOF) {
				t.Fatalf("protocol error not sticky: %v, then %v", err, again)
			}
			return ops, class
		}
		checkServerOp(t, op, full)
		ops = append(ops, describeOp(op))
		if len(ops) > size/3 {
			t.Fatalf("%d ops from %d bytes", len(ops), size)
		}
	}
}

func decodeClient(t *testing.T, src io.Reader, size int, l codec.Limits) ([]string, string) {
	r := codec.NewClientReader(src, l)
	defer r.Release()
	full := withDefaults(l)
	var ops []string
	for {
		op, err := r.Next()
		if err != nil {
			class := checkErr(t, err)
			if _, again := r.Next(); again != err && !(err == io.EOF || err == io.ErrUnexpectedEOF) {
				t.Fatalf("protocol error not sticky: %v, then %v", err, again)
			}
			return ops, class
		}
		checkClientOp(t, op, full)
		ops = append(ops, describeClientOp(op))
		if len(ops) > size/3 {
			t.Fatalf("%d ops from %d bytes", len(ops), size)
		}
	}
}

func sameResult(t *testing.T, mode string, ops []string, class string, ops2 []string, class2 string) {
	t.Helper()
	if class != class2 || len(ops) != len(ops2) {
		t.Fatalf("%s: %d ops ending in %q, whole: %d ops ending in %q", mode, len(ops2), class2, len(ops), class)
	}
	for i := range ops {
		if ops[i] != ops2[i] {
			t.Fatalf("%s: op %d is %s, whole: %s", mode, i, ops2[i], ops[i])
		}
	}
}

// mid returns data split in two reads at its middle.
func mid(data []byte) io.Reader {
	return io.MultiReader(bytes.NewReader(data[:len(data)/2]), bytes.NewReader(data[len(data)/2:]))
}

// FuzzReader feeds arbitrary bytes to Reader, whole, one byte per Read and
// split in two, under small and default limits. Valid streams must
// re-encode to themselves and decode without allocating.
func FuzzReader(f *testing.F) {
	f.Add([]byte("INFO {}\r\nMSG a 1 2\r\nhi\r\nHMSG a 1 r 12 13\r\nNATS/1.0\r\n\r\nx\r\nPING\r\nPONG\r\n+OK\r\n-ERR 'x'\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range limitSets {
			ops, class := decodeServer(t, bytes.NewReader(data), len(data), l)
			ops2, class2 := decodeServer(t, iotest.OneByteReader(bytes.NewReader(data)), len(data), l)
			sameResult(t, "one byte per read", ops, class, ops2, class2)
			ops2, class2 = decodeServer(t, mid(data), len(data), l)
			sameResult(t, "split in two", ops, class, ops2, class2)
			if class == io.EOF.Error() {
				reencodeServer(t, data, l)
				noAllocsServer(t, data)
			}
		}
	})
}

// reencodeServer encodes every op of a valid stream again with the codec's
// own encoders and checks the result decodes to the same ops.
func reencodeServer(t *testing.T, data []byte, l codec.Limits) {
	r := codec.NewReader(bytes.NewReader(data), l)
	defer r.Release()
	var out []byte
	var want []string
	for {
		op, err := r.Next()
		if err != nil {
			break
		}
		switch op.Kind {
		case codec.OpMsg, codec.OpHMsg:
			sid, ok := codec.ParseSID(op.SID)
			if !ok {
				return // a token the encoders cannot write
			}
			sidText := fmt.Appendf(nil, "%d", sid)
			if op.Kind == codec.OpMsg {
				out = codec.AppendMsg(out, string(op.Subject), sid, string(op.Reply), op.Payload)
			} else {
				out = codec.AppendHMsg(out, string(op.Subject), sid, string(op.Reply), op.Header, op.Payload)
			}
			canon := *op
			canon.SID = sidText
			if len(canon.Reply) == 0 {
				canon.Reply = nil
			}
			want = append(want, describeOp(&canon))
			continue
		case codec.OpInfo:
			out = append(append(append(out, "INFO "...), op.Text...), "\r\n"...)
		case codec.OpPing:
			out = codec.AppendPing(out)
		case codec.OpPong:
			out = codec.AppendPong(out)
		case codec.OpOK:
			out = codec.AppendOK(out)
		case codec.OpErr:
			out = codec.AppendErr(out, string(op.Text))
		}
		want = append(want, describeOp(op))
	}
	got, class := decodeServer(t, bytes.NewReader(out), len(out), codec.Limits{MaxControlLine: 1 << 20, MaxPayload: 1 << 30, MaxInfo: 1 << 20})
	if class != io.EOF.Error() {
		t.Fatalf("re-encoded stream fails: %s\n%q", class, out)
	}
	sameResult(t, "re-encoded", want, class, got, class)
}

// checkAllocs reports whether an input gets its allocation check.
// testing.AllocsPerRun stops the world four times (GOMAXPROCS and
// ReadMemStats, twice each), which dominated the cost of an execution, so
// under -fuzz only every 8th input is checked, chosen by a hash of its
// content so that a failure reproduces; in ordinary test runs (the corpus)
// every input is. Under the race detector sync.Pool drops buffers on
// purpose, so nothing is checked.
func checkAllocs(data []byte) bool {
	switch {
	case raceEnabled:
		return false
	case !fuzzing():
		return true
	}
	return crc32.ChecksumIEEE(data)%8 == 0
}

// fuzzing reports whether the test binary runs with -fuzz (asked once, after
// the flags are parsed).
var fuzzing = sync.OnceValue(func() bool {
	f := flag.Lookup("test.fuzz")
	return f != nil && f.Value.String() != ""
})

// decoder is what Reader and ClientReader share.
type decoder interface {
	Reset(io.Reader)
	Release()
}

// assertNoAllocs decodes data twice with one decoder and checks, from the
// second time on, that nothing is allocated (Reset keeps the buffer; a
// buffer grown for a large op comes back from its pool).
func assertNoAllocs(t *testing.T, data []byte, d decoder, next func() error) {
	defer d.Release()
	src := bytes.NewReader(data)
	run := func() {
		src.Reset(data)
		d.Reset(src)
		for {
			if err := next(); err != nil {
				if err != io.EOF {
					t.Fatalf("decoding valid input again: %v", err)
				}
				return
			}
		}
	}
	run()
	if !checkAllocs(data) {
		return
	}
	if n := testing.AllocsPerRun(5, run); n != 0 {
		t.Fatalf("%v allocations decoding valid input", n)
	}
}

func noAllocsServer(t *testing.T, data []byte) {
	r := codec.NewReader(nil, codec.Limits{})
	assertNoAllocs(t, data, r, func() error { _, err := r.Next(); return err })
}

func noAllocsClient(t *testing.T, data []byte) {
	r := codec.NewClientReader(nil, codec.Limits{})
	assertNoAllocs(t, data, r, func() error { _, err := r.Next(); return err })
}

// FuzzClientReader is FuzzReader for ClientReader.
func FuzzClientReader(f *testing.F) {
	f.Add([]byte("CONNECT {}\r\nSUB a 1\r\nSUB a q 2\r\nPUB a 2\r\nhi\r\nHPUB a r 12 13\r\nNATS/1.0\r\n\r\nx\r\nUNSUB 1 5\r\nPING\r\nPONG\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, l := range limitSets {
			ops, class := decodeClient(t, bytes.NewReader(data), len(data), l)
			ops2, class2 := decodeClient(t, iotest.OneByteReader(bytes.NewReader(data)), len(data), l)
			sameResult(t, "one byte per read", ops, class, ops2, class2)
			ops2, class2 = decodeClient(t, mid(data), len(data), l)
			sameResult(t, "split in two", ops, class, ops2, class2)
			if class == io.EOF.Error() {
				reencodeClient(t, data, l)
				noAllocsClient(t, data)
			}
		}
	})
}

func reencodeClient(t *testing.T, data []byte, l codec.Limits) {
	r := codec.NewClientReader(bytes.NewReader(data), l)
	defer r.Release()
	var out []byte
	var want []string
	for {
		op, err := r.Next()
		if err != nil {
			break
		}
		canon := *op
		if len(canon.Reply) == 0 {
			canon.Reply = nil
		}
		if len(canon.Queue) == 0 {
			canon.Queue = nil
		}
		switch op.Kind {
		case codec.OpPub:
			out = codec.AppendPub(out, string(op.Subject), string(op.Reply), op.Payload)
		case codec.OpHPub:
			out = codec.AppendHPub(out, string(op.Subject), string(op.Reply), op.Header, op.Payload)
		case codec.OpSub, codec.OpUnsub:
			sid, ok := codec.ParseSID(op.SID)
			if !ok {
				return
			}
			canon.SID = fmt.Appendf(nil, "%d", sid)
			if op.Kind == codec.OpSub {
				out = codec.AppendSub(out, string(op.Subject), string(op.Queue), sid)
			} else {
				out = codec.AppendUnsub(out, sid, op.Max)
			}
		case codec.OpConnect:
			out = append(append(append(out, "CONNECT "...), op.Text...), "\r\n"...)
		case codec.OpPing:
			out = codec.AppendPing(out)
		case codec.OpPong:
			out = codec.AppendPong(out)
		}
		want = append(want, describeClientOp(&canon))
	}
	got, class := decodeClient(t, bytes.NewReader(out), len(out), codec.Limits{MaxControlLine: 1 << 20, MaxPayload: 1 << 30})
	if class != io.EOF.Error() {
		t.Fatalf("re-encoded stream fails: %s\n%q", class, out)
	}
	sameResult(t, "re-encoded", want, class, got, class)
}

// FuzzHeader feeds arbitrary bytes to HeaderView, ParseHeader and back
// through Header.AppendStatus.
func FuzzHeader(f *testing.F) {
	f.Add([]byte("NATS/1.0 503\r\nNats-Subject: foo\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := codec.HeaderView(data)
		status := h.Status()
		desc := h.Description()
		if status != 0 && (status < 100 || status > 999) {
			t.Fatalf("status %d", status)
		}
		if status == 0 && desc != nil {
			t.Fatalf("description %q without status", desc)
		}
		fields := 0
		counts := map[string]int{}
		for k, v := range h.All() {
			fields++
			capped(t, "key", k)
			capped(t, "value", v)
			if len(k) == 0 || bytes.ContainsAny(k, ":\n") || bytes.ContainsRune(v, '\n') {
				t.Fatalf("field %q: %q", k, v)
			}
			if len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
				t.Fatalf("value %q not trimmed", v)
			}
			if _, seen := counts[string(k)]; !seen {
				if got := h.Get(string(k)); got == nil || !bytes.Equal(got, v) {
					t.Fatalf("Get(%q) = %q, All's first value %q", k, got, v)
				}
				if h.GetFold(asciiUpper(k)) == nil {
					t.Fatalf("GetFold(%q) finds nothing", asciiUpper(k))
				}
			}
			counts[string(k)]++
		}
		if fields > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d fields from %d lines", fields, bytes.Count(data, []byte("\n"))+1)
		}
		for k, n := range counts {
			got := 0
			for range h.Values(k) {
				got++
			}
			if got != n {
				t.Fatalf("Values(%q) gives %d, All %d", k, got, n)
			}
		}

		parsed, perr := codec.ParseHeader(data)
		verr := h.Validate()
		if (perr == nil) != (verr == nil) {
			t.Fatalf("ParseHeader: %v, Validate: %v", perr, verr)
		}
		if verr != nil {
			if !errors.Is(verr, codec.ErrMalformedHeader) || !errors.Is(perr, codec.ErrMalformedHeader) {
				t.Fatalf("errors do not wrap ErrMalformedHeader: %v, %v", verr, perr)
			}
			return
		}
		n := 0
		for _, vs := range parsed {
			n += len(vs)
		}
		if n != fields {
			t.Fatalf("ParseHeader found %d values, All %d", n, fields)
		}
		again := parsed.AppendStatus(nil, status, string(desc))
		if err := codec.HeaderView(again).Validate(); err != nil {
			t.Fatalf("re-encoded header invalid: %v\n%q", err, again)
		}
		back, err := codec.ParseHeader(again)
		if err != nil || !equalHeaders(back, parsed) {
			t.Fatalf("re-encoded header parses to %v (%v), want %v", back, err, parsed)
		}
		hv := codec.HeaderView(again)
		if hv.Status() != status || !bytes.Equal(hv.Description(), desc) {
			t.Fatalf("status %d %q became %d %q", status, desc, hv.Status(), hv.Description())
		}
		var key string
		for k := range parsed {
			key = k
			break
		}
		if !checkAllocs(data) {
			return
		}
		sink := 0
		if allocs := testing.AllocsPerRun(5, func() {
			sink += h.Status() + len(h.Description()) + len(h.Get(key)) + len(h.GetFold(key))
			if h.Validate() != nil {
				sink++
			}
			for k, v := range h.All() {
				sink += len(k) + len(v)
			}
			for v := range h.Values(key) {
				sink += len(v)
			}
		}); allocs != 0 {
			t.Fatalf("%v allocations reading a valid header", allocs)
		}
	})
}

// asciiUpper upper-cases ASCII letters only (strings.ToUpper would also
// rewrite invalid UTF-8, which GetFold rightly does not fold).
func asciiUpper(b []byte) string {
	u := []byte(string(b))
	for i, c := range u {
		if 'a' <= c && c <= 'z' {
			u[i] = c - 'a' + 'A'
		}
	}
	return string(u)
}

func equalHeaders(a, b codec.Header) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

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

// FuzzRoundTrip encodes server and client ops from fuzzed fields (made valid
// where the protocol requires it) and checks they decode to what went in,
// without allocating.
func FuzzRoundTrip(f *testing.F) {
	f.Add("foo.bar", "_INBOX.1", uint64(7), "Nats-Msg-Id", "abc", []byte("hello"), "Authorization Violation")
	f.Fuzz(func(t *testing.T, subject, reply string, sid uint64, key, value string, payload []byte, text string) {
		if !codec.ValidSubscribeSubject(subject) {
			subject = "fallback.subject"
		}
		if reply != "" && !codec.ValidPublishSubject(reply) {
			reply = ""
		}
		hdr := codec.Header{}
		if codec.ValidHeaderKey(key) && codec.ValidHeaderValue(value) {
			hdr.Add(key, strings.Trim(value, " \t"))
		}
		text = strings.NewReplacer("\r", "", "\n", "").Replace(text)
		queue := key
		if !codec.ValidQueueName(queue) {
			queue = ""
		}
		block := hdr.AppendStatus(nil, 100+int(sid%900), "")
		info := &codec.ServerInfo{ServerID: text, ServerName: value, Nonce: key, ConnectURLs: []string{subject, reply}, MaxPayload: len(payload)}
		connect := &codec.ConnectOptions{Name: text, User: key, Pass: value, Lang: "go", Echo: true, Protocol: 1}

		var server []byte
		server = codec.AppendInfo(server, info)
		server = codec.AppendMsg(server, subject, sid, reply, payload)
		server = codec.AppendHMsg(server, subject, sid, reply, block, payload)
		server = codec.AppendErr(server, text)
		server = codec.AppendPing(server)

		var client []byte
		client = codec.AppendConnect(client, connect)
		client = codec.AppendSub(client, subject, queue, sid)
		client = codec.AppendPub(client, subject, reply, payload)
		client = codec.AppendHPub(client, subject, reply, block, payload)
		client = codec.AppendUnsub(client, sid, len(payload))
		client = codec.AppendPong(client)

		l := codec.Limits{MaxControlLine: 1 << 20, MaxPayload: 1 << 20, MaxInfo: 1 << 20}
		r := codec.NewReader(bytes.NewReader(server), l)
		defer r.Release()
		sidText := fmt.Sprint(sid)
		next := func() *codec.Op {
			op, err := r.Next()
			if err != nil {
				t.Fatalf("decoding %q: %v", server, err)
			}
			return op
		}
		op := next()
		got, err := codec.ParseInfo(op.Text)
		if err != nil || !jsonSame(got, info) {
			t.Fatalf("INFO %+v (%v), want %+v", got, err, info)
		}
		for _, kind := range []codec.OpKind{codec.OpMsg, codec.OpHMsg} {
			op = next()
			if op.Kind != kind || string(op.Subject) != subject || string(op.SID) != sidText || string(op.Reply) != reply ||
				(reply == "") != (op.Reply == nil) || !bytes.Equal(op.Payload, payload) {
				t.Fatalf("%v decoded as %v %q %q %q %q", kind, op.Kind, op.Subject, op.SID, op.Reply, op.Payload)
			}
			if kind == codec.OpHMsg {
				hv := op.HeaderView()
				if !bytes.Equal(op.Header, block) || hv.Status() != 100+int(sid%900) {
					t.Fatalf("header %q, want %q", op.Header, block)
				}
				for k, vs := range hdr {
					if string(hv.Get(k)) != vs[0] {
						t.Fatalf("header %q = %q, want %q", k, hv.Get(k), vs[0])
					}
				}
			}
		}
		if op = next(); op.Kind != codec.OpErr || string(op.Text) != text {
			t.Fatalf("-ERR %q decoded as %v %q", text, op.Kind, op.Text)
		}
		if op = next(); op.Kind != codec.OpPing {
			t.Fatalf("PING decoded as %v", op.Kind)
		}

		cr := codec.NewClientReader(bytes.NewReader(client), l)
		defer cr.Release()
		cnext := func() *codec.ClientOp {
			op, err := cr.Next()
			if err != nil {
				t.Fatalf("decoding %q: %v", client, err)
			}
			return op
		}
		cop := cnext()
		co, err := codec.ParseConnect(cop.Text)
		if err != nil || !jsonSame(co, connect) {
			t.Fatalf("CONNECT %+v (%v), want %+v", co, err, connect)
		}
		if cop = cnext(); cop.Kind != codec.OpSub || string(cop.Subject) != subject || string(cop.Queue) != queue || string(cop.SID) != sidText {
			t.Fatalf("SUB decoded as %v %q %q %q", cop.Kind, cop.Subject, cop.Queue, cop.SID)
		}
		for _, kind := range []codec.OpKind{codec.OpPub, codec.OpHPub} {
			cop = cnext()
			if cop.Kind != kind || string(cop.Subject) != subject || string(cop.Reply) != reply || !bytes.Equal(cop.Payload, payload) {
				t.Fatalf("%v decoded as %v %q %q %q", kind, cop.Kind, cop.Subject, cop.Reply, cop.Payload)
			}
			if kind == codec.OpHPub && !bytes.Equal(cop.Header, block) {
				t.Fatalf("header %q, want %q", cop.Header, block)
			}
		}
		if cop = cnext(); cop.Kind != codec.OpUnsub || string(cop.SID) != sidText || cop.Max != len(payload) {
			t.Fatalf("UNSUB decoded as %v %q %d", cop.Kind, cop.SID, cop.Max)
		}
		if cop = cnext(); cop.Kind != codec.OpPong {
			t.Fatalf("PONG decoded as %v", cop.Kind)
		}

		// Encoding and decoding again allocate nothing.
		if !checkAllocs(server) {
			return
		}
		src, csrc := bytes.NewReader(server), bytes.NewReader(client)
		dst := make([]byte, 0, len(server)+len(client))
		if allocs := testing.AllocsPerRun(5, func() {
			dst = codec.AppendInfo(dst[:0], info)
			dst = codec.AppendConnect(dst[:0], connect)
			dst = codec.AppendHMsg(dst[:0], subject, sid, reply, block, payload)
			dst = codec.AppendHPub(dst[:0], subject, reply, block, payload)
			dst = hdr.Append(dst[:0])
			src.Reset(server)
			r.Reset(src)
			for {
				if _, err := r.Next(); err != nil {
					break
				}
			}
			csrc.Reset(client)
			cr.Reset(csrc)
			for {
				if _, err := cr.Next(); err != nil {
					break
				}
			}
		}); allocs != 0 {
			t.Fatalf("%v allocations per round trip", allocs)
		}
	})
}

// jsonSame compares through a JSON round trip, which is what the wire
// preserves (invalid UTF-8 becomes U+FFFD on both sides).
func jsonSame[T any](got, want *T) bool {
	b, _ := json.Marshal(want)
	norm := new(T)
	if err := json.Unmarshal(b, norm); err != nil {
		return false
	}
	x, _ := json.Marshal(got)
	y, _ := json.Marshal(norm)
	return bytes.Equal(x, y)
}
