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
	// DefaultWatchBuffer is how many bytes of entries (key, value and
	// 128 bytes of bookkeeping each) a watcher holds for its reader. Flow
	// control keeps the server from sending more than 32 MiB (its largest
	// window) ahead of the reader, so this is a safety net: past it the
	// watcher drops its consumer and resumes it from the last entry queued
	// once the reader has caught up. Memory stays bounded however slow the
	// reader and however many keys.
	DefaultWatchBuffer = 40 << 20
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

// WatchBuffer sets how many bytes of entries the watcher holds for a slow
// reader (at least 64 KiB). Default: DefaultWatchBuffer.
func WatchBuffer(n int) WatchOption {
	return func(o *watchOpts) error {
		if n < 64<<10 {
			return fmt.Errorf("%w: watch buffer %d below 64 KiB", ErrInvalidOption, n)
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
