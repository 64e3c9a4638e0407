package core

import (
	"context"
	"testing"
	"time"
)

// TestNextPassesWakeUpOn replays, step by step, the interleaving that lost
// a wake-up: two Next callers found the queue empty and were on their way
// to wait when two messages arrived. The first message's enqueue left a
// token on notify, the second found the channel full. The first caller takes
// the token and a message; the second caller, now waiting on notify, must
// still be woken, since a message is queued for it.
func TestNextPassesWakeUpOn(t *testing.T) {
	s := &Subscription{kind: subPull, conn: &Conn{}, notify: make(chan struct{}, 1), done: make(chan struct{})}
	s.enqueue(newOwnedMsg(nil, s, []byte("wake"), nil, nil, []byte("1")))
	s.enqueue(newOwnedMsg(nil, s, []byte("wake"), nil, nil, []byte("2")))

	<-s.notify // the first caller wakes on the one token
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	m, err := s.Next(ctx) // and takes a message
	if err != nil || string(m.Data) != "1" {
		t.Fatalf("first caller: %v, %v", m, err)
	}
	select {
	case <-s.notify: // the second caller is woken for message 2
	case <-time.After(time.Second):
		t.Fatal("a message is queued but no wake-up is left for the caller waiting on it")
	}
	if m, err := s.Next(ctx); err != nil || string(m.Data) != "2" {
		t.Fatalf("second caller: %v, %v", m, err)
	}
}
