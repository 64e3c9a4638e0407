package kv

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/starling-nats/starling/js"
)

// Store manages the buckets of one JetStream context: create, update,
// delete, open and list. It holds nothing but the context and is safe for
// concurrent use.
type Store struct {
	js *js.JetStream
}

// New returns a Store on j. It sends nothing. A domain or API prefix set
// on j (js.WithDomain, js.WithAPIPrefix) applies to every bucket opened
// through the Store, reads and writes alike.
func New(j *js.JetStream) (*Store, error) {
	if j == nil {
		return nil, fmt.Errorf("%w: nil jetstream context", ErrInvalidOption)
	}
	return &Store{js: j}, nil
}

// JetStream returns the context the Store uses.
func (s *Store) JetStream() *js.JetStream { return s.js }

// Create creates a bucket. A bucket with the same configuration is opened
// as is; one with another configuration is ErrBucketExists.
func (s *Store) Create(ctx context.Context, cfg Config) (*Bucket, error) {
	sc, err := s.streamConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	si, err := s.js.CreateStream(ctx, sc)
	if err != nil {
		if errors.Is(err, js.ErrStreamNameInUse) {
			return nil, &joined{ErrBucketExists, err}
		}
		return nil, err
	}
	return s.bucket(si)
}

// Update changes an existing bucket's configuration; a missing bucket is
// ErrBucketNotFound. Limit markers, once enabled, cannot be disabled.
func (s *Store) Update(ctx context.Context, cfg Config) (*Bucket, error) {
	sc, err := s.streamConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	si, err := s.js.UpdateStream(ctx, sc)
	if err != nil {
		return nil, bucketNotFound(err)
	}
	return s.bucket(si)
}

// CreateOrUpdate updates the bucket, creating it if it is missing.
func (s *Store) CreateOrUpdate(ctx context.Context, cfg Config) (*Bucket, error) {
	b, err := s.Update(ctx, cfg)
	if errors.Is(err, ErrBucketNotFound) {
		return s.Create(ctx, cfg)
	}
	return b, err
}

// Delete deletes a bucket and every value in it.
func (s *Store) Delete(ctx context.Context, name string) error {
	if err := checkBucket(name); err != nil {
		return err
	}
	return bucketNotFound(s.js.DeleteStream(ctx, streamPrefix+name))
}

// Bucket opens an existing bucket (one round trip: its stream info).
func (s *Store) Bucket(ctx context.Context, name string) (*Bucket, error) {
	if err := checkBucket(name); err != nil {
		return nil, err
	}
	si, err := s.js.StreamInfo(ctx, streamPrefix+name)
	if err != nil {
		return nil, bucketNotFound(err)
	}
	return s.bucket(si)
}

// Status returns a bucket's status without opening it.
func (s *Store) Status(ctx context.Context, name string) (*Status, error) {
	if err := checkBucket(name); err != nil {
		return nil, err
	}
	si, err := s.js.StreamInfo(ctx, streamPrefix+name)
	if err != nil {
		return nil, bucketNotFound(err)
	}
	return newStatus(si), nil
}

// bucketsFilter finds the streams whose subjects are a bucket's.
var bucketsFilter = js.WithStreamSubject(subjectPrefix("*") + ">")

// Names yields the names of the account's buckets, a page of names at a
// time as the loop asks for them. Mirror buckets, which have no subjects,
// are not listed (as in nats.go). An error ends the sequence.
func (s *Store) Names(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for n, err := range s.js.StreamNames(ctx, bucketsFilter) {
			if err != nil {
				yield("", err)
				return
			}
			if name, ok := strings.CutPrefix(n, streamPrefix); ok {
				if !yield(name, nil) {
					return
				}
			}
		}
	}
}

// List yields the status of the account's buckets, a page at a time as
// the loop asks for them.
func (s *Store) List(ctx context.Context) iter.Seq2[*Status, error] {
	return func(yield func(*Status, error) bool) {
		for si, err := range s.js.Streams(ctx, bucketsFilter) {
			if err != nil {
				yield(nil, err)
				return
			}
			if strings.HasPrefix(si.Config.Name, streamPrefix) {
				if !yield(newStatus(si), nil) {
					return
				}
			}
		}
	}
}
