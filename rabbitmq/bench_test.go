package rabbitmq

import (
	"fmt"
	"testing"
	"time"
)

// benchReading is a broker with n work queues bound to a topic exchange, each dead-lettering
// (without a routing key, so through its bindings' keys) to one shared direct exchange where its
// DLQ is bound by the work queue's name: the common one-DLX-per-vhost layout.
func benchReading(n int) reading {
	r := reading{exchanges: exchanges("/", "events", "topic", "dlx", "direct")}
	for i := range n {
		name := fmt.Sprintf("svc%d.work", i)
		r.queues = append(r.queues,
			apiQueue{VHost: "/", Name: name, Arguments: table{"x-dead-letter-exchange": "dlx"}},
			apiQueue{VHost: "/", Name: name + ".dlq"})
		r.bindings = append(r.bindings,
			apiBinding{VHost: "/", Source: "events", Destination: name, DestinationType: "queue", RoutingKey: fmt.Sprintf("svc%d.*.created", i)},
			apiBinding{VHost: "/", Source: "dlx", Destination: name + ".dlq", DestinationType: "queue", RoutingKey: name})
	}
	return r
}

// BenchmarkTopology measures turning one poll's answers into a Topology, dead-letter queues
// linked, for a broker of 5,000 work queues and their 5,000 DLQs.
func BenchmarkTopology(b *testing.B) {
	r := benchReading(5000)
	at := time.Unix(1000, 0)
	var prev map[counterKey]counters
	for b.Loop() {
		t, counts := r.topology(at, prev)
		if len(t.Queues[0].DeadLetterQueues) != 1 {
			b.Fatalf("dead-letter queues %q", t.Queues[0].DeadLetterQueues)
		}
		prev, at = counts, at.Add(30*time.Second)
	}
}
