package codec

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// splitFields must agree with a plain byte loop on any input, including
// control bytes and high bytes inside fields and every length around the
// eight-byte words it scans.
func TestSplitFieldsMatchesReference(t *testing.T) {
	reference := func(b []byte) [][]byte {
		return bytes.FieldsFunc(b, func(r rune) bool { return r == ' ' || r == '\t' })
	}
	alphabet := []byte{'a', 'Z', '9', ' ', ' ', '\t', '\x00', '\x01', '\x1f', '!', '\x80', '\xff', '\r', '\n'}
	rng := rand.New(rand.NewPCG(3, 4)) // seeded: a failure replays
	for range 20000 {
		args := make([]byte, rng.IntN(49))
		for i := range args {
			args[i] = alphabet[rng.IntN(len(alphabet))]
		}
		want := reference(args)
		var f fields
		n := splitFields(args, &f)
		if len(want) > maxFields {
			if n != -1 {
				t.Fatalf("%q: %d fields, want -1 (more than %d)", args, n, maxFields)
			}
			continue
		}
		if n != len(want) {
			t.Fatalf("%q: %d fields, want %d", args, n, len(want))
		}
		for i := range n {
			got := f.get(args, i)
			if !bytes.Equal(got, want[i]) || len(got) != cap(got) {
				t.Fatalf("%q: field %d is %q (cap %d), want %q", args, i, got, cap(got), want[i])
			}
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "7": 7, "0042": 42, "999999999": 999999999,
		"999999999999999999": 999999999999999999, "": -1, "-1": -1, "+1": -1, "1a": -1, " 1": -1,
		"1000000000000000000": -1, "/": -1, ":": -1} {
		if got := parseSize([]byte(in)); got != want {
			t.Errorf("parseSize(%q) = %d, want %d", in, got, want)
		}
	}
}
