package tracing

import (
	"context"
	"encoding/binary"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock    { c := &clock{}; c.set(t); return c }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *clock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }

// startIngest starts ingest with cfg on db, and closes it when the test ends (before the store
// is closed).
func startIngest(t testing.TB, db *storage.DB, cfg Config) *Ingester {
	t.Helper()
	in, err := Start(context.Background(), db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := in.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return in
}

// another opens a second fresh store of db's backend.
func another(t testing.TB, db *storage.DB) *storage.DB {
	if db.Postgres != nil {
		return storagetest.Postgres(t)
	}
	return storagetest.SQLite(t)
}

// spanSpec describes one test span.
type spanSpec struct {
	service      string
	kind         ptrace.SpanKind
	trace        uint64 // ids are small numbers, for readability
	span, parent uint64
	links        []SpanRef
	start        time.Time
	duration     time.Duration
	statusError  bool
	attrs        map[string]any
}

func traceID(n uint64) TraceID { var t TraceID; binary.BigEndian.PutUint64(t[8:], n); return t }
func spanID(n uint64) SpanID   { var s SpanID; binary.BigEndian.PutUint64(s[:], n); return s }

func ref(trace, span uint64) SpanRef { return SpanRef{TraceID: traceID(trace), SpanID: spanID(span)} }

// decode builds OTLP traces from specs and decodes them, as the server does.
func decode(t testing.TB, specs ...spanSpec) []Span {
	t.Helper()
	td := ptrace.NewTraces()
	for _, s := range specs {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", s.service)
		ps := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
		ps.SetName(s.service + " span")
		ps.SetKind(s.kind)
		ps.SetTraceID(pcommon.TraceID(traceID(s.trace)))
		ps.SetSpanID(pcommon.SpanID(spanID(s.span)))
		if s.parent != 0 {
			ps.SetParentSpanID(pcommon.SpanID(spanID(s.parent)))
		}
		for _, l := range s.links {
			pl := ps.Links().AppendEmpty()
			pl.SetTraceID(pcommon.TraceID(l.TraceID))
			pl.SetSpanID(pcommon.SpanID(l.SpanID))
		}
		ps.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
		ps.SetEndTimestamp(pcommon.NewTimestampFromTime(s.start.Add(s.duration)))
		if s.statusError {
			ps.Status().SetCode(ptrace.StatusCodeError)
		}
		if err := ps.Attributes().FromRaw(s.attrs); err != nil {
			t.Fatal(err)
		}
	}
	d, err := FromTraces(td, DecodeLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if d.Rejected > 0 {
		t.Fatalf("spans rejected: %s", d.RejectionMessage())
	}
	return d.Spans
}

func kafka(dest string, extra ...string) map[string]any {
	m := map[string]any{"messaging.system": "kafka", "messaging.destination.name": dest}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func producer(service, dest string, trace, span uint64, start time.Time) spanSpec {
	return spanSpec{service: service, kind: ptrace.SpanKindProducer, trace: trace, span: span, start: start,
		duration: time.Millisecond, attrs: kafka(dest, "messaging.operation.type", "send")}
}

func consumer(service, group, dest string, trace, span uint64, link SpanRef, start time.Time, d time.Duration) spanSpec {
	return spanSpec{service: service, kind: ptrace.SpanKindConsumer, trace: trace, span: span, links: []SpanRef{link},
		start: start, duration: d, attrs: kafka(dest, "messaging.operation.type", "process", "messaging.consumer.group.name", group)}
}

func ingest(t *testing.T, in *Ingester, spans []Span) {
	t.Helper()
	if err := in.Ingest(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
}

func decodeB(b *testing.B, specs ...spanSpec) []Span { return decode(b, specs...) }
