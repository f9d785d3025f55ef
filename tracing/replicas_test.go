package tracing

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// Several replicas share one PostgreSQL database: each test opens the same database twice (two
// pools, as two processes would) and starts an Ingester on each.

// startReplicas starts n Ingesters with cfg on one fresh database.
func startReplicas(t testing.TB, n int, cfg Config) []*Ingester {
	t.Helper()
	url := pgtest.URL(t)
	var out []*Ingester
	for range n {
		db := pgtest.OpenURL(t, url)
		out = append(out, startIngest(t, &storage.DB{Postgres: db}, cfg))
	}
	return out
}

// sameOnAll waits until read gives every replica the same answer, and returns it.
func sameOnAll[T any](t *testing.T, replicas []*Ingester, want func(T) bool, read func(*Ingester) (T, error)) T {
	t.Helper()
	var got []T
	deadline := time.Now().Add(5 * time.Second)
	for {
		got = got[:0]
		for _, in := range replicas {
			v, err := read(in)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		same := true
		for _, v := range got[1:] {
			same = same && reflect.DeepEqual(v, got[0])
		}
		if same && want(got[0]) {
			return got[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas disagree after 5s:\n%+v", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReplicasShareFlowsHealthAndFailures sends producers to one replica and their consumers to
// the other (each side first, in turn): both show the same flows, with every consumer paired
// with its producer, the same health and the same recent failures.
func TestReplicasShareFlowsHealthAndFailures(t *testing.T) {
	clk := newClock(t0)
	r := startReplicas(t, 2, Config{Now: clk.now})
	for i := range uint64(10) {
		p, c := shopSpans(t, i+1, t0.Add(-4*time.Minute+time.Duration(i)*time.Second))
		c[0].StatusCode, c[0].Messaging.Error = StatusError, true // billing fails every message
		first, second := r[0], r[1]
		if i%2 == 1 {
			first, second = second, first
		}
		if i%4 < 2 {
			ingest(t, first, p)
			ingest(t, second, c)
		} else {
			ingest(t, second, c)
			ingest(t, first, p)
		}
	}
	flows := sameOnAll(t, r, func(f []Flow) bool { return len(f) == 3 && f[1].Delays == 10 && f[2].Delays == 10 },
		func(in *Ingester) ([]Flow, error) {
			return in.Flows(context.Background(), FlowQuery{Last: 15 * time.Minute})
		})
	if flows[0].Messages != 10 || flows[1].Errors != 10 {
		t.Errorf("flows %+v", flows)
	}
	health := sameOnAll(t, r, func(h HealthReport) bool { return len(h.Consumers) == 2 },
		func(in *Ingester) (HealthReport, error) { return in.Health(context.Background()) })
	if health.Consumers[0].Status != StatusFailing || health.Consumers[1].Status != StatusHealthy {
		t.Errorf("health %+v", health.Consumers)
	}
	examples := sameOnAll(t, r, func(e []ErrorExample) bool { return len(e) == 3 },
		func(in *Ingester) ([]ErrorExample, error) { return in.ErrorExamples(ExampleQuery{}), nil })
	if examples[0].Service != "billing" {
		t.Errorf("examples %+v", examples)
	}
	// A trace stored by one replica opens on the other.
	spans, err := r[1].Trace(context.Background(), traceID(1))
	if err != nil || len(spans) != 2 {
		t.Errorf("trace 1 from the other replica: %d spans, %v", len(spans), err)
	}
}

// TestReplicasPairEachConsumerOnce sends 300 producers and their consumers to two replicas at
// once, in random order and to random replicas: every consumer is paired exactly once, however
// the commits interleave.
func TestReplicasPairEachConsumerOnce(t *testing.T) {
	clk := newClock(t0)
	r := startReplicas(t, 2, Config{Now: clk.now})
	const pairs = 300
	var specs []spanSpec
	for i := range uint64(pairs) {
		at := t0.Add(-time.Minute)
		specs = append(specs, producer("orders", "orders", i+1, 1, at),
			consumer("billing", "billing", "orders", 10_000+i, 2, ref(i+1, 1), at.Add(time.Second), time.Millisecond))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	rng.Shuffle(len(specs), func(i, j int) { specs[i], specs[j] = specs[j], specs[i] })
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 5))
			for i := 5 * w; i < len(specs); i += 4 * 5 {
				if err := r[rng.IntN(2)].Ingest(context.Background(), decode(t, specs[i:min(i+5, len(specs))]...)); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	consumers := func(in *Ingester) (Flow, error) {
		f, err := in.Flows(context.Background(), FlowQuery{Since: t0.Add(-time.Hour), Until: t0, Service: "billing"})
		if err != nil || len(f) != 1 {
			return Flow{}, err
		}
		return f[0], nil
	}
	f := sameOnAll(t, r, func(f Flow) bool { return f.Delays >= pairs }, consumers)
	time.Sleep(200 * time.Millisecond) // a second pairing of one consumer would show by now
	if f, _ = consumers(r[0]); f.Messages != pairs || f.Delays != pairs {
		t.Errorf("%d consumers, %d paired; want %d of each", f.Messages, f.Delays, pairs)
	}
}

// TestReplicasLiveWindowsEqualStoredAggregates is TestLiveWindowsEqualStoredAggregates with the
// batches spread over two replicas: each replica's windows hold what the tables hold.
func TestReplicasLiveWindowsEqualStoredAggregates(t *testing.T) {
	clk := newClock(t0)
	r := startReplicas(t, 2, Config{Now: clk.now, RetentionEvery: 5 * time.Millisecond})
	spans := newSpanMaker(clk)
	for step := range 30 {
		ingest(t, r[step%2], spans.batch(t))
		ingest(t, r[(step/3)%2], spans.batch(t))
		clk.add([]time.Duration{0, 20 * time.Second, time.Minute, 7 * time.Minute, 61 * time.Minute}[step%5])
		for i, in := range r {
			checkLive(t, in, clk.now(), fmt.Sprintf("step %d, replica %d", step, i))
		}
	}
}

// TestReplicasFollowRetention has one replica's retention delete a flow: the other's live copy
// of the flow table forgets it too.
func TestReplicasFollowRetention(t *testing.T) {
	clk := newClock(t0)
	r := startReplicas(t, 2, Config{Now: clk.now, FlowRetention: 48 * time.Hour, RetentionEvery: 5 * time.Millisecond})
	ingest(t, r[0], decode(t, producer("old", "orders", 1, 1, t0)))
	clk.add(49 * time.Hour)
	ingest(t, r[1], decode(t, producer("new", "orders", 2, 1, clk.now())))
	sameOnAll(t, r, func(n Names) bool { return reflect.DeepEqual(n.Services, []string{"new"}) },
		func(in *Ingester) (Names, error) { return in.Names(context.Background()) })
}

// TestReplicasBoundPendingPairs: pending pairs on PostgreSQL are kept as a single node keeps them
// in memory. A generation ends at half of PairMaxPending rows (or half the pair window) and the
// one before it goes then, so the tables stay bounded whatever the rate; a consumer still pairs,
// on the other replica, with a producer of the generation that ended last, and not with one
// whose generation went.
func TestReplicasBoundPendingPairs(t *testing.T) {
	clk := newClock(t0)
	const bound, round = 400, 300 // a round is more than half the bound: it ends a generation
	r := startReplicas(t, 2, Config{Now: clk.now, PairMaxPending: bound, RetentionEvery: 10 * time.Millisecond})
	db := replicaDB(r[0])
	awaitPairGeneration(t, db, 0, "start") // the migration's generation 0 started at 0: the first retention ends it
	at := t0.Add(-time.Minute)
	for n := range uint64(3) {
		before := pairGeneration(t, db)
		var specs []spanSpec
		for i := range uint64(round) {
			specs = append(specs, producer("orders", "orders", n*1000+i+1, 1, at))
		}
		ingest(t, r[0], decode(t, specs...))
		awaitPairGeneration(t, db, before, fmt.Sprintf("round %d (bound %d)", n, bound))
		if pending := storagetest.Int(t, db, "SELECT count(*) FROM pair_producer"); pending != round {
			t.Fatalf("round %d: %d producers pending, want the ended generation's %d alone", n, pending, round)
		}
	}
	// Round 2's producers are in the generation that ended last; round 1's went when it ended.
	ingest(t, r[1], decode(t,
		consumer("billing", "billing", "orders", 9001, 2, ref(1001, 1), at.Add(time.Second), time.Millisecond),
		consumer("billing", "billing", "orders", 9002, 2, ref(2001, 1), at.Add(time.Second), time.Millisecond)))
	f := sameOnAll(t, r, func(f []Flow) bool { return len(f) == 1 && f[0].Messages == 2 && f[0].Delays >= 1 },
		func(in *Ingester) ([]Flow, error) {
			return in.Flows(context.Background(), FlowQuery{Since: t0.Add(-time.Hour), Until: t0, Service: "billing"})
		})
	if f[0].Delays != 1 {
		t.Errorf("billing: %d of 2 consumers paired, want only the one whose producer is still pending", f[0].Delays)
	}
}

// Pending pairs also end with the pair window: a generation half a window old ends, and the one
// before it goes, whatever its size.
func TestPendingPairsExpireWithTheWindowPostgres(t *testing.T) {
	clk := newClock(t0)
	r := startReplicas(t, 1, Config{Now: clk.now, PairWindow: 10 * time.Minute, RetentionEvery: 10 * time.Millisecond})
	db := replicaDB(r[0])
	ingest(t, r[0], decode(t, producer("orders", "orders", 1, 1, t0)))
	for step, want := range []int64{1, 0} { // after half a window it is in the older generation; after a window, gone
		before := pairGeneration(t, db)
		clk.add(5 * time.Minute)
		awaitPairGeneration(t, db, before, fmt.Sprintf("%d half windows on", step+1))
		if n := storagetest.Int(t, db, "SELECT count(*) FROM pair_producer"); n != want {
			t.Errorf("%d half windows on: %d producers pending, want %d", step+1, n, want)
		}
	}
}

// replicaDB is the database a PostgreSQL replica writes to, for a test to look into.
func replicaDB(in *Ingester) *storage.DB { return &storage.DB{Postgres: in.store.(*pgStore).db} }

// pairGeneration is the newest generation of pending pairs.
func pairGeneration(t *testing.T, db *storage.DB) int64 {
	return storagetest.Int(t, db, "SELECT max(gen) FROM pair_generation")
}

// awaitPairGeneration waits until a generation of pending pairs newer than after starts.
func awaitPairGeneration(t *testing.T, db *storage.DB, after int64, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for pairGeneration(t, db) <= after {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no new generation of pending pairs after 5s with %d producers pending", what,
				storagetest.Int(t, db, "SELECT count(*) FROM pair_producer"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
