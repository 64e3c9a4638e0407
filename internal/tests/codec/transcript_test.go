package codec_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/harness"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Golden transcripts: the exact bytes a real nats-server (the version pinned
// in go.mod, run by harness) sent in scripted sessions, with the operations
// they must decode to. TestLiveTranscripts replays the scripts against a live
// server on every run and checks what comes back; with -update it rewrites
// the files:
//
//	go test ./codec -run TestLiveTranscripts -update
//
// Each session is stored as <name>.raw (server bytes), <name>.ops (one
// decoded op per line, as Op.String renders it), and for the client side
// <name>-client.raw/.ops (the bytes the script sent, decoded by
// ClientReader).

var update = flag.Bool("update", false, "rewrite testdata/transcripts from a live nats-server")

// The transcripts live beside the codec they describe; the fuzz corpus reads them too.
const transcriptDir = "../../../codec/testdata/transcripts"

// session is one scripted conversation with a server.
type session struct {
	name string
	opts []harness.Option
	// script returns the client's bytes: the first chunk is sent after INFO,
	// the second after the PONG that answers the first chunk's PING.
	script func() (connect, rest []byte)
	// check asserts what the server's ops must contain, independent of ids
	// and ports, so it holds for the live run and the golden file alike.
	check func(t *testing.T, ops []codec.Op)
}

const sessionAuth = `authorization {
  users: [
    {user: "codec", password: "s3cret", permissions: {publish: {deny: ["secret.>"]}, subscribe: {deny: ["hidden.>"]}}}
  ]
}`

var trickyPayload = []byte("a\r\nMSG fake 1 1\r\nx\r\n")

// payloadOf returns n deterministic bytes of every value.
func payloadOf(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	return b
}

var sessions = []session{
	{
		name: "session",
		opts: []harness.Option{harness.WithConfig(sessionAuth)},
		script: func() ([]byte, []byte) {
			c := codec.AppendConnect(nil, &codec.ConnectOptions{User: "codec", Pass: "s3cret", Name: "codec-transcript",
				Lang: "go", Version: "test", Protocol: 1, Echo: true, Headers: true, NoResponders: true})
			c = codec.AppendPing(c)
			var b []byte
			b = codec.AppendSub(b, "foo", "", 1)
			b = codec.AppendSub(b, "bar.*", "q", 2)
			b = codec.AppendSub(b, "_INBOX.x.*", "", 3)
			b = codec.AppendSub(b, "hidden.x", "", 4)
			b = codec.AppendSub(b, "foo..bar", "", 5)
			b = codec.AppendPub(b, "foo", "", []byte("hello"))
			b = codec.AppendPub(b, "foo", "_INBOX.x.9", nil)
			h := codec.Header{"X-Trace": {"abc"}, "Multi": {"1", "2"}, "Nats-Msg-Id": {"id-1"}, "lower-case": {"kept"}}
			b = codec.AppendHPub(b, "bar.baz", "", h.Append(nil), []byte("with headers"))
			b = codec.AppendHPub(b, "bar.hdr", "reply.to", codec.Header{"Only": {"headers"}}.Append(nil), nil)
			b = codec.AppendPub(b, "nobody.home", "_INBOX.x.1", nil)
			b = codec.AppendPub(b, "secret.x", "", []byte("abc"))
			b = codec.AppendPub(b, "bar.crlf", "", trickyPayload)
			b = codec.AppendUnsub(b, 1, 0)
			b = codec.AppendPub(b, "foo", "", []byte("not delivered"))
			b = codec.AppendPing(b)
			return c, b
		},
		check: func(t *testing.T, ops []codec.Op) {
			require.NotEmpty(t, ops)
			require.Equal(t, codec.OpInfo, ops[0].Kind)
			info, err := codec.ParseInfo(ops[0].Text)
			require.NoError(t, err)
			assert.True(t, info.Headers)
			assert.True(t, info.AuthRequired)
			assert.Equal(t, 1, info.Proto)
			assert.Equal(t, 1<<20, info.MaxPayload)
			assert.NotEmpty(t, info.ServerID)
			assert.NotEmpty(t, info.Version)

			// The first PING's PONG, then the INFO that answers CONNECT.
			require.Greater(t, len(ops), 3)
			assert.Equal(t, codec.OpPong, ops[1].Kind)
			require.Equal(t, codec.OpInfo, ops[2].Kind)
			ci, err := codec.ParseInfo(ops[2].Text)
			require.NoError(t, err)
			assert.True(t, ci.ConnectInfo)
			assert.Equal(t, codec.OpPong, ops[len(ops)-1].Kind, "ends with the last PING's PONG")

			want := []string{
				`MSG subject="foo" sid="1" reply=nil payload="hello"`,
				`MSG subject="foo" sid="1" reply="_INBOX.x.9" payload=""`,
				`MSG subject="bar.crlf" sid="2" reply=nil payload="a\r\nMSG fake 1 1\r\nx\r\n"`,
				`-ERR text="Permissions Violation for Subscription to \"hidden.x\""`,
				`-ERR text="Invalid Subject"`,
				`-ERR text="Permissions Violation for Publish to \"secret.x\""`,
			}
			var got []string
			for i := range ops {
				got = append(got, ops[i].String())
			}
			for _, w := range want {
				assert.Contains(t, got, w)
			}
			for _, g := range got {
				assert.NotContains(t, g, "not delivered", "delivered after UNSUB")
			}

			var sawHeaders, sawHeadersOnly, sawNoResponders bool
			for _, op := range ops {
				if op.Kind != codec.OpHMsg {
					continue
				}
				h := codec.HeaderView(op.Header)
				require.NoError(t, h.Validate(), "%q", op.Header)
				switch string(op.Subject) {
				case "bar.baz":
					sawHeaders = true
					assert.Equal(t, "2", string(op.SID))
					assert.Equal(t, "with headers", string(op.Payload))
					assert.Equal(t, "abc", string(h.Get("X-Trace")))
					assert.Equal(t, "id-1", string(h.Get("Nats-Msg-Id")))
					assert.Equal(t, "kept", string(h.Get("lower-case")), "case preserved end to end")
					var multi []string
					for v := range h.Values("Multi") {
						multi = append(multi, string(v))
					}
					assert.Equal(t, []string{"1", "2"}, multi)
					assert.Zero(t, h.Status())
				case "bar.hdr":
					sawHeadersOnly = true
					assert.Equal(t, "reply.to", string(op.Reply))
					assert.Equal(t, "headers", string(h.Get("Only")))
					assert.Empty(t, op.Payload)
				case "_INBOX.x.1":
					sawNoResponders = true
					assert.Equal(t, "3", string(op.SID))
					assert.Equal(t, codec.StatusNoResponders, h.Status())
					assert.Nil(t, h.Description())
					assert.Empty(t, op.Payload)
				}
			}
			assert.True(t, sawHeaders, "HMSG with headers")
			assert.True(t, sawHeadersOnly, "HMSG with headers only")
			assert.True(t, sawNoResponders, "503 no responders")
		},
	},
	{
		name: "large",
		script: func() ([]byte, []byte) {
			c := codec.AppendConnect(nil, &codec.ConnectOptions{Lang: "go", Version: "test", Protocol: 1, Echo: true, Headers: true})
			c = codec.AppendPing(c)
			var b []byte
			b = codec.AppendSub(b, "big", "", 1)
			b = codec.AppendPub(b, "big", "", payloadOf(40000))
			b = codec.AppendHPub(b, "big", "r", codec.Header{"Size": {"50000"}}.Append(nil), payloadOf(50000))
			b = codec.AppendPub(b, "big", "", nil)
			b = codec.AppendPing(b)
			return c, b
		},
		check: func(t *testing.T, ops []codec.Op) {
			var sizes []int
			for _, op := range ops {
				if op.Kind == codec.OpMsg || op.Kind == codec.OpHMsg {
					assert.Equal(t, payloadOf(len(op.Payload)), op.Payload)
					sizes = append(sizes, len(op.Payload))
				}
			}
			assert.Equal(t, []int{40000, 50000, 0}, sizes)
			assert.Equal(t, codec.OpPong, ops[len(ops)-1].Kind)
		},
	},
	{
		name: "verbose",
		script: func() ([]byte, []byte) {
			c := codec.AppendConnect(nil, &codec.ConnectOptions{Verbose: true, Pedantic: true, Lang: "go", Version: "test",
				Protocol: 1, Echo: true, Headers: true})
			c = codec.AppendPing(c)
			var b []byte
			b = codec.AppendSub(b, "v", "", 1)
			b = codec.AppendPub(b, "v", "", []byte("hi"))
			b = codec.AppendPub(b, "v.*", "", nil)
			b = codec.AppendPing(b)
			return c, b
		},
		check: func(t *testing.T, ops []codec.Op) {
			var got []string
			for i := range ops {
				got = append(got, ops[i].String())
			}
			assert.Contains(t, got, "+OK")
			assert.Contains(t, got, `MSG subject="v" sid="1" reply=nil payload="hi"`)
			assert.Contains(t, got, `-ERR text="Invalid Publish Subject"`)
			assert.Equal(t, "PONG", got[len(got)-1])
		},
	},
}

// own copies an op out of the reader's buffer.
func own(op *codec.Op) codec.Op {
	return codec.Op{Kind: op.Kind, Subject: bytes.Clone(op.Subject), SID: bytes.Clone(op.SID), Reply: bytes.Clone(op.Reply),
		Header: bytes.Clone(op.Header), Payload: bytes.Clone(op.Payload), Text: bytes.Clone(op.Text)}
}

// play runs a session against a live server and returns the server's bytes.
func play(t *testing.T, s session) []byte {
	srv := harness.RunServer(t, s.opts...)
	conn, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(20*time.Second)))

	var got bytes.Buffer
	r := codec.NewReader(io.TeeReader(conn, &got), codec.Limits{})
	defer r.Release()
	waitFor := func(kind codec.OpKind) {
		t.Helper()
		for {
			op, err := r.Next()
			require.NoError(t, err)
			if op.Kind == kind {
				return
			}
		}
	}
	connect, rest := s.script()
	waitFor(codec.OpInfo)
	_, err = conn.Write(connect)
	require.NoError(t, err)
	waitFor(codec.OpPong)
	_, err = conn.Write(rest)
	require.NoError(t, err)
	waitFor(codec.OpPong)
	// Nothing may follow the last PONG; the buffer must be empty.
	require.Zero(t, r.Buffered())
	return got.Bytes()
}

func decodeServer(t *testing.T, src io.Reader) []codec.Op {
	t.Helper()
	r := codec.NewReader(src, codec.Limits{})
	defer r.Release()
	var ops []codec.Op
	for {
		op, err := r.Next()
		if errors.Is(err, io.EOF) {
			return ops
		}
		require.NoError(t, err)
		ops = append(ops, own(op))
	}
}

func decodeClient(t *testing.T, src io.Reader) []codec.ClientOp {
	t.Helper()
	r := codec.NewClientReader(src, codec.Limits{})
	defer r.Release()
	var ops []codec.ClientOp
	for {
		op, err := r.Next()
		if errors.Is(err, io.EOF) {
			return ops
		}
		require.NoError(t, err)
		ops = append(ops, codec.ClientOp{Kind: op.Kind, Subject: bytes.Clone(op.Subject), Reply: bytes.Clone(op.Reply),
			Queue: bytes.Clone(op.Queue), SID: bytes.Clone(op.SID), Max: op.Max, Header: bytes.Clone(op.Header),
			Payload: bytes.Clone(op.Payload), Text: bytes.Clone(op.Text)})
	}
}

func describeAllClient(ops []codec.ClientOp) []string {
	out := make([]string, len(ops))
	for i := range ops {
		out[i] = ops[i].String()
	}
	return out
}

func describeAll(ops []codec.Op) []string {
	out := make([]string, len(ops))
	for i := range ops {
		out[i] = ops[i].String()
	}
	return out
}

func joinLines(lines []string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// TestLiveTranscripts replays every session against a live server and checks
// the decoded ops; with -update it also rewrites the golden files.
func TestLiveTranscripts(t *testing.T) {
	for _, s := range sessions {
		t.Run(s.name, func(t *testing.T) {
			raw := play(t, s)
			ops := decodeServer(t, bytes.NewReader(raw))
			s.check(t, ops)
			if !*update {
				return
			}
			connect, rest := s.script()
			client := append(connect, rest...)
			require.NoError(t, os.MkdirAll(transcriptDir, 0o755))
			base := filepath.Join(transcriptDir, s.name)
			require.NoError(t, os.WriteFile(base+".raw", raw, 0o644))
			require.NoError(t, os.WriteFile(base+".ops", joinLines(describeAll(ops)), 0o644))
			require.NoError(t, os.WriteFile(base+"-client.raw", client, 0o644))
			require.NoError(t, os.WriteFile(base+"-client.ops", joinLines(describeAllClient(decodeClient(t, bytes.NewReader(client)))), 0o644))
		})
	}
}

// TestTranscripts decodes the golden files exactly: whole, one byte per
// Read, and split in two at every byte boundary.
func TestTranscripts(t *testing.T) {
	for _, s := range sessions {
		t.Run(s.name, func(t *testing.T) {
			base := filepath.Join(transcriptDir, s.name)
			raw, err := os.ReadFile(base + ".raw")
			require.NoError(t, err, "missing transcript: go test ./codec -run TestLiveTranscripts -update")
			wantOps, err := os.ReadFile(base + ".ops")
			require.NoError(t, err)
			want := strings.Split(strings.TrimSuffix(string(wantOps), "\n"), "\n")

			ops := decodeServer(t, bytes.NewReader(raw))
			require.Equal(t, want, describeAll(ops))
			s.check(t, ops)
			assert.Equal(t, want, describeAll(decodeServer(t, iotest.OneByteReader(bytes.NewReader(raw)))), "one byte per read")
			for i := 0; i <= len(raw); i++ {
				if !sameServerOps(t, ops, splitReader(raw, i)) {
					t.Fatalf("split at %d: ops differ", i)
				}
			}

			client, err := os.ReadFile(base + "-client.raw")
			require.NoError(t, err)
			wantClient, err := os.ReadFile(base + "-client.ops")
			require.NoError(t, err)
			cw := strings.Split(strings.TrimSuffix(string(wantClient), "\n"), "\n")
			cops := decodeClient(t, bytes.NewReader(client))
			require.Equal(t, cw, describeAllClient(cops))
			assert.Equal(t, cw, describeAllClient(decodeClient(t, iotest.OneByteReader(bytes.NewReader(client)))), "one byte per read")
			for i := 0; i <= len(client); i++ {
				if !sameClientOps(t, cops, splitReader(client, i)) {
					t.Fatalf("client split at %d: ops differ", i)
				}
			}
		})
	}
}

// sameBytes is bytes.Equal that also tells nil from empty.
func sameBytes(a, b []byte) bool { return (a == nil) == (b == nil) && bytes.Equal(a, b) }

// sameServerOps decodes src and compares it with want without copying, so
// that splitting a large transcript at every byte stays cheap.
func sameServerOps(t *testing.T, want []codec.Op, src io.Reader) bool {
	r := codec.NewReader(src, codec.Limits{})
	defer r.Release()
	for i := range want {
		op, err := r.Next()
		if err != nil {
			t.Logf("op %d: %v", i, err)
			return false
		}
		w := &want[i]
		if op.Kind != w.Kind || !sameBytes(op.Subject, w.Subject) || !sameBytes(op.SID, w.SID) || !sameBytes(op.Reply, w.Reply) ||
			!sameBytes(op.Header, w.Header) || !sameBytes(op.Payload, w.Payload) || !sameBytes(op.Text, w.Text) {
			t.Logf("op %d: got %s, want %s", i, op.String(), w.String())
			return false
		}
	}
	_, err := r.Next()
	return err == io.EOF
}

func sameClientOps(t *testing.T, want []codec.ClientOp, src io.Reader) bool {
	r := codec.NewClientReader(src, codec.Limits{})
	defer r.Release()
	for i := range want {
		op, err := r.Next()
		if err != nil {
			t.Logf("op %d: %v", i, err)
			return false
		}
		w := &want[i]
		if op.Kind != w.Kind || !sameBytes(op.Subject, w.Subject) || !sameBytes(op.Reply, w.Reply) || !sameBytes(op.Queue, w.Queue) ||
			!sameBytes(op.SID, w.SID) || op.Max != w.Max || !sameBytes(op.Header, w.Header) || !sameBytes(op.Payload, w.Payload) ||
			!sameBytes(op.Text, w.Text) {
			t.Logf("op %d: got %s, want %s", i, op.String(), w.String())
			return false
		}
	}
	_, err := r.Next()
	return err == io.EOF
}

// splitReader returns data[:at] in its first Read and the rest in the next.
func splitReader(data []byte, at int) io.Reader {
	return io.MultiReader(bytes.NewReader(data[:at]), bytes.NewReader(data[at:]))
}

func Example_transcriptFormat() {
	// The .ops files hold one op per line in this form.
	op := codec.Op{Kind: codec.OpMsg, Subject: []byte("foo"), SID: []byte("1"), Payload: []byte("hi")}
	fmt.Println(op.String())
	// Output: MSG subject="foo" sid="1" reply=nil payload="hi"
}
