package tracing

import (
	"context"
	"time"
)

const (
	retentionChunk  = 5000                   // rows deleted per transaction
	retentionBudget = 200 * time.Millisecond // longest retention run between two ingest batches
)

// housekeeping runs between batches in the writer goroutine: it refreshes the live windows,
// drops spans older than the span retention and aggregates older than the flow retention, in
// small transactions and within a time budget so ingest is never held up for long, and expires
// the pairing state.
func (w *writer) housekeeping() {
	now := w.cfg.Now()
	w.flows.pairs.expire(now)
	w.logRefresh(now)
	w.failures.expire(now.Add(-w.cfg.SpanRetention))
	w.commitClaims()
	deadline := time.Now().Add(retentionBudget)
	r := retention{now: now, spansBefore: now.Add(-w.cfg.SpanRetention), flowsBefore: now.Add(-w.cfg.FlowRetention)}
	for time.Now().Before(deadline) {
		e, err := w.sw.expire(context.Background(), r)
		if err != nil {
			w.log.Error("retention", "error", err)
			return
		}
		if e.flowsDeleted {
			w.live.drop()
		}
		if !e.more {
			return
		}
	}
}
