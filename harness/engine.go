package harness

import (
	"context"
	"errors"
	"time"
)

// engine runs one incarnation after another of a server from its configuration file:
// in this process (inProcess) or as a child process (process).
type engine interface {
	// start starts the server and returns once every listener accepts connections.
	start(ctx context.Context) error
	// shutdown stops the server gracefully and waits for it; a no-op when stopped.
	shutdown()
	// lameDuck puts the server in lame-duck mode and returns once it stopped accepting
	// clients; the server then shuts itself down.
	lameDuck(ctx context.Context) error
	// reload re-reads the configuration file.
	reload(ctx context.Context) error
	// info describes the running server.
	info(ctx context.Context) (ServerInfo, error)
	// healthz returns nil when the server, and JetStream if enabled, is healthy.
	healthz(ctx context.Context) error
	// remotes counts the servers this one has routes to.
	remotes(ctx context.Context) (int, error)
	// meta reports this server's view of the JetStream meta group.
	meta(ctx context.Context) (metaView, error)
	// log returns the server's log so far.
	log() string
}

// metaView is a server's view of the JetStream meta group: the leader's
// name and, on the leader, what it knows of each other peer.
type metaView struct {
	Leader   string `json:"leader"`
	Replicas []struct {
		Name    string `json:"name"`
		Current bool   `json:"current"`
		Offline bool   `json:"offline"`
	} `json:"replicas"`
}

// errNotRunning is returned by an engine asked about a server that is not running.
var errNotRunning = errors.New("harness: server is not running")

// pollInterval is how often the harness re-checks a condition it waits for.
const pollInterval = 20 * time.Millisecond

// poll calls check every pollInterval until it returns nil or ctx ends; see pollEvery.
func poll(ctx context.Context, check func() error) error {
	return pollEvery(ctx, pollInterval, check)
}

// fatalError, returned by a check, ends a poll at once with the error it wraps.
type fatalError struct{ err error }

func (f *fatalError) Error() string { return f.err.Error() }

// pollEvery calls check every interval until it returns nil, returns a *fatalError
// (then pollEvery returns the error inside), or ctx ends (then it returns the
// context's error joined with check's last one).
func pollEvery(ctx context.Context, interval time.Duration, check func() error) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		if fe, ok := err.(*fatalError); ok {
			return fe.err
		}
		select {
		case <-ctx.Done():
			return errors.Join(ctx.Err(), err)
		case <-t.C:
		}
	}
}
