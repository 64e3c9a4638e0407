package kv

import "testing"

// TestNames_ADR8 checks bucket, key and filter names against the rules of
// ADR-8 (protocol-facts §3.1).
func TestNames_ADR8(t *testing.T) {
	buckets := map[string]bool{
		"b": true, "A-b_9": true, "": false, "a.b": false, "a b": false, "a*": false, "a>": false, "é": false, "KV_x": true,
	}
	for n, ok := range buckets {
		if validBucket(n) != ok {
			t.Errorf("validBucket(%q) = %v, want %v", n, !ok, ok)
		}
	}
	keys := []struct {
		k          string
		key, filtr bool
	}{
		{"a", true, true},
		{"a.b.c", true, true},
		{"-/_=.x", true, true},
		{"", false, false},
		{".a", false, false},
		{"a.", false, false},
		{"a..b", false, false},
		{"a b", false, false},
		{"a.*", false, true},
		{"*", false, true},
		{">", false, true},
		{"a.>", false, true},
		{"a.>.b", false, false},
		{"a*", false, false},
		{"a>", false, false},
		{"a\x00", false, false},
		{"ключ", false, false},
	}
	for _, c := range keys {
		if got := validKey(c.k, false); got != c.key {
			t.Errorf("validKey(%q) = %v, want %v", c.k, got, c.key)
		}
		if got := validKey(c.k, true); got != c.filtr {
			t.Errorf("validKey(%q, filter) = %v, want %v", c.k, got, c.filtr)
		}
	}
}

func TestOperation_Decode(t *testing.T) {
	cases := []struct {
		op, reason string
		want       Operation
	}{
		{"", "", OpPut},
		{"DEL", "", OpDelete},
		{"PURGE", "", OpPurge},
		{"", "MaxAge", OpPurge},
		{"", "Purge", OpPurge},
		{"", "Remove", OpDelete},
	}
	for _, c := range cases {
		if got := operation(c.op, c.reason); got != c.want {
			t.Errorf("operation(%q, %q) = %v, want %v", c.op, c.reason, got, c.want)
		}
	}
}
