package tracing

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// The behaviour every store has, through the interface the writer and the readers use: a
// backend's store passes these on its own, without an Ingester around it. What a backend cannot
// do is skipped by name, visibly.

// storeWriterOf opens the store's writing side with default settings at clk.
func storeWriterOf(t *testing.T, st store, clk *clock) storeWriter {
	t.Helper()
	cfg := Config{Now: clk.now}
	cfg.setDefaults()
	sw, err := st.openWriter(context.Background(), &cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sw.close)
	return sw
}

// batchOf derives a batch from spans as the writer does.
func batchOf(t *testing.T, sw storeWriter, clk *clock, claims pairClaims, spans []Span) (*batchWrite, *aggregator) {
	t.Helper()
	cfg := Config{Now: clk.now}
	cfg.setDefaults()
	a := newAggregator(&cfg, sw.sharedPairs())
	b := &batchWrite{arrivedNs: clk.now().UnixNano(), claims: claims}
	seen := newTraceSet(100)
	for i := range spans {
		s := &spans[i]
		b.spans = append(b.spans, s)
		if s.Messaging == nil {
			continue
		}
		a.observe(s)
		if s.StatusCode == StatusError {
			b.failures = append(b.failures, exampleOf(s))
		}
		if seen.firstSeen(s.TraceID) {
			b.traces = append(b.traces, newTrace{id: s.TraceID, index: i, startNs: s.StartNanos})
		}
	}
	b.flows, b.deltas, b.producers, b.waiters = a.flows, a.deltas, a.producers, a.waiters
	return b, a
}

func commitSpans(t *testing.T, sw storeWriter, clk *clock, spans []Span) change {
	t.Helper()
	b, _ := batchOf(t, sw, clk, pairClaims{}, spans)
	c, err := sw.commit(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// storeSpans are an order's producer and consumers (the consumer failing), and an HTTP span in
// the same trace, at t0 + 90s.
func storeSpans(t *testing.T) []Span {
	at := t0.Add(90 * time.Second)
	p := producer("orders", "orders", 1, 1, at)
	p.attrs["messaging.message.schema.id"] = "7"
	c := consumer("billing", "billing", "orders", 1, 2, ref(1, 1), at.Add(2*time.Second), 20*time.Millisecond)
	c.statusError = true
	web := spanSpec{service: "web", kind: 2, trace: 1, span: 3, start: at.Add(-time.Second), duration: time.Second, attrs: map[string]any{"http.route": "/order"}}
	return decode(t, p, c, web)
}

func TestStore(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		clk := newClock(t0.Add(2 * time.Minute))
		st := openStore(db)
		sw := storeWriterOf(t, st, clk)

		snap, err := sw.snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if failures, ok := snap.reset(); !ok || len(failures) != 0 {
			t.Errorf("first snapshot of an empty store: reset %v, failures %v", ok, failures)
		}
		snap.close()

		c := commitSpans(t, sw, clk, storeSpans(t))
		ids := map[string]int64{}
		for id, r := range c.rows {
			ids[r.key.Service] = id
		}
		minute := floorDiv(t0.Add(90*time.Second).Unix(), 60)
		for _, tt := range []struct {
			name  string
			check func(t *testing.T)
		}{
			{"the commit names its flows as stored", func(t *testing.T) {
				if len(c.rows) != 2 || c.rows[ids["orders"]].schemaID != "7" || c.rows[ids["billing"]].key.Group != "billing" {
					t.Errorf("rows %+v", c.rows)
				}
				if d := c.deltas[minuteFlow{flow: ids["billing"], minute: minute}]; d == nil || d.messages != 1 || d.errors != 1 {
					t.Errorf("deltas %+v", c.deltas)
				}
			}},
			{"flow rows", func(t *testing.T) {
				rows, err := st.flowRows(ctx, 0)
				if err != nil || !maps.Equal(rows, c.rows) {
					t.Errorf("flow rows %+v, %v; want %+v", rows, err, c.rows)
				}
				if rows, _ := st.flowRows(ctx, t0.Add(time.Hour).UnixNano()); len(rows) != 0 {
					t.Errorf("flows seen since an hour later: %+v", rows)
				}
			}},
			{"sums over minutes and hours", func(t *testing.T) {
				for _, r := range [][2]int64{{minute, minute + 1}, {minute - 120, minute + 120}, {minute - 24*60, minute + 24*60}} {
					sums, err := st.sumAggregates(ctx, r[0], r[1])
					if err != nil || len(sums) != 2 || sums[ids["orders"]].messages != 1 || sums[ids["billing"]].errors != 1 {
						t.Errorf("minutes %v: %+v, %v", r, sums, err)
					}
				}
				if sums, _ := st.sumAggregates(ctx, minute+1, minute+60); len(sums) != 0 {
					t.Errorf("after the spans: %+v", sums)
				}
			}},
			{"counts", func(t *testing.T) {
				if n, err := st.counts(ctx); err != nil || n != (Counts{Spans: 3, Flows: 2, Channels: 1}) {
					t.Errorf("counts %+v, %v", n, err)
				}
			}},
			{"series", func(t *testing.T) {
				rows, err := st.series(ctx, seriesQuery{ids: []int64{ids["orders"]}, from: minute - 2, to: minute + 2, buckets: 2})
				if err != nil || !slices.Equal(rows, []seriesRow{{flow: ids["orders"], bucket: 1, messages: 1}}) {
					t.Errorf("series %+v, %v", rows, err)
				}
			}},
			{"trace", func(t *testing.T) {
				spans, err := st.trace(ctx, traceID(1))
				if err != nil || len(spans) != 3 {
					t.Fatalf("trace: %d spans, %v", len(spans), err)
				}
				slices.SortFunc(spans, func(a, b StoredSpan) int { return a.Start.Compare(b.Start) })
				if s := spans[2]; s.Service != "billing" || s.StatusCode != StatusError || s.Channel != "kafka/orders" || len(s.Links) != 1 ||
					s.Attributes["messaging.consumer.group.name"] != "billing" {
					t.Errorf("consumer span %+v", s)
				}
				if _, err := st.trace(ctx, traceID(2)); !errors.Is(err, ErrTraceNotFound) {
					t.Errorf("unknown trace: %v", err)
				}
			}},
			{"a snapshot sees the commit; its own writer's commits are no changes", func(t *testing.T) {
				snap, err := sw.snapshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer snap.close()
				if _, reset := snap.reset(); reset || len(snap.changes()) != 0 {
					t.Errorf("reset %v, changes %+v", reset, snap.changes())
				}
				if rows, _ := snap.flowRows(ctx, 0); len(rows) != 2 {
					t.Errorf("flows in the snapshot: %+v", rows)
				}
			}},
			{"the next writer reads the failures", func(t *testing.T) {
				snap, err := storeWriterOf(t, st, clk).snapshot(ctx)
				if err != nil {
					t.Fatal(err)
				}
				defer snap.close()
				if failures, ok := snap.reset(); !ok || len(failures) != 1 || failures[0].Service != "billing" {
					t.Errorf("failures %+v, reset %v", failures, ok)
				}
			}},
		} {
			t.Run(tt.name, tt.check)
		}
	})
}

// TestStoreRetention expires spans committed before the span retention and aggregates and flows
// older than the flow retention.
func TestStoreRetention(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		clk := newClock(t0.Add(2 * time.Minute))
		st := openStore(db)
		sw := storeWriterOf(t, st, clk)
		commitSpans(t, sw, clk, storeSpans(t))
		expireAll := func(r retention) (flowsDeleted bool) {
			for {
				e, err := sw.expire(ctx, r)
				if err != nil {
					t.Fatal(err)
				}
				flowsDeleted = flowsDeleted || e.flowsDeleted
				if !e.more {
					return flowsDeleted
				}
			}
		}
		now := t0.Add(3 * time.Hour)
		if expireAll(retention{now: now, spansBefore: now.Add(-time.Hour), flowsBefore: t0}) {
			t.Error("flows deleted while within the flow retention")
		}
		if n, _ := st.counts(ctx); n.Spans != 0 || n.Flows != 2 {
			t.Errorf("after the span retention: %+v", n)
		}
		if _, err := st.trace(ctx, traceID(1)); !errors.Is(err, ErrTraceNotFound) {
			t.Errorf("trace after the span retention: %v", err)
		}
		now = t0.Add(72 * time.Hour)
		if !expireAll(retention{now: now, spansBefore: now, flowsBefore: now.Add(-48 * time.Hour)}) {
			t.Error("no flows deleted after the flow retention")
		}
		if n, _ := st.counts(ctx); n.Flows != 0 {
			t.Errorf("after the flow retention: %+v", n)
		}
		if sums, _ := st.sumAggregates(ctx, 0, farFuture); len(sums) != 0 {
			t.Errorf("aggregates after the flow retention: %+v", sums)
		}
	})
}

// TestStoreSharedWriters has two writers on one store, as two replicas: one's commits reach the
// other's next snapshot, and a consumer one stored is paired with the producer the other stored.
func TestStoreSharedWriters(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		clk := newClock(t0.Add(2 * time.Minute))
		st := openStore(db)
		a, b := storeWriterOf(t, st, clk), storeWriterOf(t, st, clk)
		if !a.sharedPairs() {
			t.Skip(db.Backend() + ": one process, one writer")
		}
		for _, w := range []storeWriter{a, b} {
			snap, err := w.snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			snap.close()
		}
		at := t0.Add(90 * time.Second)
		// b stores a consumer first: it waits for its producer, which a stores next.
		cb, claimsB := batchOf(t, b, clk, pairClaims{}, decode(t, consumer("billing", "billing", "orders", 9, 2, ref(1, 1), at.Add(3*time.Second), time.Millisecond)))
		if _, err := b.commit(ctx, cb); err != nil {
			t.Fatal(err)
		}
		pa, claimsA := batchOf(t, a, clk, pairClaims{}, decode(t, producer("orders", "orders", 1, 1, at)))
		if _, err := a.commit(ctx, pa); err != nil {
			t.Fatal(err)
		}
		// Each pairs what it stored at its next commit; whichever looks second finds the pair.
		var delays int64
		for _, w := range []struct {
			w      storeWriter
			claims pairClaims
		}{{a, claimsA.claims(pa.arrivedNs)}, {b, claimsB.claims(cb.arrivedNs)}} {
			next, _ := batchOf(t, w.w, clk, w.claims, nil)
			c, err := w.w.commit(ctx, next)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range c.deltas {
				delays += d.delays
			}
		}
		if delays != 1 {
			t.Errorf("%d consumers paired, want 1", delays)
		}

		snap, err := a.snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer snap.close()
		var messages int64
		for _, c := range snap.changes() {
			for _, d := range c.deltas {
				messages += d.messages
			}
		}
		if messages != 1 {
			t.Errorf("changes from the other writer: %d messages, want its consumer's 1", messages)
		}
	})
}
