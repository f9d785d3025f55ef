package otlpmetrics

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/eventlens/eventlens/rabbitmq"
)

// DecodeLimits bound one OTLP metrics request. Zero fields take DefaultDecodeLimits' value.
type DecodeLimits struct {
	MaxPoints int // a request with more data points than this is refused whole (ErrTooManyPoints)
}

// DefaultDecodeLimits: 100,000 points is twelve times the Collector's batch processor default
// (8,192) and one kafkametrics scrape of a cluster of some 25,000 partitions.
var DefaultDecodeLimits = DecodeLimits{MaxPoints: 100_000}

// ErrTooManyPoints means a request carries more data points than DecodeLimits.MaxPoints; the
// client should send smaller batches.
var ErrTooManyPoints = errors.New("too many data points in one request")

// maxLabelBytes bounds each name a series is read by (a topic, a queue, a service…): Kafka
// topics and RabbitMQ queues are at most 255 bytes, so longer ones are not names.
const maxLabelBytes = 1024

// maxBuckets bounds a histogram's buckets (the SDKs' exponential default is 160).
const maxBuckets = 1024

// Decoded is one OTLP metrics request, read.
type Decoded struct {
	Series   []Series // one per series eventlens reads, with the newest point the request has of it
	Points   int      // data points in the request
	Ignored  int      // points of metrics eventlens does not read
	Rejected int      // points of metrics it reads that it could not (OTLP partial success)
	Reasons  []string // why, for the first few
}

// RejectionMessage is the partial-success message for the rejected points, or "".
func (d Decoded) RejectionMessage() string {
	if d.Rejected == 0 {
		return ""
	}
	return fmt.Sprintf("%d data point(s) rejected: %s", d.Rejected, strings.Join(d.Reasons, "; "))
}

const maxReasons = 3

// reject refuses n points of metric; only the first few reasons are written out.
func (d *Decoded) reject(n int, metric string, why error) {
	d.Rejected += n
	if len(d.Reasons) < maxReasons {
		d.Reasons = append(d.Reasons, metric+": "+why.Error())
	}
}

// family is the kind of exporter a metric comes from; it decides the series' labels and source.
type family int

const (
	kafkaFamily family = iota
	rabbitFamily
	clientFamily
)

// shape is how a metric's points are read.
type shape int

const (
	level    shape = iota // a gauge, or a cumulative sum read as its current value
	counter               // a monotonic sum: cumulative or delta
	duration              // a histogram of seconds
)

// metricSpec is how eventlens reads one metric name.
type metricSpec struct {
	name      string // the current name, which older names are read as
	family    family
	shape     shape
	direction string // client metrics: Produce or Consume; "" when the operation type says
	// Kafka attributes the points must carry.
	group, topic, partition bool
	// RabbitMQ: the point carries the message state.
	state bool
}

var metricSpecs = func() map[string]metricSpec {
	specs := map[string]metricSpec{
		MetricKafkaLag:          {family: kafkaFamily, group: true, topic: true, partition: true},
		MetricKafkaLagSum:       {family: kafkaFamily, group: true, topic: true},
		MetricKafkaOffset:       {family: kafkaFamily, group: true, topic: true, partition: true},
		MetricKafkaOffsetSum:    {family: kafkaFamily, group: true, topic: true},
		MetricKafkaMembers:      {family: kafkaFamily, group: true},
		MetricKafkaEndOffset:    {family: kafkaFamily, topic: true, partition: true},
		MetricKafkaOldestOffset: {family: kafkaFamily, topic: true, partition: true},

		MetricRabbitMessages:     {family: rabbitFamily, state: true},
		MetricRabbitConsumers:    {family: rabbitFamily},
		MetricRabbitPublished:    {family: rabbitFamily, shape: counter},
		MetricRabbitDelivered:    {family: rabbitFamily, shape: counter},
		MetricRabbitAcknowledged: {family: rabbitFamily, shape: counter},
		MetricRabbitDropped:      {family: rabbitFamily, shape: counter},

		MetricSent:              {family: clientFamily, shape: counter, direction: Produce},
		MetricConsumed:          {family: clientFamily, shape: counter, direction: Consume},
		MetricProcessDuration:   {family: clientFamily, shape: duration, direction: Consume},
		MetricOperationDuration: {family: clientFamily, shape: duration},
	}
	for name, s := range specs {
		s.name = name
		specs[name] = s
	}
	// Names of earlier versions of the conventions, still emitted by instrumentations.
	older := map[string]metricSpec{
		"messaging.client.published.messages": specs[MetricSent],
		"messaging.publish.messages":          specs[MetricSent],
		"messaging.receive.messages":          specs[MetricConsumed],
		"messaging.process.messages":          specs[MetricConsumed],
		"messaging.publish.duration":          specs[MetricOperationDuration],
		"messaging.receive.duration":          specs[MetricOperationDuration],
	}
	for name, s := range older {
		switch name {
		case "messaging.publish.duration":
			s.direction = Produce
		case "messaging.receive.duration":
			s.direction = Consume
		}
		specs[name] = s
	}
	return specs
}()

// resource is what a ResourceMetrics says about all of its points.
type resource struct {
	digest  [16]byte // of every attribute, part of each series' identity
	service string
	cluster string // kafka.cluster.alias
	queue   string
	vhost   string
	node    string
	sources [3]string // the source of its series, by family
}

// decoder holds what FromMetrics reuses from point to point.
type decoder struct {
	out    Decoded
	index  map[SeriesID]int // position in out.Series
	buf    []byte           // what is hashed next
	seeded *xxhash.Digest
}

// idSeed seeds the second half of a series id; the first is xxhash's unseeded sum.
const idSeed = 0x6f746c706d657472

// FromMetrics reads the points eventlens understands from pdata metrics (from OTLP protobuf,
// JSON or gRPC). Points it cannot read are refused one by one; a request with more points than
// the limit is refused whole with ErrTooManyPoints.
func FromMetrics(md pmetric.Metrics, lim DecodeLimits) (Decoded, error) {
	if lim.MaxPoints <= 0 {
		lim.MaxPoints = DefaultDecodeLimits.MaxPoints
	}
	n := md.DataPointCount()
	if n > lim.MaxPoints {
		return Decoded{}, fmt.Errorf("%w: %d data points, more than the limit of %d; send smaller batches", ErrTooManyPoints, n, lim.MaxPoints)
	}
	// Room for the points of the metrics eventlens reads, not for all: most of an
	// application's metrics are others.
	rms := md.ResourceMetrics()
	read := 0
	for i := 0; i < rms.Len(); i++ {
		sms := rms.At(i).ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			ms := sms.At(j).Metrics()
			for k := 0; k < ms.Len(); k++ {
				if _, ok := metricSpecs[ms.At(k).Name()]; ok {
					read += pointCount(ms.At(k))
				}
			}
		}
	}
	d := decoder{out: Decoded{Points: n, Series: make([]Series, 0, read)}, index: make(map[SeriesID]int, read), seeded: xxhash.NewWithSeed(idSeed)}
	for i := 0; i < rms.Len(); i++ {
		rm := rms.At(i)
		attrs := rm.Resource().Attributes()
		res := resource{
			digest:  d.attributes(attrs),
			service: str(attrs, "service.name"),
			cluster: str(attrs, "kafka.cluster.alias"),
			queue:   str(attrs, "rabbitmq.queue.name"),
			vhost:   str(attrs, "rabbitmq.vhost.name"),
			node:    str(attrs, "rabbitmq.node.name"),
		}
		if res.service == "" {
			res.service = "unknown_service"
		}
		res.sources = [...]string{kafkaFamily: "kafka/" + res.cluster, rabbitFamily: "rabbitmq/" + res.node, clientFamily: "service/" + res.service}
		sms := rm.ScopeMetrics()
		for j := 0; j < sms.Len(); j++ {
			sm := sms.At(j)
			scope := sm.Scope().Name() + "\x00" + sm.Scope().Version()
			ms := sm.Metrics()
			for k := 0; k < ms.Len(); k++ {
				d.metric(&res, scope, ms.At(k))
			}
		}
	}
	return d.out, nil
}

// metric reads one metric's points.
func (d *decoder) metric(res *resource, scope string, m pmetric.Metric) {
	spec, ok := metricSpecs[m.Name()]
	if !ok {
		d.out.Ignored += pointCount(m)
		return
	}
	temporality, err := temporalityOf(spec, m)
	if err != nil {
		d.out.reject(pointCount(m), m.Name(), err)
		return
	}
	scale := 1.0
	if spec.shape == duration {
		if scale, ok = secondsPer(m.Unit()); !ok {
			d.out.reject(pointCount(m), m.Name(), fmt.Errorf("unit %q is not a unit of time (want s)", m.Unit()))
			return
		}
	}
	add := func(attrs pcommon.Map, flags pmetric.DataPointFlags, p Point, err error) {
		if flags.NoRecordedValue() {
			d.out.Ignored++ // a staleness marker: the series is gone, which expiry will see
			return
		}
		if err == nil && p.Time <= 0 {
			err = errors.New("time_unix_nano is 0")
		}
		if err != nil {
			d.out.reject(1, m.Name(), err)
			return
		}
		s, ignore, err := d.series(spec, res, attrs)
		switch {
		case err != nil:
			d.out.reject(1, m.Name(), err)
			return
		case ignore:
			d.out.Ignored++
			return
		}
		s.ID = d.id(res, scope, m.Name(), attrs)
		s.Temporality = temporality
		s.Point = p
		d.keep(s)
	}
	switch m.Type() {
	case pmetric.MetricTypeGauge, pmetric.MetricTypeSum:
		var dps pmetric.NumberDataPointSlice
		if m.Type() == pmetric.MetricTypeSum {
			dps = m.Sum().DataPoints()
		} else {
			dps = m.Gauge().DataPoints()
		}
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			p, err := numberPoint(dp)
			add(dp.Attributes(), dp.Flags(), p, err)
		}
	case pmetric.MetricTypeHistogram:
		dps := m.Histogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			p, err := histogramPoint(dp, scale)
			add(dp.Attributes(), dp.Flags(), p, err)
		}
	case pmetric.MetricTypeExponentialHistogram:
		dps := m.ExponentialHistogram().DataPoints()
		for i := 0; i < dps.Len(); i++ {
			dp := dps.At(i)
			p, err := exponentialPoint(dp, scale)
			add(dp.Attributes(), dp.Flags(), p, err)
		}
	}
}

// keep adds s, or its newer point to the series already read from this request.
func (d *decoder) keep(s Series) {
	if i, ok := d.index[s.ID]; ok {
		if s.Point.Time > d.out.Series[i].Point.Time {
			d.out.Series[i].Point = s.Point
		}
		return
	}
	d.index[s.ID] = len(d.out.Series)
	d.out.Series = append(d.out.Series, s)
}

func pointCount(m pmetric.Metric) int {
	switch m.Type() {
	case pmetric.MetricTypeGauge:
		return m.Gauge().DataPoints().Len()
	case pmetric.MetricTypeSum:
		return m.Sum().DataPoints().Len()
	case pmetric.MetricTypeHistogram:
		return m.Histogram().DataPoints().Len()
	case pmetric.MetricTypeExponentialHistogram:
		return m.ExponentialHistogram().DataPoints().Len()
	case pmetric.MetricTypeSummary:
		return m.Summary().DataPoints().Len()
	}
	return 0
}

// temporalityOf checks that the metric has a type eventlens can read it by.
func temporalityOf(spec metricSpec, m pmetric.Metric) (Temporality, error) {
	typ := m.Type()
	var agg pmetric.AggregationTemporality
	switch typ {
	case pmetric.MetricTypeSum:
		agg = m.Sum().AggregationTemporality()
	case pmetric.MetricTypeHistogram:
		agg = m.Histogram().AggregationTemporality()
	case pmetric.MetricTypeExponentialHistogram:
		agg = m.ExponentialHistogram().AggregationTemporality()
	}
	numeric := typ == pmetric.MetricTypeGauge || typ == pmetric.MetricTypeSum
	histogram := typ == pmetric.MetricTypeHistogram || typ == pmetric.MetricTypeExponentialHistogram
	switch {
	case spec.shape == level && numeric:
		// A delta sum counts changes, which are not a level.
		if typ == pmetric.MetricTypeSum && agg == pmetric.AggregationTemporalityDelta {
			return 0, errors.New("a delta sum is not a level; export it with cumulative temporality")
		}
		return Gauge, nil
	case spec.shape == counter && numeric:
		if typ == pmetric.MetricTypeSum && agg == pmetric.AggregationTemporalityDelta {
			return Delta, nil
		}
		return Cumulative, nil // a gauge of a count is read as a count since an unknown start
	case spec.shape == duration && histogram:
		if agg == pmetric.AggregationTemporalityDelta {
			return Delta, nil
		}
		return Cumulative, nil
	case spec.shape == duration:
		return 0, fmt.Errorf("a %s, want a histogram", typ)
	}
	return 0, fmt.Errorf("a %s, want a gauge or a sum", typ)
}

// secondsPer is how many seconds one unit of a duration metric is.
func secondsPer(unit string) (float64, bool) {
	switch unit {
	case "s", "":
		return 1, true // "" for instrumentations that leave the unit out; the conventions say s
	case "ms":
		return 1e-3, true
	case "us", "µs":
		return 1e-6, true
	case "ns":
		return 1e-9, true
	}
	return 0, false
}

func numberPoint(dp pmetric.NumberDataPoint) (Point, error) {
	p := Point{Start: int64(dp.StartTimestamp()), Time: int64(dp.Timestamp())}
	switch dp.ValueType() {
	case pmetric.NumberDataPointValueTypeInt:
		p.Value = float64(dp.IntValue())
	case pmetric.NumberDataPointValueTypeDouble:
		p.Value = dp.DoubleValue()
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			return p, fmt.Errorf("value %v is not a number", p.Value)
		}
	default:
		return p, errors.New("point without a value")
	}
	return p, nil
}

func histogramPoint(dp pmetric.HistogramDataPoint, scale float64) (Point, error) {
	p := Point{Start: int64(dp.StartTimestamp()), Time: int64(dp.Timestamp())}
	bounds, counts := dp.ExplicitBounds().AsRaw(), dp.BucketCounts().AsRaw()
	if len(counts) == 0 { // count and sum only
		bounds, counts = nil, []uint64{dp.Count()}
	}
	if len(counts) != len(bounds)+1 {
		return p, fmt.Errorf("histogram has %d bucket counts for %d bounds", len(counts), len(bounds))
	}
	if len(counts) > maxBuckets {
		return p, fmt.Errorf("histogram has %d buckets, more than %d", len(counts), maxBuckets)
	}
	for i := range bounds {
		bounds[i] *= scale
		if math.IsNaN(bounds[i]) || math.IsInf(bounds[i], 0) || (i > 0 && bounds[i] <= bounds[i-1]) {
			return p, errors.New("histogram bounds are not increasing finite numbers")
		}
	}
	return withHistogram(p, dp.Count(), dp.Sum()*scale, bounds, counts)
}

// exponentialPoint reads an exponential histogram as explicit buckets: with scale s, bucket
// offset+k holds values in (2^((offset+k)·2^-s), 2^((offset+k+1)·2^-s)]. Durations are never
// negative, so negative buckets count with the zero bucket.
func exponentialPoint(dp pmetric.ExponentialHistogramDataPoint, scale float64) (Point, error) {
	p := Point{Start: int64(dp.StartTimestamp()), Time: int64(dp.Timestamp())}
	if dp.Scale() < -10 || dp.Scale() > 20 {
		return p, fmt.Errorf("exponential histogram scale %d outside -10…20", dp.Scale())
	}
	pos := dp.Positive().BucketCounts().AsRaw()
	if len(pos) > maxBuckets {
		return p, fmt.Errorf("histogram has %d buckets, more than %d", len(pos), maxBuckets)
	}
	zero := dp.ZeroCount()
	for _, c := range dp.Negative().BucketCounts().AsRaw() {
		zero += c
	}
	width := math.Exp2(-float64(dp.Scale()))
	offset := float64(dp.Positive().Offset())
	// Bounds 0, then the lower edge of the first positive bucket, then each one's upper edge.
	bounds := []float64{0}
	counts := []uint64{zero}
	if len(pos) > 0 {
		bounds = append(bounds, math.Exp2(offset*width)*scale)
		counts = append(counts, 0)
		for k, c := range pos {
			bounds = append(bounds, math.Exp2((offset+float64(k)+1)*width)*scale)
			counts = append(counts, c)
		}
	}
	counts = append(counts, 0)
	for i := 1; i < len(bounds); i++ {
		if math.IsInf(bounds[i], 0) || bounds[i] <= bounds[i-1] {
			return p, errors.New("exponential histogram buckets beyond the range of numbers")
		}
	}
	return withHistogram(p, dp.Count(), dp.Sum()*scale, bounds, counts)
}

func withHistogram(p Point, count uint64, sum float64, bounds []float64, counts []uint64) (Point, error) {
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		return p, fmt.Errorf("histogram sum %v is not a number", sum)
	}
	var total uint64
	for _, c := range counts {
		total += c
	}
	if total != count {
		return p, fmt.Errorf("histogram buckets hold %d values but its count is %d", total, count)
	}
	p.Value = sum
	p.Histogram = &Histogram{Count: count, Sum: sum, Bounds: bounds, Counts: counts}
	return p, nil
}

// series reads a point's labels. ignore is true for points of a metric eventlens reads that say
// nothing it uses (an operation duration of an ack, say).
func (d *decoder) series(spec metricSpec, res *resource, attrs pcommon.Map) (s Series, ignore bool, err error) {
	s = Series{Metric: spec.name, Labels: Labels{Partition: -1}}
	l := &s.Labels
	switch spec.family {
	case kafkaFamily:
		l.Channel = Channel{System: "kafka", Cluster: res.cluster}
		if spec.group {
			if l.Group = str(attrs, "group"); l.Group == "" {
				return s, false, errors.New(`point without the "group" attribute`)
			}
		}
		if spec.topic {
			if l.Channel.Destination = str(attrs, "topic"); l.Channel.Destination == "" {
				return s, false, errors.New(`point without the "topic" attribute`)
			}
		}
		if spec.partition {
			if l.Partition, err = partitionOf(attrs); err != nil {
				return s, false, err
			}
		}
	case rabbitFamily:
		l.Queue, l.VHost, l.Node = res.queue, res.vhost, res.node
		if l.Queue == "" {
			return s, false, errors.New(`resource without the "rabbitmq.queue.name" attribute`)
		}
		if spec.state {
			if l.State = str(attrs, "state"); l.State == "" {
				return s, false, errors.New(`point without the "state" attribute`)
			}
		}
	case clientFamily:
		if ignore, err = clientLabels(spec, res, attrs, l); ignore || err != nil {
			return s, ignore, err
		}
	}
	s.Source = res.sources[spec.family]
	for _, v := range []string{l.Channel.Cluster, l.Channel.Destination, l.Group, l.Service, l.VHost, l.Queue, l.Node, l.State, l.Operation, l.ErrorType} {
		if len(v) > maxLabelBytes {
			return s, false, fmt.Errorf("a name of %d bytes, more than %d", len(v), maxLabelBytes)
		}
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return s, false, fmt.Errorf("name %q is not valid UTF-8 text", v)
		}
	}
	return s, false, nil
}

// clientLabels reads a client metric's flow the way tracing reads a messaging span's (see
// recognizeMessaging in tracing/messaging.go; TestChannelsAsSpans holds the two together).
func clientLabels(spec metricSpec, res *resource, attrs pcommon.Map, l *Labels) (ignore bool, err error) {
	l.Service = res.service
	l.Operation = firstStr(attrs, "messaging.operation.name", "messaging.operation")
	l.ErrorType = str(attrs, "error.type")
	l.Direction = spec.direction
	if l.Direction == "" {
		op := str(attrs, "messaging.operation.type")
		if op == "" {
			op = strings.ToLower(l.Operation)
		}
		switch op {
		case "send", "publish", "create":
			l.Direction = Produce
		case "receive", "process", "deliver":
			l.Direction = Consume
		default:
			return true, nil // settling, or an operation that names no flow
		}
	}
	system := firstStr(attrs, "messaging.system", "messaging.provider.name")
	if system == "" {
		return false, errors.New(`point without the "messaging.system" attribute`)
	}
	dest := firstStr(attrs, "messaging.destination.template", "messaging.destination.name", "messaging.destination")
	var queue string
	if system == "rabbitmq" {
		n := rabbitmq.MapSpan(rabbitmq.SpanNames{Consumer: l.Direction == Consume, Destination: dest,
			RoutingKey: firstStr(attrs, rabbitRoutingKeys...)})
		dest, queue = n.Channel(), n.Queue
	}
	if dest == "" {
		return false, errors.New(`point without the "messaging.destination.name" attribute`)
	}
	l.Channel = Channel{System: system, Cluster: firstStr(attrs, clusterKeys...), Destination: dest}
	if l.Direction == Consume {
		l.Group = firstStr(attrs, consumerGroupKeys...)
		if l.Group == "" {
			l.Group = queue
		}
	}
	return false, nil
}

// The attributes tracing reads a span's cluster, consumer group and RabbitMQ routing key from.
var (
	clusterKeys       = []string{"messaging.kafka.cluster.id", "server.address", "net.peer.name"}
	consumerGroupKeys = []string{
		"messaging.consumer.group.name",
		"messaging.kafka.consumer.group",
		"messaging.kafka.consumer_group",
		"messaging.rabbitmq.consumer.queue",
		"messaging.eventhubs.consumer.group",
		"messaging.servicebus.destination.subscription_name",
		"messaging.destination.subscription.name",
	}
	rabbitRoutingKeys = []string{"rabbitmq.destination.routing_key", "messaging.rabbitmq.destination.routing_key", "messaging.rabbitmq.routing_key"}
)

// partitionOf reads the kafkametrics "partition" attribute: an int (a numeric string too).
func partitionOf(attrs pcommon.Map) (int32, error) {
	v, ok := attrs.Get("partition")
	if !ok {
		return -1, errors.New(`point without the "partition" attribute`)
	}
	var n int64
	var err error
	switch v.Type() {
	case pcommon.ValueTypeInt:
		n = v.Int()
	case pcommon.ValueTypeStr:
		n, err = strconv.ParseInt(v.Str(), 10, 32)
	default:
		err = errors.New("not a number")
	}
	if err != nil || n < 0 || n > math.MaxInt32 {
		return -1, fmt.Errorf("partition %q is not a partition number", v.AsString())
	}
	return int32(n), nil
}

// id is the series' identity: its metric name, resource, scope and point attributes. The
// attributes are combined in an order-independent way, as OTLP identifies a series by the set.
func (d *decoder) id(res *resource, scope, name string, attrs pcommon.Map) SeriesID {
	a := d.attributes(attrs)
	d.buf = append(d.buf[:0], res.digest[:]...)
	d.buf = append(d.buf, scope...)
	d.buf = append(d.buf, 0)
	d.buf = append(d.buf, name...)
	d.buf = append(d.buf, 0)
	d.buf = append(d.buf, a[:]...)
	hi, lo := d.hash()
	var id SeriesID
	binary.BigEndian.PutUint64(id[:8], hi)
	binary.BigEndian.PutUint64(id[8:], lo)
	return id
}

// hash is a 128-bit hash of buf: two 64-bit xxhash sums with different seeds, the same in
// every process.
func (d *decoder) hash() (hi, lo uint64) {
	d.seeded.ResetWithSeed(idSeed)
	d.seeded.Write(d.buf)
	return xxhash.Sum64(d.buf), d.seeded.Sum64()
}

// attributes digests a set of attributes: the sum of the hashes of each key and value.
func (d *decoder) attributes(attrs pcommon.Map) [16]byte {
	var hi, lo uint64
	attrs.Range(func(k string, v pcommon.Value) bool {
		d.buf = append(d.buf[:0], k...)
		d.buf = append(d.buf, 0, byte(v.Type()))
		switch v.Type() {
		case pcommon.ValueTypeStr:
			d.buf = append(d.buf, v.Str()...)
		case pcommon.ValueTypeInt:
			d.buf = strconv.AppendInt(d.buf, v.Int(), 10)
		default:
			d.buf = append(d.buf, v.AsString()...)
		}
		h, l := d.hash()
		hi += h
		lo += l
		return true
	})
	var out [16]byte
	binary.BigEndian.PutUint64(out[:8], hi)
	binary.BigEndian.PutUint64(out[8:], lo)
	return out
}

// str returns a string attribute's value ("" when absent); other types are rendered as text.
func str(attrs pcommon.Map, key string) string {
	v, ok := attrs.Get(key)
	if !ok {
		return ""
	}
	if v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return v.AsString()
}

func firstStr(attrs pcommon.Map, keys ...string) string {
	for _, k := range keys {
		if s := str(attrs, k); s != "" {
			return s
		}
	}
	return ""
}
