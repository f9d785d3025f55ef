package rabbitmq

import (
	"testing"
	"time"
)

func TestMapSpan(t *testing.T) {
	for _, c := range []struct {
		name string
		span SpanNames
		want Names
	}{
		// Producers.
		{"amqplib publish", SpanNames{Destination: "orders", RoutingKey: "order.created", SpanName: "publish orders"},
			Names{Exchange: "orders", RoutingKey: "order.created"}},
		{"amqplib sendToQueue: the default exchange is empty", SpanNames{Destination: "", RoutingKey: "billing"},
			Names{Exchange: DefaultExchange, RoutingKey: "billing"}},
		{"Java agent default exchange", SpanNames{Destination: "<default>", RoutingKey: "billing", SpanName: "<default> publish"},
			Names{Exchange: DefaultExchange, RoutingKey: "billing"}},
		{".NET default exchange", SpanNames{Destination: "amq.default", RoutingKey: "billing"},
			Names{Exchange: DefaultExchange, RoutingKey: "billing"}},
		{"current exchange:routing_key", SpanNames{Destination: "direct_logs:warning", RoutingKey: "warning"},
			Names{Exchange: "direct_logs", RoutingKey: "warning"}},
		{"current default exchange leaves the key alone", SpanNames{Destination: "billing", RoutingKey: "billing"},
			Names{Exchange: DefaultExchange, RoutingKey: "billing"}},
		{"current exchange with an empty key", SpanNames{Destination: "logs"}, Names{Exchange: "logs"}},
		{"current nothing left", SpanNames{Destination: "amq.default"}, Names{Exchange: DefaultExchange}},
		{"an exchange name with a colon (MassTransit) stays whole", SpanNames{Destination: "MyApp.Contracts:OrderSubmitted"},
			Names{Exchange: "MyApp.Contracts:OrderSubmitted"}},
		{"current with a colon in the exchange", SpanNames{Destination: "a:b:k", RoutingKey: "k"},
			Names{Exchange: "a:b", RoutingKey: "k"}},

		// Consumers.
		{"amqplib process: the queue only in the span name", SpanNames{Consumer: true, Destination: "orders", RoutingKey: "order.created", SpanName: "billing process"},
			Names{Exchange: "orders", RoutingKey: "order.created", Queue: "billing"}},
		{"amqplib from the default exchange", SpanNames{Consumer: true, Destination: "", RoutingKey: "billing", SpanName: "billing process"},
			Names{Exchange: DefaultExchange, RoutingKey: "billing", Queue: "billing"}},
		{"Java agent default exchange: the key is the queue", SpanNames{Consumer: true, Destination: "<default>", RoutingKey: "billing", SpanName: "<default> process"},
			Names{Exchange: DefaultExchange, RoutingKey: "billing", Queue: "billing"}},
		{"current exchange:routing_key:queue", SpanNames{Consumer: true, Destination: "orders:order.created:billing", RoutingKey: "order.created", SpanName: "process orders:order.created:billing"},
			Names{Exchange: "orders", RoutingKey: "order.created", Queue: "billing"}},
		{"current queue equal to the key is left out", SpanNames{Consumer: true, Destination: "direct_logs:warning", RoutingKey: "warning"},
			Names{Exchange: "direct_logs", RoutingKey: "warning", Queue: "warning"}},
		{"current default exchange: key and queue are one", SpanNames{Consumer: true, Destination: "billing", RoutingKey: "billing"},
			Names{Exchange: DefaultExchange, RoutingKey: "billing", Queue: "billing"}},
		{"current with colons in exchange and queue", SpanNames{Consumer: true, Destination: "a:b:k:q:r", RoutingKey: "k"},
			Names{Exchange: "a:b", RoutingKey: "k", Queue: "q:r"}},
		{"receive names the queue too", SpanNames{Consumer: true, Destination: "orders", RoutingKey: "x", SpanName: "billing receive"},
			Names{Exchange: "orders", RoutingKey: "x", Queue: "billing"}},
		{"no queue anywhere", SpanNames{Consumer: true, Destination: "orders", RoutingKey: "x", SpanName: "process orders"},
			Names{Exchange: "orders", RoutingKey: "x"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := MapSpan(c.span); got != c.want {
				t.Errorf("MapSpan(%+v)\n got %+v\nwant %+v", c.span, got, c.want)
			}
		})
	}
}

func TestChannel(t *testing.T) {
	for _, c := range []struct {
		names Names
		want  string
	}{
		{Names{Exchange: "orders", RoutingKey: "order.created", Queue: "billing"}, "orders"},
		{Names{Exchange: DefaultExchange, RoutingKey: "billing"}, "billing"},
		{Names{Exchange: DefaultExchange, Queue: "billing"}, "billing"},
	} {
		if got := c.names.Channel(); got != c.want {
			t.Errorf("%+v: channel %q, want %q", c.names, got, c.want)
		}
	}
}

// testBroker builds a Broker from answers such as the management API gives, without HTTP.
func testBroker(r reading) Broker {
	b, _ := r.topology(time.Unix(1000, 0), nil)
	return b
}

func exchanges(vhost string, nameType ...string) []apiExchange {
	xs := []apiExchange{{VHost: vhost, Name: "", Type: "direct"}}
	for i := 0; i < len(nameType); i += 2 {
		xs = append(xs, apiExchange{VHost: vhost, Name: nameType[i], Type: nameType[i+1]})
	}
	return xs
}

func queues(vhost string, names ...string) []apiQueue {
	var qs []apiQueue
	for _, n := range names {
		qs = append(qs, apiQueue{VHost: vhost, Name: n, Type: "classic"})
	}
	return qs
}

// The broker settles what a name alone cannot: whether the parts name real exchanges and queues.
func TestBrokerMapSpan(t *testing.T) {
	b := testBroker(reading{
		exchanges: append(exchanges("/", "logs", "fanout", "orders", "topic"), exchanges("shop", "payments", "direct")...),
		queues:    append(queues("/", "audit", "billing"), queues("shop", "refunds")...),
	})
	for _, c := range []struct {
		name string
		span SpanNames
		want Names
	}{
		{"exchange:queue with an empty key", SpanNames{Consumer: true, Destination: "logs:audit"},
			Names{Exchange: "logs", Queue: "audit", VHost: "/"}},
		{"an exchange named like its key, no such queue", SpanNames{Destination: "orders", RoutingKey: "orders"},
			Names{Exchange: "orders", RoutingKey: "orders", VHost: "/"}},
		{"the default exchange with a queue of that name", SpanNames{Destination: "billing", RoutingKey: "billing"},
			Names{Exchange: DefaultExchange, RoutingKey: "billing", VHost: "/"}},
		{"a span name that names the exchange, not a queue", SpanNames{Consumer: true, Destination: "orders", RoutingKey: "x", SpanName: "orders process"},
			Names{Exchange: "orders", RoutingKey: "x", VHost: "/"}},
		{"found in another virtual host", SpanNames{Consumer: true, Destination: "payments", RoutingKey: "refund", SpanName: "refunds process"},
			Names{Exchange: "payments", RoutingKey: "refund", Queue: "refunds", VHost: "shop"}},
		{"unknown everywhere: the most likely reading", SpanNames{Consumer: true, Destination: "nowhere:k:q", RoutingKey: "k"},
			Names{Exchange: "nowhere", RoutingKey: "k", Queue: "q"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := b.MapSpan(c.span); got != c.want {
				t.Errorf("MapSpan(%+v)\n got %+v\nwant %+v", c.span, got, c.want)
			}
			if got := (Topology{Brokers: []Broker{{}, b}}).MapSpan(c.span); got != c.want {
				t.Errorf("Topology.MapSpan(%+v)\n got %+v\nwant %+v", c.span, got, c.want)
			}
		})
	}
}
