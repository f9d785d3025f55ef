package tracing

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// FlowQuery selects flows seen in [Since, Until), or over the Last duration up to now when Last
// is set; Service and Channel narrow them when set. Channel matches a channel's key
// ("kafka/orders") or its destination ("orders"). A Last among Config.Windows is answered from
// running sums, without reading aggregate rows.
type FlowQuery struct {
	Since, Until time.Time
	Last         time.Duration
	Service      string
	Channel      string
	Keys         []string // the SeriesKey of each flow wanted; none means every flow
}

// window resolves Last into Since and Until.
func (q FlowQuery) window(now time.Time) FlowQuery {
	if q.Last > 0 {
		q.Since, q.Until = now.Add(-q.Last), now
	}
	return q
}

// Flow is one edge of the flow graph over a time window: a service producing to a channel
// (Direction "produce") or a channel consumed by a service and group (Direction "consume").
type Flow struct {
	Direction     string      `json:"direction"`
	Service       string      `json:"service"`
	Channel       Channel     `json:"channel"`
	ChannelKey    string      `json:"channel_key"`
	ConsumerGroup string      `json:"consumer_group,omitempty"`
	Messages      int64       `json:"messages"`
	Errors        int64       `json:"errors"`
	ErrorRate     float64     `json:"error_rate"`
	RatePerSecond float64     `json:"rate_per_second"`
	ProcessingMs  Percentiles `json:"processing_ms"`
	Delays        int64       `json:"delays"`                 // consumer spans paired with their producer
	DelayP95Ms    *float64    `json:"delay_p95_ms,omitempty"` // end-to-end delay, when any pair was seen
	LastSeen      time.Time   `json:"last_seen"`
	SchemaID      string      `json:"schema_id,omitempty"`
	SchemaVersion string      `json:"schema_version,omitempty"`
}

// Percentiles of a duration histogram, in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

func percentiles(h *histogram) Percentiles {
	return Percentiles{P50: ms(h.quantile(0.50)), P95: ms(h.quantile(0.95)), P99: ms(h.quantile(0.99))}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// flowRow is a flow's identity and metadata from the flow table.
type flowRow struct {
	key                     flowKey
	firstSeenNs, lastSeenNs int64
	schemaID, schemaVersion string
}

// Flows returns the flows seen in the query's window, read from the per-minute and per-hour
// aggregates (whole hours inside the window come from flow_hour), never from raw spans.
func (in *Ingester) Flows(ctx context.Context, q FlowQuery) ([]Flow, error) {
	q = q.window(in.cfg.Now())
	if !q.Until.After(q.Since) {
		return nil, fmt.Errorf("flows: until %s is not after since %s", q.Until.Format(time.RFC3339), q.Since.Format(time.RFC3339))
	}
	meta, err := in.flowRows(ctx, 0)
	if err != nil {
		return nil, err
	}
	sums, err := in.windowSums(ctx, q.Since, q.Until, q.Last)
	if err != nil {
		return nil, err
	}
	seconds := q.Until.Sub(q.Since).Seconds()
	flows := make([]Flow, 0, len(sums))
	for id, agg := range sums {
		m, ok := meta[id]
		if !ok || !q.matches(m.key) {
			continue
		}
		flows = append(flows, toFlow(m, agg, seconds))
	}
	sortFlows(flows)
	return flows, nil
}

func (q FlowQuery) matches(k flowKey) bool {
	if q.Service != "" && k.Service != q.Service {
		return false
	}
	if q.Channel != "" && k.Channel.Key() != q.Channel && k.Channel.Destination != q.Channel {
		return false
	}
	return len(q.Keys) == 0 || slices.Contains(q.Keys, seriesKey(k.Role.String(), k.Service, k.Channel.Key(), k.Group))
}

func toFlow(m flowRow, agg *aggregate, seconds float64) Flow {
	f := Flow{
		Direction:     m.key.Role.String(),
		Service:       m.key.Service,
		Channel:       m.key.Channel,
		ChannelKey:    m.key.Channel.Key(),
		ConsumerGroup: m.key.Group,
		Messages:      agg.messages,
		Errors:        agg.errors,
		ProcessingMs:  percentiles(&agg.processing),
		Delays:        agg.delays,
		LastSeen:      time.Unix(0, agg.lastSeenNs).UTC(),
		SchemaID:      m.schemaID,
		SchemaVersion: m.schemaVersion,
	}
	if agg.messages > 0 {
		f.ErrorRate = float64(agg.errors) / float64(agg.messages)
	}
	if seconds > 0 {
		f.RatePerSecond = float64(agg.messages) / seconds
	}
	if agg.delays > 0 {
		p95 := ms(agg.delay.quantile(0.95))
		f.DelayP95Ms = &p95
	}
	return f
}

func sortFlows(flows []Flow) {
	less := func(a, b Flow) int {
		for _, c := range [][2]string{{a.ChannelKey, b.ChannelKey}, {b.Direction, a.Direction}, {a.Service, b.Service}, {a.ConsumerGroup, b.ConsumerGroup}} {
			if n := strings.Compare(c[0], c[1]); n != 0 {
				return n
			}
		}
		return 0
	}
	slices.SortFunc(flows, less)
}

// flowRows returns the flows last seen at or after seenSinceNs: from the live copy of the flow
// table when it is loaded, else from the table.
func (in *Ingester) flowRows(ctx context.Context, seenSinceNs int64) (map[int64]flowRow, error) {
	if rows, ok := in.w.live.flowRows(seenSinceNs); ok {
		return rows, nil
	}
	return readFlowRows(ctx, in.db.Read, seenSinceNs)
}

// querier is a database or a transaction: live windows load from a read transaction's snapshot.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readFlowRows reads the flow table: flows last seen at or after seenSinceNs.
func readFlowRows(ctx context.Context, db querier, seenSinceNs int64) (map[int64]flowRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT id, direction, service, system, cluster, destination, consumer_group,
		first_seen_ns, last_seen_ns, coalesce(schema_id, ''), coalesce(schema_version, '') FROM flow WHERE last_seen_ns >= ?`, seenSinceNs)
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
			&r.firstSeenNs, &r.lastSeenNs, &r.schemaID, &r.schemaVersion); err != nil {
			return nil, fmt.Errorf("read flows: %w", err)
		}
		k.Role = roleOf(dir)
		out[id] = r
	}
	return out, rows.Err()
}

// windowSums adds up each flow's aggregates over [since, until): from the live sums when the
// window is one of them, else from the aggregate tables.
func (in *Ingester) windowSums(ctx context.Context, since, until time.Time, last time.Duration) (map[int64]*aggregate, error) {
	if last > 0 {
		if sums, ok := in.w.live.sums(last, until); ok {
			return sums, nil
		}
	}
	m1 := floorDiv(since.Unix(), 60)
	m2 := floorDiv(until.Add(time.Minute-time.Nanosecond).Unix(), 60)
	return sumAggregates(ctx, in.db.Read, m1, m2)
}

// sumAggregates adds up each flow's aggregates over the minutes [m1, m2): the whole hours inside
// from flow_hour, the minutes at either end from flow_minute.
func sumAggregates(ctx context.Context, db querier, m1, m2 int64) (map[int64]*aggregate, error) {
	h1, h2 := (m1+59)/60, floorDiv(m2, 60) // whole hours [h1, h2)
	args := []any{m1, m2, 0, 0, 0, 0}
	if h1 < h2 {
		args = []any{m1, h1 * 60, h1, h2, h2 * 60, m2}
	}
	rows, err := db.QueryContext(ctx, sumAggregatesSQL, args...)
	if err != nil {
		return nil, fmt.Errorf("sum flow aggregates: %w", err)
	}
	defer rows.Close()
	out := map[int64]*aggregate{}
	for rows.Next() {
		var id int64
		a := &aggregate{}
		dst := []any{&id, &a.messages, &a.errors, &a.processingSumNs, &a.delays, &a.lastSeenNs}
		for i := range a.processing {
			dst = append(dst, &a.processing[i])
		}
		for i := range a.delay {
			dst = append(dst, &a.delay[i])
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("sum flow aggregates: %w", err)
		}
		out[id] = a
	}
	return out, rows.Err()
}

var sumAggregatesSQL = func() string {
	cols := append([]string{"flow_id", "messages", "errors", "processing_sum_ns", "delays", "last_seen_ns"}, histogramColumns()...)
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

// Counts are totals for the home page.
type Counts struct {
	Spans    int64 `json:"spans"`    // raw spans stored (within the span retention)
	Flows    int64 `json:"flows"`    // producer→channel and channel→consumer edges known
	Channels int64 `json:"channels"` // distinct channels among them
}

// Counts returns how many spans, flows and channels the store holds, without scanning spans.
func (in *Ingester) Counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := in.db.Read.QueryRowContext(ctx, `SELECT
		(SELECT coalesce(sum(spans), 0) FROM span_batch),
		(SELECT count(*) FROM flow),
		(SELECT count(*) FROM (SELECT DISTINCT system, cluster, destination FROM flow))`).Scan(&c.Spans, &c.Flows, &c.Channels)
	if err != nil {
		return c, fmt.Errorf("count spans and flows: %w", err)
	}
	return c, nil
}
