package server

import (
	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/mcpserver"
)

// mcpPath is where assistants reach the MCP server (streamable HTTP).
const mcpPath = "/mcp"

// serveMCP builds the MCP server over the server's services and hands it each request, telling
// it whether the caller may write: a key of the write role or above, or anyone when the server
// has no keys (loopback only).
func (s *Server) serveMCP() echo.HandlerFunc {
	m := mcpserver.New(mcpserver.Deps{Catalog: s.svc.Catalog, Registry: s.svc.Registry, Flows: s.svc.Ingest,
		Health: s.svc.Ingest.Health, Logger: s.log})
	withKey, open := m.Handler(true), m.Handler(false)
	return func(c echo.Context) error {
		key, signedIn := c.Get(keyContext).(apikeys.Key)
		h := open
		if signedIn {
			h = withKey
		}
		may := !signedIn || key.Role >= apikeys.RoleWrite
		h.ServeHTTP(c.Response(), c.Request().WithContext(mcpserver.WithWrites(c.Request().Context(), may)))
		return nil
	}
}
