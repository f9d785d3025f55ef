package otlpmetrics

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func testSeries(id byte, metric string, at time.Time, v float64) Series {
	return Series{
		ID: SeriesID{id}, Metric: metric, Source: "kafka/shop",
		Labels: Labels{Channel: Channel{System: "kafka", Cluster: "shop", Destination: "orders"}, Group: "billing", Partition: int32(id),
			Service: "svc", Direction: Consume, VHost: "v", Queue: "q", Node: "n", State: "ready", Operation: "poll", ErrorType: "e"},
		Temporality: Cumulative,
		Point:       Point{Start: t0.Add(-time.Hour).UnixNano(), Time: at.UnixNano(), Value: v},
	}
}

func readAll(t *testing.T, tb table, since int64) map[SeriesID]Series {
	t.Helper()
	series, err := tb.read(context.Background(), since)
	if err != nil {
		t.Fatal(err)
	}
	out := map[SeriesID]Series{}
	for _, s := range series {
		out[s.ID] = s
	}
	return out
}

// TestTable is the behaviour of the series table on both backends.
func TestTable(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		tb := newTable(db)
		seen := func(d time.Duration) int64 { return t0.Add(d).UnixNano() }

		hist := testSeries(2, MetricProcessDuration, t0, 1.5)
		hist.Point.Histogram = &Histogram{Count: 3, Sum: 1.5, Bounds: []float64{0.1, 1}, Counts: []uint64{1, 2, 0}}
		first := []Series{testSeries(1, MetricConsumed, t0, 10), hist}
		if err := tb.write(ctx, ptrs(first), seen(0), 0); err != nil {
			t.Fatal(err)
		}
		got := readAll(t, tb, 0)
		want := first[0]
		want.Seen = seen(0)
		if !reflect.DeepEqual(got[SeriesID{1}], want) {
			t.Fatalf("stored\n %+v\nwant\n %+v", got[SeriesID{1}], want)
		}
		if h := got[SeriesID{2}].Point.Histogram; !reflect.DeepEqual(h, hist.Point.Histogram) {
			t.Fatalf("histogram %+v", h)
		}

		// A newer point replaces the stored one, which becomes the previous point.
		second := []Series{testSeries(1, MetricConsumed, t0.Add(time.Minute), 25)}
		second[0].Point.Start = t0.Add(-time.Hour).UnixNano() + 1
		if err := tb.write(ctx, ptrs(second), seen(time.Minute), 0); err != nil {
			t.Fatal(err)
		}
		s := readAll(t, tb, 0)[SeriesID{1}]
		if s.Point != second[0].Point || s.Prev != first[0].Point || s.Seen != seen(time.Minute) {
			t.Fatalf("after a newer point: %+v", s)
		}
		// An older point, or the same one again (a retry), changes nothing, not even when it was seen.
		for _, at := range []time.Time{t0.Add(30 * time.Second), t0.Add(time.Minute)} {
			if err := tb.write(ctx, ptrs([]Series{testSeries(1, MetricConsumed, at, 99)}), seen(2*time.Minute), 0); err != nil {
				t.Fatal(err)
			}
			if again := readAll(t, tb, 0)[SeriesID{1}]; !reflect.DeepEqual(again, s) {
				t.Fatalf("a point at %v changed the series: %+v", at, again)
			}
		}
		// A histogram's previous point is kept too.
		hist2 := hist
		hist2.Point = Point{Start: hist.Point.Start, Time: t0.Add(time.Minute).UnixNano(), Value: 3,
			Histogram: &Histogram{Count: 5, Sum: 3, Bounds: []float64{0.1, 1}, Counts: []uint64{2, 3, 0}}}
		if err := tb.write(ctx, ptrs([]Series{hist2}), seen(time.Minute), 0); err != nil {
			t.Fatal(err)
		}
		h := readAll(t, tb, 0)[SeriesID{2}]
		if !reflect.DeepEqual(h.Prev, hist.Point) || !reflect.DeepEqual(h.Point, hist2.Point) {
			t.Fatalf("histogram series: %+v", h)
		}

		// Reading and sources leave out series seen before since.
		if err := tb.write(ctx, ptrs([]Series{testSeries(3, MetricSent, t0.Add(10*time.Minute), 1)}), seen(10*time.Minute), 0); err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, tb, seen(5*time.Minute)); len(got) != 1 || got[SeriesID{3}].Metric != MetricSent {
			t.Fatalf("read since: %+v", got)
		}
		sources := map[SeriesID]string{}
		if err := tb.sources(ctx, seen(time.Minute), func(id SeriesID, src string) { sources[id] = src }); err != nil {
			t.Fatal(err)
		}
		if len(sources) != 3 || sources[SeriesID{3}] != "kafka/shop" {
			t.Fatalf("sources: %v", sources)
		}

		// Expiry deletes the series last seen before the cut, in the same transaction.
		if err := tb.write(ctx, ptrs([]Series{testSeries(4, MetricSent, t0.Add(11*time.Minute), 1)}), seen(11*time.Minute), seen(5*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if n := storagetest.Int(t, db, `SELECT count(*) FROM otlp_metric_series`); n != 2 {
			t.Fatalf("%d series after expiry, want 2", n)
		}

		// A write of more series than one statement carries is one transaction.
		many := make([]Series, rowsPerStatement*2+1)
		for i := range many {
			many[i] = testSeries(0, MetricSent, t0.Add(12*time.Minute), float64(i))
			many[i].ID = SeriesID{9, byte(i >> 16), byte(i >> 8), byte(i)}
		}
		if err := tb.write(ctx, ptrs(many), seen(12*time.Minute), 0); err != nil {
			t.Fatal(err)
		}
		if n := storagetest.Int(t, db, `SELECT count(*) FROM otlp_metric_series`); n != int64(len(many))+2 {
			t.Fatalf("%d series, want %d", n, len(many)+2)
		}
	})
}

// TestTableCancelled: a write that fails leaves nothing behind.
func TestTableCancelled(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := newTable(db).write(ctx, ptrs([]Series{testSeries(1, MetricSent, t0, 1)}), t0.UnixNano(), 0); err == nil {
			t.Fatal("a write with a cancelled context succeeded")
		}
		if n := storagetest.Int(t, db, `SELECT count(*) FROM otlp_metric_series`); n != 0 {
			t.Fatalf("%d series after a failed write", n)
		}
	})
}

// TestTableConcurrentWrites: writers of overlapping series (two replicas, a Collector's
// parallel export queue) all succeed, and each series ends with its newest point.
func TestTableConcurrentWrites(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		tb := newTable(db)
		const writers, rounds, size = 4, 10, 2000
		var wg sync.WaitGroup
		errs := make(chan error, writers*rounds)
		for w := range writers {
			wg.Go(func() {
				for r := range rounds {
					series := make([]Series, size)
					for i := range series {
						n := (w*size/2 + i) % (size * 2) // each writer's series overlap the next one's by half
						series[i] = testSeries(0, MetricSent, t0.Add(time.Duration(r*writers+w)*time.Second), float64(r))
						series[i].ID = SeriesID{1, byte(n >> 8), byte(n)}
					}
					if err := tb.write(context.Background(), ptrs(series), t0.UnixNano(), 0); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got := readAll(t, tb, 0)
		if len(got) != size*2 {
			t.Fatalf("%d series, want %d", len(got), size*2)
		}
		for _, s := range got {
			if s.Point.Value != rounds-1 || s.Prev.Time == 0 {
				t.Fatalf("series %s ends at %+v, prev %+v", s.ID, s.Point, s.Prev)
			}
		}
	})
}

// ptrs is series as the table writes them: in the order of their ids.
func ptrs(series []Series) []*Series { return sortedByID(series) }
