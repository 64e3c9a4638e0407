package js

import (
	"context"
	"iter"

	"github.com/starling-nats/starling/core"
)

// Conn is what JetStream needs from a NATS connection: requests, publishes
// with a reply subject, and a borrowed subscription for replies. *core.Conn
// satisfies it; so may a wrapper that traces or fakes calls.
type Conn interface {
	RequestMsg(ctx context.Context, m *core.Msg, opts ...core.RequestOption) (*core.Msg, error)
	RequestManyMsg(ctx context.Context, m *core.Msg, opts ...core.RequestOption) iter.Seq2[*core.Msg, error]
	PublishMsg(m *core.Msg) error
	PublishRequest(subject, reply string, data []byte) error
	SubscribeBorrowed(subject string, handler func(*core.BorrowedMsg), opts ...core.SubOption) (*core.Subscription, error)
	NewInbox() string
	Closed() <-chan struct{}
}

var _ Conn = (*core.Conn)(nil)

// EventSource is the optional part of a Conn that reports connection
// events; *core.Conn has it. With it, the async publisher fails its
// pending futures as soon as the connection drops (their acks went with
// it) instead of at their ack timeout.
type EventSource interface {
	AddEventListener(f func(core.Event)) (remove func())
}

var _ EventSource = (*core.Conn)(nil)
