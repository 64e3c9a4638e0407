package js

import (
	"errors"
	"testing"
	"time"
)

// TestMetadataADR15 checks both ack subject forms of ADR-15 (protocol-facts
// §2.7) and the shapes that must be refused.
func TestMetadataADR15(t *testing.T) {
	ts := time.Date(2026, 11, 30, 12, 0, 0, 123456789, time.UTC)
	tsn := "1796040000123456789"
	if got := time.Unix(0, 1796040000123456789).UTC(); !got.Equal(ts) {
		t.Fatalf("fixture: %v", got)
	}
	cases := []struct {
		subject string
		want    MsgMetadata
	}{
		{"$JS.ACK.ORDERS.dur.3.100.42." + tsn + ".7",
			MsgMetadata{Stream: "ORDERS", Consumer: "dur", NumDelivered: 3, StreamSeq: 100, ConsumerSeq: 42, NumPending: 7}},
		{"$JS.ACK._.ACCHASH.ORDERS.dur.1.2.3." + tsn + ".0",
			MsgMetadata{Stream: "ORDERS", Consumer: "dur", NumDelivered: 1, StreamSeq: 2, ConsumerSeq: 3}},
		{"$JS.ACK.hub.ACCHASH.ORDERS.dur.1.2.3." + tsn + ".0.rnd.more",
			MsgMetadata{Domain: "hub", Stream: "ORDERS", Consumer: "dur", NumDelivered: 1, StreamSeq: 2, ConsumerSeq: 3}},
	}
	for _, c := range cases {
		md, err := ParseMetadata(c.subject)
		if err != nil {
			t.Fatalf("%s: %v", c.subject, err)
		}
		if !md.Timestamp.Equal(ts) {
			t.Errorf("%s: timestamp %v", c.subject, md.Timestamp)
		}
		md.Timestamp = time.Time{}
		if md != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.subject, md, c.want)
		}
	}
	bad := []string{
		"",
		"$JS.ACK",
		"$JS.ACK.",
		"$JS.ACK.S.C.1.2.3.4",     // 8 tokens
		"$JS.ACK._.H.S.C.1.2.3.4", // 10 tokens
		"$JS.ACK.S.C.1.2.3.4.5.",  // empty last token
		"$JS.ACK.S..1.2.3.4.5",    // empty token
		"$JS.ACK.S.C.x.2.3.4.5",   // not a number
		"$JS.ACK.S.C.1.2.3.4.99999999999999999999999", // overflow
		"$JS.NAK.S.C.1.2.3.4.5",
		"_INBOX.a.b.c.d.e.f.g.h",
	}
	for _, s := range bad {
		if _, err := ParseMetadata(s); !errors.Is(err, ErrNotJSMessage) {
			t.Errorf("%q: err %v, want ErrNotJSMessage", s, err)
		}
	}
}

func TestMetadataAllocs(t *testing.T) {
	v1 := "$JS.ACK.ORDERS.dur.3.100.42.1796040000123456789.7"
	v2 := []byte("$JS.ACK.hub.ACCHASH.ORDERS.dur.1.2.3.1796040000123456789.0.rnd")
	m := &Msg{Reply: v1}
	b := &BorrowedMsg{Reply: v2}
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := m.Metadata(); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Metadata(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Fatalf("Metadata allocates %v times, want 0", n)
	}
}

func FuzzParseMetadata(f *testing.F) {
	f.Add("$JS.ACK.ORDERS.dur.3.100.42.1796040000123456789.7")
	f.Add("$JS.ACK._.H.S.C.1.2.3.4.5.x")
	f.Fuzz(func(t *testing.T, s string) {
		md, err := ParseMetadata(s)
		if err == nil && (md.Stream == "" || md.Consumer == "") {
			t.Fatalf("%q parsed with empty names", s)
		}
	})
}

// TestAckAtMostOnce: a terminal ack marks the message; further acks, even
// InProgress, send nothing and say so.
func TestAckAtMostOnce(t *testing.T) {
	m := &Msg{Reply: "x"}
	if err := m.Ack(); !errors.Is(err, ErrNotJSMessage) {
		t.Fatalf("ack of a non-js message: %v", err)
	}
	b := &BorrowedMsg{Reply: []byte("_INBOX.x")}
	if err := b.Nak(); !errors.Is(err, ErrNotJSMessage) {
		t.Fatalf("nak of a non-js message: %v", err)
	}
	if got := string(appendNakDelay(nil, 1500*time.Millisecond)); got != `-NAK {"delay":1500000000}` {
		t.Fatalf("nak delay payload %q", got)
	}
	if got := string(appendTerm(nil, "bad input")); got != "+TERM bad input" {
		t.Fatalf("term payload %q", got)
	}
	if got := string(appendTerm(nil, "")); got != "+TERM" {
		t.Fatalf("term payload %q", got)
	}
}
