package interop

import (
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
)

// Subjects both clients must agree on: UTF-8 tokens, characters other
// clients treat specially, and a long subject of many tokens; each crosses
// in both directions, as subject and as reply.
func TestSubjectsBothWays(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL())
	nc := connectNats(t, s.ClientURL())

	long := "long." + strings.TrimSuffix(strings.Repeat("token.", 120), ".")
	subjects := []string{
		"uni.café.✓",
		"odd.$SYS-like.foo*bar.a>b.%41",
		long,
	}
	for _, subj := range subjects {
		_, sin := subscribeStarling(t, sc, starlingBorrowed, subj)
		_, nin := subscribeNats(t, nc, natsAsync, subj, "")
		flushStarling(t, sc)
		flushNats(t, nc)

		require.NoError(t, nc.PublishRequest(subj, subj+".reply", []byte("n")))
		require.NoError(t, sc.PublishRequest(subj, subj+".reply", []byte("s")))
		flushNats(t, nc)
		flushStarling(t, sc)
		for _, in := range []*inbox{sin, nin} {
			var data []string
			for range 2 {
				g := in.next(t, subj)
				assert.Equal(t, subj, g.Subject)
				assert.Equal(t, subj+".reply", g.Reply)
				data = append(data, string(g.Data))
			}
			assert.ElementsMatch(t, []string{"n", "s"}, data)
		}
	}
}

// With no-echo, each client stops receiving its own messages and only
// those: what the other client publishes still arrives.
func TestNoEchoBothWays(t *testing.T) {
	t.Parallel()
	s := harness.RunServer(t)
	sc := connectStarling(t, s.ClientURL(), core.WithNoEcho())
	nc := connectNats(t, s.ClientURL(), nats.NoEcho())

	_, sin := subscribeStarling(t, sc, starlingOwned, "echo.test")
	_, nin := subscribeNats(t, nc, natsAsync, "echo.test", "")
	flushStarling(t, sc)
	flushNats(t, nc)
	require.NoError(t, sc.Publish("echo.test", []byte("from starling")))
	require.NoError(t, nc.Publish("echo.test", []byte("from nats.go")))
	flushStarling(t, sc)
	flushNats(t, nc)
	assert.Equal(t, "from nats.go", string(sin.next(t, "starling").Data))
	assert.Equal(t, "from starling", string(nin.next(t, "nats.go").Data))
	flushStarling(t, sc)
	flushNats(t, nc)
	sin.empty(t, "starling with no-echo")
	nin.empty(t, "nats.go with no-echo")
}
