package svc

import "testing"

// Semantic versions per semver.org 2.0.0, the rule ADR-32 names.
func TestValidSemVer(t *testing.T) {
	good := []string{"0.0.0", "1.0.0", "10.20.30", "1.1.2-prerelease+meta", "1.1.2+meta", "1.1.2+meta-valid",
		"1.0.0-alpha", "1.0.0-beta", "1.0.0-alpha.beta", "1.0.0-alpha.beta.1", "1.0.0-alpha.1", "1.0.0-alpha0.valid",
		"1.0.0-alpha.0valid", "1.0.0-rc.1+build.1", "2.0.0-rc.1+build.123", "1.2.3-beta", "10.2.3-DEV-SNAPSHOT",
		"1.2.3-SNAPSHOT-123", "2.0.0+build.1848", "2.0.1-alpha.1227", "1.0.0-alpha+beta", "1.2.3----RC-SNAPSHOT.12.9.1--.12+788",
		"1.2.3----R-S.12.9.1--.12+meta", "1.0.0+0.build.1-rc.10000aaa-kk-0.1", "1.0.0-0A.is.legal", "1.0.0+01"}
	bad := []string{"", "1", "1.2", "1.2.3-0123", "1.2.3-0123.0123", "1.1.2+.123", "+invalid", "-invalid", "-invalid+invalid",
		"alpha", "1.0.0-alpha_beta", "1.0.0-alpha..", "1.0.0-alpha..1", "01.1.1", "1.01.1", "1.1.01", "1.2.3.DEV", "1.2-SNAPSHOT",
		"1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788", "+justmeta", "9.8.7+meta+meta", "9.8.7-whatever+meta+meta", "1.0.0-", "1.0.0+", " 1.0.0", "v1.0.0"}
	for _, v := range good {
		if !validSemVer(v) {
			t.Errorf("validSemVer(%q) = false, want true", v)
		}
	}
	for _, v := range bad {
		if validSemVer(v) {
			t.Errorf("validSemVer(%q) = true, want false", v)
		}
	}
}

func TestValidName(t *testing.T) {
	for _, n := range []string{"a", "Echo_service-2", "_", "-"} {
		if !validName(n) {
			t.Errorf("validName(%q) = false", n)
		}
	}
	for _, n := range []string{"", "a b", "a.b", "a*", "a>", "é", "a\n"} {
		if validName(n) {
			t.Errorf("validName(%q) = true", n)
		}
	}
}

func TestQueueResolution(t *testing.T) {
	none := queueChoice{}
	named := func(n string) queueChoice { return queueChoice{name: n, set: true} }
	off := queueChoice{set: true, disabled: true}
	cases := []struct {
		svc, group, ep queueChoice
		want           string
	}{
		{none, none, none, DefaultQueueGroup},
		{named("s"), none, none, "s"},
		{named("s"), named("g"), none, "g"},
		{named("s"), named("g"), named("e"), "e"},
		{off, none, none, ""},
		{off, named("g"), none, "g"},
		{named("s"), off, none, ""},
		{named("s"), off, named("e"), "e"},
		{none, none, off, ""},
	}
	for i, c := range cases {
		if got := c.ep.under(c.group.under(c.svc)).queue(); got != c.want {
			t.Errorf("case %d: queue %q, want %q", i, got, c.want)
		}
	}
}
