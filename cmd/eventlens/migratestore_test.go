package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb/pgtest"
)

// A SQLite store that the demo filled (plus writes of kinds the demo does not make: a soft
// delete, a subject's config and mode, an API key) is copied into PostgreSQL; eventlens on the
// copy answers the registry and catalog API exactly as eventlens on the original does, and the
// key works on both. A second copy into the same database is refused.
func TestMigrateStoreRoundTrip(t *testing.T) {
	src := filepath.Join(t.TempDir(), "eventlens.db")
	dst := pgtest.URL(t)

	p := startServe(t, src, "--demo")
	within(t, 30*time.Second, "the demo imported its catalog and sent spans", func() bool {
		_, services := get(t, p.URL+"/api/catalog/services")
		return strings.Count(services, `"name"`) >= 3 && producedAny(t, p.URL)
	})
	for _, w := range []struct{ method, path, body string }{
		{"PUT", "/config/orders.placed-value", `{"compatibility":"FULL"}`},
		{"PUT", "/mode/payments.declined-value", `{"mode":"READONLY"}`},
		{"POST", "/subjects/scratch-value/versions", `{"schema":"{\"type\":\"record\",\"name\":\"A\",\"fields\":[]}"}`},
		{"POST", "/subjects/scratch-value/versions", `{"schema":"{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"x\",\"type\":\"int\",\"default\":0}]}"}`},
		{"DELETE", "/subjects/scratch-value/versions/1", ""},
		{"POST", "/subjects/:.staging:scratch-value/versions", `{"schema":"{\"type\":\"record\",\"name\":\"S\",\"fields\":[]}"}`},
	} {
		req, _ := http.NewRequest(w.method, p.URL+w.path, strings.NewReader(w.body))
		req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", w.method, w.path, resp.StatusCode, b)
		}
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-p.done; err != nil {
		t.Fatalf("serve --demo did not stop cleanly: %v\n%s", err, p.logs)
	}
	code, out := runBinary(t, "keys", "create", "--db", src, "--role", "read", "--name", "dashboards")
	if code != 0 {
		t.Fatalf("keys create: %d\n%s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	keyID, secret := strings.Fields(lines[0])[3], lines[len(lines)-1]

	code, out = runBinary(t, "migrate-store", "--from", src, "--to", dst)
	if code != 0 {
		t.Fatalf("migrate-store: %d\n%s", code, out)
	}
	for _, table := range []string{"sr_versions", "catalog_documents", "api_keys", "flow_minute"} {
		if !strings.Contains(out, table) {
			t.Errorf("the summary does not name %s:\n%s", table, out)
		}
	}
	t.Logf("migrate-store:\n%s", out)
	if code, out := runBinary(t, "migrate-store", "--from", src, "--to", dst); code == 0 || !strings.Contains(out, "not empty") {
		t.Errorf("a second copy into the same database: exit %d\n%s", code, out)
	}

	onSQLite, onPostgres := startServe(t, src), startServe(t, dst)
	read := func(p *process, path string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", p.URL+path, nil)
		req.SetBasicAuth(keyID, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	same := func(path string) string {
		t.Helper()
		a, b := read(onSQLite, path), read(onPostgres, path)
		if a != b {
			t.Errorf("GET %s:\n  SQLite:     %.300s\n  PostgreSQL: %.300s", path, a, b)
		}
		return a
	}
	paths := []string{"/config", "/mode", "/schemas?deleted=true", "/contexts", "/schemas/ids/1?subject=:.staging:", "/api/catalog/domains", "/api/catalog/services",
		"/api/catalog/channels", "/api/catalog/messages", "/api/catalog/owners", "/api/catalog/servers", "/api/catalog/asyncapi"}
	subjects := same("/subjects?deleted=true")
	for _, s := range strings.Split(strings.Trim(strings.TrimPrefix(subjects, "200 "), "[]\n"), ",") {
		s = url.PathEscape(strings.Trim(s, `"`))
		paths = append(paths, "/subjects/"+s+"/versions?deleted=true", "/config/"+s, "/mode/"+s,
			"/subjects/"+s+"/versions/latest", "/subjects/"+s+"/versions/1?deleted=true")
	}
	for _, path := range paths {
		same(path)
	}
	if got := same("/subjects/scratch-value/versions?deleted=true"); got != "200 [1,2]\n" && got != "200 [1,2]" {
		t.Errorf("scratch-value's versions: %q, want the soft-deleted 1 and 2", got)
	}
	if got := read(onPostgres, "/subjects/scratch-value/versions"); !strings.HasPrefix(got, "200 [2]") {
		t.Errorf("scratch-value without deleted ones on PostgreSQL: %q", got)
	}
	if got := read(onPostgres, "/schemas/ids/1?subject=:.staging:scratch-value"); !strings.Contains(got, `\"S\"`) {
		t.Errorf("the staging context's id 1 on PostgreSQL: %q", got)
	}
	if status, _ := get(t, onPostgres.URL+"/subjects"); status != 401 {
		t.Errorf("without the key on PostgreSQL: %d, want 401", status)
	}
}

// producedAny reports whether /api/flows shows any messages.
func producedAny(t *testing.T, base string) bool {
	t.Helper()
	_, body := get(t, base+"/api/flows?since=24h")
	var flows struct{ Flows []struct{ Messages int } }
	if err := json.Unmarshal([]byte(body), &flows); err != nil {
		t.Fatalf("/api/flows: %v: %s", err, body)
	}
	for _, f := range flows.Flows {
		if f.Messages > 0 {
			return true
		}
	}
	return false
}
