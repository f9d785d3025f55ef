package rabbitmq

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// These tests run against a real RabbitMQ with its management plugin, the one
// EVENTLENS_TEST_RABBITMQ names (http://guest:guest@127.0.0.1:15672; .ci/run starts one). AMQP
// is on the same host at port 5672 with the same user, unless EVENTLENS_TEST_RABBITMQ_AMQP
// (amqp://user:password@host:port) says otherwise. Each test works in a virtual host of its
// own, so they run at once.
const (
	testEnv     = "EVENTLENS_TEST_RABBITMQ"
	testAMQPEnv = "EVENTLENS_TEST_RABBITMQ_AMQP"
)

// testBrokerEnv is a virtual host of a test's own on the test broker, deleted when it ends.
type testBrokerEnv struct {
	t          *testing.T
	management string // the management URL, with credentials
	vhost      string
	conn       *amqp.Connection
	ch         *amqp.Channel
}

func newTestBrokerEnv(t *testing.T) *testBrokerEnv {
	t.Helper()
	management := os.Getenv(testEnv)
	if management == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the RabbitMQ tests (see .ci/run)", testEnv)
		}
		t.Skipf("RabbitMQ tests need %s=http://guest:guest@127.0.0.1:15672, a broker with the management plugin", testEnv)
	}
	mu, err := url.Parse(management)
	if err != nil || mu.User == nil {
		t.Fatalf("%s: want http://user:password@host:15672", testEnv)
	}
	id := make([]byte, 4)
	rand.Read(id)
	e := &testBrokerEnv{t: t, management: management, vhost: "eventlens-test-" + hex.EncodeToString(id)}
	e.admin(http.MethodPut, "/api/vhosts/"+url.PathEscape(e.vhost), nil)
	t.Cleanup(func() { e.admin(http.MethodDelete, "/api/vhosts/"+url.PathEscape(e.vhost), nil) })
	e.admin(http.MethodPut, "/api/permissions/"+url.PathEscape(e.vhost)+"/"+url.PathEscape(mu.User.Username()),
		map[string]string{"configure": ".*", "write": ".*", "read": ".*"})

	au := &url.URL{Scheme: "amqp", User: mu.User, Host: mu.Hostname() + ":5672"}
	if v := os.Getenv(testAMQPEnv); v != "" {
		if au, err = url.Parse(v); err != nil {
			t.Fatalf("%s: %v", testAMQPEnv, err)
		}
	}
	au.Path = "/" + e.vhost
	if e.conn, err = amqp.Dial(au.String()); err != nil {
		t.Fatalf("AMQP connection to the test broker: %v", err)
	}
	t.Cleanup(func() { e.conn.Close() })
	if e.ch, err = e.conn.Channel(); err != nil {
		t.Fatal(err)
	}
	return e
}

// admin calls the management API as the test's user and fails the test on anything but 2xx.
func (e *testBrokerEnv) admin(method, path string, body any) {
	e.t.Helper()
	u, _ := url.Parse(e.management)
	password, _ := u.User.Password()
	user := u.User.Username()
	u.User = nil
	var data []byte
	if body != nil {
		data, _ = json.Marshal(body)
	}
	req, _ := http.NewRequest(method, strings.TrimSuffix(u.String(), "/")+path, bytes.NewReader(data))
	req.SetBasicAuth(user, password)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		e.t.Fatalf("%s %s: HTTP %d", method, path, resp.StatusCode)
	}
}

func (e *testBrokerEnv) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *testBrokerEnv) declareQueue(name string, args amqp.Table) {
	e.t.Helper()
	_, err := e.ch.QueueDeclare(name, false, false, false, false, args)
	e.must(err)
}

// poller returns a Monitor of the test broker alone, polled by hand.
func (e *testBrokerEnv) poller() *Monitor {
	m, err := New(Config{URLs: []string{e.management}})
	e.must(err)
	return m
}

// pollUntil polls until ok holds for this test's virtual host; RabbitMQ's statistics lag by up
// to their 5 s collection interval.
func (e *testBrokerEnv) pollUntil(m *Monitor, what string, ok func(b Broker) bool) Broker {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		m.poll(context.Background(), m.brokers[0])
		b := m.Snapshot().Brokers[0]
		if b.State != StateOK {
			e.t.Fatalf("poll: %s %s", b.State, b.LastError)
		}
		if ok(b) {
			return b
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s: not so after 30s; queues %+v", what, e.queues(b))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (e *testBrokerEnv) queues(b Broker) []Queue {
	var qs []Queue
	for _, q := range b.Queues {
		if q.VHost == e.vhost {
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
	e := newTestBrokerEnv(t)
	e.must(e.ch.ExchangeDeclare("orders", "topic", false, false, false, false, nil))
	e.must(e.ch.ExchangeDeclare("orders.dlx", "direct", false, false, false, false, nil))
	e.declareQueue("billing", amqp.Table{"x-dead-letter-exchange": "orders.dlx", "x-dead-letter-routing-key": "billing.dead"})
	e.declareQueue("billing.dlq", nil)
	e.must(e.ch.QueueBind("billing", "order.*", "orders", false, nil))
	e.must(e.ch.QueueBind("billing.dlq", "billing.dead", "orders.dlx", false, nil))

	m := e.poller()
	base := e.pollUntil(m, "the queues exist", func(b Broker) bool {
		_, ok := b.Queue(e.vhost, "billing.dlq")
		return ok
	})

	published := time.Now().Truncate(time.Second)
	for i := range 10 {
		e.must(e.ch.PublishWithContext(t.Context(), "orders", "order.created", false, false,
			amqp.Publishing{Body: fmt.Appendf(nil, "order %d", i), Timestamp: published}))
	}
	consumer, err := e.conn.Channel()
	e.must(err)
	e.must(consumer.Qos(2, 0, false))
	deliveries, err := consumer.Consume("billing", "billing-worker", false, false, false, false, nil)
	e.must(err)
	// Of the first six, reject every third without requeue (to the DLQ) and ack the rest; then
	// hold two unacknowledged, so two stay ready behind them.
	for i := range 8 {
		select {
		case d := <-deliveries:
			switch {
			case i >= 6:
			case i%3 == 0:
				e.must(d.Reject(false))
			default:
				e.must(d.Ack(false))
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("delivery %d did not come", i)
		}
	}

	// A second monitor waits for the statistics to settle, so that the first measures its rates
	// over one window, from before the traffic to after it.
	e.pollUntil(e.poller(), "the statistics settle", func(b Broker) bool {
		q, _ := b.Queue(e.vhost, "billing")
		dlq, _ := b.Queue(e.vhost, "billing.dlq")
		return q.Ready == 2 && q.Unacknowledged == 2 && q.Consumers == 1 && dlq.Ready == 2
	})
	m.poll(t.Context(), m.brokers[0])
	b := m.Snapshot().Brokers[0]

	q, _ := b.Queue(e.vhost, "billing")
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
	dlqs := b.DeadLetterQueuesOf(e.vhost, "billing")
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
	if !slices.Contains(b.Bindings, Binding{VHost: e.vhost, Source: "orders", Destination: "billing", DestinationType: "queue", RoutingKey: "order.*"}) {
		t.Errorf("no binding orders → billing among %+v", b.Bindings)
	}
	if i, ok := b.exchangeIndex[objectKey{e.vhost, "orders"}]; !ok || b.Exchanges[i].Type != "topic" {
		t.Errorf("exchange orders missing or not a topic exchange")
	}
	want := Names{Exchange: "orders", RoutingKey: "order.created", Queue: "billing", VHost: e.vhost}
	if got := b.MapSpan(SpanNames{Consumer: true, Destination: "orders", RoutingKey: "order.created", SpanName: "billing process"}); got != want {
		t.Errorf("MapSpan: %+v, want %+v", got, want)
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
	e := newTestBrokerEnv(t)
	e.must(e.ch.ExchangeDeclare("high", "direct", false, false, false, false, nil))
	e.must(e.ch.ExchangeDeclare("low", "fanout", false, false, false, false, nil))
	e.declareQueue("shipping", nil)
	e.declareQueue("shipping.args", amqp.Table{"x-dead-letter-exchange": "not-declared"})
	e.declareQueue("dlq.shipping", nil)
	e.declareQueue("dlq.low", nil)
	e.must(e.ch.QueueBind("dlq.shipping", "dead", "high", false, nil))
	e.must(e.ch.QueueBind("dlq.low", "", "low", false, nil))
	vhost := url.PathEscape(e.vhost)
	e.admin(http.MethodPut, "/api/policies/"+vhost+"/dlx-low", map[string]any{"pattern": "^ship", "priority": 1, "apply-to": "queues",
		"definition": map[string]any{"dead-letter-exchange": "low"}})
	e.admin(http.MethodPut, "/api/policies/"+vhost+"/dlx-high", map[string]any{"pattern": "^shipping(\\.args)?$", "priority": 5, "apply-to": "queues",
		"definition": map[string]any{"dead-letter-exchange": "high", "dead-letter-routing-key": "dead"}})
	e.admin(http.MethodPut, "/api/operator-policies/"+vhost+"/cap", map[string]any{"pattern": ".*", "priority": 0, "apply-to": "queues",
		"definition": map[string]any{"max-length": 1000}})

	b := e.pollUntil(e.poller(), "the policies apply", func(b Broker) bool {
		q, _ := b.Queue(e.vhost, "shipping")
		a, _ := b.Queue(e.vhost, "shipping.args")
		return q.Policy == "dlx-high" && a.Policy == "dlx-high" && q.OperatorPolicy == "cap"
	})
	q, _ := b.Queue(e.vhost, "shipping")
	want := DeadLetter{Exchange: "high", ExchangeFrom: "policy", RoutingKey: "dead", RoutingKeySet: true, RoutingKeyFrom: "policy"}
	if q.DeadLetter == nil || *q.DeadLetter != want || !slices.Equal(q.DeadLetterQueues, []string{"dlq.shipping"}) {
		t.Errorf("shipping: %+v to %q, want %+v to [dlq.shipping]", q.DeadLetter, q.DeadLetterQueues, want)
	}
	a, _ := b.Queue(e.vhost, "shipping.args")
	want = DeadLetter{Exchange: "not-declared", ExchangeFrom: "arguments", RoutingKey: "dead", RoutingKeySet: true, RoutingKeyFrom: "policy", ExchangeMissing: true}
	if a.DeadLetter == nil || *a.DeadLetter != want || len(a.DeadLetterQueues) != 0 {
		t.Errorf("shipping.args: %+v to %q, want %+v to none", a.DeadLetter, a.DeadLetterQueues, want)
	}
	if low, _ := b.Queue(e.vhost, "dlq.low"); len(low.DeadLetterOf) != 0 {
		t.Errorf("dlq.low is the DLQ of %q, but the higher-priority policy wins", low.DeadLetterOf)
	}

	// The broker agrees: a message rejected from shipping lands in dlq.shipping.
	e.must(e.ch.PublishWithContext(t.Context(), "", "shipping", false, false, amqp.Publishing{Body: []byte("parcel")}))
	var d amqp.Delivery
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got, ok, err := e.ch.Get("shipping", false)
		e.must(err)
		if ok {
			d = got
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the message did not reach shipping")
		}
	}
	e.must(d.Reject(false))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		dlq, err := e.ch.QueueDeclarePassive("dlq.shipping", false, false, false, false, nil)
		e.must(err)
		if dlq.Messages == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dlq.shipping holds %d messages, want the rejected one", dlq.Messages)
		}
	}
	if low, err := e.ch.QueueDeclarePassive("dlq.low", false, false, false, false, nil); err != nil || low.Messages != 0 {
		t.Errorf("dlq.low holds %d messages (%v), want none", low.Messages, err)
	}
}

// Wrong credentials on a real broker give a state that says so, and never show the password.
func TestBrokerWrongCredentials(t *testing.T) {
	t.Parallel()
	e := newTestBrokerEnv(t)
	u, _ := url.Parse(e.management)
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
