package tracing

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// shopSpans is one order: orders produces to "orders"; billing consumes it through a span link
// 2s later; stock consumes it as a child of the producer span (older instrumentations) 5s later.
func shopSpans(t *testing.T, order uint64, at time.Time) (producers, consumers []Span) {
	p := producer("orders", "orders", order, 1, at)
	c1 := consumer("billing", "billing", "orders", 1000+order, 2, ref(order, 1), at.Add(2*time.Second), 20*time.Millisecond)
	c2 := spanSpec{service: "stock", kind: 5, trace: order, span: 3, parent: 1, start: at.Add(5 * time.Second), duration: 3 * time.Millisecond,
		attrs: map[string]any{"messaging.system": "kafka", "messaging.operation": "process", "messaging.destination": "orders", "messaging.kafka.consumer.group": "stock"}}
	return decode(t, p), decode(t, c1, c2)
}

func flowsAt(t *testing.T, in *Ingester, q FlowQuery) []Flow {
	t.Helper()
	if q.Since.IsZero() {
		q.Since, q.Until = t0.Add(-time.Hour), t0.Add(time.Hour)
	}
	flows, err := in.Flows(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return flows
}

func TestFlowsFromProducersAndConsumers(t *testing.T) {
	storagetest.Each(t, testFlowsFromProducersAndConsumers)
}

func testFlowsFromProducersAndConsumers(t *testing.T, db *storage.DB) {
	in := startIngest(t, db, Config{Now: newClock(t0).now})
	for i := range uint64(10) {
		p, c := shopSpans(t, i+1, t0.Add(time.Duration(i)*time.Second))
		ingest(t, in, append(p, c...))
	}
	flows := flowsAt(t, in, FlowQuery{})
	type edge struct {
		dir, service, channel, group string
		messages, delays             int64
	}
	var got []edge
	for _, f := range flows {
		got = append(got, edge{f.Direction, f.Service, f.ChannelKey, f.ConsumerGroup, f.Messages, f.Delays})
	}
	want := []edge{
		{"produce", "orders", "kafka/orders", "", 10, 0},
		{"consume", "billing", "kafka/orders", "billing", 10, 10},
		{"consume", "stock", "kafka/orders", "stock", 10, 10},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("flows:\n got %+v\nwant %+v", got, want)
	}
	if d := *flows[1].DelayP95Ms; d < 1000 || d > 2500 {
		t.Errorf("billing p95 delay %vms, want about 2000ms", d)
	}
	if d := *flows[2].DelayP95Ms; d < 2500 || d > 5000 {
		t.Errorf("stock p95 delay %vms, want about 5000ms", d)
	}
	if p := flows[1].ProcessingMs.P50; p < 10 || p > 25 {
		t.Errorf("billing p50 processing %vms, want about 20ms", p)
	}
	// Filters.
	if f := flowsAt(t, in, FlowQuery{Since: t0.Add(-time.Hour), Until: t0.Add(time.Hour), Service: "stock"}); len(f) != 1 || f[0].Service != "stock" {
		t.Errorf("service filter: %+v", f)
	}
	if f := flowsAt(t, in, FlowQuery{Since: t0.Add(-time.Hour), Until: t0.Add(time.Hour), Channel: "nope"}); len(f) != 0 {
		t.Errorf("channel filter: %+v", f)
	}
	// A window before the spans holds nothing.
	if f := flowsAt(t, in, FlowQuery{Since: t0.Add(-3 * time.Hour), Until: t0.Add(-2 * time.Hour)}); len(f) != 0 {
		t.Errorf("window before the spans: %+v", f)
	}
	counts, err := in.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts != (Counts{Spans: 30, Flows: 3, Channels: 1}) {
		t.Errorf("counts %+v", counts)
	}
}

func TestOutOfOrderArrivalGivesTheSameFlows(t *testing.T) {
	storagetest.Each(t, testOutOfOrderArrivalGivesTheSameFlows)
}

func testOutOfOrderArrivalGivesTheSameFlows(t *testing.T, db *storage.DB) {
	run := func(db *storage.DB, consumersFirst bool) []Flow {
		in := startIngest(t, db, Config{Now: newClock(t0).now})
		for i := range uint64(5) {
			p, c := shopSpans(t, i+1, t0.Add(time.Duration(i)*7*time.Second))
			if consumersFirst {
				ingest(t, in, c)
				ingest(t, in, p)
			} else {
				ingest(t, in, p)
				ingest(t, in, c)
			}
		}
		// With pairs shared between replicas, a consumer that came first is paired once its
		// producer's commit is followed by another: within a second.
		waitFor(t, func() bool {
			f := flowsAt(t, in, FlowQuery{})
			return len(f) == 3 && f[1].Delays == 5 && f[2].Delays == 5
		})
		return flowsAt(t, in, FlowQuery{})
	}
	inOrder, outOfOrder := run(db, false), run(another(t, db), true)
	if !reflect.DeepEqual(inOrder, outOfOrder) {
		t.Fatalf("in order:\n%+v\nout of order:\n%+v", inOrder, outOfOrder)
	}
	if inOrder[1].Delays != 5 {
		t.Fatalf("want 5 paired consumers, got %+v", inOrder[1])
	}
}

func TestLongWindowsReadHourRollups(t *testing.T) {
	storagetest.Each(t, testLongWindowsReadHourRollups)
}

func testLongWindowsReadHourRollups(t *testing.T, db *storage.DB) {
	in := startIngest(t, db, Config{Now: newClock(t0).now})
	// One message every 10 minutes for 30 hours.
	var spans []Span
	for i := range 180 {
		spans = append(spans, decode(t, producer("orders", "orders", uint64(i+1), 1, t0.Add(time.Duration(i)*10*time.Minute+17*time.Second)))...)
	}
	ingest(t, in, spans)
	tests := []struct {
		since, until time.Time
		want         int64
	}{
		{t0, t0.Add(24 * time.Hour), 144},
		{t0.Add(25 * time.Minute), t0.Add(24*time.Hour + 25*time.Minute), 144},
		{t0.Add(5 * time.Minute), t0.Add(15 * time.Minute), 1},
		{t0.Add(-time.Hour), t0.Add(40 * time.Hour), 180},
	}
	for _, tt := range tests {
		f := flowsAt(t, in, FlowQuery{Since: tt.since, Until: tt.until})
		if len(f) != 1 || f[0].Messages != tt.want {
			t.Errorf("[%s, %s): %+v, want %d messages", tt.since, tt.until, f, tt.want)
		}
	}
}

func TestHealthStatuses(t *testing.T) {
	storagetest.Each(t, testHealthStatuses)
}

func testHealthStatuses(t *testing.T, db *storage.DB) {
	clk := newClock(t0)
	in := startIngest(t, db, Config{Now: clk.now})
	var spans []Span
	for i := range uint64(20) {
		at := t0.Add(-2*time.Minute + time.Duration(i)*time.Second)
		spans = append(spans, decode(t, producer("orders", "orders", i+1, 1, at))...)
		ok := consumer("billing", "billing", "orders", 100+i, 2, ref(i+1, 1), at.Add(time.Second), 5*time.Millisecond)
		failing := consumer("fraud", "fraud", "orders", 200+i, 3, ref(i+1, 1), at.Add(time.Second), 5*time.Millisecond)
		failing.statusError = i%2 == 0
		slow := consumer("shipping", "shipping", "orders", 300+i, 4, ref(i+1, 1), at.Add(time.Second), 3*time.Second)
		spans = append(spans, decode(t, ok, failing, slow)...)
	}
	// A consumer last seen 20 minutes ago, while orders still flow: silent.
	spans = append(spans, decode(t, consumer("audit", "audit", "orders", 999, 5, ref(1, 1), t0.Add(-20*time.Minute), time.Millisecond))...)
	ingest(t, in, spans)

	report, err := in.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ConsumerHealth{}
	for _, c := range report.Consumers {
		got[c.Service] = c
	}
	for service, want := range map[string]string{"billing": StatusHealthy, "fraud": StatusFailing, "shipping": StatusDegraded, "audit": StatusSilent} {
		if got[service].Status != want {
			t.Errorf("%s: status %q (%v), want %q", service, got[service].Status, got[service].Reasons, want)
		}
	}
	if b := got["billing"]; b.Messages != 20 || b.ThroughputPerSecond <= 0 || b.DelayP95Ms == nil {
		t.Errorf("billing: %+v", b)
	}
	if f := got["fraud"]; f.ErrorRate != 0.5 {
		t.Errorf("fraud error rate %v, want 0.5", f.ErrorRate)
	}
	if len(report.Consumers) != 4 {
		t.Errorf("%d consumers, want 4", len(report.Consumers))
	}

	// A FlowReader on the same store tells the same once the writer has flushed.
	if err := in.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	read, err := NewFlowReader(db).Health(context.Background(), HealthThresholds{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(read.Consumers) != len(report.Consumers) {
		t.Fatalf("reader: %d consumers, want %d", len(read.Consumers), len(report.Consumers))
	}
	for i, c := range read.Consumers {
		if w := report.Consumers[i]; c.Service != w.Service || c.Status != w.Status || c.Messages != w.Messages || c.ErrorRate != w.ErrorRate {
			t.Errorf("reader: %s %s %d %v, want %s %s %d %v", c.Service, c.Status, c.Messages, c.ErrorRate, w.Service, w.Status, w.Messages, w.ErrorRate)
		}
	}
	in = startIngest(t, db, Config{Now: clk.now})

	// An hour later nothing flows: nobody is silent, the idle consumers count as healthy.
	clk.add(time.Hour)
	report, err = in.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range report.Consumers {
		if c.Status != StatusHealthy || c.Messages != 0 {
			t.Errorf("idle %s: %s %v, %d messages", c.Service, c.Status, c.Reasons, c.Messages)
		}
	}
}

func TestRetentionDropsOldSpansAndFlows(t *testing.T) {
	storagetest.Each(t, testRetentionDropsOldSpansAndFlows)
}

func testRetentionDropsOldSpansAndFlows(t *testing.T, db *storage.DB) {
	clk := newClock(t0)
	in := startIngest(t, db, Config{Now: clk.now, SpanRetention: time.Hour, FlowRetention: 48 * time.Hour, RetentionEvery: 10 * time.Millisecond})
	ingest(t, in, decode(t, producer("orders", "orders", 1, 1, t0)))
	clk.add(2 * time.Hour)
	ingest(t, in, decode(t, producer("orders", "orders", 2, 1, clk.now())))
	waitFor(t, func() bool { return count(t, db, "span") == 1 && count(t, db, "trace_index") == 1 })

	clk.add(47 * time.Hour) // the first message's aggregates are now past the flow retention
	waitFor(t, func() bool { return count(t, db, "flow_minute") == 1 && count(t, db, "flow_hour") == 1 })
	clk.add(10 * time.Hour)
	waitFor(t, func() bool {
		return count(t, db, "flow") == 0 && count(t, db, "span") == 0 && count(t, db, "span_batch") == 0
	})
	// The flow comes back when it is seen again.
	ingest(t, in, decode(t, producer("orders", "orders", 3, 1, clk.now())))
	if f := flowsAt(t, in, FlowQuery{Since: clk.now().Add(-time.Minute), Until: clk.now().Add(time.Minute)}); len(f) != 1 {
		t.Fatalf("flows after retention: %+v", f)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestQueueFullAndEveryAcknowledgedSpanStored(t *testing.T) {
	storagetest.Each(t, testQueueFullAndEveryAcknowledgedSpanStored)
}

func testQueueFullAndEveryAcknowledgedSpanStored(t *testing.T, db *storage.DB) {
	in := startIngest(t, db, Config{Now: newClock(t0).now, QueueSpans: 10})
	release := blockWrites(t, db) // the writer is stuck

	var (
		wg             sync.WaitGroup
		mu             sync.Mutex
		acked, refused int
		unexpected     []error
	)
	for i := range uint64(20) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := in.Ingest(context.Background(), decode(t, producer("orders", "orders", i+1, 1, t0), producer("orders", "orders", i+1, 2, t0)))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				acked++
			case errors.Is(err, ErrQueueFull):
				refused++
			default:
				unexpected = append(unexpected, err)
			}
		}()
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return refused >= 10 })
	release()
	wg.Wait()
	if len(unexpected) > 0 || acked+refused != 20 || refused < 10 {
		t.Fatalf("acked %d, refused %d, errors %v", acked, refused, unexpected)
	}
	if n := count(t, db, "span"); n != 2*acked {
		t.Fatalf("%d spans stored, %d acknowledged", n, 2*acked)
	}
}

func TestCloseCommitsQueuedSpansAndRefusesMore(t *testing.T) {
	storagetest.Each(t, testCloseCommitsQueuedSpansAndRefusesMore)
}

func testCloseCommitsQueuedSpansAndRefusesMore(t *testing.T, db *storage.DB) {
	acked := func() string {
		in := startIngest(t, db, Config{})
		var wg sync.WaitGroup
		var acked sync.Map
		for i := range uint64(50) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if in.Ingest(context.Background(), decode(t, producer("orders", "orders", i+1, 1, time.Now()))) == nil {
					acked.Store(i, true)
				}
			}()
		}
		time.Sleep(time.Millisecond)
		if err := in.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		if err := in.Ingest(context.Background(), decode(t, producer("orders", "orders", 99, 1, time.Now()))); !errors.Is(err, ErrClosed) {
			t.Fatalf("ingest after close: %v", err)
		}
		n := 0
		acked.Range(func(any, any) bool { n++; return true })
		if got := count(t, db, "span"); got != n {
			t.Fatalf("%d spans stored, %d acknowledged", got, n)
		}
		return fmt.Sprint(n)
	}()
	t.Logf("acknowledged before close: %s", acked)
}
