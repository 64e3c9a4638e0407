package interop

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/svc"
)

// The Service API both ways (ADR-32): a Starling service is seen by
// nats.go's micro types exactly as a micro service is, field by field,
// and Starling's client side reads micro services. The two services of
// each test are twins: same configuration, same endpoints, same traffic.

var twinMeta = map[string]string{"team": "interop", "zone": "a"}

type twinStats struct {
	Hits int `json:"hits"`
}

// starlingTwin runs the Starling twin: endpoints "echo" and, in group
// "<name>.ops" with queue group "ops", "fail", which answers 418 with data.
func starlingTwin(t *testing.T, nc *core.Conn, name string) *svc.Service {
	t.Helper()
	srv, err := svc.Add(nc, svc.Config{Name: name, Version: "1.4.2-beta.1", Description: "twin under test", Metadata: twinMeta,
		StatsHandler: func(*svc.Endpoint) any { return twinStats{Hits: 3} }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop(testCtx(t)) })
	_, err = srv.AddEndpoint("echo", svc.HandlerFunc(func(r *svc.Request) { _ = r.Respond(r.Data()) }),
		svc.WithSubject(name+".echo"), svc.WithMetadata(map[string]string{"kind": "echo"}))
	require.NoError(t, err)
	g, err := srv.AddGroup(name+".ops", svc.QueueGroup("ops"))
	require.NoError(t, err)
	_, err = g.AddEndpoint("fail", svc.HandlerFunc(func(r *svc.Request) {
		_ = r.Error(418, "teapot", []byte(`{"detail":"short and stout"}`))
	}), svc.WithMetadata(map[string]string{"kind": "fail"}))
	require.NoError(t, err)
	flushStarling(t, nc)
	return srv
}

// microTwin runs the same service with nats.go's micro package.
func microTwin(t *testing.T, nc *nats.Conn, name string) micro.Service {
	t.Helper()
	srv, err := micro.AddService(nc, micro.Config{Name: name, Version: "1.4.2-beta.1", Description: "twin under test", Metadata: twinMeta,
		StatsHandler: func(*micro.Endpoint) any { return twinStats{Hits: 3} }})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	require.NoError(t, srv.AddEndpoint("echo", micro.HandlerFunc(func(r micro.Request) { _ = r.Respond(r.Data()) }),
		micro.WithEndpointSubject(name+".echo"), micro.WithEndpointMetadata(map[string]string{"kind": "echo"})))
	g := srv.AddGroup(name+".ops", micro.WithGroupQueueGroup("ops"))
	require.NoError(t, g.AddEndpoint("fail", micro.HandlerFunc(func(r micro.Request) {
		_ = r.Error("418", "teapot", []byte(`{"detail":"short and stout"}`))
	}), micro.WithEndpointMetadata(map[string]string{"kind": "fail"})))
	flushNats(t, nc)
	return srv
}

// shape replaces every JSON value by its kind, keeping object keys and
// the shape of the first array element: two documents with the same shape
// have the same fields, nested, with the same JSON types.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = shape(e)
		}
		return out
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shape(x[0])}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func natsJSON(t *testing.T, nc *nats.Conn, subject string) map[string]any {
	t.Helper()
	m, err := nc.Request(subject, nil, testTimeout)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(m.Data, &out), string(m.Data))
	return out
}

// Discovery responses of a Starling service have exactly the fields, nested
// and typed, of a nats.go micro service's; the values nats.go's own types
// decode from them are the right ones.
func TestSvcSchemaMatchesMicro(t *testing.T) {
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())
	star := starlingTwin(t, sc, "star")
	mic := microTwin(t, nc, "mic")
	for _, name := range []string{"star", "mic"} {
		m, err := nc.Request(name+".echo", []byte("hi"), testTimeout)
		require.NoError(t, err)
		assert.Equal(t, "hi", string(m.Data))
		m, err = nc.Request(name+".ops.fail", nil, testTimeout)
		require.NoError(t, err)
		assert.Equal(t, "418", m.Header.Get(micro.ErrorCodeHeader))
	}
	ids := map[string]string{"star": star.ID(), "mic": mic.Info().ID}
	for _, verb := range []micro.Verb{micro.PingVerb, micro.InfoVerb, micro.StatsVerb} {
		docs := map[string]map[string]any{}
		for name, id := range ids {
			subj, err := micro.ControlSubject(verb, name, id)
			require.NoError(t, err)
			docs[name] = natsJSON(t, nc, subj)
		}
		assert.Equal(t, shape(docs["mic"]), shape(docs["star"]), "%s: fields differ from nats.go micro's", verb)
		// Every value but the identity and timings is the same.
		for _, doc := range docs {
			delete(doc, "name")
			delete(doc, "id")
			delete(doc, "started")
			eps, _ := doc["endpoints"].([]any)
			for _, e := range eps {
				ep := e.(map[string]any)
				if verb == micro.StatsVerb {
					for _, k := range []string{"processing_time", "average_processing_time"} {
						assert.Greater(t, ep[k], float64(0), k)
						delete(ep, k)
					}
				}
				subj := ep["subject"].(string)
				ep["subject"] = subj[len(subj)-4:]
			}
		}
		assert.Equal(t, docs["mic"], docs["star"], "%s: values differ from nats.go micro's", verb)
	}

	// nats.go's own types read the Starling service as it is.
	subj, _ := micro.ControlSubject(micro.InfoVerb, "star", star.ID())
	m, err := nc.Request(subj, nil, testTimeout)
	require.NoError(t, err)
	var info micro.Info
	require.NoError(t, json.Unmarshal(m.Data, &info))
	assert.Equal(t, micro.InfoResponseType, info.Type)
	assert.Equal(t, micro.ServiceIdentity{Name: "star", ID: star.ID(), Version: "1.4.2-beta.1", Metadata: twinMeta}, info.ServiceIdentity)
	assert.Equal(t, []micro.EndpointInfo{
		{Name: "echo", Subject: "star.echo", QueueGroup: "q", Metadata: map[string]string{"kind": "echo"}},
		{Name: "fail", Subject: "star.ops.fail", QueueGroup: "ops", Metadata: map[string]string{"kind": "fail"}},
	}, info.Endpoints)
	subj, _ = micro.ControlSubject(micro.StatsVerb, "star", star.ID())
	m, err = nc.Request(subj, nil, testTimeout)
	require.NoError(t, err)
	var stats micro.Stats
	require.NoError(t, json.Unmarshal(m.Data, &stats))
	assert.Equal(t, micro.StatsResponseType, stats.Type)
	assert.WithinDuration(t, time.Now(), stats.Started, time.Minute)
	require.Len(t, stats.Endpoints, 2)
	assert.Equal(t, 1, stats.Endpoints[0].NumRequests)
	assert.Equal(t, 0, stats.Endpoints[0].NumErrors)
	assert.Equal(t, 1, stats.Endpoints[1].NumErrors)
	assert.Equal(t, "418:teapot", stats.Endpoints[1].LastError)
	assert.Equal(t, stats.Endpoints[0].ProcessingTime, stats.Endpoints[0].AverageProcessingTime)
	assert.JSONEq(t, `{"hits":3}`, string(stats.Endpoints[0].Data))
}

// nats.go requesters read Starling's answers and error replies exactly as
// they read micro's: the same data, the same headers.
func TestSvcResponsesReadByNatsGo(t *testing.T) {
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())
	starlingTwin(t, sc, "star")
	microTwin(t, nc, "mic")
	star, err := nc.Request("star.ops.fail", []byte("x"), testTimeout)
	require.NoError(t, err)
	mic, err := nc.Request("mic.ops.fail", []byte("x"), testTimeout)
	require.NoError(t, err)
	assert.Equal(t, mic.Data, star.Data)
	for _, h := range []string{micro.ErrorHeader, micro.ErrorCodeHeader} {
		assert.Equal(t, mic.Header.Values(h), star.Header.Values(h), h)
	}

	// A panic is a 500 to a nats.go requester too.
	srv, err := svc.Add(sc, svc.Config{Name: "panicky", Version: "1.0.0"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop(testCtx(t)) })
	_, err = srv.AddEndpoint("boom", svc.HandlerFunc(func(*svc.Request) { panic("no") }), svc.Borrowed())
	require.NoError(t, err)
	flushStarling(t, sc)
	m, err := nc.Request("boom", nil, testTimeout)
	require.NoError(t, err)
	assert.Equal(t, "500", m.Header.Get(micro.ErrorCodeHeader))
	assert.NotEmpty(t, m.Header.Get(micro.ErrorHeader))
}

// Starling's client side finds, describes and measures a nats.go micro
// service, and reads its error replies.
func TestSvcMicroSeenByStarling(t *testing.T) {
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())
	mic := microTwin(t, nc, "mic")
	star := starlingTwin(t, sc, "star")
	id := mic.Info().ID
	for range 3 {
		_, err := sc.Request(testCtx(t), "mic.echo", []byte("x"))
		require.NoError(t, err)
	}
	m, err := sc.Request(testCtx(t), "mic.ops.fail", nil)
	require.NoError(t, err)
	var se *svc.ServiceError
	require.True(t, errors.As(svc.ResponseError(m), &se))
	assert.Equal(t, 418, se.Code)
	assert.Equal(t, "teapot", se.Description)
	assert.JSONEq(t, `{"detail":"short and stout"}`, string(se.Data))

	var names []string
	for p, err := range svc.Ping(testCtx(t), sc, "", "") {
		require.NoError(t, err)
		names = append(names, p.Name+"/"+p.ID)
	}
	sort.Strings(names)
	assert.Equal(t, []string{"mic/" + id, "star/" + star.ID()}, names)

	var infos []*svc.InfoResponse
	for info, err := range svc.Info(testCtx(t), sc, "mic", "") {
		require.NoError(t, err)
		infos = append(infos, info)
	}
	require.Len(t, infos, 1)
	info := infos[0]
	assert.Equal(t, svc.Identity{Name: "mic", ID: id, Version: "1.4.2-beta.1", Metadata: twinMeta}, info.Identity)
	assert.Equal(t, "twin under test", info.Description)
	assert.Equal(t, []svc.EndpointInfo{
		{Name: "echo", Subject: "mic.echo", QueueGroup: "q", Metadata: map[string]string{"kind": "echo"}},
		{Name: "fail", Subject: "mic.ops.fail", QueueGroup: "ops", Metadata: map[string]string{"kind": "fail"}},
	}, info.Endpoints)

	var stats []*svc.StatsResponse
	for st, err := range svc.Stats(testCtx(t), sc, "mic", id) {
		require.NoError(t, err)
		stats = append(stats, st)
	}
	require.Len(t, stats, 1)
	st := stats[0]
	assert.Equal(t, svc.StatsResponseType, st.Type)
	assert.WithinDuration(t, time.Now(), st.Started, time.Minute)
	require.Len(t, st.Endpoints, 2)
	assert.Equal(t, 3, st.Endpoints[0].NumRequests)
	assert.Equal(t, 1, st.Endpoints[1].NumRequests)
	assert.Equal(t, 1, st.Endpoints[1].NumErrors)
	assert.Equal(t, "418:teapot", st.Endpoints[1].LastError)
	assert.Greater(t, st.Endpoints[0].ProcessingTime, time.Duration(0))
	assert.JSONEq(t, `{"hits":3}`, string(st.Endpoints[0].Data))
}
