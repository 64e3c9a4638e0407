package codec_test

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/starling-nats/starling/codec"
)

// Decoding what a server sends. The op and its slices are borrowed until the
// next call to Next: copy (string(...), bytes.Clone) what must be kept.
func ExampleReader() {
	stream := "INFO {\"server_id\":\"S1\",\"max_payload\":1048576,\"headers\":true}\r\n" +
		"MSG orders.new 1 5\r\nhello\r\n" +
		"HMSG orders.new 1 _INBOX.a 24 29\r\nNATS/1.0\r\nTrace: abc\r\n\r\nhello\r\n" +
		"PING\r\n"
	r := codec.NewReader(strings.NewReader(stream), codec.Limits{})
	defer r.Release()
	for {
		op, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		switch op.Kind {
		case codec.OpInfo:
			info, err := codec.ParseInfo(op.Text)
			if err != nil {
				fmt.Println("error:", err)
				return
			}
			r.SetMaxPayload(info.MaxPayload)
			fmt.Println("INFO from", info.ServerID)
		case codec.OpMsg:
			fmt.Printf("MSG %s sid=%s %q\n", op.Subject, op.SID, op.Payload)
		case codec.OpHMsg:
			fmt.Printf("HMSG %s reply=%s Trace=%s %q\n", op.Subject, op.Reply, op.HeaderView().Get("Trace"), op.Payload)
		case codec.OpPing:
			fmt.Println("PING: answer with", strings.TrimSpace(string(codec.AppendPong(nil))))
		}
	}
	// Output:
	// INFO from S1
	// MSG orders.new sid=1 "hello"
	// HMSG orders.new reply=_INBOX.a Trace=abc "hello"
	// PING: answer with PONG
}

// Encoders append to a caller's buffer; reusing it makes publishing
// allocation-free.
func ExampleAppendPub() {
	buf := make([]byte, 0, 256)
	buf = codec.AppendPub(buf, "orders.new", "", []byte("hello"))
	buf = codec.AppendPub(buf, "svc.echo", "_INBOX.x1", []byte("ping"))
	fmt.Printf("%q\n", buf)
	// Output: "PUB orders.new 5\r\nhello\r\nPUB svc.echo _INBOX.x1 4\r\nping\r\n"
}

func ExampleAppendHPub() {
	hdr := codec.Header{"Nats-Msg-Id": {"order-17"}}.Append(nil)
	fmt.Printf("%q\n", codec.AppendHPub(nil, "orders.new", "", hdr, []byte("hello")))
	// Output: "HPUB orders.new 35 40\r\nNATS/1.0\r\nNats-Msg-Id: order-17\r\n\r\nhello\r\n"
}

func ExampleAppendConnect() {
	fmt.Printf("%s", codec.AppendConnect(nil, &codec.ConnectOptions{
		Name: "worker", Lang: "go", Version: "0.1.0", Protocol: 1, Echo: true, Headers: true, NoResponders: true,
	}))
	// Output: CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":"worker","lang":"go","version":"0.1.0","protocol":1,"echo":true,"headers":true,"no_responders":true}
}

// HeaderView reads a header block in place, without allocating.
func ExampleHeaderView() {
	h := codec.HeaderView("NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 42\r\nNats-Last-Stream: 99\r\nX-Tag: a\r\nX-Tag: b\r\n\r\n")
	fmt.Println(h.Status(), string(h.Description()))
	fmt.Println(string(h.Get("Nats-Last-Stream")))
	fmt.Printf("%q\n", h.Get("nats-last-stream")) // case-sensitive
	fmt.Println(string(h.GetFold("nats-last-stream")))
	for v := range h.Values("X-Tag") {
		fmt.Println("X-Tag", string(v))
	}
	// Output:
	// 100 Idle Heartbeat
	// 99
	// ""
	// 99
	// X-Tag a
	// X-Tag b
}

func ExampleHeader() {
	h := codec.Header{}
	h.Set("Nats-Msg-Id", "1")
	h.Add("tag", "a")
	h.Add("tag", "b")
	block := h.Append(nil)
	fmt.Printf("%q\n", block)
	back, err := codec.ParseHeader(block)
	fmt.Println(back["tag"], err)
	// Output:
	// "NATS/1.0\r\nNats-Msg-Id: 1\r\ntag: a\r\ntag: b\r\n\r\n"
	// [a b] <nil>
}

// A fake server reads what a client sends with ClientReader and answers with
// the server-side encoders.
func ExampleClientReader() {
	in := "CONNECT {\"verbose\":false}\r\nSUB greet 1\r\nPUB greet 2\r\nhi\r\nPING\r\n"
	r := codec.NewClientReader(strings.NewReader(in), codec.Limits{})
	defer r.Release()
	var out []byte
	for {
		op, err := r.Next()
		if err != nil {
			break
		}
		switch op.Kind {
		case codec.OpPub:
			out = codec.AppendMsg(out, string(op.Subject), 1, string(op.Reply), op.Payload)
		case codec.OpPing:
			out = codec.AppendPong(out)
		}
	}
	fmt.Printf("%q\n", out)
	// Output: "MSG greet 1 2\r\nhi\r\nPONG\r\n"
}

// Protocol errors carry a kind for errors.Is and the stream offset.
func ExampleProtocolError() {
	r := codec.NewReader(strings.NewReader("PING\r\nMSG big 1 2000000\r\n"), codec.Limits{})
	defer r.Release()
	_, _ = r.Next()
	_, err := r.Next()
	fmt.Println(errors.Is(err, codec.ErrPayloadTooLarge))
	fmt.Println(err)
	// Output:
	// true
	// codec: MSG at offset 6: payload of 2000000 bytes exceeds the limit of 1048576
}
