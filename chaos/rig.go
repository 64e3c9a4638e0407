package chaos

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// nodes is the cluster size: three, so one node down leaves a quorum.
const nodes = 3

// rig is the cluster under test: its nodes, a proxy in front of each node's client
// port (the clients' only way in), a proxy on each route (WithRouteProxies), and a
// control connection straight to the nodes for set-up, stepdowns and reading back.
type rig struct {
	env     *env
	c       *harness.Cluster
	clients []*harness.Proxy
	ctl     *core.Conn
	ctlJS   *js.JetStream
	rec     *recorder
	log     io.Writer
}

// clientOptions make a client notice a dead or frozen server within seconds and keep
// every node in its pool however long it is down.
func clientOptions(name string) []core.Option {
	return []core.Option{
		core.WithName(name),
		core.WithIgnoreDiscoveredServers(), // through the proxies only
		core.WithMaxReconnects(-1),
		core.WithReconnectWait(50*time.Millisecond, time.Second),
		core.WithPingInterval(time.Second),
		core.WithMaxPingsOut(2),
		core.WithConnectTimeout(2 * time.Second),
	}
}

func startRig(e *env, rec *recorder, log io.Writer) (r *rig, err error) {
	defer catch(&err)
	r = &rig{env: e, rec: rec, log: log}
	r.c = harness.RunCluster(e, nodes, harness.WithProcess(), harness.WithJetStream(),
		harness.WithRouteProxies(), harness.WithName("chaos"), harness.WithReadyTimeout(60*time.Second))
	for _, s := range r.c.Servers() {
		r.clients = append(r.clients, harness.NewProxy(e, s.Addr()))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r.ctl, err = core.Connect(ctx, strings.Join(r.c.ClientURLs(), ","), append(clientOptions("chaos-control"), core.WithRetryOnFailedConnect())...)
	if err != nil {
		return nil, fmt.Errorf("chaos: control connection: %w", err)
	}
	e.Cleanup(r.ctl.Close)
	r.ctlJS, err = js.New(r.ctl, js.WithTimeout(5*time.Second))
	if err != nil {
		return nil, err
	}
	e.Cleanup(r.ctlJS.Close)
	cfg := js.StreamConfig{
		Name: StreamName, Subjects: []string{streamSubject}, Replicas: nodes,
		Storage: js.FileStorage, AllowDirect: true, DuplicateWindow: 2 * time.Minute,
	}
	for {
		if _, err = r.ctlJS.CreateStream(ctx, cfg); err == nil {
			if err := r.createConsumer(ctx); err != nil {
				return nil, err
			}
			return r, r.createBucket(ctx)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("chaos: create stream: %w", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// clientURLs is what workers connect to: the client proxies.
func (r *rig) clientURLs() string {
	urls := make([]string, len(r.clients))
	for i, p := range r.clients {
		urls[i] = p.URL()
	}
	return strings.Join(urls, ",")
}

func nodeName(i int) string { return fmt.Sprintf("n%d", i+1) }

// inject applies f, holds it and heals it, recording it as one operation.
func (r *rig) inject(f Fault) {
	op := Op{Process: "nemesis", F: string(f.Kind), Node: nodeName(f.Node), Start: r.rec.now(), Outcome: OK}
	if f.Kind == Stepdown {
		op.Node = ""
	}
	if err := r.apply(f, &op); err != nil {
		op.Outcome, op.Err = Fail, err.Error()
	}
	op.End = r.rec.now()
	r.rec.add(op)
	fmt.Fprintf(r.log, "chaos: %8.1fs %-16s %-3s %s%s\n", float64(op.Start)/1e9, f.Kind, op.Node, op.Detail, errSuffix(op.Err))
}

func errSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func (r *rig) apply(f Fault, op *Op) (err error) {
	defer catch(&err)
	i := f.Node
	s := r.c.Server(i)
	switch f.Kind {
	case Kill:
		s.Kill()
		time.Sleep(f.Hold)
		r.c.RestartNode(i)
		op.Detail = fmt.Sprintf("SIGKILL, restarted after %v", f.Hold.Round(time.Millisecond))
	case Freeze:
		s.Freeze()
		time.Sleep(f.Hold)
		s.Thaw()
		op.Detail = fmt.Sprintf("SIGSTOP, SIGCONT after %v", f.Hold.Round(time.Millisecond))
	case ClientCut, ClientBlackhole:
		p := r.clients[i]
		if f.Kind == ClientCut {
			p.Cut()
		} else {
			p.Blackhole()
		}
		time.Sleep(f.Hold)
		p.Heal()
		op.Detail = fmt.Sprintf("clients' links, healed after %v", f.Hold.Round(time.Millisecond))
	case RouteCut, RouteBlackhole, RouteDelay:
		fault := (*harness.Proxy).Cut
		switch f.Kind {
		case RouteBlackhole:
			fault = (*harness.Proxy).Blackhole
		case RouteDelay:
			fault = func(p *harness.Proxy) { p.Delay(f.Delay) }
		}
		r.c.IsolateNode(i, fault)
		time.Sleep(f.Hold)
		r.c.HealRoutes()
		op.Detail = fmt.Sprintf("routes to its peers, healed after %v", f.Hold.Round(time.Millisecond))
		if f.Kind == RouteDelay {
			op.Detail = fmt.Sprintf("routes +%v each way, healed after %v", f.Delay, f.Hold.Round(time.Millisecond))
		}
	case Stepdown:
		leader, err := r.stepdown()
		op.Detail = "leader was " + leader
		return err
	default:
		return fmt.Errorf("chaos: unknown fault kind %q", f.Kind)
	}
	return nil
}

// stepdown asks the stream's leader to step down and returns who it was.
func (r *rig) stepdown() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	leader := "?"
	if si, err := r.ctlJS.StreamInfo(ctx, StreamName); err == nil && si.Cluster != nil {
		leader = si.Cluster.Leader
	}
	reply, err := r.ctl.Request(ctx, "$JS.API.STREAM.LEADER.STEPDOWN."+StreamName, nil)
	if err != nil {
		return leader, err
	}
	var resp struct {
		Success bool         `json:"success"`
		Error   *js.APIError `json:"error"`
	}
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return leader, fmt.Errorf("chaos: stepdown reply %q: %w", reply.Data, err)
	}
	if resp.Error != nil {
		return leader, resp.Error
	}
	if !resp.Success {
		return leader, errors.New("chaos: stepdown not successful")
	}
	return leader, nil
}

// heal undoes anything a fault may have left (none should be: each is healed in
// place) and waits until every node is up, routed and current.
func (r *rig) heal(timeout time.Duration) (err error) {
	defer catch(&err)
	r.c.HealRoutes()
	for _, p := range r.clients {
		p.Heal()
	}
	for i, s := range r.c.Servers() {
		if !s.Running() {
			r.c.RestartNode(i)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := r.c.WaitRoutes(ctx); err != nil {
		return err
	}
	if err := r.c.WaitJetStreamReady(ctx); err != nil {
		return err
	}
	// Every replica of the stream current, so any of them may answer a direct get.
	for {
		si, err := r.ctlJS.StreamInfo(ctx, StreamName)
		if err == nil && si.Cluster != nil && si.Cluster.Leader != "" && len(si.Cluster.Replicas) == nodes-1 {
			current := true
			for _, p := range si.Cluster.Replicas {
				current = current && p.Current && !p.Offline && p.Lag == 0
			}
			if current {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("chaos: stream replicas not current after healing: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
