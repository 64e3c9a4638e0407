package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// inProcess runs nats-server inside the test binary.
type inProcess struct {
	file string
	logs logBuffer

	mu  sync.Mutex
	srv *server.Server
	ldm chan struct{} // closed when a lame-duck shutdown finished
}

func newInProcess(file string) *inProcess { return &inProcess{file: file} }

func (e *inProcess) options() (*server.Options, error) {
	opts, err := server.ProcessConfigFile(e.file)
	if err != nil {
		return nil, fmt.Errorf("harness: config: %w", err)
	}
	// The test binary's signals belong to the test, and the log goes to our buffer.
	opts.NoSigs = true
	opts.NoLog = true
	return opts, nil
}

func (e *inProcess) start(ctx context.Context) error {
	opts, err := e.options()
	if err != nil {
		return err
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("harness: new server: %w", err)
	}
	srv.SetLoggerV2(&e.logs, false, false, false)
	e.logs.takeFatal()
	srv.Start()
	err = poll(ctx, func() error {
		if ferr := e.logs.takeFatal(); ferr != nil {
			return &fatalError{ferr}
		}
		if !srv.ReadyForConnections(time.Millisecond) {
			return errors.New("harness: server not ready for connections")
		}
		return nil
	})
	if err != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
		return fmt.Errorf("harness: start: %w", err)
	}
	e.mu.Lock()
	e.srv, e.ldm = srv, nil
	e.mu.Unlock()
	return nil
}

func (e *inProcess) running() (*server.Server, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srv == nil || !e.srv.Running() {
		return nil, errNotRunning
	}
	return e.srv, nil
}

func (e *inProcess) shutdown() {
	e.mu.Lock()
	srv, ldm := e.srv, e.ldm
	e.srv, e.ldm = nil, nil
	e.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Shutdown()
	srv.WaitForShutdown()
	if ldm != nil {
		<-ldm
	}
}

func (e *inProcess) lameDuck(ctx context.Context) error {
	e.mu.Lock()
	srv := e.srv
	if srv == nil || e.ldm != nil {
		e.mu.Unlock()
		return errNotRunning
	}
	done := make(chan struct{})
	e.ldm = done
	e.mu.Unlock()
	go func() {
		defer close(done)
		srv.LameDuckShutdown()
	}()
	return poll(ctx, func() error {
		if srv.Addr() != nil {
			return errors.New("harness: server still accepts clients")
		}
		return nil
	})
}

func (e *inProcess) reload(context.Context) error {
	srv, err := e.running()
	if err != nil {
		return err
	}
	opts, err := e.options()
	if err != nil {
		return err
	}
	if err := srv.ReloadOptions(opts); err != nil {
		return fmt.Errorf("harness: reload: %w", err)
	}
	return nil
}

func (e *inProcess) info(context.Context) (ServerInfo, error) {
	srv, err := e.running()
	if err != nil {
		return ServerInfo{}, err
	}
	return ServerInfo{
		ID:          srv.ID(),
		Name:        srv.Name(),
		Version:     server.VERSION,
		ClusterName: srv.ClusterName(),
		JetStream:   srv.JetStreamEnabled(),
	}, nil
}

func (e *inProcess) healthz(context.Context) error {
	srv, err := e.running()
	if err != nil {
		return err
	}
	if h := srv.Healthz(nil); h.Status != "ok" {
		return fmt.Errorf("harness: server not healthy: %s", h.Error)
	}
	return nil
}

func (e *inProcess) remotes(context.Context) (int, error) {
	srv, err := e.running()
	if err != nil {
		return 0, err
	}
	return srv.NumRemotes(), nil
}

func (e *inProcess) meta(context.Context) (metaView, error) {
	srv, err := e.running()
	if err != nil {
		return metaView{}, err
	}
	jsz, err := srv.Jsz(nil)
	if err != nil || jsz.Meta == nil {
		return metaView{}, err
	}
	// Through JSON, as the process engine reads it, so that both fill
	// metaView alike.
	b, err := json.Marshal(jsz.Meta)
	if err != nil {
		return metaView{}, err
	}
	var v metaView
	err = json.Unmarshal(b, &v)
	return v, err
}

func (e *inProcess) log() string { return e.logs.String() }
