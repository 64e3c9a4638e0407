package js_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// fakeAPI serves subject on a server without JetStream with respond, so a
// test can send what no real server does.
func fakeAPI(t *testing.T, subject string, respond func(m *core.Msg)) *js.JetStream {
	t.Helper()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	_, err := nc.Subscribe(subject, respond)
	require.NoError(t, err)
	j, err := js.New(nc, js.WithTimeout(2*time.Second))
	require.NoError(t, err)
	t.Cleanup(j.Close)
	return j
}

// Direct get replies that break the ADR-31 shape are typed errors.
func TestHostileDirectGet(t *testing.T) {
	var reply *core.Msg
	j := fakeAPI(t, "$JS.API.DIRECT.GET.>", func(m *core.Msg) { _ = m.RespondMsg(reply) })
	ctx := testCtx(t, 10*time.Second)
	good := core.Header{"Nats-Stream": {"S"}, "Nats-Subject": {"a"}, "Nats-Sequence": {"1"}, "Nats-Time-Stamp": {"2026-11-30T10:00:00Z"}}
	with := func(k, v string) core.Header {
		h := core.Header{}
		for kk, vv := range good {
			h[kk] = vv
		}
		if v == "" {
			delete(h, k)
		} else {
			h[k] = []string{v}
		}
		return h
	}
	for name, h := range map[string]core.Header{
		"no stream":     with("Nats-Stream", ""),
		"no subject":    with("Nats-Subject", ""),
		"bad sequence":  with("Nats-Sequence", "many"),
		"bad timestamp": with("Nats-Time-Stamp", "soon"),
		"no headers":    nil,
	} {
		reply = &core.Msg{Header: h, Data: []byte("x")}
		_, err := j.DirectGet(ctx, "S", 1)
		assert.ErrorIs(t, err, js.ErrInvalidResponse, name)
	}
	reply = &core.Msg{Header: good, Data: []byte("x")}
	m, err := j.DirectGet(ctx, "S", 1)
	require.NoError(t, err)
	assert.EqualValues(t, 1, m.Sequence)

	// A batch that never sends its EOB ends at the deadline with an error,
	// not a hang and not a silent short read.
	reply = &core.Msg{Header: good, Data: []byte("x")}
	n := 0
	var last error
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	for _, err := range j.DirectGetBatch(short, "S", js.DirectBatch{Batch: 5}) {
		if err != nil {
			last = err
			break
		}
		n++
	}
	assert.Equal(t, 1, n)
	require.ErrorIs(t, last, context.DeadlineExceeded)
}

// A lying total or an endless page cannot loop the client: an empty page
// ends the walk, and StreamInfo's subject pages stop at the total.
func TestHostilePaging(t *testing.T) {
	j := fakeAPI(t, "$JS.API.STREAM.>", func(m *core.Msg) {
		switch m.Subject {
		case "$JS.API.STREAM.NAMES":
			var req struct {
				Offset int `json:"offset"`
			}
			_ = json.Unmarshal(m.Data, &req)
			var names []string
			if req.Offset < 3000 {
				for i := 0; i < 1024; i++ {
					names = append(names, fmt.Sprintf("S%d", req.Offset+i))
				}
			}
			b, _ := json.Marshal(map[string]any{"type": "io.nats.jetstream.api.v1.stream_names_response", "total": 1 << 40, "offset": req.Offset, "limit": 1024, "streams": names})
			_ = m.Respond(b)
		case "$JS.API.STREAM.INFO.S":
			var req struct {
				Offset int `json:"offset"`
			}
			_ = json.Unmarshal(m.Data, &req)
			subjects := map[string]uint64{}
			for i := req.Offset; i < req.Offset+2 && i < 5; i++ {
				subjects[fmt.Sprintf("s.%d", i)] = uint64(i + 1)
			}
			b, _ := json.Marshal(map[string]any{"type": "io.nats.jetstream.api.v1.stream_info_response", "total": 5, "offset": req.Offset, "limit": 2,
				"config": map[string]any{"name": "S"}, "state": map[string]any{"subjects": subjects}})
			_ = m.Respond(b)
		}
	})
	ctx := testCtx(t, 10*time.Second)
	n := 0
	for _, err := range j.StreamNames(ctx) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 3072, n, "stopped at the first empty page")

	si, err := j.StreamInfo(ctx, "S", js.WithSubjectsFilter(">"))
	require.NoError(t, err)
	assert.Equal(t, map[string]uint64{"s.0": 1, "s.1": 2, "s.2": 3, "s.3": 4, "s.4": 5}, si.State.Subjects, "three pages of subjects merged")
}
