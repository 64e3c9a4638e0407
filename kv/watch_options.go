package kv

import (
	"fmt"
	"time"
)

// Defaults of the watch options.
const (
	// DefaultWatchHeartbeat is the idle heartbeat the watch consumer
	// sends; three missed in a row make the watcher recreate it.
	DefaultWatchHeartbeat = 5 * time.Second
	// DefaultWatchBuffer is how many entries a watcher holds for its
	// reader before it stops its consumer and resumes it later from the
	// last entry held, so memory stays bounded however slow the reader.
	DefaultWatchBuffer = 4096
)

// WatchOption configures Watch, WatchAll and Keys.
type WatchOption func(*watchOpts) error

type watchOpts struct {
	history       bool
	updatesOnly   bool
	ignoreDeletes bool
	metaOnly      bool
	resumeFrom    uint64
	heartbeat     time.Duration
	buffer        int
}

// IncludeHistory delivers every stored revision of the matching keys, not
// only the latest. Default: the latest revision of each key.
func IncludeHistory() WatchOption {
	return func(o *watchOpts) error { o.history = true; return nil }
}

// UpdatesOnly delivers only entries written after the watch starts; no
// end-of-initial-data marker is sent. Default: the current values first.
func UpdatesOnly() WatchOption {
	return func(o *watchOpts) error { o.updatesOnly = true; return nil }
}

// IgnoreDeletes skips delete and purge markers. Default: delivered.
func IgnoreDeletes() WatchOption {
	return func(o *watchOpts) error { o.ignoreDeletes = true; return nil }
}

// MetaOnly delivers entries without their values (the server sends
// headers only). Default: values included.
func MetaOnly() WatchOption {
	return func(o *watchOpts) error { o.metaOnly = true; return nil }
}

// ResumeFromRevision delivers every matching entry from revision rev on,
// as a watcher that had seen rev-1 would. Default: off.
func ResumeFromRevision(rev uint64) WatchOption {
	return func(o *watchOpts) error {
		if rev == 0 {
			return fmt.Errorf("%w: resume from revision 0", ErrInvalidOption)
		}
		o.resumeFrom = rev
		return nil
	}
}

// WatchHeartbeat sets the consumer's idle heartbeat (at least 100 ms): a
// watcher that hears nothing for three of them recreates its consumer
// from the last revision it delivered. Default: DefaultWatchHeartbeat.
func WatchHeartbeat(d time.Duration) WatchOption {
	return func(o *watchOpts) error {
		if d < 100*time.Millisecond {
			return fmt.Errorf("%w: heartbeat %v below 100ms", ErrInvalidOption, d)
		}
		o.heartbeat = d
		return nil
	}
}

// WatchBuffer sets how many entries the watcher holds for a slow reader
// (at least 16). Default: DefaultWatchBuffer.
func WatchBuffer(n int) WatchOption {
	return func(o *watchOpts) error {
		if n < 16 {
			return fmt.Errorf("%w: watch buffer %d below 16", ErrInvalidOption, n)
		}
		o.buffer = n
		return nil
	}
}

func watchOptions(opts []WatchOption) (watchOpts, error) {
	o := watchOpts{heartbeat: DefaultWatchHeartbeat, buffer: DefaultWatchBuffer}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	n := 0
	for _, b := range []bool{o.history, o.updatesOnly, o.resumeFrom > 0} {
		if b {
			n++
		}
	}
	if n > 1 {
		return o, fmt.Errorf("%w: IncludeHistory, UpdatesOnly and ResumeFromRevision exclude each other", ErrInvalidOption)
	}
	return o, nil
}
