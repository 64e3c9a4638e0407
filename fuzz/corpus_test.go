package fuzz

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/starling-nats/starling/codec"
)

// The checked-in seed corpus (testdata/fuzz/<Target>/seed-*) is generated
// here from the codec's transcripts of a real server and from edge cases.
// TestSeedCorpus checks that every seed is present; regenerate with
//
//	go test ./fuzz -run TestSeedCorpus -update-corpus
//
// Inputs found by fuzzing are kept beside the seeds under their own names.

var updateCorpus = flag.Bool("update-corpus", false, "rewrite the seed corpus under testdata/fuzz")

const transcripts = "../codec/testdata/transcripts"

// seed is one corpus entry: a name and the target's arguments.
type seed struct {
	name string
	args []any
}

func bytesSeeds(prefix string, inputs map[string]string) []seed {
	var out []seed
	for name, in := range inputs {
		out = append(out, seed{prefix + name, []any{[]byte(in)}})
	}
	return out
}

// transcriptSeeds returns each operation of the transcripts as a seed of its
// own (duplicates once). Whole transcripts (up to 1.2 KB) made slow seeds:
// the fuzzer minimises an interesting input by trying to remove every
// range of its bytes, and in a stream of sized payloads nearly every
// removal fails, so a transcript-sized input held the worker for 10 to 60
// seconds. The codec's own transcript tests decode them whole, split at
// every byte.
func transcriptSeeds(t *testing.T, suffix string) []seed {
	var out []seed
	seen := map[string]bool{}
	for _, name := range []string{"session", "verbose"} {
		b, err := os.ReadFile(filepath.Join(transcripts, name+suffix+".raw"))
		if err != nil {
			t.Fatal(err)
		}
		for i, op := range splitOps(b) {
			if !seen[string(op)] {
				seen[string(op)] = true
				out = append(out, seed{fmt.Sprintf("transcript-%s-%02d", name, i), []any{op}})
			}
		}
	}
	return out
}

// splitOps cuts a transcript into its operations: a control line and, for
// MSG, HMSG, PUB and HPUB, the payload its last field declares with its
// CRLF. It is independent of the codec's decoders, which the seeds test.
func splitOps(b []byte) [][]byte {
	var ops [][]byte
	for len(b) > 0 {
		n := bytes.IndexByte(b, '\n') + 1
		if n == 0 {
			n = len(b)
		}
		if f := strings.Fields(string(b[:n])); len(f) > 1 {
			switch strings.ToUpper(f[0]) {
			case "MSG", "HMSG", "PUB", "HPUB":
				size, _ := strconv.Atoi(f[len(f)-1])
				n = min(len(b), n+size+2)
			}
		}
		ops = append(ops, b[:n])
		b = b[n:]
	}
	return ops
}

func serverSeeds(t *testing.T) []seed {
	large := codec.AppendMsg(nil, "big", 1, "", bytes.Repeat([]byte("L"), smallLimits.MaxPayload+1))
	large = codec.AppendPing(large)
	seeds := append(transcriptSeeds(t, ""), seed{"msg-over-small-limit", []any{large}})
	return append(seeds, bytesSeeds("edge-", map[string]string{
		"info":                "INFO {\"server_id\":\"x\",\"max_payload\":1048576}\r\n",
		"info-spaces":         "INFO \t {} \r\n",
		"info-empty":          "INFO \r\n",
		"msg":                 "MSG foo.bar 9 5\r\nhello\r\n",
		"msg-reply":           "MSG foo 1 _INBOX.a 2\r\nhi\r\n",
		"msg-empty":           "MSG foo 1 0\r\n\r\n",
		"msg-crlf-payload":    "MSG foo 1 4\r\n\r\n\r\n\r\n",
		"msg-tabs":            "MSG\tfoo  \t 1\t\tbar   3 \t\r\nabc\r\n",
		"msg-lower":           "msg foo 1 1\r\nx\r\n",
		"msg-bare-lf":         "MSG foo 1 1\nx\r\n",
		"msg-too-few":         "MSG foo 1\r\n",
		"msg-too-many":        "MSG a b c d e f g h 1\r\nx\r\n",
		"msg-negative":        "MSG foo 1 -1\r\n",
		"msg-overflow":        "MSG foo 1 99999999999999999999999\r\n",
		"msg-too-large":       "MSG foo 1 1048577\r\n",
		"msg-bad-terminator":  "MSG foo 1 5\r\nhelloXX",
		"msg-truncated":       "MSG foo 1 5\r\nhel",
		"hmsg":                "HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n",
		"hmsg-503":            "HMSG _INBOX.x 2 16 16\r\nNATS/1.0 503\r\n\r\n\r\n",
		"hmsg-heartbeat":      "HMSG hb 3 74 74\r\nNATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 5\r\nNats-Last-Stream: 9\r\n\r\n\r\n",
		"hmsg-header-gt-size": "HMSG foo 1 13 12\r\nNATS/1.0\r\n\r\n\r\n",
		"hmsg-garbage-header": "HMSG foo 1 3 4\r\nabcd\r\n",
		"ping-pong-ok":        "PING\r\nPONG\r\n+OK\r\nping\r\n+ok\r\n",
		"ping-args":           "PING now\r\n",
		"err":                 "-ERR 'Permissions Violation for Publish to \"a'b\"'\r\n",
		"err-unquoted":        "-ERR no quotes\r\n",
		"unknown":             "FOO bar\r\n",
		"empty-line":          "\r\n",
		"long-line":           "MSG " + strings.Repeat("x", smallLimits.MaxControlLine) + " 1 1\r\nx\r\n",
		"long-info":           "INFO {\"a\":\"" + strings.Repeat("y", smallLimits.MaxInfo) + "\"}\r\n",
		"client-op":           "PUB foo 1\r\nx\r\n",
	})...)
}

func clientSeeds(t *testing.T) []seed {
	large := codec.AppendPub(nil, "big", "", bytes.Repeat([]byte("L"), smallLimits.MaxPayload+1))
	seeds := append(transcriptSeeds(t, "-client"), seed{"pub-over-small-limit", []any{large}})
	return append(seeds, bytesSeeds("edge-", map[string]string{
		"connect":            "CONNECT {\"verbose\":false,\"pedantic\":false,\"headers\":true}\r\n",
		"connect-lower":      "connect {}\n",
		"connect-empty":      "CONNECT\r\n",
		"pub":                "PUB foo 5\r\nhello\r\n",
		"pub-reply":          "pub foo bar 0\r\n\r\n",
		"pub-tabs":           "PUB\tfoo \t bar\t2\t\r\nhi\r\n",
		"pub-too-large":      "PUB a 2000000\r\n",
		"pub-bad-terminator": "PUB a 1\r\nxy\r\n",
		"hpub":               "HPUB orders.new 24 29\r\nNATS/1.0\r\nTrace: abc\r\n\r\nhello\r\n",
		"hpub-header-gt":     "HPUB a 5 4\r\n",
		"sub":                "SUB foo.* 1\r\nSUB foo.> q 22\r\n",
		"sub-too-many":       "SUB a b c d\r\n",
		"unsub":              "UNSUB 1\r\nunsub 1 10\r\n",
		"unsub-bad":          "UNSUB 1 -2\r\n",
		"ping-pong":          "PING\r\nPONG\r\nping\npong \r\n",
		"server-op":          "MSG foo 1 1\r\nx\r\n",
	})...)
}

func headerSeeds(t *testing.T) []seed {
	inputs := map[string]string{
		"empty":          "NATS/1.0\r\n\r\n",
		"no-responders":  "NATS/1.0 503\r\nNats-Subject: nobody.home\r\n\r\n",
		"heartbeat":      "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 5\r\nNats-Last-Stream: 9\r\n\r\n",
		"flow-control":   "NATS/1.0 100 FlowControl Request\r\n\r\n",
		"eob":            "NATS/1.0 204 EOB\r\n\r\n",
		"bad-request":    "NATS/1.0 400 Bad Request - heartbeat value too large\r\n\r\n",
		"no-messages":    "NATS/1.0 404 No Messages\r\n\r\n",
		"timeout":        "NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 1\r\nNats-Pending-Bytes: 2\r\n\r\n",
		"conflict":       "NATS/1.0 409 Leadership Change\r\n\r\n",
		"multi":          "NATS/1.0\r\nA: 1\r\nA: 2\r\na: lower\r\nB:  padded  \r\nEmpty:\r\n\r\n",
		"colon-in-value": "NATS/1.0\r\nKey: a:b\r\n\r\n",
		"bare-lf":        "NATS/1.0\nA: b\n\n",
		"no-colon":       "NATS/1.0\r\nbad line\r\n\r\n",
		"no-key":         "NATS/1.0\r\n: value\r\n\r\n",
		"space-in-key":   "NATS/1.0\r\nA B: c\r\n\r\n",
		"bad-status":     "NATS/1.0 5x3\r\n\r\n",
		"wrong-version":  "NATS/2.0\r\n\r\n",
		"trailing":       "NATS/1.0\r\n\r\nextra",
		"unterminated":   "NATS/1.0\r\nA: b",
	}
	seeds := bytesSeeds("edge-", inputs)
	// Every header block of the transcripts.
	b, err := os.ReadFile(filepath.Join(transcripts, "session.raw"))
	if err != nil {
		t.Fatal(err)
	}
	r := codec.NewReader(bytes.NewReader(b), codec.Limits{})
	defer r.Release()
	for i := 0; ; i++ {
		op, err := r.Next()
		if err != nil {
			break
		}
		if op.Kind == codec.OpHMsg {
			seeds = append(seeds, seed{fmt.Sprintf("transcript-%d", i), []any{bytes.Clone(op.Header)}})
		}
	}
	return seeds
}

func subjectSeeds() []seed {
	var out []seed
	for i, s := range []string{"foo", "foo.bar.baz", "foo.*", "foo.>", "*.*.>", ">", "*", "foo*", "foo.>.bar", "",
		".", "foo..bar", "foo.", ".foo", "foo bar", "foo\tbar", "foo\r\n", "foo\fbar", "日本.語", "$JS.API.INFO",
		"_INBOX.abcdef.1", "Nats-Msg-Id", "a:b", "\xff\xfe"} {
		out = append(out, seed{fmt.Sprintf("edge-%02d", i), []any{s}})
	}
	return out
}

func roundTripSeeds() []seed {
	return []seed{
		{"edge-plain", []any{"foo.bar", "", uint64(1), "", "", []byte("hello"), "Unknown Protocol Operation"}},
		{"edge-reply-header", []any{"foo.*", "_INBOX.abc.1", uint64(18446744073709551615), "Nats-Msg-Id", "  id-1 ", []byte{}, "Permissions Violation for Publish to \"x\""}},
		{"edge-invalid", []any{"foo bar", "not valid", uint64(0), "bad key", "bad\r\nvalue", []byte("\r\n"), "line\r\nbreak"}},
		{"edge-json", []any{"a.>", "r", uint64(42), "k", "v\"\\\u2028", []byte(strings.Repeat("p", 100)), "bad \xff utf8 \u2029"}},
	}
}

func corpusFile(args []any) []byte {
	var b bytes.Buffer
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch v := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", v)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", v)
		case uint64:
			fmt.Fprintf(&b, "uint64(%d)\n", v)
		default:
			panic(fmt.Sprintf("unsupported corpus type %T", a))
		}
	}
	return b.Bytes()
}

func TestSeedCorpus(t *testing.T) {
	targets := map[string][]seed{
		"FuzzReader":       serverSeeds(t),
		"FuzzClientReader": clientSeeds(t),
		"FuzzHeader":       headerSeeds(t),
		"FuzzSubject":      subjectSeeds(),
		"FuzzRoundTrip":    roundTripSeeds(),
	}
	names := make([]string, 0, len(targets))
	for name := range targets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, target := range names {
		dir := filepath.Join("testdata", "fuzz", target)
		if *updateCorpus {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			old, _ := filepath.Glob(filepath.Join(dir, "seed-*"))
			for _, f := range old {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}
		for _, s := range targets[target] {
			path := filepath.Join(dir, "seed-"+s.name)
			want := corpusFile(s.args)
			if *updateCorpus {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s is missing or stale: go test ./fuzz -run TestSeedCorpus -update-corpus", path)
			}
		}
	}
}
