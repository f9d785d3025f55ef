package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/mcpserver"
)

// mcpPath is where assistants reach the MCP server (streamable HTTP).
const mcpPath = "/mcp"

// mcpHandler builds the MCP server over the server's services.
func (s *Server) mcpHandler() http.Handler {
	return mcpserver.New(mcpserver.Deps{Catalog: s.svc.Catalog, Registry: s.svc.Registry, Flows: s.svc.Ingest,
		Health: s.svc.Ingest.Health, Logger: s.log}).Handler()
}

// serveMCP hands the request to the MCP handler, telling it whether the caller may write: a
// key of the write role or above, or anyone when the server has no keys (loopback only).
func serveMCP(h http.Handler) echo.HandlerFunc {
	return func(c echo.Context) error {
		key, signedIn := c.Get(keyContext).(apikeys.Key)
		may := !signedIn || key.Role >= apikeys.RoleWrite
		h.ServeHTTP(c.Response(), c.Request().WithContext(mcpserver.WithWrites(c.Request().Context(), may)))
		return nil
	}
}
