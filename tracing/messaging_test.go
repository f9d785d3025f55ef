package tracing

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestRecognizeMessaging(t *testing.T) {
	tests := []struct {
		name  string
		kind  SpanKind
		attrs map[string]any
		want  *Messaging // nil: not a flow observation
	}{
		{"current producer", KindProducer, map[string]any{
			"messaging.system": "kafka", "messaging.operation.type": "send", "messaging.destination.name": "orders",
			"server.address": "broker-1",
		}, &Messaging{Role: RoleProducer, Operation: "send", Channel: Channel{"kafka", "broker-1", "orders"}, Messages: 1}},
		{"client send is a producer", KindClient, map[string]any{
			"messaging.system": "kafka", "messaging.operation.type": "send", "messaging.destination.name": "orders",
			"messaging.batch.message_count": int64(5),
		}, &Messaging{Role: RoleProducer, Operation: "send", Channel: Channel{"kafka", "", "orders"}, Messages: 5}},
		{"template wins over name, cluster id over server address", KindProducer, map[string]any{
			"messaging.system": "kafka", "messaging.destination.name": "orders-42", "messaging.destination.template": "orders-{id}",
			"server.address": "broker-1", "messaging.kafka.cluster.id": "c1",
		}, &Messaging{Role: RoleProducer, Channel: Channel{"kafka", "c1", "orders-{id}"}, Messages: 1}},
		{"current consumer with group, error type and schema", KindConsumer, map[string]any{
			"messaging.system": "kafka", "messaging.operation.type": "process", "messaging.destination.name": "orders",
			"messaging.consumer.group.name": "billing", "error.type": "timeout",
			"messaging.message.schema.id": "7", "messaging.message.schema.version": "3",
		}, &Messaging{Role: RoleConsumer, Operation: "process", Channel: Channel{"kafka", "", "orders"}, ConsumerGroup: "billing",
			Messages: 1, Error: true, SchemaID: "7", SchemaVersion: "3"}},
		{"client receive is a consumer", KindClient, map[string]any{
			"messaging.system": "rabbitmq", "messaging.operation.type": "receive", "messaging.destination.name": "mails",
		}, &Messaging{Role: RoleConsumer, Operation: "receive", Channel: Channel{"rabbitmq", "", "mails"}, Messages: 1}},
		{"older names", KindConsumer, map[string]any{
			"messaging.system": "kafka", "messaging.operation": "process", "messaging.destination": "orders",
			"messaging.destination_kind": "topic", "messaging.kafka.consumer.group": "stock",
		}, &Messaging{Role: RoleConsumer, Operation: "process", Channel: Channel{"kafka", "", "orders"}, ConsumerGroup: "stock", Messages: 1}},
		{"consumer of conventions 1.17-1.19 names its source", KindConsumer, map[string]any{
			"messaging.system": "kafka", "messaging.operation": "process", "messaging.source.name": "orders",
			"messaging.kafka.consumer.group": "stock",
		}, &Messaging{Role: RoleConsumer, Operation: "process", Channel: Channel{"kafka", "", "orders"}, ConsumerGroup: "stock", Messages: 1}},
		{"a receive span of conventions 1.17-1.19 is not counted beside its process span", KindConsumer, map[string]any{
			"messaging.system": "kafka", "messaging.operation": "receive", "messaging.source.name": "orders",
		}, nil},
		{"a producer's source is not its destination", KindProducer, map[string]any{
			"messaging.system": "kafka", "messaging.source.name": "orders",
		}, nil},
		{"older publish on a client span", KindClient, map[string]any{
			"messaging.system": "kafka", "messaging.operation": "publish", "messaging.destination": "orders",
		}, &Messaging{Role: RoleProducer, Operation: "send", Channel: Channel{"kafka", "", "orders"}, Messages: 1}},
		{"rabbitmq routing key when there is no destination", KindProducer, map[string]any{
			"messaging.system": "rabbitmq", "messaging.rabbitmq.routing_key": "emails", "net.peer.name": "rabbit",
		}, &Messaging{Role: RoleProducer, Channel: Channel{"rabbitmq", "rabbit", "emails"}, Messages: 1}},
		{"settle is not a flow", KindClient, map[string]any{
			"messaging.system": "kafka", "messaging.operation.type": "settle", "messaging.destination.name": "orders",
		}, nil},
		{"server span with messaging attributes is not a flow", KindServer, map[string]any{
			"messaging.system": "kafka", "messaging.destination.name": "orders",
		}, nil},
		{"client span without an operation is not a flow", KindClient, map[string]any{
			"messaging.system": "kafka", "messaging.destination.name": "orders",
		}, nil},
		{"no destination", KindProducer, map[string]any{"messaging.system": "kafka"}, nil},
		{"no system", KindProducer, map[string]any{"messaging.destination.name": "orders"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := pcommon.NewMap()
			if err := attrs.FromRaw(tt.attrs); err != nil {
				t.Fatal(err)
			}
			got := recognizeMessaging(tt.kind, "", StatusUnset, attrs, "")
			switch {
			case tt.want == nil && got != nil:
				t.Fatalf("got %+v, want no messaging", *got)
			case tt.want != nil && got == nil:
				t.Fatalf("got nothing, want %+v", *tt.want)
			case tt.want != nil && *got != *tt.want:
				t.Fatalf("got  %+v\nwant %+v", *got, *tt.want)
			}
		})
	}
}

// A span kept by probability sampling counts as the spans it stands for.
func TestRecognizeMessagingWeighsSampledSpans(t *testing.T) {
	tests := []struct {
		name       string
		kind       SpanKind
		attrs      map[string]any
		want       Messaging
		traceState string
	}{
		{"kept by 10 % probability sampling", KindProducer, map[string]any{
			"messaging.system": "kafka", "messaging.destination.name": "orders",
		}, Messaging{Role: RoleProducer, Channel: Channel{"kafka", "", "orders"}, Messages: 10, Sampled: true}, "ot=th:e6666666666666"},
		{"a sampled batch stands for its messages times the adjusted count", KindConsumer, map[string]any{
			"messaging.system": "kafka", "messaging.destination.name": "orders", "messaging.batch.message_count": int64(3),
		}, Messaging{Role: RoleConsumer, Channel: Channel{"kafka", "", "orders"}, Messages: 12, Sampled: true}, "ot=th:c"},
		{"a tracestate without a threshold", KindProducer, map[string]any{
			"messaging.system": "kafka", "messaging.destination.name": "orders",
		}, Messaging{Role: RoleProducer, Channel: Channel{"kafka", "", "orders"}, Messages: 1}, "ot=rv:1234;x:y,other=z"},
	}
	for _, tt := range tests {
		attrs := pcommon.NewMap()
		if err := attrs.FromRaw(tt.attrs); err != nil {
			t.Fatal(err)
		}
		if got := recognizeMessaging(tt.kind, "", StatusUnset, attrs, tt.traceState); got == nil || *got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// One RabbitMQ topology gives one graph whichever instrumentation names it: the exchange is the
// channel, the queue the consumer's group (rabbitmq.MapSpan's own tests cover the readings).
func TestRabbitMQNames(t *testing.T) {
	tests := []struct {
		name     string
		kind     SpanKind
		spanName string
		attrs    map[string]any
		channel  string
		group    string
	}{
		{"current producer", KindProducer, "publish orders", map[string]any{"messaging.destination.name": "orders:order.placed", "messaging.rabbitmq.destination.routing_key": "order.placed"}, "orders", ""},
		{"current consumer", KindConsumer, "process orders", map[string]any{"messaging.destination.name": "orders:order.placed:billing", "messaging.rabbitmq.destination.routing_key": "order.placed"}, "orders", "billing"},
		{"current consumer, the queue left out as it equals the routing key", KindConsumer, "", map[string]any{"messaging.destination.name": "direct_logs:warning", "messaging.rabbitmq.destination.routing_key": "warning"}, "direct_logs", "warning"},
		{"amqplib publish: the exchange and a routing key", KindProducer, "publish orders", map[string]any{
			"messaging.destination": "orders", "messaging.rabbitmq.routing_key": "order.placed"}, "orders", ""},
		{"amqplib delivery: the queue only in the span name", KindConsumer, "billing process", map[string]any{
			"messaging.destination": "orders", "messaging.operation": "process"}, "orders", "billing"},
		{"a group attribute wins over the span name", KindConsumer, "billing process", map[string]any{
			"messaging.destination": "orders", "messaging.consumer.group.name": "invoices"}, "orders", "invoices"},
		{"default exchange: the routing key is the queue", KindProducer, "publish", map[string]any{
			"messaging.destination": "", "messaging.rabbitmq.routing_key": "emails"}, "emails", ""},
		{"default exchange, current consumer", KindConsumer, "", map[string]any{"messaging.destination.name": "emails", "messaging.rabbitmq.destination.routing_key": "emails"}, "emails", "emails"},
		{"default exchange, amqplib delivery", KindConsumer, "emails process", map[string]any{"messaging.operation": "process"}, "emails", "emails"},
		{"newest routing key attribute", KindProducer, "", map[string]any{"rabbitmq.destination.routing_key": "emails"}, "emails", ""},
		{"Java agent delivery: its span name names the exchange, not a queue", KindConsumer, "orders process", map[string]any{
			"messaging.destination.name": "orders", "messaging.rabbitmq.destination.routing_key": "order.placed", "messaging.operation": "process"}, "orders", ""},
		{"Java agent delivery from the default exchange: the routing key is the queue", KindConsumer, "<default> process", map[string]any{
			"messaging.destination.name": "<default>", "messaging.rabbitmq.destination.routing_key": "emails", "messaging.operation": "process"}, "emails", "emails"},
		{"pika delivery: a client receive naming the queue as destination and in the span name", KindClient, "billing receive", map[string]any{
			"messaging.destination": "billing", "messaging.operation": "receive", "net.peer.name": "rabbit"}, "billing", "billing"},
	}
	for _, tt := range tests {
		attrs := pcommon.NewMap()
		tt.attrs["messaging.system"] = "rabbitmq"
		if err := attrs.FromRaw(tt.attrs); err != nil {
			t.Fatal(err)
		}
		m := recognizeMessaging(tt.kind, tt.spanName, StatusUnset, attrs, "")
		if m == nil || m.Channel.Destination != tt.channel || m.ConsumerGroup != tt.group {
			t.Errorf("%s: got %+v, want channel %q group %q", tt.name, m, tt.channel, tt.group)
		}
	}
}

func TestChannelKey(t *testing.T) {
	for _, tt := range []struct {
		c    Channel
		want string
	}{
		{Channel{"kafka", "", "orders"}, "kafka/orders"},
		{Channel{"kafka", "c1", "orders"}, "kafka@c1/orders"},
	} {
		if got := tt.c.Key(); got != tt.want {
			t.Errorf("%+v.Key() = %q, want %q", tt.c, got, tt.want)
		}
	}
}
