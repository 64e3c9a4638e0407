package core_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// jsRequest sends a JetStream API request and fails on an API error.
func jsRequest(t *testing.T, nc *core.Conn, subject, body string) {
	t.Helper()
	m, err := nc.Request(testCtx(t, 5*time.Second), subject, []byte(body))
	require.NoError(t, err)
	require.NotContains(t, string(m.Data), `"error"`, "%s: %s", subject, m.Data)
}

// pull asks consumer for up to batch messages within maxBytes and returns
// what came until the pull ended (a status) or went quiet.
func pull(t *testing.T, nc *core.Conn, consumer string, batch, maxBytes int) []*core.Msg {
	t.Helper()
	inbox := nc.NewInbox()
	sub, err := nc.SubscribeSync(inbox)
	require.NoError(t, err)
	defer func() { _ = sub.Unsubscribe() }()
	req := fmt.Sprintf(`{"batch":%d,"max_bytes":%d,"expires":%d}`, batch, maxBytes, 2*time.Second)
	require.NoError(t, nc.PublishRequest("$JS.API.CONSUMER.MSG.NEXT.SZ."+consumer, inbox, []byte(req)))
	var got []*core.Msg
	for {
		m, err := sub.Next(testCtx(t, time.Second))
		if err != nil {
			return got // quiet: the pull was complete
		}
		got = append(got, m)
		if m.Status() != 0 {
			return got
		}
	}
}

// TestMsgSizeMatchesServerMaxBytes checks Msg.Size and BorrowedMsg.Size
// against the server's own accounting: a pull whose max_bytes is exactly
// the sum of the first three messages' sizes gets those three, and one byte
// less gets two and "409 Message Size Exceeds MaxBytes". The consumers'
// names have equal lengths, so their ack subjects (part of the size) do too.
func TestMsgSizeMatchesServerMaxBytes(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithJetStream())
	nc := connect(t, s.ClientURL())
	jsRequest(t, nc, "$JS.API.STREAM.CREATE.SZ", `{"name":"SZ","subjects":["sz.>"],"storage":"memory"}`)
	for i := 0; i < 6; i++ {
		m := &core.Msg{Subject: "sz." + strings.Repeat("s", i+1), Data: []byte(strings.Repeat("d", 10*i)), Header: core.Header{}}
		if i%2 == 0 {
			m.Header.Set("Trace", strings.Repeat("h", i+3))
		}
		ack, err := nc.RequestMsg(testCtx(t, 5*time.Second), m)
		require.NoError(t, err)
		require.Contains(t, string(ack.Data), `"seq"`)
	}
	for _, name := range []string{"C1", "C2", "C3"} {
		jsRequest(t, nc, "$JS.API.CONSUMER.DURABLE.CREATE.SZ."+name,
			`{"stream_name":"SZ","config":{"durable_name":"`+name+`","ack_policy":"explicit"}}`)
	}

	// C1: everything, to learn the sizes; borrowed and owned views agree.
	inbox := nc.NewInbox()
	sizes := make(chan [2]int, 16)
	bsub, err := nc.SubscribeBorrowed(inbox, func(m *core.BorrowedMsg) {
		if m.Status() == 0 {
			sizes <- [2]int{m.Size(), m.Copy().Size()}
		}
	})
	require.NoError(t, err)
	require.NoError(t, nc.PublishRequest("$JS.API.CONSUMER.MSG.NEXT.SZ.C1", inbox, []byte(`{"batch":6}`)))
	var size []int
	for i := 0; i < 6; i++ {
		sz := recv(t, sizes)
		assert.Equal(t, sz[0], sz[1], "BorrowedMsg.Size and Msg.Size differ")
		size = append(size, sz[0])
	}
	require.NoError(t, bsub.Unsubscribe())

	// C2: a budget of exactly three messages gets exactly three.
	got := pull(t, nc, "C2", 6, size[0]+size[1]+size[2])
	var data []*core.Msg
	for _, m := range got {
		if m.Status() == 0 {
			data = append(data, m)
		}
	}
	require.Len(t, data, 3, "exact budget")
	for i, m := range data {
		assert.Equal(t, size[i], m.Size())
	}

	// C3: one byte less gets two, then the server's refusal of the third.
	got = pull(t, nc, "C3", 6, size[0]+size[1]+size[2]-1)
	require.Len(t, got, 3)
	assert.Equal(t, 0, got[0].Status())
	assert.Equal(t, 0, got[1].Status())
	assert.Equal(t, core.StatusConflict, got[2].Status())
	assert.Equal(t, "Message Size Exceeds MaxBytes", got[2].Description())
}

// TestMsgSizeBuilt checks the size of a message the user built: what
// PublishMsg would send, header block included.
func TestMsgSizeBuilt(t *testing.T) {
	t.Parallel()
	m := &core.Msg{Subject: "a.b", Reply: "r", Data: []byte("data")}
	assert.Equal(t, 3+1+4, m.Size())
	m.Header = core.Header{}
	assert.Equal(t, 8, m.Size(), "an empty header is not sent")
	m.Header.Add("K", "v1")
	m.Header.Add("K", "v2")
	m.Header.Set("Other", "x")
	assert.Equal(t, 8+len(m.Header.Append(nil)), m.Size())
}
