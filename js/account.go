package js

import (
	"context"
)

// AccountInfo is the account's JetStream usage and limits
// ($JS.API.INFO).
type AccountInfo struct {
	Tier
	Domain string          `json:"domain,omitempty"`
	API    APIStats        `json:"api"`
	Tiers  map[string]Tier `json:"tiers,omitempty"`
}

// Tier is the usage and limits of one tier (or of the whole account).
type Tier struct {
	Memory          uint64        `json:"memory"`
	Storage         uint64        `json:"storage"`
	ReservedMemory  uint64        `json:"reserved_memory"`
	ReservedStorage uint64        `json:"reserved_storage"`
	Streams         int           `json:"streams"`
	Consumers       int           `json:"consumers"`
	Limits          AccountLimits `json:"limits"`
}

// AccountLimits are the account's JetStream limits; -1 means unlimited.
type AccountLimits struct {
	MaxMemory             int64 `json:"max_memory"`
	MaxStorage            int64 `json:"max_storage"`
	MaxStreams            int   `json:"max_streams"`
	MaxConsumers          int   `json:"max_consumers"`
	MaxAckPending         int   `json:"max_ack_pending"`
	MemoryMaxStreamBytes  int64 `json:"memory_max_stream_bytes"`
	StorageMaxStreamBytes int64 `json:"storage_max_stream_bytes"`
	MaxBytesRequired      bool  `json:"max_bytes_required"`
}

// APIStats counts the account's API calls; Level is the server's
// JetStream API level (ADR-44), 0 before nats-server 2.11.
type APIStats struct {
	Level  int    `json:"level"`
	Total  uint64 `json:"total"`
	Errors uint64 `json:"errors"`
}

type accountInfoResponse struct {
	apiResponse
	AccountInfo
}

// AccountInfo returns the account's JetStream usage and limits. It also
// records the server's API level.
func (js *JetStream) AccountInfo(ctx context.Context) (*AccountInfo, error) {
	var r accountInfoResponse
	if err := js.apiRequest(ctx, "INFO", nil, &r, "account_info_response"); err != nil {
		return nil, err
	}
	js.levelMu.Lock()
	js.level, js.levelOK = r.API.Level, true
	js.levelMu.Unlock()
	return &r.AccountInfo, nil
}

// APILevel returns the server's JetStream API level, read once from
// $JS.API.INFO and remembered (a failed read is retried next time).
func (js *JetStream) APILevel(ctx context.Context) (int, error) {
	js.levelMu.Lock()
	if js.levelOK {
		l := js.level
		js.levelMu.Unlock()
		return l, nil
	}
	js.levelMu.Unlock()
	ai, err := js.AccountInfo(ctx)
	if err != nil {
		return 0, err
	}
	return ai.API.Level, nil
}

// API levels of the features gated on them (nats-server's
// jetstream_versioning.go).
const (
	levelTTL      = 1 // 2.11: per-message TTL, subject delete markers
	levelCounter  = 2 // 2.12
	levelAtomic   = 2 // 2.12
	levelSchedule = 2 // 2.12
)

// requireLevel fails with a *LevelError before anything is sent when the
// server is older than feature needs.
func (js *JetStream) requireLevel(ctx context.Context, feature string, need int) error {
	l, err := js.APILevel(ctx)
	if err != nil {
		return err
	}
	if l < need {
		return &LevelError{Feature: feature, Required: need, Server: l}
	}
	return nil
}
