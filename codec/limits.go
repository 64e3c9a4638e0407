package codec

// Defaults applied by NewReader and NewClientReader to zero (or negative)
// fields of Limits.
const (
	// DefaultMaxControlLine is the server's own default max_control_line.
	DefaultMaxControlLine = 4096
	// DefaultMaxPayload is the server's default max_payload (1 MiB). A client
	// replaces it with the max_payload of the server's INFO (SetMaxPayload).
	DefaultMaxPayload = 1 << 20
	// DefaultMaxInfo bounds an INFO line. INFO grows with the cluster
	// (connect_urls, ws_connect_urls list every reachable address of every
	// server), so it gets its own, larger limit than other control lines.
	DefaultMaxInfo = 256 << 10
)

// Limits bound what a decoder accepts, so that a hostile or broken peer cannot
// make it allocate without bound. A zero or negative field means its default;
// values above MaxLimit are lowered to it.
type Limits struct {
	// MaxControlLine is the longest control line accepted, in bytes, counting
	// the operation name and arguments but not the CRLF. INFO lines are
	// bounded by MaxInfo instead. Default DefaultMaxControlLine.
	MaxControlLine int
	// MaxPayload is the largest payload a MSG, HMSG, PUB or HPUB may declare,
	// headers included (as the server counts it). Default DefaultMaxPayload.
	MaxPayload int
	// MaxInfo is the longest INFO line accepted, in bytes, excluding the
	// CRLF. Default DefaultMaxInfo.
	MaxInfo int
}

// MaxLimit is the largest value any limit takes: the server keeps
// max_payload in an int32, so no valid operation is larger.
const MaxLimit = 1<<31 - 1

func (l Limits) withDefaults() Limits {
	l.MaxControlLine = limit(l.MaxControlLine, DefaultMaxControlLine)
	l.MaxPayload = limit(l.MaxPayload, DefaultMaxPayload)
	l.MaxInfo = limit(l.MaxInfo, DefaultMaxInfo)
	return l
}

// limit applies the default to n <= 0 and the ceiling MaxLimit.
func limit(n, def int) int {
	if n <= 0 {
		return def
	}
	return min(n, MaxLimit)
}
