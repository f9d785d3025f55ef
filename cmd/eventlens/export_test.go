package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
