package harness_test

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

func TestRunServerPlain(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithName("plain"))
	assert.True(t, strings.HasPrefix(s.ClientURL(), "nats://127.0.0.1:"), s.ClientURL())
	assert.Equal(t, "nats://"+s.Addr(), s.ClientURL())
	assert.Empty(t, s.WebSocketURL())
	assert.Nil(t, s.TLS())
	assert.Empty(t, s.CredsFile())

	rc, err := dialRaw(s.Addr(), dialOpts{})
	require.NoError(t, err)
	defer rc.Close()
	assert.Equal(t, "plain", rc.info["server_name"])
	assert.EqualValues(t, s.Info().Port, rc.info["port"])
	assert.Nil(t, rc.info["tls_required"])
	assert.Nil(t, rc.info["auth_required"])
	require.NoError(t, rc.connect(nil))

	inf := s.Info()
	assert.Equal(t, "plain", inf.Name)
	assert.Equal(t, rc.info["server_id"], inf.ID)
	assert.Equal(t, rc.info["version"], inf.Version)
	assert.False(t, inf.JetStream)
	assert.True(t, s.Running())
}

func TestWithPortAndMaxPayload(t *testing.T) {
	t.Parallel()
	ports := freePortsForTest(t, 1)
	s := harness.RunServer(t, harness.WithPort(ports[0]), harness.WithMaxPayload(4096))
	assert.Equal(t, fmt.Sprintf("127.0.0.1:%d", ports[0]), s.Addr())
	rc, err := dialRaw(s.Addr(), dialOpts{})
	require.NoError(t, err)
	defer rc.Close()
	assert.EqualValues(t, 4096, rc.info["max_payload"])
}

func TestWithConfigOverrides(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithMaxPayload(4096), harness.WithConfig("max_payload: 8192\nmax_connections: 7"))
	rc, err := dialRaw(s.Addr(), dialOpts{})
	require.NoError(t, err)
	defer rc.Close()
	assert.EqualValues(t, 8192, rc.info["max_payload"], "the text of WithConfig comes last and wins")
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]harness.Option{
		"token and user":    {harness.WithToken("t"), harness.WithUser("u", "p")},
		"operator and user": {harness.WithOperator(), harness.WithUser("u", "p")},
		"short lame duck":   {harness.WithLameDuck(time.Second, 0)},
		"bad config":        {harness.WithConfig("listen: {")},
	} {
		s, err := harness.Start(opts...)
		assert.Error(t, err, name)
		assert.Nil(t, s, name)
	}
}

func TestTLSUpgrade(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithTLS())
	m := s.TLS()
	require.NotNil(t, m)
	assert.FileExists(t, m.CAFile)
	assert.FileExists(t, m.ClientCertFile)
	assert.FileExists(t, m.ClientKeyFile)
	assert.Contains(t, string(m.CAPEM), "BEGIN CERTIFICATE")

	rc, err := dialRaw(s.Addr(), dialOpts{tls: &tls.Config{RootCAs: m.CAPool}})
	require.NoError(t, err)
	defer rc.Close()
	assert.Equal(t, true, rc.info["tls_required"])
	require.NoError(t, rc.connect(nil))
	assert.True(t, rc.c.(*tls.Conn).ConnectionState().HandshakeComplete)

	// The certificate is valid for every loopback name.
	for _, name := range []string{"localhost", "::1"} {
		cfg := m.ClientConfig()
		cfg.ServerName = name
		rc, err := dialRaw(s.Addr(), dialOpts{tls: cfg})
		require.NoError(t, err, name)
		require.NoError(t, rc.connect(nil), name)
		rc.Close()
	}
}

func TestTLSHandshakeFirst(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithTLS(harness.TLSHandshakeFirst()))
	rc, err := dialRaw(s.Addr(), dialOpts{tls: s.TLS().ClientConfig(), handshakeFirst: true})
	require.NoError(t, err)
	defer rc.Close()
	assert.Equal(t, true, rc.info["tls_required"])
	assert.Equal(t, true, rc.info["tls_available"] == nil || rc.info["tls_available"] == true)
	require.NoError(t, rc.connect(nil))
}

func TestTLSVerifyClients(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithTLS(harness.TLSVerifyClients()))
	m := s.TLS()

	rc, err := dialRaw(s.Addr(), dialOpts{tls: m.ClientConfig()})
	require.NoError(t, err)
	assert.Equal(t, true, rc.info["tls_verify"])
	require.NoError(t, rc.connect(nil))
	rc.Close()

	// Without a client certificate the server ends the connection.
	rc, err = dialRaw(s.Addr(), dialOpts{tls: &tls.Config{RootCAs: m.CAPool}})
	if err == nil {
		err = rc.connect(nil)
		rc.Close()
	}
	assert.Error(t, err)
}

func TestWebSocket(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		opts     []harness.WSOption
		scheme   string
		compress bool
	}{
		{"plain", nil, "ws://", false},
		{"tls", []harness.WSOption{harness.WSTLS()}, "wss://", false},
		{"compression", []harness.WSOption{harness.WSCompression()}, "ws://", true},
		{"tls+compression", []harness.WSOption{harness.WSTLS(), harness.WSCompression()}, "wss://", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := harness.RunServer(t, harness.WithWebSocket(tc.opts...))
			u := s.WebSocketURL()
			require.True(t, strings.HasPrefix(u, tc.scheme), u)
			var cfg *tls.Config
			if tc.scheme == "wss://" {
				require.NotNil(t, s.TLS())
				cfg = s.TLS().ClientConfig()
			}
			ws, err := dialWS(u, cfg, true)
			require.NoError(t, err)
			defer ws.Close()
			assert.Equal(t, tc.compress, ws.compressed, "permessage-deflate negotiated")

			msg, _, err := ws.readMessage()
			require.NoError(t, err)
			info, err := parseInfoLine(strings.TrimRight(string(msg), "\r\n"))
			require.NoError(t, err)
			assert.EqualValues(t, s.Info().WebSocketPort, wsPortOf(t, u))
			assert.NotEmpty(t, info["server_id"])

			// The listener speaks NATS: CONNECT and PING get a PONG.
			require.NoError(t, ws.writeMessage([]byte("CONNECT {\"verbose\":false}\r\nPING\r\n")))
			var got []byte
			for !strings.Contains(string(got), "PONG") {
				msg, _, err := ws.readMessage()
				require.NoError(t, err)
				got = append(got, msg...)
			}
		})
	}
}

func TestJetStreamRestartKeepsStream(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithJetStream())
	assert.True(t, s.Info().JetStream)
	rc := connectRaw(t, s.Addr(), nil)
	createStream(t, rc, "ORDERS", 1)
	publish(t, rc, "ORDERS.new", "one")
	publish(t, rc, "ORDERS.new", "two")
	rc.Close()

	oldID := s.Info().ID
	s.Restart()
	assert.NotEqual(t, oldID, s.Info().ID, "a restart is a new server incarnation")
	rc = connectRaw(t, s.Addr(), nil)
	defer rc.Close()
	assert.EqualValues(t, 2, streamMsgs(t, rc, "ORDERS"))
}

func TestShutdownAndRestart(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	addr := s.Addr()
	s.Shutdown()
	assert.False(t, s.Running())
	_, err := dialRaw(addr, dialOpts{})
	assert.Error(t, err, "nothing listens after Shutdown")
	s.Shutdown() // idempotent
	s.Restart()
	assert.Equal(t, addr, s.Addr())
	rc := connectRaw(t, addr, nil)
	rc.Close()
}

func TestStartStop(t *testing.T) {
	s, err := harness.Start(harness.WithJetStream())
	require.NoError(t, err)
	dir := s.Dir()
	assert.DirExists(t, dir)
	rc := connectRaw(t, s.Addr(), nil)
	rc.Close()
	s.Stop()
	s.Stop()
	assert.NoDirExists(t, dir, "Stop removes the directory Start made")
	_, err = dialRaw(s.Addr(), dialOpts{})
	assert.Error(t, err)
}

// connectRaw dials addr, sends CONNECT with fields and fails the test on error.
func connectRaw(t testing.TB, addr string, fields map[string]any) *rawConn {
	t.Helper()
	rc, err := dialRaw(addr, dialOpts{})
	require.NoError(t, err)
	require.NoError(t, rc.connect(fields))
	return rc
}

func createStream(t testing.TB, rc *rawConn, name string, replicas int) {
	t.Helper()
	cfg := map[string]any{"name": name, "subjects": []string{name + ".>"}, "storage": "file", "num_replicas": replicas}
	// A cluster that has just formed can lose the reply to the first API
	// request (its routes are still replacing duplicate connections), so a
	// timed-out create is asked again: creating the same config twice is
	// not an error.
	saved := rc.reqTimeout
	defer func() { rc.reqTimeout = saved }()
	rc.reqTimeout = 5 * time.Second
	var err error
	for try := 0; try < 4; try++ {
		err = rc.jsRequest("$JS.API.STREAM.CREATE."+name, cfg, nil)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			break
		}
	}
	require.NoError(t, err)
}

func publish(t testing.TB, rc *rawConn, subject, data string) {
	t.Helper()
	var ack struct {
		Stream string `json:"stream"`
		Seq    uint64 `json:"seq"`
		Error  *struct {
			Description string `json:"description"`
		} `json:"error"`
	}
	// With a message id, so that a publish whose ack a just-formed cluster
	// lost is asked again without storing a second copy.
	rc.sid++
	hdr := fmt.Sprintf("NATS/1.0\r\nNats-Msg-Id: harness-%d\r\n\r\n", rc.sid)
	saved := rc.reqTimeout
	defer func() { rc.reqTimeout = saved }()
	rc.reqTimeout = 5 * time.Second
	var err error
	for try := 0; try < 4; try++ {
		var data2 []byte
		data2, err = rc.requestHeader(subject, hdr, fmt.Appendf(nil, "%q", data))
		if err == nil {
			err = json.Unmarshal(data2, &ack)
			break
		}
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			break
		}
	}
	require.NoError(t, err)
	require.Nil(t, ack.Error)
	require.NotZero(t, ack.Seq)
}

// streamMsgs returns the stream's message count, or an error from the API.
func streamMsgsErr(rc *rawConn, name string) (uint64, error) {
	var si struct {
		State struct {
			Msgs uint64 `json:"messages"`
		} `json:"state"`
	}
	err := rc.jsRequest("$JS.API.STREAM.INFO."+name, nil, &si)
	return si.State.Msgs, err
}

func streamMsgs(t testing.TB, rc *rawConn, name string) uint64 {
	t.Helper()
	n, err := streamMsgsErr(rc, name)
	require.NoError(t, err)
	return n
}

func TestLameDuck(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithJetStream(), harness.WithLameDuck(harness.DefaultLameDuckDuration, 200*time.Millisecond))
	rc := connectRaw(t, s.Addr(), nil)
	defer rc.Close()
	s.LameDuck()
	assert.False(t, s.Running())
	_, err := dialRaw(s.Addr(), dialOpts{})
	assert.Error(t, err, "a server in lame-duck mode accepts no new clients")
	requireLDMInfo(t, rc)
	// After the grace period the server closes its clients.
	assert.NotErrorIs(t, readUntilErr(rc, 10*time.Second), os.ErrDeadlineExceeded)

	s.Restart()
	rc2 := connectRaw(t, s.Addr(), nil)
	rc2.Close()
}

func TestReloadRejected(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithMaxPayload(2048))
	err := s.Reload(harness.WithConfig("max_payload: \"not a size\""))
	assert.Error(t, err)
	assert.Error(t, s.Reload(harness.WithPort(1)), "the port cannot change")
	assert.Error(t, s.Reload(harness.WithProcess()), "the mode cannot change")
	// The server keeps running with its old configuration, and so does a restart.
	s.Restart()
	rc := connectRaw(t, s.Addr(), nil)
	defer rc.Close()
	assert.EqualValues(t, 2048, rc.info["max_payload"])

	require.NoError(t, s.Reload(harness.WithMaxPayload(4096)))
	rc2 := connectRaw(t, s.Addr(), nil)
	defer rc2.Close()
	assert.EqualValues(t, 4096, rc2.info["max_payload"])
}
