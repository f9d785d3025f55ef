package main

import (
	"bytes"
	"context"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/eventlens/eventlens/mcpserver/mcpservertest"
	"github.com/eventlens/eventlens/pgdb/pgtest"
)

// seed fills the store db through a real `eventlens serve` (registry, AsyncAPI import, OTLP
// spans), then stops it gracefully so that every span and aggregate is stored.
func seed(t *testing.T, db string) {
	t.Helper()
	p := startServe(t, db)
	mcpservertest.Seed(t, p.URL, nil)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("serve: %v\n%s", err, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s")
	}
}

// connectStdio runs `eventlens mcp` as an assistant does, through the SDK's command transport.
func connectStdio(t *testing.T, args ...string) (*mcp.ClientSession, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"mcp"}, args...)...)
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "eventlens-test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect to eventlens mcp: %v\n%s", err, stderr)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs, stderr
}

// TestMCPOverStdio asks every tool of `eventlens mcp` about a store a server filled, a SQLite
// file and a PostgreSQL database: the same answers as /mcp gives, no writing tool, and bad calls
// refused with a reason.
func TestMCPOverStdio(t *testing.T) {
	for _, tt := range []struct {
		name string
		db   func(testing.TB) string
	}{
		{"sqlite", func(t testing.TB) string { return filepath.Join(t.TempDir(), "eventlens.db") }},
		{"postgres", pgtest.URL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := tt.db(t)
			seed(t, db)
			cs, stderr := connectStdio(t, "--db", db)
			mcpservertest.CheckToolList(t, cs, false)
			mcpservertest.CheckReadTools(t, cs)
			mcpservertest.CheckResources(t, cs)
			mcpservertest.CheckHostileInput(t, cs)
			mcpservertest.CheckWrites(t, cs, false)
			if err := cs.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
			if t.Failed() {
				t.Logf("eventlens mcp's stderr:\n%s", stderr)
			}
		})
	}
}

// TestMCPStdioRefuses: no store to read, and a message over the size limit, end the command
// with a reason on stderr.
func TestMCPStdioRefuses(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.db")
	if code, _, stderr := eventlens(t, nil, "mcp", "--db", missing); code != exitUsage || !strings.Contains(stderr, "no store to serve") {
		t.Errorf("mcp on a missing file: exit %d, %q", code, stderr)
	}

	empty := filepath.Join(t.TempDir(), "eventlens.db")
	if code, _, stderr := eventlens(t, nil, "keys", "list", "--db", empty); code != exitOK {
		t.Fatalf("keys list (creating the store): exit %d, %s", code, stderr)
	}
	cmd := exec.Command(binary, "mcp", "--db", empty)
	huge := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search_catalog","arguments":{"query":"` + strings.Repeat("a", 5<<20) + `"}}}` + "\n"
	cmd.Stdin = strings.NewReader(huge)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if code := exitCode(err); code != exitUsage || !strings.Contains(stderr.String(), "exceeded the configured maximum line length") {
		t.Errorf("a 5 MiB message: exit %d, stdout %.200q, stderr %q", code, stdout.String(), stderr.String())
	}
}

// TestMCPStdioBesideServer runs `eventlens mcp` on the SQLite file a running server writes, as a
// local assistant does: it reads what the server committed, and the server goes on.
func TestMCPStdioBesideServer(t *testing.T) {
	db := filepath.Join(t.TempDir(), "eventlens.db")
	p := startServe(t, db)
	mcpservertest.Seed(t, p.URL, nil)
	cs, stderr := connectStdio(t, "--db", db)
	type channel struct{ Observed []struct{ Service string } }
	// The server commits the spans it acknowledged within a moment.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		c := mcpservertest.Call[channel](t, cs, "describe_channel", map[string]any{"name": mcpservertest.Channel})
		if len(c.Observed) == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("describe_channel beside the server: %+v, want 4 observed flows\n%s", c.Observed, stderr)
		}
	}
	s := mcpservertest.Call[struct{ Versions []struct{ Version int } }](t, cs, "describe_subject", map[string]any{"subject": mcpservertest.Subject})
	if len(s.Versions) != 2 {
		t.Errorf("describe_subject beside the server: %+v", s.Versions)
	}
	if status, body := get(t, p.URL+"/api/catalog/channels/"+mcpservertest.Channel); status != http.StatusOK {
		t.Errorf("the server after eventlens mcp read its file: %d %s", status, body)
	}
}
