package svc_test

import (
	"context"
	"fmt"
	"log"
	"strings"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/svc"
)

// exampleConn starts a throwaway nats-server and connects to it; a real
// program connects to its own servers instead.
func exampleConn() (*core.Conn, func()) {
	s, err := harness.Start()
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	return nc, func() { nc.Close(); s.Stop() }
}

func ExampleAdd() {
	nc, cleanup := exampleConn()
	defer cleanup()

	srv, err := svc.Add(nc, svc.Config{
		Name:        "greeter",
		Version:     "1.0.0",
		Description: "says hello",
		Metadata:    map[string]string{"team": "edge"},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	defer srv.Stop(ctx)

	// Endpoints join queue group "q": start more instances to share the load.
	_, err = srv.AddEndpoint("hello", svc.HandlerFunc(func(r *svc.Request) {
		_ = r.Respond([]byte("hello, " + string(r.Data())))
	}))
	if err != nil {
		log.Fatal(err)
	}
	reply, err := nc.Request(ctx, "hello", []byte("world"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply.Data))

	// Bad configurations are refused before anything is subscribed.
	_, err = svc.Add(nc, svc.Config{Name: "greeter", Version: "one"})
	fmt.Println(err)
	// Output:
	// hello, world
	// svc: invalid version "one": must be a semantic version such as 1.0.0
}

func ExampleService_AddGroup() {
	nc, cleanup := exampleConn()
	defer cleanup()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	srv, err := svc.Add(nc, svc.Config{Name: "text", Version: "1.0.0"})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop(ctx)

	// Endpoints of the group answer on "text.<subject>"; the group may set
	// their queue group (or turn it off with NoQueueGroup).
	g, err := srv.AddGroup("text", svc.QueueGroup("text-workers"))
	if err != nil {
		log.Fatal(err)
	}
	_, _ = g.AddEndpoint("upper", svc.HandlerFunc(func(r *svc.Request) {
		_ = r.Respond([]byte(strings.ToUpper(string(r.Data()))))
	}))
	_, _ = g.AddEndpoint("lower", svc.HandlerFunc(func(r *svc.Request) {
		_ = r.Respond([]byte(strings.ToLower(string(r.Data()))))
	}))
	for _, e := range srv.Endpoints() {
		fmt.Println(e.Name(), e.Subject(), e.QueueGroup())
	}
	reply, _ := nc.Request(ctx, "text.upper", []byte("Shout"))
	fmt.Println(string(reply.Data))
	// Output:
	// upper text.upper text-workers
	// lower text.lower text-workers
	// SHOUT
}

// divide is a Handler that validates its input and answers errors with a
// code and a description, which requesters read with svc.ResponseError.
type divide struct{}

func (divide) Handle(r *svc.Request) {
	var a, b int
	if _, err := fmt.Sscan(string(r.Data()), &a, &b); err != nil {
		_ = r.Error(400, "want two integers", nil)
		return
	}
	if b == 0 {
		_ = r.Error(422, "division by zero", nil)
		return
	}
	_ = r.RespondJSON(map[string]int{"quotient": a / b, "remainder": a % b})
}

func ExampleHandler() {
	nc, cleanup := exampleConn()
	defer cleanup()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	srv, err := svc.Add(nc, svc.Config{Name: "math", Version: "1.0.0"})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop(ctx)
	if _, err := srv.AddEndpoint("divide", divide{}); err != nil {
		log.Fatal(err)
	}
	for _, in := range []string{"7 2", "1 0", "x"} {
		reply, err := nc.Request(ctx, "divide", []byte(in))
		if err != nil {
			log.Fatal(err)
		}
		if err := svc.ResponseError(reply); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(string(reply.Data))
	}
	fmt.Println(srv.Stats().Endpoints[0].NumErrors, "errors")
	// Output:
	// {"quotient":3,"remainder":1}
	// svc: service error 422: division by zero
	// svc: service error 400: want two integers
	// 2 errors
}

func ExamplePing() {
	nc, cleanup := exampleConn()
	defer cleanup()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	for range 2 {
		srv, err := svc.Add(nc, svc.Config{Name: "pinged", Version: "2.0.0"})
		if err != nil {
			log.Fatal(err)
		}
		defer srv.Stop(ctx)
	}
	// Every instance that answers is yielded; "" asks all services, a name
	// one service, a name and an id one instance.
	n := 0
	for p, err := range svc.Ping(ctx, nc, "pinged", "") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(p.Name, p.Version)
		n++
	}
	fmt.Println(n, "instances")
	// Output:
	// pinged 2.0.0
	// pinged 2.0.0
	// 2 instances
}
