package obj_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/obj"
)

// exampleStore starts a throwaway JetStream server and makes a store on
// it; a real program connects to its own servers instead.
func exampleStore(bucket string) (*obj.Store, func()) {
	s, err := harness.Start(harness.WithJetStream())
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	nc, err := core.Connect(ctx, s.ClientURL())
	if err != nil {
		log.Fatal(err)
	}
	j, err := js.New(nc)
	if err != nil {
		log.Fatal(err)
	}
	st, err := obj.Create(ctx, j, obj.Config{Bucket: bucket, Description: "build artifacts"})
	if err != nil {
		log.Fatal(err)
	}
	return st, func() { j.Close(); nc.Close(); s.Stop() }
}

// Put streams from any io.Reader, here one of unknown length: only a
// chunk and the window of chunks awaiting acks are in memory at once.
func ExampleStore_Put() {
	st, done := exampleStore("artifacts")
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	r := strings.NewReader(strings.Repeat("0123456789", 30_000)) // 300 kB
	info, err := st.Put(ctx, obj.Meta{Name: "logs/build.txt", Description: "nightly"}, r,
		obj.WithChunkSize(64*1024))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(info.Name, info.Size, "bytes in", info.Chunks, "chunks")
	fmt.Println(info.Digest)
	// Output:
	// logs/build.txt 300000 bytes in 5 chunks
	// SHA-256=kcME5NrtFtGsB0hnw6e2sl8RNoSCK7nLXbJTXPayHIw=
}

// Get returns a Reader that streams the object; io.Copy writes it out a
// chunk at a time and returns the size or digest error, if any, at the
// end.
func ExampleStore_Get() {
	st, done := exampleStore("artifacts")
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := st.PutString(ctx, "hello.txt", "hello, object store\n"); err != nil {
		log.Fatal(err)
	}

	r, err := st.Get(ctx, "hello.txt")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	n, err := r.WriteTo(os.Stdout) // io.Copy(os.Stdout, r) does the same
	if err != nil {
		log.Fatal(err) // ErrDigestMismatch, ErrObjectSizeMismatch, ctx's error...
	}
	fmt.Println(n, "bytes, verified")
	// Output:
	// hello, object store
	// 20 bytes, verified
}

// Watch yields the current objects, a nil marker, then each change.
func ExampleStore_Watch() {
	st, done := exampleStore("artifacts")
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := st.PutString(ctx, "a", "1"); err != nil {
		log.Fatal(err)
	}

	changes := 0
	for info, err := range st.Watch(ctx, obj.IgnoreDeletes()) {
		if err != nil {
			log.Fatal(err)
		}
		if info == nil {
			fmt.Println("-- initial objects listed")
			// Changed by someone else, in a real program.
			if _, err := st.PutString(ctx, "b", "2"); err != nil {
				log.Fatal(err)
			}
			continue
		}
		fmt.Println(info.Name, info.Size)
		if changes++; changes == 2 {
			break // deletes the watch's consumer
		}
	}
	// Output:
	// a 1
	// -- initial objects listed
	// b 1
}
