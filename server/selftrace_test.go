package server

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/eventlens/eventlens/tracing"
)

// otlpReceiver is an OTLP/HTTP traces endpoint that decodes what it receives, as a Collector
// would.
type otlpReceiver struct {
	mu      sync.Mutex
	spans   []ptrace.Span
	service []string // service.name of each span's resource
	headers []http.Header
}

func (r *otlpReceiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil || req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" {
		http.Error(w, "want protobuf on /v1/traces", http.StatusBadRequest)
		return
	}
	export := ptraceotlp.NewExportRequest()
	if err := export.UnmarshalProto(body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.headers = append(r.headers, req.Header.Clone())
	rss := export.Traces().ResourceSpans()
	for i := range rss.Len() {
		name, _ := rss.At(i).Resource().Attributes().Get("service.name")
		for _, ss := range rss.At(i).ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				r.spans = append(r.spans, s)
				r.service = append(r.service, name.Str())
			}
		}
	}
	out, _ := ptraceotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// TestSelfTraceEndpoint: with --self-trace-endpoint, each request eventlens answers becomes a
// span at the endpoint, in the caller's trace, with the headers OTEL_EXPORTER_OTLP_HEADERS names.
func TestSelfTraceEndpoint(t *testing.T) {
	rcv := &otlpReceiver{}
	collector := httptest.NewServer(rcv)
	defer collector.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer s3cret")
	tp, err := tracing.NewSelfTracerProvider(context.Background(), tracing.SelfTraceConfig{Endpoint: collector.URL})
	if err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(c *Config) { c.TracerProvider = tp })

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/flows", nil)
	req.Header.Set("traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ts.do(t, http.MethodGet, "/api/health", "", nil)          // a trace eventlens starts itself
	if err := tp.Shutdown(context.Background()); err != nil { // flushes the batch
		t.Fatal(err)
	}

	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	routes := map[string]string{}
	for i, s := range rcv.spans {
		route, _ := s.Attributes().Get("http.route")
		routes[route.Str()] = s.TraceID().String()
		if rcv.service[i] != "eventlens" {
			t.Errorf("span %q of service %q", s.Name(), rcv.service[i])
		}
	}
	if routes["/api/flows"] != traceID {
		t.Errorf("GET /api/flows: trace %q, want the caller's %s; spans by route: %v", routes["/api/flows"], traceID, routes)
	}
	if id, ok := routes["/api/health"]; !ok || id == traceID {
		t.Errorf("GET /api/health: trace %q, want a trace of its own; spans by route: %v", id, routes)
	}
	for _, h := range rcv.headers {
		if h.Get("Authorization") != "Bearer s3cret" {
			t.Errorf("export without the header from OTEL_EXPORTER_OTLP_HEADERS: %v", h)
		}
	}
}

// TestSelfTraceEndpointRefusesBadURLs: a typo in --self-trace-endpoint stops the start, it does
// not export nowhere quietly.
func TestSelfTraceEndpointRefusesBadURLs(t *testing.T) {
	for _, endpoint := range []string{"collector:4318", "ftp://collector", "http://", "://x", "http://[::1"} {
		if _, err := tracing.NewSelfTracerProvider(context.Background(), tracing.SelfTraceConfig{Endpoint: endpoint}); err == nil {
			t.Errorf("%q accepted", endpoint)
		}
	}
}
