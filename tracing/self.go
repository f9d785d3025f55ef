package tracing

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/eventlens/eventlens/buildinfo"
)

// NewSelfTracerProvider returns the tracer provider for eventlens' own spans (one per HTTP
// request). It samples nothing, as it exports nowhere: unsampled spans still carry trace ids
// (a caller's traceparent is kept) for the logs, without recording attributes and events.
func NewSelfTracerProvider() *sdktrace.TracerProvider {
	res := resource.NewSchemaless(
		attribute.String("service.name", "eventlens"),
		attribute.String("service.version", buildinfo.Version()),
	)
	return sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSampler(sdktrace.NeverSample()))
}
