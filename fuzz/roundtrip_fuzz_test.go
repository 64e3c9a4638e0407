package fuzz

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/starling-nats/starling/codec"
)

// maxFuzzField bounds each field of FuzzRoundTrip under -fuzz (the corpus
// runs whole). Nothing in the encoders or decoders depends on a length
// between this and the 1 MiB limits the target decodes with, but the
// fuzzer's coverage counts loop iterations by their bits, so every longer
// string looked new, and minimising one (every removal changes the count)
// took up to the whole 60 s minimisation timeout.
const maxFuzzField = 128

// FuzzRoundTrip encodes server and client ops from fuzzed fields (made valid
// where the protocol requires it) and checks they decode to what went in,
// without allocating.
func FuzzRoundTrip(f *testing.F) {
	f.Add("foo.bar", "_INBOX.1", uint64(7), "Nats-Msg-Id", "abc", []byte("hello"), "Authorization Violation")
	f.Fuzz(func(t *testing.T, subject, reply string, sid uint64, key, value string, payload []byte, text string) {
		if fuzzing() && max(len(subject), len(reply), len(key), len(value), len(payload), len(text)) > maxFuzzField {
			return
		}
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
		// Bytes, not runes: strings.Map would turn invalid UTF-8 into U+FFFD
		// before the encoders see it.
		text = strings.ReplaceAll(strings.ReplaceAll(text, "\r", ""), "\n", "")
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
		sidText := strconv.FormatUint(sid, 10)
		next := func() *codec.Op {
			op, err := r.Next()
			if err != nil {
				t.Fatalf("decoding %q: %v", server, err)
			}
			return op
		}
		// INFO and CONNECT: the codec's JSON is byte for byte encoding/json's,
		// on every input; decoding it back with ParseInfo and ParseConnect
		// (encoding/json.Unmarshal, six times the cost of the rest of an
		// execution) on the corpus and on the sampled inputs.
		decodeJSON := sampled(server)
		op := next()
		if want := stdJSON(t, info); !bytes.Equal(op.Text, want) {
			t.Fatalf("INFO %s, encoding/json %s", op.Text, want)
		}
		if decodeJSON {
			got, err := codec.ParseInfo(op.Text)
			if err != nil || !reflect.DeepEqual(got, wireInfo(info)) {
				t.Fatalf("INFO %+v (%v), want %+v", got, err, info)
			}
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
		if want := stdJSON(t, connect); !bytes.Equal(cop.Text, want) {
			t.Fatalf("CONNECT %s, encoding/json %s", cop.Text, want)
		}
		if decodeJSON {
			co, err := codec.ParseConnect(cop.Text)
			if err != nil || *co != wireConnect(connect) {
				t.Fatalf("CONNECT %+v (%v), want %+v", co, err, connect)
			}
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

// stdJSON is v as encoding/json writes it with HTML escaping off, the form
// the codec's JSON writers promise to match byte for byte.
func stdJSON(t *testing.T, v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// wireText is s as it comes back through JSON: the codec writes each byte
// of invalid UTF-8 as U+FFFD, as encoding/json does, and so does a range
// over the string. (The target compared through encoding/json round trips
// before, which took a third of each execution.)
func wireText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+16)
	for _, r := range s {
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// wireInfo is what ParseInfo must return for an INFO written from info.
func wireInfo(info *codec.ServerInfo) *codec.ServerInfo {
	w := *info
	for _, f := range []*string{&w.ServerID, &w.ServerName, &w.Version, &w.GitCommit, &w.GoVersion, &w.Host, &w.IP,
		&w.ClientIP, &w.Nonce, &w.Cluster, &w.Domain, &w.Compression, &w.RemoteAccount, &w.XKey} {
		*f = wireText(*f)
	}
	w.ConnectURLs = wireTexts(info.ConnectURLs)
	w.WSConnectURLs = wireTexts(info.WSConnectURLs)
	return &w
}

func wireTexts(in []string) []string {
	if len(in) == 0 {
		return nil // omitempty
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = wireText(s)
	}
	return out
}

// wireConnect is what ParseConnect must return for a CONNECT written from o.
func wireConnect(o *codec.ConnectOptions) codec.ConnectOptions {
	w := *o
	for _, f := range []*string{&w.AuthToken, &w.User, &w.Pass, &w.Name, &w.Lang, &w.Version, &w.Sig, &w.JWT, &w.NKey} {
		*f = wireText(*f)
	}
	return w
}
