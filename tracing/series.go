package tracing

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
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
// cut into at most buckets buckets: from the per-minute aggregates for windows up to an hour,
// from the per-hour ones beyond (a 24-hour window has 25 hourly buckets). It seeks each selected
// flow's rows by primary key, so it costs what the selection holds, not what the store holds;
// narrow the query (Keys, Service, Channel) to the flows shown. The answer is keyed by SeriesKey.
func (in *Ingester) Series(ctx context.Context, q FlowQuery, buckets int) (map[string]FlowSeries, error) {
	q = q.window(in.cfg.Now())
	if !q.Until.After(q.Since) || buckets <= 0 {
		return nil, fmt.Errorf("series: empty window or no buckets")
	}
	meta, err := in.flowRows(ctx, q.Since.UnixNano())
	if err != nil {
		return nil, err
	}
	var ids []int64
	for id, m := range meta {
		if q.matches(m.key) {
			ids = append(ids, id)
		}
	}
	out := map[string]FlowSeries{}
	if len(ids) == 0 {
		return out, nil
	}
	hourly, unit := q.Until.Sub(q.Since) > time.Hour, int64(60)
	if hourly {
		unit = 3600
	}
	from := floorDiv(q.Since.Unix(), unit)
	to := floorDiv(q.Until.Unix()+unit-1, unit)
	buckets = int(min(int64(buckets), max(to-from, 1)))
	rows, err := in.store.series(ctx, seriesQuery{ids: ids, hourly: hourly, from: from, to: to, buckets: int64(buckets)})
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	for _, r := range rows {
		m := meta[r.flow]
		k := seriesKey(m.key.Role.String(), m.key.Service, m.key.Channel.Key(), m.key.Group)
		s, ok := out[k]
		if !ok {
			s = FlowSeries{Direction: m.key.Role.String(), Service: m.key.Service, ChannelKey: m.key.Channel.Key(),
				ConsumerGroup: m.key.Group, Messages: make([]int64, buckets), Errors: make([]int64, buckets)}
		}
		s.Messages[r.bucket] += r.messages
		s.Errors[r.bucket] += r.errors
		out[k] = s
	}
	return out, nil
}

// Names are the services and channels traces have shown, for lists and search.
type Names struct {
	Services []string
	Channels []Channel
}

// Names lists every service and channel in the flow table, sorted.
func (in *Ingester) Names(ctx context.Context) (Names, error) {
	flows, err := in.flowRows(ctx, 0)
	if err != nil {
		return Names{}, fmt.Errorf("observed names: %w", err)
	}
	services, channels := map[string]bool{}, map[Channel]bool{}
	for _, f := range flows {
		services[f.key.Service] = true
		channels[f.key.Channel] = true
	}
	n := Names{Services: slices.Sorted(maps.Keys(services)), Channels: slices.Collect(maps.Keys(channels))}
	slices.SortFunc(n.Channels, func(a, b Channel) int {
		return cmp.Or(strings.Compare(a.Destination, b.Destination), strings.Compare(a.System, b.System), strings.Compare(a.Cluster, b.Cluster))
	})
	return n, nil
}
