// Package server is eventlens' HTTP front: the echo instance, its middleware, every route and the
// one place where errors become HTTP statuses. Handlers translate HTTP into calls on the domain
// packages and back.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"go.opentelemetry.io/contrib/instrumentation/github.com/labstack/echo/otelecho"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/sqlitedb"
)

// Config is what the server needs to know beyond its services.
type Config struct {
	MaxBody        string  // request body limit, e.g. "16M"
	WriteRate      float64 // writes per second per API key (or client address without keys); 0: unlimited
	WriteBurst     int     // writes a client may make at once before WriteRate applies
	Logger         *slog.Logger
	TracerProvider trace.TracerProvider // the process's own tracing
}

// Services are the domain services behind the routes.
type Services struct {
	DB       *sqlitedb.DB
	Keys     *apikeys.Keys
	Catalog  *catalog.Catalog
	Registry *schemaregistry.Registry
}

// Server serves the console, the APIs and the probes on one port.
type Server struct {
	echo   *echo.Echo
	http   *http.Server
	svc    Services
	log    *slog.Logger
	writes *writeLimiter // nil when writes are not rate-limited
}

// New builds the server with its middleware and routes.
func New(cfg Config, svc Services) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	s := &Server{echo: e, svc: svc, log: cfg.Logger}
	if cfg.WriteRate > 0 {
		s.writes = newWriteLimiter(cfg.WriteRate, max(cfg.WriteBurst, 1))
	}
	e.HTTPErrorHandler = s.handleError

	metrics := newMetrics(svc.DB)
	// Order matters: the access log handles errors into responses, so the metrics around it see
	// final statuses, and it sits around recovery so a panic is logged as the 500 it becomes.
	e.Use(
		middleware.RequestID(),
		metrics.middleware,
		s.accessLog(),
		middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}),
		otelecho.Middleware("eventlens", otelecho.WithTracerProvider(cfg.TracerProvider)),
		securityHeaders,
	)
	bodyLimit, err := bodyLimit(cfg.MaxBody)
	if err != nil {
		return nil, err
	}
	e.Use(bodyLimit, s.browserSession)
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
func bodyLimit(limit string) (mw echo.MiddlewareFunc, err error) {
	defer func() {
		if recover() != nil {
			err = fmt.Errorf("body limit %q: want a size such as 512K, 16M or 1G", limit)
		}
	}()
	return middleware.BodyLimit(limit), nil
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

// Shutdown stops accepting connections and waits for in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.http.Shutdown(ctx)
}

// accessLog writes one structured line per request.
func (s *Server) accessLog() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogMethod: true, LogURI: true, LogLatency: true, LogRequestID: true,
		LogRemoteIP: true, LogError: true, LogResponseSize: true, HandleError: true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			if v.Status >= 500 {
				level = slog.LevelError
			}
			attrs := []slog.Attr{
				slog.String("method", v.Method), slog.String("uri", v.URI), slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency), slog.Int64("bytes", v.ResponseSize),
				slog.String("remote_ip", v.RemoteIP), slog.String("request_id", v.RequestID),
			}
			if v.Error != nil {
				attrs = append(attrs, slog.String("error", v.Error.Error()))
			}
			s.log.LogAttrs(c.Request().Context(), level, "request", attrs...)
			return nil
		},
	})
}
