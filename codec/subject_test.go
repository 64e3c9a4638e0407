package codec

import (
	"testing"
)

// Protocol-facts §1.8.
func TestSubjectValidation(t *testing.T) {
	tests := []struct {
		s        string
		pub, sub bool
	}{
		{"foo", true, true},
		{"foo.bar.baz", true, true},
		{"foo*", true, true},
		{"foo>", true, true},
		{"f*o.>x", true, true},
		{"日本.語", true, true},
		{"$JS.API.INFO", true, true},
		{"*", false, true},
		{">", false, true},
		{"foo.*", false, true},
		{"foo.*.bar", false, true},
		{"foo.>", false, true},
		{"*.*.>", false, true},
		{"foo.>.bar", false, false},
		{">.foo", false, false},
		{"", false, false},
		{".", false, false},
		{".foo", false, false},
		{"foo.", false, false},
		{"foo..bar", false, false},
		{"foo bar", false, false},
		{"foo\tbar", false, false},
		{"foo\r", false, false},
		{"foo\nbar", false, false},
		{"foo\fbar", false, false},
		{"foo.* ", false, false},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.pub, ValidPublishSubject(tt.s), "publish %q", tt.s)
		assert.Equal(t, tt.sub, ValidSubscribeSubject(tt.s), "subscribe %q", tt.s)
	}
}

func TestQueueAndHeaderValidation(t *testing.T) {
	for s, ok := range map[string]bool{"workers": true, "a.b": true, "q-1_x": true, "": false, "a b": false, "a\tb": false, "a\n": false} {
		assert.Equal(t, ok, ValidQueueName(s), "queue %q", s)
	}
	for s, ok := range map[string]bool{"Nats-Msg-Id": true, "x": true, "!#$%&'*+-.^_`|~": true, "": false, "a b": false,
		"a:b": false, "a\x7f": false, "é": false, "a\x00": false} {
		assert.Equal(t, ok, ValidHeaderKey(s), "key %q", s)
	}
	for s, ok := range map[string]bool{"": true, "value": true, " spaced \t": true, "é": true, "a\rb": false, "a\nb": false} {
		assert.Equal(t, ok, ValidHeaderValue(s), "value %q", s)
	}
}
