package codec

// Validation is kept apart from the encoders, which cannot fail: callers
// check once (for example when a subscription is created) and then encode on
// the hot path without an error branch. The rules are the server's
// (sublist.go) and ADR-6.

// badSubjectByte reports the bytes the server refuses inside a subject token.
func badSubjectByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'
}

// subjectOK checks the token structure of s; wildcards says whether '*'
// tokens and a final '>' token are allowed.
func subjectOK(s string, wildcards bool) bool {
	if s == "" {
		return false
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] != '.' {
			if badSubjectByte(s[i]) {
				return false
			}
			continue
		}
		tok := s[start:i]
		switch tok {
		case "":
			return false
		case "*":
			if !wildcards {
				return false
			}
		case ">":
			if !wildcards || i != len(s) {
				return false
			}
		}
		start = i + 1
	}
	return true
}

// ValidPublishSubject reports whether s may be published to: one or more
// non-empty tokens separated by '.', without spaces, tabs, CR, LF or FF, and
// no wildcard token ("*" or ">"). "foo*" is a literal token and allowed.
func ValidPublishSubject(s string) bool { return subjectOK(s, false) }

// ValidSubscribeSubject reports whether s may be subscribed to: the rules of
// ValidPublishSubject, except that a token may be the wildcard "*", and the
// last token may be ">".
func ValidSubscribeSubject(s string) bool { return subjectOK(s, true) }

// ValidQueueName reports whether s may name a queue group: non-empty, without
// spaces, tabs, CR, LF or FF (which would split the SUB line).
func ValidQueueName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if badSubjectByte(s[i]) {
			return false
		}
	}
	return true
}

// ValidHeaderKey reports whether s may be a header name: non-empty, printable
// ASCII (33 to 126) except ':'.
func ValidHeaderKey(s string) bool { return validHeaderKey(s) }

func validHeaderKey[T ~string | ~[]byte](s T) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// ValidHeaderValue reports whether s may be a header value: it must not
// contain CR or LF, which would end the header line. Leading and trailing
// spaces and tabs are allowed but are not preserved by the reader.
func ValidHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' {
			return false
		}
	}
	return true
}
