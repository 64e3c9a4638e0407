package chaos

import (
	"io"
	"time"
)

// Config is a campaign. The zero value is the default campaign with a seed from the
// clock.
type Config struct {
	// Seed draws the fault schedule; the same seed replays the same faults. Default:
	// drawn from the clock, and printed.
	Seed int64
	// Duration is how long clients run and faults are injected (healing and checking
	// come after). Default: DefaultDuration.
	Duration time.Duration
	// Publishers is how many concurrent stream publishers run, each on a connection of
	// its own. Default: DefaultPublishers.
	Publishers int
	// KVClients is how many concurrent KV clients run (gets, puts, creates and
	// compare-and-set updates on a few keys); negative for none. Default:
	// DefaultKVClients.
	KVClients int
	// KVPause is each KV client's pause between operations, which keeps the history
	// small enough to check for linearizability. Default: DefaultKVPause.
	KVPause time.Duration
	// LinearizabilityTimeout bounds the KV check; past it the verdict is Unknown.
	// Default: DefaultLinearizabilityTimeout.
	LinearizabilityTimeout time.Duration
	// PublishPause is each publisher's pause between publishes, which bounds the
	// history's size. Default: DefaultPublishPause.
	PublishPause time.Duration
	// Pacing bounds fault lengths and gaps. Default: DefaultPacing.
	Pacing *Pacing
	// Kinds are the faults the nemesis draws from. Default: AllKinds.
	Kinds []Kind
	// OutDir receives history.jsonl and timeline.html when the run fails (or always,
	// with KeepHistory). Default: a new directory under os.TempDir().
	OutDir string
	// KeepHistory writes the history and timeline even when the run passes.
	// Default: only a failing run's.
	KeepHistory bool
	// Log receives progress lines (the seed first). Default: discarded.
	Log io.Writer
}

// Defaults of Config.
const (
	DefaultDuration     = 60 * time.Second
	DefaultPublishers   = 4
	DefaultKVClients    = 3
	DefaultKVPause      = 20 * time.Millisecond
	DefaultPublishPause = 5 * time.Millisecond

	DefaultLinearizabilityTimeout = 2 * time.Minute
)

// Names the campaign uses on the cluster.
const (
	StreamName    = "CHAOS"
	streamSubject = "chaos.>"
)

func (c Config) withDefaults() Config {
	if c.Seed == 0 {
		c.Seed = time.Now().UnixNano()
	}
	if c.Duration <= 0 {
		c.Duration = DefaultDuration
	}
	if c.Publishers <= 0 {
		c.Publishers = DefaultPublishers
	}
	if c.KVClients == 0 {
		c.KVClients = DefaultKVClients
	}
	if c.PublishPause == 0 {
		c.PublishPause = DefaultPublishPause
	}
	if c.KVPause <= 0 {
		c.KVPause = DefaultKVPause
	}
	if c.LinearizabilityTimeout <= 0 {
		c.LinearizabilityTimeout = DefaultLinearizabilityTimeout
	}
	if c.Pacing == nil {
		p := DefaultPacing
		c.Pacing = &p
	}
	if len(c.Kinds) == 0 {
		c.Kinds = AllKinds
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return c
}
