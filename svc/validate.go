package svc

import (
	"strings"

	"github.com/starling-nats/starling/codec"
)

// validName reports whether s is a service or endpoint name: one or more
// ASCII letters, digits, '-' and '_' (ADR-32).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// validSemVer reports whether s is a version as semver.org 2.0.0 defines
// it: MAJOR.MINOR.PATCH, numbers without leading zeros, then an optional
// pre-release (-a.1) and build (+b.2), each of dot-separated non-empty
// identifiers of letters, digits and '-'; numeric pre-release identifiers
// have no leading zeros either.
func validSemVer(s string) bool {
	core, build, hasBuild := strings.Cut(s, "+")
	if hasBuild && !validIdents(build, false) {
		return false
	}
	core, pre, hasPre := strings.Cut(core, "-")
	if hasPre && !validIdents(pre, true) {
		return false
	}
	parts := strings.Split(core, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if !validNumber(p) {
			return false
		}
	}
	return true
}

// validNumber: "0" or a run of digits not starting with '0'.
func validNumber(s string) bool {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validIdents(s string, noLeadingZeros bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		numeric := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !isAlnum(c) && c != '-' {
				return false
			}
			if c < '0' || c > '9' {
				numeric = false
			}
		}
		if numeric && noLeadingZeros && !validNumber(id) {
			return false
		}
	}
	return true
}

// checkEndpointSubject refuses subjects a requester could not reach or that
// would take over discovery: not a valid subscribe subject, '>' before the
// last token (codec refuses it), or under the discovery prefix.
func checkEndpointSubject(subject, prefix string) error {
	if !codec.ValidSubscribeSubject(subject) {
		return configErr("endpoint subject", subject, "not a valid subject (no spaces, no empty tokens, '>' only last)")
	}
	if subject == prefix || strings.HasPrefix(subject, prefix+".") || strings.HasPrefix(subject, "$SRV.") || subject == "$SRV" {
		return configErr("endpoint subject", subject, "the discovery prefix is reserved")
	}
	return nil
}

// checkGroupPrefix refuses group prefixes that endpoint subjects cannot
// follow: invalid subjects and a '>' wildcard.
func checkGroupPrefix(prefix string) error {
	if !codec.ValidSubscribeSubject(prefix) || strings.Contains(prefix, ">") {
		return configErr("group", prefix, "not a valid subject prefix (no spaces, no empty tokens, no '>')")
	}
	return nil
}

// checkQueue refuses queue group names the server would refuse.
func checkQueue(q queueChoice) error {
	if q.set && !q.disabled && !codec.ValidQueueName(q.name) {
		return configErr("queue group", q.name, "not a valid queue name")
	}
	return nil
}

// checkPrefix refuses discovery prefixes that are not a literal subject.
func checkPrefix(p string) error {
	if !codec.ValidPublishSubject(p) {
		return configErr("prefix", p, "not a literal subject")
	}
	return nil
}
