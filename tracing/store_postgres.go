package tracing

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eventlens/eventlens/pgdb"
)

// pgStore is the store of several replicas sharing one PostgreSQL database. Each replica's
// writer commits its own batches (spans by COPY into the current hour's partition, aggregates
// by batched upserts that add to what other replicas wrote) and writes a row to the change feed
// (flow_change) in the same transaction; every replica's snapshots bring the rows the others
// committed, so their live windows and recent failures stay those of the database. Pending
// pairs are stored too (pair_producer, pair_waiter), so a consumer span sent to one replica is
// paired with its producer span sent to another.
type pgStore struct {
	db    *pgdb.DB
	texts *textCache
}

// Pending pairs are kept in generations (migration 18), as a single node keeps them in memory
// (pairing): the newest takes new rows; rotatePairs ends it after half the pair window, or once
// it holds half of PairMaxPending rows in either table, and drops the generations before it.
// A generation's partitions are pair_producer_g<gen> and pair_waiter_g<gen>, unlogged.
var pairTables = []string{"pair_producer", "pair_waiter"}

// pairPart is the partition of table that holds generation gen.
func pairPart(table string, gen int64) string { return table + "_g" + strconv.FormatInt(gen, 10) }

// pairCountEvery is how often the newest generation's rows are counted.
const pairCountEvery = time.Second

// partitionLock is the advisory lock replicas take to create and drop partitions and to run
// retention, one at a time.
const partitionLock = 0x7472_6163_6573 // "traces"

// changeKeep is how long change feed rows are kept; a replica that has not read the feed for
// half of it reads everything again instead.
const changeKeep = 5 * time.Minute

// pgError wraps err with what was being done; a connection problem is marked with
// pgdb.ErrUnavailable, which the server answers with a retryable 503.
func pgError(what string, err error) error {
	return fmt.Errorf("%s: %w", what, pgdb.Unavailable(err))
}

// unavailable reports whether err means the database could not be reached or went away, rather
// than that it refused the statement.
func unavailable(err error) bool { return errors.Is(pgdb.Unavailable(err), pgdb.ErrUnavailable) }

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func (s *pgStore) flowRows(ctx context.Context, seenSinceNs int64) (map[int64]flowRow, error) {
	return pgFlowRows(ctx, s.db.Pool, "WHERE last_seen_ns >= $1", seenSinceNs)
}

func (s *pgStore) sumAggregates(ctx context.Context, m1, m2 int64) (map[int64]*aggregate, error) {
	return pgSums(ctx, s.db.Pool, m1, m2)
}

// pgFlowRows reads the flows that where selects.
func pgFlowRows(ctx context.Context, q pgdb.Queryer, where string, args ...any) (map[int64]flowRow, error) {
	rows, err := q.Query(ctx, `SELECT id, direction, service, system, cluster, destination, consumer_group,
		first_seen_ns, last_seen_ns, last_sampled_ns, coalesce(schema_id, ''), coalesce(schema_version, '') FROM flow `+where, args...)
	if err != nil {
		return nil, pgError("read flows", err)
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
			return nil, pgError("read flows", err)
		}
		k.Role = roleOf(dir)
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		return nil, pgError("read flows", err)
	}
	return out, nil
}

func pgSums(ctx context.Context, q pgdb.Queryer, m1, m2 int64) (map[int64]*aggregate, error) {
	h1, h2 := (m1+59)/60, floorDiv(m2, 60) // whole hours [h1, h2)
	args := []any{m1, m2, 0, 0, 0, 0}
	if h1 < h2 {
		args = []any{m1, h1 * 60, h1, h2, h2 * 60, m2}
	}
	rows, err := q.Query(ctx, pgSumsSQL, args...)
	if err != nil {
		return nil, pgError("sum flow aggregates", err)
	}
	defer rows.Close()
	out := map[int64]*aggregate{}
	for rows.Next() {
		var id int64
		a := &aggregate{}
		if err := rows.Scan(append([]any{&id}, a.fields()...)...); err != nil {
			return nil, pgError("sum flow aggregates", err)
		}
		out[id] = a
	}
	if err := rows.Err(); err != nil {
		return nil, pgError("sum flow aggregates", err)
	}
	return out, nil
}

// pgSumsSQL sums the aggregates of three ranges: minutes at the start, whole hours, minutes at
// the end.
var pgSumsSQL = func() string {
	cols := aggregateColumns()
	sums := []string{"flow_id"}
	for _, c := range cols {
		if c == "last_seen_ns" {
			sums = append(sums, "max(last_seen_ns)")
		} else {
			sums = append(sums, "sum("+c+")::bigint")
		}
	}
	list := "flow_id, " + strings.Join(cols, ", ")
	return fmt.Sprintf(`SELECT %s FROM (
		SELECT %s FROM flow_minute WHERE minute >= $1 AND minute < $2
		UNION ALL SELECT %s FROM flow_hour WHERE hour >= $3 AND hour < $4
		UNION ALL SELECT %s FROM flow_minute WHERE minute >= $5 AND minute < $6
	) AS a GROUP BY flow_id`, strings.Join(sums, ", "), list, list, list)
}()

func (s *pgStore) counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.Pool.QueryRow(ctx, `SELECT
		(SELECT coalesce(sum(spans), 0)::bigint FROM span_batch),
		(SELECT count(*) FROM flow),
		(SELECT count(*) FROM (SELECT DISTINCT system, cluster, destination FROM flow) AS c)`).Scan(&c.Spans, &c.Flows, &c.Channels)
	if err != nil {
		return c, pgError("count", err)
	}
	return c, nil
}

// series seeks each selected flow's row of each minute (or hour) by primary key.
func (s *pgStore) series(ctx context.Context, q seriesQuery) ([]seriesRow, error) {
	table, col := "flow_minute", "minute"
	if q.hourly {
		table, col = "flow_hour", "hour"
	}
	rows, err := s.db.Pool.Query(ctx, fmt.Sprintf(`SELECT a.flow_id, (a.%[2]s - $1) * $3 / $4, sum(a.messages)::bigint, sum(a.errors)::bigint
		FROM generate_series($1::bigint, $2::bigint - 1) AS t(x) CROSS JOIN unnest($5::bigint[]) AS f(id)
		JOIN %[1]s AS a ON a.%[2]s = t.x AND a.flow_id = f.id GROUP BY 1, 2`, table, col),
		q.from, q.to, q.buckets, max(q.to-q.from, 1), q.ids)
	if err != nil {
		return nil, pgError("series", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (seriesRow, error) {
		var s seriesRow
		return s, r.Scan(&s.flow, &s.bucket, &s.messages, &s.errors)
	})
	if err != nil {
		return nil, pgError("series", err)
	}
	return out, nil
}

// trace finds the trace's first arrival in trace_index, then reads the spans that arrived from a
// minute before it to traceHorizon after: the partitions of those hours, narrowed by the BRIN
// index on arrival.
func (s *pgStore) trace(ctx context.Context, id TraceID) ([]StoredSpan, error) {
	var arrived int64
	err := s.db.Pool.QueryRow(ctx, `SELECT arrived_ns FROM trace_index WHERE trace_id = $1 ORDER BY arrived_ns LIMIT 1`, id[:]).Scan(&arrived)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, errTraceNotFound(id)
	}
	if err != nil {
		return nil, pgError("trace "+id.String(), err)
	}
	out, err := s.spans(ctx, s.db.Pool, "arrived_ns BETWEEN $2 AND $3 AND trace_id = $1", id[:], arrived-int64(time.Minute), arrived+int64(traceHorizon))
	if err != nil {
		return nil, pgError("trace "+id.String(), err)
	}
	return out, nil
}

// spans reads the spans where says: rows with fields as tracing/spanrow.go encodes them, and
// rows stored before migration 14 with their columns.
func (s *pgStore) spans(ctx context.Context, q pgdb.Queryer, where string, args ...any) ([]StoredSpan, error) {
	rows, err := q.Query(ctx, `SELECT trace_id, span_id, coalesce(parent_span_id, ''::bytea), kind, status_code, start_ns,
		coalesce(duration_ns, end_ns - start_ns), fields, coalesce(link_refs, ''::bytea),
		coalesce(service, ''), coalesce(name, ''), coalesce(status_message, ''), coalesce(channel, ''), coalesce(attributes, ''), coalesce(links, '')
		FROM span WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var stored []storedRow
	var old []StoredSpan
	for rows.Next() {
		var r storedRow
		var kind, status int16
		var service, name, message, channel, attrs, links string
		if err := rows.Scan(&r.trace, &r.span, &r.parent, &kind, &status, &r.startNs, &r.durationNs, &r.fields, &r.links,
			&service, &name, &message, &channel, &attrs, &links); err != nil {
			return nil, err
		}
		r.kind, r.status = int64(kind), int64(status)
		if r.fields != nil {
			stored = append(stored, r)
			continue
		}
		sp := StoredSpan{Service: service, Name: name, Kind: SpanKind(kind), StatusCode: StatusCode(status), StatusMessage: message,
			Channel: channel, Attributes: attributeText(attrs), Links: parseLinks(links),
			Start: time.Unix(0, r.startNs).UTC(), End: time.Unix(0, r.startNs+r.durationNs).UTC()}
		copy(sp.TraceID[:], r.trace)
		copy(sp.SpanID[:], r.span)
		copy(sp.ParentSpanID[:], r.parent)
		old = append(old, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out, err := s.texts.decodeRows(ctx, stored, func(ctx context.Context, ids []int64) (map[int64]textKey, error) {
		return pgTexts(ctx, q, "WHERE id = ANY($1)", ids)
	})
	if err != nil {
		return nil, err
	}
	return append(out, old...), nil
}

// pgTexts reads dictionary entries.
func pgTexts(ctx context.Context, q pgdb.Queryer, where string, args ...any) (map[int64]textKey, error) {
	rows, err := q.Query(ctx, "SELECT id, field, key, value FROM span_text "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]textKey{}
	for rows.Next() {
		var id int64
		var field int16
		var k textKey
		if err := rows.Scan(&id, &field, &k.key, &k.value); err != nil {
			return nil, err
		}
		k.field = textField(field)
		out[id] = k
	}
	return out, rows.Err()
}

// pgWriter is one replica's writing side.
type pgWriter struct {
	db        *pgdb.DB
	texts     *textCache
	dict      *textDict
	replica   int64               // this writer's mark on its change feed rows
	spanParts map[string]spanPart // span partitions known to exist, by suffix
	maxBytes  int64               // the size cap (0: none), which sets how long span partitions are
	written   spanPart            // the span partition of the last commit
	arrived   int64               // and that commit's arrival (unix ns)
	cursor    string              // the previous snapshot (pg_snapshot as text); empty before the first
	polledAt  time.Time           // when it was taken (wall clock: the feed is pruned by it)
	dropAfter time.Time           // no partition is dropped before this, after one gave up waiting
	summedAt  time.Time           // when the BRIN index on arrival was last summarised

	pairWindow     time.Duration // how long pending pairs wait at most (Config.PairWindow)
	pairMaxPending int64         // and how many rows each table holds at most (Config.PairMaxPending)
	pairsCounted   time.Time     // when the newest generation's rows were last counted
}

// summariseEvery is how often the writer summarises the new block ranges of the BRIN index on
// arrival: a range not yet summarised matches every lookup, and at tens of thousands of spans a
// second autovacuum's autosummarize falls behind (a trace page then reads the whole hour).
const summariseEvery = 5 * time.Second

// dropBackoff is how long retention leaves partitions alone after a drop gave up waiting for a
// lock, so a long reader does not make every second's drop hold commits up.
const dropBackoff = 30 * time.Second

func (s *pgStore) openWriter(ctx context.Context, cfg *Config) (storeWriter, error) {
	var b [8]byte
	rand.Read(b[:])
	w := &pgWriter{db: s.db, texts: s.texts, dict: newTextDict(), replica: int64(binary.BigEndian.Uint64(b[:])),
		spanParts: map[string]spanPart{}, maxBytes: cfg.MaxStoreBytes, pairWindow: cfg.PairWindow, pairMaxPending: int64(cfg.PairMaxPending)}
	all, err := pgTexts(ctx, s.db.Pool, "")
	if err != nil {
		return nil, pgError("load span texts", err)
	}
	for id, k := range all {
		w.dict.learn([]textKey{k}, []int64{id})
	}
	w.dict.commit()
	return w, nil
}

func (w *pgWriter) sharedPairs() bool { return true }
func (w *pgWriter) close()            {}

// createPartition creates table name and attaches it to parent for the values bound gives
// ("FROM (1) TO (2)", "IN (3)"). It is created on its own and then attached, which takes a lock
// that lets commits and readers of the parent go on (creating it as a partition would wait for
// them and stop the commits queued behind). Callers hold the partition lock.
func createPartition(ctx context.Context, tx pgx.Tx, parent, name string, unlogged bool, bound string) error {
	kind := ""
	if unlogged {
		kind = "UNLOGGED "
	}
	for _, q := range []string{
		fmt.Sprintf("CREATE %sTABLE %s (LIKE %s INCLUDING DEFAULTS)", kind, name, parent),
		fmt.Sprintf("ALTER TABLE %s ATTACH PARTITION %s FOR VALUES %s", parent, name, bound),
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// spanPart is a partition of span and its sibling of trace_index (span_<suffix>,
// trace_index_<suffix>), holding the batches that arrived in [from, to). Without a size cap
// partitions are hours (suffix h<unix hour>); with one, each is made long enough to take about
// a twentieth of the cap at the rate the one before it filled (suffix r<from>), so dropping the
// oldest keeps the cap to within one batch, and the partition being written is never more than
// a small part of the store.
type spanPart struct {
	suffix   string
	from, to int64
	bytes    int64 // span and trace_index partitions with their indexes and TOAST, when listed
}

// spanWidths are the lengths a span partition may take; each divides an hour, so partitions
// start at round times.
var spanWidths = []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

// capShare is the part of the size cap one span partition is made to take.
const capShare = 20

// listSpanParts reads the span partitions from the catalog, oldest first, with their sizes.
func listSpanParts(ctx context.Context, q pgdb.Queryer) ([]spanPart, error) {
	rows, err := q.Query(ctx, `SELECT c.relname, pg_get_expr(c.relpartbound, c.oid),
		pg_total_relation_size(c.oid) + coalesce(pg_total_relation_size(to_regclass('trace_index_' || substr(c.relname, 6))), 0)
		FROM pg_inherits AS i JOIN pg_class AS c ON c.oid = i.inhrelid WHERE i.inhparent = 'span'::regclass`)
	if err != nil {
		return nil, err
	}
	var parts []spanPart
	for rows.Next() {
		var name, bound string
		var size int64
		if err := rows.Scan(&name, &bound, &size); err != nil {
			return nil, err
		}
		// FOR VALUES FROM ('<from>') TO ('<to>')
		nums := strings.FieldsFunc(bound, func(r rune) bool { return (r < '0' || r > '9') && r != '-' })
		if len(nums) != 2 {
			return nil, fmt.Errorf("partition %s: bound %q", name, bound)
		}
		from, err1 := strconv.ParseInt(nums[0], 10, 64)
		to, err2 := strconv.ParseInt(nums[1], 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("partition %s: bound %q: %w", name, bound, err)
		}
		parts = append(parts, spanPart{suffix: strings.TrimPrefix(name, "span_"), from: from, to: to, bytes: size})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(parts, func(a, b spanPart) int { return cmp.Compare(a.from, b.from) })
	return parts, nil
}

// spanPartAt is the known span partition that holds arrivals at (unix ns), if any.
func (w *pgWriter) spanPartAt(at int64) (spanPart, bool) {
	for _, p := range w.spanParts {
		if p.from <= at && at < p.to {
			return p, true
		}
	}
	return spanPart{}, false
}

// ensureSpans returns the span partition for arrivals at, creating it (and its trace_index
// sibling) when missing. A new one starts at a multiple of its length and ends at one, cut
// short where it would overlap a partition made before (of another length: the cap changed,
// or another replica's rate differed).
func (w *pgWriter) ensureSpans(ctx context.Context, at int64) (spanPart, error) {
	if p, ok := w.spanPartAt(at); ok {
		return p, nil
	}
	var part spanPart
	err := pgx.BeginFunc(ctx, w.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", partitionLock); err != nil {
			return err
		}
		parts, err := listSpanParts(ctx, tx)
		if err != nil {
			return err
		}
		for _, p := range parts {
			w.spanParts[p.suffix] = p
		}
		var ok bool
		if part, ok = w.spanPartAt(at); ok {
			return nil
		}
		width := int64(w.spanWidth(parts, at))
		part.from = floorDiv(at, width) * width
		part.to = part.from + width
		for _, p := range parts {
			if p.to > part.from && p.to <= at {
				part.from = p.to
			}
			if p.from > at && p.from < part.to {
				part.to = p.from
			}
		}
		part.suffix = "r" + strconv.FormatInt(part.from, 10)
		if hour := int64(time.Hour); part.from%hour == 0 && part.to == part.from+hour {
			part.suffix = "h" + strconv.FormatInt(part.from/hour, 10) // as before size caps
		}
		for _, table := range []string{"span", "trace_index"} {
			if err := createPartition(ctx, tx, table, table+"_"+part.suffix, false, fmt.Sprintf("FROM (%d) TO (%d)", part.from, part.to)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return spanPart{}, pgError("create span partition", err)
	}
	w.spanParts[part.suffix] = part
	return part, nil
}

// spanWidth is how long a new span partition for arrivals at is: an hour without a size cap;
// with one, the longest of spanWidths in which the newest partition before at would have taken
// at most a capShare of the cap (the shortest when there is none yet), and at most four times
// as long as that one, so a partition filled slowly before a burst does not make the next an
// hour long.
func (w *pgWriter) spanWidth(parts []spanPart, at int64) time.Duration {
	if w.maxBytes <= 0 {
		return time.Hour
	}
	width := spanWidths[0]
	for i := len(parts) - 1; i >= 0; i-- {
		p := parts[i]
		if p.to > at || p.bytes <= 0 {
			continue
		}
		fits := time.Duration(float64(p.to-p.from) * float64(w.maxBytes/capShare) / float64(p.bytes))
		fits = min(fits, 4*time.Duration(p.to-p.from))
		for _, d := range spanWidths {
			if d <= fits {
				width = d
			}
		}
		break
	}
	return width
}

// commit stores the batch in one transaction, tried again when it lost a deadlock against
// another replica's.
func (w *pgWriter) commit(ctx context.Context, b *batchWrite) (change, error) {
	part, err := w.ensureSpans(ctx, b.arrivedNs)
	if err != nil {
		return change{}, err
	}
	for attempt := 1; ; attempt++ {
		c, err := w.commitOnce(ctx, b, part.suffix)
		if err != nil {
			w.dict.abort()
		}
		switch state := sqlState(err); {
		case err == nil:
			w.dict.commit()
			w.written, w.arrived = part, b.arrivedNs
			return c, nil
		case (state == "40P01" || state == "40001") && attempt < 3:
			continue
		case state == "42P01":
			// a partition was dropped (another replica's clock is far ahead, or the cap)
			clear(w.spanParts)
		case unavailable(err):
			// The connection went away, perhaps after the commit reached the server: whether
			// the batch is stored is unknown, so the next snapshot reads everything again.
			w.cursor = ""
		}
		return change{}, pgError("commit ingest batch", err)
	}
}

var spanColumns = []string{"arrived_ns", "trace_id", "span_id", "parent_span_id", "kind", "start_ns", "duration_ns", "status_code",
	"fields", "link_refs"}

// commitOnce writes the batch in three round trips on one connection (one more when it sees new
// flows): begin, pair what the previous commit stored and find the flows' ids; copy the spans; update the flows,
// add to the aggregates, write traces, pending pairs and the change feed row, and commit. Each
// round trip costs a wait for the server, and for this goroutine's turn again in a process busy
// decoding requests. The rows every replica writes to (flows, the current minute's aggregates)
// are locked in the last round trip only, so replicas hold each other up for no longer than
// that and the commit's flush.
func (w *pgWriter) commitOnce(ctx context.Context, b *batchWrite, part string) (c change, err error) {
	conn, err := w.db.Pool.Acquire(ctx)
	if err != nil {
		return c, err
	}
	// A connection released inside a transaction is closed rather than reused.
	defer conn.Release()
	defer func() {
		if err != nil && !conn.Conn().IsClosed() {
			conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()

	up := newFlowUpsert(b.flows, b.deltas)
	var pairs []pairMatch
	first := &pgx.Batch{}
	first.Queue("BEGIN")
	if !b.claims.empty() {
		queueClaim(first, b.claims).Query(func(rows pgx.Rows) (err error) {
			pairs, err = pgx.CollectRows(rows, pgx.RowToStructByPos[pairMatch])
			return err
		})
	}
	up.queueIDs(first, up.keys, false)
	if err := conn.SendBatch(ctx, first).Close(); err != nil {
		return c, err
	}
	// New flows are created; one another replica creates meanwhile is seen by the next look.
	for range 3 {
		missing := up.missing()
		if len(missing) == 0 {
			break
		}
		again := &pgx.Batch{}
		up.queueIDs(again, missing, true)
		if err := conn.SendBatch(ctx, again).Close(); err != nil {
			return c, err
		}
	}
	if missing := up.missing(); len(missing) > 0 {
		return c, fmt.Errorf("no id for %d flows", len(missing))
	}

	if texts := w.dict.missing(b.spans); len(texts) > 0 {
		if err := w.addTexts(ctx, conn.Conn(), texts); err != nil {
			return c, err
		}
	}
	if n := len(b.spans); n > 0 {
		copySQL := fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", "span_"+part, strings.Join(spanColumns, ", "))
		if _, err := conn.Conn().PgConn().CopyFrom(ctx, newSpanCopy(b, w.dict), copySQL); err != nil {
			return c, fmt.Errorf("copy spans: %w", err)
		}
	}

	ids := up.byKey()
	c.deltas, c.failures = make(map[minuteFlow]*aggregate, len(b.deltas)), b.failures
	for k, agg := range b.deltas {
		c.deltas[minuteFlow{flow: ids[k.flow], minute: k.minute}] = agg
	}
	addPairs(c.deltas, pairs)
	last := &pgx.Batch{}
	touched := up.queueUpdate(last, b.flows, &c)
	if len(c.deltas) > 0 {
		queueAggregates(last, c.deltas)
	}
	if n := len(b.spans); n > 0 {
		last.Queue(`INSERT INTO span_batch (second, replica, spans) VALUES ($1, $2, $3)
			ON CONFLICT (second, replica) DO UPDATE SET spans = span_batch.spans + excluded.spans`, floorDiv(b.arrivedNs, int64(time.Second)), w.replica, n)
	}
	if len(b.traces) > 0 {
		traces, starts := make([][]byte, len(b.traces)), make([]int64, len(b.traces))
		for i, t := range b.traces {
			traces[i], starts[i] = t.id[:], t.startNs
		}
		last.Queue(fmt.Sprintf("INSERT INTO %s (trace_id, arrived_ns, start_ns) SELECT t, $2, s FROM unnest($1::bytea[], $3::bigint[]) AS u(t, s)",
			"trace_index_"+part), traces, b.arrivedNs, starts)
	}
	queuePairs(last, b, ids)
	if len(touched) > 0 || len(c.deltas) > 0 || len(c.failures) > 0 {
		body, err := encodeChange(touched, c)
		if err != nil {
			return c, err
		}
		last.Queue("INSERT INTO flow_change (replica, at_ns, body) VALUES ($1, $2, $3)", w.replica, time.Now().UnixNano(), body)
	}
	last.Queue("COMMIT")
	return c, conn.SendBatch(ctx, last).Close()
}

// addTexts adds dictionary entries in the open transaction and learns their ids. An entry
// another replica adds at the same time is left out (its spans write the text in place) until
// a later commit sees it; entries go in one order, so two replicas adding the same ones wait
// for each other rather than deadlock.
func (w *pgWriter) addTexts(ctx context.Context, conn *pgx.Conn, texts []textKey) error {
	slices.SortFunc(texts, func(a, b textKey) int {
		return cmp.Or(cmp.Compare(a.field, b.field), cmp.Compare(a.key, b.key), cmp.Compare(a.value, b.value))
	})
	fields, keys, values := make([]int16, len(texts)), make([]string, len(texts)), make([]string, len(texts))
	for i, k := range texts {
		fields[i], keys[i], values[i] = int16(k.field), k.key, k.value
	}
	rows, err := conn.Query(ctx, `WITH u AS (SELECT * FROM unnest($1::smallint[], $2::text[], $3::text[]) AS u(field, key, value)),
		added AS (INSERT INTO span_text (field, key, value) SELECT field, key, value FROM u ON CONFLICT DO NOTHING RETURNING id, field, key, value)
		SELECT id, field, key, value FROM added
		UNION ALL SELECT t.id, t.field, t.key, t.value FROM span_text AS t JOIN u USING (field, key, value)`, fields, keys, values)
	if err != nil {
		return fmt.Errorf("add span texts: %w", err)
	}
	defer rows.Close()
	var got []textKey
	var ids []int64
	for rows.Next() {
		var id int64
		var field int16
		var k textKey
		if err := rows.Scan(&id, &field, &k.key, &k.value); err != nil {
			return fmt.Errorf("add span texts: %w", err)
		}
		k.field = textField(field)
		got, ids = append(got, k), append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("add span texts: %w", err)
	}
	w.dict.learn(got, ids)
	return nil
}

// flowUpsert finds or creates the flows a batch touched, then updates them. Keys are stored
// with their text made valid (pgText), so two keys of a batch may be one row.
type flowUpsert struct {
	keys     []flowKey // as stored, sorted
	byStored map[flowKey]*upsertRow
}

type upsertRow struct {
	id            int64 // 0 until found
	seenNs        int64
	sampledNs     int64
	schemaID, ver *string
	keys          []flowKey // the batch's keys stored as this one
}

func newFlowUpsert(flows map[flowKey]*flowState, deltas map[bucketKey]*aggregate) *flowUpsert {
	up := &flowUpsert{byStored: map[flowKey]*upsertRow{}}
	touch := func(k flowKey, seenNs int64, fs *flowState) {
		sk := storedKey(k)
		u := up.byStored[sk]
		if u == nil {
			u = &upsertRow{}
			up.byStored[sk] = u
		}
		if !slices.Contains(u.keys, k) {
			u.keys = append(u.keys, k)
		}
		u.seenNs = max(u.seenNs, seenNs)
		if fs != nil {
			u.sampledNs = max(u.sampledNs, fs.lastSampledNs)
		}
		if fs != nil && (fs.schemaID != "" || fs.schemaVersion != "") {
			id, ver := pgText(fs.schemaID), pgText(fs.schemaVersion)
			u.schemaID, u.ver = &id, &ver
		}
	}
	for k, fs := range flows {
		touch(k, fs.lastSeenNs, fs)
	}
	for k, agg := range deltas {
		if flows[k.flow] == nil {
			touch(k.flow, agg.lastSeenNs, nil)
		}
	}
	up.keys = slices.SortedFunc(maps.Keys(up.byStored), compareFlowKeys)
	return up
}

// queueIDs finds the ids of keys, and with create inserts the flows that are missing. Rows are
// read, not locked; inserting with DO NOTHING waits only for another transaction inserting the
// same new flow. (Every insert takes an id, even one it then does not use, so flows known to
// exist are only looked up.)
func (up *flowUpsert) queueIDs(batch *pgx.Batch, keys []flowKey, create bool) {
	if len(keys) == 0 {
		return
	}
	var dir, service, system, cluster, dest, group []string
	var seenNs []int64
	for _, k := range keys {
		dir, service, system = append(dir, k.Role.String()), append(service, k.Service), append(system, k.Channel.System)
		cluster, dest, group = append(cluster, k.Channel.Cluster), append(dest, k.Channel.Destination), append(group, k.Group)
		seenNs = append(seenNs, up.byStored[k].seenNs)
	}
	query := pgFindFlows
	if create {
		query = pgCreateFlows
	}
	batch.Queue(query, dir, service, system, cluster, dest, group, seenNs).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id int64
			var dir string
			var k flowKey
			if err := rows.Scan(&id, &dir, &k.Service, &k.Channel.System, &k.Channel.Cluster, &k.Channel.Destination, &k.Group); err != nil {
				return err
			}
			k.Role = roleOf(dir)
			if u := up.byStored[k]; u != nil {
				u.id = id
			}
		}
		return rows.Err()
	})
}

const (
	pgFlowKeys = `k AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
		AS u(d, s, y, c, n, g, t))`
	pgFindFlowsSelect = `SELECT f.id, f.direction, f.service, f.system, f.cluster, f.destination, f.consumer_group FROM flow AS f JOIN k
		ON (f.direction, f.service, f.system, f.cluster, f.destination, f.consumer_group) = (k.d, k.s, k.y, k.c, k.n, k.g)`
	pgFindFlows   = "WITH " + pgFlowKeys + " " + pgFindFlowsSelect
	pgCreateFlows = "WITH " + pgFlowKeys + `, created AS (
			INSERT INTO flow (direction, service, system, cluster, destination, consumer_group, first_seen_ns, last_seen_ns)
			SELECT d, s, y, c, n, g, t, t FROM k ON CONFLICT DO NOTHING
			RETURNING id, direction, service, system, cluster, destination, consumer_group
		)
		SELECT * FROM created UNION ALL ` + pgFindFlowsSelect
)

// missing are the keys without an id yet.
func (up *flowUpsert) missing() []flowKey {
	var out []flowKey
	for _, k := range up.keys {
		if up.byStored[k].id == 0 {
			out = append(out, k)
		}
	}
	return out
}

// byKey is the id of each of the batch's keys.
func (up *flowUpsert) byKey() map[flowKey]int64 {
	ids := map[flowKey]int64{}
	for _, u := range up.byStored {
		for _, k := range u.keys {
			ids[k] = u.id
		}
	}
	return ids
}

// queueUpdate updates the flows the batch saw (last seen, schema), locking them in id order so
// two replicas' transactions never wait for each other in a circle, and puts them into c.rows as
// stored after it. It returns their ids.
func (up *flowUpsert) queueUpdate(batch *pgx.Batch, flows map[flowKey]*flowState, c *change) []int64 {
	byID := map[int64]*upsertRow{}
	for _, u := range up.byStored {
		if slices.ContainsFunc(u.keys, func(k flowKey) bool { return flows[k] != nil }) {
			byID[u.id] = u
		}
	}
	ids := slices.Sorted(maps.Keys(byID))
	if len(ids) == 0 {
		return nil
	}
	seenNs, sampledNs := make([]int64, len(ids)), make([]int64, len(ids))
	sid, sver := make([]*string, len(ids)), make([]*string, len(ids))
	for i, id := range ids {
		u := byID[id]
		seenNs[i], sampledNs[i], sid[i], sver[i] = u.seenNs, u.sampledNs, u.schemaID, u.ver
	}
	c.rows = map[int64]flowRow{}
	batch.Queue(`WITH locked AS (SELECT id FROM flow WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE)
		UPDATE flow AS f SET last_seen_ns = greatest(f.last_seen_ns, u.t), last_sampled_ns = greatest(f.last_sampled_ns, u.s),
			schema_id = coalesce(u.i, f.schema_id), schema_version = coalesce(u.v, f.schema_version)
		FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::text[]) AS u(id, t, s, i, v)
		WHERE f.id = u.id AND f.id IN (SELECT id FROM locked)
		RETURNING f.id, f.direction, f.service, f.system, f.cluster, f.destination, f.consumer_group,
			f.first_seen_ns, f.last_seen_ns, f.last_sampled_ns, coalesce(f.schema_id, ''), coalesce(f.schema_version, '')`,
		ids, seenNs, sampledNs, sid, sver).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			var id int64
			var dir string
			var r flowRow
			k := &r.key
			if err := rows.Scan(&id, &dir, &k.Service, &k.Channel.System, &k.Channel.Cluster, &k.Channel.Destination, &k.Group,
				&r.firstSeenNs, &r.lastSeenNs, &r.lastSampledNs, &r.schemaID, &r.schemaVersion); err != nil {
				return err
			}
			k.Role = roleOf(dir)
			c.rows[id] = r
		}
		return rows.Err()
	})
	return ids
}

// storedKey is k as the flow table holds it.
func storedKey(k flowKey) flowKey {
	return flowKey{Role: k.Role, Service: pgText(k.Service), Group: pgText(k.Group),
		Channel: Channel{System: pgText(k.Channel.System), Cluster: pgText(k.Channel.Cluster), Destination: pgText(k.Channel.Destination)}}
}

func compareFlowKeys(a, b flowKey) int {
	return cmp.Or(cmp.Compare(a.Role, b.Role), strings.Compare(a.Service, b.Service), strings.Compare(a.Channel.System, b.Channel.System),
		strings.Compare(a.Channel.Cluster, b.Channel.Cluster), strings.Compare(a.Channel.Destination, b.Channel.Destination),
		strings.Compare(a.Group, b.Group))
}

// queueAggregates queues one upsert of every minute row and one of every hour row the deltas
// add to, each in key order (so replicas lock rows in the same order) with one row per key (an
// upsert may not touch a row twice).
func queueAggregates(batch *pgx.Batch, deltas map[minuteFlow]*aggregate) {
	hours := map[minuteFlow]*aggregate{}
	for k, agg := range deltas {
		h := minuteFlow{flow: k.flow, minute: floorDiv(k.minute, 60)}
		sum := hours[h]
		if sum == nil {
			sum = &aggregate{}
			hours[h] = sum
		}
		sum.add(agg)
	}
	batch.Queue(pgUpsertMinute, aggregateArrays(deltas)...)
	batch.Queue(pgUpsertHour, aggregateArrays(hours)...)
}

// aggregateArrays lays rows out as one array per column: bucket, flow id, then aggregateColumns.
func aggregateArrays(rows map[minuteFlow]*aggregate) []any {
	keys := make([]minuteFlow, 0, len(rows))
	for k := range rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b minuteFlow) int { return cmp.Or(cmp.Compare(a.minute, b.minute), cmp.Compare(a.flow, b.flow)) })
	cols := make([][]int64, 2+len(aggregateColumns()))
	for _, k := range keys {
		cols[0] = append(cols[0], k.minute)
		cols[1] = append(cols[1], k.flow)
		for i, v := range rows[k].values() {
			cols[2+i] = append(cols[2+i], v)
		}
	}
	args := make([]any, len(cols))
	for i, c := range cols {
		args[i] = c
	}
	return args
}

var pgUpsertMinute, pgUpsertHour = pgUpsertSQL("flow_minute", "minute"), pgUpsertSQL("flow_hour", "hour")

// pgUpsertSQL adds rows given as column arrays into table (flow_minute or flow_hour).
func pgUpsertSQL(table, bucketCol string) string {
	cols := append([]string{bucketCol, "flow_id"}, aggregateColumns()...)
	params := make([]string, len(cols))
	sets := []string{fmt.Sprintf("last_seen_ns = greatest(%s.last_seen_ns, excluded.last_seen_ns)", table)}
	for i, c := range cols {
		params[i] = fmt.Sprintf("$%d::bigint[]", i+1)
		if i >= 2 && c != "last_seen_ns" {
			sets = append(sets, fmt.Sprintf("%s = %s.%s + excluded.%s", c, table, c, c))
		}
	}
	return fmt.Sprintf("INSERT INTO %s (%s) SELECT * FROM unnest(%s) ON CONFLICT (%s, flow_id) DO UPDATE SET %s",
		table, strings.Join(cols, ", "), strings.Join(params, ", "), bucketCol, strings.Join(sets, ", "))
}

// queueClaim pairs the producers and waiters the previous commit stored with what is stored
// now: waiting consumers (anyone's) whose producer is among those producers, and those waiters
// (the rows that commit stored, not older ones of a consumer sent again) whose producer another
// replica stored. It deletes every row of each consumer it pairs, so a
// consumer paired by two replicas at once counts once: the second delete finds its rows gone.
func queueClaim(batch *pgx.Batch, c pairClaims) *pgx.QueuedQuery {
	keys, starts := make([]int64, len(c.producers)), make([]int64, len(c.producers))
	for i, p := range c.producers {
		keys[i], starts[i] = p.key, p.startNs
	}
	return batch.Queue(`WITH m AS (
			SELECT w.consumer, p.start_ns FROM pair_waiter AS w JOIN pair_producer AS p ON p.key = w.ref
			WHERE w.consumer = ANY($1::bigint[]) AND w.at_ns = $4
			UNION ALL
			SELECT w.consumer, p.start_ns FROM unnest($2::bigint[], $3::bigint[]) AS p(key, start_ns) JOIN pair_waiter AS w ON w.ref = p.key
		), paired AS (
			SELECT consumer, min(start_ns) AS producer_start FROM m GROUP BY consumer
		), d AS (
			DELETE FROM pair_waiter AS w USING paired WHERE w.consumer = paired.consumer
			RETURNING w.consumer, w.flow_id, w.minute, w.start_ns - paired.producer_start AS delay
		)
		SELECT DISTINCT ON (consumer) flow_id, minute, delay FROM d`, c.consumers, keys, starts, c.arrivedNs)
}

// queuePairs queues inserts of the batch's producers and unpaired consumers into the pairing
// tables.
func queuePairs(batch *pgx.Batch, b *batchWrite, ids map[flowKey]int64) {
	if len(b.producers) > 0 {
		keys, starts := make([]int64, len(b.producers)), make([]int64, len(b.producers))
		for i, p := range b.producers {
			keys[i], starts[i] = p.key, p.startNs
		}
		batch.Queue(`INSERT INTO pair_producer (gen, at_ns, key, start_ns)
			SELECT (SELECT max(gen) FROM pair_generation), $1, k, s FROM unnest($2::bigint[], $3::bigint[]) AS u(k, s)`, b.arrivedNs, keys, starts)
	}
	var refs, consumers, flows, minutes, starts []int64
	for _, wt := range b.waiters {
		for _, ref := range wt.refs {
			refs, consumers, starts = append(refs, ref), append(consumers, wt.consumer), append(starts, wt.startNs)
			flows, minutes = append(flows, ids[wt.bucket.flow]), append(minutes, wt.bucket.minute)
		}
	}
	if len(refs) > 0 {
		batch.Queue(`INSERT INTO pair_waiter (gen, at_ns, ref, consumer, flow_id, minute, start_ns)
			SELECT (SELECT max(gen) FROM pair_generation), $1, r, c, f, m, s
			FROM unnest($2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[]) AS u(r, c, f, m, s)`,
			b.arrivedNs, refs, consumers, flows, minutes, starts)
	}
}

// spanCopy encodes a batch's spans in COPY's binary format as COPY reads them, a chunk at a
// time, so encoding overlaps with the server's work; it knows the column types, so unlike
// pgx.CopyFrom it needs no round trip to ask for them.
type spanCopy struct {
	b    *batchWrite
	dict *textDict
	i    int    // the next span: b.spans[i]
	buf  []byte // encoded, not yet read
	done bool
}

// copyHeader starts COPY's binary format: signature, flags, header extension length.
const copyHeader = "PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00"

func newSpanCopy(b *batchWrite, dict *textDict) *spanCopy {
	return &spanCopy{b: b, dict: dict, buf: []byte(copyHeader)}
}

func (c *spanCopy) Read(p []byte) (int, error) {
	for len(c.buf) < len(p) && !c.done {
		c.encodeNext()
	}
	n := copy(p, c.buf)
	c.buf = c.buf[:copy(c.buf, c.buf[n:])]
	if n == 0 && c.done {
		return 0, io.EOF
	}
	return n, nil
}

// encodeNext appends the next span, or the trailer after the last.
func (c *spanCopy) encodeNext() {
	if c.i == len(c.b.spans) {
		c.buf, c.done = binary.BigEndian.AppendUint16(c.buf, 0xffff), true
		return
	}
	sp := c.b.spans[c.i]
	c.i++
	b := binary.BigEndian.AppendUint16(c.buf, uint16(len(spanColumns)))
	b = appendInt64(b, c.b.arrivedNs)
	b = appendField(b, sp.TraceID[:])
	b = appendField(b, sp.SpanID[:])
	if sp.ParentSpanID.IsZero() {
		b = appendNull(b)
	} else {
		b = appendField(b, sp.ParentSpanID[:])
	}
	b = appendInt16(b, int16(sp.Kind))
	b = appendInt64(b, sp.StartNanos)
	b = appendInt64(b, sp.EndNanos-sp.StartNanos)
	b = appendInt16(b, int16(sp.StatusCode))
	// The fields' length goes in front once they are encoded in place.
	at := len(b)
	b = c.dict.appendFields(binary.BigEndian.AppendUint32(b, 0), sp)
	binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	if len(sp.Links) == 0 {
		b = appendNull(b)
	} else {
		at := len(b)
		b = appendLinks(binary.BigEndian.AppendUint32(b, 0), sp.Links)
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	c.buf = b
}

func appendField[T string | []byte](b []byte, v T) []byte {
	return append(binary.BigEndian.AppendUint32(b, uint32(len(v))), v...)
}

func appendText(b []byte, s string) []byte { return appendField(b, pgText(s)) }
func appendNull(b []byte) []byte           { return binary.BigEndian.AppendUint32(b, 0xffffffff) }
func appendInt16(b []byte, v int16) []byte {
	return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint32(b, 2), uint16(v))
}
func appendInt64(b []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(b, 8), uint64(v))
}

// pgText makes s acceptable as PostgreSQL text, which must be valid UTF-8 without NUL bytes
// (SQLite takes any bytes): a span that breaks the rule must not fail the whole batch.
func pgText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// changeBody is a change as the feed stores it: flow ids it touched, each delta as [flow id,
// minute, aggregateColumns…], and the failed messaging spans.
type changeBody struct {
	Flows        []int64       `json:"f,omitempty"`
	Deltas       [][]int64     `json:"d,omitempty"`
	Failures     []failureBody `json:"e,omitempty"`
	FlowsDeleted bool          `json:"x,omitempty"`
}

type failureBody struct {
	Trace    []byte `json:"t"`
	Span     []byte `json:"s"`
	Service  string `json:"v"`
	Name     string `json:"n"`
	Channel  string `json:"c"`
	StartNs  int64  `json:"a"`
	Duration int64  `json:"d"`
	Message  string `json:"m,omitempty"`
}

// encodeChange encodes c, which touched the flows with ids flows.
func encodeChange(flows []int64, c change) ([]byte, error) {
	b := changeBody{Flows: flows}
	for k, agg := range c.deltas {
		b.Deltas = append(b.Deltas, append([]int64{k.flow, k.minute}, agg.values()...))
	}
	for _, e := range c.failures {
		b.Failures = append(b.Failures, failureBody{Trace: e.TraceID[:], Span: e.SpanID[:], Service: e.Service, Name: e.Name,
			Channel: e.ChannelKey, StartNs: e.Start.UnixNano(), Duration: int64(e.Duration), Message: e.Message})
	}
	b.FlowsDeleted = c.flowsDeleted
	return json.Marshal(b)
}

// decodeChange reads a feed row; the flows it touched are read again from the snapshot, so
// they are as stored now rather than as that transaction left them.
func decodeChange(body []byte) (change, []int64, error) {
	var b changeBody
	if err := json.Unmarshal(body, &b); err != nil {
		return change{}, nil, fmt.Errorf("decode change: %w", err)
	}
	c := change{deltas: map[minuteFlow]*aggregate{}, flowsDeleted: b.FlowsDeleted}
	for _, d := range b.Deltas {
		if len(d) != 2+len(aggregateColumns()) {
			return change{}, nil, fmt.Errorf("decode change: a delta of %d values", len(d))
		}
		c.deltas[minuteFlow{flow: d[0], minute: d[1]}] = aggregateOf(d[2:])
	}
	for _, f := range b.Failures {
		e := ErrorExample{Service: f.Service, Name: f.Name, ChannelKey: f.Channel, Start: time.Unix(0, f.StartNs).UTC(),
			Duration: time.Duration(f.Duration), Message: f.Message}
		copy(e.TraceID[:], f.Trace)
		copy(e.SpanID[:], f.Span)
		c.failures = append(c.failures, e)
	}
	return c, b.Flows, nil
}

// snapshot begins a repeatable-read transaction and reads, in it, the change feed rows other
// replicas committed since the previous snapshot: those whose transaction it did not see.
func (w *pgWriter) snapshot(ctx context.Context) (snapshot, error) {
	tx, err := w.db.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, pgError("read snapshot", err)
	}
	s := &pgSnapshot{st: &pgStore{db: w.db, texts: w.texts}, tx: tx}
	if err := w.read(ctx, s); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return nil, pgError("read snapshot", err)
	}
	return s, nil
}

func (w *pgWriter) read(ctx context.Context, s *pgSnapshot) error {
	var cursor string
	if err := s.tx.QueryRow(ctx, "SELECT pg_current_snapshot()::text").Scan(&cursor); err != nil {
		return err
	}
	now := time.Now()
	if w.cursor == "" || now.Sub(w.polledAt) > changeKeep/2 {
		failures, err := s.readFailures(ctx)
		if err != nil {
			return err
		}
		s.failures, s.resetAll = failures, true
	} else if err := w.readChanges(ctx, s); err != nil {
		return err
	}
	w.cursor, w.polledAt = cursor, now
	return nil
}

func (w *pgWriter) readChanges(ctx context.Context, s *pgSnapshot) error {
	rows, err := s.tx.Query(ctx, `SELECT body FROM flow_change
		WHERE tx >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(tx, $1::pg_snapshot) AND replica <> $2`,
		w.cursor, w.replica)
	if err != nil {
		return err
	}
	bodies, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return err
	}
	var touched []int64
	for _, body := range bodies {
		c, flows, err := decodeChange(body)
		if err != nil {
			return err
		}
		touched = append(touched, flows...)
		for k := range c.deltas {
			touched = append(touched, k.flow)
		}
		s.list = append(s.list, c)
	}
	if len(touched) == 0 {
		return nil
	}
	rowsNow, err := pgFlowRows(ctx, s.tx, "WHERE id = ANY($1)", touched)
	if err != nil {
		return err
	}
	s.list = append(s.list, change{rows: rowsNow})
	return nil
}

// pgSnapshot is a repeatable-read transaction: every read in it sees the same committed state.
type pgSnapshot struct {
	st       *pgStore
	tx       pgx.Tx
	resetAll bool
	failures []ErrorExample
	list     []change
}

func (s *pgSnapshot) reset() ([]ErrorExample, bool) { return s.failures, s.resetAll }
func (s *pgSnapshot) changes() []change             { return s.list }
func (s *pgSnapshot) close()                        { s.tx.Rollback(context.Background()) }

func (s *pgSnapshot) flowRows(ctx context.Context, seenSinceNs int64) (map[int64]flowRow, error) {
	return pgFlowRows(ctx, s.tx, "WHERE last_seen_ns >= $1", seenSinceNs)
}

func (s *pgSnapshot) sumAggregates(ctx context.Context, m1, m2 int64) (map[int64]*aggregate, error) {
	return pgSums(ctx, s.tx, m1, m2)
}

// readFailures reads the failed messaging spans among the newest 100,000 spans (whole
// seconds): span_batch says from which second on, the BRIN index finds their blocks.
func (s *pgSnapshot) readFailures(ctx context.Context) ([]ErrorExample, error) {
	var since int64
	err := s.tx.QueryRow(ctx, `SELECT coalesce((SELECT second FROM (
			SELECT second, sum(spans) OVER (ORDER BY second DESC) AS newer FROM span_batch) AS b
		WHERE newer >= 100000 ORDER BY second DESC LIMIT 1), 0) * 1000000000`).Scan(&since)
	if err != nil {
		return nil, fmt.Errorf("load recent errors: %w", err)
	}
	spans, err := s.st.spans(ctx, s.tx, "arrived_ns >= $1 AND status_code = $2", since, int16(StatusError))
	if err != nil {
		return nil, fmt.Errorf("load recent errors: %w", err)
	}
	slices.SortStableFunc(spans, func(a, b StoredSpan) int { return a.Start.Compare(b.Start) })
	return failuresOf(spans), nil
}

// trim drops the oldest span partitions (of span and trace_index, with their batches' rows)
// while they take more than maxBytes, never the one this writer last wrote to; with a cap
// those are a capShare of it each (spanPart), so the store stays within the cap and one batch.
// When that partition alone is over the cap (a burst far above the rate its length was set
// for), it deletes the partition's older batches as a last resort: their rows are gone from
// every answer, but their space is only reused once autovacuum has seen them, so the next
// partition is made short and dropped whole. Replicas trim one at a time (the others skip
// while one holds the lock), so they may all trim.
func (w *pgWriter) trim(ctx context.Context, maxBytes int64, now time.Time) (bool, error) {
	used, err := spanStoreBytes(ctx, w.db.Pool)
	if err != nil {
		return false, pgError("store size", err)
	}
	if used <= maxBytes {
		return false, nil
	}
	current, ok := w.spanPartAt(now.UnixNano())
	switch {
	case w.written.suffix != "" && (!ok || w.written.from < current.from):
		current = w.written
	case !ok:
		current = spanPart{from: now.UnixNano()}
	}
	// Dropping waits for the readers of the parent table; a long one makes it try again, up to
	// three times, before the next commit is let through.
	for range 3 {
		var dropped bool
		err = pgx.BeginFunc(ctx, w.db.Pool, func(tx pgx.Tx) error {
			var locked bool
			if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", partitionLock).Scan(&locked); err != nil || !locked {
				return err
			}
			if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '1s'"); err != nil {
				return err
			}
			// Measured again under the lock: another replica may have trimmed meanwhile.
			if used, err := spanStoreBytes(ctx, tx); err != nil || used <= maxBytes {
				return err
			}
			var err error
			if dropped, err = w.dropSpanPart(ctx, tx, current.from); dropped || err != nil || current.suffix != w.written.suffix {
				return err
			}
			return w.deleteOldest(ctx, tx, current)
		})
		if sqlState(err) != "55P03" { // lock timeout
			if err != nil {
				return false, pgError("trim spans to the size cap", err)
			}
			return dropped, nil
		}
	}
	return false, nil
}

// spanStoreBytes is what the size cap counts: the span and trace_index partitions with their
// indexes and TOAST.
func spanStoreBytes(ctx context.Context, q pgdb.Queryer) (int64, error) {
	var used int64
	err := q.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)::bigint FROM pg_inherits AS i
		WHERE i.inhparent IN ('span'::regclass, 'trace_index'::regclass)`).Scan(&used)
	return used, err
}

// deleteOldest deletes the spans of part that arrived before this writer's last batch.
func (w *pgWriter) deleteOldest(ctx context.Context, tx pgx.Tx, part spanPart) error {
	for _, table := range []string{"span", "trace_index"} {
		if _, err := tx.Exec(ctx, "DELETE FROM "+table+"_"+part.suffix+" WHERE arrived_ns < $1", w.arrived); err != nil {
			return fmt.Errorf("delete the oldest rows of %s_%s: %w", table, part.suffix, err)
		}
	}
	if _, err := tx.Exec(ctx, "DELETE FROM span_batch WHERE second < $1", floorDiv(w.arrived, int64(time.Second))); err != nil {
		return fmt.Errorf("delete span batches: %w", err)
	}
	return nil
}

// dropSpanPart drops the oldest span partition that ends at or before cutoff, with its
// trace_index sibling and its batches' rows; it reports whether it dropped one.
func (w *pgWriter) dropSpanPart(ctx context.Context, tx pgx.Tx, cutoff int64) (bool, error) {
	parts, err := listSpanParts(ctx, tx)
	if err != nil {
		return false, err
	}
	if len(parts) == 0 || parts[0].to > cutoff {
		return false, nil
	}
	oldest := parts[0]
	for _, table := range []string{"span", "trace_index"} {
		if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+table+"_"+oldest.suffix); err != nil {
			return false, fmt.Errorf("drop %s_%s: %w", table, oldest.suffix, err)
		}
	}
	delete(w.spanParts, oldest.suffix)
	if _, err := tx.Exec(ctx, "DELETE FROM span_batch WHERE second < $1", floorDiv(oldest.to, int64(time.Second))); err != nil {
		return false, fmt.Errorf("delete span batches: %w", err)
	}
	return true, nil
}

// expire does one step of retention, on one replica at a time (the others skip while it holds
// the lock): create the next partitions ahead, drop the oldest expired span hour or pairing
// partition, delete the oldest expired minute and hour of aggregates, and last the flows not
// seen within the flow retention and old change feed rows.
func (w *pgWriter) expire(ctx context.Context, r retention) (expired, error) {
	now := r.now.UnixNano()
	// This hour's partition and the next one ahead of the commits; not with a cap, where a
	// partition's length is set by how full the one before is when it ends (made ahead it
	// would measure one still filling, or none while idle) and the commit that needs it makes it.
	if w.maxBytes <= 0 {
		part, err := w.ensureSpans(ctx, now)
		if err != nil {
			return expired{}, err
		}
		if _, err := w.ensureSpans(ctx, part.to); err != nil {
			return expired{}, err
		}
	}
	if time.Since(w.summedAt) >= summariseEvery {
		w.summedAt = time.Now()
		// This partition and the one before it, whose last ranges filled after it ended.
		recent := slices.SortedFunc(maps.Values(w.spanParts), func(a, b spanPart) int { return cmp.Compare(b.from, a.from) })
		recent = slices.DeleteFunc(recent, func(p spanPart) bool { return p.from > now })
		for _, p := range recent[:min(2, len(recent))] {
			name := "span_" + p.suffix
			if _, err := w.db.Pool.Exec(ctx, `SELECT brin_summarize_new_values(i.indexrelid) FROM pg_index AS i
				JOIN pg_class AS c ON c.oid = i.indexrelid JOIN pg_am AS a ON a.oid = c.relam
				WHERE i.indrelid = $1::regclass AND a.amname = 'brin'`, name); err != nil {
				return expired{}, pgError("summarise "+name, err)
			}
		}
	}
	var e expired
	err := pgx.BeginFunc(ctx, w.db.Pool, func(tx pgx.Tx) error {
		var locked bool
		if err := tx.QueryRow(ctx, "SELECT pg_try_advisory_xact_lock($1)", partitionLock).Scan(&locked); err != nil || !locked {
			return err
		}
		// Dropping a partition waits for the commits and readers of its parent and stops the
		// commits queued behind it: a long reader makes it give up and try again later.
		if _, err := tx.Exec(ctx, "SET LOCAL lock_timeout = '100ms'"); err != nil {
			return err
		}
		var err error
		e, err = w.expireStep(ctx, tx, r)
		return err
	})
	if sqlState(err) == "55P03" { // lock timeout: a long reader holds the table
		w.dropAfter = time.Now().Add(dropBackoff)
		return expired{}, nil
	}
	if err != nil {
		return expired{}, pgError("retention", err)
	}
	return e, nil
}

func (w *pgWriter) expireStep(ctx context.Context, tx pgx.Tx, r retention) (expired, error) {
	if time.Now().After(w.dropAfter) {
		dropped, err := w.dropSpanPart(ctx, tx, r.spansBefore.UnixNano())
		if !dropped && err == nil {
			dropped, err = w.rotatePairs(ctx, tx, r.now.UnixNano())
		}
		if dropped || err != nil {
			return expired{more: dropped}, err
		}
	}
	cutoff := r.flowsBefore
	for _, t := range []struct {
		table, col string
		cutoff     int64
	}{
		{"flow_minute", "minute", cutoff.Unix() / 60},
		{"flow_hour", "hour", cutoff.Unix() / 3600},
	} {
		tag, err := tx.Exec(ctx, fmt.Sprintf("DELETE FROM %[1]s WHERE %[2]s = (SELECT min(%[2]s) FROM %[1]s) AND %[2]s < $1", t.table, t.col), t.cutoff)
		if err != nil {
			return expired{}, fmt.Errorf("delete from %s: %w", t.table, err)
		}
		if tag.RowsAffected() > 0 {
			return expired{more: true}, nil
		}
	}
	if _, err := tx.Exec(ctx, "DELETE FROM flow_change WHERE at_ns < $1", time.Now().Add(-changeKeep).UnixNano()); err != nil {
		return expired{}, fmt.Errorf("prune change feed: %w", err)
	}
	tag, err := tx.Exec(ctx, "DELETE FROM flow WHERE last_seen_ns < $1", cutoff.UnixNano())
	if err != nil {
		return expired{}, fmt.Errorf("delete expired flows: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return expired{}, nil
	}
	body, err := encodeChange(nil, change{flowsDeleted: true})
	if err != nil {
		return expired{}, err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO flow_change (replica, at_ns, body) VALUES ($1, $2, $3)", w.replica, time.Now().UnixNano(), body); err != nil {
		return expired{}, fmt.Errorf("record deleted flows: %w", err)
	}
	return expired{flowsDeleted: true}, nil
}

// rotatePairs starts a new generation of pending pairs when the newest is half a pair window old
// or holds half of pairMaxPending rows in either table, and drops the generations before the
// one it ends: pairs then live between half a window and a window, at most the bound of them in
// each table, as in memory. It reports whether it rotated.
func (w *pgWriter) rotatePairs(ctx context.Context, tx pgx.Tx, now int64) (bool, error) {
	var gen, started int64
	if err := tx.QueryRow(ctx, "SELECT gen, started_ns FROM pair_generation ORDER BY gen DESC LIMIT 1").Scan(&gen, &started); err != nil {
		return false, fmt.Errorf("read the pairs' generation: %w", err)
	}
	if now-started < int64(w.pairWindow/2) {
		if time.Since(w.pairsCounted) < pairCountEvery {
			return false, nil
		}
		w.pairsCounted = time.Now()
		var producers, waiters int64
		if err := tx.QueryRow(ctx, fmt.Sprintf("SELECT (SELECT count(*) FROM %s), (SELECT count(*) FROM %s)",
			pairPart("pair_producer", gen), pairPart("pair_waiter", gen))).Scan(&producers, &waiters); err != nil {
			return false, fmt.Errorf("count the pairs of generation %d: %w", gen, err)
		}
		if max(producers, waiters) < w.pairMaxPending/2 {
			return false, nil
		}
	}
	for _, table := range pairTables {
		if err := createPartition(ctx, tx, table, pairPart(table, gen+1), true, fmt.Sprintf("IN (%d)", gen+1)); err != nil {
			return false, fmt.Errorf("create %s: %w", pairPart(table, gen+1), err)
		}
	}
	rows, err := tx.Query(ctx, "DELETE FROM pair_generation WHERE gen < $1 RETURNING gen", gen)
	if err != nil {
		return false, fmt.Errorf("end the pairs' old generations: %w", err)
	}
	old, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return false, fmt.Errorf("end the pairs' old generations: %w", err)
	}
	for _, g := range old {
		for _, table := range pairTables {
			if _, err := tx.Exec(ctx, "DROP TABLE IF EXISTS "+pairPart(table, g)); err != nil {
				return false, fmt.Errorf("drop %s: %w", pairPart(table, g), err)
			}
		}
	}
	if _, err := tx.Exec(ctx, "INSERT INTO pair_generation (gen, started_ns) VALUES ($1, $2)", gen+1, now); err != nil {
		return false, fmt.Errorf("start generation %d of the pairs: %w", gen+1, err)
	}
	return true, nil
}
