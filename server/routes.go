package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/brokers"
	"github.com/eventlens/eventlens/web"
)

// Short names for the roles, so the table below reads as a table.
const (
	roleNone  = apikeys.RoleNone
	roleRead  = apikeys.RoleRead
	roleWrite = apikeys.RoleWrite
	roleAdmin = apikeys.RoleAdmin
)

// OTLP/HTTP's trace and metrics endpoints.
const (
	otlpTracesPath  = "/v1/traces"
	otlpMetricsPath = "/v1/metrics"
)

// route is one line of the table below.
type route struct {
	method, path string
	role         apikeys.Role
	handler      echo.HandlerFunc
	slash        bool // also answer path + "/" (registry clients send both)
}

// routeTable lists every route eventlens answers, with the role it requires.
func (s *Server) routeTable(m *metrics) []route {
	pages := &web.Pages{Catalog: s.svc.Catalog, Registry: s.svc.Registry, Tracing: s.svc.Ingest, Brokers: s.svc.Brokers, AlertRules: s.svc.Alerts, Now: s.now}
	cat := s.svc.Catalog
	reg := registryAPI{reg: s.svc.Registry, byID: newAnswerCache(64 << 20), requests: newRequestCache(32 << 20)}
	mcp := s.serveMCP()
	const r, w, a, slash = roleRead, roleWrite, roleAdmin, true
	return []route{
		{http.MethodGet, "/healthz", roleNone, healthz, false},
		{http.MethodGet, "/readyz", roleNone, s.readyz, false},
		{http.MethodGet, "/metrics", roleRead, m.handler(), false},
		{http.MethodGet, "/static/:file", roleNone, web.Static, false},
		{http.MethodGet, "/login", roleNone, s.loginPage, false},
		{http.MethodPost, "/login", roleNone, s.login, false},
		{http.MethodPost, "/logout", roleNone, s.logout, false},
		{http.MethodGet, "/auth/oidc/login", roleNone, s.oidcLogin, false},
		{http.MethodGet, "/auth/oidc/callback", roleNone, s.oidcCallback, false},

		{http.MethodGet, "/", roleRead, pageOrAPI(pages.Home, reg.root), false},
		{http.MethodGet, "/catalog", roleRead, redirectTo("/services"), false},
		{http.MethodGet, "/flows", roleRead, pages.Flows, false},
		{http.MethodGet, "/services", roleRead, pages.Services, false},
		{http.MethodGet, "/services/*", roleRead, pages.Service, false}, // names may hold '/'
		{http.MethodGet, "/channels", roleRead, pages.Channels, false},
		{http.MethodGet, "/channels/*", roleRead, pages.Channel, false}, // comment/liked, orders.created
		{http.MethodGet, "/messages", roleRead, pages.Messages, false},
		{http.MethodGet, "/messages/*", roleRead, pages.Message, false},
		{http.MethodGet, "/domains", roleRead, pages.Domains, false},
		{http.MethodGet, "/domains/*", roleRead, pages.Domain, false},
		{http.MethodGet, "/owners", roleRead, pages.Owners, false},
		{http.MethodGet, "/owners/*", roleRead, pages.Owner, false},
		{http.MethodGet, "/health", roleRead, pages.Health, false},
		{http.MethodGet, "/health/table", roleRead, pages.HealthTable, false}, // htmx refreshes the table
		{http.MethodGet, "/sources", roleRead, pages.Sources, false},
		{http.MethodGet, "/traces/:id", roleRead, pages.Trace, false},
		{http.MethodGet, "/schemas", roleRead, pageOrAPI(pages.Schemas, reg.listSchemas), slash},
		// A subject is one path segment, any slash in it percent-encoded (/schemas/a%2Fb). The
		// registry's /schemas/ids, /schemas/guids and /schemas/types below are matched first.
		{http.MethodGet, "/schemas/:subject", roleRead, pages.Subject, false},
		{http.MethodGet, "/schemas/:subject/diff", roleRead, pages.SchemaDiff, false},
		{http.MethodGet, "/search", roleRead, pages.Search, false},
		{http.MethodGet, "/drift", roleRead, pages.Drift, false},
		{http.MethodGet, "/alerts", roleRead, pages.Alerts, false},

		// OTLP ingest (server/otlp.go) and flows (server/flows.go).
		{http.MethodPost, otlpTracesPath, roleWrite, s.otlpHTTP(s.exportTracesHTTP), false},
		{http.MethodPost, otlpMetricsPath, roleWrite, s.otlpHTTP(s.exportMetricsHTTP), false},
		{http.MethodGet, "/api/flows", roleRead, s.apiFlows, false},
		{http.MethodGet, "/api/health", roleRead, s.apiHealth, false},

		// MCP for AI assistants (server/mcp.go): a read key gets the read tools, a write key
		// also register_schema. Stateless, so GET and DELETE answer 405.
		{http.MethodPost, mcpPath, roleRead, mcp, false},
		{http.MethodGet, mcpPath, roleRead, mcp, false},
		{http.MethodDelete, mcpPath, roleRead, mcp, false},

		// Catalog API. Names may hold slashes (channel comment/liked), hence the wildcards.
		{http.MethodGet, "/api/catalog/domains", roleRead, listOf(cat.Domains), false},
		{http.MethodGet, "/api/catalog/domains/*", roleRead, oneOf(cat.Domain), false},
		{http.MethodPatch, "/api/catalog/domains/*", roleWrite, patchEntity(cat, "domain", anyGetter(cat.Domain)), false},
		{http.MethodGet, "/api/catalog/services", roleRead, listOf(cat.Services), false},
		{http.MethodGet, "/api/catalog/services/*", roleRead, oneOf(cat.Service), false},
		{http.MethodPatch, "/api/catalog/services/*", roleWrite, patchEntity(cat, "service", anyGetter(cat.Service)), false},
		{http.MethodGet, "/api/catalog/channels", roleRead, listOf(cat.Channels), false},
		{http.MethodGet, "/api/catalog/channels/*", roleRead, oneOf(cat.Channel), false},
		{http.MethodPatch, "/api/catalog/channels/*", roleWrite, patchEntity(cat, "channel", anyGetter(cat.Channel)), false},
		{http.MethodGet, "/api/catalog/messages", roleRead, listOf(cat.Messages), false},
		{http.MethodGet, "/api/catalog/messages/*", roleRead, oneOf(cat.Message), false},
		{http.MethodPatch, "/api/catalog/messages/*", roleWrite, patchEntity(cat, "message", anyGetter(cat.Message)), false},
		{http.MethodGet, "/api/catalog/servers", roleRead, listOf(cat.Servers), false},
		{http.MethodGet, "/api/catalog/servers/*", roleRead, oneOf(cat.Server), false},
		{http.MethodGet, "/api/catalog/owners", roleRead, listOf(cat.Owners), false},
		{http.MethodGet, "/api/catalog/owners/*", roleRead, oneOf(cat.Owner), false},
		{http.MethodPatch, "/api/catalog/owners/*", roleWrite, patchOwner(cat), false},
		{http.MethodGet, "/api/catalog/documents/*", roleRead, oneOf(cat.DocumentHistory), false},
		{http.MethodGet, "/api/catalog/asyncapi", roleRead, exportAsyncAPI(cat), false},
		{http.MethodPost, "/api/catalog/asyncapi", roleWrite, importAsyncAPI(cat, s.asyncAPIMaxBytes), false},
		{http.MethodGet, "/api/catalog/drift", roleRead, s.apiDrift, false},

		// The Confluent Schema Registry API (server/registry.go).
		{http.MethodPost, "/", r, reg.root, false},
		{http.MethodGet, "/schemas/types", r, reg.types, slash},
		{http.MethodGet, "/schemas/ids/:id", r, reg.schemaByID, slash},
		{http.MethodGet, "/schemas/ids/:id/schema", r, reg.schemaTextByID, slash},
		{http.MethodGet, "/schemas/ids/:id/subjects", r, reg.subjectsByID, slash},
		{http.MethodGet, "/schemas/ids/:id/versions", r, reg.versionsByID, slash},
		{http.MethodGet, "/schemas/guids/:guid", r, reg.schemaByGUID, slash},
		{http.MethodGet, "/schemas/guids/:guid/ids", r, reg.idsByGUID, slash},
		{http.MethodGet, "/contexts", r, reg.contexts, slash},
		{http.MethodDelete, "/contexts/:context", a, reg.deleteContext, slash},
		{http.MethodGet, "/v1/metadata/id", r, reg.clusterID, slash},
		{http.MethodGet, "/v1/metadata/version", r, reg.serverVersion, slash},
		{http.MethodGet, "/v1/metadata/deployment", r, reg.deployment, slash},
		{http.MethodGet, "/subjects/:subject/metadata", r, reg.latestWithMetadata, slash},
		{http.MethodGet, "/subjects", r, reg.subjects, slash},
		{http.MethodPost, "/subjects/:subject", w, reg.lookup, slash},
		{http.MethodDelete, "/subjects/:subject", a, reg.deleteSubject, slash},
		{http.MethodGet, "/subjects/:subject/versions", r, reg.versions, slash},
		{http.MethodPost, "/subjects/:subject/versions", w, reg.register, slash},
		{http.MethodGet, "/subjects/:subject/versions/:version", r, reg.version, slash},
		{http.MethodGet, "/subjects/:subject/versions/:version/schema", r, reg.versionText, slash},
		{http.MethodGet, "/subjects/:subject/versions/:version/referencedby", r, reg.referencedBy, slash},
		{http.MethodDelete, "/subjects/:subject/versions/:version", a, reg.deleteVersion, slash},
		{http.MethodPost, "/compatibility/subjects/:subject/versions", w, reg.compatibility, slash},
		{http.MethodPost, "/compatibility/subjects/:subject/versions/:version", w, reg.compatibility, slash},
		{http.MethodGet, "/config", r, reg.getConfig, slash},
		{http.MethodPut, "/config", a, reg.putConfig, slash},
		{http.MethodDelete, "/config", a, reg.deleteConfig, slash},
		{http.MethodGet, "/config/:subject", r, reg.getConfig, slash},
		{http.MethodPut, "/config/:subject", a, reg.putConfig, slash},
		{http.MethodDelete, "/config/:subject", a, reg.deleteConfig, slash},
		{http.MethodGet, "/mode", r, reg.getMode, slash},
		{http.MethodPut, "/mode", a, reg.putMode, slash},
		{http.MethodDelete, "/mode", a, reg.deleteMode, slash},
		{http.MethodGet, "/associations/subjects/:subject", r, reg.associationsBySubject, slash},
		{http.MethodGet, "/associations/resources/:id", r, reg.associationsByResourceID, slash},
		{http.MethodGet, "/associations/resources/:namespace/:name", r, reg.associationsByResourceName, slash},
		{http.MethodPost, "/associations", w, reg.createAssociations, slash},
		{http.MethodPut, "/associations/resources/:id", w, reg.createAssociations, slash},
		// Deleting with cascadeLifecycle deletes the topic's subjects, as DELETE /subjects does.
		{http.MethodDelete, "/associations/resources/:id", a, reg.deleteAssociations, slash},
		{http.MethodGet, "/mode/:subject", r, reg.getMode, slash},
		{http.MethodPut, "/mode/:subject", a, reg.putMode, slash},
		{http.MethodDelete, "/mode/:subject", a, reg.deleteMode, slash},
	}
}

func (s *Server) routes(m *metrics) {
	for _, r := range s.routeTable(m) {
		// Authentication first, so a request without a key learns that before anything else.
		// Composed here once rather than by echo on every request.
		h := chain(r.handler, s.authorize(r.role), s.limitWrites(r.role), s.checkCSRF)
		s.echo.Add(r.method, r.path, h)
		if r.slash {
			s.echo.Add(r.method, r.path+"/", h)
		}
	}
}

// redirectTo answers with a permanent redirect to path, keeping old links working.
func redirectTo(path string) echo.HandlerFunc {
	return func(c echo.Context) error { return c.Redirect(http.StatusMovedPermanently, path) }
}

func healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers whether this replica can serve: its store answers. The brokers it polls are
// listed with their state, but a broker that is down does not make eventlens unready.
func (s *Server) readyz(c echo.Context) error {
	type answer struct {
		Status  string          `json:"status"`
		Reason  string          `json:"reason,omitempty"`
		Sources []brokers.State `json:"sources,omitempty"`
	}
	sources := s.svc.Brokers.States(c.Request().Context())
	if err := s.svc.DB.Ready(c.Request().Context()); err != nil {
		return c.JSON(http.StatusServiceUnavailable, answer{Status: "unavailable", Reason: err.Error(), Sources: sources})
	}
	return c.JSON(http.StatusOK, answer{Status: "ready", Sources: sources})
}
