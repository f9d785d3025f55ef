package tracing

import (
	"context"
	"fmt"
	"time"
)

// FlowSeries is one flow's messages and errors over a window cut into equal buckets, for
// sparklines. It names its flow the way Flow does.
type FlowSeries struct {
	Direction     string
	Service       string
	ChannelKey    string
	ConsumerGroup string
	Messages      []int64
	Errors        []int64
}

// SeriesKey identifies the flow of a series; FlowKey of the same flow is equal to it.
func (s FlowSeries) SeriesKey() string {
	return seriesKey(s.Direction, s.Service, s.ChannelKey, s.ConsumerGroup)
}

// SeriesKey identifies the flow for Series' answer.
func (f Flow) SeriesKey() string {
	return seriesKey(f.Direction, f.Service, f.ChannelKey, f.ConsumerGroup)
}

// SeriesKey identifies the consumer's flow for Series' answer.
func (c ConsumerHealth) SeriesKey() string {
	return seriesKey(RoleConsumer.String(), c.Service, c.ChannelKey, c.ConsumerGroup)
}

func seriesKey(direction, service, channel, group string) string {
	return direction + "\x00" + service + "\x00" + channel + "\x00" + group
}

// Series returns per-bucket messages and errors of the flows the query selects, over its window
// cut into buckets: from the per-minute aggregates for windows up to a day, from the per-hour
// ones beyond. The answer is keyed by SeriesKey.
func (in *Ingester) Series(ctx context.Context, q FlowQuery, buckets int) (map[string]FlowSeries, error) {
	if !q.Until.After(q.Since) || buckets <= 0 {
		return nil, fmt.Errorf("series: empty window or no buckets")
	}
	meta, err := in.flowRows(ctx, q.Since.UnixNano())
	if err != nil {
		return nil, err
	}
	table, col, unit := "flow_minute", "minute", int64(60)
	if q.Until.Sub(q.Since) > 24*time.Hour {
		table, col, unit = "flow_hour", "hour", 3600
	}
	from := floorDiv(q.Since.Unix(), unit)
	to := floorDiv(q.Until.Unix()+unit-1, unit)
	span := max(to-from, 1)
	rows, err := in.db.Read.QueryContext(ctx, fmt.Sprintf(`SELECT flow_id, (%[2]s - ?) * ? / ?, sum(messages), sum(errors)
		FROM %[1]s WHERE %[2]s >= ? AND %[2]s < ? GROUP BY 1, 2`, table, col), from, buckets, span, from, to)
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	defer rows.Close()
	out := map[string]FlowSeries{}
	for rows.Next() {
		var id, b, messages, errs int64
		if err := rows.Scan(&id, &b, &messages, &errs); err != nil {
			return nil, fmt.Errorf("series: %w", err)
		}
		m, ok := meta[id]
		if !ok || !q.matches(m.key) || b < 0 || b >= int64(buckets) {
			continue
		}
		k := seriesKey(m.key.Role.String(), m.key.Service, m.key.Channel.Key(), m.key.Group)
		s, ok := out[k]
		if !ok {
			s = FlowSeries{Direction: m.key.Role.String(), Service: m.key.Service, ChannelKey: m.key.Channel.Key(),
				ConsumerGroup: m.key.Group, Messages: make([]int64, buckets), Errors: make([]int64, buckets)}
		}
		s.Messages[b] += messages
		s.Errors[b] += errs
		out[k] = s
	}
	return out, rows.Err()
}

// Names are the services and channels traces have shown, for lists and search.
type Names struct {
	Services []string
	Channels []Channel
}

// Names lists every service and channel in the flow table, sorted.
func (in *Ingester) Names(ctx context.Context) (Names, error) {
	var n Names
	rows, err := in.db.Read.QueryContext(ctx, `SELECT DISTINCT service FROM flow ORDER BY 1`)
	if err != nil {
		return n, fmt.Errorf("observed names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return n, fmt.Errorf("observed names: %w", err)
		}
		n.Services = append(n.Services, s)
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	rows2, err := in.db.Read.QueryContext(ctx, `SELECT DISTINCT system, cluster, destination FROM flow ORDER BY 3, 1, 2`)
	if err != nil {
		return n, fmt.Errorf("observed names: %w", err)
	}
	defer rows2.Close()
	for rows2.Next() {
		var c Channel
		if err := rows2.Scan(&c.System, &c.Cluster, &c.Destination); err != nil {
			return n, fmt.Errorf("observed names: %w", err)
		}
		n.Channels = append(n.Channels, c)
	}
	return n, rows2.Err()
}
