package svc_test

import (
	"context"
	"testing"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/svc"
)

// BenchmarkRoundTrip times a sequential 16-byte request through a bare
// borrowed responder (core's request/reply), a borrowed endpoint, a bare
// owned responder (core's Subscribe) and an owned endpoint, against one nats-server process, in one run: perf.md
// asks the endpoint to stay within 1.1× of core. Run with -count to
// interleave them:
//
//	go test ./svc -run '^$' -bench RoundTrip -benchmem -count 5
func BenchmarkRoundTrip(b *testing.B) {
	s := harness.RunServer(b, harness.WithProcess())
	rep := connect(b, s.ClientURL())
	req := connect(b, s.ClientURL())
	if _, err := rep.SubscribeBorrowed("bench.core", func(m *core.BorrowedMsg) { _ = m.Respond(m.Data) }); err != nil {
		b.Fatal(err)
	}
	if _, err := rep.Subscribe("bench.core-owned", func(m *core.Msg) { _ = m.Respond(m.Data) }); err != nil {
		b.Fatal(err)
	}
	srv := addService(b, rep, svc.Config{Name: "bench", Version: "1.0.0"})
	echo := svc.HandlerFunc(func(r *svc.Request) { _ = r.Respond(r.Data()) })
	if _, err := srv.AddEndpoint("borrowed", echo, svc.Borrowed(), svc.WithSubject("bench.borrowed")); err != nil {
		b.Fatal(err)
	}
	if _, err := srv.AddEndpoint("owned", echo, svc.WithSubject("bench.owned")); err != nil {
		b.Fatal(err)
	}
	flush(b, rep)
	data := make([]byte, 16)
	for _, subject := range []string{"bench.core", "bench.borrowed", "bench.core-owned", "bench.owned"} {
		b.Run(subject[len("bench."):], func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := req.Request(ctx, subject, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
