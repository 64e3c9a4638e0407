package svc_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/svc"
)

// ADR-32 §naming: the name and version are checked before anything is
// subscribed, and a refused configuration leaves no subscription behind.
func TestAddValidation(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	cases := []struct {
		name  string
		cfg   svc.Config
		field string
	}{
		{"empty name", svc.Config{Version: "1.0.0"}, "name"},
		{"name with dot", svc.Config{Name: "a.b", Version: "1.0.0"}, "name"},
		{"name with space", svc.Config{Name: "a b", Version: "1.0.0"}, "name"},
		{"empty version", svc.Config{Name: "a"}, "version"},
		{"not semver", svc.Config{Name: "a", Version: "1.0"}, "version"},
		{"leading zero", svc.Config{Name: "a", Version: "01.0.0"}, "version"},
		{"v prefix", svc.Config{Name: "a", Version: "v1.0.0"}, "version"},
		{"queue with space", svc.Config{Name: "a", Version: "1.0.0", QueueGroup: "a b"}, "queue group"},
		{"prefix wildcard", svc.Config{Name: "a", Version: "1.0.0", Prefix: "$X.*"}, "prefix"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := svc.Add(nc, c.cfg)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, svc.ErrInvalidConfig)
			var ce *svc.ConfigError
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, c.field, ce.Field)
			assert.Zero(t, nc.NumSubscriptions(), "a refused service subscribed")
		})
	}
}

func TestAddEndpointValidation(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "v", Version: "1.0.0"})
	before := nc.NumSubscriptions()
	h := svc.HandlerFunc(echo)
	cases := []struct {
		name  string
		add   func() error
		field string
	}{
		{"empty name", func() error { _, err := srv.AddEndpoint("", h); return err }, "endpoint name"},
		{"name with dot", func() error { _, err := srv.AddEndpoint("a.b", h); return err }, "endpoint name"},
		{"nil handler", func() error { _, err := srv.AddEndpoint("a", nil); return err }, "handler"},
		{"subject with space", func() error { _, err := srv.AddEndpoint("a", h, svc.WithSubject("a b")); return err }, "endpoint subject"},
		{"> not last", func() error { _, err := srv.AddEndpoint("a", h, svc.WithSubject("a.>.b")); return err }, "endpoint subject"},
		{"empty token", func() error { _, err := srv.AddEndpoint("a", h, svc.WithSubject("a..b")); return err }, "endpoint subject"},
		{"discovery prefix", func() error { _, err := srv.AddEndpoint("a", h, svc.WithSubject("$SRV.PING")); return err }, "endpoint subject"},
		{"bad queue", func() error { _, err := srv.AddEndpoint("a", h, svc.QueueGroup("x y")); return err }, "queue group"},
		{"group with >", func() error { _, err := srv.AddGroup("a.>"); return err }, "group"},
		{"group with space", func() error { _, err := srv.AddGroup("a b"); return err }, "group"},
		{"group subject option", func() error { _, err := srv.AddGroup("g", svc.WithSubject("x")); return err }, "group option"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.add()
			require.ErrorIs(t, err, svc.ErrInvalidConfig)
			var ce *svc.ConfigError
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, c.field, ce.Field)
			assert.Equal(t, before, nc.NumSubscriptions())
		})
	}
	assert.Empty(t, srv.Endpoints())
}

// ADR-32: nine plain subscriptions per instance, made by Add.
func TestAddSubscribesDiscovery(t *testing.T) {
	s := harness.RunServer(t)
	nc := connect(t, s.ClientURL())
	srv := addService(t, nc, svc.Config{Name: "disc", Version: "1.0.0"})
	assert.Equal(t, 9, nc.NumSubscriptions())
	assert.Len(t, srv.ID(), 22, "a NUID is 22 characters")
	other := addService(t, nc, svc.Config{Name: "disc", Version: "1.0.0"})
	assert.NotEqual(t, srv.ID(), other.ID())
}
