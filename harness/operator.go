package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// Operator is the generated identity of a server in operator (JWT) mode (WithOperator):
// an operator, a system account, one account (JetStream enabled, no limits) and the
// users minted for it. The nodes of a cluster share one Operator. It is safe for
// concurrent use.
type Operator struct {
	dir string

	mu        sync.Mutex
	opKP      nkeys.KeyPair
	sysKP     nkeys.KeyPair
	accKP     nkeys.KeyPair
	opJWT     string
	sysJWT    string
	acc       *jwt.AccountClaims
	accJWT    string
	users     int
	firstUser *User
}

// User is a user minted by Operator.NewUser. Seed is the user's NKey seed; CredsFile
// is the .creds file (JWT and seed) written for it.
type User struct {
	Name      string
	PublicKey string
	JWT       string
	Seed      []byte
	CredsFile string
}

func newOperator(dir string) (*Operator, error) {
	o := &Operator{dir: dir}
	var err error
	if o.opKP, err = nkeys.CreateOperator(); err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	if o.sysKP, err = nkeys.CreateAccount(); err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	if o.accKP, err = nkeys.CreateAccount(); err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	opPub, _ := o.opKP.PublicKey()
	sysPub, _ := o.sysKP.PublicKey()
	accPub, _ := o.accKP.PublicKey()

	oc := jwt.NewOperatorClaims(opPub)
	oc.Name = "starling-harness"
	oc.SystemAccount = sysPub
	if o.opJWT, err = oc.Encode(o.opKP); err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	sc := jwt.NewAccountClaims(sysPub)
	sc.Name = "SYS"
	if o.sysJWT, err = sc.Encode(o.opKP); err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	o.acc = jwt.NewAccountClaims(accPub)
	o.acc.Name = "APP"
	o.acc.Limits.JetStreamLimits = jwt.JetStreamLimits{
		MemoryStorage: jwt.NoLimit, DiskStorage: jwt.NoLimit, Streams: jwt.NoLimit, Consumer: jwt.NoLimit,
	}
	if o.accJWT, err = o.acc.Encode(o.opKP); err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	if err := os.WriteFile(o.operatorFile(), []byte(o.opJWT), 0o600); err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	if o.firstUser, err = o.NewUser("user"); err != nil {
		return nil, err
	}
	return o, nil
}

func (o *Operator) operatorFile() string { return filepath.Join(o.dir, "operator.jwt") }

// OperatorPublicKey returns the operator's public NKey.
func (o *Operator) OperatorPublicKey() string { k, _ := o.opKP.PublicKey(); return k }

// AccountPublicKey returns the public NKey of the account users belong to.
func (o *Operator) AccountPublicKey() string { k, _ := o.accKP.PublicKey(); return k }

// SystemAccountPublicKey returns the public NKey of the system account.
func (o *Operator) SystemAccountPublicKey() string { k, _ := o.sysKP.PublicKey(); return k }

// DefaultUser returns the user generated with the operator (Server.CredsFile is its
// .creds file).
func (o *Operator) DefaultUser() *User { return o.firstUser }

// NewUser mints a user of the account and writes its .creds file. The server accepts it
// at once: no reload is needed.
func (o *Operator) NewUser(name string) (*User, error) {
	ukp, err := nkeys.CreateUser()
	if err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	pub, _ := ukp.PublicKey()
	seed, _ := ukp.Seed()
	uc := jwt.NewUserClaims(pub)
	uc.Name = name
	o.mu.Lock()
	defer o.mu.Unlock()
	ujwt, err := uc.Encode(o.accKP)
	if err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	creds, err := jwt.FormatUserConfig(ujwt, seed)
	if err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	o.users++
	file := filepath.Join(o.dir, fmt.Sprintf("user-%d-%s.creds", o.users, sanitize(name)))
	if err := os.WriteFile(file, creds, 0o600); err != nil {
		return nil, fmt.Errorf("harness: operator: %w", err)
	}
	return &User{Name: name, PublicKey: pub, JWT: ujwt, Seed: seed, CredsFile: file}, nil
}

// RevokeUser revokes every JWT issued so far to the user with this public key by
// re-signing the account with a revocation. It takes effect on a server when its
// configuration is reloaded (Server.Reload, Cluster.Reload): the server then closes the
// user's connections and refuses new ones.
func (o *Operator) RevokeUser(publicKey string) error {
	if !nkeys.IsValidPublicUserKey(publicKey) {
		return fmt.Errorf("harness: operator: %q is not a user public key", publicKey)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	// Revocation covers JWTs issued at or before the time; a second ahead covers a user
	// minted in the current second too.
	o.acc.RevokeAt(publicKey, time.Now().Add(time.Second))
	accJWT, err := o.acc.Encode(o.opKP)
	if err != nil {
		return fmt.Errorf("harness: operator: %w", err)
	}
	o.accJWT = accJWT
	return nil
}

// render writes the operator-mode part of a server configuration.
func (o *Operator) render(b *strings.Builder) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintf(b, "operator: %s\n", quote(o.operatorFile()))
	fmt.Fprintf(b, "system_account: %s\n", o.SystemAccountPublicKey())
	b.WriteString("resolver: MEMORY\nresolver_preload: {\n")
	fmt.Fprintf(b, "  %s: %s\n", o.SystemAccountPublicKey(), quote(o.sysJWT))
	fmt.Fprintf(b, "  %s: %s\n", o.AccountPublicKey(), quote(o.accJWT))
	b.WriteString("}\n")
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, s)
}
