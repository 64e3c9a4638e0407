module github.com/starling-nats/starling/codec

go 1.26.0
