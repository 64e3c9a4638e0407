package js_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// apiErr sends a raw API request and decodes the error a real server
// answers with, for the err_codes whose calls belong to later packages
// (consumers).
func apiErr(t *testing.T, nc *core.Conn, subj string, hdr core.Header, body string) *js.APIError {
	t.Helper()
	m, err := nc.RequestMsg(testCtx(t, 5*time.Second), &core.Msg{Subject: subj, Header: hdr, Data: []byte(body)})
	require.NoError(t, err)
	var r struct {
		Error *js.APIError `json:"error"`
	}
	require.NoError(t, json.Unmarshal(m.Data, &r), string(m.Data))
	require.NotNil(t, r.Error, string(m.Data))
	return r.Error
}

// The err_codes of the consumer API and of API levels, produced by a real
// server, match their sentinels.
func TestErrCodesFromServer(t *testing.T) {
	_, nc, j := newJS(t)
	addStream(t, j, "C", "c.>")
	create := func(action, durable string, ackWait int) string {
		b, _ := json.Marshal(map[string]any{"stream_name": "C", "action": action,
			"config": map[string]any{"durable_name": durable, "ack_policy": "explicit", "ack_wait": ackWait}})
		return string(b)
	}
	cases := []struct {
		name       string
		subj, body string
		hdr        core.Header
		want       error
		code       uint16
	}{
		{"consumer not found", "$JS.API.CONSUMER.INFO.C.nope", "", nil, js.ErrConsumerNotFound, 10014},
		{"consumer does not exist", "$JS.API.CONSUMER.CREATE.C.d1", create("update", "d1", 1e9), nil, js.ErrConsumerDoesNotExist, 10149},
		{"api level", "$JS.API.INFO", "", core.Header{"Nats-Required-Api-Level": {"99"}}, js.ErrAPILevelTooLow, 10185},
		{"stream not found", "$JS.API.STREAM.INFO.NOPE", "", nil, js.ErrStreamNotFound, 10059},
	}
	// A consumer that exists, then created again with another config.
	_, err := nc.Request(testCtx(t, 5*time.Second), "$JS.API.CONSUMER.CREATE.C.d2", []byte(create("create", "d2", 1e9)))
	require.NoError(t, err)
	cases = append(cases, struct {
		name       string
		subj, body string
		hdr        core.Header
		want       error
		code       uint16
	}{"consumer exists", "$JS.API.CONSUMER.CREATE.C.d2", create("create", "d2", 2e9), nil, js.ErrConsumerExists, 10148})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := apiErr(t, nc, tc.subj, tc.hdr, tc.body)
			assert.Equal(t, tc.code, e.ErrCode)
			assert.ErrorIs(t, e, tc.want)
		})
	}
}

// An account without JetStream on a JetStream server: 10039.
func TestErrJetStreamNotEnabledForAccount(t *testing.T) {
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithConfig(`
accounts {
  JS: { jetstream: enabled, users: [{user: a, password: a}] }
  NOJS: { users: [{user: b, password: b}] }
}`))
	nc := connect(t, s.ClientURL(), core.WithUserInfo("b", "b"))
	j, err := js.New(nc)
	require.NoError(t, err)
	_, err = j.AccountInfo(testCtx(t, 5*time.Second))
	require.ErrorIs(t, err, js.ErrJetStreamNotEnabled)
	var ae *js.APIError
	require.ErrorAs(t, err, &ae)
	assert.EqualValues(t, 10039, ae.ErrCode)
}
