package codec

import "slices"

// Header is an owned set of message headers. Keys keep their case exactly
// as given and as received (ADR-4: names are case-sensitive), unlike
// net/http.Header, which canonicalises them. Repeated keys keep every value,
// in order.
type Header map[string][]string

// Add appends value to the values of key.
func (h Header) Add(key, value string) { h[key] = append(h[key], value) }

// Set replaces the values of key with value.
func (h Header) Set(key, value string) { h[key] = []string{value} }

// Get returns the first value of key, or "" when it is absent.
func (h Header) Get(key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns the values of key; the slice is the Header's own.
func (h Header) Values(key string) []string { return h[key] }

// Del removes key.
func (h Header) Del(key string) { delete(h, key) }

// Append appends h as a header block: "NATS/1.0\r\n", one "Key: value\r\n"
// line per value with keys in sorted order (so equal headers encode to equal
// bytes), then "\r\n". An empty or nil Header gives "NATS/1.0\r\n\r\n". Keys
// and values are not checked; see ValidHeaderKey and ValidHeaderValue.
func (h Header) Append(dst []byte) []byte { return h.AppendStatus(dst, 0, "") }

// AppendStatus is Append with a status line "NATS/1.0 <status>[ <description>]",
// as servers send them (for fake servers and tests). status 0 writes no status;
// any other value is written in decimal and should have three digits.
func (h Header) AppendStatus(dst []byte, status int, description string) []byte {
	if len(h) == 1 {
		// One key, the common case (a trace id, a message id): no keys
		// to collect or sort, one pass over the map.
		for k, vs := range h {
			return appendOneKey(dst, status, description, k, vs)
		}
	}
	n := len(headerPrefix) + 2*maxIntLen + len(description) + 4
	// Sort up to 16 keys without allocating; more is rare enough to pay for.
	var arr [16]string
	keys := arr[:0]
	for k, vs := range h {
		keys = append(keys, k)
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	slices.Sort(keys)
	dst = slices.Grow(dst, n)
	dst = appendStatusLine(dst, status, description)
	for _, k := range keys {
		for _, v := range h[k] {
			dst = append(dst, k...)
			dst = append(dst, ": "...)
			dst = append(dst, v...)
			dst = append(dst, "\r\n"...)
		}
	}
	return append(dst, "\r\n"...)
}

// appendOneKey is AppendStatus for a Header of one key.
func appendOneKey(dst []byte, status int, description, k string, vs []string) []byte {
	n := len(headerPrefix) + maxIntLen + len(description) + 6
	for _, v := range vs {
		n += len(k) + len(v) + 4
	}
	dst = slices.Grow(dst, n)
	dst = appendStatusLine(dst, status, description)
	for _, v := range vs {
		dst = append(dst, k...)
		dst = append(dst, ": "...)
		dst = append(dst, v...)
		dst = append(dst, "\r\n"...)
	}
	return append(dst, "\r\n"...)
}

// appendStatusLine appends "NATS/1.0[ status[ description]]\r\n".
func appendStatusLine(dst []byte, status int, description string) []byte {
	dst = append(dst, headerPrefix...)
	if status != 0 {
		dst = append(dst, ' ')
		dst = appendInt(dst, status)
		if description != "" {
			dst = append(dst, ' ')
			dst = append(dst, description...)
		}
	}
	return append(dst, "\r\n"...)
}

// ParseHeader decodes a header block into an owned Header, rejecting
// malformed blocks with a *HeaderError (see HeaderView.Validate for the
// rules). The status line is not part of the result; read it with
// HeaderView.Status and Description. Values lose leading and trailing spaces
// and tabs.
func ParseHeader(b []byte) (Header, error) {
	h := make(Header)
	if _, err := HeaderView(b).walk(func(k, v []byte) {
		key := string(k)
		h[key] = append(h[key], string(v))
	}); err != nil {
		return nil, err
	}
	return h, nil
}
