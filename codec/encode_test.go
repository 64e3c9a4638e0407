package codec

import (
	"testing"
)

// Protocol-facts §1.2: exact bytes of every encoder.
func TestEncoders(t *testing.T) {
	hdr := []byte("NATS/1.0\r\nA: b\r\n\r\n")
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"pub", AppendPub(nil, "foo.bar", "", []byte("hello")), "PUB foo.bar 5\r\nhello\r\n"},
		{"pub reply", AppendPub(nil, "foo", "_INBOX.1", []byte("hi")), "PUB foo _INBOX.1 2\r\nhi\r\n"},
		{"pub empty", AppendPub(nil, "foo", "", nil), "PUB foo 0\r\n\r\n"},
		{"hpub", AppendHPub(nil, "orders.new", "", []byte("NATS/1.0\r\nTrace: abc\r\n\r\n"), []byte("hello")),
			"HPUB orders.new 24 29\r\nNATS/1.0\r\nTrace: abc\r\n\r\nhello\r\n"},
		{"hpub reply", AppendHPub(nil, "foo", "r", hdr, nil), "HPUB foo r 18 18\r\nNATS/1.0\r\nA: b\r\n\r\n\r\n"},
		{"sub", AppendSub(nil, "foo.*", "", 1), "SUB foo.* 1\r\n"},
		{"sub queue", AppendSub(nil, "foo.>", "workers", 18446744073709551615), "SUB foo.> workers 18446744073709551615\r\n"},
		{"unsub", AppendUnsub(nil, 7, 0), "UNSUB 7\r\n"},
		{"unsub negative max", AppendUnsub(nil, 7, -3), "UNSUB 7\r\n"},
		{"unsub max", AppendUnsub(nil, 7, 10), "UNSUB 7 10\r\n"},
		{"ping", AppendPing(nil), "PING\r\n"},
		{"pong", AppendPong(nil), "PONG\r\n"},
		{"ok", AppendOK(nil), "+OK\r\n"},
		{"err", AppendErr(nil, "Unknown Protocol Operation"), "-ERR 'Unknown Protocol Operation'\r\n"},
		{"msg", AppendMsg(nil, "foo", 9, "", []byte("hello")), "MSG foo 9 5\r\nhello\r\n"},
		{"msg reply", AppendMsg(nil, "foo", 9, "bar", nil), "MSG foo 9 bar 0\r\n\r\n"},
		{"hmsg", AppendHMsg(nil, "foo", 1, "", hdr, []byte("x")), "HMSG foo 1 18 19\r\nNATS/1.0\r\nA: b\r\n\r\nx\r\n"},
		{"hmsg reply", AppendHMsg(nil, "foo", 1, "r", []byte("NATS/1.0 503\r\n\r\n"), nil), "HMSG foo 1 r 16 16\r\nNATS/1.0 503\r\n\r\n\r\n"},
		{"appends", AppendPong(AppendPing([]byte("x"))), "xPING\r\nPONG\r\n"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, string(tt.got), tt.name)
	}
}

func TestAppendConnect(t *testing.T) {
	got := AppendConnect(nil, &ConnectOptions{Lang: "go", Version: "0.1.0", Protocol: 1, Echo: true, Headers: true, NoResponders: true})
	assert.Equal(t, `CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"name":"","lang":"go","version":"0.1.0","protocol":1,"echo":true,"headers":true,"no_responders":true}`+"\r\n", string(got))

	all := &ConnectOptions{Verbose: true, Pedantic: true, TLSRequired: true, AuthToken: "t", User: "u", Pass: "p\"w",
		Name: "n\n", Lang: "go", Version: "1", Protocol: 1, Echo: true, Sig: "s", JWT: "j", NKey: "UK", Headers: true, NoResponders: true}
	got = AppendConnect(nil, all)
	assert.Equal(t, `CONNECT {"verbose":true,"pedantic":true,"tls_required":true,"auth_token":"t","user":"u","pass":"p\"w","name":"n\n","lang":"go","version":"1","protocol":1,"echo":true,"sig":"s","jwt":"j","nkey":"UK","headers":true,"no_responders":true}`+"\r\n", string(got))
}

// Every encoder appends without allocating once dst has room.
func TestEncodersDoNotAllocate(t *testing.T) {
	payload := make([]byte, 128)
	hdr := Header{"Nats-Msg-Id": {"1"}}.Append(nil)
	co := &ConnectOptions{User: "user", Pass: "p\"ss\u2028\x01", Name: "conn", Lang: "go", Version: "0.1.0",
		Protocol: 1, Echo: true, Headers: true, NoResponders: true, JWT: "eyJ", Sig: "sig", NKey: "UA"}
	info := &ServerInfo{ServerID: "NABC", ServerName: "n", Version: "2.15.2", Proto: 1, GoVersion: "go1.26", Host: "0.0.0.0",
		Port: 4222, Headers: true, MaxPayload: 1 << 20, ClientID: 5, ConnectURLs: []string{"a:1", "b:2"}, Nonce: "xyz", APILevel: 3}
	h := Header{"A": {"1", "2"}, "B": {"3"}}
	dst := make([]byte, 0, 4096)
	encoders := map[string]func(){
		"AppendPub":           func() { dst = AppendPub(dst[:0], "foo.bar", "_INBOX.x", payload) },
		"AppendHPub":          func() { dst = AppendHPub(dst[:0], "foo.bar", "_INBOX.x", hdr, payload) },
		"AppendSub":           func() { dst = AppendSub(dst[:0], "foo.>", "q", 123) },
		"AppendUnsub":         func() { dst = AppendUnsub(dst[:0], 123, 5) },
		"AppendPing":          func() { dst = AppendPing(dst[:0]) },
		"AppendPong":          func() { dst = AppendPong(dst[:0]) },
		"AppendOK":            func() { dst = AppendOK(dst[:0]) },
		"AppendErr":           func() { dst = AppendErr(dst[:0], "Authorization Violation") },
		"AppendMsg":           func() { dst = AppendMsg(dst[:0], "foo.bar", 9, "r", payload) },
		"AppendHMsg":          func() { dst = AppendHMsg(dst[:0], "foo.bar", 9, "r", hdr, payload) },
		"AppendConnect":       func() { dst = AppendConnect(dst[:0], co) },
		"AppendInfo":          func() { dst = AppendInfo(dst[:0], info) },
		"Header.Append":       func() { dst = h.Append(dst[:0]) },
		"Header.AppendStatus": func() { dst = h.AppendStatus(dst[:0], 503, "No Responders") },
	}
	for name, f := range encoders {
		assert.Zero(t, testing.AllocsPerRun(100, f), name)
	}
}
