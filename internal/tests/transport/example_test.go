package transport_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
	"time"

	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/transport"
)

func ExampleParseAddr() {
	for _, s := range []string{
		"nats://alice:s3cret@demo.nats.io",
		"tls://token@[::1]:4443",
		"wss://example.com/nats",
		"127.0.0.1:4333",
	} {
		a, err := transport.ParseAddr(s)
		if err != nil {
			log.Fatal(err)
		}
		// The credentials are the caller's, and never printed.
		fmt.Println(a, a.User, a.Password != "", a.Token != "", a.IsWebSocket(), a.WantsTLS())
	}
	_, err := transport.ParseAddr("http://alice:s3cret@host")
	fmt.Println(err, errors.Is(err, transport.ErrUnsupportedScheme))
	// Output:
	// nats://demo.nats.io:4222 alice true false false false
	// tls://[::1]:4443  false true false true
	// wss://example.com:443/nats  false false true true
	// nats://127.0.0.1:4333  false false false false
	// transport: invalid address "http://redacted@host": unsupported scheme "http" (want nats, tls, ws or wss) true
}

// readLine reads one protocol line; a helper of these examples, which speak NATS by
// hand because transport knows no NATS ops.
func readLine(c transport.Conn, r *bufio.Reader) string {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := r.ReadString('\n')
	if err != nil {
		log.Fatal(err)
	}
	return strings.TrimSpace(l)
}

func ExampleNetDialer_Dial() {
	srv, err := harness.Start(harness.WithWebSocket())
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	d := transport.NewDialer(transport.WithKeepAlive(30 * time.Second))
	for _, url := range []string{srv.ClientURL(), srv.WebSocketURL()} {
		addr, err := transport.ParseAddr(url)
		if err != nil {
			log.Fatal(err)
		}
		c, err := d.Dial(ctx, addr)
		if err != nil {
			log.Fatal(err)
		}
		r := bufio.NewReader(c)
		info := readLine(c, r)
		_, _ = io.WriteString(c, "CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nPING\r\n")
		fmt.Println(addr.Scheme, strings.HasPrefix(info, "INFO {"), readLine(c, r))
		c.Close()
	}
	// Output:
	// nats true PONG
	// ws true PONG
}

func ExampleUpgradeTLS() {
	srv, err := harness.Start(harness.WithTLS())
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()
	settings, err := transport.NewTLSSettings(transport.WithRootCAFiles(srv.TLS().CAFile))
	if err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr, _ := transport.ParseAddr(srv.ClientURL())
	c, err := transport.NewDialer().Dial(ctx, addr)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	info := readLine(c, bufio.NewReader(c)) // INFO arrives in plaintext
	upgrade, err := transport.DecideTLS(transport.TLSFacts{
		AddrWantsTLS:    addr.WantsTLS(),
		OptionsWantTLS:  true,
		ServerRequires:  strings.Contains(info, `"tls_required":true`),
		ServerAvailable: strings.Contains(info, `"tls_available":true`),
	})
	if err != nil {
		log.Fatal(err) // a *TLSError: never a plaintext fallback
	}
	if upgrade {
		if c, err = transport.UpgradeTLS(ctx, c, settings.Config(addr.TLSServerName())); err != nil {
			log.Fatal(err) // a *TLSError naming the failure
		}
	}
	_, _ = io.WriteString(c, "CONNECT {\"verbose\":false,\"pedantic\":false,\"protocol\":1}\r\nPING\r\n")
	_, secured := transport.TLSConnectionState(c)
	fmt.Println(upgrade, secured, readLine(c, bufio.NewReader(c)))
	// Output: true true PONG
}

func ExampleNewFaulty() {
	client, server := transport.NewPipe()
	defer server.Close()
	f := transport.NewFaulty(client, 1)
	defer f.Close()

	_, _ = server.Write([]byte("INFO {}\r\n"))
	buf := make([]byte, 64)
	n, _ := f.Read(buf)
	fmt.Printf("healthy: %q\n", buf[:n])

	f.Blackhole() // the server vanished without closing
	_, err := f.Write([]byte("PING\r\n"))
	fmt.Println("write while blackholed:", err)
	_ = f.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	_, err = f.Read(buf)
	fmt.Println("read while blackholed times out:", errors.Is(err, os.ErrDeadlineExceeded))

	f.Cut()
	_, err = f.Read(buf)
	fmt.Println(err)
	// Output:
	// healthy: "INFO {}\r\n"
	// write while blackholed: <nil>
	// read while blackholed times out: true
	// transport: connection cut (fault injection)
}

func ExampleFaultDialer() {
	srv, err := harness.Start()
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Stop()

	fd := transport.NewFaultDialer(transport.NewDialer(), 42)
	// Give fd to the code under test (core.WithDialer); here we dial ourselves.
	addr, _ := transport.ParseAddr(srv.ClientURL())
	go func() {
		c, err := fd.Dial(context.Background(), addr)
		if err == nil {
			defer c.Close()
			_, _ = c.Read(make([]byte, 1))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := fd.Next(ctx) // the connection the code under test dialed
	if err != nil {
		log.Fatal(err)
	}
	conn.Cut() // its Read fails with transport.ErrCut
	fmt.Println(len(fd.Conns()), conn.IsCut())
	// Output: 1 true
}
