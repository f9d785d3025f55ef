package brokers

import (
	"testing"
	"time"

	"github.com/eventlens/eventlens/kafkalag"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/tracing"
)

// Burrow's verdicts become statuses: WARN degrades, STALL (and the other errors) fail, with
// the worst partition's reason; OK leaves the status to the spans.
func TestKafkaSignals(t *testing.T) {
	groups := []kafkalag.GroupStatus{
		{Group: "billing", Members: 2, Topics: []kafkalag.TopicLag{{Topic: "orders", Lag: 30, TimeLag: time.Minute}},
			Partitions: []kafkalag.PartitionStatus{{Topic: "orders", Status: kafkalag.StatusOK}}},
		{Group: "shipping", Topics: []kafkalag.TopicLag{{Topic: "orders", Lag: 300}, {Topic: "returns", Lag: 5}},
			Partitions: []kafkalag.PartitionStatus{
				{Topic: "orders", Status: kafkalag.StatusWarn, Reason: "lag grew"},
				{Topic: "orders", Status: kafkalag.StatusStall, Reason: "commit stuck"},
				{Topic: "returns", Status: kafkalag.StatusWarn, Reason: "lag grew on returns"},
			}},
	}
	got := kafkaSignals(groups)
	want := []struct {
		group, topic, status, reason string
		lag                          int64
	}{
		{"billing", "orders", "", "", 30},
		{"shipping", "orders", tracing.StatusFailing, "commit stuck", 300},
		{"shipping", "returns", tracing.StatusDegraded, "lag grew on returns", 5},
	}
	if len(got) != len(want) {
		t.Fatalf("%d signals, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		reason := ""
		if len(g.Reasons) > 0 {
			reason = g.Reasons[0]
		}
		if g.Group != w.group || g.Channel.Destination != w.topic || g.Status != w.status || reason != w.reason || *g.Lag != w.lag {
			t.Errorf("signal %d: %+v (reason %q), want %+v", i, g, reason, w)
		}
	}
	if got[0].TimeLag == nil || *got[0].TimeLag != time.Minute || *got[0].Consumers != 2 {
		t.Errorf("billing's time lag and members: %+v", got[0])
	}
}

// A Collector's broker metrics add the groups and queues no poll reports, and never a second
// figure for one a poll does.
func TestMetricSignalsYieldToPolls(t *testing.T) {
	polled := []tracing.BrokerSignal{
		{Source: "kafka", Channel: tracing.Channel{System: "kafka", Destination: "orders"}, Group: "billing"},
		{Source: "rabbitmq", Channel: tracing.Channel{System: "rabbitmq", Destination: "mails"}, Group: "mailer"},
	}
	snap := otlpmetrics.Snapshot{
		Kafka: []otlpmetrics.KafkaGroupLag{
			{Channel: otlpmetrics.Channel{System: "kafka", Cluster: "prod", Destination: "orders"}, Group: "billing", Lag: 1, Members: -1},
			{Channel: otlpmetrics.Channel{System: "kafka", Cluster: "prod", Destination: "orders"}, Group: "audit", Lag: 40, Members: 3},
		},
		RabbitMQ: []otlpmetrics.RabbitQueue{
			{Queue: "mailer", Ready: 9},
			{Queue: "sms", Ready: 4, Unacknowledged: 1, Consumers: 1},
		},
	}
	got := metricSignals(snap, polled)
	if len(got) != 2 {
		t.Fatalf("%d signals, want audit and sms: %+v", len(got), got)
	}
	if a := got[0]; a.Group != "audit" || *a.Lag != 40 || *a.Consumers != 3 || a.Source != "otlp-metrics" || a.Channel.Cluster != "" {
		t.Errorf("audit: %+v", a)
	}
	if s := got[1]; s.Group != "sms" || s.Channel.Destination != "sms" || *s.QueueDepth != 5 || *s.Consumers != 1 {
		t.Errorf("sms: %+v", s)
	}
}
