package kv_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/starling-nats/starling/core"
	"github.com/starling-nats/starling/harness"
	"github.com/starling-nats/starling/js"
	"github.com/starling-nats/starling/kv"
)

// exampleStore starts a throwaway JetStream server and returns a Store on
// it; a real program connects to its own servers instead.
func exampleStore() (*kv.Store, func()) {
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
	store, err := kv.New(j)
	if err != nil {
		log.Fatal(err)
	}
	return store, func() { j.Close(); nc.Close(); s.Stop() }
}

func ExampleStore_Create() {
	store, done := exampleStore()
	defer done()
	ctx := context.Background()

	b, err := store.Create(ctx, kv.Config{Bucket: "config", History: 5, TTL: time.Hour})
	if err != nil {
		log.Fatal(err)
	}
	st, err := b.Status(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Bucket, b.Stream(), st.History, st.TTL)
	// Output: config KV_config 5 1h0m0s
}

func ExampleBucket_Get() {
	store, done := exampleStore()
	defer done()
	ctx := context.Background()
	b, err := store.Create(ctx, kv.Config{Bucket: "users"})
	if err != nil {
		log.Fatal(err)
	}

	if _, err := b.Put(ctx, "alice.email", []byte("alice@example.com")); err != nil {
		log.Fatal(err)
	}
	e, err := b.Get(ctx, "alice.email")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(e.Key, string(e.Value), e.Operation)

	if err := b.Delete(ctx, "alice.email"); err != nil {
		log.Fatal(err)
	}
	_, err = b.Get(ctx, "alice.email")
	fmt.Println(errors.Is(err, kv.ErrKeyNotFound), errors.Is(err, kv.ErrKeyDeleted))
	// Output:
	// alice.email alice@example.com PUT
	// true true
}

func ExampleBucket_Update() {
	store, done := exampleStore()
	defer done()
	ctx := context.Background()
	b, err := store.Create(ctx, kv.Config{Bucket: "counters"})
	if err != nil {
		log.Fatal(err)
	}

	rev, err := b.Create(ctx, "hits", []byte("1"))
	if err != nil {
		log.Fatal(err)
	}
	// Compare-and-set: only from the revision read.
	if _, err := b.Update(ctx, "hits", []byte("2"), rev); err != nil {
		log.Fatal(err)
	}
	_, err = b.Update(ctx, "hits", []byte("3"), rev)
	fmt.Println(errors.Is(err, kv.ErrWrongRevision))
	_, err = b.Create(ctx, "hits", []byte("0"))
	fmt.Println(errors.Is(err, kv.ErrKeyExists))
	// Output:
	// true
	// true
}

func ExampleBucket_Watch() {
	store, done := exampleStore()
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := store.Create(ctx, kv.Config{Bucket: "flags"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := b.Put(ctx, "feature.a", []byte("on")); err != nil {
		log.Fatal(err)
	}

	w, err := b.Watch(ctx, []string{"feature.*"})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Stop()
	for e, err := range w.Entries(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		if e == nil {
			// The current values have all been delivered; updates follow.
			fmt.Println("-- up to date")
			if _, err := b.Put(ctx, "feature.b", []byte("off")); err != nil {
				log.Fatal(err)
			}
			continue
		}
		fmt.Println(e.Key, string(e.Value))
		if e.Key == "feature.b" {
			break
		}
	}
	// Output:
	// feature.a on
	// -- up to date
	// feature.b off
}

func ExampleBucket_Keys() {
	store, done := exampleStore()
	defer done()
	ctx := context.Background()
	b, err := store.Create(ctx, kv.Config{Bucket: "inventory"})
	if err != nil {
		log.Fatal(err)
	}
	for _, k := range []string{"fruit.apple", "fruit.pear", "veg.leek"} {
		if _, err := b.Put(ctx, k, []byte("1")); err != nil {
			log.Fatal(err)
		}
	}

	// Keys streams: memory does not grow with the number of keys.
	var keys []string
	for k, err := range b.Keys(ctx, "fruit.>") {
		if err != nil {
			log.Fatal(err)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Println(keys)
	// Output: [fruit.apple fruit.pear]
}
