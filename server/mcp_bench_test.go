package server

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/eventlens/eventlens/mcpserver/mcpservertest"
)

// BenchmarkMCP measures tool calls through /mcp with the SDK's client (one JSON-RPC POST each,
// stateless) against the REST answer a client would otherwise ask for, on the store Seed fills:
// GET /subjects/orders-value/versions/latest is the baseline.
func BenchmarkMCP(b *testing.B) {
	ts := startServer(b)
	mcpservertest.Seed(b, ts.URL, nil)
	cs, err := connectMCP(b, ts.URL, "")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("rest_latest_version", func(b *testing.B) {
		for b.Loop() {
			resp, err := http.Get(ts.URL + "/subjects/" + mcpservertest.Subject + "/versions/latest")
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatal(resp.Status)
			}
		}
	})
	for _, tool := range []struct {
		name string
		args map[string]any
	}{
		{"search_catalog", map[string]any{"query": "orders"}},
		{"describe_subject", map[string]any{"subject": mcpservertest.Subject}},
		{"schema_impact", map[string]any{"subject": mcpservertest.Subject}},
		{"check_compatibility", map[string]any{"subject": mcpservertest.Subject, "schema": mcpservertest.SchemaV3}},
		{"list_unhealthy_consumers", nil},
	} {
		b.Run(tool.name, func(b *testing.B) {
			for b.Loop() {
				res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool.name, Arguments: tool.args})
				if err != nil || res.IsError {
					b.Fatal(err, res)
				}
			}
		})
	}
}
