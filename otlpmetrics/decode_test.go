package otlpmetrics

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/eventlens/eventlens/otlpmetrics/otlpmetricstest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func shopScrape(at time.Time, committed ...int64) otlpmetricstest.KafkaScrape {
	return otlpmetricstest.KafkaScrape{
		At: at, Start: t0.Add(-time.Hour), ClusterAlias: "shop", Brokers: 3,
		Topics: []otlpmetricstest.KafkaTopic{{Name: "orders", Oldest: []int64{0, 0, 10}, End: []int64{100, 200, 300}}},
		Groups: []otlpmetricstest.KafkaGroup{
			{Name: "billing", Members: 2, Topic: "orders", Committed: committed},
			{Name: "stock", Members: 1, Topic: "orders", Committed: []int64{100, 200, 300}},
		},
	}
}

func decode(t *testing.T, md pmetric.Metrics) Decoded {
	t.Helper()
	d, err := FromMetrics(md, DecodeLimits{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func find(d Decoded, metric string, match func(Labels) bool) *Series {
	for i := range d.Series {
		if d.Series[i].Metric == metric && match(d.Series[i].Labels) {
			return &d.Series[i]
		}
	}
	return nil
}

func TestFromMetricsKafka(t *testing.T) {
	d := decode(t, shopScrape(t0, 90, 150, 300).Metrics())
	// Read: 3 end and 3 oldest offsets, 2 member counts, 6 offsets and lags, 2 of each sum.
	// Not read: the broker count, the partition count, 3 replica and 3 in-sync counts.
	if len(d.Series) != 24 || d.Ignored != 8 || d.Rejected != 0 || d.Points != 32 {
		t.Fatalf("series %d, ignored %d, rejected %d (%v), points %d", len(d.Series), d.Ignored, d.Rejected, d.Reasons, d.Points)
	}
	lag := find(d, MetricKafkaLag, func(l Labels) bool { return l.Group == "billing" && l.Partition == 1 })
	if lag == nil {
		t.Fatal("no lag of billing on partition 1")
	}
	want := Labels{Channel: Channel{System: "kafka", Cluster: "shop", Destination: "orders"}, Group: "billing", Partition: 1}
	if lag.Labels != want || lag.Point.Value != 50 || lag.Temporality != Gauge || lag.Source != "kafka/shop" || lag.Point.Time != t0.UnixNano() {
		t.Fatalf("lag: %+v", lag)
	}
	members := find(d, MetricKafkaMembers, func(l Labels) bool { return l.Group == "stock" })
	if members == nil || members.Point.Value != 1 || members.Labels.Partition != -1 || members.Labels.Channel.Destination != "" {
		t.Fatalf("members: %+v", members)
	}
}

func TestFromMetricsRabbitMQ(t *testing.T) {
	scrape := otlpmetricstest.RabbitScrape{At: t0, Start: t0.Add(-time.Hour), Node: "rabbit@mq-1", VHost: "/",
		Queues: []otlpmetricstest.RabbitQueue{{Name: "billing", Ready: 7, Unacknowledged: 2, Consumers: 3, Published: 100, Delivered: 90, Acknowledged: 88, Dropped: 1}}}
	d := decode(t, scrape.Metrics())
	if len(d.Series) != 7 || d.Ignored != 0 || d.Rejected != 0 {
		t.Fatalf("series %d, ignored %d, rejected %d (%v)", len(d.Series), d.Ignored, d.Rejected, d.Reasons)
	}
	ready := find(d, MetricRabbitMessages, func(l Labels) bool { return l.State == "ready" })
	want := Labels{Queue: "billing", VHost: "/", Node: "rabbit@mq-1", State: "ready", Partition: -1}
	if ready == nil || ready.Labels != want || ready.Point.Value != 7 || ready.Temporality != Gauge || ready.Source != "rabbitmq/rabbit@mq-1" {
		t.Fatalf("ready: %+v", ready)
	}
	acked := find(d, MetricRabbitAcknowledged, func(Labels) bool { return true })
	if acked == nil || acked.Temporality != Cumulative || acked.Point.Value != 88 || acked.Point.Start != t0.Add(-time.Hour).UnixNano() {
		t.Fatalf("acknowledged: %+v", acked)
	}
}

// clientMetric is one export of one client metric point from service, with attributes attrs.
func clientMetric(service, name, unit string, attrs map[string]any, fill func(m pmetric.Metric)) pmetric.Metrics {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", service)
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	fill(m)
	var a pcommon.Map
	switch m.Type() {
	case pmetric.MetricTypeSum:
		a = m.Sum().DataPoints().At(0).Attributes()
	case pmetric.MetricTypeGauge:
		a = m.Gauge().DataPoints().At(0).Attributes()
	case pmetric.MetricTypeHistogram:
		a = m.Histogram().DataPoints().At(0).Attributes()
	case pmetric.MetricTypeExponentialHistogram:
		a = m.ExponentialHistogram().DataPoints().At(0).Attributes()
	case pmetric.MetricTypeSummary:
		a = m.Summary().DataPoints().At(0).Attributes()
	}
	if err := a.FromRaw(attrs); err != nil {
		panic(err)
	}
	return md
}

// counterPoint fills a cumulative monotonic sum with one point of value v at t0.
func counterPoint(v int64) func(pmetric.Metric) {
	return func(m pmetric.Metric) {
		s := m.SetEmptySum()
		s.SetIsMonotonic(true)
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := s.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(-time.Minute)))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(t0))
		dp.SetIntValue(v)
	}
}

// histogramPoints fills a cumulative histogram with one point at t0.
func histogramOf(bounds []float64, counts []uint64, sum float64) func(pmetric.Metric) {
	return func(m pmetric.Metric) {
		h := m.SetEmptyHistogram()
		h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := h.DataPoints().AppendEmpty()
		dp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(-time.Minute)))
		dp.SetTimestamp(pcommon.NewTimestampFromTime(t0))
		dp.ExplicitBounds().FromRaw(bounds)
		dp.BucketCounts().FromRaw(counts)
		var n uint64
		for _, c := range counts {
			n += c
		}
		dp.SetCount(n)
		dp.SetSum(sum)
	}
}

func TestFromMetricsClient(t *testing.T) {
	kafka := func(more map[string]any) map[string]any {
		a := map[string]any{"messaging.system": "kafka", "messaging.destination.name": "orders", "server.address": "broker-1"}
		for k, v := range more {
			a[k] = v
		}
		return a
	}
	orders := Channel{System: "kafka", Cluster: "broker-1", Destination: "orders"}
	cases := []struct {
		name   string
		md     pmetric.Metrics
		metric string
		want   Labels
	}{
		{"sent", clientMetric("orders", "messaging.client.sent.messages", "{message}", kafka(map[string]any{"messaging.operation.name": "send"}), counterPoint(5)),
			MetricSent, Labels{Channel: orders, Service: "orders", Direction: Produce, Operation: "send", Partition: -1}},
		{"older name for sent", clientMetric("orders", "messaging.publish.messages", "{message}", kafka(nil), counterPoint(5)),
			MetricSent, Labels{Channel: orders, Service: "orders", Direction: Produce, Partition: -1}},
		{"consumed with a group", clientMetric("billing", "messaging.client.consumed.messages", "{message}",
			kafka(map[string]any{"messaging.consumer.group.name": "billing", "messaging.destination.partition.id": "2"}), counterPoint(5)),
			MetricConsumed, Labels{Channel: orders, Service: "billing", Direction: Consume, Group: "billing", Partition: -1}},
		{"consumed, failed", clientMetric("billing", "messaging.client.consumed.messages", "{message}",
			kafka(map[string]any{"messaging.consumer.group.name": "billing", "error.type": "timeout"}), counterPoint(1)),
			MetricConsumed, Labels{Channel: orders, Service: "billing", Direction: Consume, Group: "billing", ErrorType: "timeout", Partition: -1}},
		{"template wins over the name", clientMetric("billing", "messaging.process.duration", "s",
			kafka(map[string]any{"messaging.destination.template": "orders.{region}", "messaging.destination.name": "orders.eu"}), histogramOf([]float64{0.1, 1}, []uint64{1, 2, 0}, 1.5)),
			MetricProcessDuration, Labels{Channel: Channel{System: "kafka", Cluster: "broker-1", Destination: "orders.{region}"}, Service: "billing", Direction: Consume, Partition: -1}},
		{"operation duration of a send", clientMetric("orders", "messaging.client.operation.duration", "s",
			kafka(map[string]any{"messaging.operation.type": "send", "messaging.operation.name": "send"}), histogramOf([]float64{0.1}, []uint64{1, 0}, 0.05)),
			MetricOperationDuration, Labels{Channel: orders, Service: "orders", Direction: Produce, Operation: "send", Partition: -1}},
		{"operation duration of a poll", clientMetric("billing", "messaging.client.operation.duration", "s",
			kafka(map[string]any{"messaging.operation.type": "receive", "messaging.operation.name": "poll", "messaging.consumer.group.name": "billing"}), histogramOf([]float64{0.1}, []uint64{1, 0}, 0.05)),
			MetricOperationDuration, Labels{Channel: orders, Service: "billing", Direction: Consume, Operation: "poll", Group: "billing", Partition: -1}},
		{"older receive duration", clientMetric("billing", "messaging.receive.duration", "s", kafka(nil), histogramOf([]float64{0.1}, []uint64{1, 0}, 0.05)),
			MetricOperationDuration, Labels{Channel: orders, Service: "billing", Direction: Consume, Partition: -1}},
		{"RabbitMQ: exchange and routing key, the queue the group", clientMetric("billing", "messaging.process.duration", "s",
			map[string]any{"messaging.system": "rabbitmq", "messaging.destination.name": "shop:order.created:billing", "messaging.rabbitmq.destination.routing_key": "order.created"},
			histogramOf([]float64{0.1}, []uint64{1, 0}, 0.05)),
			MetricProcessDuration, Labels{Channel: Channel{System: "rabbitmq", Destination: "shop"}, Service: "billing", Direction: Consume, Group: "billing", Partition: -1}},
		{"milliseconds", clientMetric("billing", "messaging.process.duration", "ms", kafka(nil), histogramOf([]float64{100, 1000}, []uint64{1, 2, 0}, 1500)),
			MetricProcessDuration, Labels{Channel: orders, Service: "billing", Direction: Consume, Partition: -1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decode(t, c.md)
			if len(d.Series) != 1 || d.Rejected != 0 || d.Ignored != 0 {
				t.Fatalf("series %d, ignored %d, rejected %d (%v)", len(d.Series), d.Ignored, d.Rejected, d.Reasons)
			}
			s := d.Series[0]
			if s.Metric != c.metric || s.Labels != c.want || s.Source != "service/"+c.want.Service {
				t.Fatalf("got %s %+v (source %s)\nwant %s %+v", s.Metric, s.Labels, s.Source, c.metric, c.want)
			}
			if h := s.Point.Histogram; h != nil && (h.Bounds[0] != 0.1 || h.Sum != s.Point.Value) {
				t.Fatalf("histogram in seconds: %+v", h)
			}
		})
	}
}

func TestFromMetricsIgnores(t *testing.T) {
	settle := clientMetric("billing", "messaging.client.operation.duration", "s",
		map[string]any{"messaging.system": "kafka", "messaging.destination.name": "orders", "messaging.operation.type": "settle", "messaging.operation.name": "ack"},
		histogramOf([]float64{0.1}, []uint64{1, 0}, 0.05))
	other := clientMetric("billing", "http.server.request.duration", "s", nil, histogramOf([]float64{0.1}, []uint64{1, 0}, 0.05))
	stale := clientMetric("orders", "messaging.client.sent.messages", "{message}", map[string]any{"messaging.system": "kafka", "messaging.destination.name": "orders"}, func(m pmetric.Metric) {
		counterPoint(1)(m)
		m.Sum().DataPoints().At(0).SetFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true))
	})
	for name, md := range map[string]pmetric.Metrics{"settle": settle, "not a messaging metric": other, "staleness marker": stale} {
		d := decode(t, md)
		if len(d.Series) != 0 || d.Ignored != 1 || d.Rejected != 0 {
			t.Errorf("%s: series %d, ignored %d, rejected %d", name, len(d.Series), d.Ignored, d.Rejected)
		}
	}
}

func TestFromMetricsRejects(t *testing.T) {
	kafka := map[string]any{"messaging.system": "kafka", "messaging.destination.name": "orders"}
	lagPoint := func(attrs map[string]any, v float64) pmetric.Metrics {
		return clientMetric("collector", "kafka.consumer_group.lag", "1", attrs, func(m pmetric.Metric) {
			dp := m.SetEmptyGauge().DataPoints().AppendEmpty()
			dp.SetTimestamp(pcommon.NewTimestampFromTime(t0))
			dp.SetDoubleValue(v)
		})
	}
	lagAttrs := func(partition any) map[string]any {
		return map[string]any{"group": "billing", "topic": "orders", "partition": partition}
	}
	cases := []struct {
		name   string
		md     pmetric.Metrics
		reason string
	}{
		{"no group", lagPoint(map[string]any{"topic": "orders", "partition": 0}, 1), `without the "group" attribute`},
		{"partition not a number", lagPoint(lagAttrs("first"), 1), "not a partition number"},
		{"negative partition", lagPoint(lagAttrs(-1), 1), "not a partition number"},
		{"NaN", lagPoint(lagAttrs(0), math.NaN()), "not a number"},
		{"a topic longer than any name", lagPoint(map[string]any{"group": "billing", "topic": strings.Repeat("o", 2000), "partition": 0}, 1), "more than 1024"},
		{"a topic that is not UTF-8", lagPoint(map[string]any{"group": "billing", "topic": "or\xffders", "partition": 0}, 1), "not valid UTF-8"},
		{"a NUL in a group", lagPoint(map[string]any{"group": "bil\x00ling", "topic": "orders", "partition": 0}, 1), "not valid UTF-8"},
		{"no time", clientMetric("orders", "messaging.client.sent.messages", "{message}", kafka, func(m pmetric.Metric) {
			counterPoint(1)(m)
			m.Sum().DataPoints().At(0).SetTimestamp(0)
		}), "time_unix_nano is 0"},
		{"no destination", clientMetric("orders", "messaging.client.sent.messages", "{message}", map[string]any{"messaging.system": "kafka"}, counterPoint(1)),
			`without the "messaging.destination.name" attribute`},
		{"no system", clientMetric("orders", "messaging.client.sent.messages", "{message}", map[string]any{"messaging.destination.name": "orders"}, counterPoint(1)),
			`without the "messaging.system" attribute`},
		{"a queue depth as a delta", clientMetric("collector", "rabbitmq.message.current", "{messages}", map[string]any{"state": "ready"}, func(m pmetric.Metric) {
			counterPoint(1)(m)
			m.Sum().SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		}), "a delta sum is not a level"},
		{"a queue without its name", clientMetric("collector", "rabbitmq.consumer.count", "{consumers}", nil, counterPoint(1)), `"rabbitmq.queue.name"`},
		{"a duration as a summary", clientMetric("billing", "messaging.process.duration", "s", kafka, func(m pmetric.Metric) {
			dp := m.SetEmptySummary().DataPoints().AppendEmpty()
			dp.SetTimestamp(pcommon.NewTimestampFromTime(t0))
		}), "want a histogram"},
		{"a duration in bytes", clientMetric("billing", "messaging.process.duration", "By", kafka, histogramOf([]float64{1}, []uint64{1, 0}, 1)), "not a unit of time"},
		{"counts that do not add up", clientMetric("billing", "messaging.process.duration", "s", kafka, func(m pmetric.Metric) {
			histogramOf([]float64{1}, []uint64{1, 0}, 1)(m)
			m.Histogram().DataPoints().At(0).SetCount(5)
		}), "count is 5"},
		{"bounds out of order", clientMetric("billing", "messaging.process.duration", "s", kafka, histogramOf([]float64{1, 0.5}, []uint64{1, 0, 0}, 1)), "not increasing"},
		{"one count too many", clientMetric("billing", "messaging.process.duration", "s", kafka, histogramOf([]float64{1}, []uint64{1, 0, 0}, 1)), "3 bucket counts for 1 bounds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := decode(t, c.md)
			if len(d.Series) != 0 || d.Rejected != 1 || len(d.Reasons) != 1 || !strings.Contains(d.Reasons[0], c.reason) {
				t.Fatalf("series %d, rejected %d, reasons %q; want one rejected for %q", len(d.Series), d.Rejected, d.Reasons, c.reason)
			}
			if msg := d.RejectionMessage(); !strings.HasPrefix(msg, "1 data point(s) rejected: ") {
				t.Fatalf("message %q", msg)
			}
		})
	}
}

func TestFromMetricsTooManyPoints(t *testing.T) {
	md := shopScrape(t0, 1, 2, 3).Metrics()
	if _, err := FromMetrics(md, DecodeLimits{MaxPoints: 31}); !errors.Is(err, ErrTooManyPoints) {
		t.Fatalf("32 points with a limit of 31: %v", err)
	}
	if _, err := FromMetrics(md, DecodeLimits{MaxPoints: 32}); err != nil {
		t.Fatalf("32 points with a limit of 32: %v", err)
	}
}

func TestSeriesIdentity(t *testing.T) {
	id := func(resource, attrs map[string]any, at time.Time, v int64) Decoded {
		md := pmetric.NewMetrics()
		rm := md.ResourceMetrics().AppendEmpty()
		rm.Resource().Attributes().FromRaw(resource)
		m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("messaging.client.sent.messages")
		s := m.SetEmptySum()
		s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
		dp := s.DataPoints().AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(at))
		dp.SetIntValue(v)
		dp.Attributes().FromRaw(attrs)
		return decode(t, md)
	}
	res := map[string]any{"service.name": "orders", "service.instance.id": "a"}
	attrs := map[string]any{"messaging.system": "kafka", "messaging.destination.name": "orders", "server.address": "b"}
	reordered := map[string]any{"server.address": "b", "messaging.destination.name": "orders", "messaging.system": "kafka"}
	base := id(res, attrs, t0, 1).Series[0].ID
	if got := id(res, reordered, t0.Add(time.Minute), 2).Series[0].ID; got != base {
		t.Error("the same attributes in another order are another series")
	}
	if got := id(map[string]any{"service.name": "orders", "service.instance.id": "b"}, attrs, t0, 1).Series[0].ID; got == base {
		t.Error("another instance of the service is the same series")
	}
	if got := id(res, map[string]any{"messaging.system": "kafka", "messaging.destination.name": "orders", "server.address": "c"}, t0, 1).Series[0].ID; got == base {
		t.Error("another broker is the same series")
	}

	// A request with two points of one series keeps the newer.
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().FromRaw(res)
	m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("messaging.client.sent.messages")
	dps := m.SetEmptySum().DataPoints()
	for _, p := range []struct {
		at time.Time
		v  int64
	}{{t0.Add(time.Minute), 20}, {t0, 10}} {
		dp := dps.AppendEmpty()
		dp.SetTimestamp(pcommon.NewTimestampFromTime(p.at))
		dp.SetIntValue(p.v)
		dp.Attributes().FromRaw(attrs)
	}
	d := decode(t, md)
	if len(d.Series) != 1 || d.Series[0].Point.Value != 20 || d.Points != 2 {
		t.Fatalf("two points of one series: %+v", d)
	}
}

func TestExponentialHistogram(t *testing.T) {
	// Scale 0: bucket i holds (2^i, 2^(i+1)]. Offset -4: (1/16, 1/8], (1/8, 1/4], (1/4, 1/2].
	md := clientMetric("billing", "messaging.process.duration", "s",
		map[string]any{"messaging.system": "kafka", "messaging.destination.name": "orders"}, func(m pmetric.Metric) {
			h := m.SetEmptyExponentialHistogram()
			h.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
			dp := h.DataPoints().AppendEmpty()
			dp.SetStartTimestamp(pcommon.NewTimestampFromTime(t0.Add(-time.Minute)))
			dp.SetTimestamp(pcommon.NewTimestampFromTime(t0))
			dp.SetScale(0)
			dp.SetZeroCount(1)
			dp.Positive().SetOffset(-4)
			dp.Positive().BucketCounts().FromRaw([]uint64{1, 6, 2})
			dp.SetCount(10)
			dp.SetSum(2)
		})
	d := decode(t, md)
	if len(d.Series) != 1 {
		t.Fatalf("rejected %v", d.Reasons)
	}
	h := d.Series[0].Point.Histogram
	wantBounds := []float64{0, 1.0 / 16, 1.0 / 8, 1.0 / 4, 1.0 / 2}
	if len(h.Bounds) != len(wantBounds) || h.Count != 10 || d.Series[0].Temporality != Delta {
		t.Fatalf("histogram %+v", h)
	}
	for i, b := range wantBounds {
		if math.Abs(h.Bounds[i]-b) > 1e-12 {
			t.Fatalf("bounds %v, want %v", h.Bounds, wantBounds)
		}
	}
	// The median (rank 5) is 3/6 into (1/8, 1/4].
	if got, want := quantile(h, 0.5), 1.0/8+0.5*(1.0/8); math.Abs(got-want) > 1e-12 {
		t.Fatalf("median %v, want %v", got, want)
	}
}
