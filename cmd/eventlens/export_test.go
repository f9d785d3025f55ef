package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestExportAsyncAPI imports the shop documents with the binary, exports them in every way the
// command offers, and imports an export into a fresh database.
func TestExportAsyncAPI(t *testing.T) {
	testdata, err := filepath.Abs("../../catalog/testdata")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "eventlens.db")
	run := func(t *testing.T, args ...string) (int, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, binary, args...).CombinedOutput()
		return exitCode(err), string(out)
	}
	if code, out := run(t, "import", "asyncapi", "--db", db, filepath.Join(testdata, "shop/orders.yaml"), filepath.Join(testdata, "shop/shipping.yaml")); code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, out)
	}

	ordersYAML := filepath.Join(dir, "orders.yaml")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // in the output, or in the file given with -o
		file     string
	}{
		{"the whole catalog", nil, exitOK, []string{"asyncapi: 3.0.0", "title: eventlens catalog", "x-eventlens-service: Shipping Service", "x-eventlens-service: Orders Service"}, ""},
		{"one service", []string{"--service", "Shipping Service"}, exitOK, []string{"title: Shipping Service", "enum:\n            - shipping", "address: parcel-scanned"}, ""},
		{"one service to a file", []string{"--service", "Orders Service", "-o", ordersYAML}, exitOK,
			[]string{"id: urn:shop:orders", "schemaFormat: application/vnd.google.protobuf;version=3", "x-eventcatalog-message-type: command", "x-eventlens-subject: shop.payments.v1-PaymentReceived"}, ordersYAML},
		{"JSON", []string{"--service", "Orders Service", "--format", "json"}, exitOK, []string{`"asyncapi": "3.0.0"`, `"title": "Orders Service"`}, ""},
		{"an unknown service", []string{"--service", "Nope", "-o", filepath.Join(dir, "nope.yaml")}, exitUsage, []string{`export service "Nope": no such service in the catalog`}, ""},
		{"an unknown format", []string{"--format", "xml"}, exitUsage, []string{"--format"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := run(t, append([]string{"export", "asyncapi", "--db", db}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit code %d, want %d:\n%s", code, tt.wantCode, out)
			}
			if tt.file != "" {
				b, err := os.ReadFile(tt.file)
				if err != nil {
					t.Fatal(err)
				}
				out = string(b)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.yaml")); !os.IsNotExist(err) {
		t.Errorf("a failed export left a file behind: %v", err)
	}
	if code, out := run(t, "export", "asyncapi", "--db", filepath.Join(dir, "missing.db")); code != exitUsage || !strings.Contains(out, "no catalog to export") {
		t.Errorf("export from a missing database: exit %d\n%s", code, out)
	}

	// The exported file is an AsyncAPI document eventlens imports as the same service.
	fresh := filepath.Join(t.TempDir(), "eventlens.db")
	code, out := run(t, "import", "asyncapi", "--db", fresh, ordersYAML)
	if code != exitOK || !strings.Contains(out, `imported "urn:shop:orders" as version 1: service "Orders Service", 3 channels, 3 operations, 4 messages, 4 payload schemas`) {
		t.Errorf("import the export: exit %d\n%s", code, out)
	}
}

// postSpans sends an OTLP/JSON request to the server at base and expects it taken.
func postSpans(t *testing.T, base string, body []byte) {
	t.Helper()
	resp, err := http.Post(base+"/v1/traces", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /v1/traces: %d", resp.StatusCode)
	}
}

// TestExportAsyncAPIWithObservedFlows exports from the file a running server ingests into: the
// CLI adds the flows traces showed, as the HTTP export does, and the server goes on ingesting.
func TestExportAsyncAPIWithObservedFlows(t *testing.T) {
	testdata, err := filepath.Abs("../../catalog/testdata")
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "eventlens.db")
	if code, _, stderr := eventlens(t, nil, "import", "asyncapi", "--db", db, filepath.Join(testdata, "shop/orders.yaml")); code != exitOK {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	p := startServe(t, db)
	// The service "orders" sends to "orders", the address of the documented shop.orders.v1.
	postSpans(t, p.URL, spansJSON(strings.Repeat("1", 32), 3))

	tests := []struct {
		name, query string
		args        []string
	}{
		{"the whole catalog", "", nil},
		{"a service known from traces only", "?service=orders", []string{"--service", "orders"}},
	}
	for _, tt := range tests {
		code, cli, stderr := eventlens(t, nil, append([]string{"export", "asyncapi", "--db", db}, tt.args...)...)
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s", tt.name, code, stderr)
		}
		for _, want := range []string{"x-eventlens-observed: true", "observed.send.orders:", "$ref: '#/channels/shop.orders.v1'"} {
			if !strings.Contains(cli, want) {
				t.Errorf("%s: the export lacks %q:\n%s", tt.name, want, cli)
			}
		}
		if status, served := get(t, p.URL+"/api/catalog/asyncapi"+tt.query); status != http.StatusOK || served != cli {
			t.Errorf("%s: the CLI's export differs from the server's (HTTP %d):\nCLI:\n%s\nserver:\n%s", tt.name, status, cli, served)
		}
	}
	postSpans(t, p.URL, spansJSON(strings.Repeat("2", 32), 3))
	if status, body := get(t, p.URL+"/api/flows"); status != http.StatusOK || !strings.Contains(body, `"messages":6`) {
		t.Errorf("the server's flows after the CLI export: %d %s, want the 6 messages sent", status, body)
	}
}

// TestExportAsyncAPIDeletesNothing exports from a file whose flows a server kept longer than
// ingest's default retention: the export only reads, so they (and the spans) stay where they are.
func TestExportAsyncAPIDeletesNothing(t *testing.T) {
	db := filepath.Join(t.TempDir(), "eventlens.db")
	p := startServe(t, db, "--flow-retention", "2400h")
	old := time.Now().Add(-40 * 24 * time.Hour) // beyond the default flow retention of 30 days
	postSpans(t, p.URL, spansJSONAt(strings.Repeat("3", 32), 3, old))
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	<-p.done
	count := func() string {
		t.Helper()
		sqldb, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		defer sqldb.Close()
		var flows, spans int
		if err := sqldb.QueryRow("SELECT (SELECT count(*) FROM flow), (SELECT count(*) FROM span)").Scan(&flows, &spans); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d flows, %d spans", flows, spans)
	}
	before := count()
	if before != "1 flows, 3 spans" {
		t.Fatalf("stored: %s, want 1 flow of 3 spans", before)
	}
	if code, _, stderr := eventlens(t, nil, "export", "asyncapi", "--db", db); code != exitOK {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	if after := count(); after != before {
		t.Errorf("after the export: %s, want %s", after, before)
	}
}
