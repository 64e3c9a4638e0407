package core

import (
	"testing"
)

// Discovered servers inherit the configured URL's scheme, credentials,
// WebSocket path and, for bare IPs, the host name TLS must verify.
func TestPoolDiscoveryInheritsFromConfiguredURL(t *testing.T) {
	var p serverPool
	require.NoError(t, p.init([]string{"tls://app:s3cret@nats.example.com:4222"}, true))
	added := p.discover([]string{"10.0.0.2:4222", "nats-b.example.com:4222", "nats.example.com:4222"}, "tls", false)
	require.Len(t, added, 2, "the configured server is not added twice")
	for _, u := range added {
		assert.NotContains(t, u, "s3cret", "discovered URLs are listed without credentials")
	}
	servers := p.snapshot()
	require.Len(t, servers, 3)
	byHost := map[string]*poolServer{}
	for _, s := range servers {
		byHost[s.addr.Host] = s
	}
	ip := byHost["10.0.0.2"]
	require.NotNil(t, ip)
	assert.True(t, ip.discovered)
	assert.Equal(t, "tls", ip.addr.Scheme)
	assert.Equal(t, "app", ip.user)
	assert.Equal(t, "s3cret", ip.pass)
	assert.Equal(t, "nats.example.com", ip.addr.TLSServerName(), "an IP learned from the cluster is verified as the configured host")
	named := byHost["nats-b.example.com"]
	require.NotNil(t, named)
	assert.Equal(t, "nats-b.example.com", named.addr.TLSServerName(), "a named server is verified as itself")

	// A pool configured by IP verifies discovered IPs as themselves.
	var q serverPool
	require.NoError(t, q.init([]string{"tls://10.0.0.1:4222"}, true))
	q.discover([]string{"10.0.0.3:4222"}, "tls", false)
	assert.Equal(t, "10.0.0.3", q.snapshot()[1].addr.TLSServerName())
}

// A server leaves the pool after MaxReconnects consecutive failures, or
// after MaxAuthFailures consecutive authorization failures.
func TestPoolFailureCounts(t *testing.T) {
	var p serverPool
	require.NoError(t, p.init([]string{"nats://a:4222", "nats://b:4222"}, true))
	a, b := p.snapshot()[0], p.snapshot()[1]
	o := reconnectOptions{maxReconnects: 2, maxAuthFailures: 2}
	assert.False(t, p.failed(a, ErrTimeout, o))
	assert.False(t, p.failed(a, ErrTimeout, o))
	assert.True(t, p.failed(a, ErrTimeout, o), "third failure is over MaxReconnects")
	assert.Equal(t, 1, p.size())
	assert.False(t, p.failed(b, &ServerError{Kind: ServerErrAuthorization}, o))
	assert.True(t, p.failed(b, &ServerError{Kind: ServerErrAuthorization}, o))
	assert.Equal(t, 0, p.size())

	// Negative MaxReconnects: never removed for plain failures.
	var q serverPool
	require.NoError(t, q.init([]string{"nats://c:4222"}, true))
	c := q.snapshot()[0]
	for range 100 {
		assert.False(t, q.failed(c, ErrTimeout, reconnectOptions{maxReconnects: -1, maxAuthFailures: 2}))
	}
	// The lost server is tried last.
	var r serverPool
	require.NoError(t, r.init([]string{"nats://x:1", "nats://y:1", "nats://z:1"}, true))
	first := r.snapshot()[0]
	order := r.order(first)
	assert.Same(t, first, order[len(order)-1])
}
