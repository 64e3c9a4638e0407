package codec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/starling-nats/starling/codec"
	"io"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// Round-trip properties: every server op written by an encoder decodes to
// itself through Reader, and every client op through ClientReader, whatever
// the read boundaries.

var (
	genToken   = rapid.StringMatching(`[^ \t\r\n]{1,40}`)
	genPayload = rapid.SliceOfN(rapid.Byte(), 0, 300)
	genText    = rapid.StringMatching(`[^\r\n]{0,60}`)
	genKey     = rapid.StringMatching(`[!-9;-~]{1,20}`) // printable ASCII except ':'
	genValue   = rapid.StringMatching(`[!-~]([ -~]{0,18}[!-~])?`)
)

func genHeader(t *rapid.T) codec.Header {
	h := codec.Header{}
	for range rapid.IntRange(0, 5).Draw(t, "fields") {
		h.Add(genKey.Draw(t, "key"), genValue.Draw(t, "value"))
	}
	return h
}

// jsonNormal is what a JSON round trip makes of v (invalid UTF-8 becomes
// U+FFFD): the value a decoder can be expected to return.
func jsonNormal[T any](t *rapid.T, v *T) *T {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out := new(T)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
	return out
}

// chunked returns data in reads of random sizes.
func chunked(t *rapid.T, data []byte) io.Reader {
	sizes := rapid.SliceOfN(rapid.IntRange(1, 64), 1, 8).Draw(t, "chunks")
	return &chunkReader{data: data, sizes: sizes}
}

var wideLimits = codec.Limits{MaxControlLine: 1 << 16, MaxPayload: 1 << 20, MaxInfo: 1 << 20}

func TestRoundTripServerOps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var wire []byte
		var want []string
		var infos []*codec.ServerInfo
		for range rapid.IntRange(1, 12).Draw(t, "ops") {
			switch rapid.IntRange(0, 6).Draw(t, "kind") {
			case 0:
				info := genInfo().Draw(t, "info")
				wire = codec.AppendInfo(wire, info)
				infos = append(infos, jsonNormal(t, info))
				want = append(want, "INFO")
			case 1, 2:
				subj, sid := genToken.Draw(t, "subject"), rapid.Uint64().Draw(t, "sid")
				reply := rapid.OneOf(rapid.Just(""), genToken).Draw(t, "reply")
				payload := genPayload.Draw(t, "payload")
				op := codec.Op{Kind: codec.OpMsg, Subject: []byte(subj), SID: []byte(strconv.FormatUint(sid, 10)), Payload: append([]byte{}, payload...)}
				if reply != "" {
					op.Reply = []byte(reply)
				}
				if rapid.Bool().Draw(t, "headers") {
					var hdr []byte
					if rapid.Bool().Draw(t, "status") {
						hdr = genHeader(t).AppendStatus(nil, rapid.IntRange(100, 999).Draw(t, "code"), genText.Draw(t, "desc"))
					} else {
						hdr = genHeader(t).Append(nil)
					}
					op.Kind, op.Header = codec.OpHMsg, hdr
					wire = codec.AppendHMsg(wire, subj, sid, reply, hdr, payload)
				} else {
					wire = codec.AppendMsg(wire, subj, sid, reply, payload)
				}
				want = append(want, op.String())
			case 3:
				wire = codec.AppendPing(wire)
				want = append(want, "PING")
			case 4:
				wire = codec.AppendPong(wire)
				want = append(want, "PONG")
			case 5:
				wire = codec.AppendOK(wire)
				want = append(want, "+OK")
			case 6:
				text := genText.Draw(t, "err")
				wire = codec.AppendErr(wire, text)
				want = append(want, (&codec.Op{Kind: codec.OpErr, Text: []byte(text)}).String())
			}
		}
		r := codec.NewReader(chunked(t, wire), wideLimits)
		defer r.Release()
		for i, w := range want {
			op, err := r.Next()
			if err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
			if op.Kind == codec.OpInfo {
				got, err := codec.ParseInfo(op.Text)
				if err != nil {
					t.Fatalf("op %d: %v", i, err)
				}
				if wantInfo := infos[0]; !jsonEqual(got, wantInfo) {
					t.Fatalf("op %d: INFO %+v, want %+v", i, got, wantInfo)
				}
				infos = infos[1:]
				continue
			}
			if got := op.String(); got != w {
				t.Fatalf("op %d:\n got %s\nwant %s", i, got, w)
			}
			if op.Kind == codec.OpHMsg {
				if _, err := codec.ParseHeader(op.Header); err != nil {
					t.Fatalf("op %d: header written by Header.Append does not parse: %v", i, err)
				}
			}
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last op: %v", err)
		}
	})
}

func TestRoundTripClientOps(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var wire []byte
		var want []string
		var connects []*codec.ConnectOptions
		for range rapid.IntRange(1, 12).Draw(t, "ops") {
			switch rapid.IntRange(0, 6).Draw(t, "kind") {
			case 0:
				o := genConnect().Draw(t, "connect")
				wire = codec.AppendConnect(wire, o)
				connects = append(connects, jsonNormal(t, o))
				want = append(want, "CONNECT")
			case 1, 2:
				subj := genToken.Draw(t, "subject")
				reply := rapid.OneOf(rapid.Just(""), genToken).Draw(t, "reply")
				payload := genPayload.Draw(t, "payload")
				op := codec.ClientOp{Kind: codec.OpPub, Subject: []byte(subj), Payload: append([]byte{}, payload...)}
				if reply != "" {
					op.Reply = []byte(reply)
				}
				if rapid.Bool().Draw(t, "headers") {
					hdr := genHeader(t).Append(nil)
					op.Kind, op.Header = codec.OpHPub, hdr
					wire = codec.AppendHPub(wire, subj, reply, hdr, payload)
				} else {
					wire = codec.AppendPub(wire, subj, reply, payload)
				}
				want = append(want, op.String())
			case 3:
				subj := genToken.Draw(t, "subject")
				queue := rapid.OneOf(rapid.Just(""), genToken).Draw(t, "queue")
				sid := rapid.Uint64().Draw(t, "sid")
				op := codec.ClientOp{Kind: codec.OpSub, Subject: []byte(subj), SID: []byte(strconv.FormatUint(sid, 10))}
				if queue != "" {
					op.Queue = []byte(queue)
				}
				wire = codec.AppendSub(wire, subj, queue, sid)
				want = append(want, op.String())
			case 4:
				sid := rapid.Uint64().Draw(t, "sid")
				max := rapid.IntRange(-5, 1<<40).Draw(t, "max")
				wire = codec.AppendUnsub(wire, sid, max)
				want = append(want, (&codec.ClientOp{Kind: codec.OpUnsub, SID: []byte(strconv.FormatUint(sid, 10)), Max: max * boolInt(max > 0)}).String())
			case 5:
				wire = codec.AppendPing(wire)
				want = append(want, "PING")
			case 6:
				wire = codec.AppendPong(wire)
				want = append(want, "PONG")
			}
		}
		r := codec.NewClientReader(chunked(t, wire), wideLimits)
		defer r.Release()
		for i, w := range want {
			op, err := r.Next()
			if err != nil {
				t.Fatalf("op %d: %v", i, err)
			}
			if op.Kind == codec.OpConnect {
				got, err := codec.ParseConnect(op.Text)
				if err != nil {
					t.Fatalf("op %d: %v", i, err)
				}
				if !jsonEqual(got, connects[0]) {
					t.Fatalf("op %d: CONNECT %+v, want %+v", i, got, connects[0])
				}
				connects = connects[1:]
				continue
			}
			if got := op.String(); got != w {
				t.Fatalf("op %d:\n got %s\nwant %s", i, got, w)
			}
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("after the last op: %v", err)
		}
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}
