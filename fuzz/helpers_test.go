package fuzz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/starling-nats/starling/codec"
)

// smallLimits are small enough that inputs of a few dozen bytes reach each
// of them (an INFO limit above the control-line limit, as in the defaults,
// so the decoder must tell an INFO line from the others before it knows
// which applies). Inputs are kept this small on purpose. The codec treats
// every size below its 64 KiB buffer alike (larger operations, which grow
// the buffer, are decoded one byte per read by the codec's transcript
// tests), while the fuzzer minimises each new input by trying to remove
// every range of its bytes: an input that must stay longer than a limit, or
// whose sized payloads break at every removal, costs executions quadratic
// in its length. With limits of 256 and 1024 bytes and a 40 KB seed, that
// held the only worker for seconds up to the whole minimisation timeout
// (60 s), several times a run.
var smallLimits = codec.Limits{MaxControlLine: 48, MaxPayload: 32, MaxInfo: 96}

// decodeAll decodes data under the small limits and the defaults, each
// whole, one byte per Read and split in two, checks that the three agree,
// and returns the ops decoded whole under the defaults. A stream that is
// valid under the small limits must decode to the same ops under the
// defaults (a limit only adds errors).
func decodeAll(t *testing.T, data []byte, decode func(*testing.T, io.Reader, int, codec.Limits) *opLog) *opLog {
	small := decodeThreeWays(t, data, decode, smallLimits)
	ops := decodeThreeWays(t, data, decode, codec.Limits{})
	if small.class == io.EOF.Error() {
		sameResult(t, "default limits", small, ops)
	}
	return ops
}

func decodeThreeWays(t *testing.T, data []byte, decode func(*testing.T, io.Reader, int, codec.Limits) *opLog, l codec.Limits) *opLog {
	ops := decode(t, bytes.NewReader(data), len(data), l)
	sameResult(t, "one byte per read", ops, decode(t, &oneByteReader{data}, len(data), l))
	sameResult(t, "split in two", ops, decode(t, mid(data), len(data), l))
	return ops
}

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
// and returns a comparable class for it. (It calls no t.Helper: that walks
// the stack, and this runs several times per execution.)
func checkErr(t *testing.T, err error) string {
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

// quote renders a field for a failure message: quoted when short, by
// length and checksum when long.
func quote(b []byte) string {
	switch {
	case b == nil:
		return "nil"
	case len(b) > 64:
		return fmt.Sprintf("<%d bytes %08x>", len(b), crc32.ChecksumIEEE(b))
	}
	return strconv.Quote(string(b))
}

// opLog records the ops of one decode, each completely (nil distinct from
// empty), so that decodes of the same input can be compared. It is built
// on every execution, so it appends bytes and formats nothing: rendering
// each op with fmt took about a third of FuzzClientReader's time. Each op
// is a tag ('s' server, 'c' client), its kind, then each field as uvarint
// length+1 (0 for nil) and its bytes; a client op ends with Max.
type opLog struct {
	b     []byte
	ends  []int  // op i is b[ends[i-1]:ends[i]]
	class string // the class of the error that ended the stream
}

func (l *opLog) field(f []byte) {
	if f == nil {
		l.b = append(l.b, 0)
		return
	}
	l.b = binary.AppendUvarint(l.b, uint64(len(f))+1)
	l.b = append(l.b, f...)
}

func (l *opLog) addServer(op *codec.Op) {
	l.b = append(l.b, 's', byte(op.Kind))
	for _, f := range [...][]byte{op.Subject, op.SID, op.Reply, op.Header, op.Payload, op.Text} {
		l.field(f)
	}
	l.ends = append(l.ends, len(l.b))
}

func (l *opLog) addClient(op *codec.ClientOp) {
	l.b = append(l.b, 'c', byte(op.Kind))
	for _, f := range [...][]byte{op.Subject, op.Reply, op.Queue, op.SID, op.Header, op.Payload, op.Text} {
		l.field(f)
	}
	l.b = binary.AppendVarint(l.b, int64(op.Max))
	l.ends = append(l.ends, len(l.b))
}

// op renders op i for a failure message.
func (l *opLog) op(i int) string {
	if i >= len(l.ends) {
		return "(none)"
	}
	start := 0
	if i > 0 {
		start = l.ends[i-1]
	}
	e := l.b[start:l.ends[i]]
	tag, kind := e[0], codec.OpKind(e[1])
	e = e[2:]
	names := []string{"subject", "sid", "reply", "header", "payload", "text"}
	if tag == 'c' {
		names = []string{"subject", "reply", "queue", "sid", "header", "payload", "text"}
	}
	s := kind.String()
	for _, name := range names {
		n, w := binary.Uvarint(e)
		e = e[w:]
		var f []byte
		if n > 0 {
			f, e = e[:n-1], e[n-1:]
		}
		s += " " + name + "=" + quote(f)
	}
	if tag == 'c' {
		m, _ := binary.Varint(e)
		s += fmt.Sprintf(" max=%d", m)
	}
	return s
}

// namedField is a field of an op and its name, for checks over every field
// (an array of them costs nothing; a map literal was built per op).
type namedField struct {
	name string
	b    []byte
}

// checkServerOp asserts an op's shape and that it is within the limits.
func checkServerOp(t *testing.T, op *codec.Op, l codec.Limits) {
	for _, f := range [...]namedField{{"subject", op.Subject}, {"sid", op.SID}, {"reply", op.Reply},
		{"header", op.Header}, {"payload", op.Payload}, {"text", op.Text}} {
		capped(t, f.name, f.b)
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
	for _, f := range [...]namedField{{"subject", op.Subject}, {"reply", op.Reply}, {"queue", op.Queue}, {"sid", op.SID},
		{"header", op.Header}, {"payload", op.Payload}, {"text", op.Text}} {
		capped(t, f.name, f.b)
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

// decodeServer decodes data completely and returns its ops and the class of
// the error that ended the stream. It also checks that protocol errors are
// sticky and that the op count is bounded by the input.
func decodeServer(t *testing.T, src io.Reader, size int, l codec.Limits) *opLog {
	r := codec.NewReader(src, l)
	defer r.Release()
	full := withDefaults(l)
	log := new(opLog)
	for {
		op, err := r.Next()
		if err != nil {
			log.class = checkErr(t, err)
			if _, again := r.Next(); again != err && !(err == io.EOF || err == io.ErrUnexpectedEOF) {
				t.Fatalf("protocol error not sticky: %v, then %v", err, again)
			}
			return log
		}
		checkServerOp(t, op, full)
		log.addServer(op)
		if len(log.ends) > size/3 {
			t.Fatalf("%d ops from %d bytes", len(log.ends), size)
		}
	}
}

func decodeClient(t *testing.T, src io.Reader, size int, l codec.Limits) *opLog {
	r := codec.NewClientReader(src, l)
	defer r.Release()
	full := withDefaults(l)
	log := new(opLog)
	for {
		op, err := r.Next()
		if err != nil {
			log.class = checkErr(t, err)
			if _, again := r.Next(); again != err && !(err == io.EOF || err == io.ErrUnexpectedEOF) {
				t.Fatalf("protocol error not sticky: %v, then %v", err, again)
			}
			return log
		}
		checkClientOp(t, op, full)
		log.addClient(op)
		if len(log.ends) > size/3 {
			t.Fatalf("%d ops from %d bytes", len(log.ends), size)
		}
	}
}

// sameResult fails unless got has the same ops, ending in the same error
// class, as want.
func sameResult(t *testing.T, mode string, want, got *opLog) {
	if want.class == got.class && slices.Equal(want.ends, got.ends) && bytes.Equal(want.b, got.b) {
		return
	}
	t.Helper()
	if want.class != got.class || len(want.ends) != len(got.ends) {
		t.Fatalf("%s: %d ops ending in %q, want %d ops ending in %q", mode, len(got.ends), got.class, len(want.ends), want.class)
	}
	for i := range want.ends {
		if w, g := want.op(i), got.op(i); w != g {
			t.Fatalf("%s: op %d is %s, want %s", mode, i, g, w)
		}
	}
	t.Fatalf("%s: logs differ", mode)
}

// oneByteReader returns one byte per Read, like iotest.OneByteReader over a
// bytes.Reader but without two interface calls per byte: this mode reads
// every byte separately and dominated the cost of larger inputs.
type oneByteReader struct{ data []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	switch {
	case len(r.data) == 0:
		return 0, io.EOF
	case len(p) == 0:
		return 0, nil
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

// mid returns data split in two reads at its middle.
func mid(data []byte) io.Reader {
	return io.MultiReader(bytes.NewReader(data[:len(data)/2]), bytes.NewReader(data[len(data)/2:]))
}

// sampled reports whether an input gets the checks too costly for every
// execution under -fuzz: testing.AllocsPerRun (it stops the world four
// times, for GOMAXPROCS and ReadMemStats) and FuzzRoundTrip's decoding of
// INFO and CONNECT with encoding/json. In ordinary test runs (the corpus)
// every input gets them; under -fuzz every 8th, chosen by a hash of its
// content so that a failure reproduces with go test -run=<Target>/<file>.
func sampled(data []byte) bool {
	return !fuzzing() || crc32.ChecksumIEEE(data)%8 == 0
}

// checkAllocs reports whether an input gets its allocation check: when
// sampled, and not under the race detector, where sync.Pool drops buffers
// on purpose.
func checkAllocs(data []byte) bool {
	return !raceEnabled && sampled(data)
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
