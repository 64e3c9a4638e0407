package obj

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/starling-nats/starling/js"
)

// Defaults of the get options.
const (
	DefaultGetWindow = 16
	DefaultHeartbeat = 2 * time.Second
)

// GetOption changes Get.
type GetOption func(*getOpts) error

type getOpts struct {
	window int
	hb     time.Duration
}

// WithGetWindow sets how many chunks one pull asks for; at most twice that
// many are queued or in flight, so a reader holds at most 2×window+1
// chunk buffers whatever the object's size. Default DefaultGetWindow (16).
func WithGetWindow(n int) GetOption {
	return func(o *getOpts) error {
		if n <= 0 {
			return fmt.Errorf("%w: get window %d", ErrInvalidOption, n)
		}
		o.window = n
		return nil
	}
}

// WithHeartbeat sets the idle heartbeat the server sends while a pull
// waits. Three missed ones make the reader recreate its consumer from the
// last chunk read (after a server restart, for example). Default
// DefaultHeartbeat (2 s); at least 100 ms.
func WithHeartbeat(d time.Duration) GetOption {
	return func(o *getOpts) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("%w: heartbeat %v", ErrInvalidOption, d)
		}
		o.hb = d
		return nil
	}
}

// Reader streams one object's bytes. It is not safe for concurrent use.
// The bytes it returns are the stored ones in order; their size and
// SHA-256 are checked when the last chunk is read, so the Read that would
// return io.EOF returns ErrObjectSizeMismatch or ErrDigestMismatch
// instead if they disagree with the object's info. Callers that must not
// act on unverified bytes use GetBytes or GetFile, or wait for io.EOF.
//
// The context given to Get bounds the whole read: when it ends, Read
// returns its error. Close deletes the consumer and stops delivery;
// nothing of the reader outlives it.
type Reader struct {
	ctx    context.Context
	info   *Info
	p      *orderedPull
	h      hash.Hash
	cur    []byte
	curBuf *[]byte
	off    int
	read   uint64
	chunks uint32
	err    error
	once   sync.Once
}

// Info returns the object's info (the link target's, for a link).
func (r *Reader) Info() *Info { return r.info }

// Get opens the object name for reading, following a link to an object
// (in this store or another). A link to a bucket is ErrCantGetBucket.
func (s *Store) Get(ctx context.Context, name string, opts ...GetOption) (*Reader, error) {
	o := getOpts{window: DefaultGetWindow, hb: DefaultHeartbeat}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	info, err := s.GetInfo(ctx, name)
	if err != nil {
		return nil, err
	}
	src := s
	if info.IsLink() {
		l := info.Options.Link
		if l.Name == "" {
			return nil, ErrCantGetBucket
		}
		if l.Bucket != s.bucket {
			if src, err = Open(ctx, s.js, l.Bucket); err != nil {
				return nil, err
			}
		}
		if info, err = src.GetInfo(ctx, l.Name); err != nil {
			return nil, err
		}
		if info.IsLink() {
			return nil, ErrNoLinkToLink
		}
	}
	r := &Reader{ctx: ctx, info: info, h: sha256.New()}
	if info.Chunks == 0 {
		return r, nil
	}
	cfg := js.ConsumerConfig{FilterSubject: chunkSubject(src.bucket, info.NUID), DeliverPolicy: js.DeliverAll}
	r.p, err = newOrderedPull(ctx, s.js, src.stream, cfg, o.window, o.hb, uint64(info.Chunks))
	if errors.Is(err, errMissing) {
		return nil, fmt.Errorf("%w: %s: %w", ErrObjectSizeMismatch, info.Name, err)
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Read reads the next bytes of the object.
func (r *Reader) Read(b []byte) (int, error) {
	for r.off == len(r.cur) {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(b, r.cur[r.off:])
	r.off += n
	return n, nil
}

// WriteTo writes the rest of the object to w, a chunk at a time with no
// copy beyond the one from the connection. io.Copy uses it.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if r.off < len(r.cur) {
			n, err := w.Write(r.cur[r.off:])
			r.off += n
			total += int64(n)
			if err != nil {
				return total, err
			}
		}
		if err := r.fill(); err != nil {
			if err == io.EOF {
				return total, nil
			}
			return total, err
		}
	}
}

// fill makes the next chunk current, or ends the read.
func (r *Reader) fill() error {
	if r.err != nil {
		return r.err
	}
	if r.p != nil && r.curBuf != nil {
		r.p.recycle(r.curBuf)
	}
	r.cur, r.curBuf, r.off = nil, nil, 0
	if r.chunks == r.info.Chunks {
		r.err = r.verify()
		r.release()
		return r.err
	}
	d, err := r.p.next(r.ctx)
	if errors.Is(err, errMissing) {
		err = fmt.Errorf("%w: %s: %w", ErrObjectSizeMismatch, r.info.Name, err)
	}
	if err != nil {
		r.err = err
		r.release()
		return err
	}
	r.chunks++
	r.read += uint64(len(d.data))
	if r.read > r.info.Size || d.pending == 0 && r.chunks < r.info.Chunks {
		r.err = fmt.Errorf("%w: %s: chunks hold more or fewer bytes than its size %d", ErrObjectSizeMismatch, r.info.Name, r.info.Size)
		r.release()
		return r.err
	}
	r.h.Write(d.data)
	r.cur, r.curBuf = d.data, d.buf
	return nil
}

func (r *Reader) verify() error {
	if r.read != r.info.Size {
		return fmt.Errorf("%w: %s: read %d bytes, size %d", ErrObjectSizeMismatch, r.info.Name, r.read, r.info.Size)
	}
	want, err := parseDigest(r.info.Digest)
	if err != nil {
		return err
	}
	if !bytes.Equal(r.h.Sum(nil), want) {
		return fmt.Errorf("%w: %s", ErrDigestMismatch, r.info.Name)
	}
	return io.EOF
}

// release deletes the consumer once the read is over.
func (r *Reader) release() {
	r.once.Do(func() {
		if r.p != nil {
			r.p.close(r.ctx)
		}
	})
}

// Close stops the read and deletes its consumer (waiting at most 2 s for
// the server to confirm; past that the server drops the idle consumer by
// itself). Reads after Close return ErrReaderClosed.
func (r *Reader) Close() error {
	if r.err == nil || r.err == io.EOF {
		r.err = ErrReaderClosed
	}
	if r.p != nil && r.curBuf != nil {
		r.p.recycle(r.curBuf)
	}
	r.cur, r.curBuf, r.off = nil, nil, 0
	r.release()
	return nil
}

// GetBytes reads the whole object into memory, verified.
func (s *Store) GetBytes(ctx context.Context, name string, opts ...GetOption) ([]byte, error) {
	r, err := s.Get(ctx, name, opts...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var buf bytes.Buffer
	buf.Grow(int(r.info.Size))
	if _, err := r.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// GetString reads the whole object as a string, verified.
func (s *Store) GetString(ctx context.Context, name string, opts ...GetOption) (string, error) {
	b, err := s.GetBytes(ctx, name, opts...)
	return string(b), err
}

// GetFile streams the object into the file at path. It writes a
// temporary file beside path and renames it over path only after the
// size and digest check out, so path never holds unverified or partial
// bytes.
func (s *Store) GetFile(ctx context.Context, name, path string, opts ...GetOption) (err error) {
	r, err := s.Get(ctx, name, opts...)
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".obj-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if _, err = r.WriteTo(f); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
