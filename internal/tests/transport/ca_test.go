package transport_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"

	"github.com/starling-nats/starling/transport"
)

// strangerCA is a certificate authority that signed nothing the harness serves: a client
// that trusts only it must refuse every server.
type strangerCA struct{ pool *x509.CertPool }

func newTestCA(t testing.TB) strangerCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "stranger CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return strangerCA{pool: pool}
}

func wsState(t testing.TB, c transport.Conn) transport.WebSocketState {
	t.Helper()
	st, ok := transport.WebSocketConnectionState(c)
	if !ok {
		t.Fatalf("%T is not a WebSocket connection", c)
	}
	return st
}
