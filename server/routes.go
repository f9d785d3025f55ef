package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/web"
)

// Short names for the roles, so the table below reads as a table.
const (
	roleNone  = apikeys.RoleNone
	roleRead  = apikeys.RoleRead
	roleWrite = apikeys.RoleWrite
	roleAdmin = apikeys.RoleAdmin
)

// route is one line of the table below.
type route struct {
	method, path string
	role         apikeys.Role
	handler      echo.HandlerFunc
}

// routeTable lists every route eventlens answers, with the role it requires.
func (s *Server) routeTable(m *metrics) []route {
	pages := &web.Pages{Catalog: s.svc.Catalog}
	cat := s.svc.Catalog
	return []route{
		{http.MethodGet, "/healthz", roleNone, healthz},
		{http.MethodGet, "/readyz", roleNone, s.readyz},
		{http.MethodGet, "/metrics", roleRead, m.handler()},
		{http.MethodGet, "/static/:file", roleNone, web.Static},
		{http.MethodGet, "/login", roleNone, s.loginPage},
		{http.MethodPost, "/login", roleNone, s.login},
		{http.MethodPost, "/logout", roleNone, s.logout},

		{http.MethodGet, "/", roleRead, pages.Home},
		{http.MethodGet, "/catalog", roleRead, pages.Section("catalog")},
		{http.MethodGet, "/flows", roleRead, pages.Section("flows")},
		{http.MethodGet, "/health", roleRead, pages.Section("health")},
		{http.MethodGet, "/schemas", roleRead, pages.Section("schemas")},
		{http.MethodGet, "/search", roleRead, pages.Section("search")},

		// Catalog API. Names may hold slashes (channel comment/liked), hence the wildcards.
		{http.MethodGet, "/api/catalog/domains", roleRead, listOf(cat.Domains)},
		{http.MethodGet, "/api/catalog/domains/*", roleRead, oneOf(cat.Domain)},
		{http.MethodPatch, "/api/catalog/domains/*", roleWrite, patchEntity(cat, "domain", anyGetter(cat.Domain))},
		{http.MethodGet, "/api/catalog/services", roleRead, listOf(cat.Services)},
		{http.MethodGet, "/api/catalog/services/*", roleRead, oneOf(cat.Service)},
		{http.MethodPatch, "/api/catalog/services/*", roleWrite, patchEntity(cat, "service", anyGetter(cat.Service))},
		{http.MethodGet, "/api/catalog/channels", roleRead, listOf(cat.Channels)},
		{http.MethodGet, "/api/catalog/channels/*", roleRead, oneOf(cat.Channel)},
		{http.MethodPatch, "/api/catalog/channels/*", roleWrite, patchEntity(cat, "channel", anyGetter(cat.Channel))},
		{http.MethodGet, "/api/catalog/messages", roleRead, listOf(cat.Messages)},
		{http.MethodGet, "/api/catalog/messages/*", roleRead, oneOf(cat.Message)},
		{http.MethodPatch, "/api/catalog/messages/*", roleWrite, patchEntity(cat, "message", anyGetter(cat.Message))},
		{http.MethodGet, "/api/catalog/owners", roleRead, listOf(cat.Owners)},
		{http.MethodGet, "/api/catalog/owners/*", roleRead, oneOf(cat.Owner)},
		{http.MethodPatch, "/api/catalog/owners/*", roleWrite, patchOwner(cat)},
		{http.MethodGet, "/api/catalog/documents/*", roleRead, oneOf(cat.DocumentHistory)},
		{http.MethodGet, "/api/catalog/asyncapi", roleRead, exportAsyncAPI(cat)},
		{http.MethodPost, "/api/catalog/asyncapi", roleWrite, importAsyncAPI(cat)},
	}
}

func (s *Server) routes(m *metrics) {
	for _, r := range s.routeTable(m) {
		s.echo.Add(r.method, r.path, r.handler, s.authorize(r.role))
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
