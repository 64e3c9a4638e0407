package harness

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// TLSMaterial is the certificate authority and the certificates the harness generated
// for a server (and shared by the nodes of a cluster). The server certificate is valid
// for 127.0.0.1, ::1 and localhost; the client certificate is signed by the same CA and
// is what a server started with TLSVerifyClients accepts. All files live in the server's
// temporary directory. Treat the fields as read-only.
type TLSMaterial struct {
	// CAPool holds the CA certificate, for tls.Config.RootCAs (or ClientCAs).
	CAPool *x509.CertPool
	// CAPEM is the CA certificate in PEM, CAFile its path.
	CAPEM  []byte
	CAFile string

	// ServerCertFile and ServerKeyFile hold the server's certificate and key in PEM.
	ServerCertFile string
	ServerKeyFile  string

	// ClientCert is the client certificate with its key, ready for
	// tls.Config.Certificates; ClientCertPEM/ClientKeyPEM and the files hold the same.
	ClientCert     tls.Certificate
	ClientCertPEM  []byte
	ClientKeyPEM   []byte
	ClientCertFile string
	ClientKeyFile  string
}

// ClientConfig returns a new tls.Config that trusts the CA and presents the client
// certificate. ServerName is left empty: set it (for example to "127.0.0.1" or
// "localhost") when the TLS library does not derive it from the address dialed.
func (m *TLSMaterial) ClientConfig() *tls.Config {
	return &tls.Config{
		RootCAs:      m.CAPool,
		Certificates: []tls.Certificate{m.ClientCert},
		MinVersion:   tls.VersionTLS12,
	}
}

// certValidity is long enough for any test run, short enough to never be mistaken for
// a real certificate.
const certValidity = 24 * time.Hour

// newTLSMaterial generates an ECDSA P-256 CA, server and client certificate into dir.
func newTLSMaterial(dir string) (*TLSMaterial, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("harness: tls: %w", err)
	}
	now := time.Now().Add(-time.Minute) // tolerate small clock skew between steps
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "starling harness CA", Organization: []string{"starling harness"}},
		NotBefore:             now,
		NotAfter:              now.Add(certValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("harness: tls: ca: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("harness: tls: ca: %w", err)
	}

	leaf := func(cn string, usage x509.ExtKeyUsage, ips []net.IP, dns []string) (certPEM, keyPEM []byte, err error) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber: serial(),
			Subject:      pkix.Name{CommonName: cn, Organization: []string{"starling harness"}},
			NotBefore:    now,
			NotAfter:     now.Add(certValidity),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
			DNSNames:     dns,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return nil, nil, err
		}
		kder, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			return nil, nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
	}

	srvCert, srvKey, err := leaf("localhost", x509.ExtKeyUsageServerAuth,
		[]net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, []string{"localhost"})
	if err != nil {
		return nil, fmt.Errorf("harness: tls: server certificate: %w", err)
	}
	cliCert, cliKey, err := leaf("starling harness client", x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("harness: tls: client certificate: %w", err)
	}
	pair, err := tls.X509KeyPair(cliCert, cliKey)
	if err != nil {
		return nil, fmt.Errorf("harness: tls: client certificate: %w", err)
	}

	m := &TLSMaterial{
		CAPool:         x509.NewCertPool(),
		CAPEM:          pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		CAFile:         filepath.Join(dir, "ca.pem"),
		ServerCertFile: filepath.Join(dir, "server-cert.pem"),
		ServerKeyFile:  filepath.Join(dir, "server-key.pem"),
		ClientCert:     pair,
		ClientCertPEM:  cliCert,
		ClientKeyPEM:   cliKey,
		ClientCertFile: filepath.Join(dir, "client-cert.pem"),
		ClientKeyFile:  filepath.Join(dir, "client-key.pem"),
	}
	m.CAPool.AddCert(caCert)
	for path, data := range map[string][]byte{
		m.CAFile: m.CAPEM, m.ServerCertFile: srvCert, m.ServerKeyFile: srvKey,
		m.ClientCertFile: cliCert, m.ClientKeyFile: cliKey,
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, fmt.Errorf("harness: tls: %w", err)
		}
	}
	return m, nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		// crypto/rand does not fail on supported platforms; a fixed serial is still valid.
		return big.NewInt(1)
	}
	return n.Add(n, big.NewInt(1))
}
