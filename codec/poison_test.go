//go:build codecdebug

package codec

import (
	"bytes"
	"strings"
	"testing"
)

// Under the codecdebug tag a slice kept past the next Next reads as poison:
//
//	go test -tags codecdebug ./codec
func TestPoisonStaleOps(t *testing.T) {
	r := NewReader(strings.NewReader("MSG a.b 1 5\r\nhello\r\nHMSG c 2 12 17\r\nNATS/1.0\r\n\r\nworld\r\nPING\r\n"), Limits{})
	defer r.Release()
	op, err := r.Next()
	require.NoError(t, err)
	subject, payload := op.Subject, op.Payload
	op, err = r.Next()
	require.NoError(t, err)
	header := op.Header
	assert.Equal(t, bytes.Repeat([]byte{poisonByte}, 3), subject)
	assert.Equal(t, bytes.Repeat([]byte{poisonByte}, 5), payload)
	_, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, bytes.Repeat([]byte{poisonByte}, len("NATS/1.0\r\n\r\n")), header)

	cr := NewClientReader(strings.NewReader("PUB a 5\r\nhello\r\nPING\r\n"), Limits{})
	defer cr.Release()
	cop, err := cr.Next()
	require.NoError(t, err)
	payload = cop.Payload
	_, err = cr.Next()
	require.NoError(t, err)
	assert.Equal(t, bytes.Repeat([]byte{poisonByte}, 5), payload)
}

// A buffer that grew for a large op is poisoned when it goes back to the pool.
func TestPoisonReleasedBuffer(t *testing.T) {
	in := AppendMsg(nil, "big", 1, "", bytes.Repeat([]byte("b"), 100<<10))
	in = AppendPing(in)
	r := NewReader(bytes.NewReader(in), Limits{})
	defer r.Release()
	op, err := r.Next()
	require.NoError(t, err)
	payload := op.Payload
	_, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, bytes.Repeat([]byte{poisonByte}, 100<<10), payload)
}
