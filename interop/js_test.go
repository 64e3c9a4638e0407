package interop

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// jsPair connects both clients' JetStream contexts to one JetStream server.
func jsPair(t *testing.T) (*js.JetStream, jetstream.JetStream) {
	s := harness.RunServer(t, harness.WithJetStream())
	sj, err := js.New(connectStarling(t, s.ClientURL()))
	require.NoError(t, err)
	t.Cleanup(sj.Close)
	nj, err := jetstream.New(connectNats(t, s.ClientURL()))
	require.NoError(t, err)
	return sj, nj
}

// A stream made by nats.go is read, published to and updated by Starling;
// nats.go reads what Starling wrote, headers included.
func TestJetStreamNatsStreamUsedByStarling(t *testing.T) {
	sj, nj := jsPair(t)
	ctx := testCtx(t)
	_, err := nj.CreateStream(ctx, jetstream.StreamConfig{
		Name: "NG", Subjects: []string{"ng.>"}, MaxAge: time.Hour, MaxMsgsPerSubject: 10,
		Duplicates: time.Minute, AllowDirect: true, AllowRollup: true, Compression: jetstream.S2Compression,
		Metadata: map[string]string{"made-by": "nats.go"},
	})
	require.NoError(t, err)

	si, err := sj.StreamInfo(ctx, "NG")
	require.NoError(t, err)
	c := si.Config
	assert.Equal(t, []string{"ng.>"}, c.Subjects)
	assert.Equal(t, time.Hour, c.MaxAge)
	assert.EqualValues(t, 10, c.MaxMsgsPerSubject)
	assert.Equal(t, time.Minute, c.DuplicateWindow)
	assert.True(t, c.AllowDirect)
	assert.True(t, c.AllowRollup)
	assert.Equal(t, js.S2Compression, c.Compression)
	assert.Equal(t, "nats.go", c.Metadata["made-by"])

	sack, err := sj.PublishMsg(ctx, &core.Msg{Subject: "ng.a", Header: core.Header{"X-From": {"starling"}}, Data: []byte("s1")}, js.MsgID("id-1"))
	require.NoError(t, err)
	nack, err := nj.Publish(ctx, "ng.a", []byte("s1"), jetstream.WithMsgID("id-1"))
	require.NoError(t, err)
	assert.Equal(t, sack.Stream, nack.Stream)
	assert.Equal(t, sack.Sequence, nack.Sequence)
	assert.False(t, sack.Duplicate)
	assert.True(t, nack.Duplicate, "nats.go's publish deduplicated against Starling's MsgID")

	st, err := nj.Stream(ctx, "NG")
	require.NoError(t, err)
	m, err := st.GetMsg(ctx, sack.Sequence)
	require.NoError(t, err)
	assert.Equal(t, "starling", m.Header.Get("X-From"))
	assert.Equal(t, "id-1", m.Header.Get(jetstream.MsgIDHeader))
	assert.Equal(t, "s1", string(m.Data))

	// Read-modify-write by Starling keeps what nats.go set.
	c.Description = "changed by starling"
	_, err = sj.UpdateStream(ctx, c)
	require.NoError(t, err)
	ni, err := st.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, "changed by starling", ni.Config.Description)
	assert.Equal(t, time.Hour, ni.Config.MaxAge)
	assert.Equal(t, "nats.go", ni.Config.Metadata["made-by"])

	// Expectations refuse the same way in both.
	_, serr := sj.Publish(ctx, "ng.a", nil, js.ExpectLastSequence(99))
	_, nerr := nj.Publish(ctx, "ng.a", nil, jetstream.WithExpectLastSequence(99))
	require.ErrorIs(t, serr, js.ErrWrongLastSequence)
	var napi *jetstream.APIError
	require.ErrorAs(t, nerr, &napi)
	var sapi *js.APIError
	require.ErrorAs(t, serr, &sapi)
	assert.EqualValues(t, napi.ErrorCode, sapi.ErrCode)
	assert.Equal(t, napi.Code, sapi.Code)
}

// A stream made by Starling is used by nats.go; Starling reads what
// nats.go wrote through the leader and through direct get.
func TestJetStreamStarlingStreamUsedByNats(t *testing.T) {
	sj, nj := jsPair(t)
	ctx := testCtx(t)
	_, err := sj.CreateStream(ctx, js.StreamConfig{
		Name: "ST", Subjects: []string{"st.>"}, Storage: js.MemoryStorage, MaxMsgs: 100,
		Discard: js.DiscardNew, AllowDirect: true, AllowMsgTTL: true,
		SubjectTransform: &js.SubjectTransform{Source: "st.in.>", Destination: "st.stored.>"},
	})
	require.NoError(t, err)
	st, err := nj.Stream(ctx, "ST")
	require.NoError(t, err)
	ni, err := st.Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, jetstream.MemoryStorage, ni.Config.Storage)
	assert.Equal(t, jetstream.DiscardNew, ni.Config.Discard)
	assert.EqualValues(t, 100, ni.Config.MaxMsgs)
	assert.True(t, ni.Config.AllowMsgTTL)
	require.NotNil(t, ni.Config.SubjectTransform)
	assert.Equal(t, "st.stored.>", ni.Config.SubjectTransform.Destination)

	msg := nats.NewMsg("st.in.x")
	msg.Header.Set("X-From", "nats.go")
	msg.Header.Add("X-Multi", "1")
	msg.Header.Add("X-Multi", "2")
	msg.Data = []byte("n1")
	nack, err := nj.PublishMsg(ctx, msg, jetstream.WithMsgID("n-1"), jetstream.WithMsgTTL(time.Hour))
	require.NoError(t, err)
	sack, err := sj.Publish(ctx, "st.in.x", []byte("n1"), js.MsgID("n-1"))
	require.NoError(t, err)
	assert.Equal(t, js.PubAck{Stream: nack.Stream, Sequence: nack.Sequence, Duplicate: true, Domain: nack.Domain}, *sack)

	for name, get := range map[string]func() (*js.StoredMsg, error){
		"leader": func() (*js.StoredMsg, error) { return sj.GetMsg(ctx, "ST", nack.Sequence) },
		"direct": func() (*js.StoredMsg, error) { return sj.DirectGet(ctx, "ST", nack.Sequence) },
		"last":   func() (*js.StoredMsg, error) { return sj.DirectGetLast(ctx, "ST", "st.stored.x") },
	} {
		m, err := get()
		require.NoError(t, err, name)
		assert.Equal(t, "st.stored.x", m.Subject, name)
		assert.Equal(t, "nats.go", m.Header.Get("X-From"), name)
		assert.Equal(t, []string{"1", "2"}, m.Header.Values("X-Multi"), name)
		assert.Equal(t, "1h0m0s", m.Header.Get(js.HeaderTTL), name)
		assert.Equal(t, "n1", string(m.Data), name)
		nm, err := st.GetMsg(ctx, nack.Sequence)
		require.NoError(t, err)
		assert.True(t, nm.Time.Equal(m.Time), "%s: time %v vs nats.go %v", name, m.Time, nm.Time)
	}

	// Purge by Starling, seen by nats.go; delete by nats.go, seen by
	// Starling.
	_, err = sj.Publish(ctx, "st.in.y", []byte("y"))
	require.NoError(t, err)
	require.NoError(t, st.DeleteMsg(ctx, 2))
	_, err = sj.GetMsg(ctx, "ST", 2)
	require.ErrorIs(t, err, js.ErrMsgNotFound)
	n, err := sj.PurgeStream(ctx, "ST")
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	ni, err = st.Info(ctx)
	require.NoError(t, err)
	assert.Zero(t, ni.State.Msgs)

	// Names agree.
	names := nj.StreamNames(ctx)
	var ngNames []string
	for n := range names.Name() {
		ngNames = append(ngNames, n)
	}
	var sNames []string
	for n, err := range sj.StreamNames(ctx) {
		require.NoError(t, err)
		sNames = append(sNames, n)
	}
	assert.ElementsMatch(t, ngNames, sNames)
}

// Async publishing from both into one stream: every ack from either
// client names a distinct sequence holding that client's message.
func TestJetStreamAsyncBothClients(t *testing.T) {
	sj, nj := jsPair(t)
	ctx := testCtx(t)
	_, err := sj.CreateStream(ctx, js.StreamConfig{Name: "AS", Subjects: []string{"as.>"}})
	require.NoError(t, err)
	const n = 500
	var sf []*js.PubAckFuture
	var nf []jetstream.PubAckFuture
	for i := 0; i < n; i++ {
		f, err := sj.PublishAsync(ctx, "as.s", []byte("s"))
		require.NoError(t, err)
		sf = append(sf, f)
		g, err := nj.PublishAsync("as.n", []byte("n"))
		require.NoError(t, err)
		nf = append(nf, g)
	}
	require.NoError(t, sj.PublishAsyncComplete(ctx))
	select {
	case <-nj.PublishAsyncComplete():
	case <-ctx.Done():
		t.Fatal("nats.go async publishes did not complete")
	}
	seqs := map[uint64]string{}
	for _, f := range sf {
		a, err := f.Wait(ctx)
		require.NoError(t, err)
		seqs[a.Sequence] = "s"
	}
	for _, g := range nf {
		select {
		case a := <-g.Ok():
			require.NotContains(t, seqs, a.Sequence)
			seqs[a.Sequence] = "n"
		case err := <-g.Err():
			t.Fatal(err)
		}
	}
	assert.Len(t, seqs, 2*n)
	m, err := sj.GetMsg(ctx, "AS", 17)
	require.NoError(t, err)
	assert.Equal(t, seqs[17], string(m.Data))
}
