package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventlens/eventlens/rabbitmq/rabbittest"
)

// Node and Go services talk through one RabbitMQ topology (exchange orders → queue billing,
// dead-lettering to billing.dlq), each traced the way its language's services are: amqplib with
// @opentelemetry/instrumentation-amqplib (the old conventions: the exchange as
// messaging.destination, the queue only in the span name) and amqp091-go with spans of the
// current conventions ("exchange:routing_key", and "exchange:routing_key:queue" when
// consuming). eventlens serve, polling the broker, shows one graph: storefront (Node) and
// checkout (Go) → exchange orders → invoicing reading queue billing, its end-to-end delays
// paired across the two instrumentations, its nacks as errors and, from the broker, the
// queue's depth and the dead-letter queue the nacked messages went to.
//
// invoicing is being rewritten from Node to Go: the Node one settles the first ten messages,
// then the Go one the next ten, so each consumes messages of both producers.
func TestRabbitMQEndToEndWithTwoInstrumentations(t *testing.T) {
	modules := amqplibModules(t)
	v := rabbittest.New(t)
	v.Must(v.Ch.ExchangeDeclare("orders", "topic", false, false, false, false, nil))
	v.Must(v.Ch.ExchangeDeclare("orders.dlx", "fanout", false, false, false, false, nil))
	v.DeclareQueue("billing", amqp.Table{"x-dead-letter-exchange": "orders.dlx"})
	v.DeclareQueue("billing.dlq", nil)
	v.Must(v.Ch.QueueBind("billing", "order.created", "orders", false, nil))
	v.Must(v.Ch.QueueBind("billing.dlq", "", "orders.dlx", false, nil))

	p := startServe(t, filepath.Join(t.TempDir(), "eventlens.db"),
		"--rabbitmq-management-url", v.Watch, "--rabbitmq-poll-interval", "1s", "--rabbitmq-timeout", "1s")
	node := func(service string, args ...string) []string {
		t.Helper()
		cmd := exec.Command("node", append([]string{filepath.Join("testdata", "amqplib", "app.js")}, args...)...)
		cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "AMQP_URL="+v.AMQPURL, "OTEL_SERVICE_NAME="+service,
			"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="+p.URL+"/v1/traces", "OTEL_METRICS_EXPORTER=none", "OTEL_LOGS_EXPORTER=none")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("node app.js %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.Split(strings.TrimSpace(stdout.String()), "\n")
	}

	ctx := context.Background()
	broker, err := url.Parse(v.AMQPURL)
	if err != nil {
		t.Fatal(err)
	}
	checkout := newGoService(t, p.URL, "checkout", broker)
	checkout.publish(ctx, v, "orders", "order.created", 0, 5)
	node("storefront", "publish", "orders", "order.created", "10")
	checkout.publish(ctx, v, "orders", "order.created", 5, 10)

	if got, want := node("invoicing", "consume", "billing", "10"), []string{
		"ack checkout-0", "ack checkout-1", "ack checkout-2", "ack checkout-3", "nack checkout-4",
		"ack storefront-0", "ack storefront-1", "ack storefront-2", "ack storefront-3", "nack storefront-4",
	}; !slices.Equal(got, want) {
		t.Fatalf("the Node consumer settled %v, want %v", got, want)
	}
	invoicing := newGoService(t, p.URL, "invoicing", broker)
	if got, want := invoicing.consume(ctx, v, "billing", 10), []string{
		"ack storefront-5", "ack storefront-6", "ack storefront-7", "ack storefront-8", "nack storefront-9",
		"ack checkout-5", "ack checkout-6", "ack checkout-7", "ack checkout-8", "nack checkout-9",
	}; !slices.Equal(got, want) {
		t.Fatalf("the Go consumer settled %v, want %v", got, want)
	}
	invoicing.shutdown()
	checkout.publish(ctx, v, "orders", "order.created", 10, 13) // nobody consumes these: the queue's depth
	checkout.shutdown()

	channel := "rabbitmq@" + broker.Hostname() + "/orders" // both instrumentations name the broker's host
	var flows []struct {
		Direction, Service string
		ChannelKey         string `json:"channel_key"`
		Group              string `json:"consumer_group"`
		Messages, Errors   int64
		Delays             int64
		DelayP95           *float64 `json:"delay_p95_ms"`
	}
	within(t, 20*time.Second, "/api/flows shows both producers and the consumer of billing on one channel", func() bool {
		_, body := get(t, p.URL+"/api/flows")
		var out struct{ Flows json.RawMessage }
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("/api/flows: %v: %s", err, body)
		}
		if err := json.Unmarshal(out.Flows, &flows); err != nil {
			t.Fatalf("/api/flows: %v: %s", err, body)
		}
		var produced, consumed int64
		for _, f := range flows {
			if f.Direction == "produce" {
				produced += f.Messages
			} else {
				consumed += f.Messages
			}
		}
		return produced == 23 && consumed == 20
	})
	type flow struct {
		direction, service, channel, group string
		messages, errors, delays           int64
	}
	var got []flow
	for _, f := range flows {
		got = append(got, flow{f.Direction, f.Service, f.ChannelKey, f.Group, f.Messages, f.Errors, f.Delays})
		if f.Direction == "consume" && f.DelayP95 == nil {
			t.Errorf("the consumer flow has no end-to-end delay: %+v", f)
		}
	}
	slices.SortFunc(got, func(a, b flow) int { return strings.Compare(a.direction+a.service, b.direction+b.service) })
	if wantFlows := []flow{
		{"consume", "invoicing", channel, "billing", 20, 4, 20},
		{"produce", "checkout", channel, "", 13, 0, 0},
		{"produce", "storefront", channel, "", 10, 0, 0},
	}; !slices.Equal(got, wantFlows) {
		t.Errorf("flows:\n got %+v\nwant %+v", got, wantFlows)
	}

	type consumer struct {
		Service, Status  string
		Group            string `json:"consumer_group"`
		Channel          string `json:"channel_key"`
		Reasons, Sources []string
		Messages         int64
		ErrorRate        float64  `json:"error_rate"`
		DelayP95         *float64 `json:"delay_p95_ms"`
		QueueDepth       *int64   `json:"queue_depth"`
		BrokerConsumers  *int     `json:"broker_consumers"`
		DeadLetters      []struct {
			Channel string `json:"channel_key"`
			Depth   *int64
		} `json:"dead_letters"`
	}
	var health []consumer
	within(t, 20*time.Second, "/api/health shows the billing queue's depth and its dead-letter queue", func() bool {
		_, body := get(t, p.URL+"/api/health")
		var report struct{ Consumers []consumer }
		if err := json.Unmarshal([]byte(body), &report); err != nil {
			t.Fatalf("/api/health: %v: %s", err, body)
		}
		health = report.Consumers
		if len(health) != 1 {
			return false
		}
		c := health[0]
		return c.QueueDepth != nil && *c.QueueDepth == 3 && c.BrokerConsumers != nil && *c.BrokerConsumers == 0 &&
			len(c.DeadLetters) == 1 && c.DeadLetters[0].Depth != nil && *c.DeadLetters[0].Depth == 4
	})
	c := health[0]
	if c.Service != "invoicing" || c.Group != "billing" || c.Channel != channel || strings.Join(c.Sources, ",") != "spans,rabbitmq" {
		t.Errorf("the consumer: %+v, want invoicing reading billing on %s, from spans and RabbitMQ", c, channel)
	}
	if c.Messages != 20 || c.ErrorRate != 0.2 || c.DelayP95 == nil || c.Status != "degraded" ||
		!slices.Contains(c.Reasons, "error rate 20.0% ≥ 5.0%") || c.DeadLetters[0].Channel != "rabbitmq/billing.dlq" {
		t.Errorf("the consumer: %+v, want 20 messages, the 4 nacked ones as errors, degraded, its DLQ billing.dlq", c)
	}

	// The flow page draws exchange → queue → consumer, the queue's depth on the consumer's edge.
	_, page := get(t, p.URL+"/flows")
	var nodes []string
	for _, m := range regexp.MustCompile(`data-testid="flow-node" data-id="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		nodes = append(nodes, m[1])
	}
	if want := []string{"ch:orders", "q:billing", "svc:checkout", "svc:invoicing", "svc:storefront"}; !slices.Equal(nodes, want) {
		t.Errorf("the graph's nodes: %v, want %v", nodes, want)
	}
	for _, want := range []string{
		`data-id="svc:storefront-&gt;ch:orders"`, `data-id="svc:checkout-&gt;ch:orders"`, `data-id="ch:orders-&gt;q:billing"`,
		`<title>orders · channel · rabbitmq · degraded</title>`, `<span class="group">(billing)</span>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the flow page lacks %s", want)
		}
	}
	edge := regexp.MustCompile(`<title>q:billing → svc:invoicing: ([^<]*)</title>`).FindStringSubmatch(page)
	if edge == nil || !strings.Contains(edge[1], "20% err") || !strings.HasSuffix(edge[1], "3 queued (degraded)") {
		t.Errorf("the consumer edge: %q, want its error rate and the queue's depth", edge)
	}
	_, page = get(t, p.URL+"/health")
	for _, want := range []string{"group billing", "3 queued", "billing.dlq", "4 waiting"} {
		if !strings.Contains(page, want) {
			t.Errorf("the health page lacks %q", want)
		}
	}
}

// goService is a Go service on amqp091-go, traced as Go services trace it, amqp091-go having no
// instrumentation of its own: PRODUCER and CONSUMER spans with the current messaging
// conventions, the trace context in the message headers, exported by the OTel SDK's
// otlptracehttp.
type goService struct {
	t        *testing.T
	name     string
	tracer   trace.Tracer
	host     string
	port     int
	shutdown func()
}

func newGoService(t *testing.T, eventlens, name string, broker *url.URL) *goService {
	t.Helper()
	exp, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(eventlens+"/v1/traces"))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(semconv.ServiceName(name))))
	port, _ := strconv.Atoi(broker.Port())
	s := &goService{t: t, name: name, tracer: tp.Tracer("eventlens-e2e/amqp091"), host: broker.Hostname(), port: port}
	s.shutdown = func() {
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Errorf("%s: export spans: %v", name, err)
		}
	}
	return s
}

// rabbitDestination is messaging.destination.name as the conventions build it for RabbitMQ:
// exchange, routing key and (consuming) queue joined by colons, empty parts left out, the queue
// left out when it equals the routing key, "amq.default" when nothing is left.
func rabbitDestination(exchange, routingKey, queue string) string {
	if queue == routingKey {
		queue = ""
	}
	var parts []string
	for _, p := range []string{exchange, routingKey, queue} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "amq.default"
	}
	return strings.Join(parts, ":")
}

func (s *goService) attrs(op attribute.KeyValue, opName, dest, routingKey, messageID string) trace.SpanStartOption {
	return trace.WithAttributes(semconv.MessagingSystemRabbitMQ, op, semconv.MessagingOperationName(opName),
		semconv.MessagingDestinationName(dest), semconv.MessagingRabbitMQDestinationRoutingKey(routingKey),
		semconv.MessagingMessageID(messageID), semconv.ServerAddress(s.host), semconv.ServerPort(s.port))
}

// publish sends orders from..to-1 (every fifth invalid), each in a PRODUCER span, and waits for
// the broker's confirms.
func (s *goService) publish(ctx context.Context, v *rabbittest.VHost, exchange, routingKey string, from, to int) {
	s.t.Helper()
	ch, err := v.Conn.Channel()
	v.Must(err)
	defer ch.Close()
	v.Must(ch.Confirm(false))
	for i := from; i < to; i++ {
		id := fmt.Sprintf("%s-%d", s.name, i)
		body, _ := json.Marshal(map[string]any{"id": id, "valid": i%5 != 4})
		dest := rabbitDestination(exchange, routingKey, "")
		spanCtx, span := s.tracer.Start(ctx, "publish "+dest, trace.WithSpanKind(trace.SpanKindProducer),
			s.attrs(semconv.MessagingOperationTypeSend, "publish", dest, routingKey, id))
		headers := amqp.Table{}
		propagation.TraceContext{}.Inject(spanCtx, amqpHeaders(headers))
		confirm, err := ch.PublishWithDeferredConfirmWithContext(spanCtx, exchange, routingKey, false, false, amqp.Publishing{
			Headers: headers, ContentType: "application/json", MessageId: id, Timestamp: time.Now(), Body: body,
		})
		if err == nil && !confirm.Wait() {
			err = errors.New("nacked by the broker")
		}
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
			s.t.Fatalf("publish %s: %v", id, err)
		}
		span.End()
	}
}

// consume settles count deliveries from the queue, each in a CONSUMER span whose parent is the
// producer's context from the headers: acks valid orders, nacks the others without requeue. It
// returns "ack <message id>" or "nack <message id>" per delivery.
func (s *goService) consume(ctx context.Context, v *rabbittest.VHost, queue string, count int) []string {
	s.t.Helper()
	ch, err := v.Conn.Channel()
	v.Must(err)
	defer ch.Close()
	v.Must(ch.Qos(1, 0, false)) // one at a time, so cancelling before the last settle takes no more
	deliveries, err := ch.Consume(queue, "invoicing-go", false, false, false, false, nil)
	v.Must(err)
	var settled []string
	timeout := time.After(20 * time.Second)
	for len(settled) < count {
		var d amqp.Delivery
		select {
		case d = <-deliveries:
		case <-timeout:
			s.t.Fatalf("the Go consumer got %d deliveries within 20s, want %d", len(settled), count)
		}
		parent := propagation.TraceContext{}.Extract(ctx, amqpHeaders(d.Headers))
		dest := rabbitDestination(d.Exchange, d.RoutingKey, queue)
		_, span := s.tracer.Start(parent, "process "+dest, trace.WithSpanKind(trace.SpanKindConsumer),
			s.attrs(semconv.MessagingOperationTypeProcess, "process", dest, d.RoutingKey, d.MessageId),
			trace.WithAttributes(semconv.MessagingRabbitMQMessageDeliveryTag(int(d.DeliveryTag))))
		if len(settled) == count-1 {
			v.Must(ch.Cancel("invoicing-go", false))
		}
		var order struct{ Valid bool }
		if err := json.Unmarshal(d.Body, &order); err != nil || !order.Valid {
			span.SetStatus(codes.Error, "invalid order")
			span.SetAttributes(semconv.ErrorTypeKey.String("invalid_order"))
			v.Must(d.Nack(false, false))
			settled = append(settled, "nack "+d.MessageId)
		} else {
			v.Must(d.Ack(false))
			settled = append(settled, "ack "+d.MessageId)
		}
		span.End()
	}
	return settled
}

// amqpHeaders carries the trace context in a message's headers.
type amqpHeaders amqp.Table

func (h amqpHeaders) Get(key string) string {
	switch v := h[key].(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return ""
}

func (h amqpHeaders) Set(key, value string) { h[key] = value }

func (h amqpHeaders) Keys() []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	return keys
}

// amqplibModules installs the Node test program's packages (testdata/amqplib/package-lock.json)
// once per lock file into a cache directory, and returns its node_modules for NODE_PATH. Without
// node and npm the test skips, except in CI, where it fails.
func amqplibModules(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed: CI must run the Node RabbitMQ test (see .ci/run)", tool)
			}
			t.Skipf("the Node RabbitMQ test needs %s (apt-get install nodejs npm)", tool)
		}
	}
	src := filepath.Join("testdata", "amqplib")
	h := sha256.New()
	var files [][]byte
	for _, name := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
		files = append(files, b)
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "eventlens-test", "amqplib-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(filepath.Join(dir, "node_modules")); err == nil {
		return filepath.Join(dir, "node_modules")
	}
	// Install beside it and rename, so an interrupted install is never taken for a finished one.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for i, name := range []string{"package.json", "package-lock.json"} {
		if err := os.WriteFile(filepath.Join(tmp, name), files[i], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", tmp, err, out)
	}
	if err := os.Rename(tmp, dir); err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, "node_modules")); statErr != nil {
			t.Fatal(err) // not another test's install finishing first
		}
	}
	return filepath.Join(dir, "node_modules")
}
