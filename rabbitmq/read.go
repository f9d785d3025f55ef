package rabbitmq

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"time"
)

// The management API's answers, only the columns asked for. Absent fields stay zero: RabbitMQ
// leaves out the statistics of a queue it has not sampled yet, and message_stats of one that
// never saw a message.

type apiOverview struct {
	ClusterName     string `json:"cluster_name"`
	RabbitMQVersion string `json:"rabbitmq_version"`
}

type apiExchange struct {
	VHost        string `json:"vhost"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	Internal     bool   `json:"internal"`
	Arguments    table  `json:"arguments"`
	MessageStats struct {
		PublishIn  int64 `json:"publish_in"`
		PublishOut int64 `json:"publish_out"`
	} `json:"message_stats"`
}

type apiQueue struct {
	VHost                     string `json:"vhost"`
	Name                      string `json:"name"`
	Type                      string `json:"type"`
	State                     string `json:"state"`
	Arguments                 table  `json:"arguments"`
	Policy                    string `json:"policy"`
	OperatorPolicy            string `json:"operator_policy"`
	EffectivePolicyDefinition table  `json:"effective_policy_definition"`
	MessagesReady             int64  `json:"messages_ready"`
	MessagesUnacknowledged    int64  `json:"messages_unacknowledged"`
	Consumers                 int    `json:"consumers"`
	HeadMessageTimestamp      *int64 `json:"head_message_timestamp"`
	MessageStats              struct {
		Publish      int64 `json:"publish"`
		DeliverGet   int64 `json:"deliver_get"`
		Ack          int64 `json:"ack"`
		Redeliver    int64 `json:"redeliver"`
		DeliverNoAck int64 `json:"deliver_no_ack"`
		GetNoAck     int64 `json:"get_no_ack"`
	} `json:"message_stats"`
}

type apiBinding struct {
	VHost           string `json:"vhost"`
	Source          string `json:"source"`
	Destination     string `json:"destination"`
	DestinationType string `json:"destination_type"`
	RoutingKey      string `json:"routing_key"`
}

var (
	overviewColumns = []string{"cluster_name", "rabbitmq_version"}
	exchangeColumns = []string{"vhost", "name", "type", "internal", "arguments",
		"message_stats.publish_in", "message_stats.publish_out"}
	queueColumns = []string{"vhost", "name", "type", "state", "arguments", "policy", "operator_policy",
		"effective_policy_definition", "messages_ready", "messages_unacknowledged", "consumers",
		"head_message_timestamp", "message_stats.publish", "message_stats.deliver_get", "message_stats.ack",
		"message_stats.redeliver", "message_stats.deliver_no_ack", "message_stats.get_no_ack"}
	bindingColumns = []string{"vhost", "source", "destination", "destination_type", "routing_key"}
)

// table is a JSON object of x-arguments or policy keys. RabbitMQ writes an empty one as [] at
// times (an empty Erlang list), which is read as empty too.
type table map[string]any

func (t *table) UnmarshalJSON(data []byte) error {
	if bytes.Equal(bytes.TrimSpace(data), []byte("[]")) {
		*t = nil
		return nil
	}
	return json.Unmarshal(data, (*map[string]any)(t))
}

// reading is one poll's answers, before rates and dead letters are worked out.
type reading struct {
	overview  apiOverview
	exchanges []apiExchange
	queues    []apiQueue
	bindings  []apiBinding
}

func (c *client) read(ctx context.Context) (reading, error) {
	var r reading
	for _, call := range []struct {
		path    string
		columns []string
		v       any
	}{
		{"/api/overview", overviewColumns, &r.overview},
		{"/api/exchanges", exchangeColumns, &r.exchanges},
		{"/api/queues", queueColumns, &r.queues},
		{"/api/bindings", bindingColumns, &r.bindings},
	} {
		if err := c.get(ctx, call.path, call.columns, call.v); err != nil {
			return reading{}, err
		}
	}
	return r, nil
}

// counterKey names a queue or an exchange for its counters.
type counterKey struct{ kind, vhost, name string }

// counters are an object's cumulative message counts at one poll, kept to turn the next poll's
// counts into rates.
type counters struct {
	at                                            time.Time
	depth, publish, deliver, ack, redeliver, gone int64
}

// topology turns a reading into a Broker, with rates against the previous poll's counters (which
// it replaces) and dead-letter queues linked.
func (r reading) topology(at time.Time, prev map[counterKey]counters) (Broker, map[counterKey]counters) {
	b := Broker{Cluster: r.overview.ClusterName, Version: r.overview.RabbitMQVersion}
	now := map[counterKey]counters{}
	for _, x := range r.exchanges {
		e := Exchange{VHost: x.VHost, Name: x.Name, Type: x.Type, Internal: x.Internal, routesAs: x.Type}
		if delayed, ok := x.Arguments["x-delayed-type"].(string); ok && x.Type == "x-delayed-message" {
			e.routesAs = delayed
		}
		c := counters{at: at, publish: x.MessageStats.PublishIn, deliver: x.MessageStats.PublishOut}
		key := counterKey{"exchange", x.VHost, x.Name}
		now[key] = c
		if p := prev[key]; p.before(c) {
			w := c.at.Sub(p.at)
			e.PublishIn, e.PublishOut, e.RatesWindow = perSecond(c.publish-p.publish, w), perSecond(c.deliver-p.deliver, w), w
		}
		b.Exchanges = append(b.Exchanges, e)
	}
	for _, x := range r.queues {
		q := Queue{VHost: x.VHost, Name: x.Name, Type: x.Type, State: x.State,
			Ready: x.MessagesReady, Unacknowledged: x.MessagesUnacknowledged, Consumers: x.Consumers,
			Policy: x.Policy, OperatorPolicy: x.OperatorPolicy,
			DeadLetter: resolveDeadLetter(x.Arguments, x.EffectivePolicyDefinition)}
		if x.HeadMessageTimestamp != nil && *x.HeadMessageTimestamp > 0 {
			q.OldestMessageAt = time.Unix(*x.HeadMessageTimestamp, 0)
		}
		s := x.MessageStats
		c := counters{at: at, depth: q.Depth(), publish: s.Publish, deliver: s.DeliverGet, ack: s.Ack,
			redeliver: s.Redeliver, gone: s.Ack + s.DeliverNoAck + s.GetNoAck}
		key := counterKey{"queue", x.VHost, x.Name}
		now[key] = c
		if p := prev[key]; p.before(c) {
			w := c.at.Sub(p.at)
			q.Rates = QueueRates{Window: w, Publish: perSecond(c.publish-p.publish, w), Deliver: perSecond(c.deliver-p.deliver, w),
				Ack: perSecond(c.ack-p.ack, w), Redeliver: perSecond(c.redeliver-p.redeliver, w),
				Inflow: max(0, perSecond(c.depth-p.depth+c.gone-p.gone, w))}
		}
		b.Queues = append(b.Queues, q)
	}
	for _, x := range r.bindings {
		b.Bindings = append(b.Bindings, Binding(x))
	}
	slices.SortFunc(b.Exchanges, func(x, y Exchange) int { return cmp.Or(cmp.Compare(x.VHost, y.VHost), cmp.Compare(x.Name, y.Name)) })
	slices.SortFunc(b.Queues, func(x, y Queue) int { return cmp.Or(cmp.Compare(x.VHost, y.VHost), cmp.Compare(x.Name, y.Name)) })
	b.queueIndex = make(map[objectKey]int, len(b.Queues))
	for i, q := range b.Queues {
		b.queueIndex[objectKey{q.VHost, q.Name}] = i
	}
	b.exchangeIndex = make(map[objectKey]int, len(b.Exchanges))
	for i, x := range b.Exchanges {
		b.exchangeIndex[objectKey{x.VHost, x.Name}] = i
		if len(b.vhosts) == 0 || b.vhosts[len(b.vhosts)-1] != x.VHost {
			b.vhosts = append(b.vhosts, x.VHost)
		}
	}
	linkDeadLetters(&b)
	return b, now
}

// before says whether the counts of an earlier poll c and those of a later one, now, make rates:
// not without an earlier poll, nor when a count went down (the broker restarted, its statistics
// were reset, or the object was deleted and declared again).
func (c counters) before(now counters) bool {
	return !c.at.IsZero() && now.at.After(c.at) && now.publish >= c.publish && now.deliver >= c.deliver &&
		now.ack >= c.ack && now.redeliver >= c.redeliver && now.gone >= c.gone
}

func perSecond(n int64, window time.Duration) float64 { return float64(n) / window.Seconds() }
