package kv

import (
	"context"
	"fmt"
	"strings"

	"github.com/starling-nats/starling/js"
)

// Bucket is an open bucket: reads, writes, history, keys and watches. It
// is safe for concurrent use and holds no goroutine; a Watcher runs one
// consumer while it lives.
type Bucket struct {
	name   string
	stream string
	js     *js.JetStream
	nc     js.Conn
	// api is the JetStream API prefix with its dot: "$JS.API.".
	api string
	// keyPrefix is what stored subjects start with: "$KV.<bucket>.", or
	// the origin's for a mirror.
	keyPrefix string
	// putPrefix is where writes go: keyPrefix, behind the API prefix in
	// another domain, or the origin's for a mirror.
	putPrefix string
	// directPrefix is the direct get subject up to the key:
	// "$JS.API.DIRECT.GET.KV_b.$KV.b."; empty without allow_direct.
	directPrefix string
}

func (s *Store) bucket(si *js.StreamInfo) (*Bucket, error) {
	c := &si.Config
	name, ok := strings.CutPrefix(c.Name, streamPrefix)
	if !ok || !validBucket(name) {
		return nil, fmt.Errorf("%w: stream %q", ErrNotABucket, c.Name)
	}
	api := s.js.APIPrefix() + "."
	b := &Bucket{
		name:      name,
		stream:    c.Name,
		js:        s.js,
		nc:        s.js.Conn(),
		api:       api,
		keyPrefix: subjectPrefix(name),
	}
	b.putPrefix = b.keyPrefix
	if api != js.DefaultAPIPrefix+"." {
		// Writes to a bucket behind another domain or an imported API
		// travel through that prefix (ADR-19).
		b.putPrefix = api + b.keyPrefix
	}
	if m := c.Mirror; m != nil {
		origin := strings.TrimPrefix(m.Name, streamPrefix)
		b.keyPrefix = subjectPrefix(origin)
		b.putPrefix = b.keyPrefix
		if m.External != nil && m.External.APIPrefix != "" {
			b.putPrefix = strings.TrimSuffix(m.External.APIPrefix, ".") + "." + b.keyPrefix
		}
	} else if len(c.Subjects) != 1 || c.Subjects[0] != b.keyPrefix+">" {
		return nil, fmt.Errorf("%w: stream %q has subjects %v", ErrNotABucket, c.Name, c.Subjects)
	}
	if c.AllowDirect || c.MirrorDirect {
		b.directPrefix = api + "DIRECT.GET." + b.stream + "." + b.keyPrefix
	}
	return b, nil
}

// Name returns the bucket's name.
func (b *Bucket) Name() string { return b.name }

// Stream returns the name of the bucket's stream, KV_<name>.
func (b *Bucket) Stream() string { return b.stream }

// Status returns the bucket's configuration and state.
func (b *Bucket) Status(ctx context.Context) (*Status, error) {
	si, err := b.js.StreamInfo(ctx, b.stream)
	if err != nil {
		return nil, bucketNotFound(err)
	}
	return newStatus(si), nil
}

// purgeKey removes key's entries from the stream, keeping the newest keep.
func (b *Bucket) purgeKey(ctx context.Context, key string, keep uint64) error {
	opts := []js.PurgeOption{js.PurgeFilter(b.keyPrefix + key)}
	if keep > 0 {
		opts = append(opts, js.PurgeKeep(keep))
	}
	_, err := b.js.PurgeStream(ctx, b.stream, opts...)
	return bucketNotFound(err)
}
