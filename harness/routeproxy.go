package harness

import (
	"net"
	"slices"
)

// WithRouteProxies makes RunCluster connect the nodes through proxies: node i reaches
// node j's route port only through RouteProxy(i, j), a Proxy of its own, so a test can
// cut, blackhole or delay the links between servers (IsolateNode, PartitionRoutes) as
// it does a client's with NewProxy, without root. The nodes advertise no reachable
// route address, so gossip cannot route around a partition. Default: nodes route to
// each other's ports directly. Only RunCluster reads it.
func WithRouteProxies() Option { return func(c *config) { c.routeProxies = true } }

// unreachableRoute is the route address the nodes advertise behind route proxies.
// nats-server connects to an advertised address it has not configured (an implicit
// route) when it learns of a peer it has no route to, which during a partition would
// bypass the proxies; port 1 on loopback refuses, so such a route never forms.
const unreachableRoute = "127.0.0.1:1"

// newRouteProxies starts the n*(n-1) proxies, one per ordered pair of nodes, for the
// route ports chosen for this start attempt.
func (c *Cluster) newRouteProxies(routePorts []int) {
	n := len(routePorts)
	c.routes = make([][]*Proxy, n)
	for i := range n {
		c.routes[i] = make([]*Proxy, n)
		for j := range n {
			if j != i {
				c.routes[i][j] = NewProxy(c.t, hostPort(routePorts[j]))
			}
		}
	}
}

func (c *Cluster) closeRouteProxies() {
	for _, row := range c.routes {
		for _, p := range row {
			if p != nil {
				p.Close()
			}
		}
	}
	c.routes = nil
}

// routePort is the port node i dials to reach node j: j's route port, or the proxy.
func (c *Cluster) routePort(i, j, port int) int {
	if c.routes == nil {
		return port
	}
	return c.routes[i][j].ln.Addr().(*net.TCPAddr).Port
}

// RouteProxy returns the proxy that carries the route connections node from opens to
// node to (0-based), or nil without WithRouteProxies. Both nodes of a pair open routes
// to each other and nats-server keeps either, so to separate two nodes act on both
// RouteProxy(i, j) and RouteProxy(j, i), as RouteProxiesBetween returns them.
func (c *Cluster) RouteProxy(from, to int) *Proxy {
	if c.routes == nil {
		return nil
	}
	return c.routes[from][to]
}

// RouteProxiesBetween returns the two proxies that carry route traffic between nodes i
// and j, or nil without WithRouteProxies.
func (c *Cluster) RouteProxiesBetween(i, j int) []*Proxy {
	if c.routes == nil || i == j {
		return nil
	}
	return []*Proxy{c.routes[i][j], c.routes[j][i]}
}

// IsolateNode applies fault to every route proxy between node i and its peers:
// (*Proxy).Cut or (*Proxy).Blackhole separates it from the cluster, a closure calling
// Delay slows its links. Its clients are not affected. HealRoutes undoes it. Without
// WithRouteProxies it does nothing.
func (c *Cluster) IsolateNode(i int, fault func(*Proxy)) {
	for j := range c.routes {
		for _, p := range c.RouteProxiesBetween(i, j) {
			fault(p)
		}
	}
}

// PartitionRoutes applies fault to the route proxies between nodes of different
// groups; a node named in no group is a group of its own. PartitionRoutes((*Proxy).Cut,
// []int{0}, []int{1, 2}) cuts node 0 from nodes 1 and 2, which stay connected. Without
// WithRouteProxies it does nothing.
func (c *Cluster) PartitionRoutes(fault func(*Proxy), groups ...[]int) {
	group := func(i int) int {
		for g, members := range groups {
			if slices.Contains(members, i) {
				return g
			}
		}
		return len(groups) + i
	}
	for i := range c.routes {
		for j := i + 1; j < len(c.routes); j++ {
			if group(i) != group(j) {
				for _, p := range c.RouteProxiesBetween(i, j) {
					fault(p)
				}
			}
		}
	}
}

// HealRoutes heals every route proxy (Proxy.Heal): the nodes reconnect their routes
// within nats-server's route reconnect interval, and WaitRoutes waits for that.
func (c *Cluster) HealRoutes() {
	for _, row := range c.routes {
		for _, p := range row {
			if p != nil {
				p.Heal()
			}
		}
	}
}
