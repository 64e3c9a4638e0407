package codec

import "slices"

// ConnectOptions are the fields of CONNECT (protocol-facts §1.4; the server's
// ClientOpts). The json tags match the server's, so ParseConnect and
// encoding/json read what AppendConnect writes.
type ConnectOptions struct {
	// Verbose asks for +OK after every operation. Clients send false.
	Verbose bool `json:"verbose"`
	// Pedantic asks the server for stricter checks (e.g. of publish
	// subjects).
	Pedantic bool `json:"pedantic"`
	// TLSRequired says the client requires TLS.
	TLSRequired bool `json:"tls_required"`
	// AuthToken is the token for token authentication.
	AuthToken string `json:"auth_token,omitempty"`
	// User and Pass are the credentials for user/password authentication.
	User string `json:"user,omitempty"`
	Pass string `json:"pass,omitempty"`
	// Name is the connection name shown by the server's monitoring.
	Name string `json:"name"`
	// Lang and Version identify the client library ("go", "0.1.0").
	Lang    string `json:"lang"`
	Version string `json:"version"`
	// Protocol is 1 for clients that accept asynchronous INFO (cluster
	// discovery, lame duck mode); 0 for the original protocol.
	Protocol int `json:"protocol"`
	// Echo false stops the server delivering the connection's own
	// publishes to its own subscriptions. The server treats an absent echo
	// as true; AppendConnect always writes it.
	Echo bool `json:"echo"`
	// Sig is the signature of the INFO nonce (base64url, no padding).
	Sig string `json:"sig,omitempty"`
	// JWT is the user JWT for decentralized authentication, sent with Sig.
	JWT string `json:"jwt,omitempty"`
	// NKey is the public user NKey for NKey authentication, sent with Sig.
	NKey string `json:"nkey,omitempty"`
	// Headers says the client understands HPUB and HMSG.
	Headers bool `json:"headers"`
	// NoResponders asks for a 503 status message when a request finds no
	// subscriber. The server requires Headers with it.
	NoResponders bool `json:"no_responders"`
}

// AppendConnect appends "CONNECT {json}\r\n". The JSON is written by hand (no
// allocation); empty credential fields are left out, every other field is
// always written, since the server takes a missing verbose, pedantic or echo
// to mean true.
func AppendConnect(dst []byte, o *ConnectOptions) []byte {
	dst = slices.Grow(dst, 192+len(o.AuthToken)+len(o.User)+len(o.Pass)+len(o.Name)+
		len(o.Lang)+len(o.Version)+len(o.Sig)+len(o.JWT)+len(o.NKey))
	dst = append(dst, "CONNECT "...)
	open := len(dst)
	dst = append(dst, '{')
	dst = jsonBool(dst, open, "verbose", o.Verbose, false)
	dst = jsonBool(dst, open, "pedantic", o.Pedantic, false)
	dst = jsonBool(dst, open, "tls_required", o.TLSRequired, false)
	dst = jsonString(dst, open, "auth_token", o.AuthToken, true)
	dst = jsonString(dst, open, "user", o.User, true)
	dst = jsonString(dst, open, "pass", o.Pass, true)
	dst = jsonString(dst, open, "name", o.Name, false)
	dst = jsonString(dst, open, "lang", o.Lang, false)
	dst = jsonString(dst, open, "version", o.Version, false)
	dst = jsonInt(dst, open, "protocol", o.Protocol, false)
	dst = jsonBool(dst, open, "echo", o.Echo, false)
	dst = jsonString(dst, open, "sig", o.Sig, true)
	dst = jsonString(dst, open, "jwt", o.JWT, true)
	dst = jsonString(dst, open, "nkey", o.NKey, true)
	dst = jsonBool(dst, open, "headers", o.Headers, false)
	dst = jsonBool(dst, open, "no_responders", o.NoResponders, false)
	return append(dst, "}\r\n"...)
}

// ParseConnect decodes the JSON of a CONNECT (ClientOp.Text). It uses
// encoding/json and allocates; it is meant for fake servers and tests.
func ParseConnect(b []byte) (*ConnectOptions, error) {
	o := new(ConnectOptions)
	if err := decodeJSON("CONNECT", b, o); err != nil {
		return nil, err
	}
	return o, nil
}
