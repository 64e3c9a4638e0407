package codec

import "slices"

// ServerInfo holds the fields of INFO a client uses (protocol-facts §1.5; the
// client-facing part of the server's Info struct; route, gateway and leaf
// node fields are left out). The json tags and omitempty choices are the
// server's, so what AppendInfo writes is what a server would send. Unknown
// fields are ignored by ParseInfo.
type ServerInfo struct {
	ServerID   string `json:"server_id"`
	ServerName string `json:"server_name"`
	Version    string `json:"version"`
	// Proto is the protocol version; 1 for servers that send asynchronous
	// INFO.
	Proto     int    `json:"proto"`
	GitCommit string `json:"git_commit,omitempty"`
	GoVersion string `json:"go"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	// Headers says the server accepts HPUB and can send HMSG.
	Headers      bool `json:"headers"`
	AuthRequired bool `json:"auth_required,omitempty"`
	TLSRequired  bool `json:"tls_required,omitempty"`
	TLSVerify    bool `json:"tls_verify,omitempty"`
	// TLSAvailable: TLS is configured but optional.
	TLSAvailable bool `json:"tls_available,omitempty"`
	// MaxPayload is the largest message (headers included) the server
	// accepts; feed it to Reader.SetMaxPayload.
	MaxPayload int    `json:"max_payload"`
	JetStream  bool   `json:"jetstream,omitempty"`
	IP         string `json:"ip,omitempty"`
	// ClientID is the server's id for this connection.
	ClientID uint64 `json:"client_id,omitempty"`
	ClientIP string `json:"client_ip,omitempty"`
	// Nonce is the value to sign for NKey and JWT authentication.
	Nonce          string `json:"nonce,omitempty"`
	Cluster        string `json:"cluster,omitempty"`
	ClusterDynamic bool   `json:"cluster_dynamic,omitempty"`
	// Domain is the JetStream domain.
	Domain string `json:"domain,omitempty"`
	// ConnectURLs and WSConnectURLs list the host:port addresses of the
	// cluster's servers for clients and WebSocket clients.
	ConnectURLs   []string `json:"connect_urls,omitempty"`
	WSConnectURLs []string `json:"ws_connect_urls,omitempty"`
	// LameDuckMode: the server is shutting down and will close this
	// connection soon.
	LameDuckMode bool   `json:"ldm,omitempty"`
	Compression  string `json:"compression,omitempty"`
	// ConnectInfo marks the INFO that answers the first PING after CONNECT;
	// it carries RemoteAccount and AccountIsSystem.
	ConnectInfo     bool   `json:"connect_info,omitempty"`
	RemoteAccount   string `json:"remote_account,omitempty"`
	AccountIsSystem bool   `json:"acc_is_sys,omitempty"`
	// APILevel is the JetStream API level the server supports.
	APILevel int `json:"api_lvl,omitempty"`
	// XKey is the server's x25519 public key, used by auth callout.
	XKey string `json:"xkey,omitempty"`
}

// AppendInfo appends "INFO {json}\r\n" in the server's field order. The JSON
// is written by hand, without allocating.
func AppendInfo(dst []byte, info *ServerInfo) []byte {
	n := 512 + len(info.ServerID) + len(info.ServerName) + len(info.Version) + len(info.GitCommit) +
		len(info.GoVersion) + len(info.Host) + len(info.IP) + len(info.ClientIP) + len(info.Nonce) +
		len(info.Cluster) + len(info.Domain) + len(info.Compression) + len(info.RemoteAccount) + len(info.XKey)
	for _, u := range info.ConnectURLs {
		n += len(u) + 3
	}
	for _, u := range info.WSConnectURLs {
		n += len(u) + 3
	}
	dst = slices.Grow(dst, n)
	dst = append(dst, "INFO "...)
	open := len(dst)
	dst = append(dst, '{')
	dst = jsonString(dst, open, "server_id", info.ServerID, false)
	dst = jsonString(dst, open, "server_name", info.ServerName, false)
	dst = jsonString(dst, open, "version", info.Version, false)
	dst = jsonInt(dst, open, "proto", info.Proto, false)
	dst = jsonString(dst, open, "git_commit", info.GitCommit, true)
	dst = jsonString(dst, open, "go", info.GoVersion, false)
	dst = jsonString(dst, open, "host", info.Host, false)
	dst = jsonInt(dst, open, "port", info.Port, false)
	dst = jsonBool(dst, open, "headers", info.Headers, false)
	dst = jsonBool(dst, open, "auth_required", info.AuthRequired, true)
	dst = jsonBool(dst, open, "tls_required", info.TLSRequired, true)
	dst = jsonBool(dst, open, "tls_verify", info.TLSVerify, true)
	dst = jsonBool(dst, open, "tls_available", info.TLSAvailable, true)
	dst = jsonInt(dst, open, "max_payload", info.MaxPayload, false)
	dst = jsonBool(dst, open, "jetstream", info.JetStream, true)
	dst = jsonString(dst, open, "ip", info.IP, true)
	dst = jsonUint(dst, open, "client_id", info.ClientID, true)
	dst = jsonString(dst, open, "client_ip", info.ClientIP, true)
	dst = jsonString(dst, open, "nonce", info.Nonce, true)
	dst = jsonString(dst, open, "cluster", info.Cluster, true)
	dst = jsonBool(dst, open, "cluster_dynamic", info.ClusterDynamic, true)
	dst = jsonString(dst, open, "domain", info.Domain, true)
	dst = jsonStrings(dst, open, "connect_urls", info.ConnectURLs)
	dst = jsonStrings(dst, open, "ws_connect_urls", info.WSConnectURLs)
	dst = jsonBool(dst, open, "ldm", info.LameDuckMode, true)
	dst = jsonString(dst, open, "compression", info.Compression, true)
	dst = jsonBool(dst, open, "connect_info", info.ConnectInfo, true)
	dst = jsonString(dst, open, "remote_account", info.RemoteAccount, true)
	dst = jsonBool(dst, open, "acc_is_sys", info.AccountIsSystem, true)
	dst = jsonInt(dst, open, "api_lvl", info.APILevel, true)
	dst = jsonString(dst, open, "xkey", info.XKey, true)
	return append(dst, "}\r\n"...)
}

// ParseInfo decodes the JSON of an INFO (Op.Text) with encoding/json (INFO is
// rare: once per connection and on cluster changes). Errors are
// *ProtocolError wrapping ErrMalformed.
func ParseInfo(b []byte) (*ServerInfo, error) {
	info := new(ServerInfo)
	if err := decodeJSON("INFO", b, info); err != nil {
		return nil, err
	}
	return info, nil
}
