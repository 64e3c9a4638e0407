package core_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// authWorks checks that nc really is connected and usable.
func authWorks(t *testing.T, nc *core.Conn) {
	t.Helper()
	sub, err := nc.SubscribeSync("auth.works")
	require.NoError(t, err)
	require.NoError(t, nc.Publish("auth.works", []byte("ok")))
	assert.Equal(t, "ok", string(next(t, sub).Data))
	require.NoError(t, sub.Unsubscribe())
}

// refused connects with opts, expects an authorization failure within a
// bound well under the connect timeout, and checks that no secret leaks into
// the error.
func refused(t *testing.T, url string, secrets []string, opts ...core.Option) error {
	t.Helper()
	start := time.Now()
	nc, err := core.Connect(testCtx(t, 10*time.Second), url, opts...)
	took := time.Since(start)
	if nc != nil {
		nc.Close()
		t.Fatalf("connect with wrong credentials succeeded")
	}
	require.Error(t, err)
	assert.ErrorIs(t, err, core.ErrAuthorization)
	assert.ErrorIs(t, err, core.ErrNoServers)
	assert.Less(t, took, 2*time.Second, "authorization failure must be reported at once")
	for _, s := range secrets {
		assert.NotContains(t, err.Error(), s)
		assert.NotContains(t, fmt.Sprintf("%+v %#v", err, err), s)
	}
	return err
}

func TestAuthUserPassword(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithUser("alice", "s3cr3t-pw"))
	addr := strings.TrimPrefix(s.ClientURL(), "nats://")

	t.Run("option", func(t *testing.T) {
		nc := connect(t, s.ClientURL(), core.WithUserInfo("alice", "s3cr3t-pw"))
		authWorks(t, nc)
	})
	t.Run("url", func(t *testing.T) {
		url := "nats://alice:s3cr3t-pw@" + addr
		nc := connect(t, url)
		authWorks(t, nc)
		assert.Equal(t, s.ClientURL(), nc.ConnectedURL(), "no credentials in ConnectedURL")
		for _, u := range nc.ServerPool() {
			assert.NotContains(t, u, "s3cr3t-pw")
		}
	})
	t.Run("url wins over option", func(t *testing.T) {
		nc := connect(t, "nats://alice:s3cr3t-pw@"+addr, core.WithUserInfo("alice", "wrong"))
		authWorks(t, nc)
	})
	t.Run("wrong password", func(t *testing.T) {
		refused(t, s.ClientURL(), []string{"wrong-pw"}, core.WithUserInfo("alice", "wrong-pw"))
		refused(t, "nats://alice:wrong-pw@"+addr, []string{"wrong-pw"})
	})
	t.Run("no credentials", func(t *testing.T) {
		refused(t, s.ClientURL(), nil)
	})
}

func TestAuthToken(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithToken("tok-s3cr3t"))
	addr := strings.TrimPrefix(s.ClientURL(), "nats://")

	t.Run("option", func(t *testing.T) {
		authWorks(t, connect(t, s.ClientURL(), core.WithToken("tok-s3cr3t")))
	})
	t.Run("callback", func(t *testing.T) {
		var calls atomic.Int32
		nc := connect(t, s.ClientURL(), core.WithTokenFunc(func() string { calls.Add(1); return "tok-s3cr3t" }))
		authWorks(t, nc)
		assert.Equal(t, int32(1), calls.Load())
	})
	t.Run("url", func(t *testing.T) {
		nc := connect(t, "nats://tok-s3cr3t@"+addr)
		authWorks(t, nc)
		assert.Equal(t, s.ClientURL(), nc.ConnectedURL())
	})
	t.Run("wrong", func(t *testing.T) {
		refused(t, s.ClientURL(), []string{"tok-wrong"}, core.WithToken("tok-wrong"))
		refused(t, s.ClientURL(), []string{"tok-wrong"}, core.WithTokenFunc(func() string { return "tok-wrong" }))
		refused(t, "nats://tok-wrong@"+addr, []string{"tok-wrong"})
	})
}

func newUserKey(t *testing.T) (pub string, seed []byte, kp nkeys.KeyPair) {
	t.Helper()
	kp, err := nkeys.CreateUser()
	require.NoError(t, err)
	pub, err = kp.PublicKey()
	require.NoError(t, err)
	seed, err = kp.Seed()
	require.NoError(t, err)
	return pub, seed, kp
}

func TestAuthNKey(t *testing.T) {
	t.Parallel()
	pub, seed, kp := newUserKey(t)
	s := harness.RunServer(t, harness.WithNKeyUser(pub))

	t.Run("seed", func(t *testing.T) {
		mine := append([]byte(nil), seed...)
		nc := connect(t, s.ClientURL(), core.WithNKeySeed(mine))
		authWorks(t, nc)
		nc.Close()
		// The Conn wipes its own copy, never the caller's bytes.
		assert.Equal(t, seed, mine)
	})
	t.Run("seed file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "user.nk")
		require.NoError(t, os.WriteFile(path, append(append([]byte(nil), seed...), '\n'), 0o600))
		authWorks(t, connect(t, s.ClientURL(), core.WithNKeySeedFile(path)))
	})
	t.Run("sign callback", func(t *testing.T) {
		var nonces [][]byte
		sign := func(nonce []byte) ([]byte, error) {
			nonces = append(nonces, append([]byte(nil), nonce...))
			return kp.Sign(nonce)
		}
		authWorks(t, connect(t, s.ClientURL(), core.WithNKey(pub, sign)))
		require.Len(t, nonces, 1)
		assert.NotEmpty(t, nonces[0], "the server's nonce is what gets signed")
	})
	t.Run("sign callback error", func(t *testing.T) {
		sign := func([]byte) ([]byte, error) { return nil, errors.New("hsm unavailable") }
		_, err := core.Connect(testCtx(t, 5*time.Second), s.ClientURL(), core.WithNKey(pub, sign))
		assert.ErrorIs(t, err, core.ErrInvalidCredentials)
		assert.Contains(t, err.Error(), "hsm unavailable")
	})
	t.Run("unknown key", func(t *testing.T) {
		_, other, _ := newUserKey(t)
		refused(t, s.ClientURL(), []string{string(other)}, core.WithNKeySeed(other))
	})
	t.Run("wrong signature", func(t *testing.T) {
		_, _, otherKP := newUserKey(t)
		refused(t, s.ClientURL(), nil, core.WithNKey(pub, otherKP.Sign))
	})
}

func TestAuthJWT(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithOperator())
	op := s.Operator()
	u := op.DefaultUser()
	ukp, err := nkeys.FromSeed(u.Seed)
	require.NoError(t, err)

	t.Run("jwt and seed", func(t *testing.T) {
		authWorks(t, connect(t, s.ClientURL(), core.WithUserJWTAndSeed(u.JWT, u.Seed)))
	})
	t.Run("creds file", func(t *testing.T) {
		authWorks(t, connect(t, s.ClientURL(), core.WithCredentialsFile(s.CredsFile())))
	})
	t.Run("creds bytes", func(t *testing.T) {
		data, err := os.ReadFile(s.CredsFile())
		require.NoError(t, err)
		orig := append([]byte(nil), data...)
		nc := connect(t, s.ClientURL(), core.WithCredentials(data))
		authWorks(t, nc)
		nc.Close()
		assert.Equal(t, orig, data, "the caller's bytes are copied, not wiped")
	})
	t.Run("another user", func(t *testing.T) {
		u2, err := op.NewUser("second")
		require.NoError(t, err)
		authWorks(t, connect(t, s.ClientURL(), core.WithCredentialsFile(u2.CredsFile)))
	})
	t.Run("callbacks", func(t *testing.T) {
		var jwtCalls, signCalls atomic.Int32
		nc := connect(t, s.ClientURL(), core.WithUserJWT(
			func() (string, error) { jwtCalls.Add(1); return u.JWT, nil },
			func(nonce []byte) ([]byte, error) { signCalls.Add(1); return ukp.Sign(nonce) }))
		authWorks(t, nc)
		assert.Equal(t, int32(1), jwtCalls.Load())
		assert.Equal(t, int32(1), signCalls.Load())
	})
	t.Run("jwt callback error", func(t *testing.T) {
		_, err := core.Connect(testCtx(t, 5*time.Second), s.ClientURL(), core.WithUserJWT(
			func() (string, error) { return "", errors.New("vault sealed") },
			ukp.Sign))
		assert.ErrorIs(t, err, core.ErrInvalidCredentials)
		assert.Contains(t, err.Error(), "vault sealed")
	})
	t.Run("unknown account", func(t *testing.T) {
		// A user signed by an account the server does not know.
		akp, err := nkeys.CreateAccount()
		require.NoError(t, err)
		upub, useed, _ := newUserKey(t)
		uc := jwt.NewUserClaims(upub)
		ujwt, err := uc.Encode(akp)
		require.NoError(t, err)
		refused(t, s.ClientURL(), []string{string(useed)}, core.WithUserJWTAndSeed(ujwt, useed))
		creds, err := jwt.FormatUserConfig(ujwt, useed)
		require.NoError(t, err)
		refused(t, s.ClientURL(), []string{string(useed)}, core.WithCredentials(creds))
	})
	t.Run("jwt with the wrong seed", func(t *testing.T) {
		_, other, _ := newUserKey(t)
		refused(t, s.ClientURL(), []string{string(other)}, core.WithUserJWTAndSeed(u.JWT, other))
	})
	t.Run("no credentials", func(t *testing.T) {
		refused(t, s.ClientURL(), nil)
	})
}

// TestAuthSecretsNotInEvents lets a server change its token under a
// connected client, so that the client's reconnects are refused, and checks
// the events and the final error for the old token.
func TestAuthSecretsNotInEvents(t *testing.T) {
	t.Parallel()
	// A process: nats-server races with itself (createClientEx against
	// sendAuthErrorEvent) when an auth reload drops clients, and in-process the race
	// detector reports that race against this test.
	s := harness.RunServer(t, harness.WithToken("tok-old-s3cr3t"), harness.WithProcess())
	events := newEventRec(t)
	nc := connect(t, s.ClientURL(), core.WithToken("tok-old-s3cr3t"), events.option(),
		core.WithReconnectWait(10*time.Millisecond, 50*time.Millisecond))
	authWorks(t, nc)

	require.NoError(t, s.Reload(harness.WithToken("tok-new")))
	// The server drops the client (its token no longer valid) or keeps it;
	// either way a reconnect must now fail authorization.
	// When the server dropped it, the Conn may have failed its reconnects and
	// closed already.
	if err := nc.ForceReconnect(); err != nil {
		require.ErrorIs(t, err, core.ErrConnectionClosed)
	}
	ev := events.wait(core.EventClosed, 10*time.Second)
	assert.ErrorIs(t, ev.Err, core.ErrNoServers)
	assert.ErrorIs(t, ev.Err, core.ErrAuthorization)
	assert.ErrorIs(t, nc.Err(), core.ErrAuthorization)
	assert.GreaterOrEqual(t, events.count(core.EventAsyncError), 1, "auth failures while reconnecting are reported")
	for _, ev := range events.all() {
		if ev.Err != nil {
			assert.NotContains(t, ev.Err.Error(), "tok-old-s3cr3t")
		}
		assert.NotContains(t, ev.Server, "tok-old-s3cr3t")
	}
	assert.False(t, events.overlap.Load())
}
