package tracing

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

func TestParseSpanKeep(t *testing.T) {
	for _, c := range []struct {
		in   string
		want SpanKeep
		bad  bool
	}{
		{in: "all", want: SpanKeep{All: true}},
		{in: "flows", want: SpanKeep{Sample: DefaultSpanSample}},
		{in: "flows:0.25", want: SpanKeep{Sample: 0.25}},
		{in: "flows:0", want: SpanKeep{Sample: -1}},
		{in: "flows:1", want: SpanKeep{Sample: 1}},
		{in: "flows:2", bad: true},
		{in: "flows:-0.1", bad: true},
		{in: "flows:NaN", bad: true},
		{in: "all:0.5", bad: true},
		{in: "", bad: true},
		{in: "some", bad: true},
	} {
		got, err := ParseSpanKeep(c.in)
		if (err != nil) != c.bad || (!c.bad && got != c.want) {
			t.Errorf("ParseSpanKeep(%q) = %+v, %v", c.in, got, err)
		}
	}
}

// The sample is a fraction of traces, by a hash of the id: about that fraction of sequential
// ids, the same answer every time.
func TestSpanKeepSample(t *testing.T) {
	k := SpanKeep{Sample: 0.01}
	n := 0
	for i := range uint64(100_000) {
		if k.sampled(traceID(i)) {
			n++
		}
	}
	if n < 800 || n > 1200 {
		t.Errorf("%d of 100,000 traces sampled at 0.01", n)
	}
	if k.sampled(traceID(7)) != k.sampled(traceID(7)) {
		t.Error("the sample is not deterministic")
	}
}

// unsampled returns n trace ids above from that the default sample leaves out.
func unsampled(from uint64, n int) []uint64 {
	k := SpanKeep{Sample: DefaultSpanSample}
	var out []uint64
	for i := from; len(out) < n; i++ {
		if !k.sampled(traceID(i)) {
			out = append(out, i)
		}
	}
	return out
}

// With the default keep, a trace's spans are stored when it has a messaging or an error span,
// whether its other spans come before (in the same batch or an earlier one, within the wait)
// or after; plain traces are dropped unless sampled; with "all" everything is stored.
func TestSpanKeep(t *testing.T) {
	storagetest.Each(t, testSpanKeep)
}

func testSpanKeep(t *testing.T, db *storage.DB) {
	ctx := context.Background()
	clk := newClock(time.Now())
	in := startIngest(t, db, Config{Now: clk.now, Keep: SpanKeep{Wait: 30 * time.Second}})
	ids := unsampled(1000, 6)
	http := func(trace, span uint64, err bool) spanSpec {
		return spanSpec{service: "web", kind: ptrace.SpanKindServer, trace: trace, span: span, start: clk.now(), duration: time.Millisecond, statusError: err}
	}
	root, same, plain, failing, late, after := ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]
	// The HTTP root span arrives a batch before the trace's producer; another in the same batch.
	ingest(t, in, decode(t, http(root, 1, false)))
	clk.add(10 * time.Second)
	ingest(t, in, decode(t, producer("orders", "orders", root, 2, clk.now())))
	ingest(t, in, decode(t, http(same, 1, false), producer("orders", "orders", same, 2, clk.now()), http(plain, 1, false), http(failing, 1, true)))
	// A root span held for longer than the wait is dropped before its trace's producer comes.
	ingest(t, in, decode(t, http(late, 1, false)))
	clk.add(31 * time.Second)
	ingest(t, in, decode(t, http(after, 1, false)))
	ingest(t, in, decode(t, producer("orders", "orders", late, 2, clk.now())))
	// A span that comes after its trace was kept is kept.
	ingest(t, in, decode(t, producer("orders", "orders", after, 2, clk.now()), http(after, 3, false)))
	sampled := uint64(0)
	for i := uint64(1); ; i++ {
		if in.cfg.Keep.sampled(traceID(i)) {
			sampled = i
			break
		}
	}
	ingest(t, in, decode(t, http(sampled, 1, false)))

	for _, c := range []struct {
		name  string
		trace uint64
		spans int // 0: not found
	}{
		{"root span a batch before the producer", root, 2},
		{"root span in the producer's batch", same, 2},
		{"a plain trace", plain, 0},
		{"a failed HTTP span", failing, 1},
		{"root span held longer than the wait", late, 1},
		{"spans before, held, and after the producer", after, 3},
		{"a sampled plain trace", sampled, 1},
	} {
		spans, err := in.Trace(ctx, traceID(c.trace))
		if c.spans == 0 {
			if !errors.Is(err, ErrTraceNotFound) {
				t.Errorf("%s: %d spans, %v; want not found", c.name, len(spans), err)
			}
			continue
		}
		if err != nil || len(spans) != c.spans {
			t.Errorf("%s: %d spans, %v; want %d", c.name, len(spans), err, c.spans)
		}
	}

	all := startIngest(t, another(t, db), Config{Keep: SpanKeep{All: true}})
	ingest(t, all, decode(t, http(plain, 1, false)))
	if c, err := all.Counts(ctx); err != nil || c.Spans != 1 {
		t.Errorf("keep all: counts %+v, %v; want the plain span stored", c, err)
	}
}
