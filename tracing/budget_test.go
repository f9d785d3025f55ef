package tracing

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// storeBytes is what the size cap counts.
func storeBytes(t *testing.T, db *storage.DB) int64 {
	t.Helper()
	used, err := CappedBytes(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	return used
}

// budgetBatch is a batch of n spans from trace first on: for each trace a producer span of
// orders and a plain HTTP span of web, at now.
func budgetBatch(t *testing.T, first uint64, n int, now time.Time, attrs func(j uint64) map[string]any) []Span {
	spans := make([]Span, 0, n)
	for j := range uint64(n / 2) {
		trace := first + j
		var a map[string]any
		if attrs != nil {
			a = attrs(j)
		}
		spans = append(spans, decode(t, producer("orders", "orders", trace, 1, now),
			spanSpec{service: "web", kind: 2, trace: trace, span: 2, start: now, duration: time.Millisecond, attrs: a})...)
	}
	return spans
}

// flowMessages is the messages all flows of the last 12 hours count.
func flowMessages(in *Ingester, now time.Time) (int64, error) {
	flows, err := in.Flows(context.Background(), FlowQuery{Since: now.Add(-12 * time.Hour), Until: now})
	var messages int64
	for _, f := range flows {
		messages += f.Messages
	}
	return messages, err
}

// With MaxStoreBytes the store never holds more than the cap and one batch: the oldest spans go
// first (on PostgreSQL whole partitions, each made a small part of the cap), the flow
// aggregates stay.
func TestStoreMaxBytes(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		clk := newClock(time.Now().Add(-10 * time.Hour).Truncate(time.Hour))
		const batch = 2000
		cap := int64(1 << 20)
		const step = time.Minute // many batches in one hour
		if db.Postgres != nil {
			cap = 3 << 20 // an empty partition pair with its indexes takes about 50 KB
		}
		in := startIngest(t, db, Config{Now: clk.now, MaxStoreBytes: cap, BatchSpans: batch, Keep: SpanKeep{All: true}})
		var batchBytes int64
		const batches = 16
		for i := range uint64(batches) {
			before := storeBytes(t, db)
			ingest(t, in, budgetBatch(t, i*batch+1, batch, clk.now(), func(j uint64) map[string]any {
				return map[string]any{"url.path": "/items/" + string(rune('a'+j%26)), "http.request.method": "GET"}
			}))
			after := storeBytes(t, db)
			batchBytes = max(batchBytes, after-before)
			if after > cap+batchBytes {
				t.Fatalf("batch %d: the store takes %d bytes, over the cap of %d by more than a batch (%d)", i, after, cap, batchBytes)
			}
			clk.add(step)
		}
		// The batches removed are the oldest ones.
		var kept []int // 1 for a batch whose first trace is still stored
		for i := range uint64(batches) {
			_, err := in.Trace(ctx, traceID(i*batch+1))
			if err != nil && !errors.Is(err, ErrTraceNotFound) {
				t.Fatal(err)
			}
			kept = append(kept, map[bool]int{false: 0, true: 1}[err == nil])
		}
		t.Logf("cap %d, largest batch %d bytes, batches kept %v", cap, batchBytes, kept)
		if kept[0] == 1 || !slices.IsSorted(kept) {
			t.Errorf("batches kept %v, want the oldest removed first", kept)
		}
		if spans, err := in.Trace(ctx, traceID((batches-1)*batch+1)); err != nil || len(spans) != 2 {
			t.Errorf("the newest trace: %d spans, %v", len(spans), err)
		}
		if messages, err := flowMessages(in, clk.now()); err != nil || messages != batches*batch/2 {
			t.Errorf("flows count %d messages (%v), want all %d: aggregates stay", messages, err, batches*batch/2)
		}
	})
}

// A burst that fills the partition being written past the cap on its own: on PostgreSQL, the
// partition's older batches are deleted (their space comes back only after VACUUM, so the cap
// is then kept by the next, shorter partition), the newest batch and the aggregates stay.
func TestStoreMaxBytesBurstPostgres(t *testing.T) {
	db := storagetest.Postgres(t)
	ctx := context.Background()
	clk := newClock(time.Now().Add(-10 * time.Hour).Truncate(time.Hour))
	const batch, batches = 2000, 5
	in := startIngest(t, db, Config{Now: clk.now, MaxStoreBytes: 256 << 10, BatchSpans: batch, Keep: SpanKeep{All: true}})
	for i := range uint64(batches) {
		ingest(t, in, budgetBatch(t, i*batch+1, batch, clk.now(), nil))
		clk.add(100 * time.Millisecond) // five batches in the first one-second partition
	}
	for i := range uint64(batches) {
		_, err := in.Trace(ctx, traceID(i*batch+1))
		if want := i == batches-1; (err == nil) != want {
			t.Errorf("batch %d: %v, want it kept only if it is the newest", i, err)
		}
	}
	if n := storagetest.Int(t, db, "SELECT count(*) FROM span"); n != batch {
		t.Errorf("%d spans stored, want the newest batch's %d", n, batch)
	}
	if messages, err := flowMessages(in, clk.now()); err != nil || messages != batches*batch/2 {
		t.Errorf("flows count %d messages (%v), want all %d: aggregates stay", messages, err, batches*batch/2)
	}
}

// Replicas sharing a capped PostgreSQL store each trim after their own commits, one at a time
// under the partition lock: concurrent batches from two replicas leave the store within the cap
// and a batch each, and every aggregate.
func TestStoreMaxBytesReplicas(t *testing.T) {
	clk := newClock(time.Now().Add(-10 * time.Hour).Truncate(time.Hour))
	const batch, rounds = 2000, 8
	cap := int64(3 << 20)
	url := pgtest.URL(t)
	db := &storage.DB{Postgres: pgtest.OpenURL(t, url)} // to measure the store
	var replicas []*Ingester
	for range 2 {
		replicas = append(replicas, startIngest(t, &storage.DB{Postgres: pgtest.OpenURL(t, url)},
			Config{Now: clk.now, MaxStoreBytes: cap, BatchSpans: batch, Keep: SpanKeep{All: true}}))
	}
	var batchBytes int64
	for round := range uint64(rounds) {
		before := storeBytes(t, db)
		var wg sync.WaitGroup
		for r, in := range replicas {
			spans := budgetBatch(t, (round*2+uint64(r))*batch+1, batch, clk.now(), nil)
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := in.Ingest(context.Background(), spans); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		after := storeBytes(t, db)
		batchBytes = max(batchBytes, (after-before)/2)
		if after > cap+2*batchBytes {
			t.Fatalf("round %d: the store takes %d bytes, over the cap of %d by more than a batch per replica (%d)", round, after, cap, batchBytes)
		}
		clk.add(time.Minute)
	}
	if _, err := replicas[1].Trace(context.Background(), traceID(1)); !errors.Is(err, ErrTraceNotFound) {
		t.Errorf("the oldest trace: %v, want it removed to keep the cap", err)
	}
	sameOnAll(t, replicas, func(n int64) bool { return n == rounds*batch }, func(in *Ingester) (int64, error) {
		return flowMessages(in, clk.now())
	})
}
