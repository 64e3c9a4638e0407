package codec

import (
	"errors"
	"testing"
)

// Protocol-facts §1.6 (ADR-4): status line, repeated keys, case preserved.
func TestHeaderViewStatus(t *testing.T) {
	tests := []struct {
		in   string
		code int
		desc any // nil or string
	}{
		{"NATS/1.0\r\n\r\n", 0, nil},
		{"NATS/1.0 503\r\n\r\n", StatusNoResponders, nil},
		{"NATS/1.0 503\r\nNats-Subject: foo\r\n\r\n", StatusNoResponders, nil},
		{"NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 5\r\n\r\n", StatusIdleHeartbeat, "Idle Heartbeat"},
		{"NATS/1.0 100 FlowControl Request\r\n\r\n", StatusControlMsg, "FlowControl Request"},
		{"NATS/1.0 204 EOB\r\n\r\n", StatusNoContent, "EOB"},
		{"NATS/1.0 400 Bad Request - heartbeat value too large\r\n\r\n", StatusBadRequest, "Bad Request - heartbeat value too large"},
		{"NATS/1.0 404 No Messages\r\n\r\n", StatusNotFound, "No Messages"},
		{"NATS/1.0 408 Request Timeout\r\n\r\n", StatusRequestTimeout, "Request Timeout"},
		{"NATS/1.0 409 Leadership Change\r\n\r\n", StatusConflict, "Leadership Change"},
		{"NATS/1.0 412 Required Api Level\r\n\r\n", StatusPreconditionFailed, "Required Api Level"},
		{"NATS/1.0 413 Too Many Results\r\n\r\n", StatusTooManyResults, "Too Many Results"},
		{"NATS/1.0 423 Nats-Wrong-Pin-Id\r\n\r\n", StatusLocked, "Nats-Wrong-Pin-Id"},
		{"NATS/1.0\t503  spaced  out \r\n\r\n", 503, "spaced  out"},
		{"NATS/1.0 503\n\n", 503, nil},
		{"NATS/1.0 503", 503, nil},
		{"NATS/1.0503\r\n\r\n", 0, nil},
		{"NATS/1.0 50\r\n\r\n", 0, nil},
		{"NATS/1.0 5034\r\n\r\n", 0, nil},
		{"NATS/1.0 abc\r\n\r\n", 0, nil},
		{"NATS/1.0 099\r\n\r\n", 0, nil},
		{"HTTP/1.0 503\r\n\r\n", 0, nil},
		{"", 0, nil},
		{"\r\n", 0, nil},
	}
	for _, tt := range tests {
		h := HeaderView(tt.in)
		assert.Equal(t, tt.code, h.Status(), "%q", tt.in)
		if tt.desc == nil {
			assert.Nil(t, h.Description(), "%q", tt.in)
		} else {
			assert.Equal(t, tt.desc, string(h.Description()), "%q", tt.in)
		}
	}
}

func TestHeaderViewGet(t *testing.T) {
	h := HeaderView("NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Stream: S\r\nX-Multi: 1\r\nx-multi: lower\r\nX-Multi:2\r\n" +
		"Empty:\r\nSpaces:  \t padded value \t \r\nno colon line\r\n: no key\r\nColon: a:b\r\n\r\n")
	assert.Equal(t, "S", string(h.Get("Nats-Last-Stream")))
	assert.Equal(t, "1", string(h.Get("X-Multi")))
	assert.Equal(t, "lower", string(h.Get("x-multi")), "case-sensitive")
	assert.Nil(t, h.Get("X-MULTI"))
	assert.Equal(t, "1", string(h.GetFold("X-MULTI")), "case-insensitive finds the first")
	assert.Nil(t, h.Get("Missing"))
	assert.NotNil(t, h.Get("Empty"))
	assert.Empty(t, h.Get("Empty"))
	assert.Equal(t, "padded value", string(h.Get("Spaces")))
	assert.Equal(t, "a:b", string(h.Get("Colon")))
	assert.Nil(t, h.Get(""), "a line without a key has no key")
	assert.Nil(t, h.Get("NATS/1.0 100 Idle Heartbeat"), "the status line is not a field")

	v := h.Get("X-Multi")
	assert.Equal(t, len(v), cap(v), "values are capped")

	var vals []string
	for v := range h.Values("X-Multi") {
		vals = append(vals, string(v))
	}
	assert.Equal(t, []string{"1", "2"}, vals)
	for range h.Values("X-Multi") {
		break // early exit is honoured
	}

	var keys []string
	for k, v := range h.All() {
		keys = append(keys, string(k)+"="+string(v))
	}
	assert.Equal(t, []string{"Nats-Last-Stream=S", "X-Multi=1", "x-multi=lower", "X-Multi=2", "Empty=", "Spaces=padded value", "Colon=a:b"}, keys)
	n := 0
	for range h.All() {
		n++
		break
	}
	assert.Equal(t, 1, n)

	// Fields after the blank line are not part of the block.
	assert.Nil(t, HeaderView("NATS/1.0\r\n\r\nA: b\r\n").Get("A"))
	// Bare LF line ends and a missing final blank line are tolerated.
	assert.Equal(t, "b", string(HeaderView("NATS/1.0\nA: b\n").Get("A")))
	assert.Equal(t, "b", string(HeaderView("NATS/1.0\r\nA: b").Get("A")))
	assert.Nil(t, HeaderView(nil).Get("A"))
}

func TestHeaderViewDoesNotAllocate(t *testing.T) {
	h := HeaderView("NATS/1.0 503 No Responders\r\nNats-Subject: foo\r\nA: 1\r\nA: 2\r\nB: 3\r\n\r\n")
	var sink int
	checks := map[string]func(){
		"Status":      func() { sink += h.Status() },
		"Description": func() { sink += len(h.Description()) },
		"Get":         func() { sink += len(h.Get("B")) },
		"GetFold":     func() { sink += len(h.GetFold("nats-subject")) },
		"Values": func() {
			for v := range h.Values("A") {
				sink += len(v)
			}
		},
		"All": func() {
			for k, v := range h.All() {
				sink += len(k) + len(v)
			}
		},
		"Validate": func() {
			if h.Validate() != nil {
				sink++
			}
		},
	}
	for name, f := range checks {
		assert.Zero(t, testing.AllocsPerRun(100, f), name)
	}
	assert.NotZero(t, sink)
}

func TestHeaderValidate(t *testing.T) {
	good := []string{
		"NATS/1.0\r\n\r\n",
		"NATS/1.0 503\r\n\r\n",
		"NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 1\r\n\r\n",
		"NATS/1.0\r\nA:b\r\nA: c\r\nEmpty:\r\n\r\n",
		"NATS/1.0\r\nKey: value with : colon\r\n\r\n",
	}
	for _, in := range good {
		assert.NoError(t, HeaderView(in).Validate(), "%q", in)
	}
	bad := map[string]string{
		"":                             "missing CRLF",
		"NATS/1.0":                     "missing CRLF",
		"NATS/2.0\r\n\r\n":             "missing NATS/1.0",
		"NATS/1.0 xx\r\n\r\n":          "malformed status",
		"NATS/1.0\r\n":                 "missing blank line",
		"NATS/1.0\r\nA: b\r\n":         "missing blank line",
		"NATS/1.0\r\nA b\r\n\r\n":      "without a colon",
		"NATS/1.0\r\n: b\r\n\r\n":      "invalid key",
		"NATS/1.0\r\nA B: c\r\n\r\n":   "invalid key",
		"NATS/1.0\r\nA\x7f: c\r\n\r\n": "invalid key",
		"NATS/1.0\r\nA: b\nc\r\n\r\n":  "CR or LF",
		"NATS/1.0\r\nA: b\rc\r\n\r\n":  "CR or LF",
		"NATS/1.0\r\n\r\nextra":        "after the blank line",
		"NATS/1.0\nA: b\n\n":           "missing CRLF",
		"NATS/1.0 100\n0:\r\n\r\n":     "bare CR or LF", // found by FuzzHeader
		"NATS/1.0 503 a\rb\r\n\r\n":    "bare CR or LF",
	}
	for in, reason := range bad {
		err := HeaderView(in).Validate()
		require.Error(t, err, "%q", in)
		assert.ErrorIs(t, err, ErrMalformedHeader)
		var he *HeaderError
		require.True(t, errors.As(err, &he))
		assert.Contains(t, he.Reason, reason, "%q", in)
		assert.Contains(t, err.Error(), "codec: malformed header")
	}
}

func TestHeaderOwned(t *testing.T) {
	h := Header{}
	h.Add("Nats-Msg-Id", "1")
	h.Add("nats-msg-id", "lower")
	h.Add("X", "a")
	h.Add("X", "b")
	h.Set("Y", "c")
	h.Set("Y", "d")
	assert.Equal(t, "1", h.Get("Nats-Msg-Id"))
	assert.Equal(t, "lower", h.Get("nats-msg-id"), "case preserved, keys distinct")
	assert.Equal(t, []string{"a", "b"}, h.Values("X"))
	assert.Equal(t, "d", h.Get("Y"))
	h.Del("Y")
	assert.Equal(t, "", h.Get("Y"))

	wire := h.Append(nil)
	assert.Equal(t, "NATS/1.0\r\nNats-Msg-Id: 1\r\nX: a\r\nX: b\r\nnats-msg-id: lower\r\n\r\n", string(wire))
	require.NoError(t, HeaderView(wire).Validate())

	back, err := ParseHeader(wire)
	require.NoError(t, err)
	assert.Equal(t, h, back)

	assert.Equal(t, "NATS/1.0\r\n\r\n", string(Header(nil).Append(nil)))
	assert.Equal(t, "NATS/1.0 503\r\n\r\n", string(Header(nil).AppendStatus(nil, 503, "")))
	st := Header{"Nats-Last-Stream": {"S"}}.AppendStatus(nil, 100, "Idle Heartbeat")
	assert.Equal(t, "NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Stream: S\r\n\r\n", string(st))
	assert.Equal(t, 100, HeaderView(st).Status())

	// More keys than the stack array still sort.
	many := Header{}
	for _, k := range "qwertyuiopasdfghjklzxcvbnm" {
		many.Set(string(k), "v")
	}
	back, err = ParseHeader(many.Append(nil))
	require.NoError(t, err)
	assert.Equal(t, many, back)
	assert.Equal(t, "NATS/1.0\r\na: v\r\nb: v\r\n", string(many.Append(nil)[:len("NATS/1.0\r\na: v\r\nb: v\r\n")]))

	_, err = ParseHeader([]byte("NATS/1.0\r\nbad line\r\n\r\n"))
	assert.ErrorIs(t, err, ErrMalformedHeader)

	// Values are trimmed by the parser, as by HeaderView.
	back, err = ParseHeader([]byte("NATS/1.0 503\r\nA:  x \r\n\r\n"))
	require.NoError(t, err)
	assert.Equal(t, Header{"A": {"x"}}, back)
}
