package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventlens/eventlens/catalog"
)

// driftDoc is an AsyncAPI 3.0 document of one service: sends and receives are
// "channel:address[:group]" entries, every channel carries a Kafka binding and one message with a
// small JSON Schema payload.
func driftDoc(service string, sends, receives []string) string {
	var channels, operations strings.Builder
	op := func(action, entry string) {
		parts := strings.Split(entry, ":")
		key, address := parts[0], parts[1]
		fmt.Fprintf(&channels, `
  %s:
    address: %s
    bindings: {kafka: {bindingVersion: '0.5.0', partitions: 3}}
    messages:
      Event:
        name: %sEvent
        payload: {type: object, properties: {id: {type: string}}}`, key, address, key)
		fmt.Fprintf(&operations, `
  %s%s:
    action: %s
    channel: {$ref: '#/channels/%s'}`, action, key, action, key)
		if len(parts) > 2 {
			fmt.Fprintf(&operations, `
    bindings: {kafka: {groupId: {type: string, enum: [%s]}}}`, parts[2])
		}
	}
	for _, s := range sends {
		op("send", s)
	}
	for _, r := range receives {
		op("receive", r)
	}
	return fmt.Sprintf("asyncapi: 3.0.0\ninfo: {title: %s, version: 1.0.0}\nchannels:%s\noperations:%s\n", service, channels.String(), operations.String())
}

// spanSender sends spans through the OTel SDK's OTLP/HTTP exporter, one tracer provider per
// service, each span exported (and committed) before send returns.
type spanSender struct {
	t         *testing.T
	url       string
	providers map[string]*sdktrace.TracerProvider
}

func (s *spanSender) send(service string, at time.Time, kind trace.SpanKind, attrs ...attribute.KeyValue) {
	s.t.Helper()
	ctx := context.Background()
	tp := s.providers[service]
	if tp == nil {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(s.url+"/v1/traces"))
		if err != nil {
			s.t.Fatal(err)
		}
		tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
		s.t.Cleanup(func() { _ = tp.Shutdown(ctx) })
		s.providers[service] = tp
	}
	_, span := tp.Tracer("drift-test").Start(ctx, "messaging", trace.WithSpanKind(kind), trace.WithTimestamp(at.Add(-time.Second)), trace.WithAttributes(attrs...))
	span.End(trace.WithTimestamp(at))
}

// produce and consume are the attributes of a Kafka producer and consumer span.
func produce(topic string, extra ...attribute.KeyValue) []attribute.KeyValue {
	return append([]attribute.KeyValue{attribute.String("messaging.system", "kafka"), attribute.String("messaging.operation.type", "send"),
		attribute.String("messaging.destination.name", topic), attribute.String("server.address", "kafka.shop.internal")}, extra...)
}

func consume(system, topic, group string, extra ...attribute.KeyValue) []attribute.KeyValue {
	return append([]attribute.KeyValue{attribute.String("messaging.system", system), attribute.String("messaging.operation.type", "process"),
		attribute.String("messaging.destination.name", topic), attribute.String("messaging.consumer.group.name", group)}, extra...)
}

// driftFindings asks GET /api/catalog/drift and writes each finding as "kind service channel group".
func (ts *testServer) driftFindings(t *testing.T, query string) ([]string, []catalog.DriftFinding) {
	t.Helper()
	resp, body := ts.do(t, http.MethodGet, "/api/catalog/drift"+query, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/catalog/drift%s: %d %s", query, resp.StatusCode, body)
	}
	r := decodeJSON[driftResponse](t, body)
	var short []string
	for _, f := range r.Findings {
		short = append(short, strings.Join(slices.DeleteFunc([]string{f.Kind, f.Service, f.Channel, f.Group}, func(s string) bool { return s == "" }), " "))
		if f.Detail == "" {
			t.Errorf("finding %+v has no detail", f)
		}
	}
	return short, r.Findings
}

func (ts *testServer) wantDrift(t *testing.T, step, query string, want ...string) []catalog.DriftFinding {
	t.Helper()
	got, findings := ts.driftFindings(t, query)
	if !slices.Equal(got, want) {
		t.Errorf("%s: drift\n  %s\nwant\n  %s", step, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		for _, f := range findings {
			t.Logf("%s: %s", f.Kind, f.Detail)
		}
	}
	return findings
}

func (ts *testServer) importDoc(t *testing.T, doc string) {
	t.Helper()
	if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc)); resp.StatusCode != http.StatusOK ||
		strings.Contains(body, `"refused"`) {
		t.Fatalf("import: %d %s\n%s", resp.StatusCode, body, doc)
	}
}

// TestDriftOverOTLP produces every kind of drift with spans sent through OTLP against imported
// documents, and makes each disappear by fixing the document, the registry or the traffic.
func TestDriftOverOTLP(t *testing.T) {
	t0 := time.Now().UTC().Truncate(time.Second)
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	ts := startServer(t, func(c *Config) { c.Now = func() time.Time { return *clock.Load() } })
	spans := &spanSender{t: t, url: ts.URL, providers: map[string]*sdktrace.TracerProvider{}}

	ordersDoc := driftDoc("orders", []string{"placed:orders.placed"}, nil)
	ts.importDoc(t, ordersDoc)
	ts.importDoc(t, driftDoc("payments", nil, []string{"placed:orders.placed:payments", "refunds:refunds.requested:payments"}))
	// orders.placed-value (registered by the import as version 1, id 1) gets a version 2, id 2.
	ts.mustCall(t, http.MethodPut, "/config/orders.placed-value", `{"compatibility": "NONE"}`)
	ts.mustCall(t, http.MethodPost, "/subjects/orders.placed-value/versions",
		`{"schemaType": "JSON", "schema": "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},\"total\":{\"type\":\"number\"}}}"}`)

	ts.wantDrift(t, "before any span", "")

	seen := t0.Add(-time.Minute)
	spans.send("orders", seen, trace.SpanKindProducer, produce("orders.placed", attribute.String(catalog.SchemaIDAttribute, "2"))...)
	spans.send("payments", seen, trace.SpanKindConsumer, consume("kafka", "orders.placed", "payments", attribute.String(catalog.SchemaVersionAttribute, "1"))...)
	spans.send("fraud", seen, trace.SpanKindConsumer, consume("kafka", "orders.placed", "fraud")...)
	spans.send("orders", seen, trace.SpanKindProducer, produce("orders.audit")...)
	// A RabbitMQ queue of the same name is not the Kafka channel the documents describe.
	spans.send("ledger", seen, trace.SpanKindConsumer, consume("rabbitmq", "orders.placed", "ledger")...)

	// The documents are new: nothing is judged not_observed until they are 7 days old.
	findings := ts.wantDrift(t, "first traffic", "",
		"undocumented_producer orders orders.audit",
		"undocumented_consumer fraud orders.placed fraud",
		"undocumented_consumer ledger orders.placed ledger",
		"channel_without_schema orders.audit",
		"stale_consumer_schema payments orders.placed payments",
	)
	for _, f := range findings {
		if f.FirstSeen == nil || f.LastSeen == nil || !f.LastSeen.Equal(seen) {
			t.Errorf("%s %s: first seen %v, last seen %v, want last seen %s", f.Kind, f.Service, f.FirstSeen, f.LastSeen, seen)
		}
		switch f.Kind {
		case catalog.DriftChannelWithoutSchema:
			if f.Subject != "orders.audit-value" {
				t.Errorf("channel_without_schema subject %q, want orders.audit-value", f.Subject)
			}
		case catalog.DriftStaleConsumerSchema:
			if f.Subject != "orders.placed-value" || !strings.Contains(f.Detail, "schema version 1 of orders.placed-value; the latest is version 2 (id 2)") {
				t.Errorf("stale_consumer_schema: %+v", f)
			}
		case catalog.DriftUndocumentedConsumer:
			if f.Service == "ledger" && !strings.Contains(f.Detail, "a channel no document describes") {
				t.Errorf("ledger: %s", f.Detail)
			}
		}
	}
	ts.wantDrift(t, "kind filter", "?kind=stale_consumer_schema,channel_without_schema",
		"channel_without_schema orders.audit",
		"stale_consumer_schema payments orders.placed payments",
	)
	ts.wantDrift(t, "since after the spans", "?since=30s")

	// Fix each: register the missing subject; document the producer (the same payload, so its
	// registration is unchanged) and the consumer; consume the latest schema, by id.
	ts.mustCall(t, http.MethodPost, "/subjects/orders.audit-value/versions",
		`{"schemaType": "JSON", "schema": "{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"}}}"}`)
	ts.wantDrift(t, "subject registered", "?kind=channel_without_schema")
	ordersDoc = driftDoc("orders", []string{"placed:orders.placed", "audit:orders.audit"}, nil)
	ts.importDoc(t, ordersDoc)
	ts.importDoc(t, driftDoc("fraud", nil, []string{"placed:orders.placed:fraud"}))
	ts.wantDrift(t, "documents fixed", "?kind=undocumented_producer,undocumented_consumer",
		"undocumented_consumer ledger orders.placed ledger")
	spans.send("payments", seen.Add(time.Second), trace.SpanKindConsumer, consume("kafka", "orders.placed", "payments", attribute.String(catalog.SchemaIDAttribute, "2"))...)
	ts.wantDrift(t, "latest schema consumed", "?kind=stale_consumer_schema")
	// An id of an older version is stale as well.
	spans.send("payments", seen.Add(2*time.Second), trace.SpanKindConsumer, consume("kafka", "orders.placed", "payments", attribute.String(catalog.SchemaIDAttribute, "1"))...)
	ts.wantDrift(t, "old schema id", "?kind=stale_consumer_schema", "stale_consumer_schema payments orders.placed payments")
	spans.send("payments", seen.Add(3*time.Second), trace.SpanKindConsumer, consume("kafka", "orders.placed", "payments", attribute.String(catalog.SchemaVersionAttribute, "2"))...)
	ts.wantDrift(t, "latest schema version", "?kind=stale_consumer_schema")

	// Eight days later nothing was seen for 7 days: every documented flow is not_observed.
	later := t0.Add(8 * 24 * time.Hour)
	clock.Store(&later)
	findings = ts.wantDrift(t, "eight days later", "",
		"not_observed orders orders.audit",
		"not_observed fraud orders.placed fraud",
		"not_observed orders orders.placed",
		"not_observed payments orders.placed payments",
		"not_observed payments refunds.requested payments",
	)
	for _, f := range findings {
		never := f.Channel == "refunds.requested"
		if (f.LastSeen == nil) != never || strings.Contains(f.Detail, "never observed") != never || f.Operation == "" {
			t.Errorf("%s %s: last seen %v: %s", f.Service, f.Channel, f.LastSeen, f.Detail)
		}
	}
	// Over ten days, everything was seen; and the ledger's queue, seen 8 days ago, is back in the window.
	ts.wantDrift(t, "ten days allowed", "?notObservedDays=10", "undocumented_consumer ledger orders.placed ledger")

	// The traffic resumes, everyone on the latest schema.
	now := later.Add(-time.Minute)
	spans.send("orders", now, trace.SpanKindProducer, produce("orders.placed", attribute.String(catalog.SchemaIDAttribute, "2"))...)
	spans.send("orders", now, trace.SpanKindProducer, produce("orders.audit")...)
	spans.send("payments", now, trace.SpanKindConsumer, consume("kafka", "orders.placed", "payments", attribute.String(catalog.SchemaIDAttribute, "2"))...)
	spans.send("fraud", now, trace.SpanKindConsumer, consume("kafka", "orders.placed", "fraud")...)
	ts.wantDrift(t, "traffic resumed", "", "not_observed payments refunds.requested payments")
	spans.send("payments", now, trace.SpanKindConsumer, consume("kafka", "refunds.requested", "payments")...)
	ts.wantDrift(t, "all traffic", "")
}

func TestDriftAPIRefusesBadQueries(t *testing.T) {
	ts := startServer(t)
	for _, q := range []string{"?kind=nope", "?notObservedDays=0", "?notObservedDays=-1", "?notObservedDays=x", "?since=yesterday", "?since=2999-01-01T00:00:00Z"} {
		if resp, body := ts.do(t, http.MethodGet, "/api/catalog/drift"+q, "", nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `"message"`) {
			t.Errorf("%s: %d %s, want 400 with a message", q, resp.StatusCode, body)
		}
	}
}

// TestDriftMatchingRules: a documented channel is matched by its name (the Kafka topic) or its
// address, on a system its bindings allow; consumer groups must agree when both are known; a
// message's x-eventlens-subject is its channel's subject.
func TestDriftMatchingRules(t *testing.T) {
	ts := startServer(t)
	spans := &spanSender{t: t, url: ts.URL, providers: map[string]*sdktrace.TracerProvider{}}
	ts.importDoc(t, `asyncapi: 3.0.0
info: {title: billing, version: 1.0.0}
channels:
  invoices:
    address: billing/invoices
    bindings: {kafka: {topic: billing.invoices}}
    messages:
      Invoice:
        name: Invoice
        x-eventlens-subject: billing-invoice
        payload: {type: object, properties: {id: {type: string}}}
operations:
  readInvoices:
    action: receive
    channel: {$ref: '#/channels/invoices'}
    bindings: {kafka: {groupId: billing}}
  writeInvoices:
    action: send
    channel: {$ref: '#/channels/invoices'}
`)
	seen := time.Now().Add(-time.Minute)
	spans.send("billing", seen, trace.SpanKindProducer, produce("billing.invoices")...)              // by the Kafka topic
	spans.send("billing", seen, trace.SpanKindProducer, produce("billing/invoices")...)              // by the address
	spans.send("billing", seen, trace.SpanKindConsumer, consume("kafka", "billing.invoices", "")...) // no group: agrees
	spans.send("billing", seen, trace.SpanKindConsumer, consume("kafka", "billing.invoices", "billing-v2")...)
	spans.send("billing", seen, trace.SpanKindConsumer, consume("aws_sqs", "billing.invoices", "billing")...)
	findings := ts.wantDrift(t, "matching", "",
		"undocumented_consumer billing billing.invoices billing",
		"undocumented_consumer billing billing.invoices billing-v2",
	)
	for _, f := range findings {
		want := map[string]string{"billing": `"billing.invoices" (aws_sqs), a channel no document describes`,
			"billing-v2": `its document names consumer group "billing" there`}[f.Group]
		if !strings.Contains(f.Detail, want) {
			t.Errorf("%s: %q, want it to say %q", f.Group, f.Detail, want)
		}
	}
}

// The drift page lists the same findings as the API, with links, and shows hostile names as text.
func TestDriftPage(t *testing.T) {
	ts := startServer(t)
	spans := &spanSender{t: t, url: ts.URL, providers: map[string]*sdktrace.TracerProvider{}}
	if resp, body := ts.do(t, http.MethodGet, "/drift", "text/html", nil); resp.StatusCode != 200 || !strings.Contains(body, `data-testid="no-drift"`) {
		t.Fatalf("empty store: %d %.300s", resp.StatusCode, body)
	}
	ts.importDoc(t, driftDoc("orders", []string{"placed:orders.placed"}, nil))
	seen := time.Now().Add(-time.Minute)
	spans.send("orders", seen, trace.SpanKindProducer, produce("orders.placed")...)
	spans.send("<script>alert(1)</script>", seen, trace.SpanKindConsumer, consume("kafka", "orders.placed", "g")...)
	resp, body := ts.do(t, http.MethodGet, "/drift", "text/html", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /drift: %d %.300s", resp.StatusCode, body)
	}
	for _, want := range []string{"undocumented consumer", `href="/channels/orders.placed"`, "&lt;script&gt;alert(1)&lt;/script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("drift page lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>alert(1)") {
		t.Error("a hostile service name is not escaped")
	}
}
