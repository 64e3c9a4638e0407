package core

import (
	"encoding/base64"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nkeys"

	"github.com/starling-nats/starling/codec"
)

// authOptions holds the credentials given as options. Secrets given as bytes
// are copied in and wiped when the Conn closes; secrets given as files are
// read at each connect and wiped right after signing, so a rotated file is
// picked up on reconnect.
type authOptions struct {
	user, pass string
	token      string
	tokenFunc  func() string

	nkeyPub      string
	nkeySeed     []byte
	nkeySeedFile string
	sign         func(nonce []byte) ([]byte, error)

	userJWT   string
	jwtFunc   func() (string, error)
	credsFile string
	creds     []byte
}

// WithUserInfo authenticates with a user and password. A URL's own
// user:pass@ wins for that URL. Default: none.
func WithUserInfo(user, pass string) Option {
	return func(o *options) error { o.auth.user, o.auth.pass = user, pass; return nil }
}

// WithToken authenticates with a token. A URL's own token@ wins for that
// URL. Default: none.
func WithToken(token string) Option {
	return func(o *options) error { o.auth.token = token; return nil }
}

// WithTokenFunc authenticates with the token f returns at each connect.
// Default: none.
func WithTokenFunc(f func() string) Option {
	return func(o *options) error {
		if f == nil {
			return fmt.Errorf("%w: nil token func", ErrInvalidOption)
		}
		o.auth.tokenFunc = f
		return nil
	}
}

// WithNKeySeed authenticates as the NKey user of seed, signing the server's
// nonce. The seed is copied; the copy is wiped when the Conn closes.
// Default: none.
func WithNKeySeed(seed []byte) Option {
	return func(o *options) error {
		kp, err := nkeys.FromSeed(seed)
		if err != nil {
			return fmt.Errorf("%w: nkey seed: %v", ErrInvalidCredentials, err)
		}
		defer kp.Wipe()
		pub, err := kp.PublicKey()
		if err != nil {
			return fmt.Errorf("%w: nkey seed: %v", ErrInvalidCredentials, err)
		}
		o.auth.nkeyPub = pub
		o.auth.nkeySeed = append([]byte(nil), seed...)
		return nil
	}
}

// WithNKeySeedFile authenticates as the NKey user whose seed is in path,
// read at each connect and wiped after signing. Default: none.
func WithNKeySeedFile(path string) Option {
	return func(o *options) error {
		kp, err := seedFromFile(path)
		if err != nil {
			return err
		}
		defer kp.Wipe()
		pub, err := kp.PublicKey()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidCredentials, err)
		}
		o.auth.nkeyPub = pub
		o.auth.nkeySeedFile = path
		return nil
	}
}

// WithNKey authenticates as the NKey user pub, with sign signing the
// server's nonce (for keys held in an HSM or agent). Default: none.
func WithNKey(pub string, sign func(nonce []byte) ([]byte, error)) Option {
	return func(o *options) error {
		if !nkeys.IsValidPublicUserKey(pub) {
			return fmt.Errorf("%w: %q is not a user public nkey", ErrInvalidOption, pub)
		}
		if sign == nil {
			return fmt.Errorf("%w: nil nkey signer", ErrInvalidOption)
		}
		o.auth.nkeyPub, o.auth.sign = pub, sign
		return nil
	}
}

// WithUserJWT authenticates with the user JWT that jwt returns and the
// nonce signature that sign makes, both called at each connect. Default:
// none.
func WithUserJWT(jwt func() (string, error), sign func(nonce []byte) ([]byte, error)) Option {
	return func(o *options) error {
		if jwt == nil || sign == nil {
			return fmt.Errorf("%w: nil user jwt or signer callback", ErrInvalidOption)
		}
		o.auth.jwtFunc, o.auth.sign = jwt, sign
		return nil
	}
}

// WithUserJWTAndSeed authenticates with a user JWT and the user's NKey seed.
// The seed is copied; the copy is wiped when the Conn closes. Default: none.
func WithUserJWTAndSeed(jwt string, seed []byte) Option {
	return func(o *options) error {
		if jwt == "" {
			return fmt.Errorf("%w: empty user jwt", ErrInvalidCredentials)
		}
		if _, err := nkeys.FromSeed(seed); err != nil {
			return fmt.Errorf("%w: user seed: %v", ErrInvalidCredentials, err)
		}
		o.auth.userJWT = jwt
		o.auth.nkeySeed = append([]byte(nil), seed...)
		return nil
	}
}

// WithCredentialsFile authenticates with the user JWT and seed of a .creds
// file, read at each connect (so a rotated file is picked up on reconnect)
// and wiped after signing. Default: none.
func WithCredentialsFile(path string) Option {
	return func(o *options) error {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidCredentials, err)
		}
		defer wipe(data)
		if _, _, err := parseCreds(data); err != nil {
			return err
		}
		o.auth.credsFile = path
		return nil
	}
}

// WithCredentials authenticates with the contents of a .creds file. The
// bytes are copied; the copy is wiped when the Conn closes. Default: none.
func WithCredentials(creds []byte) Option {
	return func(o *options) error {
		if _, _, err := parseCreds(creds); err != nil {
			return err
		}
		o.auth.creds = append([]byte(nil), creds...)
		return nil
	}
}

// authSecrets is what is wiped when the Conn is done: by the reader as it
// exits, since reconnect handshakes on the reader read them, or by Connect
// when it fails.
type authSecrets struct{ a *authOptions }

func (s *authSecrets) wipe() {
	if s.a == nil {
		return
	}
	wipe(s.a.nkeySeed)
	wipe(s.a.creds)
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 'x'
	}
}

func seedFromFile(path string) (nkeys.KeyPair, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidCredentials, err)
	}
	defer wipe(data)
	kp, err := nkeys.ParseDecoratedNKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrInvalidCredentials, path, err)
	}
	return kp, nil
}

// parseCreds returns the JWT and key pair of a .creds file's contents.
func parseCreds(data []byte) (string, nkeys.KeyPair, error) {
	jwt, err := nkeys.ParseDecoratedJWT(data)
	// Without decorations ParseDecoratedJWT hands back the whole input, so
	// check that a JWT's three dot-separated parts are what came back.
	if err != nil || strings.Count(jwt, ".") != 2 || strings.ContainsAny(jwt, " \t\r\n") {
		return "", nil, fmt.Errorf("%w: no user JWT in credentials", ErrInvalidCredentials)
	}
	kp, err := nkeys.ParseDecoratedUserNKey(data)
	if err != nil {
		return "", nil, fmt.Errorf("%w: no user seed in credentials: %v", ErrInvalidCredentials, err)
	}
	return jwt, kp, nil
}

// fillAuth puts the credentials for srv into the CONNECT options, signing
// the server's nonce where a key is involved.
func (c *Conn) fillAuth(co *codec.ConnectOptions, info *codec.ServerInfo, srv *poolServer) error {
	a := &c.opts.auth
	// Credentials in the server's URL (or inherited from the URL a
	// discovered server was learned through) come first, as users expect.
	switch {
	case srv.user != "":
		co.User, co.Pass = srv.user, srv.pass
	case srv.token != "":
		co.AuthToken = srv.token
	case a.user != "":
		co.User, co.Pass = a.user, a.pass
	case a.tokenFunc != nil:
		co.AuthToken = a.tokenFunc()
	case a.token != "":
		co.AuthToken = a.token
	}

	nonce := []byte(info.Nonce)
	var kp nkeys.KeyPair
	switch {
	case a.credsFile != "" || len(a.creds) > 0:
		data := a.creds
		if a.credsFile != "" {
			var err error
			if data, err = os.ReadFile(a.credsFile); err != nil {
				return fmt.Errorf("%w: %v", ErrInvalidCredentials, err)
			}
			defer wipe(data)
		}
		jwt, k, err := parseCreds(data)
		if err != nil {
			return err
		}
		co.JWT, kp = jwt, k
	case a.jwtFunc != nil:
		jwt, err := a.jwtFunc()
		if err != nil {
			return fmt.Errorf("%w: user jwt callback: %v", ErrInvalidCredentials, err)
		}
		co.JWT = jwt
	case a.userJWT != "":
		co.JWT = a.userJWT
	case a.nkeyPub != "":
		co.NKey = a.nkeyPub
	}
	if kp == nil {
		switch {
		case a.nkeySeedFile != "":
			k, err := seedFromFile(a.nkeySeedFile)
			if err != nil {
				return err
			}
			kp = k
		case len(a.nkeySeed) > 0:
			k, err := nkeys.FromSeed(a.nkeySeed)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrInvalidCredentials, err)
			}
			kp = k
		}
	}
	if co.JWT == "" && co.NKey == "" {
		if kp != nil {
			kp.Wipe()
		}
		return nil
	}
	var sig []byte
	var err error
	switch {
	case kp != nil:
		sig, err = kp.Sign(nonce)
		kp.Wipe()
	case a.sign != nil:
		sig, err = a.sign(nonce)
	default:
		return fmt.Errorf("%w: no key to sign the server nonce", ErrInvalidCredentials)
	}
	if err != nil {
		return fmt.Errorf("%w: signing nonce: %v", ErrInvalidCredentials, err)
	}
	co.Sig = base64.RawURLEncoding.EncodeToString(sig)
	return nil
}
