package rabbitmq

import "time"

// Topology is what the brokers told at their last polls, one Broker per configured URL, in the
// order they were configured.
type Topology struct {
	Brokers []Broker
}

// State is how the last poll of a broker went.
type State string

const (
	StatePending      State = "pending"      // not polled yet
	StateOK           State = "ok"           // the last poll read everything
	StateUnauthorized State = "unauthorized" // 401/403: wrong credentials, or a user without a management tag
	StateUnreachable  State = "unreachable"  // no answer: refused, unknown host, or slower than the timeout
	StateError        State = "error"        // an answer that cannot be used: 5xx, malformed, too large
)

// Broker is one management API and what it last told. While polls fail, Exchanges, Queues and
// Bindings stay those of the last successful poll (LastSuccess says how old they are).
type Broker struct {
	URL         string // the management URL, its password redacted
	Cluster     string // the broker's cluster_name
	Version     string // the RabbitMQ version
	State       State
	LastError   string // why the last poll failed; empty when it did not
	LastAttempt time.Time
	LastSuccess time.Time
	// Polls, PollErrors and PollSeconds count this process's polls since it started: how many,
	// how many failed, and the time they took in all.
	Polls, PollErrors int64
	PollSeconds       float64

	Exchanges []Exchange
	Queues    []Queue
	Bindings  []Binding

	queueIndex    map[objectKey]int // position in Queues
	exchangeIndex map[objectKey]int // position in Exchanges
	vhosts        []string          // the virtual hosts that have exchanges, sorted
}

// objectKey names a queue or an exchange within a broker.
type objectKey struct{ vhost, name string }

// Exchange is one exchange of one virtual host. The default exchange is named "" (spans call it
// "amq.default").
type Exchange struct {
	VHost    string
	Name     string
	Type     string // direct, fanout, topic, headers, or a plugin's type such as x-delayed-message
	Internal bool
	routesAs string // how it routes: Type, or for x-delayed-message its x-delayed-type

	// Messages per second over RatesWindow: published to the exchange, and routed by it to queues
	// or exchanges. RatesWindow is 0 until two successive polls saw the exchange.
	PublishIn   float64
	PublishOut  float64
	RatesWindow time.Duration
}

// Queue is one queue of one virtual host.
type Queue struct {
	VHost string
	Name  string
	Type  string // classic, quorum or stream
	State string // running, idle, flow, down…

	Ready          int64 // messages waiting for a consumer
	Unacknowledged int64 // messages delivered, not yet acknowledged
	Consumers      int
	Rates          QueueRates

	// OldestMessageAt is the timestamp property of the message at the head of the queue, which
	// RabbitMQ reports for classic queues when publishers set it; zero when unknown.
	OldestMessageAt time.Time

	Policy         string // the policy that applies to the queue, if any
	OperatorPolicy string // the operator policy that applies, if any

	// DeadLetter is where the queue dead-letters rejected, expired and overflowing messages; nil
	// when it does not.
	DeadLetter *DeadLetter
	// DeadLetterQueues are the queues of the same virtual host that receive this queue's dead
	// letters, by name; DeadLetterOf are the queues whose dead letters this queue receives.
	DeadLetterQueues []string
	DeadLetterOf     []string
}

// Depth is the number of messages in the queue, ready or unacknowledged.
func (q Queue) Depth() int64 { return q.Ready + q.Unacknowledged }

// QueueRates are messages per second over Window, the time between the two last polls that saw
// the queue; Window is 0 until there are two (or after the broker reset its counters).
type QueueRates struct {
	Window    time.Duration
	Publish   float64 // published into the queue by clients
	Deliver   float64 // delivered to consumers or fetched with basic.get
	Ack       float64
	Redeliver float64
	// Inflow is every message that arrived, published or dead-lettered into the queue: the change
	// in depth plus what consumers took away. RabbitMQ counts no publish for dead-lettered
	// messages, so for a dead-letter queue this is its dead-letter inflow. Messages that leave
	// otherwise (expired, purged, rejected from this queue) are not seen, so it can read low.
	Inflow float64
}

// DeadLetter is a queue's dead-letter setting. Each key is resolved the way RabbitMQ resolves it:
// the queue's x-argument wins over the policy (operator policies cannot set these keys).
type DeadLetter struct {
	Exchange     string // "" is the default exchange
	ExchangeFrom string // "arguments" or "policy"
	// RoutingKey replaces the messages' routing keys when RoutingKeySet; otherwise dead letters
	// keep the keys they were published with.
	RoutingKey     string
	RoutingKeySet  bool
	RoutingKeyFrom string // "arguments", "policy", or "" when no key is set
	// ExchangeMissing says the exchange does not exist, so RabbitMQ drops the dead letters.
	ExchangeMissing bool
}

// Binding routes from an exchange to a queue or to another exchange.
type Binding struct {
	VHost           string
	Source          string // the exchange; "" is the default exchange
	Destination     string
	DestinationType string // "queue" or "exchange"
	RoutingKey      string
}

// Queue finds a queue by virtual host and name.
func (b Broker) Queue(vhost, name string) (Queue, bool) {
	i, ok := b.queueIndex[objectKey{vhost, name}]
	if !ok {
		return Queue{}, false
	}
	return b.Queues[i], true
}

// DeadLetterQueuesOf returns the queues that receive the dead letters of the named queue, with
// their depth and inflow.
func (b Broker) DeadLetterQueuesOf(vhost, name string) []Queue {
	source, ok := b.Queue(vhost, name)
	if !ok {
		return nil
	}
	var dlqs []Queue
	for _, n := range source.DeadLetterQueues {
		if q, ok := b.Queue(vhost, n); ok {
			dlqs = append(dlqs, q)
		}
	}
	return dlqs
}
