package codec

import (
	"bytes"
	"testing"
)

// Reader.Next and ClientReader.Next decode a stream of every operation kind
// without allocating, once the reader exists (Reset keeps its buffer).
func TestReaderDoesNotAllocate(t *testing.T) {
	hdr := Header{"Nats-Msg-Id": {"abc"}}.AppendStatus(nil, 100, "Idle Heartbeat")
	var in []byte
	in = AppendInfo(in, &ServerInfo{ServerID: "x", MaxPayload: 1 << 20, Headers: true})
	for i := range 100 {
		in = AppendMsg(in, "foo.bar", uint64(i), "", bytes.Repeat([]byte("m"), i))
		in = AppendHMsg(in, "foo.bar", uint64(i), "_INBOX.abc", hdr, bytes.Repeat([]byte("h"), 3*i))
	}
	in = AppendPing(in)
	in = AppendPong(in)
	in = AppendOK(in)
	in = AppendErr(in, "Permissions Violation")
	in = AppendMsg(in, "big", 1, "", make([]byte, 200<<10)) // one op beyond the default buffer
	in = AppendPing(in)

	src := bytes.NewReader(in)
	r := NewReader(src, Limits{})
	defer r.Release()
	decode := func() {
		src.Reset(in)
		r.Reset(src)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
	}
	decode()
	require.Zero(t, src.Len(), "the stream decoded to its end")
	if !raceEnabled { // the race detector makes sync.Pool drop buffers on purpose
		assert.Zero(t, testing.AllocsPerRun(20, decode))
	}

	// Without the large op, no pool is touched at all.
	small := in[:bytes.Index(in, []byte("MSG big"))]
	decodeSmall := func() {
		src.Reset(small)
		r.Reset(src)
		n := 0
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			n++
		}
		if n != 205 {
			t.Fatalf("decoded %d ops", n)
		}
	}
	assert.Zero(t, testing.AllocsPerRun(20, decodeSmall))
}

func TestClientReaderDoesNotAllocate(t *testing.T) {
	hdr := Header{"A": {"b"}}.Append(nil)
	var in []byte
	in = AppendConnect(in, &ConnectOptions{Lang: "go", Version: "1", Protocol: 1, Echo: true, Headers: true})
	for i := range 100 {
		in = AppendSub(in, "foo.*", "q", uint64(i))
		in = AppendPub(in, "foo.bar", "", bytes.Repeat([]byte("p"), i))
		in = AppendHPub(in, "foo.bar", "_INBOX.x", hdr, bytes.Repeat([]byte("p"), i))
		in = AppendUnsub(in, uint64(i), i)
	}
	in = AppendPing(in)
	in = AppendPong(in)
	src := bytes.NewReader(in)
	r := NewClientReader(src, Limits{})
	defer r.Release()
	assert.Zero(t, testing.AllocsPerRun(20, func() {
		src.Reset(in)
		r.Reset(src)
		n := 0
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			n++
		}
		if n != 403 {
			t.Fatalf("decoded %d ops", n)
		}
	}))
}
