package obj

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/starling-nats/starling/js"
)

// Defaults of the put options.
const (
	DefaultChunkSize = 128 * 1024
	DefaultPutWindow = 16
)

// PutOption changes Put.
type PutOption func(*putOpts) error

type putOpts struct {
	chunkSize int
	window    int
}

// WithChunkSize sets the size of each chunk message. Default
// DefaultChunkSize (128 KiB); it must fit the server's max_payload.
func WithChunkSize(n int) PutOption {
	return func(o *putOpts) error {
		if n <= 0 {
			return fmt.Errorf("%w: chunk size %d", ErrInvalidOption, n)
		}
		o.chunkSize = n
		return nil
	}
}

// WithPutWindow sets how many chunks may wait for their acks at once.
// Default DefaultPutWindow (16). The put's memory is one chunk buffer;
// the window bounds what the connection buffers and the server holds
// unacknowledged.
func WithPutWindow(n int) PutOption {
	return func(o *putOpts) error {
		if n <= 0 {
			return fmt.Errorf("%w: put window %d", ErrInvalidOption, n)
		}
		o.window = n
		return nil
	}
}

// Put stores the bytes of r, read to EOF, as the object meta.Name. r may
// be of any length, known or not: it is read one chunk at a time, each
// chunk published as soon as it is read with at most the window of chunks
// awaiting acks, and hashed on the way. The meta is written only after
// every chunk is acknowledged; then the previous version's chunks are
// purged. If anything fails (r, the server, ctx) the chunks already
// written are purged and the previous version stays readable.
//
// Writing the meta is the commit point. Once every chunk is stored, the
// meta is written and its ack awaited even if ctx ends meanwhile (bounded
// by a few seconds of its own): the meta of a put cut off there could
// otherwise be stored after its chunks were purged, leaving a name that
// reads as missing data. A put whose meta outcome stays unknown (no ack,
// and the meta cannot be read back) keeps its chunks and returns the error.
//
// Concurrent puts of one name end with the last meta written winning and
// no chunks left behind: each meta replaces only the version its writer
// read (Nats-Expected-Last-Subject-Sequence), and a writer that lost the
// race re-reads and replaces, and purges, the winner's version.
func (s *Store) Put(ctx context.Context, meta Meta, r io.Reader, opts ...PutOption) (*Info, error) {
	o := putOpts{chunkSize: DefaultChunkSize, window: DefaultPutWindow}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	if err := checkObjectName(meta.Name); err != nil {
		return nil, err
	}
	if meta.Options != nil && meta.Options.Link != nil {
		return nil, ErrLinkNotAllowed
	}
	if r == nil {
		r = bytes.NewReader(nil)
	}
	old, oldSeq, err := s.readInfoSeq(ctx, meta.Name, false)
	if err != nil && !errors.Is(err, ErrObjectNotFound) {
		return nil, err
	}

	nuid := newNUID()
	size, chunks, sum, err := s.putChunks(ctx, chunkSubject(s.bucket, nuid), r, o)
	if err != nil {
		return nil, s.failPut(ctx, nuid, err)
	}
	info := &Info{
		Meta:    meta,
		Bucket:  s.bucket,
		NUID:    nuid,
		Size:    size,
		Chunks:  chunks,
		Digest:  formatDigest(sum),
		ModTime: time.Now().UTC(),
	}
	mo := MetaOptions{ChunkSize: uint32(o.chunkSize)}
	if meta.Options != nil {
		mo = *meta.Options
		mo.ChunkSize = uint32(o.chunkSize)
	}
	info.Options = &mo
	if err := ctx.Err(); err != nil {
		return nil, s.failPut(ctx, nuid, err)
	}
	if old, err = s.commitMeta(ctx, info, old, oldSeq); err != nil {
		return nil, err
	}
	if old != nil && !old.Deleted && !old.IsLink() && old.NUID != nuid {
		if err := s.purgeChunks(ctx, old.NUID); err != nil {
			// The new version is stored and readable; only the old
			// chunks remain, costing space until the next purge.
			return info, fmt.Errorf("obj: put stored, old chunks not purged: %w", err)
		}
	}
	return info, nil
}

// commitMeta writes a put's meta, past the end of ctx (see Put), and
// returns the version it replaced. On failure it purges the put's chunks
// only when the meta is known not to be stored.
func (s *Store) commitMeta(ctx context.Context, info *Info, old *Info, oldSeq uint64) (*Info, error) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	replaced, err := s.replaceMeta(cctx, info, old, oldSeq)
	if err == nil {
		return replaced, nil
	}
	// The meta may have been stored even so: its ack lost, or the wait for
	// it cut short. Ask the server which meta the name has now.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer rcancel()
	cur, _, rerr := s.readInfoSeq(rctx, info.Name, false)
	switch {
	case rerr == nil && cur.NUID == info.NUID:
		return old, nil // stored: the put succeeded
	case rerr == nil || errors.Is(rerr, ErrObjectNotFound):
		return nil, s.failPut(ctx, info.NUID, err)
	default:
		return nil, fmt.Errorf("%w (the meta may be stored: reading it back failed: %v; chunks %s kept)", err, rerr, info.NUID)
	}
}

// failPut purges what a failed put wrote and returns its error.
func (s *Store) failPut(ctx context.Context, nuid string, err error) error {
	if errors.Is(err, js.ErrStreamSealed) {
		return err // nothing was written, and a purge would be refused too
	}
	if perr := s.purgeChunks(ctx, nuid); perr != nil {
		return fmt.Errorf("%w (and purging the partial chunks failed: %v)", err, perr)
	}
	return err
}

// putChunks publishes r in chunks and returns size, count and SHA-256.
// One buffer is reused: PublishAsync has copied the bytes out by the time
// it returns.
func (s *Store) putChunks(ctx context.Context, subj string, r io.Reader, o putOpts) (uint64, uint32, []byte, error) {
	h := sha256.New()
	buf := make([]byte, o.chunkSize)
	// futs is a ring of the chunks awaiting acks, oldest at head.
	futs := make([]*js.PubAckFuture, o.window)
	head, n := 0, 0
	var size uint64
	var chunks uint32
	wait := func(ctx context.Context) error {
		f := futs[head]
		futs[head] = nil
		head = (head + 1) % len(futs)
		n--
		_, err := f.Wait(ctx)
		return err
	}
	// abandon waits for the chunks still in flight before a failed put
	// purges: one stored after the purge would stay forever. It waits
	// past the caller's context, bounded, since that may be what ended.
	abandon := func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		defer cancel()
		for n > 0 {
			_ = wait(cctx)
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			abandon()
			return 0, 0, nil, err
		}
		k, rerr := io.ReadFull(r, buf)
		if k > 0 {
			h.Write(buf[:k])
			if n == len(futs) {
				if err := wait(ctx); err != nil {
					abandon()
					return 0, 0, nil, err
				}
			}
			f, err := s.js.PublishAsync(ctx, subj, buf[:k])
			if err != nil {
				abandon()
				return 0, 0, nil, err
			}
			futs[(head+n)%len(futs)] = f
			n++
			size += uint64(k)
			chunks++
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			abandon()
			return 0, 0, nil, fmt.Errorf("obj: reading the object: %w", rerr)
		}
	}
	for n > 0 {
		if err := wait(ctx); err != nil {
			abandon()
			return 0, 0, nil, err
		}
	}
	return size, chunks, h.Sum(nil), nil
}

// PutBytes stores data as the object name.
func (s *Store) PutBytes(ctx context.Context, name string, data []byte, opts ...PutOption) (*Info, error) {
	return s.Put(ctx, Meta{Name: name}, bytes.NewReader(data), opts...)
}

// PutString stores data as the object name.
func (s *Store) PutString(ctx context.Context, name, data string, opts ...PutOption) (*Info, error) {
	return s.Put(ctx, Meta{Name: name}, strings.NewReader(data), opts...)
}

// PutFile stores the file at path, streamed, under the name path.
func (s *Store) PutFile(ctx context.Context, path string, opts ...PutOption) (*Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return s.Put(ctx, Meta{Name: path}, f, opts...)
}
