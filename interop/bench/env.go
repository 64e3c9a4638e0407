package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/starling-nats/starling/harness"
)

// env is what every runner shares: the configuration, the one server
// process, and where progress goes.
type env struct {
	cfg *config
	// url is the server's client URL; monitor its HTTP monitoring address.
	url     string
	monitor string
	http    *http.Client
	out     io.Writer
	// subjects are the idle subscriptions' subjects, made once before any
	// measurement so that neither client is charged for them.
	subjects []string
}

// startServer starts the one nats-server process every case runs against.
func startServer() (*harness.Server, error) {
	s, err := harness.Start(harness.WithProcess(), harness.WithName("bench"))
	if err != nil {
		return nil, err
	}
	return s, nil
}

func newEnv(cfg *config, s *harness.Server, out io.Writer) *env {
	e := &env{
		cfg:     cfg,
		url:     s.ClientURL(),
		monitor: "http://127.0.0.1:" + strconv.Itoa(s.Info().MonitorPort),
		// No keep-alive: a monitoring request now and then, and no idle
		// connection goroutines left behind.
		http: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}},
		out:  out,
	}
	n := cfg.idleSubs
	if f, ok := cfg.fixedOps[kindIdleSubs]; ok {
		n = int(f)
	}
	e.subjects = make([]string, n)
	for i := range e.subjects {
		e.subjects[i] = "idle." + strconv.Itoa(i)
	}
	return e
}

// serverInMsgs reads how many messages the server has received from all
// clients (its /varz in_msgs).
func (e *env) serverInMsgs(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.monitor+"/varz", nil)
	if err != nil {
		return 0, err
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var v struct {
		InMsgs int64 `json:"in_msgs"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("varz: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return 0, fmt.Errorf("varz: %w", err)
	}
	return v.InMsgs, nil
}

// inMsgsCheck counts a publish run's messages at the server: the in_msgs
// difference across the run must be what was published.
type inMsgsCheck struct {
	e      *env
	before int64
	err    error
}

func (c *inMsgsCheck) prepare(int64) {
	c.before, c.err = c.e.serverInMsgs(context.Background())
}

// settle replaces done with what the server counted. The server adds a
// read's messages to its totals around the time it answers the flush's
// PING, so a short difference is read again before it counts as lost.
func (c *inMsgsCheck) settle(n int64, out *outcome) {
	if c.err != nil {
		out.note = "server count unavailable: " + c.err.Error()
		return
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		after, err := c.e.serverInMsgs(context.Background())
		if err != nil {
			out.note = "server count unavailable: " + err.Error()
			return
		}
		got := after - c.before
		if got >= n || time.Now().After(deadline) {
			out.done = min(got, n)
			out.lost = n - out.done
			if out.lost > 0 {
				out.note = "the server received " + strconv.FormatInt(got, 10) + " of " + strconv.FormatInt(n, 10)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// progress prints one line per run, so a long run shows it is alive and a
// lossy run is visible where it happened.
func (e *env) progress(c *caseSpec, v variant, round, pairs int, s *sample) {
	status := "ok"
	switch {
	case s.err != nil:
		status = "FAILED: " + s.err.Error()
	case s.out.lost > 0:
		status = fmt.Sprintf("LOST %d of %d (%s)", s.out.lost, s.n, s.out.note)
	}
	var what string
	switch c.kind {
	case kindIdleSubs:
		what = fmt.Sprintf("%8.0f B/sub", s.out.perSub)
	default:
		d := float64(max(s.out.done, 1))
		what = fmt.Sprintf("%10s  %8s/op  %6.2f allocs/op", fmtRate(float64(s.out.done)/s.wall.Seconds()),
			fmtNanos(float64(s.cpu.Nanoseconds())/d), float64(s.mallocs)/d)
	}
	fmt.Fprintf(e.out, "  %-18s %d/%d  %-18s %s  %s\n", c.id, round+1, pairs, v.short, what, status)
}
