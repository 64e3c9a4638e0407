package js

import (
	"errors"
	"testing"

	"github.com/starling-nats/starling/codec"
)

// TestPullStatusClassification maps every status line of protocol-facts
// §2.8 (and ones no server sends) to its sentinel, and what a consume does
// with it.
func TestPullStatusClassification(t *testing.T) {
	cases := []struct {
		line     string
		want     error
		terminal bool
	}{
		{"NATS/1.0 404 No Messages", ErrNoMessages, false},
		{"NATS/1.0 408 Request Timeout", ErrPullExpired, false},
		{"NATS/1.0 408 Interest Expired", ErrPullExpired, false},
		{"NATS/1.0 408 Requests Pending", ErrRequestsPending, false},
		{"NATS/1.0 409 Message Size Exceeds MaxBytes", ErrMaxBytesExceeded, false},
		{"NATS/1.0 409 Batch Completed", ErrBatchCompleted, false},
		{"NATS/1.0 409 Exceeded MaxWaiting", ErrPullLimitExceeded, false},
		{"NATS/1.0 409 Exceeded MaxRequestBatch of 5", ErrPullLimitExceeded, false},
		{"NATS/1.0 409 Exceeded MaxRequestExpires of 1s", ErrPullLimitExceeded, false},
		{"NATS/1.0 409 Exceeded MaxRequestMaxBytes of 100", ErrPullLimitExceeded, false},
		{"NATS/1.0 409 Leadership Change", ErrLeadershipChange, false},
		{"NATS/1.0 409 Server Shutdown", ErrServerShutdown, false},
		{"NATS/1.0 409 Consumer Deleted", ErrConsumerDeleted, true},
		{"NATS/1.0 409 Consumer is push based", ErrConsumerPushBased, true},
		{"NATS/1.0 400 Bad Request - heartbeat value too large", ErrBadPullRequest, true},
		{"NATS/1.0 412 Required Api Level", ErrAPILevelTooLow, true},
		{"NATS/1.0 423 Nats-Wrong-Pin-Id", ErrPinIDMismatch, false},
		{"NATS/1.0 423 Nats-Pin-Id mismatch", ErrPinIDMismatch, false},
		{"NATS/1.0 503", ErrNoStreamResponse, false},
		// Nothing a server sends: ends a consume rather than loop on it.
		{"NATS/1.0 409 Something New", ErrInvalidResponse, true},
		{"NATS/1.0 299 Odd", ErrInvalidResponse, true},
	}
	for _, c := range cases {
		h := codec.HeaderView(c.line + "\r\nNats-Pending-Messages: 7\r\nNats-Pending-Bytes: 99\r\n\r\n")
		ps := pullStatus(h)
		if !errors.Is(ps, c.want) {
			t.Errorf("%s: %v, want %v", c.line, ps.kind, c.want)
		}
		if terminal(ps) != c.terminal {
			t.Errorf("%s: terminal %v", c.line, terminal(ps))
		}
		if ps.PendingMsgs != 7 || ps.PendingBytes != 99 {
			t.Errorf("%s: pending %d/%d", c.line, ps.PendingMsgs, ps.PendingBytes)
		}
	}
	ps := pullStatus(codec.HeaderView("NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: x\r\n\r\n"))
	if ps.PendingMsgs != -1 || ps.PendingBytes != -1 {
		t.Errorf("unreadable pending headers: %d/%d", ps.PendingMsgs, ps.PendingBytes)
	}
}

func TestPullRequestEncoding(t *testing.T) {
	o := pullOpts{group: "g", minPending: 5, minAckPending: 6, priority: 2}
	r := pullRequest{batch: 10, maxBytes: 1000, expires: 30e9, heartbeat: 15e9, o: &o, pin: "PIN"}
	got := string(appendPullRequest(nil, &r))
	want := `{"batch":10,"max_bytes":1000,"expires":30000000000,"idle_heartbeat":15000000000,"group":"g","min_pending":5,"min_ack_pending":6,"priority":2,"id":"PIN"}`
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	if got := string(appendPullRequest(nil, &pullRequest{batch: 1, noWait: true})); got != `{"batch":1,"no_wait":true}` {
		t.Fatalf("no wait: %s", got)
	}
	for _, g := range []string{"", "toolonggroupname1", "a b", `a"b`} {
		if validGroup(g) {
			t.Errorf("group %q accepted", g)
		}
	}
	for _, id := range []string{"", `a"b`, "a\\b"} {
		if validPinID([]byte(id)) {
			t.Errorf("pin id %q accepted", id)
		}
	}
}
