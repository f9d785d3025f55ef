package tracing

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const (
	retentionChunk  = 5000                   // rows deleted per transaction
	retentionBudget = 200 * time.Millisecond // longest retention run between two ingest batches
)

// housekeeping runs between batches in the writer goroutine: it drops spans older than the span
// retention and aggregates older than the flow retention, in small transactions and within a time
// budget so ingest is never held up for long, and expires the pairing state.
func (w *writer) housekeeping() {
	now := w.cfg.Now()
	w.flows.pairs.expire(now)
	w.live.update(context.Background(), w.db.Read, w.db.Write, now, w.log)
	w.failures.expire(now.Add(-w.cfg.SpanRetention))
	deadline := time.Now().Add(retentionBudget)
	ctx := context.Background()
	steps := []func(context.Context, time.Time) (bool, error){w.expireSpans, w.expireTraceIndex, w.expireFlows}
	for _, step := range steps {
		for time.Now().Before(deadline) {
			more, err := step(ctx, now)
			if err != nil {
				w.log.Error("retention", "error", err)
				return
			}
			if !more {
				break
			}
		}
	}
}

// expireSpans deletes up to one chunk of spans from the oldest batch committed before the span
// retention; it reports whether there may be more to delete.
func (w *writer) expireSpans(ctx context.Context, now time.Time) (bool, error) {
	cutoff := now.Add(-w.cfg.SpanRetention).UnixNano()
	var batchID, first, last int64
	err := w.db.Write.QueryRowContext(ctx,
		"SELECT id, first_span, last_span FROM span_batch WHERE committed_ns < ? ORDER BY id LIMIT 1", cutoff,
	).Scan(&batchID, &first, &last)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find expired spans: %w", err)
	}
	end := min(first+retentionChunk-1, last)
	return true, w.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM span WHERE id >= ? AND id <= ?", first, end); err != nil {
			return fmt.Errorf("delete spans %d-%d: %w", first, end, err)
		}
		if end == last {
			_, err = tx.ExecContext(ctx, "DELETE FROM span_batch WHERE id = ?", batchID)
		} else {
			_, err = tx.ExecContext(ctx, "UPDATE span_batch SET first_span = ?, spans = spans - ? WHERE id = ?", end+1, end+1-first, batchID)
		}
		return err
	})
}

// expireTraceIndex deletes index rows of traces whose first span is gone. Rows are in rowid order
// of their first span, so the expired ones are a prefix.
func (w *writer) expireTraceIndex(ctx context.Context, _ time.Time) (bool, error) {
	var oldest int64
	err := w.db.Write.QueryRowContext(ctx, "SELECT coalesce((SELECT first_span FROM span_batch ORDER BY id LIMIT 1), ?)", w.nextSpan).Scan(&oldest)
	if err != nil {
		return false, fmt.Errorf("find oldest span: %w", err)
	}
	var lo int64
	err = w.db.Write.QueryRowContext(ctx, "SELECT id FROM trace_index ORDER BY id LIMIT 1").Scan(&lo)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find oldest trace: %w", err)
	}
	res, err := w.db.Write.ExecContext(ctx, "DELETE FROM trace_index WHERE id >= ? AND id < ? AND first_span < ?", lo, lo+retentionChunk, oldest)
	if err != nil {
		return false, fmt.Errorf("delete expired traces: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// expireFlows deletes the oldest minute and hour of aggregates when it is older than the flow
// retention, and flows not seen within it.
func (w *writer) expireFlows(ctx context.Context, now time.Time) (bool, error) {
	cutoff := now.Add(-w.cfg.FlowRetention)
	more := false
	for _, t := range []struct {
		table, col string
		cutoff     int64
	}{
		{"flow_minute", "minute", cutoff.Unix() / 60},
		{"flow_hour", "hour", cutoff.Unix() / 3600},
	} {
		var oldest sql.NullInt64
		if err := w.db.Write.QueryRowContext(ctx, fmt.Sprintf("SELECT min(%s) FROM %s", t.col, t.table)).Scan(&oldest); err != nil {
			return false, fmt.Errorf("find oldest %s: %w", t.table, err)
		}
		if !oldest.Valid || oldest.Int64 >= t.cutoff {
			continue
		}
		if _, err := w.db.Write.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s = ?", t.table, t.col), oldest.Int64); err != nil {
			return false, fmt.Errorf("delete from %s: %w", t.table, err)
		}
		more = true
	}
	if !more {
		res, err := w.db.Write.ExecContext(ctx, "DELETE FROM flow WHERE last_seen_ns < ?", cutoff.UnixNano())
		if err != nil {
			return false, fmt.Errorf("delete expired flows: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			w.live.drop()
			return false, w.flows.load(ctx, w.db.Write)
		}
	}
	return more, nil
}

func (w *writer) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := w.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
