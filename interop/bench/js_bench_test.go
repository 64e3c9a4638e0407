package main

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
)

// The JetStream rows of docs/perf.md: Starling's js beside nats.go's
// jetstream against one nats-server process (so the CPU read with
// getrusage is the client's alone), 16 B messages into a file stream. The
// variants are sub-benchmarks of one function, so -count alternates them:
//
//	cd interop && go test ./bench -run '^$' -bench JetStream -benchtime 20000x -count 5
//
// Metrics beside ns/op and allocs/op: cpu-ns/msg (client CPU per message)
// and msgs/s for async publish; p50-µs for sync publish.

// jsClient is one contestant: a way to publish async (returning once all
// are acknowledged) and sync.
type jsClient interface {
	createStream(ctx context.Context, name, subject string) error
	deleteStream(ctx context.Context, name string) error
	publishAsync(ctx context.Context, subject string, data []byte, n int) error
	publish(ctx context.Context, subject string, data []byte) error
	close()
}

func BenchmarkJetStreamPublishAsync16B(b *testing.B) {
	runJS(b, func(b *testing.B, c jsClient, subject string) {
		ctx := context.Background()
		data := make([]byte, 16)
		b.ReportAllocs()
		cpu0, t0 := processCPU(), time.Now()
		b.ResetTimer()
		if err := c.publishAsync(ctx, subject, data, b.N); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		wall, cpu := time.Since(t0), processCPU()-cpu0
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
		b.ReportMetric(float64(b.N)/wall.Seconds(), "msgs/s")
	})
}

func BenchmarkJetStreamPublishSync16B(b *testing.B) {
	runJS(b, func(b *testing.B, c jsClient, subject string) {
		ctx := context.Background()
		data := make([]byte, 16)
		lat := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		cpu0 := processCPU()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			if err := c.publish(ctx, subject, data); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
		b.StopTimer()
		cpu := processCPU() - cpu0
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
	})
}

// runJS starts one server process and runs body for Starling, then
// nats.go, each on a fresh file stream of its own.
func runJS(b *testing.B, body func(b *testing.B, c jsClient, subject string)) {
	s, err := harness.Start(harness.WithProcess(), harness.WithJetStream(), harness.WithName("jsbench"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Stop()
	for _, v := range []struct {
		name string
		open func(url string) (jsClient, error)
	}{
		{"starling", openStarlingJS},
		{"nats.go", openNatsJS},
	} {
		b.Run(v.name, func(b *testing.B) {
			c, err := v.open(s.ClientURL())
			if err != nil {
				b.Fatal(err)
			}
			defer c.close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			name := "JSB" + strconv.Itoa(b.N)
			if err := c.createStream(ctx, name, "jsb."+name); err != nil {
				b.Fatal(err)
			}
			defer func() { _ = c.deleteStream(ctx, name) }()
			body(b, c, "jsb."+name)
		})
	}
}

type starlingJS struct {
	nc *core.Conn
	j  *js.JetStream
}

func openStarlingJS(url string) (jsClient, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	j, err := js.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &starlingJS{nc, j}, nil
}

func (c *starlingJS) createStream(ctx context.Context, name, subject string) error {
	_, err := c.j.CreateStream(ctx, js.StreamConfig{Name: name, Subjects: []string{subject}, Storage: js.FileStorage})
	return err
}

func (c *starlingJS) deleteStream(ctx context.Context, name string) error {
	return c.j.DeleteStream(ctx, name)
}

func (c *starlingJS) publishAsync(ctx context.Context, subject string, data []byte, n int) error {
	for i := 0; i < n; i++ {
		if _, err := c.j.PublishAsync(ctx, subject, data); err != nil {
			return err
		}
	}
	return c.j.PublishAsyncComplete(ctx)
}

func (c *starlingJS) publish(ctx context.Context, subject string, data []byte) error {
	_, err := c.j.Publish(ctx, subject, data)
	return err
}

func (c *starlingJS) close() { c.j.Close(); c.nc.Close() }

type natsJS struct {
	nc *nats.Conn
	j  jetstream.JetStream
}

func openNatsJS(url string) (jsClient, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, err
	}
	j, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, err
	}
	return &natsJS{nc, j}, nil
}

func (c *natsJS) createStream(ctx context.Context, name, subject string) error {
	_, err := c.j.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Storage: jetstream.FileStorage})
	return err
}

func (c *natsJS) deleteStream(ctx context.Context, name string) error {
	return c.j.DeleteStream(ctx, name)
}

func (c *natsJS) publishAsync(ctx context.Context, subject string, data []byte, n int) error {
	for i := 0; i < n; i++ {
		if _, err := c.j.PublishAsync(subject, data); err != nil {
			return err
		}
	}
	select {
	case <-c.j.PublishAsyncComplete():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *natsJS) publish(ctx context.Context, subject string, data []byte) error {
	_, err := c.j.Publish(ctx, subject, data)
	return err
}

func (c *natsJS) close() { c.nc.Close() }
