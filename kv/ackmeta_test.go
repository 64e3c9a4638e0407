package kv

import "testing"

// TestParseAck_Forms checks both ack subject forms of protocol-facts §2.7
// and refuses the malformed ones.
func TestParseAck_Forms(t *testing.T) {
	want := ackMeta{streamSeq: 42, consumerSeq: 7, timestamp: 1700000000000000000, pending: 3}
	for _, s := range []string{
		"$JS.ACK.KV_b.c.1.42.7.1700000000000000000.3",
		"$JS.ACK._.hash.KV_b.c.1.42.7.1700000000000000000.3",
		"$JS.ACK.dom.hash.KV_b.c.1.42.7.1700000000000000000.3.extra.tokens",
	} {
		got, ok := parseAck([]byte(s))
		if !ok || got != want {
			t.Errorf("parseAck(%q) = %+v, %v", s, got, ok)
		}
	}
	for _, s := range []string{
		"", "$JS.ACK", "$JS.ACK.a.b.c", "$JS.ACK.KV_b.c.1.42.7.17.3.x", // 10 tokens
		"$JS.NAK.KV_b.c.1.42.7.1700.3", "$JS.ACK.KV_b.c.1.-4.7.1700.3",
		"$JS.ACK.KV_b.c.1.42.7.1700.99999999999999999999999",
		"$JS.ACK.KV_b.c.1.42.7.18446744073709551615.3",
	} {
		if _, ok := parseAck([]byte(s)); ok {
			t.Errorf("parseAck(%q) accepted", s)
		}
	}
	if n := testing.AllocsPerRun(100, func() { parseAck([]byte("$JS.ACK.KV_b.c.1.42.7.1700000000000000000.3")) }); n != 0 {
		t.Errorf("parseAck allocates %v", n)
	}
}
