package core

import "github.com/starling-nats/starling/transport"

// webSocketOptions translates the WebSocket options for transport.
// TODO(lead): wire headers, compression and path once transport's WebSocket lands.
func webSocketOptions(o *options) []transport.WebSocketOption {
	return nil
}
