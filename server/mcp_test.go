package server

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/mcpserver/mcpservertest"
)

// withAuthorization sends every request with the Authorization header value.
type withAuthorization struct{ value string }

func (a withAuthorization) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	if a.value != "" {
		r.Header.Set("Authorization", a.value)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// connectMCP connects the SDK's client to /mcp over streamable HTTP, sending authorization.
func connectMCP(t testing.TB, base, authorization string) (*mcp.ClientSession, error) {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "eventlens-test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: base + "/mcp",
		HTTPClient: &http.Client{Transport: withAuthorization{authorization}}}, nil)
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

// TestMCPOverHTTP asks every tool through /mcp on a real server, with a read key and a write key
// as assistants send them (a Bearer token, HTTP Basic): each answers what Seed stored, a read
// key gets no writing tool, and bad calls are refused with a reason.
func TestMCPOverHTTP(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxBody = "16M" })
	ctx := context.Background()
	read, readSecret, err := ts.srv.svc.Keys.Create(ctx, "assistant", apikeys.RoleRead)
	if err != nil {
		t.Fatal(err)
	}
	_, writeSecret, err := ts.srv.svc.Keys.Create(ctx, "ci", apikeys.RoleWrite)
	if err != nil {
		t.Fatal(err)
	}
	mcpservertest.Seed(t, ts.URL, http.Header{"Authorization": {"Bearer " + writeSecret}})

	readSession, err := connectMCP(t, ts.URL, "Bearer "+readSecret)
	if err != nil {
		t.Fatal(err)
	}
	basic, _ := http.NewRequest(http.MethodGet, "/", nil)
	basic.SetBasicAuth(read.ID, readSecret)
	readBasic, err := connectMCP(t, ts.URL, basic.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("read key", func(t *testing.T) {
		mcpservertest.CheckToolList(t, readSession, false)
		mcpservertest.CheckToolList(t, readBasic, false)
		mcpservertest.CheckReadTools(t, readSession)
		mcpservertest.CheckResources(t, readSession)
		mcpservertest.CheckHostileInput(t, readSession)
		mcpservertest.CheckWrites(t, readSession, false)
	})
	t.Run("write key", func(t *testing.T) {
		writeSession, err := connectMCP(t, ts.URL, "Bearer "+writeSecret)
		if err != nil {
			t.Fatal(err)
		}
		mcpservertest.CheckToolList(t, writeSession, true)
		mcpservertest.CheckWrites(t, writeSession, true)
	})
	t.Run("no key or a wrong one", func(t *testing.T) {
		for _, auth := range []string{"", "Bearer not-a-key"} {
			if _, err := connectMCP(t, ts.URL, auth); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
				t.Errorf("connect with %q: %v, want 401", auth, err)
			}
		}
	})
	t.Run("behind a reverse proxy", func(t *testing.T) {
		// The proxy sends its own host name to the loopback listener; the key is what counts.
		if code, body := postMCP(t, ts.URL, "eventlens.example.com", "Bearer "+readSecret, toolsList); code != http.StatusOK || !strings.Contains(body, "search_catalog") {
			t.Errorf("tools/list under another host name with a key: %d %.200s", code, body)
		}
	})
	t.Run("huge request", func(t *testing.T) {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_catalog","arguments":{"query":"` + strings.Repeat("a", 5<<20) + `"}}}`
		if code, _ := postMCP(t, ts.URL, "", "Bearer "+readSecret, body); code != http.StatusRequestEntityTooLarge {
			t.Errorf("a 5 MiB request: %d, want 413", code)
		}
	})
}

// TestMCPWithoutKeys: a server without keys (loopback only) lets everyone write, as the rest of
// its API does, so /mcp offers the writing tools too.
func TestMCPWithoutKeys(t *testing.T) {
	ts := startServer(t)
	cs, err := connectMCP(t, ts.URL, "")
	if err != nil {
		t.Fatal(err)
	}
	mcpservertest.CheckToolList(t, cs, true)
	// Without keys, a page that rebinds its own host name to 127.0.0.1 must not reach it.
	if code, body := postMCP(t, ts.URL, "attacker.example", "", toolsList); code != http.StatusForbidden {
		t.Errorf("tools/list under a foreign host name without keys: %d %.200s, want 403", code, body)
	}
}

const toolsList = `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`

// postMCP posts one JSON-RPC message to /mcp with the Host header host.
func postMCP(t *testing.T, base, host, authorization, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
	req.Host = host
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
