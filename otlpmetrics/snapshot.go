package otlpmetrics

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Snapshot is what the stored series say, as consumer health and pages read it. Where several
// series stand for one thing, levels (lag, offsets, depth) take the newest point and counts add
// up: two Collectors scraping one broker report one lag, two instances of a service send twice
// as many messages. Its slices are shared between callers and must not be modified.
type Snapshot struct {
	At       time.Time
	Series   int             // series read (not expired)
	Kafka    []KafkaGroupLag // by cluster, group, topic
	Topics   []KafkaTopic    // by cluster, topic
	RabbitMQ []RabbitQueue   // by node, vhost, queue
	Flows    []ClientFlow    // by direction, service, channel, group
	Sources  []Source        // by name
}

// Source is one source of series, as the series cap counts them: "kafka/<cluster>" (the
// kafkametrics receiver's kafka.cluster.alias), "rabbitmq/<node>" or "service/<name>".
type Source struct {
	Name     string
	Series   int
	LastSeen time.Time // when a replica last stored one of its points
}

// KafkaGroupLag is one consumer group's lag on one topic, from the kafkametrics receiver. The
// consumer it stands for is the group: no service is named.
type KafkaGroupLag struct {
	Channel Channel // kafka, the receiver's kafka.cluster.alias ("" without one), the topic
	Group   string
	Lag     int64 // messages: kafka.consumer_group.lag_sum, else the partitions' lags added up
	Members int64 // kafka.consumer_group.members; -1 when not reported
	// CommitRate is how fast the group's committed offsets moved, in messages per second, over
	// the last two points of its offsets (offset_sum, else the partitions'); HasCommitRate
	// says whether there were two recent ones.
	CommitRate    float64
	HasCommitRate bool
	// TimeLag estimates how far behind the group is in time: its lag over the rate the topic's
	// end offsets grow (the receiver gives no time lag; the Kafka poller's is measured).
	// HasTimeLag is false while that rate is unknown or zero.
	TimeLag    time.Duration
	HasTimeLag bool
	At         time.Time // the newest of the points above
	Partitions []KafkaPartitionLag
}

// KafkaPartitionLag is one partition of a group's topic; -1 marks what was not reported.
type KafkaPartitionLag struct {
	Partition int32
	Lag       int64 // kafka.consumer_group.lag
	Offset    int64 // kafka.consumer_group.offset: the group's committed offset
	EndOffset int64 // kafka.partition.current_offset
	At        time.Time
}

// KafkaTopic is a topic's partitions' offsets, from the kafkametrics receiver.
type KafkaTopic struct {
	Channel Channel
	// EndRate is how fast messages were appended, in messages per second, over the last two
	// points of the partitions' end offsets; HasEndRate says whether there were recent ones.
	EndRate    float64
	HasEndRate bool
	Retained   int64 // messages between the oldest and end offsets, over the partitions reported
	At         time.Time
	Partitions []KafkaPartition
}

// KafkaPartition is one partition's offsets; -1 marks what was not reported.
type KafkaPartition struct {
	Partition    int32
	EndOffset    int64 // kafka.partition.current_offset
	OldestOffset int64 // kafka.partition.oldest_offset
	At           time.Time
}

// RabbitQueue is one queue, from the rabbitmq receiver; -1 marks what was not reported. The
// receiver names no exchange: the queue is the consumer's group of the flows spans show, and
// the broker's bindings join it to its exchange (see the rabbitmq package).
type RabbitQueue struct {
	Node, VHost, Queue string
	Ready              int64 // rabbitmq.message.current{state=ready}
	Unacknowledged     int64 // rabbitmq.message.current{state=unacknowledged}
	Consumers          int64 // rabbitmq.consumer.count
	Published          Count // rabbitmq.message.published
	Delivered          Count // rabbitmq.message.delivered
	Acknowledged       Count // rabbitmq.message.acknowledged
	Dropped            Count // rabbitmq.message.dropped (unroutable)
	At                 time.Time
}

// FlowKey names a flow as tracing's flows do: a service producing to a channel, or consuming
// from it in a group.
type FlowKey struct {
	Direction string // Produce or Consume
	Service   string
	Channel   Channel
	Group     string // consumers only
}

// ClientFlow is one flow as the messaging client metrics count it. Spans win where both show a
// flow (see docs/ingest.md, "OTLP metrics"): these only fill flows no span shows, which
// Snapshot.FlowsWithoutSpans picks.
type ClientFlow struct {
	FlowKey
	Messages  Count     // messaging.client.sent.messages or .consumed.messages, every outcome
	Failed    Count     // of those, the ones counted with an error.type
	Process   Durations // messaging.process.duration (consumers)
	Operation Durations // messaging.client.operation.duration: the send or receive calls
	At        time.Time // the newest point of the flow
}

// Count is a counted metric, added up over the series that stand for one thing.
type Count struct {
	// Total is the series' counts added up, each since its start (cumulative series) or over
	// its last interval (delta series).
	Total float64
	// PerSecond is the series' rates over their last interval added up, for the series with a
	// point newer than Config.StaleAfter; HasRate says whether any had one.
	PerSecond float64
	HasRate   bool
}

func (c *Count) add(o Count) {
	c.Total += o.Total
	c.PerSecond += o.PerSecond
	c.HasRate = c.HasRate || o.HasRate
}

// Durations are a duration histogram's figures, in seconds. The quantiles are read from the
// last interval of each series (between its last two cumulative points, or its last delta
// point; since its start when there is only one), over the series that share the most common
// bucket bounds; zero when no series has buckets.
type Durations struct {
	Count         Count // operations measured
	Failed        Count // of those, with an error.type
	Mean          float64
	P50, P95, P99 float64
}

// FlowsWithoutSpans returns the client flows for which hasSpans is false: where spans show a
// flow they win, and its metrics are not added to it.
func (s Snapshot) FlowsWithoutSpans(hasSpans func(FlowKey) bool) []ClientFlow {
	var out []ClientFlow
	for _, f := range s.Flows {
		if !hasSpans(f.FlowKey) {
			out = append(out, f)
		}
	}
	return out
}

// Snapshot returns what the stored series say now, reading the table at most once per
// Config.CacheFor.
func (s *Store) Snapshot(ctx context.Context) (Snapshot, error) {
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	now := s.cfg.Now()
	if s.hasSnap && now.Sub(s.snapAt) < s.cfg.CacheFor {
		return s.snap, nil
	}
	series, err := s.table.read(ctx, now.Add(-s.cfg.Expiry).UnixNano())
	if err != nil {
		return Snapshot{}, err
	}
	s.snap, s.snapAt, s.hasSnap = buildSnapshot(series, now, s.cfg.StaleAfter), now, true
	return s.snap, nil
}

// buildSnapshot reads series into a snapshot at now.
func buildSnapshot(series []Series, now time.Time, staleAfter time.Duration) Snapshot {
	b := builder{now: now.UnixNano(), stale: staleAfter.Nanoseconds(),
		groups: map[groupKey]*kafkaGroup{}, members: map[groupKey]*Series{}, topics: map[topicKey]*kafkaTopic{},
		queues: map[queueKey]*rabbitQueue{}, flows: map[FlowKey]*clientFlow{}}
	sources := map[string]*Source{}
	for i := range series {
		s := &series[i]
		b.add(s)
		src, ok := sources[s.Source]
		if !ok {
			src = &Source{Name: s.Source}
			sources[s.Source] = src
		}
		src.Series++
		src.LastSeen = later(src.LastSeen, s.Seen)
	}
	snap := Snapshot{At: now, Series: len(series), Kafka: b.kafka(), Topics: b.kafkaTopics(), RabbitMQ: b.rabbit(), Flows: b.clientFlows()}
	for _, src := range sources {
		snap.Sources = append(snap.Sources, *src)
	}
	slices.SortFunc(snap.Sources, func(a, b Source) int { return cmp.Compare(a.Name, b.Name) })
	return snap
}

type groupKey struct {
	cluster, group, topic string
}

type topicKey struct {
	cluster, topic string
}

type queueKey struct {
	node, vhost, queue string
}

type kafkaGroup struct {
	lagSum, offsetSum   *Series
	lags, offsets       map[int32]*Series
	hasLags, hasOffsets bool
}

type kafkaTopic struct {
	ends, oldest map[int32]*Series
}

type rabbitQueue struct {
	gauges map[string]*Series // by metric, and state for the message counts
	counts map[string]*Count
	at     int64
}

type clientFlow struct {
	messages, failed   Count
	process, operation durationSeries
	at                 int64
}

type durationSeries struct {
	count, failed Count
	sum, values   float64 // the intervals' sums of durations, and how many durations they add
	buckets       map[string]*Histogram
}

type builder struct {
	now, stale int64
	groups     map[groupKey]*kafkaGroup
	members    map[groupKey]*Series // topic ""
	topics     map[topicKey]*kafkaTopic
	queues     map[queueKey]*rabbitQueue
	flows      map[FlowKey]*clientFlow
}

// newest keeps, of two series standing for one level, the one with the newer point.
func newest(kept **Series, s *Series) {
	if *kept == nil || s.Point.Time > (*kept).Point.Time {
		*kept = s
	}
}

func newestIn(m map[int32]*Series, s *Series) {
	kept := m[s.Labels.Partition]
	newest(&kept, s)
	m[s.Labels.Partition] = kept
}

func (b *builder) group(s *Series) *kafkaGroup {
	k := groupKey{s.Labels.Channel.Cluster, s.Labels.Group, s.Labels.Channel.Destination}
	g, ok := b.groups[k]
	if !ok {
		g = &kafkaGroup{lags: map[int32]*Series{}, offsets: map[int32]*Series{}}
		b.groups[k] = g
	}
	return g
}

func (b *builder) topic(s *Series) *kafkaTopic {
	k := topicKey{s.Labels.Channel.Cluster, s.Labels.Channel.Destination}
	t, ok := b.topics[k]
	if !ok {
		t = &kafkaTopic{ends: map[int32]*Series{}, oldest: map[int32]*Series{}}
		b.topics[k] = t
	}
	return t
}

func (b *builder) add(s *Series) {
	l := &s.Labels
	switch s.Metric {
	case MetricKafkaLag:
		newestIn(b.group(s).lags, s)
	case MetricKafkaLagSum:
		newest(&b.group(s).lagSum, s)
	case MetricKafkaOffset:
		newestIn(b.group(s).offsets, s)
	case MetricKafkaOffsetSum:
		newest(&b.group(s).offsetSum, s)
	case MetricKafkaMembers:
		k := groupKey{cluster: l.Channel.Cluster, group: l.Group}
		kept := b.members[k]
		newest(&kept, s)
		b.members[k] = kept
	case MetricKafkaEndOffset:
		newestIn(b.topic(s).ends, s)
	case MetricKafkaOldestOffset:
		newestIn(b.topic(s).oldest, s)
	case MetricRabbitMessages, MetricRabbitConsumers, MetricRabbitPublished, MetricRabbitDelivered, MetricRabbitAcknowledged, MetricRabbitDropped:
		b.addRabbit(s)
	case MetricSent, MetricConsumed, MetricProcessDuration, MetricOperationDuration:
		b.addClient(s)
	}
}

func (b *builder) addRabbit(s *Series) {
	k := queueKey{s.Labels.Node, s.Labels.VHost, s.Labels.Queue}
	q, ok := b.queues[k]
	if !ok {
		q = &rabbitQueue{gauges: map[string]*Series{}, counts: map[string]*Count{}}
		b.queues[k] = q
	}
	q.at = max(q.at, s.Point.Time)
	switch s.Metric {
	case MetricRabbitMessages, MetricRabbitConsumers:
		name := s.Metric + "/" + s.Labels.State
		kept := q.gauges[name]
		newest(&kept, s)
		q.gauges[name] = kept
	default:
		c, ok := q.counts[s.Metric]
		if !ok {
			c = &Count{}
			q.counts[s.Metric] = c
		}
		c.add(b.count(s, pointValue))
	}
}

func (b *builder) addClient(s *Series) {
	l := &s.Labels
	k := FlowKey{Direction: l.Direction, Service: l.Service, Channel: l.Channel, Group: l.Group}
	f, ok := b.flows[k]
	if !ok {
		f = &clientFlow{}
		b.flows[k] = f
	}
	f.at = max(f.at, s.Point.Time)
	failed := l.ErrorType != ""
	switch s.Metric {
	case MetricSent, MetricConsumed:
		c := b.count(s, pointValue)
		f.messages.add(c)
		if failed {
			f.failed.add(c)
		}
	case MetricProcessDuration:
		b.addDurations(&f.process, s, failed)
	case MetricOperationDuration:
		b.addDurations(&f.operation, s, failed)
	}
}

func (b *builder) addDurations(d *durationSeries, s *Series, failed bool) {
	c := b.count(s, histogramCount)
	d.count.add(c)
	if failed {
		d.failed.add(c)
	}
	h := interval(s)
	if h == nil || h.Count == 0 {
		return
	}
	d.sum += h.Sum
	d.values += float64(h.Count)
	if len(h.Bounds) == 0 {
		return
	}
	if d.buckets == nil {
		d.buckets = map[string]*Histogram{}
	}
	key := boundsKey(h.Bounds)
	merged, ok := d.buckets[key]
	if !ok {
		d.buckets[key] = &Histogram{Count: h.Count, Sum: h.Sum, Bounds: h.Bounds, Counts: slices.Clone(h.Counts)}
		return
	}
	merged.Count += h.Count
	merged.Sum += h.Sum
	for i, c := range h.Counts {
		merged.Counts[i] += c
	}
}

func pointValue(p Point) float64 { return p.Value }

func histogramCount(p Point) float64 {
	if p.Histogram == nil {
		return 0
	}
	return float64(p.Histogram.Count)
}

// count reads a counted series: its total and, when its last point is recent, its rate.
func (b *builder) count(s *Series, value func(Point) float64) Count {
	c := Count{Total: value(s.Point)}
	if b.now-s.Point.Time > b.stale {
		return c
	}
	p, prev := s.Point, s.Prev
	switch {
	case s.Temporality == Delta && p.Start > 0 && p.Time > p.Start:
		c.PerSecond, c.HasRate = c.Total/seconds(p.Time-p.Start), true
	case s.Temporality == Delta && prev.Time > 0 && p.Time > prev.Time:
		c.PerSecond, c.HasRate = c.Total/seconds(p.Time-prev.Time), true
	case s.Temporality == Delta:
	case prev.Time > 0 && prev.Start == p.Start && value(p) >= value(prev) && p.Time > prev.Time:
		c.PerSecond, c.HasRate = (value(p)-value(prev))/seconds(p.Time-prev.Time), true
	case p.Start > 0 && p.Time > p.Start:
		// One point since the series (re)started: its average so far.
		c.PerSecond, c.HasRate = c.Total/seconds(p.Time-p.Start), true
	}
	return c
}

// levelRate is how fast a level that only grows (an offset) moved between its last two points.
func (b *builder) levelRate(s *Series) (float64, bool) {
	p, prev := s.Point, s.Prev
	if b.now-p.Time > b.stale || prev.Time == 0 || p.Time <= prev.Time || p.Value < prev.Value {
		return 0, false
	}
	return (p.Value - prev.Value) / seconds(p.Time-prev.Time), true
}

func seconds(ns int64) float64 { return float64(ns) / 1e9 }

// interval is a histogram series' last interval: the difference of its last two cumulative
// points when they share a start and bounds (and counts only grew), else its last point.
func interval(s *Series) *Histogram {
	p, prev := s.Point.Histogram, s.Prev.Histogram
	if p == nil {
		return nil
	}
	last := &Histogram{Count: p.Count, Sum: p.Sum, Bounds: p.Bounds, Counts: p.Counts}
	if s.Temporality != Cumulative || prev == nil || s.Prev.Start != s.Point.Start || !slices.Equal(p.Bounds, prev.Bounds) || prev.Count > p.Count {
		return last
	}
	diff := &Histogram{Count: p.Count - prev.Count, Sum: p.Sum - prev.Sum, Bounds: p.Bounds, Counts: make([]uint64, len(p.Counts))}
	for i, c := range prev.Counts {
		if c > p.Counts[i] {
			return last
		}
		diff.Counts[i] = p.Counts[i] - c
	}
	return diff
}

func boundsKey(bounds []float64) string {
	var b strings.Builder
	for _, f := range bounds {
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		b.WriteByte(',')
	}
	return b.String()
}

// quantile estimates the q-th quantile by linear interpolation inside the bucket that holds it;
// values above the last bound are reported as that bound.
func quantile(h *Histogram, q float64) float64 {
	if h == nil || h.Count == 0 {
		return 0
	}
	rank := q * float64(h.Count)
	var cum float64
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		if cum+float64(c) < rank {
			cum += float64(c)
			continue
		}
		if i == len(h.Bounds) {
			return h.Bounds[i-1]
		}
		lower := 0.0
		if i > 0 {
			lower = h.Bounds[i-1]
		}
		upper := h.Bounds[i]
		if lower > upper { // a first bound below zero
			lower = upper
		}
		return lower + (upper-lower)*(rank-cum)/float64(c)
	}
	return h.Bounds[len(h.Bounds)-1]
}

func (d *durationSeries) figures() Durations {
	out := Durations{Count: d.count, Failed: d.failed}
	if d.values > 0 {
		out.Mean = d.sum / d.values
	}
	var best *Histogram
	for _, h := range d.buckets {
		if best == nil || h.Count > best.Count {
			best = h
		}
	}
	if best != nil {
		out.P50, out.P95, out.P99 = quantile(best, 0.50), quantile(best, 0.95), quantile(best, 0.99)
	}
	return out
}

func (b *builder) kafka() []KafkaGroupLag {
	out := make([]KafkaGroupLag, 0, len(b.groups))
	for k, g := range b.groups {
		e := KafkaGroupLag{Channel: Channel{System: "kafka", Cluster: k.cluster, Destination: k.topic}, Group: k.group, Members: -1}
		at := int64(0)
		see := func(s *Series) {
			if s != nil {
				at = max(at, s.Point.Time)
			}
		}
		if m := b.members[groupKey{cluster: k.cluster, group: k.group}]; m != nil {
			e.Members = int64(m.Point.Value)
			see(m)
		}
		parts := map[int32]*KafkaPartitionLag{}
		part := func(p int32) *KafkaPartitionLag {
			if pl, ok := parts[p]; ok {
				return pl
			}
			pl := &KafkaPartitionLag{Partition: p, Lag: -1, Offset: -1, EndOffset: -1}
			parts[p] = pl
			return pl
		}
		var lagSum int64
		for p, s := range g.lags {
			pl := part(p)
			pl.Lag, pl.At = int64(s.Point.Value), later(pl.At, s.Point.Time)
			lagSum += pl.Lag
			see(s)
		}
		for p, s := range g.offsets {
			pl := part(p)
			pl.Offset, pl.At = int64(s.Point.Value), later(pl.At, s.Point.Time)
			see(s)
		}
		var endRate float64
		if t := b.topics[topicKey{k.cluster, k.topic}]; t != nil {
			for p, pl := range parts {
				if s := t.ends[p]; s != nil {
					pl.EndOffset = int64(s.Point.Value)
				}
			}
			for _, s := range t.ends {
				if r, ok := b.levelRate(s); ok {
					endRate += r
				}
			}
		}
		e.Lag = lagSum
		if g.lagSum != nil {
			e.Lag = int64(g.lagSum.Point.Value)
			see(g.lagSum)
		}
		if g.offsetSum != nil {
			e.CommitRate, e.HasCommitRate = b.levelRate(g.offsetSum)
			see(g.offsetSum)
		} else {
			for _, s := range g.offsets {
				if r, ok := b.levelRate(s); ok {
					e.CommitRate += r
					e.HasCommitRate = true
				}
			}
		}
		if endRate > 0 {
			e.TimeLag, e.HasTimeLag = time.Duration(float64(e.Lag)/endRate*float64(time.Second)), true
		}
		e.At = time.Unix(0, at).UTC()
		for _, pl := range parts {
			e.Partitions = append(e.Partitions, *pl)
		}
		slices.SortFunc(e.Partitions, func(a, b KafkaPartitionLag) int { return cmp.Compare(a.Partition, b.Partition) })
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b KafkaGroupLag) int {
		return cmp.Or(cmp.Compare(a.Channel.Cluster, b.Channel.Cluster), cmp.Compare(a.Group, b.Group), cmp.Compare(a.Channel.Destination, b.Channel.Destination))
	})
	return out
}

// later is t, or the time of ns when that is later.
func later(t time.Time, ns int64) time.Time {
	if u := time.Unix(0, ns).UTC(); u.After(t) {
		return u
	}
	return t
}

func (b *builder) kafkaTopics() []KafkaTopic {
	out := make([]KafkaTopic, 0, len(b.topics))
	for k, t := range b.topics {
		e := KafkaTopic{Channel: Channel{System: "kafka", Cluster: k.cluster, Destination: k.topic}}
		parts := map[int32]*KafkaPartition{}
		part := func(p int32) *KafkaPartition {
			if kp, ok := parts[p]; ok {
				return kp
			}
			kp := &KafkaPartition{Partition: p, EndOffset: -1, OldestOffset: -1}
			parts[p] = kp
			return kp
		}
		for p, s := range t.ends {
			kp := part(p)
			kp.EndOffset, kp.At = int64(s.Point.Value), later(kp.At, s.Point.Time)
			if r, ok := b.levelRate(s); ok {
				e.EndRate += r
				e.HasEndRate = true
			}
		}
		for p, s := range t.oldest {
			kp := part(p)
			kp.OldestOffset, kp.At = int64(s.Point.Value), later(kp.At, s.Point.Time)
		}
		for _, kp := range parts {
			if kp.EndOffset >= 0 && kp.OldestOffset >= 0 && kp.EndOffset >= kp.OldestOffset {
				e.Retained += kp.EndOffset - kp.OldestOffset
			}
			if kp.At.After(e.At) {
				e.At = kp.At
			}
			e.Partitions = append(e.Partitions, *kp)
		}
		slices.SortFunc(e.Partitions, func(a, b KafkaPartition) int { return cmp.Compare(a.Partition, b.Partition) })
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b KafkaTopic) int {
		return cmp.Or(cmp.Compare(a.Channel.Cluster, b.Channel.Cluster), cmp.Compare(a.Channel.Destination, b.Channel.Destination))
	})
	return out
}

func (b *builder) rabbit() []RabbitQueue {
	out := make([]RabbitQueue, 0, len(b.queues))
	for k, q := range b.queues {
		e := RabbitQueue{Node: k.node, VHost: k.vhost, Queue: k.queue, At: time.Unix(0, q.at).UTC()}
		gauge := func(name string) int64 {
			if s := q.gauges[name]; s != nil {
				return int64(s.Point.Value)
			}
			return -1
		}
		e.Ready = gauge(MetricRabbitMessages + "/ready")
		e.Unacknowledged = gauge(MetricRabbitMessages + "/unacknowledged")
		e.Consumers = gauge(MetricRabbitConsumers + "/")
		count := func(name string) Count {
			if c := q.counts[name]; c != nil {
				return *c
			}
			return Count{}
		}
		e.Published, e.Delivered = count(MetricRabbitPublished), count(MetricRabbitDelivered)
		e.Acknowledged, e.Dropped = count(MetricRabbitAcknowledged), count(MetricRabbitDropped)
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b RabbitQueue) int {
		return cmp.Or(cmp.Compare(a.Node, b.Node), cmp.Compare(a.VHost, b.VHost), cmp.Compare(a.Queue, b.Queue))
	})
	return out
}

func (b *builder) clientFlows() []ClientFlow {
	out := make([]ClientFlow, 0, len(b.flows))
	for k, f := range b.flows {
		out = append(out, ClientFlow{FlowKey: k, Messages: f.messages, Failed: f.failed,
			Process: f.process.figures(), Operation: f.operation.figures(), At: time.Unix(0, f.at).UTC()})
	}
	slices.SortFunc(out, func(a, b ClientFlow) int {
		return cmp.Or(cmp.Compare(a.Direction, b.Direction), cmp.Compare(a.Service, b.Service),
			cmp.Compare(a.Channel.Key(), b.Channel.Key()), cmp.Compare(a.Group, b.Group))
	})
	return out
}
