package kv

import (
	"context"
	"time"

	"github.com/nats-io/nuid"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/js"
)

// The watch consumer is an ordered push consumer (ADR-17): no acks,
// memory storage, one replica, flow control and idle heartbeats. Each
// creation gets a fresh name, so a consumer that outlived a server restart
// cannot refuse its successor (nats.deno #688).
type consumerConfig struct {
	Name              string        `json:"name"`
	DeliverSubject    string        `json:"deliver_subject"`
	DeliverPolicy     string        `json:"deliver_policy"`
	OptStartSeq       uint64        `json:"opt_start_seq,omitempty"`
	AckPolicy         string        `json:"ack_policy"`
	MaxDeliver        int           `json:"max_deliver"`
	FilterSubject     string        `json:"filter_subject,omitempty"`
	FilterSubjects    []string      `json:"filter_subjects,omitempty"`
	ReplayPolicy      string        `json:"replay_policy"`
	FlowControl       bool          `json:"flow_control"`
	Heartbeat         time.Duration `json:"idle_heartbeat"`
	HeadersOnly       bool          `json:"headers_only,omitempty"`
	MemStorage        bool          `json:"mem_storage"`
	Replicas          int           `json:"num_replicas"`
	InactiveThreshold time.Duration `json:"inactive_threshold"`
}

type consumerCreateRequest struct {
	Stream string         `json:"stream_name"`
	Config consumerConfig `json:"config"`
	Action string         `json:"action"`
}

type consumerInfoResponse struct {
	Error      *js.APIError `json:"error,omitempty"`
	Name       string       `json:"name"`
	NumPending uint64       `json:"num_pending"`
	Delivered  struct {
		Stream uint64 `json:"stream_seq"`
	} `json:"delivered"`
}

// watchInactiveThreshold lets the server remove a consumer whose watcher
// vanished without Stop (its process died).
const watchInactiveThreshold = 2 * time.Minute

// createConsumer creates the watch consumer delivering to inbox.
func (b *Bucket) createConsumer(ctx context.Context, cfg consumerConfig) (*consumerInfoResponse, error) {
	cfg.Name = nuid.Next()
	cfg.AckPolicy = "none"
	cfg.MaxDeliver = 1
	cfg.ReplayPolicy = "instant"
	cfg.FlowControl = true
	cfg.MemStorage = true
	cfg.Replicas = 1
	cfg.InactiveThreshold = watchInactiveThreshold
	var r consumerInfoResponse
	req := consumerCreateRequest{Stream: b.stream, Config: cfg, Action: "create"}
	if err := b.apiCall(ctx, "CONSUMER.CREATE."+b.stream+"."+cfg.Name, req, &r, &r.Error); err != nil {
		return nil, err
	}
	return &r, nil
}

// deleteConsumer asks the server to delete a consumer and does not wait:
// Stop must not block on a server that may be gone, and the consumer's
// inactive threshold removes it anyway.
func (b *Bucket) deleteConsumer(name string) {
	_ = b.nc.PublishMsg(&core.Msg{Subject: b.api + "CONSUMER.DELETE." + b.stream + "." + name})
}

// deliverPolicy names, as the server spells them.
const (
	deliverAll           = "all"
	deliverNew           = "new"
	deliverLastPerSubj   = "last_per_subject"
	deliverByStartSeq    = "by_start_sequence"
	headerLastConsumer   = "Nats-Last-Consumer"
	headerConsumerStalld = "Nats-Consumer-Stalled"
)
