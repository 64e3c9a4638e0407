package js_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/js"
)

func TestStreamCRUD(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 20*time.Second)
	si, err := j.CreateStream(ctx, js.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}, Storage: js.MemoryStorage})
	require.NoError(t, err)
	assert.Equal(t, "ORDERS", si.Config.Name)
	assert.Equal(t, js.MemoryStorage, si.Config.Storage)
	assert.Equal(t, js.LimitsPolicy, si.Config.Retention, "server default filled in")

	// Same config again: no error; different config: name in use.
	_, err = j.CreateStream(ctx, js.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}, Storage: js.MemoryStorage})
	require.NoError(t, err)
	_, err = j.CreateStream(ctx, js.StreamConfig{Name: "ORDERS", Subjects: []string{"other.>"}, Storage: js.MemoryStorage})
	require.ErrorIs(t, err, js.ErrStreamNameInUse)
	_, err = j.CreateStream(ctx, js.StreamConfig{Name: "OVERLAP", Subjects: []string{"orders.new"}})
	require.ErrorIs(t, err, js.ErrSubjectsOverlap)

	cfg := si.Config
	cfg.Description = "updated"
	cfg.MaxMsgs = 100
	si, err = j.UpdateStream(ctx, cfg)
	require.NoError(t, err)
	assert.Equal(t, "updated", si.Config.Description)
	assert.EqualValues(t, 100, si.Config.MaxMsgs)

	_, err = j.UpdateStream(ctx, js.StreamConfig{Name: "MISSING", Subjects: []string{"m"}})
	require.ErrorIs(t, err, js.ErrStreamNotFound)
	si, err = j.CreateOrUpdateStream(ctx, js.StreamConfig{Name: "MISSING", Subjects: []string{"m"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"m"}, si.Config.Subjects)
	si, err = j.CreateOrUpdateStream(ctx, js.StreamConfig{Name: "MISSING", Subjects: []string{"m", "n"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"m", "n"}, si.Config.Subjects)

	name, err := j.StreamNameBySubject(ctx, "orders.1")
	require.NoError(t, err)
	assert.Equal(t, "ORDERS", name)
	_, err = j.StreamNameBySubject(ctx, "nobody.here")
	require.ErrorIs(t, err, js.ErrStreamNotFound)

	require.NoError(t, j.DeleteStream(ctx, "MISSING"))
	require.ErrorIs(t, j.DeleteStream(ctx, "MISSING"), js.ErrStreamNotFound)
	_, err = j.StreamInfo(ctx, "MISSING")
	require.ErrorIs(t, err, js.ErrStreamNotFound)
	_, err = j.StreamInfo(ctx, "bad.name")
	require.ErrorIs(t, err, js.ErrInvalidName)
}

// Names pages by 1024 and List by 256: 300 streams take two list pages.
func TestStreamNamesAndListPage(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 60*time.Second)
	const n = 300
	for i := 0; i < n; i++ {
		_, err := j.CreateStream(ctx, js.StreamConfig{Name: fmt.Sprintf("S%03d", i), Subjects: []string{fmt.Sprintf("s.%d", i)}, Storage: js.MemoryStorage})
		require.NoError(t, err)
	}
	seen := map[string]bool{}
	for name, err := range j.StreamNames(ctx) {
		require.NoError(t, err)
		seen[name] = true
	}
	assert.Len(t, seen, n)
	count := 0
	for si, err := range j.Streams(ctx) {
		require.NoError(t, err)
		require.True(t, seen[si.Config.Name])
		count++
	}
	assert.Equal(t, n, count)

	// Breaking out early stops paging.
	count = 0
	for _, err := range j.Streams(ctx) {
		require.NoError(t, err)
		count++
		if count == 3 {
			break
		}
	}
	assert.Equal(t, 3, count)

	var filtered []string
	for name, err := range j.StreamNames(ctx, js.WithStreamSubject("s.7")) {
		require.NoError(t, err)
		filtered = append(filtered, name)
	}
	assert.Equal(t, []string{"S007"}, filtered)
}

func TestStreamMessagesPurgeGetDelete(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 20*time.Second)
	addStream(t, j, "M", "m.>")
	for i := 1; i <= 10; i++ {
		_, err := j.Publish(ctx, fmt.Sprintf("m.%d", i%2), []byte(fmt.Sprint(i)), js.WithHeader("X-N", fmt.Sprint(i)))
		require.NoError(t, err)
	}
	m, err := j.GetMsg(ctx, "M", 3)
	require.NoError(t, err)
	assert.Equal(t, "m.1", m.Subject)
	assert.Equal(t, "3", string(m.Data))
	assert.Equal(t, "3", m.Header.Get("X-N"))
	assert.EqualValues(t, 3, m.Sequence)
	assert.False(t, m.Time.IsZero())

	m, err = j.GetLastMsg(ctx, "M", "m.0")
	require.NoError(t, err)
	assert.EqualValues(t, 10, m.Sequence)
	m, err = j.GetNextMsg(ctx, "M", "m.0", 3)
	require.NoError(t, err)
	assert.EqualValues(t, 4, m.Sequence)
	_, err = j.GetMsg(ctx, "M", 99)
	require.ErrorIs(t, err, js.ErrMsgNotFound)

	require.NoError(t, j.DeleteMsg(ctx, "M", 2))
	require.NoError(t, j.SecureDeleteMsg(ctx, "M", 4))
	_, err = j.GetMsg(ctx, "M", 2)
	require.ErrorIs(t, err, js.ErrMsgNotFound)
	si, err := j.StreamInfo(ctx, "M", js.WithDeletedDetails())
	require.NoError(t, err)
	assert.Equal(t, []uint64{2, 4}, si.State.Deleted)
	assert.Equal(t, 2, si.State.NumDeleted)

	si, err = j.StreamInfo(ctx, "M", js.WithSubjectsFilter(">"))
	require.NoError(t, err)
	assert.Equal(t, map[string]uint64{"m.0": 3, "m.1": 5}, si.State.Subjects)

	// keep, seq and filter.
	_, err = j.PurgeStream(ctx, "M", js.PurgeKeep(1), js.PurgeSequence(3))
	require.ErrorIs(t, err, js.ErrInvalidOption)
	n, err := j.PurgeStream(ctx, "M", js.PurgeFilter("m.1"), js.PurgeKeep(1))
	require.NoError(t, err)
	assert.EqualValues(t, 4, n) // m.1 had 1,3,5,7,9: keeps 9
	n, err = j.PurgeStream(ctx, "M", js.PurgeSequence(8))
	require.NoError(t, err)
	assert.EqualValues(t, 1, n) // left: 6, 8, 9, 10; below 8: 6
	n, err = j.PurgeStream(ctx, "M")
	require.NoError(t, err)
	assert.EqualValues(t, 3, n)
	si, err = j.StreamInfo(ctx, "M")
	require.NoError(t, err)
	assert.Zero(t, si.State.Msgs)
}

func TestSealStream(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 20*time.Second)
	addStream(t, j, "SEAL", "seal")
	_, err := j.Publish(ctx, "seal", []byte("x"))
	require.NoError(t, err)
	si, err := j.SealStream(ctx, "SEAL")
	require.NoError(t, err)
	assert.True(t, si.Config.Sealed)
	_, err = j.PurgeStream(ctx, "SEAL")
	require.ErrorIs(t, err, js.ErrStreamSealed)
	require.ErrorIs(t, j.DeleteMsg(ctx, "SEAL", 1), js.ErrStreamSealed)
}

// Every key of §2.5 goes to a real server and comes back.
func TestStreamConfigRoundTrip(t *testing.T) {
	_, _, j := newJS(t)
	ctx := testCtx(t, 20*time.Second)
	_, err := j.CreateStream(ctx, js.StreamConfig{Name: "SRC", Subjects: []string{"src.>"}, AllowDirect: true})
	require.NoError(t, err)
	cfg := js.StreamConfig{
		Name:                 "ALL",
		Description:          "every key",
		Subjects:             []string{"all.>"},
		Retention:            js.LimitsPolicy,
		MaxConsumers:         10,
		MaxMsgs:              1000,
		MaxBytes:             1 << 20,
		MaxAge:               time.Hour,
		MaxMsgsPerSubject:    5,
		MaxMsgSize:           4096,
		Discard:              js.DiscardNew,
		DiscardNewPerSubject: true,
		Storage:              js.FileStorage,
		Replicas:             1,
		DuplicateWindow:      time.Minute,
		Compression:          js.S2Compression,
		FirstSeq:             100,
		SubjectTransform:     &js.SubjectTransform{Source: "all.>", Destination: "stored.>"},
		Sources: []*js.StreamSource{{Name: "SRC", FilterSubject: "src.a.>",
			SubjectTransforms: nil}},
		RePublish:              &js.RePublish{Source: "stored.>", Destination: "repub.>", HeadersOnly: true},
		AllowDirect:            true,
		DenyDelete:             true,
		AllowRollup:            true,
		ConsumerLimits:         &js.ConsumerLimits{InactiveThreshold: time.Minute, MaxAckPending: 50},
		AllowMsgTTL:            true,
		SubjectDeleteMarkerTTL: time.Minute,
		AllowMsgCounter:        false,
		PersistMode:            js.PersistAsync,
		Metadata:               map[string]string{"owner": "team"},
	}
	si, err := j.CreateStream(ctx, cfg)
	require.NoError(t, err)
	got := si.Config
	assert.Equal(t, "team", got.Metadata["owner"])
	assert.NotEmpty(t, got.Metadata["_nats.req.level"], "server adds its level keys")
	got.Metadata = cfg.Metadata
	// Equal also compares the unknown keys: none means this client has
	// a field for every key the server sent.
	assert.Equal(t, cfg, got)

	// A mirror with placement, and the counter flag, on streams of their own.
	m, err := j.CreateStream(ctx, js.StreamConfig{Name: "MIR", Mirror: &js.StreamSource{Name: "SRC", OptStartSeq: 1}, MirrorDirect: true, Placement: &js.Placement{Tags: nil}})
	require.NoError(t, err)
	assert.Equal(t, "SRC", m.Config.Mirror.Name)
	assert.True(t, m.Config.MirrorDirect)
	c, err := j.CreateStream(ctx, js.StreamConfig{Name: "CNT", Subjects: []string{"cnt.>"}, AllowMsgCounter: true, DenyPurge: true})
	require.NoError(t, err)
	assert.True(t, c.Config.AllowMsgCounter)
	assert.True(t, c.Config.DenyPurge)
	sc, err := j.CreateStream(ctx, js.StreamConfig{Name: "SCH", Subjects: []string{"sch.>"}, AllowMsgSchedules: true, AllowAtomicPublish: true})
	require.NoError(t, err)
	assert.True(t, sc.Config.AllowMsgSchedules)
	assert.True(t, sc.Config.AllowAtomicPublish)
}

// A key this client has no field for survives read-modify-write.
func TestStreamConfigKeepsUnknownKeys(t *testing.T) {
	var c js.StreamConfig
	require.NoError(t, json.Unmarshal([]byte(`{"name":"S","subjects":["a"],"future_key":{"x":[1,2]},"max_msgs":5}`), &c))
	c.MaxMsgs = 7
	b, err := json.Marshal(c)
	require.NoError(t, err)
	var back map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &back))
	assert.JSONEq(t, `{"x":[1,2]}`, string(back["future_key"]))
	assert.JSONEq(t, `7`, string(back["max_msgs"]))
	assert.JSONEq(t, `"S"`, string(back["name"]))
}
