package chaos

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// consumerName is the durable pull consumer that reads the stream during the run
// and after the healing.
const consumerName = "reader"

// reader is what the consumer saw: deliveries per MsgID, and the MsgIDs whose double
// ack the server confirmed. A delivery of one of those is a duplicate the user sees
// although DoubleAck told it the message was done.
func newReader() *reader {
	return &reader{delivered: map[string]int{}, confirmed: map[string]bool{}}
}

type reader struct {
	mu          sync.Mutex
	delivered   map[string]int
	confirmed   map[string]bool
	redelivered []Op
	consumed    int
	doubleAcked int
}

func (r *rig) createConsumer(ctx context.Context) error {
	for {
		_, err := r.ctlJS.CreateOrUpdateConsumer(ctx, StreamName, js.ConsumerConfig{
			Durable: consumerName, AckPolicy: js.AckExplicit, AckWait: 5 * time.Second, MaxAckPending: 20000,
		})
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("chaos: create consumer: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// consume pulls from the durable consumer through the client proxies and double-acks
// every message until, after healed closes, drained reports the stream read; or
// until giveUp closes.
func (r *rig) consume(rd *reader, healed, giveUp <-chan struct{}, drained func() bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	nc, err := core.Connect(ctx, r.clientURLs(), clientOptions("chaos-consumer")...)
	cancel()
	if err != nil {
		return fmt.Errorf("chaos: consumer: %w", err)
	}
	defer nc.Close()
	j, err := js.New(nc, js.WithTimeout(ackWait))
	if err != nil {
		return err
	}
	defer j.Close()
	var c *js.Consumer
	for {
		select {
		case <-giveUp:
			return nil
		case <-healed:
			if drained() {
				return nil
			}
		default:
		}
		if c == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			c, err = j.Consumer(ctx, StreamName, consumerName)
			cancel()
			if err != nil {
				c = nil
				time.Sleep(200 * time.Millisecond)
				continue
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		msgs, err := c.Fetch(ctx, 200, js.PullExpiry(2*time.Second), js.PullHeartbeat(time.Second))
		cancel()
		// Double acks in parallel: each waits a round trip for its confirmation.
		var wg sync.WaitGroup
		sem := make(chan struct{}, 32)
		for _, m := range msgs {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				rd.deliver(r, m)
			})
		}
		wg.Wait()
		if err != nil && len(msgs) == 0 && !errors.Is(err, js.ErrNoMessages) && !errors.Is(err, js.ErrPullExpired) {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func (rd *reader) deliver(r *rig, m *js.Msg) {
	id := m.Header.Get(js.HeaderMsgID)
	start := r.rec.now()
	rd.mu.Lock()
	rd.consumed++
	rd.delivered[id]++
	again := rd.confirmed[id]
	rd.mu.Unlock()
	if again {
		op := Op{Process: "consumer", F: "deliver", Value: id, Outcome: OK, Start: start, End: r.rec.now(), Missing: true,
			Detail: "delivered again after its double ack was confirmed"}
		r.rec.add(op)
		rd.mu.Lock()
		rd.redelivered = append(rd.redelivered, op)
		rd.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	err := m.DoubleAck(ctx)
	cancel()
	if err == nil {
		rd.mu.Lock()
		rd.confirmed[id] = true
		rd.doubleAcked++
		rd.mu.Unlock()
	}
}

// consumerDrained reports whether the consumer has delivered and seen acked all
// the stream holds.
func (r *rig) consumerDrained() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := r.ctlJS.Consumer(ctx, StreamName, consumerName)
	if err != nil {
		return false
	}
	info, err := c.Info(ctx)
	return err == nil && info.NumPending == 0 && info.NumAckPending == 0
}

// check adds the reader's counts to res and returns its violations: an acknowledged
// publish the consumer never delivered, and any delivery after a confirmed double ack.
func (rd *reader) check(res *StreamResult, h []Op) []string {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	res.Consumed, res.DoubleAcked, res.Redelivered = rd.consumed, rd.doubleAcked, len(rd.redelivered)
	var problems []string
	for _, op := range rd.redelivered {
		problems = append(problems, fmt.Sprintf("duplicated delivery: %s (%s)", opString(op), op.Detail))
	}
	for _, op := range h {
		if op.F == "publish" && op.Outcome == OK && rd.delivered[op.Value] == 0 {
			res.NeverDelivered++
			problems = append(problems, fmt.Sprintf("lost to the consumer: acked, never delivered: %s", opString(op)))
		}
	}
	return problems
}
