//go:build linux || darwin

package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// process runs nats-server as a child process started with the configuration file.
// The harness talks to it through signals and its HTTP monitoring port.
type process struct {
	bin, file, logFile string
	lay                *layout
	http               *http.Client

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current child has been reaped
	frozen bool
}

// processPollInterval is slower than pollInterval: every failed health check is a
// warning in the server's log.
const processPollInterval = 50 * time.Millisecond

// shutdownGrace is how long a graceful stop may take before the harness kills.
const shutdownGrace = 10 * time.Second

func newProcess(file, logFile string, lay *layout) (engine, error) {
	bin, err := BinaryPath()
	if err != nil {
		return nil, err
	}
	return &process{
		bin: bin, file: file, logFile: logFile, lay: lay,
		http: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second},
	}, nil
}

func (p *process) start(ctx context.Context) error {
	f, err := os.OpenFile(p.logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	offset, _ := f.Seek(0, io.SeekEnd)
	fmt.Fprintf(f, "--- harness: %s -c %s\n", p.bin, p.file)
	cmd := exec.Command(p.bin, "-c", p.file)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = procAttr()
	err = cmd.Start()
	f.Close()
	if err != nil {
		return fmt.Errorf("harness: start %s: %w", p.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	p.mu.Lock()
	p.cmd, p.exited, p.frozen = cmd, exited, false
	p.mu.Unlock()

	err = pollEvery(ctx, processPollInterval, func() error {
		select {
		case <-exited:
			return &fatalError{fmt.Errorf("nats-server exited: %s", p.logSince(offset))}
		default:
		}
		_, err := p.get(ctx, "/healthz?js-server-only=true", nil)
		return err
	})
	if err != nil {
		p.stop(syscall.SIGKILL)
		return fmt.Errorf("harness: start: %w", err)
	}
	return nil
}

// logSince returns the log written since offset, trimmed.
func (p *process) logSince(offset int64) string {
	b, _ := os.ReadFile(p.logFile)
	if int(offset) <= len(b) {
		b = b[offset:]
	}
	return strings.TrimSpace(string(b))
}

// current returns the running child, or errNotRunning.
func (p *process) current() (*exec.Cmd, chan struct{}, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return nil, nil, errNotRunning
	}
	select {
	case <-p.exited:
		return nil, nil, errNotRunning
	default:
	}
	return p.cmd, p.exited, nil
}

// signal sends sig to the running child.
func (p *process) signal(sig syscall.Signal) error {
	cmd, _, err := p.current()
	if err != nil {
		return err
	}
	return cmd.Process.Signal(sig)
}

// stop sends sig (SIGINT for a graceful stop) and waits for the child, killing it if
// it takes longer than shutdownGrace.
func (p *process) stop(sig syscall.Signal) {
	p.mu.Lock()
	cmd, exited, frozen := p.cmd, p.exited, p.frozen
	p.cmd, p.frozen = nil, false
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	if frozen && sig != syscall.SIGKILL {
		cmd.Process.Signal(syscall.SIGCONT)
	}
	cmd.Process.Signal(sig)
	select {
	case <-exited:
		return
	case <-time.After(shutdownGrace):
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

func (p *process) shutdown() { p.stop(syscall.SIGINT) }

func (p *process) kill() error {
	if _, _, err := p.current(); err != nil {
		return err
	}
	p.stop(syscall.SIGKILL)
	return nil
}

// freezeTimeout bounds the wait for a stopped process to park all its threads.
const freezeTimeout = 5 * time.Second

func (p *process) freeze() error {
	cmd, _, err := p.current()
	if err != nil {
		return err
	}
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return err
	}
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
	// Return only once the server is really frozen, so the test's next step meets a
	// silent server.
	ctx, cancel := context.WithTimeout(context.Background(), freezeTimeout)
	defer cancel()
	return pollEvery(ctx, time.Millisecond, func() error {
		stopped, err := isStopped(cmd.Process.Pid)
		if err != nil {
			return &fatalError{err}
		}
		if !stopped {
			return errors.New("harness: process not stopped yet")
		}
		return nil
	})
}

func (p *process) thaw() error {
	if err := p.signal(syscall.SIGCONT); err != nil {
		return err
	}
	p.mu.Lock()
	p.frozen = false
	p.mu.Unlock()
	return nil
}

func (p *process) pid() int {
	cmd, _, err := p.current()
	if err != nil {
		return 0
	}
	return cmd.Process.Pid
}

func (p *process) lameDuck(ctx context.Context) error {
	// nats-server enters lame-duck mode on SIGUSR2 (what `nats-server --signal ldm` sends).
	if err := p.signal(syscall.SIGUSR2); err != nil {
		return err
	}
	_, exited, err := p.current()
	if err != nil {
		return nil // it already went through lame-duck mode and exited
	}
	return pollEvery(ctx, processPollInterval, func() error {
		select {
		case <-exited:
			return nil
		default:
		}
		// The client listener is closed first; readiness fails from then on.
		if _, err := p.get(ctx, "/healthz?js-server-only=true", nil); err != nil {
			return nil
		}
		return errors.New("harness: server still accepts clients")
	})
}

func (p *process) reload(ctx context.Context) error {
	var before struct {
		ConfigLoadTime time.Time `json:"config_load_time"`
	}
	if _, err := p.get(ctx, "/varz", &before); err != nil {
		return err
	}
	fi, err := os.Stat(p.logFile)
	if err != nil {
		return fmt.Errorf("harness: %w", err)
	}
	offset := fi.Size()
	if err := p.signal(syscall.SIGHUP); err != nil {
		return err
	}
	return pollEvery(ctx, processPollInterval, func() error {
		if log := p.logSince(offset); strings.Contains(log, "Failed to reload server configuration") {
			return &fatalError{fmt.Errorf("harness: reload: %s", log)}
		}
		var after struct {
			ConfigLoadTime time.Time `json:"config_load_time"`
		}
		if _, err := p.get(ctx, "/varz", &after); err != nil {
			return err
		}
		if after.ConfigLoadTime.Equal(before.ConfigLoadTime) {
			return errors.New("harness: configuration not reloaded yet")
		}
		return nil
	})
}

func (p *process) info(ctx context.Context) (ServerInfo, error) {
	var v struct {
		ID        string `json:"server_id"`
		Name      string `json:"server_name"`
		Version   string `json:"version"`
		JetStream struct {
			Config *struct{} `json:"config"`
		} `json:"jetstream"`
		Cluster struct {
			Name string `json:"name"`
		} `json:"cluster"`
	}
	if _, err := p.get(ctx, "/varz", &v); err != nil {
		return ServerInfo{}, err
	}
	return ServerInfo{ID: v.ID, Name: v.Name, Version: v.Version, ClusterName: v.Cluster.Name, JetStream: v.JetStream.Config != nil}, nil
}

func (p *process) healthz(ctx context.Context) error {
	_, err := p.get(ctx, "/healthz", nil)
	return err
}

func (p *process) meta(ctx context.Context) (metaView, error) {
	var jz struct {
		Meta *metaView `json:"meta_cluster"`
	}
	if _, err := p.get(ctx, "/jsz", &jz); err != nil || jz.Meta == nil {
		return metaView{}, err
	}
	return *jz.Meta, nil
}

func (p *process) remotes(ctx context.Context) (int, error) {
	var rz struct {
		Routes []struct {
			RemoteID string `json:"remote_id"`
		} `json:"routes"`
	}
	if _, err := p.get(ctx, "/routez", &rz); err != nil {
		return 0, err
	}
	ids := map[string]bool{}
	for _, r := range rz.Routes {
		ids[r.RemoteID] = true
	}
	return len(ids), nil
}

func (p *process) log() string {
	b, _ := os.ReadFile(p.logFile)
	return string(b)
}

// get fetches path from the monitoring port, decoding a 200 answer into out (when not
// nil); any other status is an error carrying the body.
func (p *process) get(ctx context.Context, path string, out any) ([]byte, error) {
	if _, _, err := p.current(); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(p.lay.monitorPort))+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("harness: %s: %s: %s", path, resp.Status, strings.TrimSpace(string(body)))
	}
	if out != nil {
		if err := json.Unmarshal(body, out); err != nil {
			return body, fmt.Errorf("harness: %s: %w", path, err)
		}
	}
	return body, nil
}
