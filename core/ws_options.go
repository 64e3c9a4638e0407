package core

import "github.com/starling-nats/starling/transport"

// webSocketOptions translates the Conn's WebSocket options for transport's
// dialer.
func webSocketOptions(o *options) []transport.WebSocketOption {
	var ws []transport.WebSocketOption
	if len(o.ws.headers) > 0 {
		ws = append(ws, transport.WebSocketHeaders(o.ws.headers))
	}
	if o.ws.compression {
		ws = append(ws, transport.WebSocketCompression(true))
	}
	if o.ws.path != "" {
		ws = append(ws, transport.WebSocketPath(o.ws.path))
	}
	return ws
}
