package rabbitmq

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/eventlens/eventlens/rabbitmq/rabbittest"
)

// poller returns a Monitor of the test broker alone, polled by hand.
func poller(e *rabbittest.VHost) *Monitor {
	m, err := New(Config{URLs: []string{e.Management}})
	e.Must(err)
	return m
}

// pollUntil polls until ok holds for this test's virtual host; RabbitMQ's statistics lag by up
// to their 5 s collection interval.
func pollUntil(e *rabbittest.VHost, m *Monitor, what string, ok func(b Broker) bool) Broker {
	e.T().Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m.poll(context.Background(), m.brokers[0])
		b := m.Snapshot().Brokers[0]
		if b.State != StateOK {
			e.T().Fatalf("poll: %s %s", b.State, b.LastError)
		}
		if ok(b) {
			return b
		}
		if time.Now().After(deadline) {
			e.T().Fatalf("%s: not so after 30s; queues %+v", what, vhostQueues(e, b))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func vhostQueues(e *rabbittest.VHost, b Broker) []Queue {
	var qs []Queue
	for _, q := range b.Queues {
		if q.VHost == e.Name {
			qs = append(qs, q)
		}
	}
	return qs
}

// A queue with a dead-letter exchange, its DLQ, and a consumer that rejects some messages and
// holds others: the poll shows the depth, the consumer, the DLQ with its depth and inflow, and
// the bindings.
func TestBrokerDeadLetters(t *testing.T) {
	t.Parallel()
	e := rabbittest.New(t)
	e.Must(e.Ch.ExchangeDeclare("orders", "topic", false, false, false, false, nil))
	e.Must(e.Ch.ExchangeDeclare("orders.dlx", "direct", false, false, false, false, nil))
	e.DeclareQueue("billing", amqp.Table{"x-dead-letter-exchange": "orders.dlx", "x-dead-letter-routing-key": "billing.dead"})
	e.DeclareQueue("billing.dlq", nil)
	e.Must(e.Ch.QueueBind("billing", "order.*", "orders", false, nil))
	e.Must(e.Ch.QueueBind("billing.dlq", "billing.dead", "orders.dlx", false, nil))

	m := poller(e)
	base := pollUntil(e, m, "the queues exist", func(b Broker) bool {
		_, ok := b.Queue(e.Name, "billing.dlq")
		return ok
	})

	published := time.Now().Truncate(time.Second)
	for i := range 10 {
		e.Must(e.Ch.PublishWithContext(t.Context(), "orders", "order.created", false, false,
			amqp.Publishing{Body: fmt.Appendf(nil, "order %d", i), Timestamp: published}))
	}
	consumer, err := e.Conn.Channel()
	e.Must(err)
	e.Must(consumer.Qos(2, 0, false))
	deliveries, err := consumer.Consume("billing", "billing-worker", false, false, false, false, nil)
	e.Must(err)
	// Of the first six, reject every third without requeue (to the DLQ) and ack the rest; then
	// hold two unacknowledged, so two stay ready behind them.
	for i := range 8 {
		select {
		case d := <-deliveries:
			switch {
			case i >= 6:
			case i%3 == 0:
				e.Must(d.Reject(false))
			default:
				e.Must(d.Ack(false))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("delivery %d did not come", i)
		}
	}

	// A second monitor waits for the statistics to settle, so that the first measures its rates
	// over one window, from before the traffic to after it.
	pollUntil(e, poller(e), "the statistics settle", func(b Broker) bool {
		q, _ := b.Queue(e.Name, "billing")
		dlq, _ := b.Queue(e.Name, "billing.dlq")
		return q.Ready == 2 && q.Unacknowledged == 2 && q.Consumers == 1 && dlq.Ready == 2
	})
	m.poll(t.Context(), m.brokers[0])
	b := m.Snapshot().Brokers[0]

	q, _ := b.Queue(e.Name, "billing")
	wantDL := DeadLetter{Exchange: "orders.dlx", ExchangeFrom: "arguments", RoutingKey: "billing.dead", RoutingKeySet: true, RoutingKeyFrom: "arguments"}
	if q.DeadLetter == nil || *q.DeadLetter != wantDL {
		t.Errorf("dead-letter setting %+v, want %+v", q.DeadLetter, wantDL)
	}
	if q.Depth() != 4 || q.Consumers != 1 || q.Type != "classic" {
		t.Errorf("billing: depth %d, consumers %d, type %q; want 4, 1, classic", q.Depth(), q.Consumers, q.Type)
	}
	if !q.OldestMessageAt.Equal(published) {
		t.Errorf("oldest message at %s, want %s", q.OldestMessageAt, published)
	}
	if !slices.Equal(q.DeadLetterQueues, []string{"billing.dlq"}) {
		t.Errorf("dead-letter queues %q", q.DeadLetterQueues)
	}
	dlqs := b.DeadLetterQueuesOf(e.Name, "billing")
	if len(dlqs) != 1 || dlqs[0].Depth() != 2 || !slices.Equal(dlqs[0].DeadLetterOf, []string{"billing"}) {
		t.Fatalf("DLQs of billing: %+v", dlqs)
	}
	// No publish is counted for dead letters: the inflow is the DLQ's growth over the window.
	inflow := dlqs[0].Rates
	if inflow.Window <= 0 || math.Abs(inflow.Inflow*inflow.Window.Seconds()-2) > 0.01 || inflow.Publish != 0 {
		t.Errorf("DLQ rates %+v over %s: want an inflow of 2 messages in the window, no publishes", inflow, b.LastSuccess.Sub(base.LastSuccess))
	}
	if got := q.Rates.Publish * q.Rates.Window.Seconds(); math.Abs(got-10) > 0.01 {
		t.Errorf("billing: %.2f publishes in the window, want 10", got)
	}
	if !slices.Contains(b.Bindings, Binding{VHost: e.Name, Source: "orders", Destination: "billing", DestinationType: "queue", RoutingKey: "order.*"}) {
		t.Errorf("no binding orders → billing among %+v", b.Bindings)
	}
	if i, ok := b.exchangeIndex[objectKey{e.Name, "orders"}]; !ok || b.Exchanges[i].Type != "topic" {
		t.Errorf("exchange orders missing or not a topic exchange")
	}
	// Tests that run at once on the broker may declare the same names in their own virtual
	// hosts, and the poll sees them all: MapSpan finds a virtual host that has them.
	got := b.MapSpan(SpanNames{Consumer: true, Destination: "orders", RoutingKey: "order.created", SpanName: "billing process"})
	if _, has := b.Queue(got.VHost, "billing"); !has || got.Exchange != "orders" || got.RoutingKey != "order.created" || got.Queue != "billing" {
		t.Errorf("MapSpan: %+v, want orders, order.created, billing in a virtual host that has them", got)
	}
	if b.Cluster == "" || !strings.HasPrefix(b.Version, "3.") && !strings.HasPrefix(b.Version, "4.") {
		t.Errorf("cluster %q, version %q", b.Cluster, b.Version)
	}
}

// Policies set dead letters too: the broker's choice among them (priority, pattern, operator
// policies) is what the poll reports, arguments win key by key, and a real dead letter lands
// where the poll says it will.
func TestBrokerDeadLetterPolicies(t *testing.T) {
	t.Parallel()
	e := rabbittest.New(t)
	e.Must(e.Ch.ExchangeDeclare("high", "direct", false, false, false, false, nil))
	e.Must(e.Ch.ExchangeDeclare("low", "fanout", false, false, false, false, nil))
	e.DeclareQueue("shipping", nil)
	e.DeclareQueue("shipping.args", amqp.Table{"x-dead-letter-exchange": "not-declared"})
	e.DeclareQueue("dlq.shipping", nil)
	e.DeclareQueue("dlq.low", nil)
	e.Must(e.Ch.QueueBind("dlq.shipping", "dead", "high", false, nil))
	e.Must(e.Ch.QueueBind("dlq.low", "", "low", false, nil))
	vhost := url.PathEscape(e.Name)
	e.Admin(http.MethodPut, "/api/policies/"+vhost+"/dlx-low", map[string]any{"pattern": "^ship", "priority": 1, "apply-to": "queues",
		"definition": map[string]any{"dead-letter-exchange": "low"}})
	e.Admin(http.MethodPut, "/api/policies/"+vhost+"/dlx-high", map[string]any{"pattern": "^shipping(\\.args)?$", "priority": 5, "apply-to": "queues",
		"definition": map[string]any{"dead-letter-exchange": "high", "dead-letter-routing-key": "dead"}})
	e.Admin(http.MethodPut, "/api/operator-policies/"+vhost+"/cap", map[string]any{"pattern": ".*", "priority": 0, "apply-to": "queues",
		"definition": map[string]any{"max-length": 1000}})

	b := pollUntil(e, poller(e), "the policies apply", func(b Broker) bool {
		q, _ := b.Queue(e.Name, "shipping")
		a, _ := b.Queue(e.Name, "shipping.args")
		return q.Policy == "dlx-high" && a.Policy == "dlx-high" && q.OperatorPolicy == "cap"
	})
	q, _ := b.Queue(e.Name, "shipping")
	want := DeadLetter{Exchange: "high", ExchangeFrom: "policy", RoutingKey: "dead", RoutingKeySet: true, RoutingKeyFrom: "policy"}
	if q.DeadLetter == nil || *q.DeadLetter != want || !slices.Equal(q.DeadLetterQueues, []string{"dlq.shipping"}) {
		t.Errorf("shipping: %+v to %q, want %+v to [dlq.shipping]", q.DeadLetter, q.DeadLetterQueues, want)
	}
	a, _ := b.Queue(e.Name, "shipping.args")
	want = DeadLetter{Exchange: "not-declared", ExchangeFrom: "arguments", RoutingKey: "dead", RoutingKeySet: true, RoutingKeyFrom: "policy", ExchangeMissing: true}
	if a.DeadLetter == nil || *a.DeadLetter != want || len(a.DeadLetterQueues) != 0 {
		t.Errorf("shipping.args: %+v to %q, want %+v to none", a.DeadLetter, a.DeadLetterQueues, want)
	}
	if low, _ := b.Queue(e.Name, "dlq.low"); len(low.DeadLetterOf) != 0 {
		t.Errorf("dlq.low is the DLQ of %q, but the higher-priority policy wins", low.DeadLetterOf)
	}

	// The broker agrees: a message rejected from shipping lands in dlq.shipping.
	e.Must(e.Ch.PublishWithContext(t.Context(), "", "shipping", false, false, amqp.Publishing{Body: []byte("parcel")}))
	var d amqp.Delivery
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, ok, err := e.Ch.Get("shipping", false)
		e.Must(err)
		if ok {
			d = got
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the message did not reach shipping")
		}
	}
	e.Must(d.Reject(false))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		dlq, err := e.Ch.QueueDeclarePassive("dlq.shipping", false, false, false, false, nil)
		e.Must(err)
		if dlq.Messages == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dlq.shipping holds %d messages, want the rejected one", dlq.Messages)
		}
	}
	if low, err := e.Ch.QueueDeclarePassive("dlq.low", false, false, false, false, nil); err != nil || low.Messages != 0 {
		t.Errorf("dlq.low holds %d messages (%v), want none", low.Messages, err)
	}
}

// Wrong credentials on a real broker give a state that says so, and never show the password.
func TestBrokerWrongCredentials(t *testing.T) {
	t.Parallel()
	e := rabbittest.New(t)
	u, _ := url.Parse(e.Management)
	u.User = url.UserPassword(u.User.Username(), "not-the-Password-42")
	m, logs := newTestMonitor(t, Config{URLs: []string{u.String()}})
	m.poll(t.Context(), m.brokers[0])
	b := m.Snapshot().Brokers[0]
	if b.State != StateUnauthorized || !strings.Contains(b.LastError, "Login failed") {
		t.Errorf("state %s, error %q; want unauthorized, Login failed", b.State, b.LastError)
	}
	for _, text := range []string{b.URL, b.LastError, logs.String()} {
		if strings.Contains(text, "not-the-Password-42") {
			t.Errorf("the password shows: %s", text)
		}
	}
}
