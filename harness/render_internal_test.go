package harness

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every option renders into configuration text that nats-server parses into the
// options it describes.
func TestRenderParsesBack(t *testing.T) {
	dir := t.TempDir()
	tlsm, err := newTLSMaterial(dir)
	require.NoError(t, err)
	c := newConfig([]Option{
		WithJetStream(), WithTLS(TLSVerifyClients(), TLSHandshakeFirst(), TLSTimeout(3*time.Second)),
		WithWebSocket(WSTLS(), WSCompression()), WithUser("u", `p"w\d`), WithNKeyUser("UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"),
		WithMaxPayload(1234), WithLameDuck(time.Minute, 2*time.Second), WithConfig("ping_interval: \"7s\""),
	})
	c.cluster = &clusterSettings{name: "cl", port: 6001, routes: []int{6002, 6003}}
	l := &layout{name: "n1", port: 4001, wsPort: 8001, clusterPort: 6001, storeDir: filepath.Join(dir, "js"), tls: tlsm}
	file := filepath.Join(dir, "s.conf")
	require.NoError(t, os.WriteFile(file, []byte(render(c, l)), 0o600))
	o, err := server.ProcessConfigFile(file)
	require.NoError(t, err, render(c, l))

	assert.Equal(t, "n1", o.ServerName)
	assert.Equal(t, "127.0.0.1", o.Host)
	assert.Equal(t, 4001, o.Port)
	assert.True(t, o.JetStream)
	assert.Equal(t, filepath.Join(dir, "js"), o.StoreDir)
	require.NotNil(t, o.TLSConfig)
	assert.Equal(t, tls.RequireAndVerifyClientCert, o.TLSConfig.ClientAuth)
	assert.True(t, o.TLSHandshakeFirst)
	assert.Equal(t, 3.0, o.TLSTimeout)
	assert.NotNil(t, o.TLSConfig)
	assert.Equal(t, 8001, o.Websocket.Port)
	assert.True(t, o.Websocket.Compression)
	assert.False(t, o.Websocket.NoTLS)
	assert.NotNil(t, o.Websocket.TLSConfig)
	require.Len(t, o.Users, 1)
	assert.Equal(t, `p"w\d`, o.Users[0].Password, "quoted strings survive the config lexer")
	require.Len(t, o.Nkeys, 1)
	assert.EqualValues(t, 1234, o.MaxPayload)
	assert.Equal(t, time.Minute, o.LameDuckDuration)
	assert.Equal(t, 2*time.Second, o.LameDuckGracePeriod)
	assert.Equal(t, 7*time.Second, o.PingInterval, "WithConfig text is included")
	assert.Equal(t, "cl", o.Cluster.Name)
	assert.Equal(t, 6001, o.Cluster.Port)
	assert.Len(t, o.Routes, 2)
}

func TestRenderOperatorAndToken(t *testing.T) {
	dir := t.TempDir()
	op, err := newOperator(dir)
	require.NoError(t, err)
	c := newConfig([]Option{WithOperator()})
	l := &layout{name: "op", port: 4002, storeDir: dir, operator: op}
	file := filepath.Join(dir, "s.conf")
	require.NoError(t, os.WriteFile(file, []byte(render(c, l)), 0o600))
	o, err := server.ProcessConfigFile(file)
	require.NoError(t, err)
	require.Len(t, o.TrustedOperators, 1)
	assert.Equal(t, op.SystemAccountPublicKey(), o.SystemAccount)
	assert.NotNil(t, o.AccountResolver)

	c = newConfig([]Option{WithToken("tok")})
	require.NoError(t, os.WriteFile(file, []byte(render(c, &layout{name: "t", port: 4003})), 0o600))
	o, err = server.ProcessConfigFile(file)
	require.NoError(t, err)
	assert.Equal(t, "tok", o.Authorization)
}

// lockFile excludes other holders until released, as racing test binaries need.
func TestLockFileExcludes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := lockFile(path)
	require.NoError(t, err)
	got := make(chan func())
	go func() {
		u, err := lockFile(path) // a second open file: flock treats it as another holder
		if err != nil {
			close(got)
			return
		}
		got <- u
	}()
	select {
	case <-got:
		t.Fatal("the lock was taken twice")
	case <-time.After(100 * time.Millisecond):
	}
	unlock()
	select {
	case u, ok := <-got:
		require.True(t, ok)
		u()
	case <-time.After(5 * time.Second):
		t.Fatal("the lock was not handed over")
	}
}

func TestValidate(t *testing.T) {
	for name, opts := range map[string][]Option{
		"token+nkey":     {WithToken("t"), WithNKeyUser("U")},
		"operator+token": {WithOperator(), WithToken("t")},
		"grace>=dur":     {WithLameDuck(30*time.Second, 30*time.Second)},
		"negative grace": {WithLameDuck(30*time.Second, -1)},
		"port":           {WithPort(70000)},
		"payload":        {WithMaxPayload(-1)},
	} {
		assert.Error(t, newConfig(opts).validate(), name)
	}
	assert.NoError(t, newConfig(nil).validate())
}
