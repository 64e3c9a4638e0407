package obj

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/starling-nats/starling/js"
)

// Config describes a store. Zero values take the defaults written on each
// field.
type Config struct {
	// Bucket names the store: [A-Za-z0-9_-]+. Required.
	Bucket      string
	Description string
	// TTL removes objects (their chunks and meta) older than this. 0: never.
	TTL time.Duration
	// MaxBytes caps the store's stored bytes; a put that would pass it
	// fails and leaves the old version. 0: no limit.
	MaxBytes int64
	// Storage is js.FileStorage (default) or js.MemoryStorage.
	Storage js.StorageType
	// Replicas: 1 by default.
	Replicas int
	// Placement picks a cluster and tags; nil: the server chooses.
	Placement *js.Placement
	// Compression stores chunks s2-compressed on the server.
	Compression bool
	// Metadata is the stream's metadata map.
	Metadata map[string]string
}

func (c *Config) streamConfig() (js.StreamConfig, error) {
	if err := checkBucket(c.Bucket); err != nil {
		return js.StreamConfig{}, err
	}
	if c.TTL < 0 || c.Replicas < 0 || c.MaxBytes < 0 {
		return js.StreamConfig{}, fmt.Errorf("%w: negative TTL, MaxBytes or Replicas", ErrInvalidOption)
	}
	sc := js.StreamConfig{
		Name:        streamName(c.Bucket),
		Description: c.Description,
		Subjects:    []string{chunkFilter(c.Bucket), metaFilter(c.Bucket)},
		MaxAge:      c.TTL,
		MaxBytes:    -1,
		Storage:     js.FileStorage,
		Replicas:    1,
		Placement:   c.Placement,
		Discard:     js.DiscardNew,
		AllowRollup: true,
		AllowDirect: true,
		Metadata:    c.Metadata,
	}
	if c.MaxBytes > 0 {
		sc.MaxBytes = c.MaxBytes
	}
	if c.Storage != "" {
		sc.Storage = c.Storage
	}
	if c.Replicas > 0 {
		sc.Replicas = c.Replicas
	}
	if c.Compression {
		sc.Compression = js.S2Compression
	}
	return sc, nil
}

// Store is one object store (bucket). It holds no goroutine and no
// subscription; it is safe for concurrent use.
type Store struct {
	js     *js.JetStream
	bucket string
	stream string
	// direct: the stream answers direct gets (every store made by a
	// current client); older ones are read through the leader.
	direct bool
}

func newStore(j *js.JetStream, bucket string, si *js.StreamInfo) *Store {
	return &Store{js: j, bucket: bucket, stream: streamName(bucket), direct: si.Config.AllowDirect}
}

// Bucket returns the store's name.
func (s *Store) Bucket() string { return s.bucket }

// Create makes a store. An existing store with the same configuration is
// opened; one with another configuration is ErrStoreExists.
func Create(ctx context.Context, j *js.JetStream, cfg Config) (*Store, error) {
	sc, err := cfg.streamConfig()
	if err != nil {
		return nil, err
	}
	si, err := j.CreateStream(ctx, sc)
	if errors.Is(err, js.ErrStreamNameInUse) {
		return nil, fmt.Errorf("%w: %s: %w", ErrStoreExists, cfg.Bucket, err)
	}
	if err != nil {
		return nil, err
	}
	return newStore(j, cfg.Bucket, si), nil
}

// Update changes an existing store's configuration; a missing one is
// ErrStoreNotFound.
func Update(ctx context.Context, j *js.JetStream, cfg Config) (*Store, error) {
	sc, err := cfg.streamConfig()
	if err != nil {
		return nil, err
	}
	si, err := j.UpdateStream(ctx, sc)
	if err != nil {
		return nil, storeErr(cfg.Bucket, err)
	}
	return newStore(j, cfg.Bucket, si), nil
}

// CreateOrUpdate updates the store, creating it if it is missing.
func CreateOrUpdate(ctx context.Context, j *js.JetStream, cfg Config) (*Store, error) {
	sc, err := cfg.streamConfig()
	if err != nil {
		return nil, err
	}
	si, err := j.CreateOrUpdateStream(ctx, sc)
	if err != nil {
		return nil, err
	}
	return newStore(j, cfg.Bucket, si), nil
}

// Open binds to an existing store; a missing one is ErrStoreNotFound.
func Open(ctx context.Context, j *js.JetStream, bucket string) (*Store, error) {
	if err := checkBucket(bucket); err != nil {
		return nil, err
	}
	si, err := j.StreamInfo(ctx, streamName(bucket))
	if err != nil {
		return nil, storeErr(bucket, err)
	}
	return newStore(j, bucket, si), nil
}

// Delete removes a store and every object in it; a missing one is
// ErrStoreNotFound.
func Delete(ctx context.Context, j *js.JetStream, bucket string) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	return storeErr(bucket, j.DeleteStream(ctx, streamName(bucket)))
}

func storeErr(bucket string, err error) error {
	if errors.Is(err, js.ErrStreamNotFound) {
		return fmt.Errorf("%w: %s: %w", ErrStoreNotFound, bucket, err)
	}
	return err
}

// Names yields the names of the account's object stores, a page at a
// time as the loop asks for them. An error ends the sequence.
func Names(ctx context.Context, j *js.JetStream) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for n, err := range j.StreamNames(ctx, js.WithStreamSubject("$O.*.C.>")) {
			if err != nil {
				yield("", err)
				return
			}
			b, ok := strings.CutPrefix(n, streamPrefix)
			if !ok {
				continue
			}
			if !yield(b, nil) {
				return
			}
		}
	}
}

// List yields the status of each object store, a page at a time.
func List(ctx context.Context, j *js.JetStream) iter.Seq2[*Status, error] {
	return func(yield func(*Status, error) bool) {
		for si, err := range j.Streams(ctx, js.WithStreamSubject("$O.*.C.>")) {
			if err != nil {
				yield(nil, err)
				return
			}
			b, ok := strings.CutPrefix(si.Config.Name, streamPrefix)
			if !ok {
				continue
			}
			if !yield(newStatus(b, si), nil) {
				return
			}
		}
	}
}

// Status describes a store, read from its stream.
type Status struct {
	Bucket      string
	Description string
	TTL         time.Duration
	Storage     js.StorageType
	Replicas    int
	Sealed      bool
	// Size is the stream's stored bytes: chunks and meta.
	Size uint64
	// BackingStore is "JetStream".
	BackingStore string
	Metadata     map[string]string
	Compressed   bool
	// StreamInfo is the stream's info the status was read from.
	StreamInfo *js.StreamInfo
}

func newStatus(bucket string, si *js.StreamInfo) *Status {
	return &Status{
		Bucket:       bucket,
		Description:  si.Config.Description,
		TTL:          si.Config.MaxAge,
		Storage:      si.Config.Storage,
		Replicas:     si.Config.Replicas,
		Sealed:       si.Config.Sealed,
		Size:         si.State.Bytes,
		BackingStore: "JetStream",
		Metadata:     si.Config.Metadata,
		Compressed:   si.Config.Compression == js.S2Compression,
		StreamInfo:   si,
	}
}

// Status reads the store's current status.
func (s *Store) Status(ctx context.Context) (*Status, error) {
	si, err := s.js.StreamInfo(ctx, s.stream)
	if err != nil {
		return nil, storeErr(s.bucket, err)
	}
	return newStatus(s.bucket, si), nil
}

// Seal makes the store read-only: puts, deletes and meta updates fail
// with js.ErrStreamSealed from then on.
func (s *Store) Seal(ctx context.Context) error {
	_, err := s.js.SealStream(ctx, s.stream)
	return storeErr(s.bucket, err)
}
