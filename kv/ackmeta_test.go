package kv

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

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

// TestParseAck_MatchesSplit compares parseAck with a reading by
// strings.Split on subjects built from random tokens, numbers or not.
func TestParseAck_MatchesSplit(t *testing.T) {
	ref := func(s string) (ackMeta, bool) {
		tok := strings.Split(s, ".")
		if len(tok) < 2 || tok[0] != "$JS" || tok[1] != "ACK" {
			return ackMeta{}, false
		}
		base := 0
		switch {
		case len(tok) == 9:
			base = 4
		case len(tok) >= 11:
			base = 6
		default:
			return ackMeta{}, false
		}
		var v [4]uint64
		for i := range v {
			x := tok[base+1+i]
			if x == "" || strings.TrimLeft(x, "0123456789") != "" {
				return ackMeta{}, false
			}
			n, err := strconv.ParseUint(x, 10, 64)
			if err != nil {
				return ackMeta{}, false
			}
			v[i] = n
		}
		if v[2] > 1<<63-1 {
			return ackMeta{}, false
		}
		return ackMeta{streamSeq: v[0], consumerSeq: v[1], timestamp: int64(v[2]), pending: v[3]}, true
	}
	r := rand.New(rand.NewPCG(1, 2))
	pieces := []string{"", "0", "7", "42", "1700000000000000000", "18446744073709551615", "18446744073709551616", "KV_b", "c", "x1", "-3"}
	for range 20000 {
		parts := []string{"$JS", "ACK"}
		for range 5 + r.IntN(10) {
			parts = append(parts, pieces[r.IntN(len(pieces))])
		}
		s := strings.Join(parts, ".")
		got, ok := parseAck([]byte(s))
		want, wok := ref(s)
		if ok != wok || got != want {
			t.Fatalf("parseAck(%q) = %+v, %v; strings.Split reads %+v, %v", s, got, ok, want, wok)
		}
	}
}
