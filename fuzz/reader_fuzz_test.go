package fuzz

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/starling-nats/starling/codec"
)

// FuzzReader feeds arbitrary bytes to Reader, whole, one byte per Read and
// split in two, under small and default limits. Valid streams must
// re-encode to themselves and decode without allocating.
func FuzzReader(f *testing.F) {
	f.Add([]byte("INFO {}\r\nMSG a 1 2\r\nhi\r\nHMSG a 1 r 12 13\r\nNATS/1.0\r\n\r\nx\r\nPING\r\nPONG\r\n+OK\r\n-ERR 'x'\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if decodeAll(t, data, decodeServer).class == io.EOF.Error() {
			reencodeServer(t, data)
			noAllocsServer(t, data)
		}
	})
}

// reencodeServer encodes every op of a valid stream again with the codec's
// own encoders and checks the result decodes to the same ops.
func reencodeServer(t *testing.T, data []byte) {
	r := codec.NewReader(bytes.NewReader(data), codec.Limits{})
	defer r.Release()
	var out []byte
	want := new(opLog)
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
			want.addServer(&canon)
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
		want.addServer(op)
	}
	got := decodeServer(t, bytes.NewReader(out), len(out), codec.Limits{MaxControlLine: 1 << 20, MaxPayload: 1 << 30, MaxInfo: 1 << 20})
	if got.class != io.EOF.Error() {
		t.Fatalf("re-encoded stream fails: %s\n%q", got.class, out)
	}
	want.class = got.class
	sameResult(t, "re-encoded", want, got)
}

// FuzzClientReader is FuzzReader for ClientReader.
func FuzzClientReader(f *testing.F) {
	f.Add([]byte("CONNECT {}\r\nSUB a 1\r\nSUB a q 2\r\nPUB a 2\r\nhi\r\nHPUB a r 12 13\r\nNATS/1.0\r\n\r\nx\r\nUNSUB 1 5\r\nPING\r\nPONG\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if decodeAll(t, data, decodeClient).class == io.EOF.Error() {
			reencodeClient(t, data)
			noAllocsClient(t, data)
		}
	})
}

func reencodeClient(t *testing.T, data []byte) {
	r := codec.NewClientReader(bytes.NewReader(data), codec.Limits{})
	defer r.Release()
	var out []byte
	want := new(opLog)
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
		want.addClient(&canon)
	}
	got := decodeClient(t, bytes.NewReader(out), len(out), codec.Limits{MaxControlLine: 1 << 20, MaxPayload: 1 << 30})
	if got.class != io.EOF.Error() {
		t.Fatalf("re-encoded stream fails: %s\n%q", got.class, out)
	}
	want.class = got.class
	sameResult(t, "re-encoded", want, got)
}
