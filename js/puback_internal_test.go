package js

import (
	"encoding/json"
	"errors"
	"testing"
)

// The fast PubAck parser agrees with encoding/json on every input it
// accepts, and leaves the rest to it.
func TestAckParserMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		`{"stream":"S","seq":1}`,
		`{"stream":"S","seq":18446744073709551615,"duplicate":true}`,
		` { "stream" : "S" , "seq" : 7 , "domain" : "hub" } `,
		`{"stream":"C","seq":3,"val":"-12345678901234567890"}`,
		`{"stream":"B","seq":9,"batch":"id","count":4}`,
		`{"stream":"S","seq":2,"duplicate":false,"future":"x","n":5}`,
		`{"stream":"S\u0041","seq":1}`,
		`{"stream":"S","seq":1.5}`,
		`{"stream":"S","seq":1,"nested":{"a":1}}`,
		`{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"},"stream":"S"}`,
		`{"stream":"S","seq":-1}`,
		`{"stream":"S","seq":1}trailing`,
		`{}`, `null`, ``, `{"stream":"S"`, `{"stream":"S","seq":99999999999999999999}`,
	}
	for _, in := range cases {
		var p ackParser
		var got PubAck
		err := p.parse([]byte(in), &got)
		var want pubAckResponse
		jerr := json.Unmarshal([]byte(in), &want)
		switch {
		case jerr != nil:
			if !errors.Is(err, ErrInvalidResponse) {
				t.Errorf("%s: json fails (%v), parser gave %v", in, jerr, err)
			}
		case want.Error != nil:
			var ae *APIError
			if !errors.As(err, &ae) || ae.ErrCode != want.Error.ErrCode {
				t.Errorf("%s: want api error %v, got %v", in, want.Error, err)
			}
		case want.Stream == "":
			if !errors.Is(err, ErrInvalidResponse) {
				t.Errorf("%s: no stream accepted: %v", in, err)
			}
		default:
			if err != nil || got != want.PubAck {
				t.Errorf("%s: got %+v, %v; want %+v", in, got, err, want.PubAck)
			}
		}
	}
}

func FuzzAckParser(f *testing.F) {
	for _, s := range []string{`{"stream":"S","seq":1}`, `{"stream":"S","seq":2,"duplicate":true,"domain":"d"}`, `{"error":{"code":503}}`, `{"a":[1,{"b":2}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var p ackParser
		var got PubAck
		err := p.parse(b, &got)
		var want pubAckResponse
		if json.Unmarshal(b, &want) != nil || want.Error != nil || want.Stream == "" {
			if err == nil {
				t.Fatalf("%q: accepted %+v where encoding/json does not", b, got)
			}
			return
		}
		if err != nil || got != want.PubAck {
			t.Fatalf("%q: got %+v, %v; want %+v", b, got, err, want.PubAck)
		}
	})
}

// A repeated stream name costs nothing: the parser keeps the last one.
func TestAckParserAllocs(t *testing.T) {
	var p ackParser
	var ack PubAck
	b := []byte(`{"stream":"ORDERS","seq":12345,"duplicate":true}`)
	if err := p.parse(b, &ack); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { _ = p.parse(b, &ack) }); n != 0 {
		t.Fatalf("allocs per parse: %v", n)
	}
}

func TestParseSlotToken(t *testing.T) {
	for in, want := range map[string][2]uint64{"0.0": {0, 0}, "3999.17": {3999, 17}, "12.4294967295": {12, 4294967295}} {
		idx, gen, ok := parseSlotToken([]byte(in))
		if !ok || uint64(idx) != want[0] || uint64(gen) != want[1] {
			t.Errorf("%s: %d %d %v", in, idx, gen, ok)
		}
	}
	for _, in := range []string{"", ".", "1.", ".1", "a.1", "1.a", "1.2.3", "99999999999.1", "1.99999999999", "-1.1", "1.4294967296"} {
		if _, _, ok := parseSlotToken([]byte(in)); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestDeadlineQueueWraps(t *testing.T) {
	var q deadlineQueue
	for round := 0; round < 5; round++ {
		for i := 0; i < 100; i++ {
			q.push(deadlineEntry{at: int64(round*1000 + i)})
		}
		for i := 0; i < 100; i++ {
			if e := q.front(); e.at != int64(round*1000+i) {
				t.Fatalf("round %d: front %d, want %d", round, e.at, round*1000+i)
			}
			q.pop()
		}
	}
	if q.len() != 0 || len(q.buf) != 128 {
		t.Fatalf("len %d, cap %d", q.len(), len(q.buf))
	}
}

func TestParseTimeStamp(t *testing.T) {
	for _, s := range []string{"2026-11-30T17:00:00.123456789Z", "2022-08-06 00:29:27.58 +0000 UTC", "2022-08-06 00:29:27.58 +0000 UTC m=+1.000"} {
		if _, err := parseTimeStamp(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	if _, err := parseTimeStamp("yesterday"); !errors.Is(err, ErrInvalidResponse) {
		t.Errorf("bad stamp: %v", err)
	}
}
