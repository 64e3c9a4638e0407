package obj

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/starling-nats/starling/core"
)

// Meta is what a caller says about an object: its name and the fields
// UpdateMeta may change.
type Meta struct {
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	Headers     core.Header       `json:"headers,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
	// Options holds the link of a link object and the chunk size a put
	// used; Put ignores a Link (ErrLinkNotAllowed) and fills ChunkSize.
	Options *MetaOptions `json:"options,omitempty"`
}

// MetaOptions is the "options" object of the meta JSON.
type MetaOptions struct {
	Link      *Link  `json:"link,omitempty"`
	ChunkSize uint32 `json:"max_chunk_size,omitempty"`
}

// Link points at an object (Name set) or at a whole bucket (Name empty).
type Link struct {
	Bucket string `json:"bucket"`
	Name   string `json:"name,omitempty"`
}

// Info is an object's stored description: the JSON payload of its meta
// message, the same shape nats.go and the nats CLI write.
type Info struct {
	Meta
	Bucket string `json:"bucket"`
	NUID   string `json:"nuid"`
	Size   uint64 `json:"size"`
	// ModTime is the meta message's stream timestamp on a read (other
	// clients store a zero time); after a put it is the client's clock.
	ModTime time.Time `json:"mtime"`
	Chunks  uint32    `json:"chunks"`
	// Digest is "SHA-256=" and the padded base64url SHA-256 of the bytes.
	Digest  string `json:"digest,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
}

// IsLink reports whether the object is a link to another object or bucket.
func (i *Info) IsLink() bool { return i.Options != nil && i.Options.Link != nil }

func decodeInfo(data []byte, stamp time.Time) (*Info, error) {
	var info Info
	if err := json.Unmarshal(data, &info); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadObjectMeta, err)
	}
	if info.Name == "" {
		return nil, fmt.Errorf("%w: no name", ErrBadObjectMeta)
	}
	info.ModTime = stamp
	return &info, nil
}

// encodeInfo writes the meta JSON with a zero mtime, as other clients do:
// the stream's timestamp is the real one.
func encodeInfo(info *Info) ([]byte, error) {
	c := *info
	c.ModTime = time.Time{}
	return json.Marshal(&c)
}

const digestPrefix = "SHA-256="

func formatDigest(sum []byte) string {
	return digestPrefix + base64.URLEncoding.EncodeToString(sum)
}

// parseDigest accepts the padded URL alphabet (what every client writes)
// and, leniently, the standard one.
func parseDigest(d string) ([]byte, error) {
	v, ok := strings.CutPrefix(d, digestPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrInvalidDigest, d)
	}
	sum, err := base64.URLEncoding.DecodeString(v)
	if err != nil {
		if sum, err = base64.StdEncoding.DecodeString(v); err != nil {
			return nil, fmt.Errorf("%w: %q", ErrInvalidDigest, d)
		}
	}
	if len(sum) != sha256.Size {
		return nil, fmt.Errorf("%w: %q", ErrInvalidDigest, d)
	}
	return sum, nil
}
