// Package mcpserver answers AI assistants over the Model Context Protocol: tools that search and
// describe the catalog, tell who a schema change affects, check compatibility and report
// unhealthy consumers and drift, and the registry's schemas as resources. It serves stdio (eventlens
// mcp) and streamable HTTP (/mcp on the server) with the official Go SDK, and knows nothing of echo.
package mcpserver
