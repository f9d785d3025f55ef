package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/web"
)

// role is what a caller must hold to use a route; authentication (issue 9) enforces it.
type role string

const (
	roleNone  role = "none" // probes and static assets
	roleRead  role = "read"
	roleWrite role = "write"
	roleAdmin role = "admin"
)

// otlpTracesPath is OTLP/HTTP's trace endpoint.
const otlpTracesPath = "/v1/traces"

// route is one line of the table below.
type route struct {
	method, path string
	role         role
	handler      echo.HandlerFunc
}

// routeTable lists every route eventlens answers, with the role it requires.
func (s *Server) routeTable(m *metrics) []route {
	pages := &web.Pages{Catalog: s.svc.Catalog}
	return []route{
		{http.MethodGet, "/healthz", roleNone, healthz},
		{http.MethodGet, "/readyz", roleNone, s.readyz},
		{http.MethodGet, "/metrics", roleRead, m.handler()},
		{http.MethodGet, "/static/:file", roleNone, web.Static},

		{http.MethodGet, "/", roleRead, pages.Home},
		{http.MethodGet, "/catalog", roleRead, pages.Section("catalog")},
		{http.MethodGet, "/flows", roleRead, pages.Section("flows")},
		{http.MethodGet, "/health", roleRead, pages.Section("health")},
		{http.MethodGet, "/schemas", roleRead, pages.Section("schemas")},
		{http.MethodGet, "/search", roleRead, pages.Section("search")},

		{http.MethodPost, otlpTracesPath, roleWrite, s.otlpTraces},
		{http.MethodGet, "/api/flows", roleRead, s.apiFlows},
		{http.MethodGet, "/api/health", roleRead, s.apiHealth},
	}
}

func (s *Server) routes(m *metrics) {
	for _, r := range s.routeTable(m) {
		s.echo.Add(r.method, r.path, r.handler)
	}
}

func healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	if err := s.svc.DB.Ready(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "reason": err.Error()})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
