package fuzz

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"

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
