package rabbitmq

import (
	"cmp"
	"strings"
)

// What RabbitMQ spans say, and what it means. Instrumentations name things three ways:
//
//   - the old conventions (amqplib's, the Java agent's default, up to semconv 1.24):
//     messaging.destination(.name) is the exchange, "" or "<default>" for the default exchange,
//     the routing key is an attribute of its own; amqplib's consumer names its queue only in the
//     span name, "<queue> process", while the Java agent's span name ("<exchange> process")
//     names no queue, so callers pass SpanName only for spans of the oldest names
//     (messaging.destination, before semconv 1.17);
//   - the current conventions: "{exchange}:{routing key}" when sending and
//     "{exchange}:{routing key}:{queue}" when consuming, empty parts left out (so the default
//     exchange leaves no part), the queue left out when it equals the routing key, and
//     "amq.default" when nothing is left;
//   - the .NET client's: the bare exchange, "amq.default" when empty.
//
// A name alone can be read more than one way (exchange and queue names may hold colons), so the
// candidates are tried in order of likelihood, and Broker.MapSpan keeps the first one whose
// exchange and queue exist.

// DefaultExchange is the name spans and pages use for the exchange RabbitMQ calls "".
const DefaultExchange = "amq.default"

// SpanNames is what a messaging span with messaging.system "rabbitmq" says about its message.
type SpanNames struct {
	// Consumer is true for a span that receives or processes a message, false for one that sends.
	Consumer bool
	// Destination is messaging.destination.name, or the older messaging.destination.
	Destination string
	// RoutingKey is messaging.rabbitmq.destination.routing_key (or rabbitmq.destination.routing_key,
	// or the older messaging.rabbitmq.routing_key).
	RoutingKey string
	// SpanName is the span's name, where old instrumentations name the queue; "" when the
	// span's conventions name no queue there.
	SpanName string
}

// Names are where a message went: the exchange it was published to (the channel) and, for a
// consumer, the queue it was read from (the consumer's group).
type Names struct {
	Exchange   string // DefaultExchange for the default exchange
	RoutingKey string
	Queue      string // "" when the span does not tell
	VHost      string // set by Broker.MapSpan when the broker has the exchange (and queue)
}

// Channel is the channel eventlens's flows name for these names: the exchange, but for the
// default exchange, which routes by queue name, the routing key (the queue), as tracing names it.
func (n Names) Channel() string {
	if n.Exchange == DefaultExchange {
		return cmp.Or(n.RoutingKey, n.Queue)
	}
	return n.Exchange
}

// MapSpan reads a span's names the most likely way, knowing nothing of the broker.
func MapSpan(s SpanNames) Names { return readings(s)[0] }

// MapSpan reads a span's names the first way that names an exchange, and queue if any, that this
// broker has in one virtual host (the default exchange only with a queue its routing key names);
// failing that, the most likely way.
func (b Broker) MapSpan(s SpanNames) Names {
	all := readings(s)
	for _, n := range all {
		for _, vhost := range b.vhosts {
			_, hasExchange := b.exchangeIndex[objectKey{vhost, brokerName(n.Exchange)}]
			queue := n.Queue
			if queue == "" && n.Exchange == DefaultExchange {
				queue = n.RoutingKey // the default exchange routes only to the queue its key names
			}
			_, hasQueue := b.queueIndex[objectKey{vhost, queue}]
			if hasExchange && (queue == "" || hasQueue) {
				n.VHost = vhost
				return n
			}
		}
	}
	return all[0]
}

// MapSpan reads a span's names against the first broker that has them, or the most likely way.
func (t Topology) MapSpan(s SpanNames) Names {
	for _, b := range t.Brokers {
		if n := b.MapSpan(s); n.VHost != "" {
			return n
		}
	}
	return MapSpan(s)
}

// readings are the ways a span's names can be read, the most likely first; never empty.
func readings(s SpanNames) []Names {
	d, key := s.Destination, s.RoutingKey
	var out []Names
	add := func(exchange, queue string) {
		out = append(out, Names{Exchange: spanExchange(exchange), RoutingKey: key, Queue: queue})
	}
	if !s.Consumer {
		if key != "" && strings.HasSuffix(d, ":"+key) {
			add(strings.TrimSuffix(d, ":"+key), "") // exchange:routing_key
		}
		if key != "" && d == key {
			add("", "") // the default exchange, left out, and the routing key
		}
		add(d, "") // the exchange alone
		if i := strings.LastIndexByte(d, ':'); key == "" && i >= 0 {
			add(d[:i], "") // exchange:routing_key without the routing-key attribute
			out[len(out)-1].RoutingKey = d[i+1:]
		}
		return out
	}
	if key != "" {
		for i := 0; ; {
			j := strings.Index(d[i:], ":"+key+":")
			if j < 0 {
				break
			}
			add(d[:i+j], d[i+j+len(key)+2:]) // exchange:routing_key:queue
			i += j + 1
		}
		if strings.HasSuffix(d, ":"+key) {
			add(strings.TrimSuffix(d, ":"+key), key) // exchange:routing_key, the queue being the key
		}
		if d == key {
			add("", key) // the default exchange routes a key to the queue of that name
		}
	}
	queue := queueInSpanName(s.SpanName)
	if queue == "" && isDefaultExchange(d) {
		queue = key
	}
	add(d, queue) // the old conventions
	if queue != "" {
		add(d, "") // the old conventions, the span name naming no queue after all
	}
	if key != "" && strings.HasPrefix(d, key+":") {
		add("", strings.TrimPrefix(d, key+":")) // routing_key:queue from the default exchange
	}
	for i := 0; key == "" && i < len(d); i++ {
		if d[i] == ':' {
			add(d[:i], d[i+1:]) // exchange:queue, the routing key empty
		}
	}
	return out
}

// queueInSpanName finds the queue in an old consumer span name, "<queue> process" (amqplib) or
// "<queue> receive"; "<default> process" names no queue.
func queueInSpanName(name string) string {
	for _, op := range []string{" process", " receive", " deliver"} {
		if q, ok := strings.CutSuffix(name, op); ok && q != "" && !isDefaultExchange(q) {
			return q
		}
	}
	return ""
}

func isDefaultExchange(name string) bool {
	return name == "" || strings.EqualFold(name, DefaultExchange) || name == "<default>" || name == "(default)"
}

// spanExchange is the name the console uses for an exchange a span names.
func spanExchange(name string) string {
	if isDefaultExchange(name) {
		return DefaultExchange
	}
	return name
}

// brokerName is the name RabbitMQ uses for an exchange the console names.
func brokerName(exchange string) string {
	if exchange == DefaultExchange {
		return ""
	}
	return exchange
}
