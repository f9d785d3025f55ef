package server

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kfake"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/eventlens/eventlens/alerts"
	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/kafkalag"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/otlpmetrics/otlpmetricstest"
	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// scrape is one /metrics answer, parsed.
type scrape map[string]*dto.MetricFamily

// scrapeMetrics reads /metrics, with the key (id:secret) when it is not empty.
func (ts *testServer) scrapeMetrics(t testing.TB, key string) scrape {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if id, secret, ok := strings.Cut(key, ":"); ok {
		req.SetBasicAuth(id, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// find returns the series of family name whose labels include want ("k=v" pairs), or nil.
func (s scrape) find(name string, want ...string) *dto.Metric {
	f := s[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for _, w := range want {
			k, v, _ := strings.Cut(w, "=")
			if have[k] != v {
				continue next
			}
		}
		return m
	}
	return nil
}

// value is the value of a counter, gauge or untyped series, or of a histogram's or summary's
// sample count; NaN when there is no such series.
func (s scrape) value(name string, labels ...string) float64 {
	m := s.find(name, labels...)
	switch {
	case m == nil:
		return math.NaN()
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	case m.Summary != nil:
		return float64(m.Summary.GetSampleCount())
	}
	return m.Untyped.GetValue()
}

// check compares each series' value with what the test knows.
func (s scrape) check(t *testing.T, cases []seriesCase) {
	t.Helper()
	for _, c := range cases {
		if got := s.value(c.name, c.labels...); got != c.want {
			t.Errorf("%s{%s} = %v, want %v", c.name, strings.Join(c.labels, ","), got, c.want)
		}
	}
}

type seriesCase struct {
	name   string
	labels []string
	want   float64
}

func series(name string, want float64, labels ...string) seriesCase {
	return seriesCase{name: name, labels: labels, want: want}
}

// TestMetricsAfterAWorkload runs a known workload through real clients (the OTel SDK's OTLP
// exporters over HTTP and gRPC, registry and catalog requests, a Collector's kafkametrics
// export, Kafka lag polls of an in-process cluster and of one that is down) and finds each
// series it should leave on /metrics with its value; the flow and consumer series are held to
// /api/flows and /api/health.
func TestMetricsAfterAWorkload(t *testing.T) {
	store := storagetest.Default(t)
	k, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	lag, err := kafkalag.New(store, kafkalag.Config{PollTimeout: 2 * time.Second, Clusters: []kafkalag.Cluster{
		{Name: "shop", Brokers: k.ListenAddrs()}, {Name: "gone", Brokers: []string{"127.0.0.1:1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lag.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	withKafka := func(svc *Services) { // the brokers as serve joins them, the Kafka lag among them
		svc.Brokers.Kafka = lag
		svc.Ingest.SetBrokers(svc.Brokers)
	}
	ts := startServerListening(t, ln, store, tracing.Config{}, otlpmetrics.Config{CacheFor: time.Nanosecond}, alerts.Config{}, withKafka,
		func(c *Config) { c.OTLP.Limits.MaxSpans = 50 })
	ctx := context.Background()

	// Kafka lag: two rounds, each polling both clusters.
	for range 2 {
		if err := lag.PollOnce(ctx); err != nil {
			t.Fatal(err)
		}
	}

	// Spans through the SDK: orders sends 10 messages over HTTP; billing (HTTP) processes them,
	// linked, failing every other one and dead-lettering the failures; stock (gRPC) processes
	// them as children of the sends.
	provider := func(service string, newExporter func() (sdktrace.SpanExporter, error)) trace.Tracer {
		t.Helper()
		exp, err := newExporter()
		if err != nil {
			t.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
		t.Cleanup(func() { _ = tp.Shutdown(ctx) })
		return tp.Tracer("shop")
	}
	httpExporter := func() (sdktrace.SpanExporter, error) {
		return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(ts.URL+"/v1/traces"))
	}
	orders := provider("orders", httpExporter)
	billing := provider("billing", httpExporter)
	stock := provider("stock", func() (sdktrace.SpanExporter, error) {
		return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(ts.GRPCAddr), otlptracegrpc.WithInsecure())
	})
	kafka := func(destination string, more ...attribute.KeyValue) trace.SpanStartOption {
		return trace.WithAttributes(append([]attribute.KeyValue{attribute.String("messaging.system", "kafka"),
			attribute.String("messaging.destination.name", destination), attribute.String("server.address", "broker")}, more...)...)
	}
	const messages = 10
	for i := range messages {
		_, send := orders.Start(ctx, "orders send", trace.WithSpanKind(trace.SpanKindProducer), kafka("orders", attribute.String("messaging.operation.type", "send")))
		sent := send.SpanContext()
		send.End()
		pctx, process := billing.Start(ctx, "orders process", trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindConsumer),
			trace.WithLinks(trace.Link{SpanContext: sent}),
			kafka("orders", attribute.String("messaging.operation.type", "process"), attribute.String("messaging.consumer.group.name", "billing")))
		if i%2 == 0 {
			_, dlt := billing.Start(pctx, "orders.DLT send", trace.WithSpanKind(trace.SpanKindProducer), kafka("orders.DLT", attribute.String("messaging.operation.type", "send")))
			dlt.End()
			process.SetStatus(codes.Error, "card declined")
		}
		process.End()
		_, child := stock.Start(trace.ContextWithRemoteSpanContext(ctx, sent), "orders process", trace.WithSpanKind(trace.SpanKindConsumer),
			kafka("orders", attribute.String("messaging.operation.type", "process"), attribute.String("messaging.consumer.group.name", "stock")))
		child.End()
	}
	const httpSpans, grpcSpans, producers = messages + messages + messages/2, messages, messages + messages/2

	// Refused exports: more spans than --otlp-max-spans (50), and a body that is not OTLP.
	if resp, body := ts.postOTLP(t, contentTypeProtobuf, "", benchRequest(t, 1, 60)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("60 spans: %d %s", resp.StatusCode, body)
	}
	if resp, body := ts.postOTLP(t, contentTypeProtobuf, "", []byte("not protobuf")); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("garbage: %d %s", resp.StatusCode, body)
	}
	// Over gRPC too: gRPC answers INVALID_ARGUMENT, counted as too large all the same.
	grpcExporter, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(ts.GRPCAddr), otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	var tooMany tracetest.SpanStubs
	for i := range 60 {
		tooMany = append(tooMany, tracetest.SpanStub{Name: "x", SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
			TraceID: trace.TraceID{9}, SpanID: trace.SpanID{byte(i + 1)}})})
	}
	if err := grpcExporter.ExportSpans(ctx, tooMany.Snapshots()); status.Code(err) != grpccodes.InvalidArgument {
		t.Fatalf("60 spans over gRPC: %v, want InvalidArgument", err)
	}
	_ = grpcExporter.Shutdown(ctx)

	// A Collector's kafkametrics export: 15 points read, 8 ignored.
	if resp, body := ts.postMetrics(t, contentTypeProtobuf, "", "", otlpmetricstest.Protobuf(kafkaScrape(time.Now().Add(-time.Minute), 90, 100, 100).Metrics())); resp.StatusCode != http.StatusOK {
		t.Fatalf("metrics export: %d %s", resp.StatusCode, body)
	}

	// The registry: one registration, one refused as incompatible (409), one invalid (42201);
	// one compatible check, one incompatible, one of an unknown version.
	record := func(fields string) string {
		return fmt.Sprintf(`{"schema": %q}`, `{"type":"record","name":"Order","fields":[`+fields+`]}`)
	}
	ts.mustCall(t, "POST", "/subjects/orders-value/versions", record(`{"name":"id","type":"string"}`))
	for _, c := range []struct {
		body string
		want int
	}{{record(`{"name":"id","type":"string"},{"name":"total","type":"long"}`), 409}, {`{"schema": "{"}`, 422}} {
		if status, out := ts.call(t, "POST", "/subjects/orders-value/versions", c.body); status != c.want {
			t.Fatalf("register %s: %d %s", c.body, status, out)
		}
	}
	for _, c := range []struct {
		path, body string
		want       int
	}{
		{"/compatibility/subjects/orders-value/versions/latest", record(`{"name":"id","type":"string"},{"name":"note","type":["null","string"],"default":null}`), 200},
		{"/compatibility/subjects/orders-value/versions/latest", record(`{"name":"id","type":"long"}`), 200},
		{"/compatibility/subjects/orders-value/versions/7", record(`{"name":"id","type":"string"}`), 404},
	} {
		if status, out := ts.call(t, "POST", c.path, c.body); status != c.want {
			t.Fatalf("check %s: %d %s", c.path, status, out)
		}
	}

	// The catalog: two documents that disagree on the partitions of orders (one conflict each
	// time the second is imported), the second twice, and one that is not AsyncAPI.
	doc := func(title, action string, partitions int) string {
		return fmt.Sprintf(`{"asyncapi": "3.0.0", "info": {"title": %q, "version": "1.0.0"},
			"channels": {"orders": {"address": "orders", "bindings": {"kafka": {"partitions": %d}}}},
			"operations": {"op": {"action": %q, "channel": {"$ref": "#/channels/orders"}}}}`, title, partitions, action)
	}
	for _, d := range []string{doc("Orders", "send", 12), doc("Billing", "receive", 6), doc("Billing", "receive", 6)} {
		ts.importDoc(t, d)
	}
	if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader("asyncapi: 3.0.0\ninfo: {title: x}\noperations:\n  op: {action: fly}\n")); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("broken document: %d %s", resp.StatusCode, body)
	}

	flows := ts.flows(t, "since=1h")
	health := ts.health(t)
	_, drift := ts.driftFindings(t, "")

	// Once a key exists, exports without one are refused, over HTTP and gRPC.
	key, secret, err := ts.srv.svc.Keys.Create(ctx, "ops", apikeys.RoleRead)
	if err != nil {
		t.Fatal(err)
	}
	if resp, body := ts.postOTLP(t, contentTypeProtobuf, "", benchRequest(t, 2, 10)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("export without a key: %d %s", resp.StatusCode, body)
	}
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(ts.GRPCAddr), otlptracegrpc.WithInsecure(), otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	if err := exp.ExportSpans(ctx, tracetest.SpanStubs{{Name: "x", SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}})}}.Snapshots()); err == nil {
		t.Fatal("gRPC export without a key was accepted")
	}
	_ = exp.Shutdown(ctx)
	m := ts.scrapeMetrics(t, key.ID+":"+secret)
	m.check(t, []seriesCase{
		series("eventlens_receiver_received_spans_total", httpSpans+60, "transport=http"),
		series("eventlens_receiver_received_spans_total", grpcSpans+60, "transport=grpc"),
		series("eventlens_receiver_accepted_spans_total", httpSpans, "transport=http"),
		series("eventlens_receiver_accepted_spans_total", grpcSpans, "transport=grpc"),
		series("eventlens_receiver_refused_spans_total", 60, "transport=http", "reason=too_large"),
		series("eventlens_receiver_refused_requests_total", 1, "transport=http", "signal=traces", "reason=too_large"),
		series("eventlens_receiver_refused_spans_total", 60, "transport=grpc", "reason=too_large"),
		series("eventlens_receiver_refused_requests_total", 1, "transport=grpc", "signal=traces", "reason=too_large"),
		series("eventlens_receiver_refused_requests_total", 1, "transport=http", "signal=traces", "reason=malformed"),
		series("eventlens_receiver_refused_requests_total", 1, "transport=http", "signal=traces", "reason=unauthorised"),
		series("eventlens_receiver_refused_requests_total", 1, "transport=grpc", "signal=traces", "reason=unauthorised"),
		series("eventlens_ingest_stored_spans_total", httpSpans+grpcSpans),
		series("eventlens_ingest_failed_spans_total", 0),
		series("eventlens_ingest_queue_spans", 0),
		series("eventlens_ingest_queue_capacity_spans", 50_000),
		series("eventlens_ingest_pairing_backlog_spans", producers),
		series("eventlens_otlp_metric_points_total", 15, "outcome=stored"),
		series("eventlens_otlp_metric_points_total", 8, "outcome=ignored"),
		series("eventlens_registry_registrations_total", 1),
		series("eventlens_registry_refusals_total", 1, "code=409"),
		series("eventlens_registry_refusals_total", 1, "code=42201"),
		series("eventlens_registry_compatibility_checks_total", 1, "verdict=compatible"),
		series("eventlens_registry_compatibility_checks_total", 1, "verdict=incompatible"),
		series("eventlens_registry_compatibility_checks_total", 1, "verdict=error"),
		series("eventlens_catalog_imports_total", 2, "result=changed"),
		series("eventlens_catalog_imports_total", 1, "result=unchanged"),
		series("eventlens_catalog_imports_total", 1, "result=failed"),
		series("eventlens_catalog_import_conflicts_total", 2),
		series("eventlens_broker_poll_duration_seconds", 2, "kind=kafka", "name=shop"),
		series("eventlens_broker_poll_errors_total", 0, "kind=kafka", "name=shop"),
		series("eventlens_broker_poll_duration_seconds", 2, "kind=kafka", "name=gone"),
		series("eventlens_broker_poll_errors_total", 2, "kind=kafka", "name=gone"),
		series("eventlens_source_up", 1, "kind=kafka", "name=shop"),
		series("eventlens_source_up", 0, "kind=kafka", "name=gone"),
		series("eventlens_flow_series_dropped_messages_total", 0),
		series("eventlens_consumer_series_dropped", 0),
	})
	// Batches: every span in one of them, each commit timed.
	batches := m.find("eventlens_ingest_batch_spans").GetHistogram()
	if batches.GetSampleSum() != httpSpans+grpcSpans || batches.GetSampleCount() == 0 {
		t.Errorf("batch histogram: %d batches of %v spans in all", batches.GetSampleCount(), batches.GetSampleSum())
	}
	if commits := m.find("eventlens_ingest_commit_duration_seconds").GetHistogram(); commits.GetSampleCount() < batches.GetSampleCount() {
		t.Errorf("commit histogram counts %d commits, fewer than the %d batches", commits.GetSampleCount(), batches.GetSampleCount())
	}
	if poll := m.find("eventlens_broker_poll_duration_seconds", "name=shop").GetSummary(); poll.GetSampleSum() <= 0 {
		t.Errorf("polls of shop took %v s in all", poll.GetSampleSum())
	}
	size, err := os.Stat(store.Where())
	if store.SQLite == nil {
		size, err = nil, nil
	}
	if got := m.value("eventlens_store_size_bytes", "backend="+store.Backend()); err != nil || got <= 0 || (size != nil && got < float64(size.Size())) {
		t.Errorf("store size %v (file: %v, %v)", got, size, err)
	}

	// Every flow of /api/flows is a series with its counts, and nothing else is.
	if len(flows.Flows) != 4 {
		t.Fatalf("want 4 flows (orders, billing, stock, billing's dead letters), got %+v", flows.Flows)
	}
	for _, f := range flows.Flows {
		labels := []string{"direction=" + f.Direction, "service=" + f.Service, "channel=" + f.ChannelKey, "consumer_group=" + f.ConsumerGroup}
		want := []seriesCase{
			series("eventlens_flow_messages_total", float64(f.Messages), labels...),
			series("eventlens_flow_errors_total", float64(f.Errors), labels...),
			series("eventlens_flow_processing_duration_seconds", float64(f.Messages), labels...), // one span per message
		}
		if f.Direction == "consume" {
			want = append(want, series("eventlens_flow_delay_seconds", float64(f.Delays), labels...))
		}
		m.check(t, want)
	}
	if n := len(m["eventlens_flow_messages_total"].GetMetric()); n != len(flows.Flows) {
		t.Errorf("%d flow series for %d flows", n, len(flows.Flows))
	}

	// Every consumer of /api/health is a series with its status, lag and dead letters.
	if len(health.Consumers) != 2 {
		t.Fatalf("want billing (its lag from the metrics) and stock, got %+v", health.Consumers)
	}
	var lags, deadLetters int
	for _, c := range health.Consumers {
		labels := []string{"service=" + c.Service, "consumer_group=" + c.ConsumerGroup, "channel=" + c.ChannelKey}
		for _, s := range consumerStatuses {
			want := 0.0
			if s == c.Status {
				want = 1
			}
			m.check(t, []seriesCase{series("eventlens_consumer_status", want, append(labels, "status="+s)...)})
		}
		if c.Lag != nil {
			lags++
			m.check(t, []seriesCase{series("eventlens_consumer_lag_messages", float64(*c.Lag), labels...)})
		}
		for _, d := range c.DeadLetters {
			deadLetters++
			m.check(t, []seriesCase{series("eventlens_dead_letter_inflow_messages_per_second", d.PerMinute/60,
				append(labels, "dead_letter_channel="+d.ChannelKey, "kind="+d.Kind)...)})
		}
	}
	if lags == 0 || deadLetters == 0 {
		t.Errorf("no consumer with lag (%d) or dead letters (%d): %+v", lags, deadLetters, health.Consumers)
	}
	if s := m.find("eventlens_consumer_status", "service=billing", "consumer_group=billing", "status=failing"); s.GetGauge().GetValue() != 1 {
		t.Errorf("billing is not failing on /metrics: %v", s)
	}

	// Drift, by kind, as /api/catalog/drift finds it.
	byKind := map[string]float64{}
	for _, f := range drift {
		byKind[f.Kind]++
	}
	if len(byKind) == 0 {
		t.Error("the workload made no drift")
	}
	for _, kind := range catalog.DriftKinds {
		m.check(t, []seriesCase{series("eventlens_catalog_drift_findings", byKind[kind], "kind="+kind)})
	}
}

// TestMetricsCapFlowSeries: flows beyond --metrics-max-series have no series, and their
// messages are counted as dropped; consumers beyond it neither.
func TestMetricsCapFlowSeries(t *testing.T) {
	ts := startServerWith(t, tracing.Config{FlowSeries: 2}, func(c *Config) { c.MaxSeries = 1 })
	// benchRequest: 10 services, each producing to its topic and consuming from it.
	if resp, body := ts.postOTLP(t, contentTypeProtobuf, "", benchRequest(t, 1, 100)); resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	flows := ts.flows(t, "since=1h")
	health := ts.health(t)
	var total, kept float64
	for _, f := range flows.Flows {
		total += float64(f.Messages)
	}
	m := ts.scrapeMetrics(t, "")
	for _, s := range m["eventlens_flow_messages_total"].GetMetric() {
		kept += s.GetCounter().GetValue()
	}
	if n := len(m["eventlens_flow_messages_total"].GetMetric()); n != 2 {
		t.Errorf("%d flow series under a cap of 2", n)
	}
	if dropped := m.value("eventlens_flow_series_dropped_messages_total"); kept+dropped != total || dropped == 0 {
		t.Errorf("kept %v + dropped %v messages, want %v in all", kept, dropped, total)
	}
	statuses := map[string]bool{}
	for _, s := range m["eventlens_consumer_status"].GetMetric() {
		statuses[fmt.Sprint(s.GetLabel()[:3])] = true
	}
	if len(statuses) != 1 || m.value("eventlens_consumer_series_dropped") != float64(len(health.Consumers)-1) {
		t.Errorf("%d consumers on /metrics, %v dropped, of %d", len(statuses), m.value("eventlens_consumer_series_dropped"), len(health.Consumers))
	}
}
