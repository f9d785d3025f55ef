package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// Options configure the shop.
type Options struct {
	Endpoint        string  // eventlens' base URL, e.g. http://127.0.0.1:8080
	OrdersPerSecond float64 // how fast orders come in (5)
	FailShare       float64 // share of payments that are declined (0.3)
	// SlowProcessing is how long shipping takes to book a parcel (1.2 s), five times as long
	// while the carrier is slow.
	SlowProcessing time.Duration
	// LagCycle is how long the carrier's slow stretches last (2 min), from the start and then
	// after every quick stretch of twice as long. At the default rates shipping books 1 parcel
	// a second while the carrier is slow, against 3.5 payments, so its group falls further
	// behind at every poll, and 5 a second while it is quick, so it catches up within the
	// stretch.
	LagCycle time.Duration
	// SchemaStep is the time between the changes the orders team makes to orders.placed's
	// schema while the shop runs (15 s): version 2, a refused change, version 3.
	SchemaStep time.Duration
	Logger     *slog.Logger

	// Cluster is the Kafka cluster the shop runs on, for a caller that polls it too; nil starts
	// one for the run.
	Cluster *Cluster

	// APIKey is an eventlens API key with the write role, "id:secret", for a server that has
	// keys: sent as HTTP Basic to the catalog API and as a Bearer token (the secret) with OTLP.
	// Empty sends no credentials, which only a server without keys accepts.
	APIKey string
}

// shop is the running demo: its Kafka cluster and one tracer provider per service.
type shop struct {
	opt       Options
	cluster   *Cluster
	providers []*sdktrace.TracerProvider
	started   time.Time

	mu       sync.RWMutex
	schemas  map[string]schemaRef // channel → the schema its messages are written with now
	versions map[int]schemaRef    // schema id → its version, what a deserializer's cache holds
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
	s.versions[ref.ID] = ref
}

// Run runs the shop until ctx ends, then flushes every service's messages and spans.
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
	if opt.LagCycle <= 0 {
		opt.LagCycle = 2 * time.Minute
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
	s := &shop{opt: opt, cluster: opt.Cluster, versions: map[int]schemaRef{}}
	if s.cluster == nil {
		if s.cluster, err = NewCluster(); err != nil {
			return err
		}
		defer s.cluster.Close()
	}
	// The shop describes itself first, so that its messages can name the registry's schemas.
	api := &client{base: strings.TrimSuffix(opt.Endpoint, "/"), keyID: keyID, secret: secret, http: &http.Client{Timeout: 10 * time.Second}}
	schemas, err := s.describe(ctx, api)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		hint := ""
		if opt.APIKey == "" {
			hint = "; a server with API keys needs one for the demo: EVENTLENS_DEMO_KEY=id:secret"
		}
		opt.Logger.Warn("demo shop runs without its catalog documents and schema ids"+hint, "error", err)
	}
	s.schemas = map[string]schemaRef{}
	for channel, ref := range schemas {
		s.setSchema(channel, ref)
	}
	var headers map[string]string
	if opt.APIKey != "" {
		headers = map[string]string{"Authorization": "Bearer " + secret}
	}
	var services []*service
	defer func() {
		// Messages first (their publish spans end when the broker answers), then spans.
		flush, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		for _, svc := range services {
			err = errors.Join(err, svc.stop(flush))
		}
		for _, tp := range s.providers {
			err = errors.Join(err, tp.Shutdown(flush))
		}
	}()
	start := func(name, group string, topics ...string) (*service, error) {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(tracesURL), otlptracehttp.WithHeaders(headers))
		if err != nil {
			return nil, fmt.Errorf("demo exporter for %s: %w", name, err)
		}
		tp := sdktrace.NewTracerProvider(
			sdktrace.WithBatcher(exp, sdktrace.WithBatchTimeout(500*time.Millisecond)),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", name))),
		)
		s.providers = append(s.providers, tp)
		svc, err := s.newService(name, tp, group, topics...)
		if err != nil {
			return nil, err
		}
		services = append(services, svc)
		return svc, nil
	}
	orders, err := start("orders", "")
	if err != nil {
		return err
	}
	payments, err := start("payments", "payments", topicOrdersPlaced)
	if err != nil {
		return err
	}
	inventory, err := start("inventory", "inventory", topicOrdersPlaced)
	if err != nil {
		return err
	}
	shipping, err := start("shipping", "shipping", topicPaymentsCompleted)
	if err != nil {
		return err
	}
	notifications, err := start("notifications", "notifications", topicPaymentsCompleted, topicShipmentsCreated)
	if err != nil {
		return err
	}
	fraudCheck, err := start("fraud-check", "fraud-check", topicPaymentsCompleted)
	if err != nil {
		return err
	}

	// inventory was built against the schema orders.placed has now and keeps reading with it.
	inventoryReads := s.schema(evolvingChannel)
	s.started = time.Now()
	var wg sync.WaitGroup
	wg.Go(func() { s.orders(ctx, orders) })
	wg.Go(func() { s.consume(ctx, payments, nil, s.payments(payments)) })
	wg.Go(func() { s.consume(ctx, inventory, &inventoryReads, s.inventory(inventory)) })
	wg.Go(func() { s.consume(ctx, shipping, nil, s.shipping(shipping)) })
	wg.Go(func() { s.consume(ctx, notifications, nil, s.notifications(notifications)) })
	wg.Go(func() { s.consume(ctx, fraudCheck, nil, s.fraudCheck) })
	// Without a first version in the registry there is nothing to evolve.
	if inventoryReads.ID != 0 {
		wg.Go(func() { s.evolve(ctx, api) })
	}
	opt.Logger.Info("demo shop running", "orders_per_second", opt.OrdersPerSecond, "schema_step", opt.SchemaStep,
		"kafka", strings.Join(s.cluster.Brokers(), ","), "endpoint", opt.Endpoint)
	wg.Wait()
	return nil
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

// jsonBody is a message body in JSON; the demo's bodies cannot fail to encode.
func jsonBody(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// orderID is the order a record is about: its key.
func orderID(r *kgo.Record) int64 {
	id, _ := strconv.ParseInt(string(r.Key), 10, 64)
	return id
}

// orders places orders at the configured rate: an HTTP request that produces orders.placed.
func (s *shop) orders(ctx context.Context, svc *service) {
	every := time.Duration(float64(time.Second) / s.opt.OrdersPerSecond)
	for id := int64(1); sleep(ctx, every); id++ {
		rctx, req := svc.tracer.Start(ctx, "POST /orders", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", "POST"), attribute.String("http.route", "/orders")))
		s.produce(rctx, svc, topicOrdersPlaced, id, nil, jsonBody(map[string]any{
			"orderId": id, "customerId": fmt.Sprintf("c-%d", id%97), "totalCents": 1000 + id%50*100, "currency": "EUR", "placedAt": time.Now().UnixMilli(),
		}))
		req.End()
	}
}

// payments charges each order. A share of the charges are declined: the process span says so,
// and the order goes as it came to the dead-letter topic, with Spring Kafka's headers saying
// where it came from and why.
func (s *shop) payments(svc *service) handler {
	return func(ctx context.Context, r *kgo.Record, span trace.Span) {
		sleep(ctx, time.Duration(5+rand.IntN(20))*time.Millisecond)
		id := orderID(r)
		if rand.Float64() < s.opt.FailShare {
			span.SetStatus(codes.Error, "card declined")
			span.SetAttributes(attribute.String("error.type", "CardDeclined"))
			// The same key, so the same partition of the dead-letter topic as of the original.
			s.send(ctx, svc, &kgo.Record{Topic: topicOrdersPlacedDLT, Key: r.Key, Value: r.Value, Headers: []kgo.RecordHeader{
				{Key: "kafka_dlt-original-topic", Value: []byte(r.Topic)},
				{Key: "kafka_dlt-original-partition", Value: []byte(strconv.Itoa(int(r.Partition)))},
				{Key: "kafka_dlt-original-offset", Value: []byte(strconv.FormatInt(r.Offset, 10))},
				{Key: "kafka_dlt-original-consumer-group", Value: []byte(svc.group)},
				{Key: "kafka_dlt-exception-message", Value: []byte("card declined")},
			}})
			return
		}
		s.produce(ctx, svc, topicPaymentsCompleted, id, nil, jsonBody(map[string]any{
			"orderId": id, "paymentId": fmt.Sprintf("00000000-0000-4000-8000-%012d", id), "amountCents": 1000 + id%50*100, "currency": "EUR",
		}))
	}
}

// inventory reserves stock. It was built against the first schema of orders.placed and decodes
// every message into it (Avro's schema resolution drops the fields it does not know), so its
// spans name that schema however far the producer has moved on: a consumer on an older version.
// inventory.reserved is Protobuf: its wire format carries the message's index after the id.
func (s *shop) inventory(svc *service) handler {
	return func(ctx context.Context, r *kgo.Record, _ trace.Span) {
		sleep(ctx, time.Duration(2+rand.IntN(8))*time.Millisecond)
		id := orderID(r)
		// StockReserved{order_id: id, lines: [{sku, quantity: 1}], warehouse}
		var line []byte
		line = protowire.AppendTag(line, 1, protowire.BytesType)
		line = protowire.AppendString(line, fmt.Sprintf("sku-%d", id%20))
		line = protowire.AppendTag(line, 2, protowire.VarintType)
		line = protowire.AppendVarint(line, 1)
		var body []byte
		body = protowire.AppendTag(body, 1, protowire.VarintType)
		body = protowire.AppendVarint(body, uint64(id))
		body = protowire.AppendTag(body, 2, protowire.BytesType)
		body = protowire.AppendBytes(body, line)
		body = protowire.AppendTag(body, 3, protowire.BytesType)
		body = protowire.AppendString(body, "ams-1")
		s.produce(ctx, svc, topicInventoryReserved, id, []int{0}, body)
	}
}

// carrierSlow tells whether the carrier is in one of its slow stretches: the first LagCycle of
// the run, and one in every three after it.
func (s *shop) carrierSlow() bool {
	return time.Since(s.started)%(3*s.opt.LagCycle) < s.opt.LagCycle
}

// shipping books a parcel for each paid order, slowly, one at a time on each of the six
// partitions of payments.completed: at the default rates about 5 a second, against 3.5 paid
// orders. While the carrier is slow it books five times slower, and its group falls behind.
func (s *shop) shipping(svc *service) handler {
	return func(ctx context.Context, r *kgo.Record, _ trace.Span) {
		booking := s.opt.SlowProcessing*3/4 + time.Duration(rand.Int64N(int64(s.opt.SlowProcessing/2)))
		if s.carrierSlow() {
			booking *= 5
		}
		sleep(ctx, booking)
		id := orderID(r)
		s.produce(ctx, svc, topicShipmentsCreated, id, nil, jsonBody(map[string]any{
			"orderId": id, "shipmentId": fmt.Sprintf("s-%d", id), "carrier": "postnl",
		}))
	}
}

// notifications mails customers about payments and shipments through RabbitMQ. The shop has
// no RabbitMQ, so the publish span is made by hand, as an AMQP client's instrumentation names it.
func (s *shop) notifications(svc *service) handler {
	return func(ctx context.Context, _ *kgo.Record, _ trace.Span) {
		_, send := svc.tracer.Start(ctx, "publish emails", trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
			append([]attribute.KeyValue{
				attribute.String("messaging.system", "rabbitmq"),
				attribute.String("messaging.operation.type", "send"),
				attribute.String("messaging.destination.name", "emails"),
				attribute.String("messaging.rabbitmq.destination.routing_key", "customer"),
			}, s.schema("emails").attrs()...)...,
		))
		send.End()
	}
}

// fraudCheck scores each payment. Nobody documented it: its team subscribed to payments.completed
// without an AsyncAPI document, so eventlens reports it as an undocumented consumer (drift).
func (s *shop) fraudCheck(ctx context.Context, _ *kgo.Record, _ trace.Span) {
	sleep(ctx, time.Duration(1+rand.IntN(5))*time.Millisecond)
}
