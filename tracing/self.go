package tracing

import (
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/eventlens/eventlens/buildinfo"
)

// NewSelfTracerProvider returns the tracer provider for eventlens' own spans (one per HTTP
// request). It exports nowhere: spans are created so that trace ids reach the logs and, once
// self-tracing lands, can be sent to eventlens itself.
func NewSelfTracerProvider() *sdktrace.TracerProvider {
	res := resource.NewSchemaless(
		attribute.String("service.name", "eventlens"),
		attribute.String("service.version", buildinfo.Version()),
	)
	return sdktrace.NewTracerProvider(sdktrace.WithResource(res))
}
