package main

import "strconv"

// The report's groups, in order.
const (
	groupPub     = "publish, no subscriber"
	groupPubSub  = "publish → 1 subscriber (publisher and subscriber connections both in this process)"
	groupReq     = "request/reply, 16 B (requester and replier connections both in this process)"
	groupIdleSub = "idle subscriptions"
)

// sizes are the payload sizes of the publish and publish→subscribe cases.
var sizes = []int{16, 128, 1024, 64 * 1024}

// caseSets are the cases other files add: a file of new cases (JetStream,
// a service) calls registerCases from its init, and its cases run after
// these, in registration order, each group a table of its own.
var caseSets []func(cfg *config) []*caseSpec

// registerCases adds a file's cases to every run.
func registerCases(f func(cfg *config) []*caseSpec) { caseSets = append(caseSets, f) }

// allCases lists every case in the order they run.
func allCases(cfg *config) []*caseSpec {
	var cs []*caseSpec
	for _, size := range sizes {
		cs = append(cs, &caseSpec{
			id: "pub-" + sizeID(size), group: groupPub, title: "publish " + sizeName(size),
			kind: kindPub, size: size,
			variants: []variant{
				{name: "Starling", short: "starling", role: roleStarling, open: openStarlingPub(size)},
				{name: "nats.go", short: "nats.go", role: roleNats, open: openNatsPub(size)},
				{name: "raw socket", short: "raw", role: roleRaw, open: openRawPub(size)},
			},
		})
	}
	for _, size := range sizes {
		cs = append(cs, pubSubCase(size, false))
	}
	cs = append(cs, pubSubCase(16, true))
	inflight := cfg.inflight
	cs = append(cs,
		&caseSpec{
			id: "req-seq", group: groupReq, title: "request/reply, sequential", kind: kindReqSeq, size: 16, inflight: 1,
			variants: []variant{
				{name: "Starling", short: "starling", role: roleStarling, open: openStarlingReq(1)},
				{name: "nats.go", short: "nats.go", role: roleNats, open: openNatsReq(1)},
			},
		},
		&caseSpec{
			id: "req-" + strconv.Itoa(inflight), group: groupReq, title: "request/reply, " + strconv.Itoa(inflight) + " in flight",
			kind: kindReqPar, size: 16, inflight: inflight,
			variants: []variant{
				{name: "Starling", short: "starling", role: roleStarling, open: openStarlingReq(inflight)},
				{name: "nats.go", short: "nats.go", role: roleNats, open: openNatsReq(inflight)},
			},
		},
		&caseSpec{
			id: "idle-subs", group: groupIdleSub, title: "idle subscriptions", kind: kindIdleSubs,
			variants: []variant{
				{name: "Starling owned", short: "starling-owned", role: roleStarling, open: openStarlingIdle},
				{name: "nats.go", short: "nats.go", role: roleNats, open: openNatsIdle},
			},
		},
	)
	for _, f := range caseSets {
		cs = append(cs, f(cfg)...)
	}
	return cs
}

// pubSubCase is publish → 1 subscriber at size: Starling's borrowed and
// owned handlers, nats.go's callback and the raw ceiling in each round.
func pubSubCase(size int, header bool) *caseSpec {
	id, title := "pubsub-"+sizeID(size), "publish → subscriber "+sizeName(size)
	if header {
		id += "-hdr"
		title += " + 1 header"
	}
	return &caseSpec{
		id: id, group: groupPubSub, title: title, kind: kindPubSub, size: size, header: header,
		variants: []variant{
			{name: "Starling borrowed", short: "starling-borrowed", role: roleStarling, open: openStarlingPubSub(size, header, false)},
			{name: "Starling owned", short: "starling-owned", role: roleStarling, open: openStarlingPubSub(size, header, true)},
			{name: "nats.go", short: "nats.go", role: roleNats, open: openNatsPubSub(size, header)},
			{name: "raw socket", short: "raw", role: roleRaw, open: openRawPubSub(size, header)},
		},
	}
}

// sizeName is a payload size for people: "16 B", "64 KiB".
func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return strconv.Itoa(n/1024) + " KiB"
	}
	return strconv.Itoa(n) + " B"
}

// sizeID is a payload size for ids: "16B", "64KiB".
func sizeID(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return strconv.Itoa(n/1024) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
