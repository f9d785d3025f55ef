package tracing

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// flowKey names one edge of the flow graph: a service producing to a channel, or a channel
// consumed by a service in a consumer group.
type flowKey struct {
	Role    Role
	Service string
	Channel Channel
	Group   string
}

// bucketKey is one flow in one minute.
type bucketKey struct {
	flow   flowKey
	minute int64 // unix seconds / 60
}

// aggregate is what a flow did in one minute (or, in the database, one hour).
type aggregate struct {
	messages, errors int64
	processingSumNs  int64
	delays           int64
	processing       histogram
	delay            histogram
	lastSeenNs       int64
}

// flowState is the newest per-flow metadata seen in a batch.
type flowState struct {
	lastSeenNs              int64
	schemaID, schemaVersion string
}

// aggregator turns messaging spans into per-minute flow aggregates in memory; the writer flushes
// them with upserts in the transaction that stores the spans, so aggregates and spans commit
// together.
type aggregator struct {
	ids    map[flowKey]int64 // flow ids committed in the database
	newIDs map[flowKey]int64 // flow ids created in the open transaction
	deltas map[bucketKey]*aggregate
	flows  map[flowKey]*flowState
	pairs  *pairing
}

func newAggregator(ctx context.Context, read *sql.DB, cfg *Config) (*aggregator, error) {
	a := &aggregator{
		ids:    map[flowKey]int64{},
		newIDs: map[flowKey]int64{},
		deltas: map[bucketKey]*aggregate{},
		flows:  map[flowKey]*flowState{},
		pairs:  newPairing(cfg.PairWindow, cfg.PairMaxPending, cfg.Now()),
	}
	if err := a.load(ctx, read); err != nil {
		return nil, err
	}
	return a, nil
}

// load reads the ids of the flows in the database.
func (a *aggregator) load(ctx context.Context, db *sql.DB) error {
	clear(a.ids)
	rows, err := db.QueryContext(ctx, "SELECT id, direction, service, system, cluster, destination, consumer_group FROM flow")
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
		a.ids[k] = id
	}
	return rows.Err()
}

func roleOf(direction string) Role {
	if direction == "produce" {
		return RoleProducer
	}
	return RoleConsumer
}

func (a *aggregator) bucket(k bucketKey) *aggregate {
	agg := a.deltas[k]
	if agg == nil {
		agg = &aggregate{}
		a.deltas[k] = agg
	}
	return agg
}

// observe adds one messaging span to its flow's minute, and pairs consumers with producers.
func (a *aggregator) observe(s *Span) {
	m := s.Messaging
	key := bucketKey{flow: flowKey{Role: m.Role, Service: s.Service, Channel: m.Channel, Group: m.ConsumerGroup}, minute: floorDiv(s.StartNanos, int64(time.Minute))}
	agg := a.bucket(key)
	agg.messages += int64(m.Messages)
	if m.Error {
		agg.errors += int64(m.Messages)
	}
	d := s.EndNanos - s.StartNanos
	agg.processingSumNs += d
	agg.processing.observe(time.Duration(d))
	agg.lastSeenNs = max(agg.lastSeenNs, s.EndNanos)

	st := a.flows[key.flow]
	if st == nil {
		st = &flowState{}
		a.flows[key.flow] = st
	}
	st.lastSeenNs = max(st.lastSeenNs, s.EndNanos)
	if m.SchemaID != "" || m.SchemaVersion != "" {
		st.schemaID, st.schemaVersion = m.SchemaID, m.SchemaVersion
	}

	switch m.Role {
	case RoleProducer:
		for _, w := range a.pairs.addProducer(s.Ref(), s.StartNanos) {
			if !w.done {
				w.done = true
				a.addDelay(w.bucket, w.start-s.StartNanos)
			}
		}
	case RoleConsumer:
		refs := s.Links
		if !s.ParentSpanID.IsZero() {
			refs = append(refs[:len(refs):len(refs)], SpanRef{TraceID: s.TraceID, SpanID: s.ParentSpanID})
		}
		for _, r := range refs {
			if start, ok := a.pairs.producerStart(r); ok {
				a.addDelay(key, s.StartNanos-start)
				return
			}
		}
		if len(refs) > 0 {
			a.pairs.wait(refs, &waiter{bucket: key, start: s.StartNanos})
		}
	}
}

func (a *aggregator) addDelay(k bucketKey, ns int64) {
	agg := a.bucket(k)
	agg.delays++
	agg.delay.observe(time.Duration(max(ns, 0)))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// flush writes the deltas in tx: new flow rows, then one upsert per flow and minute and one per
// flow and hour.
func (a *aggregator) flush(ctx context.Context, tx *sql.Tx, st *statements) error {
	if len(a.deltas) == 0 && len(a.flows) == 0 {
		return nil
	}
	for k, fs := range a.flows {
		id, err := a.flowID(ctx, tx, st, k, fs.lastSeenNs)
		if err != nil {
			return err
		}
		var sid, sver any
		if fs.schemaID != "" || fs.schemaVersion != "" {
			sid, sver = fs.schemaID, fs.schemaVersion
		}
		if _, err := tx.StmtContext(ctx, st.updateFlow).ExecContext(ctx, fs.lastSeenNs, sid, sver, id); err != nil {
			return fmt.Errorf("update flow %d: %w", id, err)
		}
	}
	upMinute, upHour := tx.StmtContext(ctx, st.upsertMinute), tx.StmtContext(ctx, st.upsertHour)
	args := make([]any, 0, 7+2*histogramBuckets)
	for k, agg := range a.deltas {
		id, err := a.flowID(ctx, tx, st, k.flow, agg.lastSeenNs)
		if err != nil {
			return err
		}
		args = agg.args(args[:0], k.minute, id)
		if _, err := upMinute.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("upsert flow minute: %w", err)
		}
		args[0] = floorDiv(k.minute, 60)
		if _, err := upHour.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("upsert flow hour: %w", err)
		}
	}
	return nil
}

func (a *aggregator) flowID(ctx context.Context, tx *sql.Tx, st *statements, k flowKey, seen int64) (int64, error) {
	if id, ok := a.ids[k]; ok {
		return id, nil
	}
	if id, ok := a.newIDs[k]; ok {
		return id, nil
	}
	var id int64
	err := tx.StmtContext(ctx, st.insertFlow).QueryRowContext(ctx,
		k.Role.String(), k.Service, k.Channel.System, k.Channel.Cluster, k.Channel.Destination, k.Group, seen, seen,
	).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert flow %s %s %s: %w", k.Service, k.Role, k.Channel.Key(), err)
	}
	a.newIDs[k] = id
	return id, nil
}

// committed hands the flushed deltas to the live windows once their transaction committed, and
// forgets them.
func (a *aggregator) committed(live *liveWindows) {
	for k, id := range a.newIDs {
		a.ids[k] = id
	}
	live.add(a.ids, a.flows, a.deltas)
	a.reset()
}

// discard forgets deltas of a transaction that failed: their spans were not stored either.
func (a *aggregator) discard() { a.reset() }

func (a *aggregator) reset() {
	clear(a.newIDs)
	clear(a.deltas)
	clear(a.flows)
}

func (agg *aggregate) args(args []any, bucket, flowID int64) []any {
	args = append(args, bucket, flowID, agg.messages, agg.errors, agg.processingSumNs, agg.delays, agg.lastSeenNs)
	for _, c := range agg.processing {
		args = append(args, c)
	}
	for _, c := range agg.delay {
		args = append(args, c)
	}
	return args
}

// histogramColumns is "p0, …, p17, d0, …, d17".
func histogramColumns() []string {
	cols := make([]string, 0, 2*histogramBuckets)
	for _, p := range []string{"p", "d"} {
		for i := range histogramBuckets {
			cols = append(cols, fmt.Sprintf("%s%d", p, i))
		}
	}
	return cols
}

// upsertAggregateSQL adds one aggregate row into table (flow_minute or flow_hour).
func upsertAggregateSQL(table, bucketCol string) string {
	cols := append([]string{bucketCol, "flow_id", "messages", "errors", "processing_sum_ns", "delays", "last_seen_ns"}, histogramColumns()...)
	sets := []string{"last_seen_ns = max(last_seen_ns, excluded.last_seen_ns)"}
	for _, c := range cols[2:] {
		if c != "last_seen_ns" {
			sets = append(sets, fmt.Sprintf("%s = %s + excluded.%s", c, c, c))
		}
	}
	return fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) ON CONFLICT (%s, flow_id) DO UPDATE SET %s",
		table, strings.Join(cols, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", "), bucketCol, strings.Join(sets, ", "))
}
