package codec

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// A small JSON writer for CONNECT and INFO. encoding/json would allocate on
// every call; CONNECT is written on every (re)connect and the promise is that
// no encoder allocates. Output matches encoding/json with HTML escaping off,
// byte for byte (a test holds it to that).

const hexDigits = "0123456789abcdef"

// jsonSafe[c] is true for ASCII bytes written as they are inside a string.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string. Control characters and the
// quote and backslash are escaped; so are U+2028 and U+2029, which are valid
// JSON but end a line in JavaScript. Invalid UTF-8 becomes U+FFFD, one per
// bad byte, so the output is always valid JSON and valid UTF-8.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	done := 0 // s[:done] is already in dst
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[done:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			done = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, s[done:i]...)
			dst = append(dst, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[done:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		done = i
	}
	dst = append(dst, s[done:]...)
	return append(dst, '"')
}

// jsonKey appends the separator (unless the object opened at dst[open] is
// still empty) and "key":.
func jsonKey(dst []byte, open int, key string) []byte {
	if len(dst) > open+1 {
		dst = append(dst, ',')
	}
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

func jsonString(dst []byte, open int, key, v string, omitEmpty bool) []byte {
	if omitEmpty && v == "" {
		return dst
	}
	return appendJSONString(jsonKey(dst, open, key), v)
}

func jsonBool(dst []byte, open int, key string, v, omitEmpty bool) []byte {
	if omitEmpty && !v {
		return dst
	}
	dst = jsonKey(dst, open, key)
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

func jsonInt(dst []byte, open int, key string, v int, omitEmpty bool) []byte {
	if omitEmpty && v == 0 {
		return dst
	}
	return appendInt(jsonKey(dst, open, key), v)
}

func jsonUint(dst []byte, open int, key string, v uint64, omitEmpty bool) []byte {
	if omitEmpty && v == 0 {
		return dst
	}
	return appendUint(jsonKey(dst, open, key), v)
}

// jsonStrings writes a string array; empty (or nil) arrays are omitted, as
// the server's omitempty does.
func jsonStrings(dst []byte, open int, key string, v []string) []byte {
	if len(v) == 0 {
		return dst
	}
	dst = append(jsonKey(dst, open, key), '[')
	for i, s := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, s)
	}
	return append(dst, ']')
}

// decodeJSON unmarshals b into v and reports failures as *ProtocolError.
func decodeJSON(op string, b []byte, v any) error {
	err := json.Unmarshal(b, v)
	if err == nil {
		return nil
	}
	var off int64
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	return &ProtocolError{Op: op, Reason: "invalid json: " + err.Error(), Offset: off, Kind: ErrMalformed}
}
