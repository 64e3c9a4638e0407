package core_test

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/codec"
)

// quietServer speaks just enough of the server side, with codec, for tests
// that need a server a real one cannot be: it sends INFO, answers PING with
// PONG, counts SUBs and otherwise ignores what the client sends. It
// allocates nothing per op, so a test can weigh the client alone.
type quietServer struct {
	l    net.Listener
	info codec.ServerInfo
	subs atomic.Int64
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
}

func newQuietServer(t testing.TB, info codec.ServerInfo) *quietServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &quietServer{l: l, info: info}
	if f.info.ServerID == "" {
		f.info.ServerID = "FAKE"
	}
	if f.info.Version == "" {
		f.info.Version = "2.99.0"
	}
	if f.info.MaxPayload == 0 {
		f.info.MaxPayload = 1 << 20
	}
	f.info.Proto = 1
	f.wg.Add(1)
	go f.accept()
	t.Cleanup(f.close)
	return f
}

func (f *quietServer) url() string { return "nats://" + f.l.Addr().String() }

func (f *quietServer) accept() {
	defer f.wg.Done()
	for {
		c, err := f.l.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		f.wg.Add(1)
		go f.serve(c)
	}
}

func (f *quietServer) serve(c net.Conn) {
	defer f.wg.Done()
	defer c.Close()
	if _, err := c.Write(codec.AppendInfo(nil, &f.info)); err != nil {
		return
	}
	r := codec.NewClientReader(c, codec.Limits{})
	defer r.Release()
	pong := codec.AppendPong(nil)
	for {
		op, err := r.Next()
		if err != nil {
			return
		}
		switch op.Kind {
		case codec.OpPing:
			if _, err := c.Write(pong); err != nil {
				return
			}
		case codec.OpSub:
			f.subs.Add(1)
		}
	}
}

func (f *quietServer) close() {
	f.l.Close()
	f.mu.Lock()
	for _, c := range f.conns {
		c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
}
