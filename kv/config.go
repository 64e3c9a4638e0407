package kv

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/starling-nats/starling/js"
)

// Config is a bucket's configuration. Zero values take the defaults named
// on each field. It maps to the stream KV_<Bucket> as ADR-8 says, so
// buckets made here are read by nats.go and the nats CLI and the other way
// round.
type Config struct {
	// Bucket is the name: [a-zA-Z0-9_-]+. Required.
	Bucket      string
	Description string
	// History is how many values are kept per key, 1 to MaxHistory (64).
	// Default: 1.
	History int
	// TTL drops values older than this (the stream's max_age). Default: 0,
	// kept forever.
	TTL time.Duration
	// MaxValueSize bounds one value in bytes. Default: 0, unlimited.
	MaxValueSize int32
	// MaxBytes bounds the bucket's size in bytes; writes beyond it fail.
	// Default: 0, unlimited.
	MaxBytes int64
	// Storage is js.FileStorage (the default) or js.MemoryStorage.
	Storage js.StorageType
	// Replicas is the stream's replica count. Default: 1.
	Replicas  int
	Placement *js.Placement
	// RePublish republishes every write (or its headers only) to a
	// subject, for listeners that want no consumer.
	RePublish *js.RePublish
	// Compression stores values compressed with S2. Default: off.
	Compression bool
	Metadata    map[string]string
	// LimitMarkerTTL makes the server place a marker when a key's value is
	// removed by TTL or per-key TTL (Create with KeyTTL), a marker that
	// itself lives this long (at least a second). It needs JetStream API
	// level 1 (nats-server 2.11); it can be enabled on an existing bucket
	// but not disabled. Default: 0, no markers and no per-key TTL.
	LimitMarkerTTL time.Duration
	// Mirror makes this bucket a read-only copy of another (Name: the
	// bucket or its stream name). Not with Sources.
	Mirror *js.StreamSource
	// Sources feed other buckets into this one; a source without subject
	// transforms gets the one that maps $KV.<source>.> to $KV.<Bucket>.>.
	Sources []*js.StreamSource
}

const (
	streamPrefix = "KV_"
	// defaultDuplicateWindow is the server's default, capped by TTL.
	defaultDuplicateWindow = 2 * time.Minute
	// levelLimitMarkers is the JetStream API level of per-message TTL and
	// subject delete markers (nats-server 2.11).
	levelLimitMarkers = 1
)

// streamConfig turns cfg into the bucket's stream config. It checks
// everything it can before a request is made; the API level is asked only
// when LimitMarkerTTL needs it.
func (s *Store) streamConfig(ctx context.Context, cfg Config) (js.StreamConfig, error) {
	if err := checkBucket(cfg.Bucket); err != nil {
		return js.StreamConfig{}, err
	}
	history := int64(1)
	switch {
	case cfg.History > MaxHistory:
		return js.StreamConfig{}, fmt.Errorf("%w: %d, at most %d", ErrHistoryTooLarge, cfg.History, MaxHistory)
	case cfg.History < 0:
		return js.StreamConfig{}, fmt.Errorf("%w: history %d", ErrInvalidConfig, cfg.History)
	case cfg.History > 0:
		history = int64(cfg.History)
	}
	if cfg.TTL < 0 || cfg.MaxValueSize < 0 || cfg.MaxBytes < 0 || cfg.Replicas < 0 || cfg.LimitMarkerTTL < 0 {
		return js.StreamConfig{}, fmt.Errorf("%w: negative limit", ErrInvalidConfig)
	}
	if cfg.LimitMarkerTTL > 0 && cfg.LimitMarkerTTL < time.Second {
		return js.StreamConfig{}, fmt.Errorf("%w: limit marker ttl %v below 1s", ErrInvalidConfig, cfg.LimitMarkerTTL)
	}
	if cfg.Mirror != nil && len(cfg.Sources) > 0 {
		return js.StreamConfig{}, fmt.Errorf("%w: mirror and sources together", ErrInvalidConfig)
	}
	sc := js.StreamConfig{
		Name:              streamPrefix + cfg.Bucket,
		Description:       cfg.Description,
		Retention:         js.LimitsPolicy,
		MaxConsumers:      -1,
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxAge:            cfg.TTL,
		MaxMsgsPerSubject: history,
		MaxMsgSize:        -1,
		Discard:           js.DiscardNew,
		Storage:           cfg.Storage,
		Replicas:          cfg.Replicas,
		DuplicateWindow:   defaultDuplicateWindow,
		Placement:         cfg.Placement,
		RePublish:         cfg.RePublish,
		AllowDirect:       true,
		DenyDelete:        true,
		AllowRollup:       true,
		Metadata:          cfg.Metadata,
	}
	if sc.Storage == "" {
		sc.Storage = js.FileStorage
	}
	if sc.Replicas == 0 {
		sc.Replicas = 1
	}
	if cfg.MaxBytes > 0 {
		sc.MaxBytes = cfg.MaxBytes
	}
	if cfg.MaxValueSize > 0 {
		sc.MaxMsgSize = cfg.MaxValueSize
	}
	if cfg.TTL > 0 && cfg.TTL < defaultDuplicateWindow {
		sc.DuplicateWindow = cfg.TTL
	}
	if cfg.Compression {
		sc.Compression = js.S2Compression
	}
	if cfg.LimitMarkerTTL > 0 {
		l, err := s.js.APILevel(ctx)
		if err != nil {
			return js.StreamConfig{}, err
		}
		if l < levelLimitMarkers {
			return js.StreamConfig{}, &js.LevelError{Feature: "kv limit markers", Required: levelLimitMarkers, Server: l}
		}
		sc.AllowMsgTTL = true
		sc.SubjectDeleteMarkerTTL = cfg.LimitMarkerTTL
	}
	switch {
	case cfg.Mirror != nil:
		m := *cfg.Mirror
		if m.Name == "" {
			return js.StreamConfig{}, fmt.Errorf("%w: mirror without a name", ErrInvalidConfig)
		}
		if !strings.HasPrefix(m.Name, streamPrefix) {
			m.Name = streamPrefix + m.Name
		}
		sc.Mirror = &m
		sc.MirrorDirect = true
	default:
		sc.Subjects = []string{subjectPrefix(cfg.Bucket) + ">"}
		for _, src := range cfg.Sources {
			if src == nil || src.Name == "" {
				return js.StreamConfig{}, fmt.Errorf("%w: source without a name", ErrInvalidConfig)
			}
			ss := *src
			// A source with its own transforms is taken as is: it may be
			// any stream, named in full.
			if len(ss.SubjectTransforms) == 0 {
				from := strings.TrimPrefix(ss.Name, streamPrefix)
				ss.Name = streamPrefix + from
				// A bucket sourced from its namesake in another domain
				// needs no transform.
				if ss.External == nil || from != cfg.Bucket {
					ss.SubjectTransforms = []js.SubjectTransform{{
						Source:      subjectPrefix(from) + ">",
						Destination: subjectPrefix(cfg.Bucket) + ">",
					}}
				}
			}
			sc.Sources = append(sc.Sources, &ss)
		}
	}
	return sc, nil
}

// subjectPrefix is "$KV.<bucket>.".
func subjectPrefix(bucket string) string { return "$KV." + bucket + "." }
