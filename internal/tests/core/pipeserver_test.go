package core_test

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/transport"
)

// pipeServer is a fake NATS server over in-memory pipes (transport.NewPipe),
// for the tests of the write path that must see every op the client sends
// and when it arrives, which no real server tells. A pipe keeps what a
// closed end wrote readable, so the fake counts exactly the bytes the client
// handed to the socket, unlike a TCP peer that may lose them to a reset.
//
// It is also the Conn's Dialer (core.WithDialer): each dial makes a pipe,
// serves its far end on two goroutines (ops in, and whatever the test
// streams out), and hands the near end to the client, through wrap when set.
type pipeServer struct {
	t testing.TB
	// wrap, when set, wraps the client's end of the n-th connection (from 0).
	wrap func(n int, c transport.Conn) transport.Conn
	// onOp sees every op the client sends after CONNECT, on the connection's
	// read goroutine; PINGs are answered before it is called.
	onOp func(p *pipePeer, op *codec.ClientOp)
	// onConnect runs on a goroutine of its own once the client's CONNECT
	// arrived; it may stream to the client until p.done closes.
	onConnect func(p *pipePeer)
	// buffer is the pipes' buffer in each direction; 0 means
	// transport.DefaultPipeBuffer.
	buffer int

	mu    sync.Mutex
	peers []*pipePeer
	wg    sync.WaitGroup
}

// pipePeer is the server's side of one connection.
type pipePeer struct {
	n    int // which connection, from 0
	conn transport.Conn
	done chan struct{} // closed when the connection ends
	once sync.Once
}

func newPipeServer(t testing.TB) *pipeServer {
	s := &pipeServer{t: t}
	t.Cleanup(s.close)
	return s
}

// connect connects a Conn to the fake; the URL only names it.
func (s *pipeServer) connect(t testing.TB, opts ...core.Option) *core.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, "nats://pipe:4222", append([]core.Option{core.WithDialer(s)}, opts...)...)
	if err != nil {
		t.Fatalf("connect to the pipe fake: %v", err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Dial implements transport.Dialer.
func (s *pipeServer) Dial(ctx context.Context, _ transport.Addr) (transport.Conn, error) {
	var opts []transport.PipeOption
	if s.buffer > 0 {
		opts = append(opts, transport.WithPipeBuffer(s.buffer))
	}
	client, server := transport.NewPipe(opts...)
	s.mu.Lock()
	p := &pipePeer{n: len(s.peers), conn: server, done: make(chan struct{})}
	s.peers = append(s.peers, p)
	s.wg.Add(1)
	s.mu.Unlock()
	go s.serve(p)
	if s.wrap != nil {
		return s.wrap(p.n, client), nil
	}
	return client, nil
}

// write sends b to the client; pipe writes are whole, so concurrent writers
// never interleave inside an op.
func (p *pipePeer) write(b []byte) error {
	_, err := p.conn.Write(b)
	return err
}

func (p *pipePeer) close() {
	p.once.Do(func() {
		close(p.done)
		_ = p.conn.Close()
	})
}

func (s *pipeServer) serve(p *pipePeer) {
	defer s.wg.Done()
	defer p.close()
	info := &codec.ServerInfo{
		ServerID: "NPIPEFAKE", ServerName: "pipe", Version: "2.15.2", Proto: 1,
		GoVersion: runtime.Version(), Host: "127.0.0.1", Port: 4222, Headers: true,
		MaxPayload: 1 << 20,
	}
	if p.write(codec.AppendInfo(nil, info)) != nil {
		return
	}
	r := codec.NewClientReader(p.conn, codec.Limits{})
	defer r.Release()
	pong := codec.AppendPong(nil)
	for {
		op, err := r.Next()
		if err != nil {
			return
		}
		switch op.Kind {
		case codec.OpConnect:
			if s.onConnect != nil {
				s.wg.Add(1)
				go func() {
					defer s.wg.Done()
					s.onConnect(p)
				}()
			}
			continue
		case codec.OpPing:
			if p.write(pong) != nil {
				return
			}
		}
		if s.onOp != nil {
			s.onOp(p, op)
		}
	}
}

// close ends every connection and waits for the fake's goroutines.
func (s *pipeServer) close() {
	s.mu.Lock()
	peers := append([]*pipePeer(nil), s.peers...)
	s.mu.Unlock()
	for _, p := range peers {
		p.close()
	}
	s.wg.Wait()
}
