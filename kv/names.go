package kv

import "fmt"

// MaxHistory is the most values a bucket keeps per key.
const MaxHistory = 64

// validBucket reports whether name matches ^[a-zA-Z0-9_-]+$.
func validBucket(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isKeyByte(c byte) bool {
	return isAlnum(c) || c == '-' || c == '/' || c == '_' || c == '=' || c == '.'
}

// validKey reports whether key matches ^[-/_=.a-zA-Z0-9]+$ with no
// leading or trailing '.' and no "..". With filter, tokens may also be '*'
// and the last token '>'.
func validKey(key string, filter bool) bool {
	if key == "" || key[0] == '.' || key[len(key)-1] == '.' {
		return false
	}
	start := 0
	for i := 0; i <= len(key); i++ {
		if i < len(key) && key[i] != '.' {
			continue
		}
		tok := key[start:i]
		start = i + 1
		if tok == "" {
			return false // ".."
		}
		if filter && (tok == "*" || tok == ">" && i == len(key)) {
			continue
		}
		for j := 0; j < len(tok); j++ {
			if !isKeyByte(tok[j]) {
				return false
			}
		}
	}
	return true
}

func checkBucket(name string) error {
	if !validBucket(name) {
		return fmt.Errorf("%w: %q", ErrInvalidBucketName, name)
	}
	return nil
}

func checkKey(key string) error {
	if !validKey(key, false) {
		return fmt.Errorf("%w: %q", ErrInvalidKey, key)
	}
	return nil
}

func checkFilter(f string) error {
	if !validKey(f, true) {
		return fmt.Errorf("%w: filter %q", ErrInvalidKey, f)
	}
	return nil
}
