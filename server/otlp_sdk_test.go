package server

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventlens/eventlens/tracing"
)

// TestOTelSDKExporters sends spans with the OpenTelemetry SDK's own OTLP exporters, over HTTP and
// over gRPC, and reads the flows and health they produce back from the API.
func TestOTelSDKExporters(t *testing.T) {
	exporters := []struct {
		name string
		new  func(ctx context.Context, ts *testServer) (sdktrace.SpanExporter, error)
	}{
		{"otlptracehttp", func(ctx context.Context, ts *testServer) (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(ts.URL+"/v1/traces"))
		}},
		{"otlptracehttp gzip", func(ctx context.Context, ts *testServer) (sdktrace.SpanExporter, error) {
			return otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(ts.URL+"/v1/traces"), otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
		}},
		{"otlptracegrpc", func(ctx context.Context, ts *testServer) (sdktrace.SpanExporter, error) {
			return otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(ts.GRPCAddr), otlptracegrpc.WithInsecure())
		}},
	}
	for _, ex := range exporters {
		t.Run(ex.name, func(t *testing.T) {
			ts := startServer(t)
			ctx := context.Background()
			provider := func(service string) *sdktrace.TracerProvider {
				exp, err := ex.new(ctx, ts)
				if err != nil {
					t.Fatal(err)
				}
				tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
					sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", service))))
				t.Cleanup(func() { _ = tp.Shutdown(ctx) })
				return tp
			}
			orders, billing, stock := provider("orders").Tracer("shop"), provider("billing").Tracer("shop"), provider("stock").Tracer("shop")
			for i := range 10 {
				_, send := orders.Start(ctx, "orders send", trace.WithSpanKind(trace.SpanKindProducer), trace.WithAttributes(
					attribute.String("messaging.system", "kafka"), attribute.String("messaging.operation.type", "send"),
					attribute.String("messaging.destination.name", "orders"), attribute.String("server.address", "broker")))
				sent := send.SpanContext()
				send.End()

				// billing: current conventions, a new trace linked to the producer; fails every other message.
				_, process := billing.Start(ctx, "orders process", trace.WithNewRoot(), trace.WithSpanKind(trace.SpanKindConsumer),
					trace.WithLinks(trace.Link{SpanContext: sent}), trace.WithAttributes(
						attribute.String("messaging.system", "kafka"), attribute.String("messaging.operation.type", "process"),
						attribute.String("messaging.destination.name", "orders"), attribute.String("server.address", "broker"),
						attribute.String("messaging.consumer.group.name", "billing")))
				time.Sleep(time.Millisecond)
				if i%2 == 0 {
					process.SetStatus(codes.Error, "card declined")
				}
				process.End()

				// stock: older conventions, a child of the producer span.
				_, old := stock.Start(trace.ContextWithRemoteSpanContext(ctx, sent), "orders process", trace.WithSpanKind(trace.SpanKindConsumer),
					trace.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.operation", "process"),
						attribute.String("messaging.destination", "orders"), attribute.String("messaging.destination_kind", "topic"),
						attribute.String("net.peer.name", "broker"), attribute.String("messaging.kafka.consumer.group", "stock")))
				old.End()
			}
			got := edges(ts.flows(t, "since=10m"))
			want := []edge{
				{"produce", "orders", "kafka@broker/orders", "", 10, 0, 0},
				{"consume", "billing", "kafka@broker/orders", "billing", 10, 5, 10},
				{"consume", "stock", "kafka@broker/orders", "stock", 10, 0, 10},
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("flows:\n got %+v\nwant %+v", got, want)
			}
			status := map[string]string{}
			for _, c := range ts.health(t).Consumers {
				status[c.Service] = c.Status
			}
			if status["billing"] != tracing.StatusFailing || status["stock"] != tracing.StatusHealthy {
				t.Fatalf("health: %v", status)
			}
		})
	}
}
