package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/storage"
)

// Several replicas on one PostgreSQL: each test opens two catalogs on one database (two pools,
// as two processes have), each with its own listener, as cmd/eventlens wires them.

// replicas opens n catalogs on one fresh database, listening for each other's writes, each with
// its registry on the same database (see testRegistry), listening too. Each catalog's clock stands still, so its search index is
// refreshed only when a notification says the catalog changed, never because searchRecheck
// passed.
func replicas(t *testing.T, n int) []*Catalog {
	t.Helper()
	u := pgtest.URL(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var wg sync.WaitGroup
	var out []*Catalog
	for range n {
		db := pgtest.OpenURL(t, u)
		store := &storage.DB{Postgres: db}
		reg := testRegistry(store)
		t.Cleanup(func() { cancel(); wg.Wait() }) // before the pool and the registry close
		c := New(store, reg)
		c.now = func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }
		handlers := pgdb.Merge(reg.ReplicaHandlers(), c.ReplicaHandlers())
		listening := make(chan struct{})
		var once sync.Once
		h := handlers[ReplicaChannel]
		handlers[ReplicaChannel] = pgdb.Handler{Notified: h.Notified, Reload: func() { h.Reload(); once.Do(func() { close(listening) }) }}
		wg.Add(2)
		go func() {
			defer wg.Done()
			db.Listen(ctx, handlers, func(err error) {
				if ctx.Err() == nil {
					t.Errorf("listen: %v", err)
				}
			})
		}()
		go func() {
			defer wg.Done()
			c.KeepSearchFresh(ctx, func(err error) {
				if ctx.Err() == nil {
					t.Errorf("refresh: %v", err)
				}
			})
		}()
		select {
		case <-listening:
		case <-time.After(10 * time.Second):
			t.Fatal("the listener did not connect within 10 s")
		}
		out = append(out, c)
	}
	return out
}

// within polls check until it holds or d passes, and says how long it took.
func within(t *testing.T, d time.Duration, what string, check func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !check() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %s", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

func hits(t *testing.T, c *Catalog, query string) int {
	t.Helper()
	res, err := c.Search(context.Background(), query, "", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

// An import or a patch on one replica is on the other's pages at once (they read the database)
// and in its search within a second (the notification makes it refresh).
func TestReplicasSeeEachOthersWrites(t *testing.T) {
	ctx := context.Background()
	rs := replicas(t, 2)
	a, b := rs[0], rs[1]
	if n := hits(t, b, "kumquat"); n != 0 {
		t.Fatalf("%d hits before the import", n)
	}
	doc := `asyncapi: 3.0.0
info: {title: Fruit Service, version: 1.0.0, description: Sells every kumquat it finds.}
channels:
  fruit: {address: fruit, messages: {Picked: {payload: {type: object}}}}
operations:
  pick: {action: send, channel: {$ref: '#/channels/fruit'}}
`
	if _, err := a.ImportDocument(ctx, []byte(doc), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if s, err := b.Service(ctx, "Fruit Service"); err != nil || s.Description != "Sells every kumquat it finds." {
		t.Errorf("the other replica's page: %+v, %v", s, err)
	}
	took := within(t, time.Second, "the other replica's search finds the import", func() bool { return hits(t, b, "kumquat") == 1 })
	t.Logf("an import on one replica was in the other's search after %s", took)

	description := "Now sells a durian too."
	if err := b.Update(ctx, "service", "Fruit Service", Patch{Description: &description}); err != nil {
		t.Fatal(err)
	}
	took = within(t, time.Second, "the first replica's search finds the patch", func() bool { return hits(t, a, "durian") == 1 })
	t.Logf("a patch on one replica was in the other's search after %s", took)
	if n := hits(t, a, "kumquat"); n != 0 {
		t.Errorf("the patched-away word still has %d hits", n)
	}

	crate := schemaregistry.NewSchema{Schema: `{"type":"record","name":"Crate","fields":[{"name":"pomelo","type":"int"}]}`}
	if _, err := a.registry.Register(ctx, "crates-value", crate, schemaregistry.RegisterOptions{}); err != nil {
		t.Fatal(err)
	}
	took = within(t, time.Second, "the other replica's search finds the registration", func() bool { return hits(t, b, "pomelo") > 0 })
	t.Logf("a registration on one replica was in the other's search after %s", took)
}

// Imports on two replicas at once, of documents that describe one channel and one message,
// and of new versions of one document from both sides: none fails, every document's history
// holds each changed import once, and every merged row is the merge of its descriptions.
func TestConcurrentImportsOnTwoReplicas(t *testing.T) {
	ctx := context.Background()
	rs := replicas(t, 2)
	doc := func(service string, version int, replica int) []byte {
		return fmt.Appendf(nil, `asyncapi: 3.0.0
info: {title: %q, version: "1.%d.%d", description: "version %d from replica %d"}
channels:
  orders:
    address: orders
    description: orders as %s version %d says
    bindings: {kafka: {partitions: %d}}
    messages:
      OrderPlaced: {name: OrderPlaced, summary: "%s %d", payload: {type: object}}
operations:
  send: {action: send, channel: {$ref: '#/channels/orders'}}
`, service, version, replica, version, replica, service, version, version, service, version)
	}
	const rounds = 8
	services := []string{"Orders", "Billing", "Shared"}
	changed := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for r, c := range rs {
		for _, s := range services {
			if s != "Shared" && (s == "Orders") != (r == 0) {
				continue // Orders on replica 0, Billing on replica 1, Shared on both
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for v := range rounds {
					res, err := c.ImportDocument(ctx, doc(s, v, r), ImportOptions{Source: fmt.Sprintf("replica %d", r)})
					if err != nil {
						t.Errorf("replica %d, %s version %d: %v", r, s, v, err)
						return
					}
					if res.Changed {
						mu.Lock()
						changed[s]++
						mu.Unlock()
					}
				}
			}()
		}
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	a := rs[0]
	for _, s := range services {
		history, err := a.DocumentHistory(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range history {
			if v.Version != i+1 {
				t.Errorf("%s: history %+v is not 1, 2, 3...", s, history)
				break
			}
		}
		if len(history) != changed[s] {
			t.Errorf("%s: %d versions in the history, %d imports changed it", s, len(history), changed[s])
		}
		last := history[len(history)-1]
		if n := testInt(t, a, `SELECT count(*) FROM catalog_documents WHERE key = ? AND version = ? AND hash = ?`, s, last.Version, last.Hash); n != 1 {
			t.Errorf("%s: the document's row is not its last version %d", s, last.Version)
		}
	}
	// Merging every shared row again from its descriptions changes nothing.
	before := dump(t, a)
	if err := a.store.update(ctx, func(tx storeTx) error {
		w := &writer{ctx: ctx, tx: tx}
		for _, k := range sharedKinds {
			for _, s := range services {
				id := int64(testInt(t, a, `SELECT id FROM catalog_documents WHERE key = ?`, s))
				ids, err := tx.describedBy(ctx, k, id)
				if err != nil {
					return err
				}
				for _, id := range ids {
					if err := w.settle(k, id); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if after := dump(t, a); after != before {
		t.Errorf("the merged rows were not the merge of their descriptions:\n%s", lineDiff(before, after))
	}
}

// While the database cannot be reached, reads, searches, imports and patches fail with
// pgdb.ErrUnavailable (the server answers 503); once it is back they work again, on the same pool.
func TestUnavailableDatabase(t *testing.T) {
	ctx := context.Background()
	p, through := pgtest.NewProxy(t, pgtest.URL(t))
	db, err := pgdb.Open(ctx, through)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := openCatalog(t, &storage.DB{Postgres: db})
	doc := []byte("asyncapi: 3.0.0\ninfo: {title: Outage, version: 1.0.0}\nchannels:\n  c: {address: c}\noperations:\n  o: {action: send, channel: {$ref: '#/channels/c'}}\n")
	if _, err := c.ImportDocument(ctx, doc, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Service(ctx, "nope"); !errors.Is(err, ErrNotFound) || errors.Is(err, pgdb.ErrUnavailable) {
		t.Fatalf("a missing service: %v, want ErrNotFound only", err)
	}

	p.Stop()
	description := "down"
	for what, call := range map[string]func() error{
		"services":  func() error { _, err := c.Services(ctx); return err },
		"a channel": func() error { _, err := c.Channel(ctx, "c"); return err },
		"search": func() error {
			c.searchChanged() // so the search refreshes first
			_, err := c.Search(ctx, "outage", "", 0, 10)
			return err
		},
		"drift's reading": func() error { _, err := c.documented(ctx); return err },
		"an import": func() error {
			_, err := c.ImportDocument(ctx, append(doc, "# changed\n"...), ImportOptions{})
			return err
		},
		"a patch": func() error { return c.Update(ctx, "service", "Outage", Patch{Description: &description}) },
	} {
		// The pool may hold connections the proxy cut: every call, not only the first, fails.
		for i := range 3 {
			if err := call(); !errors.Is(err, pgdb.ErrUnavailable) {
				t.Errorf("%s (try %d) while the database is away: %v, want pgdb.ErrUnavailable", what, i+1, err)
			}
		}
	}

	p.Start() // the database is back
	within(t, 10*time.Second, "reads work again", func() bool { _, err := c.Services(ctx); return err == nil })
	if err := c.Update(ctx, "service", "Outage", Patch{Description: &description}); err != nil {
		t.Errorf("a patch once the database is back: %v", err)
	}
	if n := hits(t, c, "down"); n != 1 {
		t.Errorf("search once the database is back: %d hits", n)
	}
}
