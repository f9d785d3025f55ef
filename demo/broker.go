package demo

import (
	"sync"

	"go.opentelemetry.io/otel/propagation"
)

// message is what travels through the broker: a payload, the id of the schema it was written
// with (the Confluent wire format's first bytes) and the W3C trace context of the span that
// produced it, as a Kafka or RabbitMQ header would carry it.
type message struct {
	orderID int64
	schema  schemaRef
	headers propagation.MapCarrier
}

// broker is an in-process stand-in for Kafka and RabbitMQ: every subscribed group of a topic gets
// each message once. A full group queue drops the message, as a broker with a retention limit
// would lose what a stuck consumer never read.
type broker struct {
	mu     sync.Mutex
	groups map[string][]chan message // topic → one queue per consumer group
}

func newBroker() *broker { return &broker{groups: map[string][]chan message{}} }

func (b *broker) subscribe(topic string) <-chan message {
	b.mu.Lock()
	defer b.mu.Unlock()
	ch := make(chan message, 1000)
	b.groups[topic] = append(b.groups[topic], ch)
	return ch
}

func (b *broker) publish(topic string, m message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ch := range b.groups[topic] {
		select {
		case ch <- m:
		default:
		}
	}
}
