package svc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/starling-nats/starling/core"
)

// DefaultStallTimeout is how long Ping, Info and Stats wait for another
// instance's answer after the last one came.
const DefaultStallTimeout = 300 * time.Millisecond

// QueryOption configures Ping, Info and Stats.
type QueryOption func(*query)

type query struct {
	prefix string
	stall  time.Duration
	max    int
}

// WithPrefix asks services that use another discovery prefix than $SRV
// (Config.Prefix). Default: DefaultPrefix.
func WithPrefix(p string) QueryOption { return func(q *query) { q.prefix = p } }

// WithStallTimeout sets how long to wait for another answer after the last
// one; the first may take until ctx's deadline (or the connection's request
// timeout when ctx has none). Default: DefaultStallTimeout (300 ms).
func WithStallTimeout(d time.Duration) QueryOption { return func(q *query) { q.stall = d } }

// WithMaxResponses stops after n answers. Default: no limit (1 when an id
// is given).
func WithMaxResponses(n int) QueryOption { return func(q *query) { q.max = n } }

// Ping asks every instance of every service (name ""), of one service, or
// one instance (name and id) to answer PING, and yields each answer as it
// comes, until no answer came for the stall timeout, ctx's deadline, or
// the id's instance answered. No instance answering is an empty sequence,
// not an error. A reply that does not decode yields an error wrapping
// ErrBadResponse, and the loop goes on.
func Ping(ctx context.Context, nc *core.Conn, name, id string, opts ...QueryOption) iter.Seq2[*PingResponse, error] {
	return ask(ctx, nc, VerbPing, name, id, opts, func(r *PingResponse) string { return r.Type })
}

// Info asks for INFO as Ping asks for PING: what each instance serves.
func Info(ctx context.Context, nc *core.Conn, name, id string, opts ...QueryOption) iter.Seq2[*InfoResponse, error] {
	return ask(ctx, nc, VerbInfo, name, id, opts, func(r *InfoResponse) string { return r.Type })
}

// Stats asks for STATS as Ping asks for PING: each instance's counters.
func Stats(ctx context.Context, nc *core.Conn, name, id string, opts ...QueryOption) iter.Seq2[*StatsResponse, error] {
	return ask(ctx, nc, VerbStats, name, id, opts, func(r *StatsResponse) string { return r.Type })
}

// DiscoverySubject returns the subject that asks verb of every service
// (name ""), of every instance of name, or of one instance (name and id),
// under prefix ("" for $SRV).
func DiscoverySubject(prefix, verb, name, id string) (string, error) {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	if err := checkPrefix(prefix); err != nil {
		return "", err
	}
	if verb != VerbPing && verb != VerbInfo && verb != VerbStats {
		return "", configErr("verb", verb, "must be PING, INFO or STATS")
	}
	subj := prefix + "." + verb
	if name != "" {
		if !validName(name) {
			return "", configErr("name", name, "must be one or more of A-Z, a-z, 0-9, '-' and '_'")
		}
		subj += "." + name
	}
	if id != "" {
		if name == "" {
			return "", configErr("id", id, "needs a service name")
		}
		if !validName(id) {
			return "", configErr("id", id, "must be one or more of A-Z, a-z, 0-9, '-' and '_'")
		}
		subj += "." + id
	}
	return subj, nil
}

func ask[T any](ctx context.Context, nc *core.Conn, verb, name, id string, opts []QueryOption, typeOf func(*T) string) iter.Seq2[*T, error] {
	q := query{stall: DefaultStallTimeout}
	for _, o := range opts {
		o(&q)
	}
	if id != "" && q.max == 0 {
		q.max = 1
	}
	want := map[string]string{VerbPing: PingResponseType, VerbInfo: InfoResponseType, VerbStats: StatsResponseType}[verb]
	return func(yield func(*T, error) bool) {
		subj, err := DiscoverySubject(q.prefix, verb, name, id)
		if err != nil {
			yield(nil, err)
			return
		}
		ropts := []core.RequestOption{core.StallTimeout(q.stall)}
		if q.max > 0 {
			ropts = append(ropts, core.MaxMessages(q.max))
		}
		for m, err := range nc.RequestMany(ctx, subj, nil, ropts...) {
			if errors.Is(err, core.ErrNoResponders) {
				return
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if serr := ResponseError(m); serr != nil {
				if !yield(nil, fmt.Errorf("%w: %w", ErrBadResponse, serr)) {
					return
				}
				continue
			}
			v := new(T)
			if err := json.Unmarshal(m.Data, v); err != nil {
				if !yield(nil, fmt.Errorf("%w: %s: %w", ErrBadResponse, verb, err)) {
					return
				}
				continue
			}
			if got := typeOf(v); got != want {
				if !yield(nil, fmt.Errorf("%w: type %q, want %q", ErrBadResponse, got, want)) {
					return
				}
				continue
			}
			if !yield(v, nil) {
				return
			}
		}
	}
}
