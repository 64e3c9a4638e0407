package js

import (
	"fmt"
)

// ConsumeContext controls a running Consume, ConsumeBorrowed or Messages
// loop.
type ConsumeContext struct {
	s *pullSession
	r *orderedRun
	p *pushSession
}

// Stop ends the consume at once: no more pulls, no more deliveries after
// the one running. Undelivered messages are redelivered by the server
// after their ack wait. It may be called from the handler. Done is closed
// when the consume's goroutines have ended.
func (cc *ConsumeContext) Stop() {
	if cc.p != nil {
		cc.p.end(nil)
		return
	}
	if cc.r != nil {
		cc.r.end(nil)
		return
	}
	cc.s.stopWith(nil, false)
}

// Drain stops pulling and ends the consume once the messages already
// received have been handed to the handler. An ordered consumer stops at
// once (it acks nothing, so nothing is lost for the server).
func (cc *ConsumeContext) Drain() {
	if cc.p != nil {
		cc.p.end(nil)
		return
	}
	if cc.r != nil {
		cc.r.end(nil)
		return
	}
	cc.s.stopWith(nil, true)
}

// Done is closed when the consume has ended (Stop, Drain, or an error).
func (cc *ConsumeContext) Done() <-chan struct{} {
	if cc.p != nil {
		return cc.p.done
	}
	if cc.r != nil {
		return cc.r.done
	}
	return cc.s.done
}

// Err returns the error that ended the consume: nil while it runs and
// after Stop or Drain; ErrConsumerDeleted, ErrConsumerPushBased,
// ErrBadPullRequest, a limit the consumer sets, or
// core.ErrConnectionClosed otherwise.
func (cc *ConsumeContext) Err() error {
	if cc.p != nil {
		cc.p.mu.Lock()
		defer cc.p.mu.Unlock()
		return cc.p.err
	}
	if cc.r != nil {
		return cc.r.Err()
	}
	cc.s.mu.Lock()
	defer cc.s.mu.Unlock()
	return cc.s.err
}

// Consume pulls continuously and calls handler, on a goroutine of the
// consume's own, with each message in order. The message belongs to the
// handler (one allocation per message). The consume keeps
// PullMaxMessages requested (ADR-37: pull requests of PullExpiry, 30 s,
// with heartbeats; more asked for when half has arrived), and recovers by
// itself: it pulls again after a reconnect, missed heartbeats, a
// leadership change or a server shutdown. What ends it (the consumer
// deleted, push based, a bad request, the connection closed) reaches
// PullErrorHandler and Err.
func (c *Consumer) Consume(handler func(*Msg), opts ...PullOption) (*ConsumeContext, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: nil handler", ErrInvalidOption)
	}
	s, err := c.newSession(opts)
	if err != nil {
		return nil, err
	}
	s.owned = handler
	if err := s.start(); err != nil {
		return nil, err
	}
	return &ConsumeContext{s: s}, nil
}

// ConsumeBorrowed is Consume with a borrowed message: the handler runs on
// the connection's reader goroutine, and the message and its metadata are
// valid only until it returns. Receiving and acking allocate nothing. A
// slow handler delays every delivery of the connection; acks must be sent
// before returning (Copy keeps a message).
func (c *Consumer) ConsumeBorrowed(handler func(*BorrowedMsg), opts ...PullOption) (*ConsumeContext, error) {
	if handler == nil {
		return nil, fmt.Errorf("%w: nil handler", ErrInvalidOption)
	}
	s, err := c.newSession(opts)
	if err != nil {
		return nil, err
	}
	s.borrowed = handler
	s.bmsg.nc = s.nc
	if err := s.start(); err != nil {
		return nil, err
	}
	return &ConsumeContext{s: s}, nil
}
