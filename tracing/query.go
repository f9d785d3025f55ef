package tracing

import (
	"context"
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
	// Estimated: spans kept by probability sampling reached the window, so the counts and
	// rates are estimates (each sampled span counts as the spans it stands for).
	Estimated bool `json:"estimated,omitempty"`
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
	lastSampledNs           int64
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
		flows = append(flows, toFlow(m, agg, q.Since, seconds))
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

// toFlow is a flow over the window that starts at since and lasts seconds.
func toFlow(m flowRow, agg *aggregate, since time.Time, seconds float64) Flow {
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
		Estimated:     m.lastSampledNs > 0 && m.lastSampledNs >= since.UnixNano(),
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
	return in.store.flowRows(ctx, seenSinceNs)
}

// windowSums adds up each flow's aggregates over [since, until): from the live sums when the
// window is one of them, else from the aggregate tables.
func (in *Ingester) windowSums(ctx context.Context, since, until time.Time, last time.Duration) (map[int64]*aggregate, error) {
	if last > 0 {
		if sums, ok := in.w.live.sums(last, until); ok {
			return sums, nil
		}
	}
	return sumAggregates(ctx, in.store, since, until)
}

// windowSums is Ingester.windowSums from the aggregate tables only.
func (r FlowReader) windowSums(ctx context.Context, since, until time.Time, _ time.Duration) (map[int64]*aggregate, error) {
	return sumAggregates(ctx, r.store, since, until)
}

// flowRows is Ingester.flowRows from the flow table only.
func (r FlowReader) flowRows(ctx context.Context, seenSinceNs int64) (map[int64]flowRow, error) {
	return r.store.flowRows(ctx, seenSinceNs)
}

// sumAggregates adds up each flow's per-minute aggregates over the minutes [since, until) touches.
func sumAggregates(ctx context.Context, st store, since, until time.Time) (map[int64]*aggregate, error) {
	m1 := floorDiv(since.Unix(), 60)
	m2 := floorDiv(until.Add(time.Minute-time.Nanosecond).Unix(), 60)
	return st.sumAggregates(ctx, m1, m2)
}

// Counts are totals for the home page.
type Counts struct {
	Spans    int64 `json:"spans"`    // raw spans stored (within the span retention)
	Flows    int64 `json:"flows"`    // producer→channel and channel→consumer edges known
	Channels int64 `json:"channels"` // distinct channels among them
}

// Counts returns how many spans, flows and channels the store holds, without scanning spans.
func (in *Ingester) Counts(ctx context.Context) (Counts, error) {
	c, err := in.store.counts(ctx)
	if err != nil {
		return c, fmt.Errorf("count spans and flows: %w", err)
	}
	return c, nil
}
