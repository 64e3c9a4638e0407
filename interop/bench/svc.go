package main

import (
	"context"
	"time"

	"github.com/nats-io/nats.go/micro"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/svc"
)

// The Service API case (perf.md's "Service API" target): a sequential
// round trip through a service endpoint, Starling's svc (borrowed and
// owned requests) beside nats.go's micro, with Starling's bare core
// request/reply in the same rounds as the reference the endpoint must stay
// within 1.1× of.

const groupSvc = "Service API endpoint, 16 B, sequential (service and requester connections both in this process)"

func init() { registerCases(svcCases) }

func svcCases(*config) []*caseSpec {
	return []*caseSpec{{
		id: "svc-seq", group: groupSvc, title: "endpoint round trip, sequential", kind: kindReqSeq, size: 16, inflight: 1,
		variants: []variant{
			{name: "Starling svc borrowed", short: "starling-svc-borrowed", role: roleStarling, open: openStarlingSvc(true)},
			{name: "Starling svc owned", short: "starling-svc-owned", role: roleStarling, open: openStarlingSvc(false)},
			{name: "Starling core request/reply", short: "starling-core", role: roleStarling, open: openStarlingReq(1)},
			{name: "Starling core, owned responder", short: "starling-core-owned", role: roleStarling, open: openStarlingOwnedReplier},
			{name: "nats.go micro", short: "nats.go-micro", role: roleNats, open: openNatsMicro},
		},
	}}
}

// openStarlingOwnedReplier is core request/reply with the responder on an
// owned handler (Subscribe) instead of a borrowed one: the reference for
// svc's owned endpoints, which pay the same hand-offs.
func openStarlingOwnedReplier(e *env, subject string) (runner, error) {
	r := &starlingReq{inflight: 1, subject: subject, data: payload(16)}
	var err error
	if r.rep, _, err = connectStarling(e, "bench-starling-owned-replier"); err != nil {
		return nil, err
	}
	_, err = r.rep.Subscribe(r.subject, func(m *core.Msg) { _ = m.Respond(m.Data) })
	if err == nil {
		err = flushStarling(r.rep)
	}
	if err == nil {
		r.req, _, err = connectStarling(e, "bench-starling-owned-requester")
	}
	if err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

// starlingSvc reuses the request/reply runner: only the responder differs,
// a svc endpoint instead of a bare borrowed subscription.
type starlingSvc struct {
	starlingReq
	srv *svc.Service
}

func openStarlingSvc(borrowed bool) func(*env, string) (runner, error) {
	return func(e *env, subject string) (runner, error) {
		r := &starlingSvc{starlingReq: starlingReq{inflight: 1, subject: subject, data: payload(16)}}
		var err error
		if r.rep, _, err = connectStarling(e, "bench-starling-svc"); err != nil {
			return nil, err
		}
		opts := []svc.Option{svc.WithSubject(subject)}
		if borrowed {
			opts = append(opts, svc.Borrowed())
		}
		if r.srv, err = svc.Add(r.rep, svc.Config{Name: "bench", Version: "1.0.0"}); err == nil {
			_, err = r.srv.AddEndpoint("echo", svc.HandlerFunc(func(q *svc.Request) { _ = q.Respond(q.Data()) }), opts...)
		}
		if err == nil {
			err = flushStarling(r.rep)
		}
		if err == nil {
			r.req, _, err = connectStarling(e, "bench-starling-svc-requester")
		}
		if err != nil {
			r.close()
			return nil, err
		}
		return r, nil
	}
}

func (r *starlingSvc) close() {
	closeStarling(r.req)
	if r.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = r.srv.Stop(ctx)
		cancel()
	}
	closeStarling(r.rep)
}

// natsMicro reuses nats.go's request/reply runner with a micro service as
// the responder.
type natsMicro struct {
	natsReq
	srv micro.Service
}

func openNatsMicro(e *env, subject string) (runner, error) {
	r := &natsMicro{natsReq: natsReq{inflight: 1, subject: subject, data: payload(16)}}
	var err error
	if r.rep, _, err = connectNats(e, "bench-nats-micro"); err != nil {
		return nil, err
	}
	r.srv, err = micro.AddService(r.rep, micro.Config{Name: "bench", Version: "1.0.0"})
	if err == nil {
		err = r.srv.AddEndpoint("echo", micro.HandlerFunc(func(q micro.Request) { _ = q.Respond(q.Data()) }),
			micro.WithEndpointSubject(subject))
	}
	if err == nil {
		err = r.rep.FlushTimeout(natsTimeout)
	}
	if err == nil {
		r.req, _, err = connectNats(e, "bench-nats-micro-requester")
	}
	if err != nil {
		r.close()
		return nil, err
	}
	return r, nil
}

func (r *natsMicro) close() {
	if r.srv != nil {
		_ = r.srv.Stop()
	}
	closeNats(r.req)
	closeNats(r.rep)
}
