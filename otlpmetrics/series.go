package otlpmetrics

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Channel is where messages go, named as tracing.Channel names it (same fields, same Key), so
// a series and a span about one topic or exchange land on the same channel. It is declared
// here rather than imported so that tracing may read this package.
type Channel struct {
	System      string `json:"system"`
	Cluster     string `json:"cluster"`
	Destination string `json:"destination"`
}

// Key is the channel's one-string name: "kafka/orders", or "kafka@cluster-1/orders" with a cluster.
func (c Channel) Key() string {
	if c.Cluster == "" {
		return c.System + "/" + c.Destination
	}
	return c.System + "@" + c.Cluster + "/" + c.Destination
}

// The metrics eventlens reads, by their current names. Older names of the client metrics are
// read as these (see metricSpecs).
const (
	// The Collector's kafkametrics receiver.
	MetricKafkaLag          = "kafka.consumer_group.lag"        // {group, topic, partition}
	MetricKafkaLagSum       = "kafka.consumer_group.lag_sum"    // {group, topic}
	MetricKafkaOffset       = "kafka.consumer_group.offset"     // {group, topic, partition}
	MetricKafkaOffsetSum    = "kafka.consumer_group.offset_sum" // {group, topic}
	MetricKafkaMembers      = "kafka.consumer_group.members"    // {group}
	MetricKafkaEndOffset    = "kafka.partition.current_offset"  // {topic, partition}
	MetricKafkaOldestOffset = "kafka.partition.oldest_offset"   // {topic, partition}

	// The Collector's rabbitmq receiver; the queue, vhost and node are resource attributes.
	MetricRabbitMessages     = "rabbitmq.message.current" // {state: ready, unacknowledged}
	MetricRabbitConsumers    = "rabbitmq.consumer.count"
	MetricRabbitPublished    = "rabbitmq.message.published"
	MetricRabbitDelivered    = "rabbitmq.message.delivered"
	MetricRabbitAcknowledged = "rabbitmq.message.acknowledged"
	MetricRabbitDropped      = "rabbitmq.message.dropped"

	// The messaging semantic conventions' client metrics; the service is the resource's.
	MetricSent              = "messaging.client.sent.messages"
	MetricConsumed          = "messaging.client.consumed.messages"
	MetricProcessDuration   = "messaging.process.duration"
	MetricOperationDuration = "messaging.client.operation.duration"
)

// Direction is which way a client metric's flow runs, in tracing's words.
const (
	Produce = "produce" // service → channel
	Consume = "consume" // channel → service
)

// Temporality is how a point's value relates to earlier ones.
type Temporality int

const (
	Gauge      Temporality = iota // a level (lag, depth, an offset, an up-down counter)
	Cumulative                    // a count since the point's start time
	Delta                         // a count over the point's own interval
)

// SeriesID names one OTLP series: a hash of its metric name, resource, scope and point
// attributes, the same on every replica.
type SeriesID [16]byte

func (id SeriesID) String() string { return hex.EncodeToString(id[:]) }

// Labels are what eventlens reads from a series' attributes; fields a metric does not have
// are empty (Partition: -1).
type Labels struct {
	Channel   Channel // Kafka: the topic; client metrics: the destination; RabbitMQ queues: none
	Group     string  // Kafka consumer group; a client consumer's group (RabbitMQ: its queue)
	Partition int32   // Kafka partition, -1 for none
	Service   string  // client metrics: the resource's service.name
	Direction string  // client metrics: Produce or Consume
	VHost     string  // RabbitMQ
	Queue     string  // RabbitMQ
	Node      string  // RabbitMQ
	State     string  // RabbitMQ message state: ready, unacknowledged
	Operation string  // messaging.operation.name of a client metric (send, receive, process, …)
	ErrorType string  // error.type of a client metric; "" when the operation worked
}

// Point is one data point. Times are Unix nanoseconds; Start is 0 when the exporter gave none.
type Point struct {
	Start, Time int64
	Value       float64    // numbers; a histogram's sum of values
	Histogram   *Histogram // histograms only
}

// Histogram is an explicit-bucket histogram of durations in seconds: Counts[i] values fell at
// or below Bounds[i] and above Bounds[i-1]; the last count is above every bound.
type Histogram struct {
	Count  uint64    `json:"count"`
	Sum    float64   `json:"sum"`
	Bounds []float64 `json:"bounds"`
	Counts []uint64  `json:"counts"`
}

// Series is one series' latest point and the one before it (Prev.Time 0: none yet).
type Series struct {
	ID          SeriesID
	Metric      string // the current name of what it measures (one of the constants above)
	Source      string // what the series cap counts by: "kafka/<cluster>", "rabbitmq/<node>", "service/<name>"
	Labels      Labels
	Temporality Temporality
	Point       Point
	Prev        Point
	Seen        int64 // when a replica last stored a point of it, Unix nanoseconds
}

// encodeHistogram is how a histogram is kept in the table: JSON, "" for none.
func encodeHistogram(h *Histogram) string {
	if h == nil {
		return ""
	}
	b, err := json.Marshal(h)
	if err != nil {
		panic(err) // numbers and slices of numbers always encode; NaN is refused at decoding
	}
	return string(b)
}

func decodeHistogram(s string) (*Histogram, error) {
	if s == "" {
		return nil, nil
	}
	var h Histogram
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		return nil, fmt.Errorf("stored histogram: %w", err)
	}
	if len(h.Counts) != len(h.Bounds)+1 {
		return nil, fmt.Errorf("stored histogram has %d counts for %d bounds", len(h.Counts), len(h.Bounds))
	}
	return &h, nil
}
