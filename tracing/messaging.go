package tracing

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/eventlens/eventlens/rabbitmq"
)

// Role is what a messaging span does to its channel.
type Role uint8

const (
	RoleProducer Role = iota + 1 // sends messages to the channel
	RoleConsumer                 // receives or processes messages from the channel
)

func (r Role) String() string {
	switch r {
	case RoleProducer:
		return "produce"
	case RoleConsumer:
		return "consume"
	}
	return "none"
}

// Channel is where messages go: a messaging system, the cluster it runs as and a destination
// (topic, queue, exchange). Two spans with the same Channel talk about the same place.
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

// Messaging is what a producing or consuming span says about its channel.
type Messaging struct {
	Role          Role
	Operation     string // create, send, receive, process (older names mapped onto these)
	Channel       Channel
	ConsumerGroup string // consumers only
	Messages      int    // messages the span stands for: messaging.batch.message_count (or 1) times its adjusted count
	Sampled       bool   // the span was kept by probability sampling and stands for others too
	Error         bool   // span status ERROR or an error.type attribute
	SchemaID      string // messaging.message.schema.id, if the instrumentation sets it
	SchemaVersion string // messaging.message.schema.version
}

// olderOperations maps messaging.operation values of older semantic conventions onto
// messaging.operation.type.
var olderOperations = map[string]string{
	"publish": "send", "send": "send", "create": "create",
	"receive": "receive", "process": "process", "deliver": "process", "settle": "settle",
}

// recognizeMessaging returns the messaging view of a span, or nil when the span neither
// produces to nor consumes from a channel.
//
// Edges come from single spans (see DESIGN.md): a producer is a PRODUCER span, or a CLIENT span
// whose operation is send; a consumer is a CONSUMER span (process or receive), or a CLIENT span
// whose operation is receive. Settle spans and spans without a system or destination are not
// flow observations.
//
// traceState is the span's W3C tracestate: a span kept by probability sampling counts as the
// spans it stands for (see adjustedCount), so rates stay right when a Collector samples.
func recognizeMessaging(kind SpanKind, name string, status StatusCode, attrs pcommon.Map, traceState string) *Messaging {
	system := str(attrs, "messaging.system")
	if system == "" {
		return nil
	}
	op := str(attrs, "messaging.operation.type")
	if op == "" {
		op = olderOperations[strings.ToLower(str(attrs, "messaging.operation"))]
	}
	var role Role
	switch {
	case op == "settle":
		return nil
	case kind == KindProducer:
		role = RoleProducer
	case kind == KindConsumer:
		role = RoleConsumer
	case kind == KindClient && (op == "send" || op == "publish"):
		role = RoleProducer
	case kind == KindClient && op == "receive":
		role = RoleConsumer
	default:
		return nil
	}
	dest := firstStr(attrs,
		"messaging.destination.template",
		"messaging.destination.name",
		"messaging.destination", // older conventions: the name itself, with messaging.destination_kind
	)
	if dest == "" && role == RoleConsumer && op != "receive" {
		// Conventions 1.17 to 1.19 (franz-go's kotel among their instrumentations) name a
		// consumer's topic or queue its source. Their receive spans are not read: kotel makes
		// one per record and the record's process span is its child, so both would count it.
		dest = str(attrs, "messaging.source.name")
	}
	var queue string
	if system == "rabbitmq" {
		// One topology gives one graph whichever convention the instrumentation follows: the
		// exchange is the channel, the queue the consumer's group (see rabbitmq.MapSpan).
		// Only instrumentations of the old conventions (messaging.destination: amqplib, pika) name
		// the queue in the span name; from 1.17 on it is "{destination} {operation}" (the Java
		// agent's "orders process" names the exchange) or "{operation} {destination}".
		spanName := name
		if str(attrs, "messaging.destination.name") != "" {
			spanName = ""
		}
		n := rabbitmq.MapSpan(rabbitmq.SpanNames{Consumer: role == RoleConsumer, Destination: dest,
			RoutingKey: firstStr(attrs, rabbitRoutingKeys...), SpanName: spanName})
		dest, queue = n.Channel(), n.Queue
	}
	if dest == "" {
		return nil
	}
	m := &Messaging{
		Role:      role,
		Operation: op,
		Channel: Channel{
			System:      system,
			Cluster:     firstStr(attrs, "messaging.kafka.cluster.id", "server.address", "net.peer.name"),
			Destination: dest,
		},
		Messages:      1,
		Error:         status == StatusError || str(attrs, "error.type") != "",
		SchemaID:      str(attrs, "messaging.message.schema.id"),
		SchemaVersion: str(attrs, "messaging.message.schema.version"),
	}
	if n, ok := attrs.Get("messaging.batch.message_count"); ok && n.Type() == pcommon.ValueTypeInt && n.Int() > 1 && n.Int() < 1<<20 {
		m.Messages = int(n.Int())
	}
	if adjusted := adjustedCount(traceState); adjusted != 1 {
		m.Messages, m.Sampled = weigh(m.Messages, adjusted), true
	}
	if role == RoleConsumer {
		m.ConsumerGroup = firstStr(attrs,
			"messaging.consumer.group.name",
			"messaging.kafka.consumer.group",
			"messaging.kafka.consumer_group",
			"messaging.rabbitmq.consumer.queue",
			"messaging.eventhubs.consumer.group",
			"messaging.servicebus.destination.subscription_name",
			"messaging.destination.subscription.name",
		)
		if m.ConsumerGroup == "" {
			m.ConsumerGroup = queue
		}
	}
	return m
}

// rabbitRoutingKeys are the attributes RabbitMQ instrumentations have named the routing key by.
var rabbitRoutingKeys = []string{"rabbitmq.destination.routing_key", "messaging.rabbitmq.destination.routing_key", "messaging.rabbitmq.routing_key"}

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
