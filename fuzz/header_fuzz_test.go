package fuzz

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/starling-nats/starling/codec"
)

// FuzzHeader feeds arbitrary bytes to HeaderView, ParseHeader and back
// through Header.AppendStatus.
func FuzzHeader(f *testing.F) {
	f.Add([]byte("NATS/1.0 503\r\nNats-Subject: foo\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h := codec.HeaderView(data)
		status := h.Status()
		desc := h.Description()
		if status != 0 && (status < 100 || status > 999) {
			t.Fatalf("status %d", status)
		}
		if status == 0 && desc != nil {
			t.Fatalf("description %q without status", desc)
		}
		fields := 0
		counts := map[string]int{}
		for k, v := range h.All() {
			fields++
			capped(t, "key", k)
			capped(t, "value", v)
			if len(k) == 0 || bytes.ContainsAny(k, ":\n") || bytes.ContainsRune(v, '\n') {
				t.Fatalf("field %q: %q", k, v)
			}
			if len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t') {
				t.Fatalf("value %q not trimmed", v)
			}
			if _, seen := counts[string(k)]; !seen {
				if got := h.Get(string(k)); got == nil || !bytes.Equal(got, v) {
					t.Fatalf("Get(%q) = %q, All's first value %q", k, got, v)
				}
				if h.GetFold(asciiUpper(k)) == nil {
					t.Fatalf("GetFold(%q) finds nothing", asciiUpper(k))
				}
			}
			counts[string(k)]++
		}
		if fields > bytes.Count(data, []byte("\n"))+1 {
			t.Fatalf("%d fields from %d lines", fields, bytes.Count(data, []byte("\n"))+1)
		}
		for k, n := range counts {
			got := 0
			for range h.Values(k) {
				got++
			}
			if got != n {
				t.Fatalf("Values(%q) gives %d, All %d", k, got, n)
			}
		}

		parsed, perr := codec.ParseHeader(data)
		verr := h.Validate()
		if (perr == nil) != (verr == nil) {
			t.Fatalf("ParseHeader: %v, Validate: %v", perr, verr)
		}
		if verr != nil {
			if !errors.Is(verr, codec.ErrMalformedHeader) || !errors.Is(perr, codec.ErrMalformedHeader) {
				t.Fatalf("errors do not wrap ErrMalformedHeader: %v, %v", verr, perr)
			}
			return
		}
		n := 0
		for _, vs := range parsed {
			n += len(vs)
		}
		if n != fields {
			t.Fatalf("ParseHeader found %d values, All %d", n, fields)
		}
		again := parsed.AppendStatus(nil, status, string(desc))
		if err := codec.HeaderView(again).Validate(); err != nil {
			t.Fatalf("re-encoded header invalid: %v\n%q", err, again)
		}
		back, err := codec.ParseHeader(again)
		if err != nil || !equalHeaders(back, parsed) {
			t.Fatalf("re-encoded header parses to %v (%v), want %v", back, err, parsed)
		}
		hv := codec.HeaderView(again)
		if hv.Status() != status || !bytes.Equal(hv.Description(), desc) {
			t.Fatalf("status %d %q became %d %q", status, desc, hv.Status(), hv.Description())
		}
		var key string
		for k := range parsed {
			key = k
			break
		}
		if !checkAllocs(data) {
			return
		}
		sink := 0
		if allocs := testing.AllocsPerRun(5, func() {
			sink += h.Status() + len(h.Description()) + len(h.Get(key)) + len(h.GetFold(key))
			if h.Validate() != nil {
				sink++
			}
			for k, v := range h.All() {
				sink += len(k) + len(v)
			}
			for v := range h.Values(key) {
				sink += len(v)
			}
		}); allocs != 0 {
			t.Fatalf("%v allocations reading a valid header", allocs)
		}
	})
}

// asciiUpper upper-cases ASCII letters only (strings.ToUpper would also
// rewrite invalid UTF-8, which GetFold rightly does not fold).
func asciiUpper(b []byte) string {
	u := []byte(string(b))
	for i, c := range u {
		if 'a' <= c && c <= 'z' {
			u[i] = c - 'a' + 'A'
		}
	}
	return string(u)
}

func equalHeaders(a, b codec.Header) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
