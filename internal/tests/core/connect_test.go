package core_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

func TestConnectSingleURL(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	info := s.Info()

	assert.Equal(t, core.StatusConnected, nc.Status())
	assert.True(t, nc.IsConnected())
	assert.False(t, nc.IsClosed())
	assert.Equal(t, s.ClientURL(), nc.ConnectedURL())
	assert.Equal(t, info.ID, nc.ServerID())
	assert.Equal(t, info.Name, nc.ServerName())
	assert.Equal(t, info.Version, nc.ServerVersion())
	assert.Equal(t, "", nc.ClusterName())
	assert.Equal(t, int64(1<<20), nc.MaxPayload())
	assert.True(t, nc.HeadersSupported())

	si := nc.ServerInfo()
	require.NotNil(t, si)
	assert.Equal(t, info.ID, si.ServerID)
	assert.Equal(t, info.Port, si.Port)
	assert.Equal(t, 1, si.Proto)
	// ServerInfo is a copy: changing it changes nothing in the Conn.
	si.ServerID = "changed"
	assert.Equal(t, info.ID, nc.ServerID())

	nc.Close()
	assert.Equal(t, core.StatusClosed, nc.Status())
	assert.True(t, nc.IsClosed())
	// No session once Close returns, even before the reader has exited.
	assert.Equal(t, "", nc.ConnectedURL())
	assert.True(t, nc.ServerInfo() == nil)
	assert.Equal(t, "", nc.ServerID())
	recv(t, nc.Closed())
	assert.NoError(t, nc.Err())
}

func TestConnectClusterName(t *testing.T) {
	t.Parallel()
	// A server that routes (even to nobody) has a cluster name in its INFO.
	s := harness.RunServer(t, harness.WithConfig("cluster {\n  name: \"starling-c\"\n  listen: \"127.0.0.1:-1\"\n}\n"))
	nc := connect(t, s.ClientURL())
	assert.Equal(t, "starling-c", nc.ClusterName())
}

func TestConnectCommaSeparatedOneDead(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	dead := deadURL(t)
	for _, order := range []string{dead + "," + s.ClientURL(), s.ClientURL() + ", " + dead} {
		// In the given order, so the dead server is tried first once.
		nc := connect(t, order, core.WithDontRandomize())
		assert.Equal(t, s.ClientURL(), nc.ConnectedURL())
		assert.ElementsMatch(t, []string{dead, s.ClientURL()}, nc.ServerPool())
		// Randomized order must work too.
		nc2 := connect(t, order)
		assert.Equal(t, s.ClientURL(), nc2.ConnectedURL())
	}
}

func TestConnectWithServers(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	dead := deadURL(t)
	nc := connect(t, "", core.WithServers(dead, s.ClientURL()), core.WithDontRandomize())
	assert.Equal(t, s.ClientURL(), nc.ConnectedURL())
	assert.Equal(t, []string{dead, s.ClientURL()}, nc.ServerPool())

	// WithServers adds to the URL given to Connect, after it; duplicates go.
	nc2 := connect(t, dead, core.WithServers(s.ClientURL()+","+dead), core.WithDontRandomize())
	assert.Equal(t, []string{dead, s.ClientURL()}, nc2.ServerPool())
	assert.Equal(t, s.ClientURL(), nc2.ConnectedURL())
}

// TestConnectContents checks what CONNECT carries, byte-level as sent and as
// the server understood it.
func TestConnectContents(t *testing.T) {
	t.Parallel()
	s := runSysServer(t)
	d := newRecordingDialer()
	nc := appConn(t, s, core.WithName("contents-test"), core.WithDialer(d))

	line := connectLine(t, d.written())
	co, err := codec.ParseConnect(line)
	require.NoError(t, err)
	assert.False(t, co.Verbose)
	assert.False(t, co.Pedantic)
	assert.False(t, co.TLSRequired)
	assert.Equal(t, 1, co.Protocol)
	assert.True(t, co.Echo)
	assert.True(t, co.Headers)
	assert.True(t, co.NoResponders)
	assert.Equal(t, "go", co.Lang)
	assert.Equal(t, core.Version, co.Version)
	assert.Equal(t, "contents-test", co.Name)
	assert.Equal(t, "app", co.User)
	// Every boolean is sent explicitly: the server takes a missing one as true.
	for _, k := range []string{`"verbose":false`, `"pedantic":false`, `"echo":true`, `"headers":true`, `"no_responders":true`, `"protocol":1`} {
		assert.Contains(t, string(line), k)
	}
	// CONNECT is followed at once by the PING whose PONG ends the handshake.
	assert.True(t, bytes.HasPrefix(d.written(), append(append([]byte("CONNECT "), line...), "\r\nPING\r\n"...)))

	sys := sysConn(t, s)
	ci := serverConnNamed(t, sys, "contents-test")
	assert.Equal(t, "go", ci.Lang)
	assert.Equal(t, core.Version, ci.Version)
	assert.Equal(t, "APP", ci.Account)
	assert.Equal(t, "app", ci.User)
	_ = nc
}

// connectLine returns the JSON of the first CONNECT in what a client wrote.
func connectLine(t testing.TB, out []byte) []byte {
	t.Helper()
	i := bytes.Index(out, []byte("CONNECT "))
	require.GreaterOrEqual(t, i, 0, "no CONNECT in %q", out)
	rest := out[i+len("CONNECT "):]
	j := bytes.Index(rest, []byte("\r\n"))
	require.Greater(t, j, 0)
	return rest[:j]
}

func TestConnectEcho(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	ctx := testCtx(t, 10*time.Second)

	echo := connect(t, s.ClientURL())
	sub, err := echo.SubscribeSync("echo.test")
	require.NoError(t, err)
	require.NoError(t, echo.Publish("echo.test", []byte("mine")))
	assert.Equal(t, "mine", string(next(t, sub).Data))

	d := newRecordingDialer()
	quiet := connect(t, s.ClientURL(), core.WithNoEcho(), core.WithDialer(d))
	co, err := codec.ParseConnect(connectLine(t, d.written()))
	require.NoError(t, err)
	assert.False(t, co.Echo)
	own, err := quiet.SubscribeSync("echo.test")
	require.NoError(t, err)
	require.NoError(t, quiet.Flush(ctx))
	require.NoError(t, quiet.Publish("echo.test", []byte("own")))
	require.NoError(t, quiet.Flush(ctx))
	// Someone else's publish still arrives, and after it, nothing of our own.
	require.NoError(t, echo.Publish("echo.test", []byte("other")))
	require.NoError(t, echo.Flush(ctx))
	assert.Equal(t, "other", string(next(t, own).Data))
	noMsg(t, own, 100*time.Millisecond)
	// The echoing connection got both.
	assert.Equal(t, "own", string(next(t, sub).Data))
	assert.Equal(t, "other", string(next(t, sub).Data))
}

func TestConnectHeadersAndNoResponders(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	sub, err := nc.SubscribeSync("hdr.test")
	require.NoError(t, err)
	h := core.Header{}
	h.Add("Trace-Id", "abc")
	h.Add("multi", "1")
	h.Add("multi", "2")
	require.NoError(t, nc.PublishMsg(&core.Msg{Subject: "hdr.test", Header: h, Data: []byte("x")}))
	m := next(t, sub)
	assert.Equal(t, "abc", m.Header.Get("Trace-Id"))
	assert.Equal(t, []string{"1", "2"}, m.Header.Values("multi"))
	// Case is preserved: no canonicalisation.
	assert.Empty(t, m.Header.Get("Multi"))

	start := time.Now()
	_, err = nc.Request(testCtx(t, 5*time.Second), "nobody.listens", []byte("?"))
	assert.ErrorIs(t, err, core.ErrNoResponders)
	assert.Less(t, time.Since(start), 3*time.Second, "no responders must come from the server, not a timeout")
}

func TestConnectErrDuringConnectIsTyped(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithUser("alice", "wonderland"))
	start := time.Now()
	nc, err := core.Connect(testCtx(t, 10*time.Second), s.ClientURL())
	require.Error(t, err)
	assert.True(t, nc == nil)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.ErrorIs(t, err, core.ErrAuthorization)
	assert.ErrorIs(t, err, core.ErrNoServers)
	var se *core.ServerError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, core.ServerErrAuthorization, se.Kind)
	assert.True(t, se.Fatal())
	assert.Equal(t, "Authorization Violation", se.Text)
	var ce *core.ConnectError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, s.ClientURL(), ce.Server)
}

func TestConnectDeadPortFailsFast(t *testing.T) {
	t.Parallel()
	dead := deadURL(t)
	start := time.Now()
	nc, err := core.Connect(testCtx(t, 10*time.Second), dead)
	assert.True(t, nc == nil)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.ErrorIs(t, err, core.ErrNoServers)
	var ce *core.ConnectError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, dead, ce.Server)
	var oe *net.OpError
	assert.ErrorAs(t, err, &oe, "the dial error stays reachable")
	assert.False(t, errors.Is(err, core.ErrAuthorization))

	// Several dead servers: each is named.
	dead2 := deadURL(t)
	_, err = core.Connect(testCtx(t, 10*time.Second), dead+","+dead2)
	require.ErrorIs(t, err, core.ErrNoServers)
	assert.Contains(t, err.Error(), strings.TrimPrefix(dead, "nats://"))
	assert.Contains(t, err.Error(), strings.TrimPrefix(dead2, "nats://"))
}

// silentServer accepts connections and never says anything.
func silentServer(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "nats://" + l.Addr().String()
}

func TestConnectContextCancel(t *testing.T) {
	t.Parallel()
	url := silentServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	nc, err := core.Connect(ctx, url)
	assert.True(t, nc == nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 3*time.Second)

	// A deadline on ctx: its error.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	_, err = core.Connect(ctx2, url)
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	// Already cancelled: nothing is tried.
	_, err = core.Connect(ctx, url)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestConnectTimeout(t *testing.T) {
	t.Parallel()
	url := silentServer(t)
	start := time.Now()
	_, err := core.Connect(testCtx(t, 10*time.Second), url, core.WithConnectTimeout(150*time.Millisecond))
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.ErrorIs(t, err, core.ErrNoServers)
	// The connect timeout is the Conn's own timer, not the caller's context.
	assert.ErrorIs(t, err, core.ErrTimeout)
	assert.True(t, core.IsTemporary(err))
}

func TestConnectOptionValidation(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	bad := map[string]core.Option{
		"connect timeout 0":          core.WithConnectTimeout(0),
		"connect timeout negative":   core.WithConnectTimeout(-time.Second),
		"ping interval 0":            core.WithPingInterval(0),
		"max pings out 0":            core.WithMaxPingsOut(0),
		"inbox prefix empty":         core.WithInboxPrefix(""),
		"inbox prefix wildcard":      core.WithInboxPrefix("a.*"),
		"inbox prefix full wildcard": core.WithInboxPrefix("a.>"),
		"inbox prefix space":         core.WithInboxPrefix("a b"),
		"inbox prefix trailing dot":  core.WithInboxPrefix("a."),
		"write buffer tiny":          core.WithWriteBufferSize(100),
		"request timeout 0":          core.WithRequestTimeout(0),
		"reconnect wait 0":           core.WithReconnectWait(0, time.Second),
		"reconnect wait max < base":  core.WithReconnectWait(time.Second, time.Millisecond),
		"reconnect buffer negative":  core.WithReconnectBufferSize(-1),
		"max auth failures 0":        core.WithMaxAuthFailures(0),
		"lame duck window 0":         core.WithLameDuckWindow(0),
		"root CA file missing":       core.WithRootCAs(t.TempDir() + "/missing.pem"),
		"client cert file missing":   core.WithClientCert(t.TempDir()+"/c.pem", t.TempDir()+"/k.pem"),
		"token func nil":             core.WithTokenFunc(nil),
		"nkey without signer":        core.WithNKey("UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4", nil),
		"nkey not a user key":        core.WithNKey("not-a-key", func([]byte) ([]byte, error) { return nil, nil }),
		"user jwt nil callbacks":     core.WithUserJWT(nil, nil),
		"user jwt nil signer":        core.WithUserJWT(func() (string, error) { return "x", nil }, nil),
	}
	for name, opt := range bad {
		nc, err := core.Connect(testCtx(t, 5*time.Second), s.ClientURL(), opt)
		if nc != nil {
			nc.Close()
			t.Errorf("%s: Connect succeeded", name)
		}
		assert.ErrorIs(t, err, core.ErrInvalidOption, name)
	}

	for _, url := range []string{"foo://127.0.0.1:4222", "nats://127.0.0.1:notaport", "nats://[::1"} {
		_, err := core.Connect(testCtx(t, 5*time.Second), url)
		assert.ErrorIs(t, err, core.ErrInvalidOption, url)
	}
	_, err := core.Connect(testCtx(t, 5*time.Second), s.ClientURL(), core.WithServers("bad://x"))
	assert.ErrorIs(t, err, core.ErrInvalidOption)

	creds := map[string]core.Option{
		"nkey seed garbage":      core.WithNKeySeed([]byte("SUAgarbage")),
		"nkey seed file missing": core.WithNKeySeedFile(t.TempDir() + "/missing.nk"),
		"creds file missing":     core.WithCredentialsFile(t.TempDir() + "/missing.creds"),
		"creds bytes garbage":    core.WithCredentials([]byte("not creds")),
		"jwt with bad seed":      core.WithUserJWTAndSeed("a.b.c", []byte("bad")),
		"jwt empty":              core.WithUserJWTAndSeed("", []byte("SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU")),
	}
	for name, opt := range creds {
		_, err := core.Connect(testCtx(t, 5*time.Second), s.ClientURL(), opt)
		assert.ErrorIs(t, err, core.ErrInvalidCredentials, name)
	}

	nc := connect(t, s.ClientURL())
	_, err = nc.Subscribe("x", nil)
	assert.ErrorIs(t, err, core.ErrInvalidOption)
	_, err = nc.SubscribeBorrowed("x", nil)
	assert.ErrorIs(t, err, core.ErrInvalidOption)
	_, err = nc.SubscribeChan("x", nil)
	assert.ErrorIs(t, err, core.ErrInvalidOption)
}

func TestConnectStatusTransitions(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	events := newEventRec(t)
	nc := connect(t, s.ClientURL(), events.option(), core.WithReconnectWait(10*time.Millisecond, 50*time.Millisecond))
	assert.Equal(t, core.StatusConnected, nc.Status())
	events.wait(core.EventConnected, 5*time.Second)

	s.Shutdown()
	events.wait(core.EventDisconnected, 5*time.Second)
	assert.Equal(t, core.StatusReconnecting, nc.Status())
	assert.False(t, nc.IsConnected())
	assert.Equal(t, "", nc.ConnectedURL())
	s.Restart()
	events.wait(core.EventReconnected, 10*time.Second)
	assert.Equal(t, core.StatusConnected, nc.Status())
	assert.Equal(t, uint64(1), nc.Stats().Reconnects)

	ctx := testCtx(t, 5*time.Second)
	sub, err := nc.Subscribe("status.drain", func(*core.Msg) {})
	require.NoError(t, err)
	require.NoError(t, nc.Drain(ctx))
	assert.Equal(t, core.StatusClosed, nc.Status())
	recv(t, sub.Done())
	events.wait(core.EventClosed, 5*time.Second)
	assert.Equal(t, core.StatusConnected.String(), "connected")
	assert.Equal(t, core.StatusDraining.String(), "draining")
}

func TestConnectRetryOnFailedConnect(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	url := s.ClientURL()
	s.Shutdown()
	events := newEventRec(t)
	nc, err := core.Connect(testCtx(t, 5*time.Second), url, core.WithRetryOnFailedConnect(),
		core.WithReconnectWait(10*time.Millisecond, 50*time.Millisecond), events.option())
	require.NoError(t, err)
	defer nc.Close()
	assert.Equal(t, core.StatusReconnecting, nc.Status())
	// A publish made before the first session is held and sent after it.
	require.NoError(t, nc.Publish("early", []byte("x")))
	s.Restart()
	ev := events.wait(core.EventConnected, 10*time.Second)
	assert.Equal(t, url, ev.Server)
	assert.Equal(t, core.StatusConnected, nc.Status())
	require.NoError(t, nc.Flush(testCtx(t, 5*time.Second)))
	assert.Equal(t, uint64(1), nc.Stats().OutMsgs)
}
