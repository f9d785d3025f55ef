package mcpserver

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/eventlens/eventlens/buildinfo"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

// MaxMessageBytes bounds one MCP message on both transports (an HTTP body, a stdio line): a
// schema to check or register fits, a flood does not.
const MaxMessageBytes = 4 << 20

// Deps are what the tools read (and, for register_schema, write).
type Deps struct {
	Catalog  *catalog.Catalog
	Registry *schemaregistry.Registry
	Flows    catalog.FlowSource // the flow edges traces showed
	// Health reports every consumer's status now: tracing.Ingester.Health while serving, a
	// tracing.FlowReader's for commands that only read the store.
	Health func(context.Context) (tracing.HealthReport, error)
	Logger *slog.Logger
}

// Server holds two MCP servers over the same Deps: one with the read tools, one that adds the
// writing tools; a caller gets the one its role allows.
type Server struct {
	read, write *mcp.Server
	log         *slog.Logger
}

// New builds the servers.
func New(d Deps) *Server {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	t := &tools{Deps: d}
	return &Server{read: t.server(false), write: t.server(true), log: quiet{d.Logger.Handler()}.logger()}
}

// quiet passes on the SDK's warnings and errors only: it logs every session's start and end.
type quiet struct{ slog.Handler }

func (q quiet) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && q.Handler.Enabled(ctx, l)
}
func (q quiet) WithAttrs(a []slog.Attr) slog.Handler { return quiet{q.Handler.WithAttrs(a)} }
func (q quiet) WithGroup(name string) slog.Handler   { return quiet{q.Handler.WithGroup(name)} }
func (q quiet) logger() *slog.Logger                 { return slog.New(q) }

const instructions = `eventlens knows this company's event-driven architecture: the catalog (services, channels, ` +
	`messages, owners, from AsyncAPI documents), the schema registry (subjects and their versions) and what ` +
	`traces show (who really produces and consumes, and how consumers are doing). Start with search_catalog ` +
	`to find names, then the describe_* tools. Before changing a schema, ask schema_impact and check_compatibility.`

func (t *tools) server(writes bool) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "eventlens", Title: "eventlens", Version: buildinfo.Version()},
		&mcp.ServerOptions{Instructions: instructions, Logger: quiet{t.Logger.Handler()}.logger(),
			// The tool list depends on the caller's key and the schemas sit behind keys: no
			// intermediary may serve one caller's answer to another.
			SetCacheable: func(_ context.Context, _ mcp.Request, c *mcp.Cacheable) { c.CacheScope = "private" }})
	t.addReadTools(s)
	if writes {
		t.addWriteTools(s)
	}
	t.addResources(s)
	return s
}

// ServeStdio answers one client on stdin and stdout until it disconnects or ctx ends, with the
// read tools only: the command opens the store to read it.
func (s *Server) ServeStdio(ctx context.Context) error {
	return s.Serve(ctx, &mcp.StdioTransport{MaxLineLength: MaxMessageBytes})
}

// Serve answers one client on transport with the read tools only (tests pass pipes).
func (s *Server) Serve(ctx context.Context, transport mcp.Transport) error {
	return s.read.Run(ctx, transport)
}

type writesKey struct{}

// WithWrites says whether the caller of a request may write (its API key's role): the HTTP
// handler offers the writing tools only then.
func WithWrites(ctx context.Context, may bool) context.Context {
	return context.WithValue(ctx, writesKey{}, may)
}

// Handler serves MCP's streamable HTTP transport. It is stateless: every request stands alone,
// with the tools its own key allows (WithWrites), so a session cannot carry a stronger key's
// rights to a weaker one and any replica can answer any request.
//
// Unless authenticated, it refuses requests that reach a loopback address under another host
// name (the SDK's guard against DNS rebinding: a web page making a browser call a keyless local
// server). Requests that carry a valid API key need no such guard, and a reverse proxy in front
// of a loopback listener sends its own host name.
func (s *Server) Handler(authenticated bool) http.Handler {
	return mcp.NewStreamableHTTPHandler(func(r *http.Request) *mcp.Server {
		if may, _ := r.Context().Value(writesKey{}).(bool); may {
			return s.write
		}
		return s.read
	}, &mcp.StreamableHTTPOptions{Stateless: true, JSONResponse: true, Logger: s.log, MaxRequestBodyBytes: MaxMessageBytes,
		DisableLocalhostProtection: authenticated})
}
