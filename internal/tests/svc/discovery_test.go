package svc_test

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/svc"
)

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// rawJSON asks subject and decodes the single answer into a generic map,
// to check the wire form, not our own types.
func rawJSON(t *testing.T, nc *core.Conn, subject string) map[string]any {
	t.Helper()
	m, err := nc.Request(testCtx(t, 5*time.Second), subject, nil)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(m.Data, &out), string(m.Data))
	return out
}

// ADR-32 §discovery: each verb on its three subjects, with exactly the
// fields of the io.nats.micro.v1 schemas.
func TestDiscoveryWireFormat(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "wire", Version: "1.2.3", Description: "wire check",
		Metadata:     map[string]string{"region": "eu"},
		StatsHandler: func(*svc.Endpoint) any { return map[string]int{"custom": 7} }})
	_, err := srv.AddEndpoint("echo", svc.HandlerFunc(echo), svc.WithMetadata(map[string]string{"k": "v"}))
	require.NoError(t, err)
	flush(t, nc)
	_, err = nc.Request(testCtx(t, 5*time.Second), "echo", []byte("x"))
	require.NoError(t, err)

	identity := []string{"id", "metadata", "name", "type", "version"}
	for _, subj := range []string{"$SRV.PING", "$SRV.PING.wire", "$SRV.PING.wire." + srv.ID()} {
		got := rawJSON(t, nc, subj)
		assert.Equal(t, identity, keys(got), subj)
		assert.Equal(t, "io.nats.micro.v1.ping_response", got["type"])
		assert.Equal(t, "wire", got["name"])
		assert.Equal(t, srv.ID(), got["id"])
		assert.Equal(t, "1.2.3", got["version"])
		assert.Equal(t, map[string]any{"region": "eu"}, got["metadata"])
	}
	for _, subj := range []string{"$SRV.INFO", "$SRV.INFO.wire", "$SRV.INFO.wire." + srv.ID()} {
		got := rawJSON(t, nc, subj)
		assert.Equal(t, []string{"description", "endpoints", "id", "metadata", "name", "type", "version"}, keys(got), subj)
		assert.Equal(t, "io.nats.micro.v1.info_response", got["type"])
		assert.Equal(t, "wire check", got["description"])
		eps := got["endpoints"].([]any)
		require.Len(t, eps, 1)
		ep := eps[0].(map[string]any)
		assert.Equal(t, []string{"metadata", "name", "queue_group", "subject"}, keys(ep))
		assert.Equal(t, map[string]any{"name": "echo", "subject": "echo", "queue_group": "q", "metadata": map[string]any{"k": "v"}}, ep)
	}
	for _, subj := range []string{"$SRV.STATS", "$SRV.STATS.wire", "$SRV.STATS.wire." + srv.ID()} {
		got := rawJSON(t, nc, subj)
		assert.Equal(t, []string{"endpoints", "id", "metadata", "name", "started", "type", "version"}, keys(got), subj)
		assert.Equal(t, "io.nats.micro.v1.stats_response", got["type"])
		started, err := time.Parse(time.RFC3339Nano, got["started"].(string))
		require.NoError(t, err)
		assert.Equal(t, time.UTC, started.Location())
		assert.WithinDuration(t, time.Now(), started, time.Minute)
		ep := got["endpoints"].([]any)[0].(map[string]any)
		assert.Equal(t, []string{"average_processing_time", "data", "last_error", "name", "num_errors", "num_requests", "processing_time", "queue_group", "subject"}, keys(ep))
		assert.Equal(t, float64(1), ep["num_requests"])
		assert.Equal(t, float64(0), ep["num_errors"])
		assert.Equal(t, "", ep["last_error"])
		assert.Greater(t, ep["processing_time"].(float64), float64(0), "nanoseconds, as a number")
		assert.Equal(t, ep["processing_time"], ep["average_processing_time"])
		assert.Equal(t, map[string]any{"custom": float64(7)}, ep["data"])
	}
	// Without a StatsHandler there is no "data" key; without metadata it is
	// an empty object, never null.
	plain := addService(t, nc, svc.Config{Name: "plain", Version: "1.0.0"})
	_, err = plain.AddEndpoint("p", svc.HandlerFunc(echo))
	require.NoError(t, err)
	flush(t, nc)
	got := rawJSON(t, nc, "$SRV.STATS.plain")
	assert.NotContains(t, got["endpoints"].([]any)[0].(map[string]any), "data")
	assert.Equal(t, map[string]any{}, got["metadata"])
	info := rawJSON(t, nc, "$SRV.INFO.plain")
	assert.Equal(t, map[string]any{}, info["endpoints"].([]any)[0].(map[string]any)["metadata"])
}

// Groups nest their prefixes; the queue group resolves endpoint > group >
// service > "q", and each level may turn it off.
func TestGroupsAndQueueGroups(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "groups", Version: "1.0.0", QueueGroup: "svcq"})
	h := svc.HandlerFunc(echo)
	_, err := srv.AddEndpoint("top", h)
	require.NoError(t, err)
	g, err := srv.AddGroup("api")
	require.NoError(t, err)
	_, err = g.AddEndpoint("a", h)
	require.NoError(t, err)
	_, err = g.AddEndpoint("b", h, svc.WithSubject("bee.*"), svc.QueueGroup("epq"))
	require.NoError(t, err)
	v2, err := g.AddGroup("v2", svc.QueueGroup("grpq"))
	require.NoError(t, err)
	assert.Equal(t, "api.v2", v2.Prefix())
	_, err = v2.AddEndpoint("c", h)
	require.NoError(t, err)
	off, err := v2.AddGroup("all", svc.NoQueueGroup())
	require.NoError(t, err)
	_, err = off.AddEndpoint("d", h)
	require.NoError(t, err)
	_, err = off.AddEndpoint("e", h, svc.QueueGroup("back"))
	require.NoError(t, err)
	_, err = srv.AddEndpoint("f", h, svc.NoQueueGroup())
	require.NoError(t, err)
	flush(t, nc)

	want := map[string][2]string{
		"top": {"top", "svcq"}, "a": {"api.a", "svcq"}, "b": {"api.bee.*", "epq"}, "c": {"api.v2.c", "grpq"},
		"d": {"api.v2.all.d", ""}, "e": {"api.v2.all.e", "back"}, "f": {"f", ""},
	}
	infos := collect(t, svc.Info(testCtx(t, 5*time.Second), nc, "groups", srv.ID()))
	require.Len(t, infos, 1)
	require.Len(t, infos[0].Endpoints, len(want))
	for _, e := range infos[0].Endpoints {
		assert.Equal(t, want[e.Name], [2]string{e.Subject, e.QueueGroup}, e.Name)
	}
	m, err := nc.Request(testCtx(t, 5*time.Second), "api.bee.x", []byte("wild"))
	require.NoError(t, err)
	assert.Equal(t, "wild", string(m.Data))
	m, err = nc.Request(testCtx(t, 5*time.Second), "api.v2.all.d", []byte("deep"))
	require.NoError(t, err)
	assert.Equal(t, "deep", string(m.Data))

	disabled := addService(t, nc, svc.Config{Name: "noq", Version: "1.0.0", QueueGroupDisabled: true})
	ep, err := disabled.AddEndpoint("x", h)
	require.NoError(t, err)
	assert.Equal(t, "", ep.QueueGroup())
	dflt := addService(t, nc, svc.Config{Name: "dq", Version: "1.0.0"})
	ep, err = dflt.AddEndpoint("y", h)
	require.NoError(t, err)
	assert.Equal(t, svc.DefaultQueueGroup, ep.QueueGroup())
}

// Config.Prefix moves discovery; WithPrefix finds it there and $SRV does
// not.
func TestDiscoveryPrefix(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "pfx", Version: "1.0.0", Prefix: "$MYSRV"})
	assert.Equal(t, "$MYSRV", srv.Prefix())
	_, err := srv.AddEndpoint("x", svc.HandlerFunc(echo), svc.WithSubject("$MYSRV.x"))
	require.ErrorIs(t, err, svc.ErrInvalidConfig)
	flush(t, nc)
	pings := collect(t, svc.Ping(testCtx(t, 5*time.Second), nc, "pfx", "", svc.WithPrefix("$MYSRV")))
	require.Len(t, pings, 1)
	assert.Equal(t, srv.ID(), pings[0].ID)
	assert.Empty(t, collect(t, svc.Ping(testCtx(t, 5*time.Second), nc, "pfx", "")))
}

// The client side: all services, by name, by instance; no answer is an
// empty sequence; an id without a name is refused.
func TestClientQueries(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	cli := connect(t, s.ClientURL())
	a := addService(t, nc, svc.Config{Name: "alpha", Version: "1.0.0"})
	b := addService(t, nc, svc.Config{Name: "beta", Version: "2.0.0"})
	_, err := b.AddEndpoint("e", svc.HandlerFunc(echo))
	require.NoError(t, err)
	flush(t, nc)

	all := collect(t, svc.Ping(testCtx(t, 5*time.Second), cli, "", ""))
	ids := map[string]string{}
	for _, p := range all {
		ids[p.ID] = p.Name
	}
	assert.Equal(t, map[string]string{a.ID(): "alpha", b.ID(): "beta"}, ids)
	one := collect(t, svc.Info(testCtx(t, 5*time.Second), cli, "beta", ""))
	require.Len(t, one, 1)
	assert.Equal(t, "2.0.0", one[0].Version)
	assert.Len(t, one[0].Endpoints, 1)
	st := collect(t, svc.Stats(testCtx(t, 5*time.Second), cli, "alpha", a.ID()))
	require.Len(t, st, 1)
	assert.Empty(t, st[0].Endpoints)
	assert.Empty(t, collect(t, svc.Ping(testCtx(t, 5*time.Second), cli, "nobody", "")))
	for _, err := range svc.Ping(testCtx(t, 5*time.Second), cli, "", "someid") {
		assert.ErrorIs(t, err, svc.ErrInvalidConfig)
	}
}

// A reply that is not a discovery response yields ErrBadResponse, and the
// real instances are still yielded.
func TestClientBadResponse(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	addService(t, nc, svc.Config{Name: "good", Version: "1.0.0"})
	_, err := nc.Subscribe("$SRV.PING", func(m *core.Msg) { _ = m.Respond([]byte(`{"type":"something.else"}`)) })
	require.NoError(t, err)
	_, err = nc.Subscribe("$SRV.PING", func(m *core.Msg) { _ = m.Respond([]byte(`not json`)) })
	require.NoError(t, err)
	flush(t, nc)
	var good, bad int
	for p, err := range svc.Ping(testCtx(t, 5*time.Second), nc, "", "") {
		if err != nil {
			assert.ErrorIs(t, err, svc.ErrBadResponse)
			bad++
			continue
		}
		assert.Equal(t, "good", p.Name)
		good++
	}
	assert.Equal(t, 1, good)
	assert.Equal(t, 2, bad)
}
