package harness_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/starling-nats/starling/harness"
)

// A program (or a TestMain) starts a server with Start and stops it with Stop. Tests
// use RunServer, which stops the server by itself.
func Example() {
	s, err := harness.Start(harness.WithJetStream(), harness.WithName("example"))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Stop()

	// Any NATS client connects to s.ClientURL(); here, a raw connection reads INFO.
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	info, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(strings.HasPrefix(info, "INFO "), strings.Contains(info, `"server_name":"example"`))
	// Output: true true
}

// In a test of another repository, after `go get github.com/starling-nats/starling`.
func ExampleRunServer() {
	testOrders := func(t *testing.T) {
		s := harness.RunServer(t, harness.WithJetStream(), harness.WithUser("app", "s3cret"))
		url := s.ClientURL() // connect your client here, as user "app"
		_ = url

		s.Restart() // same port, same JetStream store: clients reconnect and find their data
	}
	_ = testOrders
}

// Partition a client from its server with a proxy.
func ExampleNewProxy() {
	testPartition := func(t *testing.T) {
		s := harness.RunServer(t)
		p := harness.NewProxy(t, s.Addr())
		url := p.URL() // the client connects through the proxy
		_ = url

		p.Blackhole() // nothing gets through, links stay open: the client must notice
		time.Sleep(time.Second)
		p.Heal()
	}
	_ = testPartition
}

// A three-node JetStream cluster; one node goes down and comes back.
func ExampleRunCluster() {
	testFailover := func(t *testing.T) {
		c := harness.RunCluster(t, 3, harness.WithJetStream())
		urls := c.ClientURLs() // give the client all three
		_ = urls

		c.StopNode(0)
		c.RestartNode(0)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := c.WaitJetStreamReady(ctx); err != nil {
			t.Fatal(err)
		}
	}
	_ = testFailover
}

// Process mode: crash the server for real, or freeze it.
func ExampleWithProcess() {
	testCrash := func(t *testing.T) {
		s := harness.RunServer(t, harness.WithProcess(), harness.WithJetStream())
		s.Kill() // SIGKILL: no goodbye to clients
		s.Restart()
		s.Freeze() // SIGSTOP: connections stay open, nothing answers
		s.Thaw()
	}
	_ = testCrash
}

// Operator mode: connect with the .creds file, mint users, revoke one.
func ExampleWithOperator() {
	testRevoke := func(t *testing.T) {
		s := harness.RunServer(t, harness.WithOperator())
		creds := s.CredsFile() // the default user's JWT and seed
		_ = creds
		u, err := s.Operator().NewUser("mallory")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Operator().RevokeUser(u.PublicKey); err != nil {
			t.Fatal(err)
		}
		if err := s.Reload(); err != nil { // the server now closes and refuses mallory
			t.Fatal(err)
		}
	}
	_ = testRevoke
}
