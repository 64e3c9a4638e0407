package core

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/transport"
)

// pipeDialer hands the Conn one end of an in-memory pipe, whose other end
// a minimal server (serveHandshake) answers.
type pipeDialer struct{ conns chan transport.Conn }

func (d pipeDialer) Dial(ctx context.Context, _ transport.Addr) (transport.Conn, error) {
	client, server := transport.NewPipe()
	select {
	case d.conns <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// serveHandshake plays a server on conn: INFO with a nonce, then PONG for
// every PING, until the client hangs up.
func serveHandshake(conn transport.Conn) {
	defer conn.Close()
	info := codec.ServerInfo{ServerID: "PIPE", Version: "2.15.2", Proto: 1, Headers: true, MaxPayload: 1 << 20, Nonce: "bm9uY2U"}
	if _, err := conn.Write(codec.AppendInfo(nil, &info)); err != nil {
		return
	}
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if strings.HasPrefix(line, "PING") {
			if _, err := conn.Write(codec.AppendPong(nil)); err != nil {
				return
			}
		}
	}
}

// TestAuthSeedWipedWhenReaderExits checks that the seed, no longer wiped
// by Close itself, is still wiped once the Conn is done.
func TestAuthSeedWipedWhenReaderExits(t *testing.T) {
	kp, err := nkeys.CreateUser()
	if err != nil {
		t.Fatal(err)
	}
	seed, err := kp.Seed()
	if err != nil {
		t.Fatal(err)
	}
	d := pipeDialer{conns: make(chan transport.Conn, 1)}
	served := make(chan struct{})
	go func() {
		defer close(served)
		serveHandshake(<-d.conns)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := Connect(ctx, "nats://pipe:4222", WithDialer(d), WithNKeySeed(seed), WithNoReconnect())
	if err != nil {
		t.Fatal(err)
	}
	held := nc.opts.auth.nkeySeed
	if string(held) != string(seed) {
		t.Fatal("the Conn holds no copy of the seed")
	}
	nc.Close()
	<-nc.Closed()
	<-served
	if strings.Trim(string(held), "x") != "" {
		t.Fatalf("seed not wiped after the Conn closed: %q", held)
	}
}
