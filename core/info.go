package core

import (
	"crypto/tls"
	"slices"

	"github.com/starling-nats/starling/codec"
	"github.com/starling-nats/starling/transport"
)

// ServerInfo returns a copy of the connected server's latest INFO, or nil
// between sessions. The copy is the caller's: it shares nothing with the
// Conn.
func (c *Conn) ServerInfo() *codec.ServerInfo {
	s := c.sess.Load()
	if s == nil {
		return nil
	}
	info := *s.info.Load()
	// The slices too: the caller may change the copy, and the live INFO
	// is read by the reader.
	info.ConnectURLs = slices.Clone(info.ConnectURLs)
	info.WSConnectURLs = slices.Clone(info.WSConnectURLs)
	return &info
}

func (c *Conn) info() *codec.ServerInfo {
	if s := c.sess.Load(); s != nil {
		return s.info.Load()
	}
	return nil
}

// ConnectedURL returns the URL of the connected server without
// credentials, or "" between sessions.
func (c *Conn) ConnectedURL() string {
	if s := c.sess.Load(); s != nil {
		return s.server.url
	}
	return ""
}

// ServerID returns the connected server's id, or "".
func (c *Conn) ServerID() string {
	if i := c.info(); i != nil {
		return i.ServerID
	}
	return ""
}

// ServerName returns the connected server's name, or "".
func (c *Conn) ServerName() string {
	if i := c.info(); i != nil {
		return i.ServerName
	}
	return ""
}

// ServerVersion returns the connected server's version, or "".
func (c *Conn) ServerVersion() string {
	if i := c.info(); i != nil {
		return i.Version
	}
	return ""
}

// ClusterName returns the connected server's cluster, or "".
func (c *Conn) ClusterName() string {
	if i := c.info(); i != nil {
		return i.Cluster
	}
	return ""
}

// MaxPayload returns the largest message (header and data) the connected
// server accepts.
func (c *Conn) MaxPayload() int64 { return c.maxPayload.Load() }

// HeadersSupported reports whether the server accepts headers.
func (c *Conn) HeadersSupported() bool { return c.headers.Load() }

// TLSConnectionState returns the TLS state of the current session, if it
// runs TLS.
func (c *Conn) TLSConnectionState() (tls.ConnectionState, bool) {
	s := c.sess.Load()
	if s == nil {
		return tls.ConnectionState{}, false
	}
	return transport.TLSConnectionState(s.conn)
}
