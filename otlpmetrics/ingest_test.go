package otlpmetrics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/eventlens/eventlens/otlpmetrics/otlpmetricstest"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// clock is a settable time for a Store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func ingest(t *testing.T, s *Store, md pmetric.Metrics) Result {
	t.Helper()
	res, err := s.Ingest(context.Background(), decode(t, md))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestSnapshotKafka(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		c := &clock{t: t0}
		s := New(db, Config{Now: c.now, CacheFor: time.Nanosecond})
		ingest(t, s, shopScrape(t0, 90, 150, 300).Metrics())
		next := shopScrape(t0.Add(time.Minute), 120, 210, 300)
		next.Topics[0].End = []int64{160, 230, 330} // 120 more messages
		c.set(t0.Add(time.Minute))
		ingest(t, s, next.Metrics())

		snap, err := s.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Kafka) != 2 || snap.Series != 24 {
			t.Fatalf("groups: %+v (series %d)", snap.Kafka, snap.Series)
		}
		if want := []Source{{Name: "kafka/shop", Series: 24, LastSeen: t0.Add(time.Minute)}}; fmt.Sprint(snap.Sources) != fmt.Sprint(want) {
			t.Fatalf("sources %v", snap.Sources)
		}
		billing := snap.Kafka[0]
		orders := Channel{System: "kafka", Cluster: "shop", Destination: "orders"}
		if billing.Group != "billing" || billing.Channel != orders || billing.Members != 2 || billing.Lag != 40+20+30 ||
			!billing.At.Equal(t0.Add(time.Minute)) {
			t.Fatalf("billing: %+v", billing)
		}
		// Committed offsets moved by 30 + 60 + 0 in a minute; 120 messages were appended, so 90
		// behind is 45 s.
		if !billing.HasCommitRate || !near(billing.CommitRate, 90.0/60) || !billing.HasTimeLag || billing.TimeLag != 45*time.Second {
			t.Fatalf("commit rate %v %v, time lag %v %v", billing.CommitRate, billing.HasCommitRate, billing.TimeLag, billing.HasTimeLag)
		}
		want := []KafkaPartitionLag{{0, 40, 120, 160, t0.Add(time.Minute)}, {1, 20, 210, 230, t0.Add(time.Minute)}, {2, 30, 300, 330, t0.Add(time.Minute)}}
		if fmt.Sprint(billing.Partitions) != fmt.Sprint(want) {
			t.Fatalf("partitions\n %+v\nwant\n %+v", billing.Partitions, want)
		}
		if len(snap.Topics) != 1 || snap.Topics[0].Retained != 160+230+320 || !near(snap.Topics[0].EndRate, 120.0/60) {
			t.Fatalf("topics: %+v", snap.Topics)
		}

		// Ten minutes later, without new points, the levels stay and the rates go.
		c.set(t0.Add(11 * time.Minute))
		snap, err = s.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if snap.Kafka[0].Lag != 90 || snap.Kafka[0].HasCommitRate || snap.Kafka[0].HasTimeLag || snap.Topics[0].HasEndRate {
			t.Fatalf("stale: %+v %+v", snap.Kafka[0], snap.Topics[0])
		}
		// After the expiry they are gone.
		c.set(t0.Add(17 * time.Minute))
		if snap, err = s.Snapshot(context.Background()); err != nil || len(snap.Kafka) != 0 || snap.Series != 0 {
			t.Fatalf("expired: %+v %v", snap, err)
		}
	})
}

func TestSnapshotRabbitMQ(t *testing.T) {
	c := &clock{t: t0}
	s := New(storagetest.Default(t), Config{Now: c.now, CacheFor: time.Nanosecond})
	scrape := func(at time.Time, published, acked int64) pmetric.Metrics {
		return otlpmetricstest.RabbitScrape{At: at, Start: t0.Add(-time.Hour), Node: "rabbit@mq-1", VHost: "/", Queues: []otlpmetricstest.RabbitQueue{
			{Name: "billing", Ready: 7, Unacknowledged: 2, Consumers: 3, Published: published, Delivered: acked, Acknowledged: acked},
			{Name: "billing.dlq", Ready: 4, Published: 4},
		}}.Metrics()
	}
	ingest(t, s, scrape(t0, 1000, 900))
	c.set(t0.Add(30 * time.Second))
	ingest(t, s, scrape(t0.Add(30*time.Second), 1300, 1200))
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.RabbitMQ) != 2 {
		t.Fatalf("queues %+v", snap.RabbitMQ)
	}
	q := snap.RabbitMQ[0]
	if q.Queue != "billing" || q.Node != "rabbit@mq-1" || q.VHost != "/" || q.Ready != 7 || q.Unacknowledged != 2 || q.Consumers != 3 {
		t.Fatalf("billing: %+v", q)
	}
	if !q.Published.HasRate || !near(q.Published.PerSecond, 10) || q.Published.Total != 1300 || !near(q.Acknowledged.PerSecond, 10) {
		t.Fatalf("rates: %+v", q)
	}
	if dlq := snap.RabbitMQ[1]; dlq.Ready != 4 || dlq.Consumers != 0 || dlq.Dropped.PerSecond != 0 || !dlq.Dropped.HasRate {
		t.Fatalf("dlq: %+v", dlq)
	}
}

// sdkExport is one export of client metrics from an instance of service, as the OTel SDK sends
// them: cumulative sums and histograms since start.
func sdkExport(service, instance string, start, at time.Time, sent, consumed, failed int64, durations []uint64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", service)
	rm.Resource().Attributes().PutStr("service.instance.id", instance)
	ms := rm.ScopeMetrics().AppendEmpty().Metrics()
	kafka := func(a pcommon.Map) {
		a.PutStr("messaging.system", "kafka")
		a.PutStr("messaging.destination.name", "orders")
		a.PutStr("server.address", "broker-1")
	}
	sum := func(name string, v int64, attrs func(pcommon.Map)) {
		m := ms.AppendEmpty()
		m.SetName(name)
		m.SetUnit("{message}")
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := s.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
		dp.SetIntValue(v)
		attrs(dp.Attributes())
	}
	sum("messaging.client.sent.messages", sent, kafka)
	consumer := func(a pcommon.Map) { kafka(a); a.PutStr("messaging.consumer.group.name", "billing") }
	sum("messaging.client.consumed.messages", consumed, consumer)
	sum("messaging.client.consumed.messages", failed, func(a pcommon.Map) { consumer(a); a.PutStr("error.type", "timeout") })
	m := ms.AppendEmpty()
	m.SetName("messaging.process.duration")
	m.SetUnit("s")
	h := m.SetEmptyHistogram()
	h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	dp := h.DataPoints().AppendEmpty()
	dp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
	dp.ExplicitBounds().FromRaw([]float64{0.01, 0.1, 1})
	dp.BucketCounts().FromRaw(durations)
	var n uint64
	for _, c := range durations {
		n += c
	}
	dp.SetCount(n)
	dp.SetSum(float64(n) * 0.05)
	consumer(dp.Attributes())
	return md
}

func TestSnapshotClientFlows(t *testing.T) {
	c := &clock{t: t0}
	s := New(storagetest.Default(t), Config{Now: c.now, CacheFor: time.Nanosecond})
	start := t0.Add(-10 * time.Minute)
	// Two instances; a minute apart, each sent 600 and consumed 120 more (12 of them failed).
	ingest(t, s, sdkExport("shop", "a", start, t0, 1000, 500, 10, []uint64{100, 400, 0, 0}))
	ingest(t, s, sdkExport("shop", "b", start, t0, 2000, 500, 10, []uint64{100, 400, 0, 0}))
	c.set(t0.Add(time.Minute))
	ingest(t, s, sdkExport("shop", "a", start, t0.Add(time.Minute), 1600, 620, 22, []uint64{100, 400, 100, 20}))
	ingest(t, s, sdkExport("shop", "b", start, t0.Add(time.Minute), 2600, 620, 22, []uint64{100, 400, 100, 20}))
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Flows) != 2 {
		t.Fatalf("flows: %+v", snap.Flows)
	}
	consume, produce := snap.Flows[0], snap.Flows[1]
	orders := Channel{System: "kafka", Cluster: "broker-1", Destination: "orders"}
	if produce.FlowKey != (FlowKey{Direction: Produce, Service: "shop", Channel: orders}) || !near(produce.Messages.PerSecond, 20) || produce.Messages.Total != 4200 {
		t.Fatalf("produce: %+v", produce)
	}
	if consume.FlowKey != (FlowKey{Direction: Consume, Service: "shop", Channel: orders, Group: "billing"}) ||
		!near(consume.Messages.PerSecond, 2*(120+12)/60.0) || !near(consume.Failed.PerSecond, 2*12/60.0) {
		t.Fatalf("consume: %+v", consume)
	}
	// In the last minute 200 processed in (0.1, 1] and 40 above 1 s: p50 (rank 120) is 120/200
	// into (0.1, 1]; p95 and p99 are above the last bound, which they are reported as.
	p := consume.Process
	if !near(p.P50, 0.1+0.9*120/200) || p.P95 != 1 || p.P99 != 1 || !near(p.Count.PerSecond, 4) || !near(p.Mean, 0.05) {
		t.Fatalf("process: %+v", p)
	}
	// Spans win where they show a flow.
	only := snap.FlowsWithoutSpans(func(k FlowKey) bool { return k.Direction == Produce })
	if len(only) != 1 || only[0].Direction != Consume {
		t.Fatalf("flows without spans: %+v", only)
	}

	// A restarted instance starts its counts again: its rate is read since its start.
	c.set(t0.Add(2 * time.Minute))
	ingest(t, s, sdkExport("shop", "a", t0.Add(time.Minute), t0.Add(2*time.Minute), 60, 0, 0, []uint64{0, 0, 0, 0}))
	snap, _ = s.Snapshot(context.Background())
	if got := snap.Flows[1].Messages.PerSecond; !near(got, 1+10) { // a: 60 in 60 s; b: still its last rate
		t.Fatalf("after a restart: %v", got)
	}
}

func TestCount(t *testing.T) {
	now := t0.Add(time.Minute)
	b := builder{now: now.UnixNano(), stale: (3 * time.Minute).Nanoseconds()}
	ns := func(d time.Duration) int64 { return t0.Add(d).UnixNano() }
	cases := []struct {
		name string
		s    Series
		want Count
	}{
		{"cumulative, two points", Series{Temporality: Cumulative, Point: Point{Start: ns(-time.Hour), Time: ns(time.Minute), Value: 200},
			Prev: Point{Start: ns(-time.Hour), Time: ns(0), Value: 80}}, Count{Total: 200, PerSecond: 2, HasRate: true}},
		{"cumulative, one point since start", Series{Temporality: Cumulative, Point: Point{Start: ns(0), Time: ns(time.Minute), Value: 30}},
			Count{Total: 30, PerSecond: 0.5, HasRate: true}},
		{"cumulative, reset", Series{Temporality: Cumulative, Point: Point{Start: ns(30 * time.Second), Time: ns(time.Minute), Value: 15},
			Prev: Point{Start: ns(-time.Hour), Time: ns(0), Value: 80}}, Count{Total: 15, PerSecond: 0.5, HasRate: true}},
		{"cumulative, no start, one point", Series{Temporality: Cumulative, Point: Point{Time: ns(time.Minute), Value: 15}}, Count{Total: 15}},
		{"delta", Series{Temporality: Delta, Point: Point{Start: ns(0), Time: ns(time.Minute), Value: 120}}, Count{Total: 120, PerSecond: 2, HasRate: true}},
		{"delta without a start", Series{Temporality: Delta, Point: Point{Time: ns(time.Minute), Value: 120}, Prev: Point{Time: ns(0), Value: 5}},
			Count{Total: 120, PerSecond: 2, HasRate: true}},
		{"stale", Series{Temporality: Cumulative, Point: Point{Start: ns(-time.Hour), Time: ns(-5 * time.Minute), Value: 200},
			Prev: Point{Start: ns(-time.Hour), Time: ns(-6 * time.Minute), Value: 80}}, Count{Total: 200}},
	}
	for _, c := range cases {
		if got := b.count(&c.s, pointValue); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestSeriesCap: a source cannot hold more series than its cap, nor all sources more than the
// total; what the cap drops is told to the exporter and counted, and series already stored
// keep being updated.
func TestSeriesCap(t *testing.T) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		c := &clock{t: t0}
		s := New(db, Config{Now: c.now, MaxSeriesPerSource: 10, MaxSeries: 25})
		lags := func(service string, n int, at time.Time) pmetric.Metrics {
			md := pmetric.NewMetrics()
			rm := md.ResourceMetrics().AppendEmpty()
			rm.Resource().Attributes().PutStr("service.name", service)
			m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
			m.SetName("messaging.client.sent.messages")
			sum := m.SetEmptySum()
			sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			for i := range n {
				dp := sum.DataPoints().AppendEmpty()
				dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
				dp.SetIntValue(int64(i))
				dp.Attributes().PutStr("messaging.system", "kafka")
				dp.Attributes().PutStr("messaging.destination.name", fmt.Sprint("topic-", i))
			}
			return md
		}
		res := ingest(t, s, lags("careless", 15, t0))
		if res.Stored != 10 || res.Dropped != 5 || !strings.Contains(res.Message, "service/careless") || !strings.Contains(res.Message, "10 per source") {
			t.Fatalf("careless: %+v", res)
		}
		// The series it holds are still updated; new ones are still dropped.
		c.set(t0.Add(time.Minute))
		if res := ingest(t, s, lags("careless", 15, t0.Add(time.Minute))); res.Stored != 10 || res.Dropped != 5 {
			t.Fatalf("careless again: %+v", res)
		}
		// Another source has its own cap, until the total is reached.
		if res := ingest(t, s, lags("orders", 10, t0.Add(time.Minute))); res.Stored != 10 || res.Dropped != 0 {
			t.Fatalf("orders: %+v", res)
		}
		if res := ingest(t, s, lags("billing", 10, t0.Add(time.Minute))); res.Stored != 5 || res.Dropped != 5 {
			t.Fatalf("billing: %+v", res)
		}
		if n := storagetest.Int(t, db, `SELECT count(*) FROM otlp_metric_series`); n != 25 {
			t.Fatalf("%d rows, want 25", n)
		}
		st := s.Stats()
		if st.Dropped != 15 || st.Stored != 35 || st.Points != 50 || st.Requests != 4 || st.Series != 25 || len(st.Capped) != 2 ||
			st.Capped[0].Source != "service/billing" || st.Capped[1].DroppedPoints != 10 {
			t.Fatalf("stats: %+v", st)
		}
		// Once the careless source's series expire, others have room again.
		c.set(t0.Add(20 * time.Minute))
		if res := ingest(t, s, lags("billing", 10, t0.Add(20*time.Minute))); res.Stored != 10 || res.Dropped != 0 {
			t.Fatalf("billing after expiry: %+v", res)
		}
		if n := storagetest.Int(t, db, `SELECT count(*) FROM otlp_metric_series`); n != 10 {
			t.Fatalf("%d rows after expiry, want 10", n)
		}
	})
}

// TestHostileExporter: an exporter inventing a million series gets no more rows, nor memory,
// than the cap allows.
func TestHostileExporter(t *testing.T) {
	if testing.Short() {
		t.Skip("a million points")
	}
	db := storagetest.Default(t)
	s := New(db, Config{MaxSeriesPerSource: 1000, MaxSeries: 5000})
	const requests, perRequest = 20, 50_000
	for r := range requests {
		md := pmetric.NewMetrics()
		const sources = 60 // 1,200 in all
		for src := range sources {
			rm := md.ResourceMetrics().AppendEmpty()
			rm.Resource().Attributes().PutStr("service.name", fmt.Sprint("hostile-", r, "-", src))
			sum := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
			sum.SetName("messaging.client.sent.messages")
			dps := sum.SetEmptySum().DataPoints()
			for i := range perRequest / sources {
				dp := dps.AppendEmpty()
				dp.SetTimestamp(pcommon.NewTimestampFromTime(time.Now()))
				dp.SetIntValue(1)
				dp.Attributes().PutStr("messaging.system", "kafka")
				dp.Attributes().PutStr("messaging.destination.name", fmt.Sprint("order-", r, "-", i))
			}
		}
		if _, err := s.Ingest(context.Background(), decode(t, md)); err != nil {
			t.Fatal(err)
		}
	}
	if n := storagetest.Int(t, db, `SELECT count(*) FROM otlp_metric_series`); n != 5000 {
		t.Fatalf("%d rows, want the cap of 5000", n)
	}
	st := s.Stats()
	// The first sources' 833 series each fill the total: six whole, two of the seventh.
	if st.Series != 5000 || st.Dropped != st.Points-5000 || len(s.known) != 5000 || len(s.perSource) != 7 {
		t.Fatalf("series %d, dropped %d of %d points; known %d, sources %d", st.Series, st.Dropped, st.Points, len(s.known), len(s.perSource))
	}
	// The drops of sources beyond the first thousand are counted together.
	if len(st.Capped) != maxCappedSources || st.CappedElsewhere == 0 {
		t.Fatalf("capped %d, elsewhere %d", len(st.Capped), st.CappedElsewhere)
	}
}

// TestBusy: while points wait for the database beyond the queue, Ingest answers ErrBusy.
func TestBusy(t *testing.T) {
	db := storagetest.SQLite(t)
	s := New(db, Config{QueuePoints: 30})
	// Hold the only write connection, so the first export waits for it.
	tx, err := db.SQLite.Write.Begin()
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan error, 1)
	go func() {
		_, err := s.Ingest(context.Background(), decode(t, shopScrape(t0, 1, 2, 3).Metrics()))
		first <- err
	}()
	for s.queued.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, err := s.Ingest(context.Background(), decode(t, shopScrape(t0.Add(time.Minute), 1, 2, 3).Metrics())); !errors.Is(err, ErrBusy) {
		t.Fatalf("second export while the first waits: %v", err)
	}
	tx.Rollback()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ingest(context.Background(), decode(t, shopScrape(t0.Add(time.Minute), 1, 2, 3).Metrics())); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

// TestReplicas: two stores on one PostgreSQL database, as two replicas behind a load balancer:
// either may receive any export, and both read all of them.
func TestReplicas(t *testing.T) {
	db := storagetest.Postgres(t)
	c := &clock{t: t0}
	a := New(db, Config{Now: c.now, CacheFor: time.Nanosecond, MaxSeriesPerSource: 30})
	b := New(db, Config{Now: c.now, CacheFor: time.Nanosecond, MaxSeriesPerSource: 30})
	ingest(t, a, shopScrape(t0, 90, 150, 300).Metrics())
	c.set(t0.Add(time.Minute))
	next := shopScrape(t0.Add(time.Minute), 120, 210, 300)
	next.Topics[0].End = []int64{160, 230, 330}
	ingest(t, b, next.Metrics())
	for name, s := range map[string]*Store{"a": a, "b": b} {
		snap, err := s.Snapshot(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if snap.Kafka[0].Lag != 90 || !snap.Kafka[0].HasCommitRate || !near(snap.Kafka[0].CommitRate, 1.5) {
			t.Fatalf("%s: %+v", name, snap.Kafka[0])
		}
	}
	// b learnt of a's series from the table: the cap counts them.
	more := next
	more.Groups = append(more.Groups, otlpmetricstest.KafkaGroup{Name: "audit", Members: 1, Topic: "orders", Committed: []int64{1, 2, 3}})
	c.set(t0.Add(2 * time.Minute))
	more.At = t0.Add(2 * time.Minute)
	if res := ingest(t, b, more.Metrics()); res.Dropped != 24+9-30 {
		t.Fatalf("b with a third group: %+v", res)
	}
}
