package rabbitmq

import (
	"slices"
	"strings"
	"testing"
)

func TestTopicMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, key string
		want         bool
	}{
		{"order.created", "order.created", true},
		{"order.created", "order.paid", false},
		{"order.*", "order.created", true},
		{"order.*", "order", false},
		{"order.*", "order.created.eu", false},
		{"order.#", "order", true},
		{"order.#", "order.created.eu", true},
		{"#.eu", "order.created.eu", true},
		{"#.eu", "eu", true},
		{"#", "", true},  // the empty key has no words: # matches it
		{"*", "", false}, // and * wants one (both checked against RabbitMQ 3.10)
		{"*.*.eu", "order.created.eu", true},
		{"order.#.eu", "order.eu", true},
		{"order.#.eu", "order.a.b.eu", true},
		{"order.#.eu", "order.a.b.us", false},
		{"#.#", "a", true},
		{"order.*", "order.*", true},        // a key's "*" is a word like any other
		{"order.created", "order.*", false}, // and matches no other word
		{"", "", true},                      // the empty binding key matches the empty key only
		{"", "a", false},
		{strings.Repeat("a.", 200) + "a", strings.Repeat("a.", 200) + "a", false}, // longer than AMQP allows
	} {
		if got := topicMatch(c.pattern, c.key); got != c.want {
			t.Errorf("topicMatch(%q, %q) = %v, want %v", c.pattern, c.key, got, c.want)
		}
	}
}

func TestTopicOverlap(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"order.*", "order.created", true},
		{"order.*", "*.created", true},
		{"order.*", "payment.*", false},
		{"order.#", "#.eu", true},    // order.eu
		{"order.*", "*.*.eu", false}, // two words against three
		{"order.#", "*.*.eu", true},  // order.x.eu
		{"#", "anything.at.all", true},
		{"a.*.c", "a.#.d", false},
		{"a.#.c", "#.b.#", true}, // a.b.c
		{"*", "#.#", true},
		{"*.*", "#.x.#.y.#", true}, // x.y
		{"*", "#.x.#.y.#", false},
	} {
		for _, order := range [][2]string{{c.a, c.b}, {c.b, c.a}} {
			if got := topicOverlap(order[0], order[1]); got != c.want {
				t.Errorf("topicOverlap(%q, %q) = %v, want %v", order[0], order[1], got, c.want)
			}
		}
	}
}

func TestResolveDeadLetter(t *testing.T) {
	for _, c := range []struct {
		name         string
		args, policy map[string]any
		want         *DeadLetter
	}{
		{"none", nil, map[string]any{"max-length": 10.0}, nil},
		{"arguments", map[string]any{"x-dead-letter-exchange": "dlx", "x-dead-letter-routing-key": "dead"}, nil,
			&DeadLetter{Exchange: "dlx", ExchangeFrom: "arguments", RoutingKey: "dead", RoutingKeySet: true, RoutingKeyFrom: "arguments"}},
		{"policy", nil, map[string]any{"dead-letter-exchange": "dlx"},
			&DeadLetter{Exchange: "dlx", ExchangeFrom: "policy"}},
		{"arguments win over the policy",
			map[string]any{"x-dead-letter-exchange": "from-args"},
			map[string]any{"dead-letter-exchange": "from-policy", "dead-letter-routing-key": "dead"},
			&DeadLetter{Exchange: "from-args", ExchangeFrom: "arguments", RoutingKey: "dead", RoutingKeySet: true, RoutingKeyFrom: "policy"}},
		{"a routing key without an exchange dead-letters nothing", map[string]any{"x-dead-letter-routing-key": "dead"}, nil, nil},
		{"the default exchange, an empty key set on purpose", map[string]any{"x-dead-letter-exchange": "", "x-dead-letter-routing-key": ""}, nil,
			&DeadLetter{Exchange: "", ExchangeFrom: "arguments", RoutingKeySet: true, RoutingKeyFrom: "arguments"}},
		{"a value that is no string is not a setting", map[string]any{"x-dead-letter-exchange": 7.0}, map[string]any{"dead-letter-exchange": "dlx"},
			&DeadLetter{Exchange: "dlx", ExchangeFrom: "policy"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := resolveDeadLetter(c.args, c.policy)
			if (got == nil) != (c.want == nil) || (got != nil && *got != *c.want) {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestDeadLetterQueues(t *testing.T) {
	dlx := func(exchange string) table { return table{"x-dead-letter-exchange": exchange} }
	dlxKey := func(exchange, key string) table {
		return table{"x-dead-letter-exchange": exchange, "x-dead-letter-routing-key": key}
	}
	bind := func(source, dest, key string) apiBinding {
		return apiBinding{VHost: "/", Source: source, Destination: dest, DestinationType: "queue", RoutingKey: key}
	}
	bindX := func(source, dest, key string) apiBinding {
		return apiBinding{VHost: "/", Source: source, Destination: dest, DestinationType: "exchange", RoutingKey: key}
	}
	for _, c := range []struct {
		name      string
		exchanges []apiExchange
		args      table // the source queue's arguments
		bindings  []apiBinding
		want      []string // the source's dead-letter queues
		missing   bool
	}{
		{"a direct exchange and the dead-letter routing key",
			exchanges("/", "dlx", "direct"), dlxKey("dlx", "dead"),
			[]apiBinding{bind("dlx", "dlq", "dead"), bind("dlx", "other", "alive")}, []string{"dlq"}, false},
		{"the original key, from the source's topic binding, meets a direct binding",
			exchanges("/", "orders", "topic", "dlx", "direct"), dlx("dlx"),
			[]apiBinding{bind("orders", "source", "order.*"), bind("dlx", "dlq", "order.created"), bind("dlx", "other", "payment.made")},
			[]string{"dlq"}, false},
		{"the original key meets a topic binding",
			exchanges("/", "orders", "direct", "dlx", "topic"), dlx("dlx"),
			[]apiBinding{bind("orders", "source", "order.created"), bind("dlx", "dlq", "order.#"), bind("dlx", "other", "payment.#")},
			[]string{"dlq"}, false},
		{"two topic patterns that overlap",
			exchanges("/", "orders", "topic", "dlx", "topic"), dlx("dlx"),
			[]apiBinding{bind("orders", "source", "order.*.eu"), bind("dlx", "dlq", "*.created.#"), bind("dlx", "other", "*.created")},
			[]string{"dlq"}, false},
		{"a pattern starting with a wildcard is matched against every binding",
			exchanges("/", "orders", "topic", "dlx", "direct"), dlx("dlx"),
			[]apiBinding{bind("orders", "source", "#.created"), bind("dlx", "dlq", "order.created"), bind("dlx", "other", "order.paid")},
			[]string{"dlq"}, false},
		{"a topic dead-letter exchange's wildcard bindings meet an exact key",
			exchanges("/", "dlx", "topic"), dlxKey("dlx", "billing.dead"),
			[]apiBinding{bind("dlx", "dlq", "#.dead"), bind("dlx", "other", "*.alive"), bind("dlx", "audit", "billing.#")},
			[]string{"audit", "dlq"}, false},
		{"messages published through the default exchange carry the queue's name",
			exchanges("/", "dlx", "direct"), dlx("dlx"),
			[]apiBinding{bind("dlx", "dlq", "source")}, []string{"dlq"}, false},
		{"a fanout exchange takes every key",
			exchanges("/", "dlx", "fanout"), dlxKey("dlx", "whatever"),
			[]apiBinding{bind("dlx", "dlq", ""), bind("dlx", "audit", "")}, []string{"audit", "dlq"}, false},
		{"a source bound to a fanout may hold any key",
			exchanges("/", "events", "fanout", "dlx", "direct"), dlx("dlx"),
			[]apiBinding{bind("events", "source", ""), bind("dlx", "dlq", "anything")}, []string{"dlq"}, false},
		{"the default exchange as dead-letter exchange routes the key to that queue",
			exchanges("/"), dlxKey("", "dlq"), nil, []string{"dlq"}, false},
		{"the default exchange without a key sends the source's own name back: no DLQ",
			exchanges("/"), dlx(""), nil, nil, false},
		{"through an exchange-to-exchange binding",
			exchanges("/", "dlx", "direct", "fan", "topic"), dlxKey("dlx", "dead.orders"),
			[]apiBinding{bindX("dlx", "fan", "dead.orders"), bind("fan", "dlq", "dead.#")}, []string{"dlq"}, false},
		{"a cycle of exchange-to-exchange bindings ends",
			exchanges("/", "dlx", "fanout", "back", "fanout"), dlxKey("dlx", "k"),
			[]apiBinding{bindX("dlx", "back", ""), bindX("back", "dlx", ""), bind("back", "dlq", "")}, []string{"dlq"}, false},
		{"x-delayed-message routes as its x-delayed-type",
			append(exchanges("/"), apiExchange{VHost: "/", Name: "delayed", Type: "x-delayed-message", Arguments: table{"x-delayed-type": "direct"}}),
			dlxKey("delayed", "retry"),
			[]apiBinding{bind("delayed", "dlq", "retry"), bind("delayed", "other", "later")}, []string{"dlq"}, false},
		{"a missing exchange drops the dead letters",
			exchanges("/"), dlx("gone"), nil, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			qs := append(queues("/", "dlq", "other", "audit"), apiQueue{VHost: "/", Name: "source", Arguments: c.args})
			b := testBroker(reading{exchanges: c.exchanges, queues: qs, bindings: c.bindings})
			source, _ := b.Queue("/", "source")
			if !slices.Equal(source.DeadLetterQueues, c.want) {
				t.Errorf("dead-letter queues %q, want %q", source.DeadLetterQueues, c.want)
			}
			if source.DeadLetter.ExchangeMissing != c.missing {
				t.Errorf("exchange missing = %v, want %v", source.DeadLetter.ExchangeMissing, c.missing)
			}
			for _, name := range c.want {
				if q, _ := b.Queue("/", name); !slices.Equal(q.DeadLetterOf, []string{"source"}) {
					t.Errorf("%s: dead-letter queue of %q, want [source]", name, q.DeadLetterOf)
				}
			}
			if got := b.DeadLetterQueuesOf("/", "source"); len(got) != len(c.want) {
				t.Errorf("DeadLetterQueuesOf: %d queues, want %d", len(got), len(c.want))
			}
		})
	}
}
