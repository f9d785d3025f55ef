// Package otlpmetricstest builds OTLP metrics exports shaped as the OpenTelemetry Collector's
// kafkametrics and rabbitmq receivers write them (names, units, types and attributes from
// their metadata.yaml in opentelemetry-collector-contrib), for tests and benchmarks.
package otlpmetricstest

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
)

// The receivers' instrumentation scopes.
const (
	KafkaScope  = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/kafkametricsreceiver"
	RabbitScope = "github.com/open-telemetry/opentelemetry-collector-contrib/receiver/rabbitmqreceiver"
)

// KafkaScrape is one scrape of a cluster by the kafkametrics receiver.
type KafkaScrape struct {
	At, Start    time.Time // the scrape, and when the receiver started
	ClusterAlias string    // the kafka.cluster.alias resource attribute (off in the receiver by default); "" leaves it out
	Brokers      int64
	Topics       []KafkaTopic
	Groups       []KafkaGroup
}

// KafkaTopic is a topic's partitions' offsets, by partition number.
type KafkaTopic struct {
	Name        string
	Oldest, End []int64
}

// KafkaGroup is a consumer group's committed offsets on one topic, by partition number.
type KafkaGroup struct {
	Name      string
	Members   int64
	Topic     string
	Committed []int64
}

// Metrics is the scrape as the receiver exports it: one resource per scraper (brokers, topics,
// consumers), as the scraper controller merges them.
func (k KafkaScrape) Metrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	start, at := pcommon.NewTimestampFromTime(k.Start), pcommon.NewTimestampFromTime(k.At)
	scope := func() pmetric.MetricSlice {
		rm := md.ResourceMetrics().AppendEmpty()
		if k.ClusterAlias != "" {
			rm.Resource().Attributes().PutStr("kafka.cluster.alias", k.ClusterAlias)
		}
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(KafkaScope)
		sm.Scope().SetVersion("0.140.0")
		return sm.Metrics()
	}
	brokers := scope()
	sumOf(brokers, "kafka.brokers", "Number of brokers in the cluster.", "{brokers}", false)
	point(brokers.At(0), start, at, k.Brokers)

	topics := scope()
	partitions := sumOf(topics, "kafka.topic.partitions", "Number of partitions in topic.", "{partitions}", false)
	current := gaugeOf(topics, "kafka.partition.current_offset", "Current offset of partition of topic.", "1")
	oldest := gaugeOf(topics, "kafka.partition.oldest_offset", "Oldest offset of partition of topic", "1")
	replicas := sumOf(topics, "kafka.partition.replicas", "Number of replicas for partition of topic", "{replicas}", false)
	inSync := sumOf(topics, "kafka.partition.replicas_in_sync", "Number of synchronized replicas of partition", "{replicas}", false)
	for _, t := range k.Topics {
		point(partitions, start, at, int64(len(t.End))).Attributes().PutStr("topic", t.Name)
		for p := range t.End {
			for _, m := range []struct {
				m pmetric.Metric
				v int64
			}{{current, t.End[p]}, {oldest, t.Oldest[p]}, {replicas, 3}, {inSync, 3}} {
				a := point(m.m, start, at, m.v).Attributes()
				a.PutStr("topic", t.Name)
				a.PutInt("partition", int64(p))
			}
		}
	}

	consumers := scope()
	members := sumOf(consumers, "kafka.consumer_group.members", "Count of members in the consumer group", "{members}", false)
	offset := gaugeOf(consumers, "kafka.consumer_group.offset", "Current offset of the consumer group at partition of topic", "1")
	offsetSum := gaugeOf(consumers, "kafka.consumer_group.offset_sum", "Sum of consumer group offset across partitions of topic", "1")
	lag := gaugeOf(consumers, "kafka.consumer_group.lag", "Current approximate lag of consumer group at partition of topic", "1")
	lagSum := gaugeOf(consumers, "kafka.consumer_group.lag_sum", "Current approximate sum of consumer group lag across all partitions of topic", "1")
	seen := map[string]bool{}
	for _, g := range k.Groups {
		if !seen[g.Name] {
			seen[g.Name] = true
			point(members, start, at, g.Members).Attributes().PutStr("group", g.Name)
		}
		var end []int64
		for _, t := range k.Topics {
			if t.Name == g.Topic {
				end = t.End
			}
		}
		var sumOffsets, sumLag int64
		for p, c := range g.Committed {
			l := end[p] - c
			sumOffsets += c
			sumLag += l
			for _, m := range []struct {
				m pmetric.Metric
				v int64
			}{{offset, c}, {lag, l}} {
				a := point(m.m, start, at, m.v).Attributes()
				a.PutStr("group", g.Name)
				a.PutStr("topic", g.Topic)
				a.PutInt("partition", int64(p))
			}
		}
		for _, m := range []struct {
			m pmetric.Metric
			v int64
		}{{offsetSum, sumOffsets}, {lagSum, sumLag}} {
			a := point(m.m, start, at, m.v).Attributes()
			a.PutStr("group", g.Name)
			a.PutStr("topic", g.Topic)
		}
	}
	return md
}

// Cluster is a scrape of a cluster of topics of partitions each, every topic read by
// groupsPerTopic groups a few messages behind; seq moves every offset on by 1,000 messages, as
// the next scrape sees it. With 16 topics of 100 partitions and 2 groups it has 12,913 points,
// 9,696 of them in series eventlens reads (under the default cap of one source).
func Cluster(at time.Time, seq int64, alias string, topics, partitions, groupsPerTopic int) KafkaScrape {
	k := KafkaScrape{At: at, Start: at.Add(-time.Hour), ClusterAlias: alias, Brokers: 3}
	for t := range topics {
		topic := KafkaTopic{Name: fmt.Sprint("topic-", t), Oldest: make([]int64, partitions), End: make([]int64, partitions)}
		committed := make([]int64, partitions)
		for p := range partitions {
			topic.End[p] = 1000*seq + int64(p)
			committed[p] = topic.End[p] - int64(p%7)
		}
		k.Topics = append(k.Topics, topic)
		for g := range groupsPerTopic {
			k.Groups = append(k.Groups, KafkaGroup{Name: fmt.Sprint("group-", t, "-", g), Members: 3, Topic: topic.Name, Committed: committed})
		}
	}
	return k
}

// RabbitScrape is one scrape of a broker's queues by the rabbitmq receiver.
type RabbitScrape struct {
	At, Start   time.Time
	Node, VHost string
	Queues      []RabbitQueue
}

// RabbitQueue is one queue's figures; the message counts are totals since the broker started.
type RabbitQueue struct {
	Name                                        string
	Ready, Unacknowledged, Consumers            int64
	Published, Delivered, Acknowledged, Dropped int64
}

// Metrics is the scrape as the receiver exports it: one resource per queue.
func (r RabbitScrape) Metrics() pmetric.Metrics {
	md := pmetric.NewMetrics()
	start, at := pcommon.NewTimestampFromTime(r.Start), pcommon.NewTimestampFromTime(r.At)
	for _, q := range r.Queues {
		rm := md.ResourceMetrics().AppendEmpty()
		a := rm.Resource().Attributes()
		a.PutStr("rabbitmq.queue.name", q.Name)
		a.PutStr("rabbitmq.node.name", r.Node)
		a.PutStr("rabbitmq.vhost.name", r.VHost)
		sm := rm.ScopeMetrics().AppendEmpty()
		sm.Scope().SetName(RabbitScope)
		sm.Scope().SetVersion("0.140.0")
		ms := sm.Metrics()
		point(sumOf(ms, "rabbitmq.consumer.count", "The number of consumers currently reading from the queue.", "{consumers}", false), start, at, q.Consumers)
		point(sumOf(ms, "rabbitmq.message.delivered", "The number of messages delivered to consumers.", "{messages}", true), start, at, q.Delivered)
		point(sumOf(ms, "rabbitmq.message.published", "The number of messages published to a queue.", "{messages}", true), start, at, q.Published)
		point(sumOf(ms, "rabbitmq.message.acknowledged", "The number of messages acknowledged by consumers.", "{messages}", true), start, at, q.Acknowledged)
		point(sumOf(ms, "rabbitmq.message.dropped", "The number of messages dropped as unroutable.", "{messages}", true), start, at, q.Dropped)
		current := sumOf(ms, "rabbitmq.message.current", "The total number of messages currently in the queue.", "{messages}", false)
		point(current, start, at, q.Ready).Attributes().PutStr("state", "ready")
		point(current, start, at, q.Unacknowledged).Attributes().PutStr("state", "unacknowledged")
	}
	return md
}

func sumOf(ms pmetric.MetricSlice, name, description, unit string, monotonic bool) pmetric.Metric {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetDescription(description)
	m.SetUnit(unit)
	s := m.SetEmptySum()
	s.SetIsMonotonic(monotonic)
	s.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
	return m
}

func gaugeOf(ms pmetric.MetricSlice, name, description, unit string) pmetric.Metric {
	m := ms.AppendEmpty()
	m.SetName(name)
	m.SetDescription(description)
	m.SetUnit(unit)
	m.SetEmptyGauge()
	return m
}

// point appends an int point to a gauge or sum.
func point(m pmetric.Metric, start, at pcommon.Timestamp, v int64) pmetric.NumberDataPoint {
	var dp pmetric.NumberDataPoint
	if m.Type() == pmetric.MetricTypeSum {
		dp = m.Sum().DataPoints().AppendEmpty()
	} else {
		dp = m.Gauge().DataPoints().AppendEmpty()
	}
	dp.SetStartTimestamp(start)
	dp.SetTimestamp(at)
	dp.SetIntValue(v)
	return dp
}

// Protobuf is md as the body of an OTLP/HTTP protobuf export.
func Protobuf(md pmetric.Metrics) []byte {
	b, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalProto()
	if err != nil {
		panic(err) // pdata built in memory always encodes
	}
	return b
}

// JSON is md as the body of an OTLP/HTTP JSON export.
func JSON(md pmetric.Metrics) []byte {
	b, err := pmetricotlp.NewExportRequestFromMetrics(md).MarshalJSON()
	if err != nil {
		panic(err)
	}
	return b
}
