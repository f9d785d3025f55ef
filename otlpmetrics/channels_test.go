package otlpmetrics_test

import (
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/tracing"
)

// TestChannelsAsSpans holds client metrics to the channels and consumer groups tracing reads
// from spans with the same attributes, so that a flow counted by both has one key and the rule
// "spans win" can find it.
func TestChannelsAsSpans(t *testing.T) {
	cases := []struct {
		name     string
		consumer bool
		attrs    map[string]any
	}{
		{"kafka producer", false, map[string]any{"messaging.system": "kafka", "messaging.destination.name": "orders", "server.address": "broker-1"}},
		{"kafka consumer, cluster id", true, map[string]any{"messaging.system": "kafka", "messaging.destination.name": "orders",
			"messaging.kafka.cluster.id": "lkc-1", "server.address": "broker-1", "messaging.consumer.group.name": "billing"}},
		{"kafka consumer, older group name", true, map[string]any{"messaging.system": "kafka", "messaging.destination.name": "orders",
			"net.peer.name": "broker-2", "messaging.kafka.consumer.group": "stock"}},
		{"template", true, map[string]any{"messaging.system": "kafka", "messaging.destination.template": "orders.{region}",
			"messaging.destination.name": "orders.eu", "messaging.consumer.group.name": "billing"}},
		{"rabbitmq publish with routing key", false, map[string]any{"messaging.system": "rabbitmq", "messaging.destination.name": "shop:order.created",
			"messaging.rabbitmq.destination.routing_key": "order.created", "server.address": "mq"}},
		{"rabbitmq consume exchange:key:queue", true, map[string]any{"messaging.system": "rabbitmq", "messaging.destination.name": "shop:order.created:billing",
			"messaging.rabbitmq.destination.routing_key": "order.created", "server.address": "mq"}},
		{"rabbitmq default exchange", false, map[string]any{"messaging.system": "rabbitmq", "messaging.destination.name": "billing",
			"messaging.rabbitmq.destination.routing_key": "billing"}},
		{"servicebus subscription", true, map[string]any{"messaging.system": "servicebus", "messaging.destination.name": "orders",
			"messaging.destination.subscription.name": "billing-sub"}},
	}
	now := time.Now()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			td := ptrace.NewTraces()
			rs := td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr("service.name", "svc")
			sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
			sp.SetTraceID([16]byte{1})
			sp.SetSpanID([8]byte{1})
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
			sp.SetKind(ptrace.SpanKindProducer)
			metric := "messaging.client.sent.messages"
			if c.consumer {
				sp.SetKind(ptrace.SpanKindConsumer)
				metric = "messaging.client.consumed.messages"
			}
			if err := sp.Attributes().FromRaw(c.attrs); err != nil {
				t.Fatal(err)
			}
			spans, err := tracing.FromTraces(td, tracing.DecodeLimits{})
			if err != nil || len(spans.Spans) != 1 || spans.Spans[0].Messaging == nil {
				t.Fatalf("span not read: %v %+v", err, spans)
			}
			want := spans.Spans[0].Messaging

			md := pmetric.NewMetrics()
			rm := md.ResourceMetrics().AppendEmpty()
			rm.Resource().Attributes().PutStr("service.name", "svc")
			m := rm.ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
			m.SetName(metric)
			dp := m.SetEmptySum().DataPoints().AppendEmpty()
			dp.SetTimestamp(pcommon.NewTimestampFromTime(now))
			dp.SetIntValue(1)
			if err := dp.Attributes().FromRaw(c.attrs); err != nil {
				t.Fatal(err)
			}
			d, err := otlpmetrics.FromMetrics(md, otlpmetrics.DecodeLimits{})
			if err != nil || len(d.Series) != 1 {
				t.Fatalf("metric not read: %v %+v", err, d)
			}
			got := d.Series[0].Labels
			if tracing.Channel(got.Channel) != want.Channel || got.Channel.Key() != want.Channel.Key() || got.Group != want.ConsumerGroup {
				t.Fatalf("metric: %+v group %q\n  span: %+v group %q", got.Channel, got.Group, want.Channel, want.ConsumerGroup)
			}
		})
	}
}
