package js_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

func TestAccountInfoAndAPILevel(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 10*time.Second)
	addStream(t, j, "ACC", "acc.>")
	ai, err := j.AccountInfo(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, ai.Streams)
	assert.GreaterOrEqual(t, ai.API.Level, 4, "nats-server 2.15 has api level >= 4")
	l, err := j.APILevel(ctx)
	require.NoError(t, err)
	assert.Equal(t, ai.API.Level, l)
}

func TestNewRejectsBadOptions(t *testing.T) {
	nc := (*core.Conn)(nil)
	_, err := js.New(nil)
	require.ErrorIs(t, err, js.ErrInvalidOption)
	for _, o := range []js.Option{js.WithDomain("a.b"), js.WithDomain(""), js.WithAPIPrefix("x.*"), js.WithTimeout(0), js.WithPublishAsyncMaxPending(0), js.WithPublishRetry(-1, 0)} {
		_, err := js.New(nc, o)
		require.ErrorIs(t, err, js.ErrInvalidOption)
	}
}

// A server without JetStream does not answer the API: 503, typed.
func TestNoJetStreamIsNoStreamResponse(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	j, err := js.New(nc)
	require.NoError(t, err)
	_, err = j.AccountInfo(testCtx(t, 5*time.Second))
	require.ErrorIs(t, err, js.ErrNoStreamResponse)
}

// The domain and prefix options change the API subject: a responder on the
// domain's subject gets the request.
func TestDomainAndPrefixSubjects(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	for _, tc := range []struct {
		opt  js.Option
		subj string
	}{
		{js.WithDomain("hub"), "$JS.hub.API.INFO"},
		{js.WithAPIPrefix("imported.api."), "imported.api.INFO"},
	} {
		sub, err := nc.Subscribe(tc.subj, func(m *core.Msg) {
			_ = m.Respond([]byte(`{"type":"io.nats.jetstream.api.v1.account_info_response","domain":"hub","api":{"level":3}}`))
		})
		require.NoError(t, err)
		j, err := js.New(nc, tc.opt)
		require.NoError(t, err)
		ai, err := j.AccountInfo(testCtx(t, 5*time.Second))
		require.NoError(t, err, tc.subj)
		assert.Equal(t, "hub", ai.Domain)
		assert.Equal(t, 3, ai.API.Level)
		require.NoError(t, sub.Unsubscribe())
	}
}

// Replies no real server sends get typed errors, never a panic: a
// responder on a JetStream-less server plays a hostile JetStream.
func TestHostileAPIReplies(t *testing.T) {
	s := harness.RunServer(t, harness.WithMaxPayload(4<<20))
	nc := connect(t, s.ClientURL())
	var reply []byte
	sub, err := nc.Subscribe("$JS.API.>", func(m *core.Msg) {
		_ = m.Respond(reply)
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	j, err := js.New(nc, js.WithMaxResponseSize(1<<20))
	require.NoError(t, err)

	cases := []struct {
		name  string
		reply string
		want  error
	}{
		{"bad json", `{"type":`, js.ErrInvalidResponse},
		{"not an object", `[1,2,3]`, js.ErrInvalidResponse},
		{"wrong field type", `{"type":"io.nats.jetstream.api.v1.stream_info_response","state":{"messages":"many"}}`, js.ErrInvalidResponse},
		{"wrong reply type", `{"type":"io.nats.jetstream.api.v1.consumer_info_response"}`, js.ErrInvalidResponse},
		{"error wrong type", `{"error":{"code":"x"}}`, js.ErrInvalidResponse},
		{"huge", `{"pad":"` + strings.Repeat("x", 2<<20) + `"}`, js.ErrResponseTooLarge},
		{"api error", `{"error":{"code":404,"err_code":10059,"description":"stream not found"}}`, js.ErrStreamNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reply = []byte(tc.reply)
			_, err := j.StreamInfo(testCtx(t, 5*time.Second), "S")
			require.ErrorIs(t, err, tc.want)
		})
	}
	t.Run("pub ack", func(t *testing.T) {
		for _, r := range []string{`{"stream":`, `{}`, `{"seq":1}`, `{"stream":"S","seq":-1}`, `null`, `{"stream":"S","seq":18446744073709551616}`} {
			reply = []byte(r)
			_, err := j.Publish(testCtx(t, 5*time.Second), "$JS.API.fake", nil)
			require.ErrorIs(t, err, js.ErrInvalidResponse, r)
		}
		reply = []byte(`{"stream":"S","seq":1,"pad":"` + strings.Repeat("x", 2<<20) + `"}`)
		_, err := j.Publish(testCtx(t, 5*time.Second), "$JS.API.fake", nil)
		require.ErrorIs(t, err, js.ErrResponseTooLarge)
	})
}

func TestAPIErrorIs(t *testing.T) {
	e := &js.APIError{Code: 400, ErrCode: 10164, Description: "wrong last sequence"}
	assert.ErrorIs(t, e, js.ErrWrongLastSequence)
	assert.ErrorIs(t, e, &js.APIError{ErrCode: 10164})
	assert.NotErrorIs(t, e, js.ErrStreamNotFound)
	var ae *js.APIError
	require.True(t, errors.As(error(e), &ae))
	assert.Contains(t, e.Error(), "10164")
	le := &js.LevelError{Feature: "counters", Required: 2, Server: 1}
	assert.ErrorIs(t, le, js.ErrAPILevelTooLow)
}
