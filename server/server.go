// Package server is eventlens' HTTP front: the echo instance, its middleware, every route and the
// one place where errors become HTTP statuses. Handlers translate HTTP into calls on the domain
// packages and back.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/labstack/gommon/bytes"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"

	"github.com/eventlens/eventlens/alerts"
	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/brokers"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/oidcauth"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/tracing"
)

// Config is what the server needs to know beyond its services.
type Config struct {
	MaxBody          string  // request body limit, e.g. "16M"
	WriteRate        float64 // writes per second per API key (or client address without keys); 0: unlimited
	WriteBurst       int     // writes a client may make at once before WriteRate applies
	Logger           *slog.Logger
	TracerProvider   trace.TracerProvider // the process's own spans, one per request; nil: none (the caller's traceparent still reaches the logs)
	OTLP             OTLPConfig
	AsyncAPIMaxBytes string           // largest AsyncAPI document accepted by POST /api/catalog/asyncapi, e.g. "2MiB" (catalog.MaxDocumentBytes)
	Now              func() time.Time // the clock for API windows; tests fix it
	// MaxSeries is the most consumers /metrics reports health for (tracing.DefaultFlowSeries);
	// the flows' own cap is tracing.Config.FlowSeries.
	MaxSeries int
}

// OTLPConfig tunes OTLP ingest. Zero values take the defaults noted on each field.
type OTLPConfig struct {
	MaxBody     string        // largest OTLP body, before and after gzip ("16M")
	MaxInflight int           // OTLP/HTTP bodies decoded at once; more wait, then get 503 (32)
	SlotWait    time.Duration // how long a request waits for a decoding slot (2s)
	RetryAfter  time.Duration // what Retry-After (and gRPC RetryInfo) asks saturated clients to wait (1s)
	Limits      tracing.DecodeLimits
	// MetricLimits bound one metrics export; its points become series in Services.Metrics,
	// which caps them.
	MetricLimits otlpmetrics.DecodeLimits
}

// Services are the domain services behind the routes.
type Services struct {
	DB       *storage.DB
	Keys     *apikeys.Keys
	Catalog  *catalog.Catalog
	Registry *schemaregistry.Registry
	Ingest   *tracing.Ingester // Shutdown closes it once no request can reach it any more
	Brokers  brokers.Sources   // the brokers polled for lag and queues; none when zero
	Metrics  *otlpmetrics.Store
	Alerts   *alerts.Alerts // the alerts file's rules and the alerts' history; nil shows none
	OIDC     *oidcauth.Auth // single sign-on; nil when off
}

// Server serves the console, the APIs, OTLP/HTTP and the probes on one port, and OTLP/gRPC on
// another when asked to.
type Server struct {
	echo             *echo.Echo
	http             *http.Server
	svc              Services
	log              *slog.Logger
	writes           *writeLimiter // nil when writes are not rate-limited
	now              func() time.Time
	otlp             otlpSettings
	asyncAPIMaxBytes int
	grpc             *grpc.Server // OTLP/gRPC, served by ServeOTLPGRPC
	metrics          *metrics
}

// otlpSettings is OTLPConfig resolved.
type otlpSettings struct {
	maxBody      int64
	slots        chan struct{}
	slotWait     time.Duration
	retryAfter   time.Duration
	limits       tracing.DecodeLimits
	metricLimits otlpmetrics.DecodeLimits
}

func newOTLPSettings(c OTLPConfig) (otlpSettings, error) {
	if c.MaxBody == "" {
		c.MaxBody = "16M"
	}
	maxBody, err := bytes.Parse(c.MaxBody)
	if err != nil || maxBody <= 0 {
		return otlpSettings{}, fmt.Errorf("OTLP body limit %q: want a size such as 512K, 16M or 1G", c.MaxBody)
	}
	if c.MaxInflight <= 0 {
		c.MaxInflight = 32
	}
	if c.SlotWait <= 0 {
		c.SlotWait = 2 * time.Second
	}
	if c.RetryAfter < time.Second {
		c.RetryAfter = time.Second
	}
	return otlpSettings{maxBody: maxBody, slots: make(chan struct{}, c.MaxInflight), slotWait: c.SlotWait, retryAfter: c.RetryAfter,
		limits: c.Limits, metricLimits: c.MetricLimits}, nil
}

// New builds the server with its middleware and routes.
func New(cfg Config, svc Services) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	otlp, err := newOTLPSettings(cfg.OTLP)
	if err != nil {
		return nil, err
	}
	asyncAPIMaxBytes := int64(catalog.MaxDocumentBytes)
	if cfg.AsyncAPIMaxBytes != "" {
		asyncAPIMaxBytes, err = bytes.Parse(cfg.AsyncAPIMaxBytes)
		if err != nil || asyncAPIMaxBytes <= 0 || asyncAPIMaxBytes > 1<<30 {
			return nil, fmt.Errorf("AsyncAPI document limit %q: want a size such as 512K or 8M, at most 1G", cfg.AsyncAPIMaxBytes)
		}
	}
	s := &Server{echo: e, svc: svc, log: cfg.Logger, now: cfg.Now, otlp: otlp, asyncAPIMaxBytes: int(asyncAPIMaxBytes)}
	if cfg.WriteRate > 0 {
		s.writes = newWriteLimiter(cfg.WriteRate, max(cfg.WriteBurst, 1))
	}
	if cfg.MaxSeries <= 0 {
		cfg.MaxSeries = tracing.DefaultFlowSeries
	}
	metrics := newMetrics(svc, cfg.MaxSeries, cfg.Logger)
	s.metrics = metrics
	s.grpc = newOTLPGRPCServer(s)
	e.HTTPErrorHandler = s.handleError
	e.Pre(contextPaths) // /contexts/{context}/subjects/… is the context's /subjects/…, before routing

	// Order matters: the access log handles errors into responses, so the metrics and the span
	// around it see final statuses; it sits inside the span so it can log the trace id, and
	// around recovery so a panic is logged as the 500 it becomes.
	bodyLimit, err := bodyLimit(cfg.MaxBody)
	if err != nil {
		return nil, err
	}
	e.Use(chainOnce(
		middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: newRequestIDs()}),
		metrics.middleware,
		requestSpans(cfg.TracerProvider),
		s.accessLog,
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}),
		securityHeaders,
		bodyLimit,
		s.browserSession,
	))
	s.routes(metrics)
	s.http = &http.Server{
		Handler:           e,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// bodyLimit refuses request bodies over limit with 413; a limit that does not parse is an error
// here rather than a panic inside echo.
// OTLP ingest has a limit of its own and answers 413 in OTLP's encoding, so it is skipped here.
func bodyLimit(limit string) (mw echo.MiddlewareFunc, err error) {
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("body limit %q: want a size such as 512K, 16M or 1G", limit)
		}
	}()
	return middleware.BodyLimitWithConfig(middleware.BodyLimitConfig{
		Limit:   limit,
		Skipper: func(c echo.Context) bool { return c.Path() == otlpTracesPath || c.Path() == otlpMetricsPath },
	}), nil
}

// Handler is the server's HTTP handler, for tests that drive it through httptest.
func (s *Server) Handler() http.Handler { return s.echo }

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections and waits for in-flight requests until ctx ends; then it
// closes ingest, which commits every queued span and flushes the flow aggregates.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stopGRPC(ctx)
	err := s.http.Shutdown(ctx)
	if s.svc.Ingest != nil {
		err = errors.Join(err, s.svc.Ingest.Close(ctx))
	}
	return err
}

// requestSpans starts a span per request on tp. Without a provider it only puts the caller's
// trace context (its traceparent) in the request's context, for the access log: a span that is
// never recorded cost a third of a lookup by id (GET /schemas/ids/{id}, docs/benchmarks.md).
func requestSpans(tp trace.TracerProvider) echo.MiddlewareFunc {
	if tp != nil {
		return otelecho.Middleware("eventlens", otelecho.WithTracerProvider(tp), otelecho.WithPropagators(propagation.TraceContext{}))
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if len(r.Header["Traceparent"]) > 0 { // the canonical key: Get would canonicalise it each time
				c.SetRequest(r.WithContext(propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))))
			}
			return next(c)
		}
	}
}

// quietPaths are machine traffic that arrives every few seconds (OTLP exports from every
// instrumented process, probes, scrapes): when it succeeds it logs at debug level, or it would
// drown everything else.
var quietPaths = map[string]bool{otlpTracesPath: true, otlpMetricsPath: true, "/healthz": true, "/readyz": true, "/metrics": true}

// quietRead: a read of an API that succeeds is machine traffic too: registry serializers look a
// schema up on every cache miss, CI checks one per file.
func quietRead(c echo.Context) bool {
	m := c.Request().Method
	return (m == http.MethodGet || m == http.MethodHead) && isAPIPath(c)
}

// accessLog writes one structured line per request. It turns a handler's error into its
// answer, so the metrics and the span around it see the final status; the line's level is
// decided first, so a quiet read costs no more than that.
func (s *Server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // and err goes on up: echo's error handler skips a committed answer
		}
		status := c.Response().Status
		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelError
		case status < 400 && (quietPaths[c.Path()] || quietRead(c)):
			level = slog.LevelDebug
		}
		ctx := c.Request().Context()
		if !s.log.Enabled(ctx, level) {
			return err
		}
		req := c.Request()
		id := req.Header.Get(echo.HeaderXRequestID)
		if id == "" {
			id = c.Response().Header().Get(echo.HeaderXRequestID)
		}
		attrs := []slog.Attr{
			slog.String("method", req.Method), slog.String("uri", req.RequestURI), slog.Int("status", status),
			slog.Duration("latency", time.Since(start)), slog.Int64("bytes", c.Response().Size),
			slog.String("remote_ip", c.RealIP()), slog.String("request_id", id),
		}
		if err != nil {
			attrs = append(attrs, slog.String("error", err.Error()))
		}
		if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
			attrs = append(attrs, slog.String("trace_id", sc.TraceID().String())) // the caller's, from its traceparent
		}
		s.log.LogAttrs(ctx, level, "request", attrs...)
		return err
	}
}

// chainOnce composes mws (outermost first) once, around a handler that calls the route's own.
// echo composes the middleware it is given with Use on every request (eight closures, a tenth
// of a lookup by id); this one middleware returns the same chain whatever it is given. It must
// be the only one given to Use: echo then passes it the route's handler, which the chain takes
// from the context instead.
func chainOnce(mws ...echo.MiddlewareFunc) echo.MiddlewareFunc {
	h := chain(func(c echo.Context) error { return c.Handler()(c) }, mws...)
	return func(echo.HandlerFunc) echo.HandlerFunc { return h }
}

// chain is h inside mws, the first outermost.
func chain(h echo.HandlerFunc, mws ...echo.MiddlewareFunc) echo.HandlerFunc {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// newRequestIDs makes X-Request-Id values for requests that bring none: 32 hex digits, a random
// prefix per process and a counter, unique without reading the system's random source for every
// request as echo's generator does.
func newRequestIDs() func() string {
	var prefix [8]byte
	rand.Read(prefix[:])
	var n atomic.Uint64
	return func() string {
		var b [32]byte
		hex.Encode(b[:16], prefix[:])
		v := n.Add(1)
		for i := 31; i >= 16; i-- {
			b[i] = "0123456789abcdef"[v&15]
			v >>= 4
		}
		return string(b[:])
	}
}
