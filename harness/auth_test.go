package harness_test

import (
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
)

// tryConnect dials addr and sends CONNECT with fields; fields may be built from the
// INFO (nonce) by sign.
func tryConnect(addr string, fields map[string]any, sign func(nonce string) map[string]any) error {
	rc, err := dialRaw(addr, dialOpts{})
	if err != nil {
		return err
	}
	defer rc.Close()
	if sign != nil {
		nonce, _ := rc.info["nonce"].(string)
		fields = sign(nonce)
	}
	return rc.connect(fields)
}

func isAuthError(err error) bool {
	var e *errServer
	return errors.As(err, &e) && strings.Contains(strings.ToLower(e.text), "authorization violation")
}

func TestWithUser(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithUser("alice", "s3cret"), harness.WithUser("bob", "pw"))
	assert.NoError(t, tryConnect(s.Addr(), map[string]any{"user": "alice", "pass": "s3cret"}, nil))
	assert.NoError(t, tryConnect(s.Addr(), map[string]any{"user": "bob", "pass": "pw"}, nil))
	assert.True(t, isAuthError(tryConnect(s.Addr(), map[string]any{"user": "alice", "pass": "wrong"}, nil)))
	assert.True(t, isAuthError(tryConnect(s.Addr(), nil, nil)))

	// Reload adds a user to the running server.
	require.NoError(t, s.Reload(harness.WithUser("carol", "pw2")))
	assert.NoError(t, tryConnect(s.Addr(), map[string]any{"user": "carol", "pass": "pw2"}, nil))
	assert.NoError(t, tryConnect(s.Addr(), map[string]any{"user": "alice", "pass": "s3cret"}, nil))
}

func TestWithToken(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithToken("tok-123"))
	rc, err := dialRaw(s.Addr(), dialOpts{})
	require.NoError(t, err)
	assert.Equal(t, true, rc.info["auth_required"])
	rc.Close()
	assert.NoError(t, tryConnect(s.Addr(), map[string]any{"auth_token": "tok-123"}, nil))
	assert.True(t, isAuthError(tryConnect(s.Addr(), map[string]any{"auth_token": "nope"}, nil)))
}

func TestWithNKeyUser(t *testing.T) {
	t.Parallel()
	kp, err := nkeys.CreateUser()
	require.NoError(t, err)
	pub, err := kp.PublicKey()
	require.NoError(t, err)
	other, err := nkeys.CreateUser()
	require.NoError(t, err)

	s := harness.RunServer(t, harness.WithNKeyUser(pub))
	sign := func(kp nkeys.KeyPair) func(string) map[string]any {
		return func(nonce string) map[string]any {
			sig, err := kp.Sign([]byte(nonce))
			require.NoError(t, err)
			return map[string]any{"nkey": pub, "sig": base64.RawURLEncoding.EncodeToString(sig)}
		}
	}
	assert.NoError(t, tryConnect(s.Addr(), nil, sign(kp)))
	assert.True(t, isAuthError(tryConnect(s.Addr(), nil, sign(other))), "a signature by another key is refused")
}

// jwtSigner returns CONNECT fields for the user of a .creds file.
func jwtSigner(t testing.TB, credsFile string) func(string) map[string]any {
	t.Helper()
	creds, err := os.ReadFile(credsFile)
	require.NoError(t, err)
	ujwt, err := jwt.ParseDecoratedJWT(creds)
	require.NoError(t, err)
	kp, err := jwt.ParseDecoratedUserNKey(creds)
	require.NoError(t, err)
	return func(nonce string) map[string]any {
		sig, err := kp.Sign([]byte(nonce))
		require.NoError(t, err)
		return map[string]any{"jwt": ujwt, "sig": base64.RawURLEncoding.EncodeToString(sig)}
	}
}

func TestWithOperator(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t, harness.WithOperator(), harness.WithJetStream())
	op := s.Operator()
	require.NotNil(t, op)
	require.FileExists(t, s.CredsFile())
	assert.Equal(t, op.DefaultUser().CredsFile, s.CredsFile())
	assert.True(t, strings.HasPrefix(op.OperatorPublicKey(), "O"))
	assert.True(t, strings.HasPrefix(op.AccountPublicKey(), "A"))
	assert.True(t, strings.HasPrefix(op.SystemAccountPublicKey(), "A"))

	// The default user connects, and JetStream is enabled for its account.
	rc, err := dialRaw(s.Addr(), dialOpts{})
	require.NoError(t, err)
	defer rc.Close()
	assert.Equal(t, true, rc.info["auth_required"])
	require.NoError(t, rc.connect(jwtSigner(t, s.CredsFile())(rc.info["nonce"].(string))))
	var ai struct {
		Streams int `json:"streams"`
	}
	require.NoError(t, rc.jsRequest("$JS.API.INFO", nil, &ai))

	assert.True(t, isAuthError(tryConnect(s.Addr(), nil, nil)), "no credentials, no entry")

	// A minted user connects at once; a revoked one is closed and refused after Reload.
	u, err := op.NewUser("minted")
	require.NoError(t, err)
	require.FileExists(t, u.CredsFile)
	victim, err := dialRaw(s.Addr(), dialOpts{})
	require.NoError(t, err)
	defer victim.Close()
	require.NoError(t, victim.connect(jwtSigner(t, u.CredsFile)(victim.info["nonce"].(string))))

	require.NoError(t, op.RevokeUser(u.PublicKey))
	require.NoError(t, s.Reload())
	assert.True(t, isAuthError(tryConnect(s.Addr(), nil, jwtSigner(t, u.CredsFile))), "revoked user refused")
	assert.NotErrorIs(t, readUntilErr(victim, 5*time.Second), os.ErrDeadlineExceeded, "the revoked user's connection is closed")
	// The default user is unaffected.
	assert.NoError(t, tryConnect(s.Addr(), nil, jwtSigner(t, s.CredsFile())))
	assert.Error(t, op.RevokeUser("not-a-key"))
}
