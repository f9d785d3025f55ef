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

// A trace's spans are found whichever commit stored them: its messaging span in one, a span
// without messaging attributes in a later one. A trace without a messaging span is not a trace
// the console shows, on either backend.
func TestTraceGathersEveryCommitsSpans(t *testing.T) {
	storagetest.Each(t, testTraceGathersEveryCommitsSpans)
}

func testTraceGathersEveryCommitsSpans(t *testing.T, db *storage.DB) {
	in := startIngest(t, db, Config{})
	at := time.Now().Add(-time.Minute)
	ingest(t, in, decode(t, producer("orders", "orders", 1, 1, at)))
	ingest(t, in, decode(t, spanSpec{service: "orders", kind: ptrace.SpanKindServer, trace: 1, span: 2, start: at.Add(-time.Millisecond), duration: 5 * time.Millisecond}))
	ingest(t, in, decode(t, spanSpec{service: "web", kind: ptrace.SpanKindServer, trace: 2, span: 3, start: at, duration: time.Millisecond}))

	spans, err := in.Trace(context.Background(), traceID(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 {
		t.Fatalf("trace 1: %d spans, want the producer and the HTTP span committed after it", len(spans))
	}
	if _, err := in.Trace(context.Background(), traceID(2)); !errors.Is(err, ErrTraceNotFound) {
		t.Errorf("a trace without messaging spans: %v, want ErrTraceNotFound", err)
	}
	if _, err := in.Trace(context.Background(), traceID(9)); !errors.Is(err, ErrTraceNotFound) {
		t.Errorf("an unknown trace: %v, want ErrTraceNotFound", err)
	}
}
