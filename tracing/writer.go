package tracing

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/eventlens/eventlens/sqlitedb"
)

// writer is the one goroutine that writes tracing tables. It owns the next span rowid, the flow
// aggregates in memory and the pairing state, so none of them needs a lock.
type writer struct {
	cfg         *Config
	db          *sqlitedb.DB
	log         *slog.Logger
	st          *statements
	nextSpan    int64 // rowid of the next span; spans are append-only in arrival order
	flows       *aggregator
	live        *liveWindows
	failures    *recentErrors
	newFailures []ErrorExample // failed messaging spans in the open transaction
	traces      *recentTraces
	newTrace    []TraceID // traces first seen in the open transaction
}

// statements are prepared once on the write pool and bound to each transaction.
type statements struct {
	insertSpan, insertBatch, insertTrace *sql.Stmt
	insertFlow, updateFlow               *sql.Stmt
	upsertMinute, upsertHour             *sql.Stmt
}

func newWriter(ctx context.Context, db *sqlitedb.DB, cfg *Config) (*writer, error) {
	w := &writer{cfg: cfg, db: db, log: cfg.Logger, traces: newRecentTraces(100_000), live: newLiveWindows(liveLengths(cfg))}
	if err := db.Write.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) + 1 FROM span").Scan(&w.nextSpan); err != nil {
		return nil, fmt.Errorf("start ingest: %w", err)
	}
	var err error
	if w.flows, err = newAggregator(ctx, db.Read, cfg); err != nil {
		return nil, err
	}
	if w.failures, err = loadRecentErrors(ctx, db.Read); err != nil {
		return nil, err
	}
	st := &statements{}
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&st.insertSpan, `INSERT INTO span (id, trace_id, span_id, parent_span_id, service, name, kind, start_ns, end_ns,
			status_code, status_message, channel, attributes, links) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.insertBatch, `INSERT INTO span_batch (first_span, last_span, spans, min_start_ns, max_start_ns, committed_ns)
			VALUES (?, ?, ?, ?, ?, ?)`},
		{&st.insertTrace, `INSERT OR IGNORE INTO trace_index (trace_id, first_span, start_ns) VALUES (?, ?, ?)`},
		{&st.insertFlow, `INSERT INTO flow (direction, service, system, cluster, destination, consumer_group, first_seen_ns, last_seen_ns)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (direction, service, system, cluster, destination, consumer_group)
			DO UPDATE SET last_seen_ns = max(last_seen_ns, excluded.last_seen_ns) RETURNING id`},
		{&st.updateFlow, `UPDATE flow SET last_seen_ns = max(last_seen_ns, ?), schema_id = coalesce(?, schema_id),
			schema_version = coalesce(?, schema_version) WHERE id = ?`},
		{&st.upsertMinute, upsertAggregateSQL("flow_minute", "minute")},
		{&st.upsertHour, upsertAggregateSQL("flow_hour", "hour")},
	} {
		if *p.dst, err = db.Write.PrepareContext(ctx, p.sql); err != nil {
			return nil, fmt.Errorf("prepare ingest statement: %w", err)
		}
	}
	w.st = st
	return w, nil
}

// liveLengths are the windows to keep running sums for: Config.Windows and the health window,
// each shorter than the flow retention.
func liveLengths(cfg *Config) []time.Duration {
	var out []time.Duration
	for _, d := range append([]time.Duration{cfg.Health.Window}, cfg.Windows...) {
		if d > 0 && d < cfg.FlowRetention {
			out = append(out, d)
		}
	}
	return out
}

// run takes requests off the queue until it is closed and drained: each turn commits every
// request waiting (up to BatchSpans) in one transaction and then answers them. Between batches
// it runs retention in small transactions.
func (w *writer) run(queue <-chan *request, queued *atomic.Int64) {
	defer w.closeStatements()
	defer w.live.stopLoad()
	tick := time.NewTicker(w.cfg.RetentionEvery)
	defer tick.Stop()
	// Readers sum aggregate rows while a live window lags the clock, so windows move as soon as
	// a minute starts rather than at the next retention tick.
	minute := time.NewTimer(untilNextMinute(time.Now()))
	defer minute.Stop()
	w.housekeeping()
	batch := make([]*request, 0, 64)
	for {
		select {
		case req, ok := <-queue:
			if !ok {
				return
			}
			batch = append(batch[:0], req)
			n, open := len(req.spans), true
		fill:
			for n < w.cfg.BatchSpans {
				select {
				case r, ok := <-queue:
					if !ok {
						open = false
						break fill
					}
					batch = append(batch, r)
					n += len(r.spans)
				default:
					break fill
				}
			}
			err := w.commit(batch)
			if err != nil {
				w.log.Error("ingest batch failed", "spans", n, "error", err)
			}
			for _, r := range batch {
				queued.Add(-int64(len(r.spans)))
				r.done <- err
			}
			if !open {
				return
			}
		case <-tick.C:
			w.housekeeping()
		case <-minute.C:
			w.live.update(context.Background(), w.db.Read, w.db.Write, w.cfg.Now(), w.log)
			minute.Reset(untilNextMinute(time.Now()))
		}
	}
}

func (w *writer) closeStatements() {
	for _, s := range []*sql.Stmt{w.st.insertSpan, w.st.insertBatch, w.st.insertTrace, w.st.insertFlow, w.st.updateFlow, w.st.upsertMinute, w.st.upsertHour} {
		s.Close()
	}
}

// commit stores a batch of requests in one transaction: the spans, the batch's row in
// span_batch, new traces in trace_index and the flow aggregates.
func (w *writer) commit(batch []*request) (err error) {
	ctx := context.Background()
	tx, err := w.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin ingest transaction: %w", err)
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, tx.Rollback())
			w.flows.discard()
			w.newTrace, w.newFailures = w.newTrace[:0], w.newFailures[:0]
		}
	}()
	insert, insertTrace := tx.StmtContext(ctx, w.st.insertSpan), tx.StmtContext(ctx, w.st.insertTrace)
	first, id := w.nextSpan, w.nextSpan
	var minStart, maxStart int64
	for _, r := range batch {
		for i := range r.spans {
			s := &r.spans[i]
			if id == first || s.StartNanos < minStart {
				minStart = s.StartNanos
			}
			maxStart = max(maxStart, s.StartNanos)
			if _, err := insert.ExecContext(ctx, w.spanArgs(id, s)...); err != nil {
				return fmt.Errorf("insert span %s: %w", s.SpanID, err)
			}
			if s.Messaging != nil {
				w.flows.observe(s)
				if s.StatusCode == StatusError {
					w.newFailures = append(w.newFailures, exampleOf(s))
				}
				if w.traces.firstSeen(s.TraceID) {
					w.newTrace = append(w.newTrace, s.TraceID)
					if _, err := insertTrace.ExecContext(ctx, s.TraceID[:], id, s.StartNanos); err != nil {
						return fmt.Errorf("index trace %s: %w", s.TraceID, err)
					}
				}
			}
			id++
		}
	}
	if _, err := tx.StmtContext(ctx, w.st.insertBatch).ExecContext(ctx, first, id-1, id-first, minStart, maxStart, w.cfg.Now().UnixNano()); err != nil {
		return fmt.Errorf("record span batch: %w", err)
	}
	if err := w.flows.flush(ctx, tx, w.st); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit ingest transaction: %w", err)
	}
	w.nextSpan = id
	w.flows.committed(w.live)
	w.traces.commit(w.newTrace)
	w.failures.add(w.newFailures)
	w.newTrace, w.newFailures = w.newTrace[:0], w.newFailures[:0]
	return nil
}

func (w *writer) spanArgs(id int64, s *Span) []any {
	var parent, statusMsg, channel, links any
	if !s.ParentSpanID.IsZero() {
		parent = s.ParentSpanID[:]
	}
	if s.StatusMessage != "" {
		statusMsg = s.StatusMessage
	}
	if s.Messaging != nil {
		channel = s.Messaging.Channel.Key()
	}
	if len(s.Links) > 0 {
		links = linksJSON(s.Links)
	}
	return []any{id, s.TraceID[:], s.SpanID[:], parent, s.Service, s.Name, int64(s.Kind), s.StartNanos, s.EndNanos,
		int64(s.StatusCode), statusMsg, channel, string(s.Attributes), links}
}

func linksJSON(links []SpanRef) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, l := range links {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"trace_id":"%s","span_id":"%s"}`, l.TraceID, l.SpanID)
	}
	b.WriteByte(']')
	return b.String()
}

// recentTraces remembers trace ids already in trace_index, in two generations, so each trace is
// indexed once without asking the database.
type recentTraces struct {
	max int
	gen [2]map[TraceID]struct{}
}

func newRecentTraces(max int) *recentTraces {
	return &recentTraces{max: max, gen: [2]map[TraceID]struct{}{{}, {}}}
}

func (r *recentTraces) firstSeen(t TraceID) bool {
	_, a := r.gen[0][t]
	_, b := r.gen[1][t]
	return !a && !b
}

func (r *recentTraces) commit(ts []TraceID) {
	for _, t := range ts {
		if len(r.gen[0]) >= r.max/2 {
			r.gen[1], r.gen[0] = r.gen[0], map[TraceID]struct{}{}
		}
		r.gen[0][t] = struct{}{}
	}
}

// untilNextMinute is how long from t until just after the next minute starts.
func untilNextMinute(t time.Time) time.Duration {
	return t.Truncate(time.Minute).Add(time.Minute).Sub(t) + time.Millisecond
}
