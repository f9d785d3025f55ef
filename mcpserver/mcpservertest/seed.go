// Package mcpservertest gives the MCP tests of both transports one store with known data and one
// set of checks: Seed fills a running eventlens over its public APIs (registry REST, AsyncAPI
// import, OTLP spans from the OTel SDK), and the Check functions ask every tool through an MCP
// client session and compare the answers with what Seed put in.
package mcpservertest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// The shop Seed describes: checkout sends OrderPlaced on the Kafka topic orders; billing,
// shipping and audit are documented receivers. Traces show checkout producing, billing reading
// version 2 (the latest), shipping reading version 1 and failing, fraud consuming undocumented
// and naming no schema version; audit is never seen.
const (
	Subject = "orders-value"
	Channel = "orders"
	Message = "OrderPlaced"
)

// SchemaV1 is the payload the documents give (registered by the import as version 1); SchemaV2
// adds a field with a default (BACKWARD compatible), registered over the REST API.
const (
	SchemaV1 = `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}`
	SchemaV2 = `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"total","type":"double","default":0}]}`
	// SchemaV3 follows v2 compatibly; Incompatible changes id's type.
	SchemaV3     = `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"total","type":"double","default":0},{"name":"note","type":"string","default":""}]}`
	Incompatible = `{"type":"record","name":"Order","fields":[{"name":"id","type":"int"}]}`
)

// document is the AsyncAPI 3.0 document of one service on orders.
func document(service, owner, action, group string) string {
	binding := ""
	if group != "" {
		binding = fmt.Sprintf("\n    bindings: {kafka: {groupId: {type: string, enum: [%s]}}}", group)
	}
	return fmt.Sprintf(`asyncapi: 3.0.0
info:
  title: %s
  version: 1.0.0
  x-eventlens-owner: {name: %s, kind: team, email: %s@shop.example}
channels:
  orders:
    address: orders
    bindings: {kafka: {topic: orders}}
    messages:
      OrderPlaced:
        name: OrderPlaced
        payload:
          schemaFormat: application/vnd.apache.avro+json;version=1.9.0
          schema: %s
operations:
  %s-orders:
    action: %s
    channel: {$ref: '#/channels/orders'}%s
`, service, owner, owner, SchemaV1, action, action, binding)
}

// Owners of the documented services.
var Owners = map[string]string{"checkout": "team-checkout", "billing": "team-billing", "shipping": "team-shipping", "audit": "team-audit"}

// Seed fills the eventlens at base; header carries its API key (a write key), if any.
func Seed(t testing.TB, base string, header http.Header) {
	t.Helper()
	send := func(method, path, contentType, body string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range header {
			req.Header[k] = v
		}
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
	}
	docs := []string{
		document("checkout", Owners["checkout"], "send", ""),
		document("billing", Owners["billing"], "receive", "billing"),
		document("shipping", Owners["shipping"], "receive", "shipping"),
		document("audit", Owners["audit"], "receive", "audit"),
	}
	for _, d := range docs {
		send(http.MethodPost, "/api/catalog/asyncapi", "application/yaml", d)
	}
	send(http.MethodPost, "/subjects/"+Subject+"/versions", "application/vnd.schemaregistry.v1+json", fmt.Sprintf(`{"schema":%q}`, SchemaV2))

	now := time.Now()
	spans := newSpanSender(t, base, header)
	kafka := func(op string, extra ...attribute.KeyValue) []attribute.KeyValue {
		return append([]attribute.KeyValue{attribute.String("messaging.system", "kafka"), attribute.String("messaging.operation.type", op),
			attribute.String("messaging.destination.name", Channel)}, extra...)
	}
	group := func(g string) attribute.KeyValue { return attribute.String("messaging.consumer.group.name", g) }
	version := func(v string) attribute.KeyValue { return attribute.String("messaging.message.schema.version", v) }
	for i := range 10 {
		at := now.Add(time.Duration(i-10) * time.Second)
		spans.send("checkout", at, trace.SpanKindProducer, false, kafka("send", version("2"))...)
		spans.send("billing", at, trace.SpanKindConsumer, false, kafka("process", group("billing"), version("2"))...)
		spans.send("shipping", at, trace.SpanKindConsumer, true, kafka("process", group("shipping"), version("1"))...)
		spans.send("fraud", at, trace.SpanKindConsumer, false, kafka("process", group("fraud"))...)
	}
	spans.shutdown()
}

// spanSender sends spans through the OTel SDK's OTLP/HTTP exporter, one tracer provider per
// service, each span exported before send returns.
type spanSender struct {
	t         testing.TB
	url       string
	headers   map[string]string
	providers map[string]*sdktrace.TracerProvider
}

func newSpanSender(t testing.TB, base string, header http.Header) *spanSender {
	h := map[string]string{}
	for k := range header {
		h[k] = header.Get(k)
	}
	return &spanSender{t: t, url: base + "/v1/traces", headers: h, providers: map[string]*sdktrace.TracerProvider{}}
}

func (s *spanSender) send(service string, at time.Time, kind trace.SpanKind, failed bool, attrs ...attribute.KeyValue) {
	s.t.Helper()
	ctx := context.Background()
	tp := s.providers[service]
	if tp == nil {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(s.url), otlptracehttp.WithHeaders(s.headers))
		if err != nil {
			s.t.Fatal(err)
		}
		tp = sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
		s.providers[service] = tp
	}
	_, span := tp.Tracer("mcpservertest").Start(ctx, "orders "+map[trace.SpanKind]string{trace.SpanKindProducer: "send", trace.SpanKindConsumer: "process"}[kind],
		trace.WithSpanKind(kind), trace.WithTimestamp(at.Add(-20*time.Millisecond)), trace.WithAttributes(attrs...))
	if failed {
		span.SetStatus(codes.Error, "cannot read the order")
	}
	span.End(trace.WithTimestamp(at))
}

func (s *spanSender) shutdown() {
	for _, tp := range s.providers {
		if err := tp.Shutdown(context.Background()); err != nil {
			s.t.Fatalf("export spans: %v", err)
		}
	}
}
