package tracing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/eventlens/eventlens/sqlitedb"
)

// sqliteStore is the store of one process on one file: readers use the read pool, the writer the
// one write connection. There are no other replicas, so pending pairs stay in the writer's
// memory and a snapshot never brings changes.
type sqliteStore struct {
	db    *sqlitedb.DB
	texts *textCache
}

// sqliteQuerier is a pool or a transaction: live windows load from a read transaction's snapshot.
type sqliteQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (s sqliteStore) flowRows(ctx context.Context, seenSinceNs int64) (map[int64]flowRow, error) {
	return sqliteFlowRows(ctx, s.db.Read, seenSinceNs)
}

func (s sqliteStore) sumAggregates(ctx context.Context, m1, m2 int64) (map[int64]*aggregate, error) {
	return sqliteSums(ctx, s.db.Read, m1, m2)
}

func sqliteFlowRows(ctx context.Context, db sqliteQuerier, seenSinceNs int64) (map[int64]flowRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, direction, service, system, cluster, destination, consumer_group,
		first_seen_ns, last_seen_ns, last_sampled_ns, coalesce(schema_id, ''), coalesce(schema_version, '') FROM flow WHERE last_seen_ns >= ?`, seenSinceNs)
	if err != nil {
		return nil, fmt.Errorf("read flows: %w", err)
	}
	defer rows.Close()
	out := map[int64]flowRow{}
	for rows.Next() {
		var id int64
		var dir string
		var r flowRow
		k := &r.key
		if err := rows.Scan(&id, &dir, &k.Service, &k.Channel.System, &k.Channel.Cluster, &k.Channel.Destination, &k.Group,
			&r.firstSeenNs, &r.lastSeenNs, &r.lastSampledNs, &r.schemaID, &r.schemaVersion); err != nil {
			return nil, fmt.Errorf("read flows: %w", err)
		}
		k.Role = roleOf(dir)
		out[id] = r
	}
	return out, rows.Err()
}

func sqliteSums(ctx context.Context, db sqliteQuerier, m1, m2 int64) (map[int64]*aggregate, error) {
	h1, h2 := (m1+59)/60, floorDiv(m2, 60) // whole hours [h1, h2)
	args := []any{m1, m2, 0, 0, 0, 0}
	if h1 < h2 {
		args = []any{m1, h1 * 60, h1, h2, h2 * 60, m2}
	}
	rows, err := db.QueryContext(ctx, sqliteSumsSQL, args...)
	if err != nil {
		return nil, fmt.Errorf("sum flow aggregates: %w", err)
	}
	defer rows.Close()
	out := map[int64]*aggregate{}
	for rows.Next() {
		var id int64
		a := &aggregate{}
		if err := rows.Scan(append([]any{&id}, a.fields()...)...); err != nil {
			return nil, fmt.Errorf("sum flow aggregates: %w", err)
		}
		out[id] = a
	}
	return out, rows.Err()
}

// sqliteSumsSQL sums the aggregates of three ranges: minutes at the start, whole hours, minutes
// at the end.
var sqliteSumsSQL = func() string {
	cols := append([]string{"flow_id"}, aggregateColumns()...)
	sums := []string{"flow_id"}
	for _, c := range cols[1:] {
		if c == "last_seen_ns" {
			sums = append(sums, "max(last_seen_ns)")
		} else {
			sums = append(sums, "sum("+c+")")
		}
	}
	list := strings.Join(cols, ", ")
	return fmt.Sprintf(`SELECT %s FROM (
		SELECT %s FROM flow_minute WHERE minute >= ? AND minute < ?
		UNION ALL SELECT %s FROM flow_hour WHERE hour >= ? AND hour < ?
		UNION ALL SELECT %s FROM flow_minute WHERE minute >= ? AND minute < ?
	) GROUP BY flow_id`, strings.Join(sums, ", "), list, list, list)
}()

func (s sqliteStore) counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.Read.QueryRowContext(ctx, `SELECT
		(SELECT coalesce(sum(spans), 0) FROM span_batch),
		(SELECT count(*) FROM flow),
		(SELECT count(*) FROM (SELECT DISTINCT system, cluster, destination FROM flow))`).Scan(&c.Spans, &c.Flows, &c.Channels)
	return c, err
}

func (s sqliteStore) series(ctx context.Context, q seriesQuery) ([]seriesRow, error) {
	table, col := "flow_minute", "minute"
	if q.hourly {
		table, col = "flow_hour", "hour"
	}
	idList, _ := json.Marshal(q.ids)
	rows, err := s.db.Read.QueryContext(ctx, fmt.Sprintf(`WITH RECURSIVE t(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM t WHERE x + 1 < ?)
		SELECT flow_id, (%[2]s - ?) * ? / ?, sum(messages), sum(errors) FROM %[1]s
		WHERE %[2]s IN (SELECT x FROM t) AND flow_id IN (SELECT value FROM json_each(?)) GROUP BY 1, 2`, table, col),
		q.from, q.to, q.from, q.buckets, max(q.to-q.from, 1), string(idList))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []seriesRow
	for rows.Next() {
		var r seriesRow
		if err := rows.Scan(&r.flow, &r.bucket, &r.messages, &r.errors); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// traceScanFallback bounds the rowid range scanned when span_batch cannot narrow it.
const traceScanFallback = 200_000

// trace reads the span rowids from the trace's first span to the last batch committed within
// traceHorizon of it.
func (s sqliteStore) trace(ctx context.Context, id TraceID) ([]StoredSpan, error) {
	var first, startNs int64
	err := s.db.Read.QueryRowContext(ctx, `SELECT first_span, start_ns FROM trace_index WHERE trace_id = ?`, id[:]).Scan(&first, &startNs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errTraceNotFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id, err)
	}
	var last sql.NullInt64
	err = s.db.Read.QueryRowContext(ctx, `SELECT max(last_span) FROM span_batch WHERE committed_ns BETWEEN ? AND ?`,
		startNs-int64(time.Minute), startNs+int64(traceHorizon)).Scan(&last)
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id, err)
	}
	upper := first + traceScanFallback
	if last.Valid && last.Int64 >= first {
		upper = last.Int64
	}
	// Spans of the trace may precede its first messaging span (a root HTTP span in the same
	// batch), so the scan starts a little earlier.
	lower := max(first-10_000, 0)
	out, err := s.spans(ctx, s.db.Read, "id BETWEEN ? AND ? AND trace_id = ?", lower, upper, id[:])
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id, err)
	}
	return out, nil
}

// spans reads the spans where says, from span and from span_json (spans stored before
// migration 20).
func (s sqliteStore) spans(ctx context.Context, db sqliteQuerier, where string, args ...any) ([]StoredSpan, error) {
	rows, err := db.QueryContext(ctx, `SELECT trace_id, span_id, coalesce(parent_span_id, x''), kind, status_code, start_ns, duration_ns,
		fields, coalesce(links, x'') FROM span WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var stored []storedRow
	for rows.Next() {
		var r storedRow
		if err := rows.Scan(&r.trace, &r.span, &r.parent, &r.kind, &r.status, &r.startNs, &r.durationNs, &r.fields, &r.links); err != nil {
			return nil, err
		}
		stored = append(stored, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out, err := s.texts.decodeRows(ctx, stored, func(ctx context.Context, ids []int64) (map[int64]textKey, error) {
		return sqliteTexts(ctx, db, ids)
	})
	if err != nil {
		return nil, err
	}
	old, err := sqliteJSONSpans(ctx, db, where, args...)
	return append(out, old...), err
}

// sqliteTexts reads dictionary entries by id.
func sqliteTexts(ctx context.Context, db sqliteQuerier, ids []int64) (map[int64]textKey, error) {
	list, _ := json.Marshal(ids)
	rows, err := db.QueryContext(ctx, "SELECT id, field, key, value FROM span_text WHERE id IN (SELECT value FROM json_each(?))", string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make(map[int64]textKey, len(ids))
	for rows.Next() {
		var id int64
		var k textKey
		if err := rows.Scan(&id, &k.field, &k.key, &k.value); err != nil {
			return nil, err
		}
		out[id] = k
	}
	return out, rows.Err()
}

// sqliteJSONSpans reads spans stored before migration 20, as they were stored then.
func sqliteJSONSpans(ctx context.Context, db sqliteQuerier, where string, args ...any) ([]StoredSpan, error) {
	rows, err := db.QueryContext(ctx, `SELECT trace_id, span_id, coalesce(parent_span_id, x''), service, name, kind,
		start_ns, end_ns, status_code, coalesce(status_message, ''), coalesce(channel, ''), attributes, coalesce(links, '')
		FROM span_json WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredSpan
	for rows.Next() {
		var sp StoredSpan
		var trace, span, parent []byte
		var kind, status int64
		var startNs, endNs int64
		var attrs, links string
		if err := rows.Scan(&trace, &span, &parent, &sp.Service, &sp.Name, &kind, &startNs, &endNs, &status,
			&sp.StatusMessage, &sp.Channel, &attrs, &links); err != nil {
			return nil, err
		}
		copy(sp.TraceID[:], trace)
		copy(sp.SpanID[:], span)
		copy(sp.ParentSpanID[:], parent)
		sp.Kind, sp.StatusCode = SpanKind(kind), StatusCode(status)
		sp.Start, sp.End = time.Unix(0, startNs).UTC(), time.Unix(0, endNs).UTC()
		sp.Attributes = attributeText(attrs)
		sp.Links = parseLinks(links)
		out = append(out, sp)
	}
	return out, rows.Err()
}

// sqliteWriter owns the write connection: the next span rowid, the flow ids, and statements
// prepared once and bound to each transaction.
type sqliteWriter struct {
	db       *sqlitedb.DB
	texts    *textCache
	st       sqliteStatements
	dict     *textDict
	nextSpan int64             // rowid of the next span; spans are append-only in arrival order
	ids      map[flowKey]int64 // flow ids committed in the database
	loaded   bool              // the first snapshot has been taken
}

type sqliteStatements struct {
	insertSpan, insertBatch, insertTrace *sql.Stmt
	insertText                           *sql.Stmt
	insertFlow, updateFlow               *sql.Stmt
	upsertMinute, upsertHour             *sql.Stmt
}

func (s sqliteStore) openWriter(ctx context.Context, _ *Config) (storeWriter, error) {
	w := &sqliteWriter{db: s.db, texts: s.texts, ids: map[flowKey]int64{}, dict: newTextDict()}
	if err := s.db.Write.QueryRowContext(ctx, "SELECT max((SELECT coalesce(max(id), 0) FROM span), (SELECT coalesce(max(id), 0) FROM span_json)) + 1").Scan(&w.nextSpan); err != nil {
		return nil, err
	}
	if err := w.loadIDs(ctx); err != nil {
		return nil, err
	}
	if err := w.loadTexts(ctx); err != nil {
		return nil, err
	}
	st := &w.st
	for _, p := range []struct {
		dst **sql.Stmt
		sql string
	}{
		{&st.insertSpan, `INSERT INTO span (id, trace_id, span_id, parent_span_id, start_ns, duration_ns, kind, status_code,
			fields, links) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.insertText, `INSERT INTO span_text (field, key, value) VALUES (?, ?, ?) RETURNING id`},
		{&st.insertBatch, `INSERT INTO span_batch (first_span, last_span, spans, min_start_ns, max_start_ns, committed_ns)
			VALUES (?, ?, ?, ?, ?, ?)`},
		{&st.insertTrace, `INSERT OR IGNORE INTO trace_index (trace_id, first_span, start_ns) VALUES (?, ?, ?)`},
		{&st.insertFlow, `INSERT INTO flow (direction, service, system, cluster, destination, consumer_group, first_seen_ns, last_seen_ns)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (direction, service, system, cluster, destination, consumer_group)
			DO UPDATE SET last_seen_ns = max(last_seen_ns, excluded.last_seen_ns) RETURNING id`},
		{&st.updateFlow, `UPDATE flow SET last_seen_ns = max(last_seen_ns, ?), last_sampled_ns = max(last_sampled_ns, ?),
			schema_id = coalesce(?, schema_id), schema_version = coalesce(?, schema_version) WHERE id = ?
			RETURNING first_seen_ns, last_seen_ns, last_sampled_ns, coalesce(schema_id, ''), coalesce(schema_version, '')`},
		{&st.upsertMinute, sqliteUpsertSQL("flow_minute", "minute")},
		{&st.upsertHour, sqliteUpsertSQL("flow_hour", "hour")},
	} {
		var err error
		if *p.dst, err = s.db.Write.PrepareContext(ctx, p.sql); err != nil {
			w.close()
			return nil, fmt.Errorf("prepare ingest statement: %w", err)
		}
	}
	return w, nil
}

// sqliteUpsertSQL adds one aggregate row into table (flow_minute or flow_hour).
func sqliteUpsertSQL(table, bucketCol string) string {
	cols := append([]string{bucketCol, "flow_id"}, aggregateColumns()...)
	sets := []string{"last_seen_ns = max(last_seen_ns, excluded.last_seen_ns)"}
	for _, c := range cols[2:] {
		if c != "last_seen_ns" {
			sets = append(sets, fmt.Sprintf("%s = %s + excluded.%s", c, c, c))
		}
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s, flow_id) DO UPDATE SET %s",
		table, strings.Join(cols, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "), bucketCol, strings.Join(sets, ", "))
}

func (w *sqliteWriter) close() {
	for _, s := range []*sql.Stmt{w.st.insertSpan, w.st.insertText, w.st.insertBatch, w.st.insertTrace, w.st.insertFlow, w.st.updateFlow, w.st.upsertMinute, w.st.upsertHour} {
		if s != nil {
			s.Close()
		}
	}
}

func (w *sqliteWriter) sharedPairs() bool { return false }

// loadTexts reads the span dictionary.
func (w *sqliteWriter) loadTexts(ctx context.Context) error {
	rows, err := w.db.Write.QueryContext(ctx, "SELECT id, field, key, value FROM span_text")
	if err != nil {
		return fmt.Errorf("load span texts: %w", err)
	}
	defer rows.Close()
	var keys []textKey
	var ids []int64
	for rows.Next() {
		var id int64
		var k textKey
		if err := rows.Scan(&id, &k.field, &k.key, &k.value); err != nil {
			return fmt.Errorf("load span texts: %w", err)
		}
		keys, ids = append(keys, k), append(ids, id)
	}
	w.dict.learn(keys, ids)
	w.dict.commit()
	return rows.Err()
}

// loadIDs reads the ids of the flows in the database.
func (w *sqliteWriter) loadIDs(ctx context.Context) error {
	clear(w.ids)
	rows, err := w.db.Write.QueryContext(ctx, "SELECT id, direction, service, system, cluster, destination, consumer_group FROM flow")
	if err != nil {
		return fmt.Errorf("load flows: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var dir string
		var k flowKey
		if err := rows.Scan(&id, &dir, &k.Service, &k.Channel.System, &k.Channel.Cluster, &k.Channel.Destination, &k.Group); err != nil {
			return fmt.Errorf("load flows: %w", err)
		}
		k.Role = roleOf(dir)
		w.ids[k] = id
	}
	return rows.Err()
}

// commit writes the spans, the batch's row in span_batch, new traces in trace_index and the
// flow aggregates in one transaction.
func (w *sqliteWriter) commit(ctx context.Context, b *batchWrite) (c change, err error) {
	tx, err := w.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return c, fmt.Errorf("begin ingest transaction: %w", err)
	}
	newIDs := map[flowKey]int64{} // flows created in this transaction
	defer func() {
		if err != nil {
			w.dict.abort()
			err = errors.Join(err, tx.Rollback())
		}
	}()
	if texts := w.dict.missing(b.spans); len(texts) > 0 {
		insertText := tx.StmtContext(ctx, w.st.insertText)
		ids := make([]int64, len(texts))
		for i, k := range texts {
			if err := insertText.QueryRowContext(ctx, int64(k.field), k.key, k.value).Scan(&ids[i]); err != nil {
				return c, fmt.Errorf("add span text: %w", err)
			}
		}
		w.dict.learn(texts, ids)
	}
	insert := tx.StmtContext(ctx, w.st.insertSpan)
	first, id := w.nextSpan, w.nextSpan
	var minStart, maxStart int64
	for _, s := range b.spans {
		if id == first || s.StartNanos < minStart {
			minStart = s.StartNanos
		}
		maxStart = max(maxStart, s.StartNanos)
		if _, err := insert.ExecContext(ctx, w.spanArgs(id, s)...); err != nil {
			return c, fmt.Errorf("insert span %s: %w", s.SpanID, err)
		}
		id++
	}
	insertTrace := tx.StmtContext(ctx, w.st.insertTrace)
	for _, t := range b.traces {
		if _, err := insertTrace.ExecContext(ctx, t.id[:], first+int64(t.index), t.startNs); err != nil {
			return c, fmt.Errorf("index trace %s: %w", t.id, err)
		}
	}
	if _, err := tx.StmtContext(ctx, w.st.insertBatch).ExecContext(ctx, first, id-1, id-first, minStart, maxStart, b.arrivedNs); err != nil {
		return c, fmt.Errorf("record span batch: %w", err)
	}
	if c, err = w.flush(ctx, tx, b, newIDs); err != nil {
		return c, err
	}
	if err := tx.Commit(); err != nil {
		return c, fmt.Errorf("commit ingest transaction: %w", err)
	}
	w.dict.commit()
	w.nextSpan = id
	for k, id := range newIDs {
		w.ids[k] = id
	}
	return c, nil
}

func (w *sqliteWriter) spanArgs(id int64, s *Span) []any {
	var parent, links any
	if !s.ParentSpanID.IsZero() {
		parent = s.ParentSpanID[:]
	}
	if len(s.Links) > 0 {
		links = appendLinks(nil, s.Links)
	}
	return []any{id, s.TraceID[:], s.SpanID[:], parent, s.StartNanos, s.EndNanos - s.StartNanos, int64(s.Kind),
		int64(s.StatusCode), w.dict.appendFields(nil, s), links}
}

// flush writes the deltas in tx: new flow rows, then one upsert per flow and minute and one per
// flow and hour.
func (w *sqliteWriter) flush(ctx context.Context, tx *sql.Tx, b *batchWrite, newIDs map[flowKey]int64) (change, error) {
	c := change{rows: map[int64]flowRow{}, deltas: map[minuteFlow]*aggregate{}}
	for k, fs := range b.flows {
		id, err := w.flowID(ctx, tx, k, fs.lastSeenNs, newIDs)
		if err != nil {
			return c, err
		}
		var sid, sver any
		if fs.schemaID != "" || fs.schemaVersion != "" {
			sid, sver = fs.schemaID, fs.schemaVersion
		}
		r := flowRow{key: k}
		if err := tx.StmtContext(ctx, w.st.updateFlow).QueryRowContext(ctx, fs.lastSeenNs, fs.lastSampledNs, sid, sver, id).
			Scan(&r.firstSeenNs, &r.lastSeenNs, &r.lastSampledNs, &r.schemaID, &r.schemaVersion); err != nil {
			return c, fmt.Errorf("update flow %d: %w", id, err)
		}
		c.rows[id] = r
	}
	upMinute, upHour := tx.StmtContext(ctx, w.st.upsertMinute), tx.StmtContext(ctx, w.st.upsertHour)
	args := make([]any, 0, 7+2*histogramBuckets)
	for k, agg := range b.deltas {
		id, err := w.flowID(ctx, tx, k.flow, agg.lastSeenNs, newIDs)
		if err != nil {
			return c, err
		}
		args = append(args[:0], k.minute, id)
		for _, v := range agg.values() {
			args = append(args, v)
		}
		if _, err := upMinute.ExecContext(ctx, args...); err != nil {
			return c, fmt.Errorf("upsert flow minute: %w", err)
		}
		args[0] = floorDiv(k.minute, 60)
		if _, err := upHour.ExecContext(ctx, args...); err != nil {
			return c, fmt.Errorf("upsert flow hour: %w", err)
		}
		c.deltas[minuteFlow{flow: id, minute: k.minute}] = agg
	}
	return c, nil
}

func (w *sqliteWriter) flowID(ctx context.Context, tx *sql.Tx, k flowKey, seen int64, newIDs map[flowKey]int64) (int64, error) {
	if id, ok := w.ids[k]; ok {
		return id, nil
	}
	if id, ok := newIDs[k]; ok {
		return id, nil
	}
	var id int64
	err := tx.StmtContext(ctx, w.st.insertFlow).QueryRowContext(ctx,
		k.Role.String(), k.Service, k.Channel.System, k.Channel.Cluster, k.Channel.Destination, k.Group, seen, seen,
	).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert flow %s %s %s: %w", k.Service, k.Role, k.Channel.Key(), err)
	}
	newIDs[k] = id
	return id, nil
}

// snapshot is a read transaction: SQLite fixes its snapshot at the first read, which happens
// here, between two of the writer's commits.
func (w *sqliteWriter) snapshot(ctx context.Context) (snapshot, error) {
	tx, err := w.db.Read.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	s := &sqliteSnapshot{tx: tx}
	if !w.loaded {
		if s.failures, err = s.readFailures(ctx, sqliteStore{db: w.db, texts: w.texts}); err != nil {
			tx.Rollback()
			return nil, err
		}
		w.loaded = true
	}
	return s, nil
}

type sqliteSnapshot struct {
	tx       *sql.Tx
	failures []ErrorExample // read at the first snapshot
}

func (s *sqliteSnapshot) reset() ([]ErrorExample, bool) { return s.failures, s.failures != nil }
func (s *sqliteSnapshot) changes() []change             { return nil }
func (s *sqliteSnapshot) close()                        { s.tx.Rollback() }

func (s *sqliteSnapshot) flowRows(ctx context.Context, seenSinceNs int64) (map[int64]flowRow, error) {
	return sqliteFlowRows(ctx, s.tx, seenSinceNs)
}

func (s *sqliteSnapshot) sumAggregates(ctx context.Context, m1, m2 int64) (map[int64]*aggregate, error) {
	return sqliteSums(ctx, s.tx, m1, m2)
}

// readFailures reads the failed messaging spans among the newest 100,000 spans.
func (s *sqliteSnapshot) readFailures(ctx context.Context, st sqliteStore) ([]ErrorExample, error) {
	var newest int64
	if err := s.tx.QueryRowContext(ctx, "SELECT max((SELECT coalesce(max(id), 0) FROM span), (SELECT coalesce(max(id), 0) FROM span_json))").Scan(&newest); err != nil {
		return nil, fmt.Errorf("load recent errors: %w", err)
	}
	spans, err := st.spans(ctx, s.tx, "id > ? AND status_code = ?", newest-100_000, int64(StatusError))
	if err != nil {
		return nil, fmt.Errorf("load recent errors: %w", err)
	}
	slices.SortStableFunc(spans, func(a, b StoredSpan) int { return a.Start.Compare(b.Start) })
	return failuresOf(spans), nil
}

// expire does the first retention step with work left: spans of the oldest expired batch (one
// chunk), then trace index rows whose first span is gone, then the oldest expired minute and
// hour of aggregates, and last the flows not seen within the flow retention.
func (w *sqliteWriter) expire(ctx context.Context, r retention) (expired, error) {
	if more, err := w.expireSpans(ctx, r.spansBefore); more || err != nil {
		return expired{more: more}, err
	}
	if more, err := w.expireTraceIndex(ctx); more || err != nil {
		return expired{more: more}, err
	}
	return w.expireFlows(ctx, r.flowsBefore)
}

// expireSpans deletes up to one chunk of spans from the oldest batch committed before cutoff; it
// reports whether there may be more to delete.
func (w *sqliteWriter) expireSpans(ctx context.Context, cutoff time.Time) (bool, error) {
	var batchID, first, last int64
	err := w.db.Write.QueryRowContext(ctx,
		"SELECT id, first_span, last_span FROM span_batch WHERE committed_ns < ? ORDER BY id LIMIT 1", cutoff.UnixNano(),
	).Scan(&batchID, &first, &last)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find expired spans: %w", err)
	}
	end := min(first+retentionChunk-1, last)
	return true, w.inTx(ctx, func(tx *sql.Tx) error {
		for _, table := range []string{"span", "span_json"} {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE id >= ? AND id <= ?", first, end); err != nil {
				return fmt.Errorf("delete spans %d-%d: %w", first, end, err)
			}
		}
		if end == last {
			_, err = tx.ExecContext(ctx, "DELETE FROM span_batch WHERE id = ?", batchID)
		} else {
			_, err = tx.ExecContext(ctx, "UPDATE span_batch SET first_span = ?, spans = spans - ? WHERE id = ?", end+1, end+1-first, batchID)
		}
		return err
	})
}

// sqlitePagesInUse is what the size cap counts on SQLite: the database's pages in use, the file
// less its free pages, which SQLite reuses before it grows the file.
func sqlitePagesInUse(ctx context.Context, db *sql.DB) (int64, error) {
	var used int64
	err := db.QueryRowContext(ctx, `SELECT (p.page_count - f.freelist_count) * s.page_size
		FROM pragma_page_count() AS p, pragma_freelist_count() AS f, pragma_page_size() AS s`).Scan(&used)
	return used, err
}

// trim deletes a chunk of the oldest spans, and the trace index rows of traces whose first span
// went, when the database's pages in use take more than maxBytes.
func (w *sqliteWriter) trim(ctx context.Context, maxBytes int64, _ time.Time) (bool, error) {
	used, err := sqlitePagesInUse(ctx, w.db.Write)
	if err != nil {
		return false, fmt.Errorf("store size: %w", err)
	}
	if used <= maxBytes {
		return false, nil
	}
	more, err := w.expireSpans(ctx, time.Unix(0, math.MaxInt64))
	if err != nil || !more {
		return false, err
	}
	for {
		if more, err := w.expireTraceIndex(ctx); !more || err != nil {
			return true, err
		}
	}
}

// expireTraceIndex deletes index rows of traces whose first span is gone. Rows are in rowid order
// of their first span, so the expired ones are a prefix.
func (w *sqliteWriter) expireTraceIndex(ctx context.Context) (bool, error) {
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

// expireFlows deletes the oldest minute and hour of aggregates when it is before cutoff, and
// flows not seen since.
func (w *sqliteWriter) expireFlows(ctx context.Context, cutoff time.Time) (expired, error) {
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
			return expired{}, fmt.Errorf("find oldest %s: %w", t.table, err)
		}
		if !oldest.Valid || oldest.Int64 >= t.cutoff {
			continue
		}
		if _, err := w.db.Write.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE %s = ?", t.table, t.col), oldest.Int64); err != nil {
			return expired{}, fmt.Errorf("delete from %s: %w", t.table, err)
		}
		more = true
	}
	if more {
		return expired{more: true}, nil
	}
	res, err := w.db.Write.ExecContext(ctx, "DELETE FROM flow WHERE last_seen_ns < ?", cutoff.UnixNano())
	if err != nil {
		return expired{}, fmt.Errorf("delete expired flows: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return expired{flowsDeleted: true}, w.loadIDs(ctx)
	}
	return expired{}, nil
}

func (w *sqliteWriter) inTx(ctx context.Context, f func(*sql.Tx) error) error {
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
