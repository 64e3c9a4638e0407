package js

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nuid"

	"github.com/starling-nats/starling/codec"
)

// Consumer is a handle on one consumer of a stream: it pulls (Fetch, Next,
// Consume, Messages) and reads its info. It holds no goroutine and no
// subscription of its own; each Consume or Messages call runs its own.
// It is safe for concurrent use.
type Consumer struct {
	js     *JetStream
	stream string
	name   string

	mu     sync.Mutex
	cached *ConsumerInfo
	// pinID is the Nats-Pin-Id the server gave this client in a
	// pinned_client priority group; cleared on 423.
	pinID string
}

// Stream returns the name of the consumer's stream.
func (c *Consumer) Stream() string { return c.stream }

// Name returns the consumer's name.
func (c *Consumer) Name() string { return c.name }

// CachedInfo returns the info of the consumer's creation or of the last
// Info call, without a request.
func (c *Consumer) CachedInfo() *ConsumerInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cached
}

// Info fetches the consumer's info.
func (c *Consumer) Info(ctx context.Context) (*ConsumerInfo, error) {
	ci, err := c.js.ConsumerInfo(ctx, c.stream, c.name)
	if err == nil {
		c.mu.Lock()
		c.cached = ci
		c.mu.Unlock()
	}
	return ci, err
}

func (c *Consumer) pin() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pinID
}

func (c *Consumer) setPin(id string) {
	c.mu.Lock()
	c.pinID = id
	c.mu.Unlock()
}

type consumerAction string

const (
	actionCreateOrUpdate consumerAction = ""
	actionCreate         consumerAction = "create"
	actionUpdate         consumerAction = "update"
)

type consumerCreateRequest struct {
	Stream string         `json:"stream_name"`
	Config ConsumerConfig `json:"config"`
	Action consumerAction `json:"action,omitempty"`
}

type consumerInfoResponse struct {
	apiResponse
	ConsumerInfo
}

// CreateConsumer creates a consumer on stream. A consumer of that name with
// the same config is returned as is; a different config is
// ErrConsumerExists. Without Durable or Name the consumer gets a random
// name and is ephemeral (the server removes it after InactiveThreshold,
// 5 s by default, without pulls).
func (js *JetStream) CreateConsumer(ctx context.Context, stream string, cfg ConsumerConfig) (*Consumer, error) {
	return js.upsertConsumer(ctx, stream, cfg, actionCreate)
}

// UpdateConsumer changes an existing consumer; a missing one is
// ErrConsumerDoesNotExist.
func (js *JetStream) UpdateConsumer(ctx context.Context, stream string, cfg ConsumerConfig) (*Consumer, error) {
	return js.upsertConsumer(ctx, stream, cfg, actionUpdate)
}

// CreateOrUpdateConsumer updates the consumer, creating it if it is
// missing.
func (js *JetStream) CreateOrUpdateConsumer(ctx context.Context, stream string, cfg ConsumerConfig) (*Consumer, error) {
	return js.upsertConsumer(ctx, stream, cfg, actionCreateOrUpdate)
}

func (js *JetStream) upsertConsumer(ctx context.Context, stream string, cfg ConsumerConfig, action consumerAction) (*Consumer, error) {
	if err := checkName(stream); err != nil {
		return nil, err
	}
	name := cfg.Name
	switch {
	case cfg.Durable != "" && cfg.Name != "" && cfg.Durable != cfg.Name:
		return nil, fmt.Errorf("%w: durable %q and name %q differ", ErrInvalidOption, cfg.Durable, cfg.Name)
	case cfg.Durable != "":
		name = cfg.Durable
	case name == "":
		if action == actionUpdate {
			return nil, fmt.Errorf("%w: update needs a consumer name", ErrInvalidConsumerName)
		}
		name = nuid.Next()
		cfg.Name = name
	}
	if err := checkConsumerName(name); err != nil {
		return nil, err
	}
	if cfg.FilterSubject != "" && len(cfg.FilterSubjects) > 0 {
		return nil, fmt.Errorf("%w: filter_subject and filter_subjects together", ErrInvalidOption)
	}
	if len(cfg.PriorityGroups) > 0 || cfg.PriorityPolicy != "" && cfg.PriorityPolicy != PriorityNone {
		if err := js.requireLevel(ctx, "priority groups", 1); err != nil {
			return nil, err
		}
	}
	subj := "CONSUMER.CREATE." + stream + "." + name
	// The filter-subject form lets a server's permissions name the
	// filter; wildcards cannot go into a published subject, so those use
	// the plain form.
	if f := cfg.FilterSubject; f != "" && codec.ValidPublishSubject(f) {
		subj += "." + f
	}
	var r consumerInfoResponse
	if err := js.apiRequest(ctx, subj, consumerCreateRequest{Stream: stream, Config: cfg, Action: action}, &r, "consumer_create_response"); err != nil {
		return nil, err
	}
	ci := r.ConsumerInfo
	return &Consumer{js: js, stream: stream, name: ci.Name, cached: &ci}, nil
}

// ConsumerInfo returns a consumer's config and state; a missing consumer
// is ErrConsumerNotFound.
func (js *JetStream) ConsumerInfo(ctx context.Context, stream, name string) (*ConsumerInfo, error) {
	if err := checkStreamConsumer(stream, name); err != nil {
		return nil, err
	}
	var r consumerInfoResponse
	if err := js.apiRequest(ctx, "CONSUMER.INFO."+stream+"."+name, nil, &r, "consumer_info_response"); err != nil {
		return nil, err
	}
	return &r.ConsumerInfo, nil
}

// Consumer returns a handle on an existing consumer, checking that it
// exists.
func (js *JetStream) Consumer(ctx context.Context, stream, name string) (*Consumer, error) {
	ci, err := js.ConsumerInfo(ctx, stream, name)
	if err != nil {
		return nil, err
	}
	return &Consumer{js: js, stream: stream, name: name, cached: ci}, nil
}

// ConsumerHandle returns a handle on stream's consumer name without asking
// the server: for a consumer known to exist, or one a pull will find.
func (js *JetStream) ConsumerHandle(stream, name string) (*Consumer, error) {
	if err := checkStreamConsumer(stream, name); err != nil {
		return nil, err
	}
	return &Consumer{js: js, stream: stream, name: name}, nil
}

// DeleteConsumer deletes a consumer.
func (js *JetStream) DeleteConsumer(ctx context.Context, stream, name string) error {
	if err := checkStreamConsumer(stream, name); err != nil {
		return err
	}
	var r successResponse
	if err := js.apiRequest(ctx, "CONSUMER.DELETE."+stream+"."+name, nil, &r, "consumer_delete_response"); err != nil {
		return err
	}
	if !r.Success {
		return fmt.Errorf("%w: delete of %q not confirmed", ErrInvalidResponse, name)
	}
	return nil
}

// ConsumerPause is the pause state a PauseConsumer or ResumeConsumer call
// left.
type ConsumerPause struct {
	Paused         bool          `json:"paused"`
	PauseUntil     time.Time     `json:"pause_until"`
	PauseRemaining time.Duration `json:"pause_remaining,omitempty"`
}

type consumerPauseResponse struct {
	apiResponse
	ConsumerPause
}

type consumerPauseRequest struct {
	PauseUntil *time.Time `json:"pause_until,omitempty"`
}

// PauseConsumer stops delivery until the time given (server 2.11).
func (js *JetStream) PauseConsumer(ctx context.Context, stream, name string, until time.Time) (*ConsumerPause, error) {
	return js.pauseConsumer(ctx, stream, name, &until)
}

// ResumeConsumer ends a pause.
func (js *JetStream) ResumeConsumer(ctx context.Context, stream, name string) (*ConsumerPause, error) {
	return js.pauseConsumer(ctx, stream, name, nil)
}

func (js *JetStream) pauseConsumer(ctx context.Context, stream, name string, until *time.Time) (*ConsumerPause, error) {
	if err := checkStreamConsumer(stream, name); err != nil {
		return nil, err
	}
	if err := js.requireLevel(ctx, "consumer pause", 1); err != nil {
		return nil, err
	}
	var r consumerPauseResponse
	if err := js.apiRequest(ctx, "CONSUMER.PAUSE."+stream+"."+name, consumerPauseRequest{PauseUntil: until}, &r, "consumer_pause_response"); err != nil {
		return nil, err
	}
	return &r.ConsumerPause, nil
}

type consumerUnpinRequest struct {
	Group string `json:"group"`
}

// UnpinConsumer releases the pinned client of a priority group, so that
// the next pull of the group gets the pin.
func (js *JetStream) UnpinConsumer(ctx context.Context, stream, name, group string) error {
	if err := checkStreamConsumer(stream, name); err != nil {
		return err
	}
	if group == "" {
		return fmt.Errorf("%w: empty priority group", ErrInvalidOption)
	}
	if err := js.requireLevel(ctx, "consumer unpin", 1); err != nil {
		return err
	}
	var r apiResponse
	return js.apiRequest(ctx, "CONSUMER.UNPIN."+stream+"."+name, consumerUnpinRequest{Group: group}, &r, "consumer_unpin_response")
}

type consumerResetRequest struct {
	Seq uint64 `json:"seq,omitempty"`
}

type consumerResetResponse struct {
	apiResponse
	ConsumerInfo
	ResetSeq uint64 `json:"reset_seq"`
}

// ResetConsumer moves the consumer's start to stream sequence seq, or back
// to its ack floor when seq is 0, and returns its info and the sequence
// it now starts from (server 2.14).
func (js *JetStream) ResetConsumer(ctx context.Context, stream, name string, seq uint64) (*ConsumerInfo, uint64, error) {
	if err := checkStreamConsumer(stream, name); err != nil {
		return nil, 0, err
	}
	var r consumerResetResponse
	if err := js.apiRequest(ctx, "CONSUMER.RESET."+stream+"."+name, consumerResetRequest{Seq: seq}, &r, "consumer_reset_response"); err != nil {
		return nil, 0, err
	}
	return &r.ConsumerInfo, r.ResetSeq, nil
}

// ErrInvalidConsumerName: a consumer name is empty or holds '.', '*', '>'
// or whitespace.
var ErrInvalidConsumerName = fmt.Errorf("%w: consumer", ErrInvalidName)

func checkConsumerName(name string) error {
	if name == "" || strings.ContainsAny(name, ".*> \t\r\n") {
		return fmt.Errorf("%w: %q", ErrInvalidConsumerName, name)
	}
	return nil
}

func checkStreamConsumer(stream, name string) error {
	if err := checkName(stream); err != nil {
		return err
	}
	return checkConsumerName(name)
}
