package js_test

import (
	"context"
	"testing"
	"time"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// BenchmarkPublish is a sync publish of 16 bytes to a file stream (server
// in its own process, so the allocations are the client's).
func BenchmarkPublish(b *testing.B) {
	_, _, j := newJS(b, harness.WithProcess())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := j.CreateStream(ctx, js.StreamConfig{Name: "B", Subjects: []string{"b"}}); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := j.Publish(ctx, "b", data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishAsync is an async publish of 16 bytes to a file stream,
// with the default window.
func BenchmarkPublishAsync(b *testing.B) {
	_, _, j := newJS(b, harness.WithProcess())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := j.CreateStream(ctx, js.StreamConfig{Name: "B", Subjects: []string{"b"}}); err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 16)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := j.PublishAsync(ctx, "b", data); err != nil {
			b.Fatal(err)
		}
	}
	if err := j.PublishAsyncComplete(ctx); err != nil {
		b.Fatal(err)
	}
}
