package codec

import (
	"bytes"
	"iter"
)

// headerPrefix starts every header block.
const headerPrefix = "NATS/1.0"

// HeaderView reads a raw header block ("NATS/1.0[ status[ description]]\r\n",
// then "Key: value\r\n" lines, then "\r\n") in place, without allocating. It
// is typically Op.Header, and then borrows the Reader's buffer: it and every
// slice it returns are valid only as long as those bytes are.
//
// Keys are compared exactly (ADR-4: header names are case-sensitive); GetFold
// compares without regard to ASCII case. Values are returned without leading
// and trailing spaces and tabs, capped at their length. A view of malformed
// bytes never panics: lines without a colon are skipped and Status returns
// 0. Validate reports whether the block is well formed.
type HeaderView []byte

// statusLine returns the first line without its line end, and the offset of
// the line after it.
func (h HeaderView) statusLine() ([]byte, int) {
	i := bytes.IndexByte(h, '\n')
	if i < 0 {
		return h, len(h)
	}
	line := h[:i]
	if i > 0 && line[i-1] == '\r' {
		line = line[:i-1]
	}
	return line, i + 1
}

// status splits the status line into its code and description; code is 0
// when the line has no well-formed status.
func (h HeaderView) status() (int, []byte) {
	line, _ := h.statusLine()
	return parseStatusLine(line)
}

// parseStatusLine parses "NATS/1.0[ <3-digit code>[ <description>]]".
func parseStatusLine(line []byte) (int, []byte) {
	if !bytes.HasPrefix(line, []byte(headerPrefix)) {
		return 0, nil
	}
	rest := line[len(headerPrefix):]
	t := trimSeps(rest)
	if len(t) == 0 || len(t) == len(rest) { // nothing, or no separator after "NATS/1.0"
		return 0, nil
	}
	if len(t) < 3 || (len(t) > 3 && !isSep(t[3])) {
		return 0, nil
	}
	code := 0
	for _, c := range t[:3] {
		if c < '0' || c > '9' {
			return 0, nil
		}
		code = code*10 + int(c-'0')
	}
	if code < 100 {
		return 0, nil
	}
	return code, trimSeps(t[3:])
}

// Status returns the status code of the first line (503 for "NATS/1.0
// 503"), or 0 when there is none or it is malformed.
func (h HeaderView) Status() int {
	code, _ := h.status()
	return code
}

// Description returns the text after the status code ("Idle Heartbeat"), or
// nil when there is none.
func (h HeaderView) Description() []byte {
	code, d := h.status()
	if code == 0 || len(d) == 0 {
		return nil
	}
	return d
}

// field decodes the header line at offset i. ok is false at the blank line
// that ends the block, or at the end of h. A line without a colon, or with
// nothing before it, has a nil key.
func (h HeaderView) field(i int) (key, value []byte, next int, ok bool) {
	if i >= len(h) {
		return nil, nil, len(h), false
	}
	line := h[i:]
	next = len(h)
	if j := bytes.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
		next = i + j + 1
	}
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) == 0 {
		return nil, nil, next, false
	}
	c := bytes.IndexByte(line, ':')
	if c <= 0 {
		return nil, nil, next, true
	}
	return line[:c:c], trimSeps(line[c+1:]), next, true
}

// The lookups below do not split every line into key and value: at each line
// start they compare the key in place and check the colon after it, and skip
// non-matching lines with one IndexByte. A key containing ':' or '\n' can
// never match, since keys end at the first colon of their line.

// lookupKey reports whether key can name a field at all.
func lookupKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] == ':' || key[i] == '\n' {
			return false
		}
	}
	return key != ""
}

// blankAt reports whether the line at i ends the block (the blank line, or
// the end of h).
func (h HeaderView) blankAt(i int) bool {
	return i >= len(h) || h[i] == '\n' || (h[i] == '\r' && (i+1 == len(h) || h[i+1] == '\n'))
}

// nextLine returns the offset of the line after the one at i.
func (h HeaderView) nextLine(i int) int {
	if j := bytes.IndexByte(h[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(h)
}

// valueAfter returns the trimmed value that follows the colon at c.
func (h HeaderView) valueAfter(c int) []byte {
	v := h[c+1:]
	if j := bytes.IndexByte(v, '\n'); j >= 0 {
		v = v[:j]
	}
	if len(v) > 0 && v[len(v)-1] == '\r' {
		v = v[:len(v)-1]
	}
	return trimSeps(v)
}

// Get returns the first value of key, compared case-sensitively, or nil when
// the key is absent. A present but empty value is an empty, non-nil slice.
func (h HeaderView) Get(key string) []byte {
	if !lookupKey(key) {
		return nil
	}
	n := len(key)
	for _, i := h.statusLine(); !h.blankAt(i); i = h.nextLine(i) {
		if len(h)-i > n && h[i+n] == ':' && string(h[i:i+n]) == key {
			return h.valueAfter(i + n)
		}
	}
	return nil
}

// GetFold is Get with keys compared without regard to ASCII case, for peers
// that do not preserve the case of header names.
func (h HeaderView) GetFold(key string) []byte {
	if !lookupKey(key) {
		return nil
	}
	n := len(key)
	for _, i := h.statusLine(); !h.blankAt(i); i = h.nextLine(i) {
		if len(h)-i > n && h[i+n] == ':' && equalFold(h[i:i+n], key) {
			return h.valueAfter(i + n)
		}
	}
	return nil
}

// Values iterates over every value of key (case-sensitive), in order.
func (h HeaderView) Values(key string) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		if !lookupKey(key) {
			return
		}
		n := len(key)
		for _, i := h.statusLine(); !h.blankAt(i); i = h.nextLine(i) {
			if len(h)-i > n && h[i+n] == ':' && string(h[i:i+n]) == key && !yield(h.valueAfter(i+n)) {
				return
			}
		}
	}
}

// All iterates over every key and value in wire order, repeated keys
// included. Lines without a key are skipped.
func (h HeaderView) All() iter.Seq2[[]byte, []byte] {
	return func(yield func(key, value []byte) bool) {
		_, i := h.statusLine()
		for {
			k, v, next, ok := h.field(i)
			if !ok {
				return
			}
			if k != nil && !yield(k, v) {
				return
			}
			i = next
		}
	}
}

// Validate reports whether h is a well-formed header block: the "NATS/1.0"
// line with an optional three-digit status and description, lines of a valid
// key (ValidHeaderKey), a colon and a value without CR or LF, each ended by
// CRLF, then a blank line ending the block. It returns a *HeaderError.
func (h HeaderView) Validate() error {
	_, err := h.walk(nil)
	return err
}

// walk validates h and calls add, when not nil, for every field.
func (h HeaderView) walk(add func(key, value []byte)) (int, error) {
	i := bytes.Index(h, []byte("\r\n"))
	if i < 0 {
		return 0, &HeaderError{Offset: len(h), Reason: "missing CRLF after the status line"}
	}
	line := h[:i]
	if !bytes.HasPrefix(line, []byte(headerPrefix)) {
		return 0, &HeaderError{Offset: 0, Reason: "missing " + headerPrefix}
	}
	if j := bytes.IndexAny(line, "\r\n"); j >= 0 {
		return 0, &HeaderError{Offset: j, Reason: "bare CR or LF in the status line"}
	}
	if len(line) > len(headerPrefix) {
		if code, _ := parseStatusLine(line); code == 0 {
			return 0, &HeaderError{Offset: len(headerPrefix), Reason: "malformed status"}
		}
	}
	n := 0
	for i += 2; ; {
		j := bytes.Index(h[i:], []byte("\r\n"))
		if j < 0 {
			return n, &HeaderError{Offset: len(h), Reason: "missing blank line at the end"}
		}
		line := h[i : i+j]
		if len(line) == 0 {
			if i+2 != len(h) {
				return n, &HeaderError{Offset: i + 2, Reason: "bytes after the blank line"}
			}
			return n, nil
		}
		c := bytes.IndexByte(line, ':')
		if c < 0 {
			return n, &HeaderError{Offset: i, Reason: "line without a colon"}
		}
		if !validHeaderKey(line[:c]) {
			return n, &HeaderError{Offset: i, Reason: "invalid key " + quoteSnippet(line[:c])}
		}
		v := trimSeps(line[c+1:])
		if bytes.IndexByte(v, '\r') >= 0 || bytes.IndexByte(v, '\n') >= 0 {
			return n, &HeaderError{Offset: i + c + 1, Reason: "value contains CR or LF"}
		}
		if add != nil {
			add(line[:c:c], v)
		}
		n++
		i += j + 2
	}
}

// equalFold reports whether b and s are equal under ASCII case folding.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], s[i]
		if x == y {
			continue
		}
		if x|0x20 != y|0x20 || x|0x20 < 'a' || x|0x20 > 'z' {
			return false
		}
	}
	return true
}
