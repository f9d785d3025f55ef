package tracing

import (
	"context"
	"fmt"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/eventlens/eventlens/buildinfo"
)

// SelfTraceConfig says where eventlens' own spans (one per HTTP request) go.
type SelfTraceConfig struct {
	// Endpoint is an OTLP/HTTP URL: a base (http://collector:4318), to which /v1/traces is
	// added, or the full traces URL.
	Endpoint string
	// SampleRatio is the share of traces eventlens starts that it keeps (0 < r ≤ 1; 0 means
	// 1). A request whose caller sampled its trace is always kept, one whose caller did not
	// never is.
	SampleRatio float64
}

// NewSelfTracerProvider returns the tracer provider for eventlens' own spans, exported to
// cfg.Endpoint over OTLP/HTTP in batches; headers (an API key) come from
// OTEL_EXPORTER_OTLP_HEADERS, as for any OTel SDK. Shutdown flushes what is left. Without an
// endpoint serve makes no spans at all (even unsampled ones cost a request some 20 %).
func NewSelfTracerProvider(ctx context.Context, cfg SelfTraceConfig) (*sdktrace.TracerProvider, error) {
	res := resource.NewSchemaless(
		attribute.String("service.name", "eventlens"),
		attribute.String("service.version", buildinfo.Version()),
	)
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("self-trace endpoint %q: want an OTLP/HTTP URL such as http://collector:4318", cfg.Endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	ratio := cfg.SampleRatio
	if ratio <= 0 || ratio > 1 {
		ratio = 1
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
	if err != nil {
		return nil, fmt.Errorf("self-trace exporter: %w", err)
	}
	return sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)))), nil
}
