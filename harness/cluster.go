package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Cluster is a set of servers routed to each other on loopback, started by RunCluster.
// Each node is a *Server: shut one down, kill it (process mode) or restart it, and it
// rejoins with the same ports, routes and JetStream store.
type Cluster struct {
	t       testing.TB
	name    string
	servers []*Server
	routes  [][]*Proxy // routes[i][j]: node i's route connections to node j (WithRouteProxies)
}

// RunCluster starts n servers configured by opts and routed to each other (a full
// mesh of explicit routes on loopback). Nodes are named "<name>-1" ... "<name>-n"
// (WithName; default "starling"), in the cluster "<name>"; they share one TLSMaterial
// and one Operator. With WithJetStream, JetStream is clustered and RunCluster returns
// once a meta leader is elected and every node is current with it; otherwise once
// every route is up. WithPort(p) gives node i the client port p+i-1. The cluster stops
// when the test ends; when the test fails, every node's log is printed.
func RunCluster(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("harness: a cluster needs at least one server, not %d", n)
	}
	base := newConfig(opts)
	if err := base.validate(); err != nil {
		t.Fatalf("%v", err)
	}
	if base.storeDir != "" {
		t.Fatalf("harness: WithStoreDir cannot be used with RunCluster: the nodes need stores of their own")
	}
	if base.name == "" {
		base.name = "starling"
	}
	c := &Cluster{t: t, name: base.name}
	dir := t.TempDir()
	t.Cleanup(func() {
		if t.Failed() {
			for _, s := range c.servers {
				t.Logf("harness: log of server %s (%s):\n%s", s.lay.name, s.dir, tail(s.Log(), logTailBytes))
			}
		}
		c.stopAll()
	})

	// The nodes share certificates and identities, so a client can fail over.
	probe := base.clone()
	shared := &Server{dir: dir, lay: &layout{}}
	if err := shared.ensureMaterial(probe, nil, nil); err != nil {
		t.Fatalf("%v", err)
	}

	var err error
	for attempt := 1; attempt <= maxPortAttempts; attempt++ {
		if err = c.start(dir, n, base, shared.lay, attempt); err == nil || !isAddrInUse(err) {
			break
		}
		c.stopAll()
	}
	if err != nil {
		t.Fatalf("%v", err) // the cleanup prints every node's log
	}
	ctx, cancel := context.WithTimeout(context.Background(), base.readyTimeout)
	defer cancel()
	if err := c.WaitRoutes(ctx); err != nil {
		t.Fatalf("%v", err)
	}
	if base.jetstream {
		if err := c.WaitJetStreamReady(ctx); err != nil {
			t.Fatalf("%v", err)
		}
	}
	return c
}

// start makes and starts the nodes with fresh route ports.
func (c *Cluster) start(dir string, n int, base *config, shared *layout, attempt int) error {
	routePorts, err := freePorts(n)
	if err != nil {
		return err
	}
	c.servers = c.servers[:0]
	c.closeRouteProxies()
	if base.routeProxies {
		c.newRouteProxies(routePorts)
	}
	for i := range n {
		cfg := base.clone()
		cfg.name = base.name + "-" + strconv.Itoa(i+1)
		if base.port != 0 {
			cfg.port = base.port + i
		}
		cfg.cluster = &clusterSettings{name: base.name, port: routePorts[i]}
		for j, p := range routePorts {
			if j != i {
				cfg.cluster.routes = append(cfg.cluster.routes, c.routePort(i, j, p))
			}
		}
		if base.routeProxies {
			cfg.cluster.advertise = unreachableRoute
		}
		nodeDir := filepath.Join(dir, fmt.Sprintf("try%d-%s", attempt, cfg.name))
		if err := os.MkdirAll(nodeDir, 0o755); err != nil {
			return fmt.Errorf("harness: %w", err)
		}
		s, err := newServer(nodeDir, cfg, shared.tls, shared.operator)
		if err != nil {
			return err
		}
		s.t = c.t
		c.servers = append(c.servers, s)
	}
	for _, s := range c.servers {
		if err := s.startFirst(); err != nil {
			return fmt.Errorf("harness: cluster node %s: %w", s.lay.name, err)
		}
	}
	return nil
}

func (c *Cluster) stopAll() {
	for i := len(c.servers) - 1; i >= 0; i-- {
		c.servers[i].Stop()
	}
}

// Name returns the cluster's name.
func (c *Cluster) Name() string { return c.name }

// Servers returns the nodes, in order.
func (c *Cluster) Servers() []*Server { return append([]*Server(nil), c.servers...) }

// Server returns node i (0-based).
func (c *Cluster) Server(i int) *Server { return c.servers[i] }

// ClientURLs returns every node's client URL, in order.
func (c *Cluster) ClientURLs() []string {
	urls := make([]string, len(c.servers))
	for i, s := range c.servers {
		urls[i] = s.ClientURL()
	}
	return urls
}

// StopNode shuts node i down (gracefully); RestartNode brings it back.
func (c *Cluster) StopNode(i int) { c.servers[i].Shutdown() }

// RestartNode restarts node i with its ports, routes and store. Routes to the other
// nodes form again shortly after; WaitRoutes and WaitJetStreamReady wait for that.
func (c *Cluster) RestartNode(i int) { c.servers[i].Restart() }

// Reload applies opts to every running node (Server.Reload) and returns the first error.
func (c *Cluster) Reload(opts ...Option) error {
	var errs []error
	for _, s := range c.servers {
		if s.Running() {
			errs = append(errs, s.Reload(opts...))
		}
	}
	return errors.Join(errs...)
}

// running returns the nodes the harness has not shut down.
func (c *Cluster) running() []*Server {
	var up []*Server
	for _, s := range c.servers {
		if s.Running() {
			up = append(up, s)
		}
	}
	return up
}

// WaitRoutes waits until every running node has a route to every other running node.
func (c *Cluster) WaitRoutes(ctx context.Context) error {
	return poll(ctx, func() error {
		up := c.running()
		for _, s := range up {
			n, err := s.eng.remotes(ctx)
			if err != nil {
				return err
			}
			if n < len(up)-1 {
				return fmt.Errorf("harness: %s has routes to %d of %d servers", s.lay.name, n, len(up)-1)
			}
		}
		return nil
	})
}

// WaitJetStreamReady waits until every running node reports itself healthy with
// JetStream: a meta leader is elected, each node is current with it, the leader
// counts every other running node online, and their streams and consumers are
// current.
//
// The state must hold for steadyFor: while a cluster forms, routes are
// replaced (duplicates closed), and the leader may count a node offline
// for a moment after it first counted it online.
func (c *Cluster) WaitJetStreamReady(ctx context.Context) error {
	var since time.Time
	return poll(ctx, func() error {
		err := c.jetStreamReady(ctx)
		switch {
		case err != nil:
			since = time.Time{}
			return err
		case since.IsZero():
			since = time.Now()
		}
		if time.Since(since) < steadyFor {
			return errors.New("harness: JetStream ready, waiting to see it stay so")
		}
		return nil
	})
}

// steadyFor is how long WaitJetStreamReady wants the cluster ready.
const steadyFor = 250 * time.Millisecond

func (c *Cluster) jetStreamReady(ctx context.Context) error {
	up := c.running()
	if len(up) == 0 {
		return errNotRunning
	}
	for _, s := range up {
		if err := s.eng.healthz(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.lay.name, err)
		}
	}
	return c.metaPeersOnline(ctx, up)
}

// metaPeersOnline checks that the meta leader counts every other running
// node as current and online. Each node can be healthy while the leader
// has not yet heard from one of them; a replicated stream created then is
// refused ("no suitable peers for placement, peer offline").
func (c *Cluster) metaPeersOnline(ctx context.Context, up []*Server) error {
	if len(up) < 2 {
		return nil
	}
	for _, s := range up {
		v, err := s.eng.meta(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", s.lay.name, err)
		}
		if v.Leader != s.lay.name {
			continue
		}
		for _, o := range up {
			if o == s {
				continue
			}
			seen := false
			for _, r := range v.Replicas {
				if r.Name == o.lay.name {
					seen = r.Current && !r.Offline
				}
			}
			if !seen {
				return fmt.Errorf("harness: meta leader %s does not yet count %s as current and online", s.lay.name, o.lay.name)
			}
		}
		return nil
	}
	return errors.New("harness: no running node is the meta leader")
}
