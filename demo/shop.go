package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Options configure the shop.
type Options struct {
	Endpoint        string  // eventlens' base URL, e.g. http://127.0.0.1:8080
	OrdersPerSecond float64 // how fast orders come in (5)
	FailShare       float64 // share of payments that fail (0.3)
	SlowProcessing  time.Duration
	// SchemaStep is the time between the changes the orders team makes to orders.placed's
	// schema while the shop runs (15 s): version 2, a refused change, version 3.
	SchemaStep time.Duration
	Logger     *slog.Logger

	// APIKey is an eventlens API key with the write role, "id:secret", for a server that has
	// keys: sent as HTTP Basic to the catalog API and as a Bearer token (the secret) with OTLP.
	// Empty sends no credentials, which only a server without keys accepts.
	APIKey string
}

// shop is the running demo: its broker and one tracer provider per service.
type shop struct {
	opt       Options
	broker    *broker
	providers []*sdktrace.TracerProvider
	prop      propagation.TextMapPropagator

	mu      sync.RWMutex
	schemas map[string]schemaRef // channel → the schema its messages are written with now
}

// schema is the schema a channel's messages are written with now.
func (s *shop) schema(channel string) schemaRef {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.schemas[channel]
}

func (s *shop) setSchema(channel string, ref schemaRef) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.schemas[channel] = ref
}

// Run runs the shop until ctx ends, then flushes every service's spans.
func Run(ctx context.Context, opt Options) (err error) {
	if opt.OrdersPerSecond <= 0 {
		opt.OrdersPerSecond = 5
	}
	if opt.FailShare <= 0 {
		opt.FailShare = 0.3
	}
	if opt.SlowProcessing <= 0 {
		opt.SlowProcessing = 1200 * time.Millisecond
	}
	if opt.SchemaStep <= 0 {
		opt.SchemaStep = 15 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	keyID, secret, hasKey := strings.Cut(opt.APIKey, ":")
	if opt.APIKey != "" && (!hasKey || keyID == "" || secret == "") {
		return errors.New("demo API key: want id:secret")
	}
	tracesURL, err := endpointURL(opt.Endpoint, "/v1/traces")
	if err != nil {
		return err
	}
	s := &shop{opt: opt, broker: newBroker(), prop: propagation.TraceContext{}}
	// The shop describes itself first, so that its spans can name the registry's schemas.
	api := &client{base: strings.TrimSuffix(opt.Endpoint, "/"), keyID: keyID, secret: secret, http: &http.Client{Timeout: 10 * time.Second}}
	if s.schemas, err = s.describe(ctx, api); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		hint := ""
		if opt.APIKey == "" {
			hint = "; a server with API keys needs one for the demo: EVENTLENS_DEMO_KEY=id:secret"
		}
		opt.Logger.Warn("demo shop runs without its catalog documents and schema ids"+hint, "error", err)
	}
	var headers map[string]string
	if opt.APIKey != "" {
		headers = map[string]string{"Authorization": "Bearer " + secret}
	}
	defer func() {
		flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for _, tp := range s.providers {
			err = errors.Join(err, tp.Shutdown(flush))
		}
	}()
	tracer := func(service string) (trace.Tracer, error) {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(tracesURL), otlptracehttp.WithHeaders(headers))
		if err != nil {
			return nil, fmt.Errorf("demo exporter for %s: %w", service, err)
		}
		tp := sdktrace.NewTracerProvider(
			sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(500*time.Millisecond)),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))),
		)
		s.providers = append(s.providers, tp)
		return tp.Tracer("eventlens-demo"), nil
	}
	services := map[string]trace.Tracer{}
	for _, name := range []string{"orders", "payments", "inventory", "shipping", "notifications", "fraud-check"} {
		if services[name], err = tracer(name); err != nil {
			return err
		}
	}
	var wg sync.WaitGroup
	start := func(workers int, f func()) {
		for range workers {
			wg.Add(1)
			go func() { defer wg.Done(); f() }()
		}
	}
	// Subscribe every consumer before the first order is placed.
	placedForPayments := s.broker.subscribe("orders.placed")
	placedForInventory := s.broker.subscribe("orders.placed")
	paidForShipping := s.broker.subscribe("payments.completed")
	paidForNotifications := s.broker.subscribe("payments.completed")
	paidForFraudCheck := s.broker.subscribe("payments.completed")
	shippedForNotifications := s.broker.subscribe("shipments.created")

	// inventory was built against the schema orders.placed has now and keeps reading with it.
	inventoryReads := s.schema(evolvingChannel)
	start(1, func() { s.orders(ctx, services["orders"]) })
	start(2, func() { s.payments(ctx, services["payments"], placedForPayments) })
	start(2, func() { s.inventory(ctx, services["inventory"], placedForInventory, inventoryReads) })
	start(int(opt.OrdersPerSecond*opt.SlowProcessing.Seconds())+2, func() { s.shipping(ctx, services["shipping"], paidForShipping) })
	start(1, func() { s.notifications(ctx, services["notifications"], paidForNotifications, shippedForNotifications) })
	start(1, func() { s.fraudCheck(ctx, services["fraud-check"], paidForFraudCheck) })
	// Without a first version in the registry there is nothing to evolve.
	if inventoryReads.ID != 0 {
		start(1, func() { s.evolve(ctx, api) })
	}
	opt.Logger.Info("demo shop running", "orders_per_second", opt.OrdersPerSecond, "schema_step", opt.SchemaStep, "endpoint", opt.Endpoint)
	wg.Wait()
	return nil
}

// kafka are the current semantic-convention attributes of a Kafka span.
func kafka(op, topic string, extra ...attribute.KeyValue) []attribute.KeyValue {
	return append([]attribute.KeyValue{
		attribute.String("messaging.system", "kafka"),
		attribute.String("messaging.operation.type", op),
		attribute.String("messaging.operation.name", op),
		attribute.String("messaging.destination.name", topic),
		attribute.String("server.address", "kafka.shop.internal"),
	}, extra...)
}

// produce sends one message to topic inside a PRODUCER span with attrs. The message is written
// with the channel's schema of the moment, and carries its id as the Confluent wire format does;
// the span names it too.
func (s *shop) produce(ctx context.Context, tr trace.Tracer, topic string, orderID int64, attrs []attribute.KeyValue) {
	schema := s.schema(topic)
	ctx, span := tr.Start(ctx, "send "+topic, trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(append(attrs, schema.attrs()...)...))
	m := message{orderID: orderID, schema: schema, headers: propagation.MapCarrier{}}
	s.prop.Inject(ctx, m.headers)
	s.broker.publish(topic, m)
	span.End()
}

// consume starts the CONSUMER span for a message the current way: a new trace with a link to the
// producer's span. The consumer decodes with the schema the message names, and its span says so.
func (s *shop) consume(ctx context.Context, tr trace.Tracer, topic, group string, m message) (context.Context, trace.Span) {
	producer := trace.SpanContextFromContext(s.prop.Extract(ctx, m.headers))
	return tr.Start(ctx, "process "+topic, trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithLinks(trace.Link{SpanContext: producer}),
		trace.WithAttributes(kafka("process", topic, append(m.schema.attrs(), attribute.String("messaging.consumer.group.name", group))...)...))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// orders places orders at the configured rate: an HTTP request that produces orders.placed.
func (s *shop) orders(ctx context.Context, tr trace.Tracer) {
	every := time.Duration(float64(time.Second) / s.opt.OrdersPerSecond)
	for id := int64(1); sleep(ctx, every); id++ {
		rctx, req := tr.Start(ctx, "POST /orders", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", "POST"), attribute.String("http.route", "/orders")))
		s.produce(rctx, tr, "orders.placed", id, kafka("send", "orders.placed"))
		req.End()
	}
}

// payments charges each order; a share of the charges fail.
func (s *shop) payments(ctx context.Context, tr trace.Tracer, in <-chan message) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-in:
			pctx, span := s.consume(ctx, tr, "orders.placed", "payments", m)
			sleep(ctx, time.Duration(5+rand.IntN(20))*time.Millisecond)
			if rand.Float64() < s.opt.FailShare {
				span.SetStatus(codes.Error, "card declined")
				span.SetAttributes(attribute.String("error.type", "CardDeclined"))
			} else {
				s.produce(pctx, tr, "payments.completed", m.orderID, kafka("send", "payments.completed"))
			}
			span.End()
		}
	}
}

// inventory reserves stock. It is instrumented the older way: attribute names of the messaging
// conventions before 1.24, and the consumer span is a child of the producer's span. It was built
// against schema readWith of orders.placed and decodes every message into it (Avro's schema
// resolution drops the fields it does not know), so its spans name that schema however far the
// producer has moved on: a consumer on an older version.
func (s *shop) inventory(ctx context.Context, tr trace.Tracer, in <-chan message, readWith schemaRef) {
	old := func(topic string, extra ...attribute.KeyValue) []attribute.KeyValue {
		return append([]attribute.KeyValue{
			attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.destination", topic),
			attribute.String("messaging.destination_kind", "topic"),
			attribute.String("net.peer.name", "kafka.shop.internal"),
		}, extra...)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-in:
			parent := s.prop.Extract(ctx, m.headers)
			ictx, span := tr.Start(parent, "orders.placed process", trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(
				old("orders.placed", append(readWith.attrs(), attribute.String("messaging.operation", "process"), attribute.String("messaging.kafka.consumer.group", "inventory"))...)...))
			sleep(ctx, time.Duration(2+rand.IntN(8))*time.Millisecond)
			s.produce(ictx, tr, "inventory.reserved", m.orderID, old("inventory.reserved"))
			span.End()
		}
	}
}

// shipping books a parcel for each paid order, slowly.
func (s *shop) shipping(ctx context.Context, tr trace.Tracer, in <-chan message) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-in:
			sctx, span := s.consume(ctx, tr, "payments.completed", "shipping", m)
			jitter := time.Duration(rand.Int64N(int64(s.opt.SlowProcessing / 2)))
			sleep(ctx, s.opt.SlowProcessing*3/4+jitter)
			s.produce(sctx, tr, "shipments.created", m.orderID, kafka("send", "shipments.created"))
			span.End()
		}
	}
}

// notifications mails customers about payments and shipments through RabbitMQ.
func (s *shop) notifications(ctx context.Context, tr trace.Tracer, paid, shipped <-chan message) {
	for {
		var m message
		topic := ""
		select {
		case <-ctx.Done():
			return
		case m = <-paid:
			topic = "payments.completed"
		case m = <-shipped:
			topic = "shipments.created"
		}
		nctx, span := s.consume(ctx, tr, topic, "notifications", m)
		ectx, send := tr.Start(nctx, "publish emails", trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
			append([]attribute.KeyValue{
				attribute.String("messaging.system", "rabbitmq"),
				attribute.String("messaging.operation.type", "send"),
				attribute.String("messaging.destination.name", "emails"),
				attribute.String("messaging.rabbitmq.destination.routing_key", "customer"),
			}, s.schema("emails").attrs()...)...,
		))
		_ = ectx
		send.End()
		span.End()
	}
}

// fraudCheck scores each payment. Nobody documented it: its team subscribed to payments.completed
// without an AsyncAPI document, so eventlens reports it as an undocumented consumer (drift).
func (s *shop) fraudCheck(ctx context.Context, tr trace.Tracer, in <-chan message) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-in:
			_, span := s.consume(ctx, tr, "payments.completed", "fraud-check", m)
			sleep(ctx, time.Duration(1+rand.IntN(5))*time.Millisecond)
			span.End()
		}
	}
}
