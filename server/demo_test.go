package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/catalog/asyncapitest"
	"github.com/eventlens/eventlens/demo"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/tracing"
)

// The demo shop's catalog: what its documents describe.
var (
	demoServices = []string{"fraud-check", "inventory", "notifications", "orders", "payments", "shipping"}
	demoChannels = map[string]string{ // channel → its subject's schema type
		"orders.placed": "AVRO", "payments.completed": "JSON", "inventory.reserved": "PROTOBUF",
		"shipments.created": "JSON", "emails": "JSON",
	}
	demoMessages = []string{"OrderPlaced", "PaymentCompleted", "SendEmail", "ShipmentCreated", "StockReserved"}
)

// runDemo runs the demo shop against ts until the test ends (or the returned stop is called).
func runDemo(t *testing.T, ts *testServer, key string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- demo.Run(ctx, demo.Options{Endpoint: ts.URL, OrdersPerSecond: 20, SlowProcessing: 200 * time.Millisecond,
			APIKey: key, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("demo: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// demoFlows are the edges of the shop's flow graph: direction, service, destination and group.
var demoFlows = []string{
	"produce orders orders.placed ",
	"consume payments orders.placed payments",
	"consume inventory orders.placed inventory",
	"produce payments payments.completed ",
	"produce inventory inventory.reserved ",
	"consume shipping payments.completed shipping",
	"consume notifications payments.completed notifications",
	"consume fraud-check payments.completed fraud-check",
	"produce shipping shipments.created ",
	"consume notifications shipments.created notifications",
	"produce notifications emails ",
}

// waitForDemoFlows waits until every edge of the shop was observed and returns the flows.
func waitForDemoFlows(t *testing.T, ts *testServer, key string, deadline time.Duration) []tracing.Flow {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		body := getWithKey(t, ts, "/api/flows?since=10m", key)
		var answer struct{ Flows []tracing.Flow }
		if err := json.Unmarshal([]byte(body), &answer); err != nil {
			t.Fatalf("flows: %v\n%s", err, body)
		}
		seen := map[string]bool{}
		for _, f := range answer.Flows {
			seen[strings.Join([]string{f.Direction, f.Service, f.Channel.Destination, f.ConsumerGroup}, " ")] = true
		}
		var missing []string
		for _, w := range demoFlows {
			if !seen[w] {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return answer.Flows
		}
		if time.Now().After(end) {
			t.Fatalf("after %s the demo's flows lack %q:\n%s", deadline, missing, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// getWithKey gets path with an API key ("id:secret") as HTTP Basic, or with none, and returns
// the body of a 200 answer.
func getWithKey(t *testing.T, ts *testServer, path, key string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, ts.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id, secret, ok := strings.Cut(key, ":"); ok {
		req.SetBasicAuth(id, secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	return string(body)
}

// TestDemoDescribesItself runs the demo shop against a server: its documents fill the catalog
// and the registry, its spans name the registry's schemas, the drift shows exactly the one
// undocumented consumer it keeps on purpose, and its export validates and re-imports.
func TestDemoDescribesItself(t *testing.T) {
	ts := startServer(t)
	stop := runDemo(t, ts, "")
	flows := waitForDemoFlows(t, ts, "", 10*time.Second)
	stop() // the shop flushes its last spans

	t.Run("subject page shows the consumers' schema versions", func(t *testing.T) {
		resp, body := ts.do(t, http.MethodGet, "/schemas/orders.placed-value", "text/html", nil)
		if resp.StatusCode != 200 || !strings.Contains(body, `data-testid="consumer"`) || !strings.Contains(body, `>latest</span>`) {
			t.Fatalf("GET /schemas/orders.placed-value: %d, no consumer on the latest version:\n%.2000s", resp.StatusCode, body)
		}
		if !strings.Contains(body, `href="/services/payments"`) {
			t.Errorf("the payments consumer of orders.placed is not listed")
		}
	})

	t.Run("catalog", func(t *testing.T) {
		names := func(path string) []string {
			_, body := ts.do(t, http.MethodGet, path, "", nil)
			var list []struct{ Name string }
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatalf("%s: %v\n%s", path, err, body)
			}
			var out []string
			for _, e := range list {
				out = append(out, e.Name)
			}
			sort.Strings(out)
			return out
		}
		if got, want := names("/api/catalog/services"), demoServices[1:]; !slices.Equal(got, want) {
			t.Errorf("services %q, want %q (fraud-check is undocumented)", got, want)
		}
		var channels []string
		for c := range demoChannels {
			channels = append(channels, c)
		}
		sort.Strings(channels)
		if got := names("/api/catalog/channels"); !slices.Equal(got, channels) {
			t.Errorf("channels %q, want %q", got, channels)
		}
		if got := names("/api/catalog/messages"); !slices.Equal(got, demoMessages) {
			t.Errorf("messages %q, want %q", got, demoMessages)
		}
		if got, want := names("/api/catalog/domains"), []string{"customer", "fulfilment", "payments", "sales"}; !slices.Equal(got, want) {
			t.Errorf("domains %q, want %q", got, want)
		}
		_, body := ts.do(t, http.MethodGet, "/api/catalog/services/payments", "", nil)
		for _, want := range []string{`"team-payments"`, `"receiveOrderPlaced"`, `"sendPaymentCompleted"`} {
			if !strings.Contains(body, want) {
				t.Errorf("service payments lacks %s:\n%s", want, body)
			}
		}
	})

	ids := map[string]string{} // channel → the id its subject's only version has
	t.Run("registry", func(t *testing.T) {
		_, body := ts.do(t, http.MethodGet, "/subjects", "", nil)
		var subjects []string
		if err := json.Unmarshal([]byte(body), &subjects); err != nil {
			t.Fatalf("subjects: %v\n%s", err, body)
		}
		sort.Strings(subjects)
		var want []string
		for c := range demoChannels {
			want = append(want, c+"-value")
		}
		sort.Strings(want)
		if !slices.Equal(subjects, want) {
			t.Fatalf("subjects %q, want %q", subjects, want)
		}
		for channel, schemaType := range demoChannels {
			subject := url.PathEscape(channel + "-value")
			// Each document that mentions a channel carries the same payload: one version each.
			_, body := ts.do(t, http.MethodGet, "/subjects/"+subject+"/versions", "", nil)
			if body != "[1]" {
				t.Errorf("%s versions %s, want [1]", subject, body)
			}
			_, body = ts.do(t, http.MethodGet, "/subjects/"+subject+"/versions/latest", "", nil)
			var v struct {
				ID         int
				SchemaType string
			}
			if err := json.Unmarshal([]byte(body), &v); err != nil {
				t.Fatal(err)
			}
			if v.SchemaType == "" {
				v.SchemaType = "AVRO" // Confluent leaves out the default
			}
			if v.SchemaType != schemaType {
				t.Errorf("%s is %s, want %s", subject, v.SchemaType, schemaType)
			}
			ids[channel] = fmt.Sprint(v.ID)
		}
	})

	t.Run("spans name the schemas", func(t *testing.T) {
		for _, f := range flows {
			if f.Service == "inventory" { // the older instrumentation sets no schema attributes
				continue
			}
			if want := ids[f.Channel.Destination]; f.SchemaID != want || f.SchemaVersion != "1" {
				t.Errorf("%s %s %s: schema id %q version %q, want %q and 1", f.Direction, f.Service, f.Channel.Destination, f.SchemaID, f.SchemaVersion, want)
			}
		}
	})

	t.Run("drift", func(t *testing.T) {
		_, body := ts.do(t, http.MethodGet, "/api/catalog/drift?since=10m", "", nil)
		var answer struct{ Findings []catalog.DriftFinding }
		if err := json.Unmarshal([]byte(body), &answer); err != nil {
			t.Fatalf("drift: %v\n%s", err, body)
		}
		var got []string
		for _, f := range answer.Findings {
			got = append(got, strings.Join([]string{f.Kind, f.Service, f.Channel, f.Group}, " "))
		}
		want := []string{"undocumented_consumer fraud-check payments.completed fraud-check"}
		if !slices.Equal(got, want) {
			t.Errorf("drift findings %q, want %q:\n%s", got, want, body)
		}
	})

	t.Run("export validates and re-imports", func(t *testing.T) {
		fresh := openTestCatalog(t)
		for _, doc := range demo.Documents() {
			_, out := ts.do(t, http.MethodGet, "/api/catalog/asyncapi?service="+url.QueryEscape(doc.Service), "", nil)
			asyncapitest.Validate(t, doc.Service, []byte(out))
			if _, err := fresh.ImportDocument(context.Background(), []byte(out), catalog.ImportOptions{Source: doc.Service + ".yaml"}); err != nil {
				t.Fatalf("re-import the export of %s: %v\n%s", doc.Service, err, out)
			}
		}
		_, whole := ts.do(t, http.MethodGet, "/api/catalog/asyncapi", "", nil)
		asyncapitest.Validate(t, "the whole catalog", []byte(whole))

		reg := schemaregistry.New(ts.DB, schemaregistry.Formats())
		want, got := dumpCatalog(t, catalog.New(ts.DB, reg)), dumpCatalog(t, fresh)
		if want != got {
			t.Errorf("the re-imported catalog differs:\n--- demo\n%s\n--- re-imported\n%s", want, got)
		}
	})
}

// TestDemoWithAPIKey runs the demo against a server that has API keys: with a write key it
// imports its documents and its spans get in.
func TestDemoWithAPIKey(t *testing.T) {
	ts := startServer(t)
	key, secret, err := ts.srv.svc.Keys.Create(context.Background(), "demo", apikeys.RoleWrite)
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", bytes.NewReader(demo.Documents()[0].YAML)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("import without a key: %s, want 401", resp.Status)
	}
	runDemo(t, ts, key.ID+":"+secret)
	waitForDemoFlows(t, ts, key.ID+":"+secret, 10*time.Second)
	if body := getWithKey(t, ts, "/subjects", key.ID+":"+secret); !strings.Contains(body, `"orders.placed-value"`) {
		t.Errorf("the demo's payloads are not in the registry: %s", body)
	}
}

// openTestCatalog is a catalog on a fresh database, with its own registry.
func openTestCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "fresh.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return catalog.New(db, schemaregistry.New(db, schemaregistry.Formats()))
}

// dumpCatalog writes what a re-import must keep, one fact a line: services with their
// operations, channels with their messages, messages with their payloads (JSON compared
// canonically), owners and domains.
func dumpCatalog(t *testing.T, c *catalog.Catalog) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	add := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
	services, err := c.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range services {
		add("service %q version=%q domain=%q owner=%q tags=%q description=%q", s.Name, s.Version, s.Domain, s.Owner, s.Tags, s.Description)
		full, err := c.Service(ctx, s.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range full.Operations {
			add("operation %q %q: %s %q %q group=%q summary=%q", o.Service, o.Name, o.Action, o.Channel, o.Messages, o.ConsumerGroup, o.Summary)
		}
	}
	channels, err := c.Channels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range channels {
		bindings, _ := json.Marshal(ch.Bindings)
		add("channel %q topic=%q owner=%q tags=%q bindings=%s description=%q", ch.Name, ch.KafkaTopic, ch.Owner, ch.Tags, bindings, ch.Description)
		full, err := c.Channel(ctx, ch.Name)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range full.Messages {
			add("channel %q carries %q as subject %q", ch.Name, m.Message, m.Subject)
		}
	}
	messages, err := c.Messages(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range messages {
		payload := m.Payload
		if m.SchemaType != catalog.SchemaProtobuf && payload != "" {
			var v any
			if err := json.Unmarshal([]byte(payload), &v); err != nil {
				t.Fatalf("message %q payload: %v", m.Name, err)
			}
			b, _ := json.Marshal(v)
			payload = string(b)
		}
		add("message %q kind=%s type=%q subject=%q owner=%q tags=%q title=%q summary=%q contentType=%q payload=%s",
			m.Name, m.Kind, m.SchemaType, m.Subject, m.Owner, m.Tags, m.Title, m.Summary, m.ContentType, payload)
	}
	owners, err := c.Owners(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range owners {
		add("owner %q kind=%s email=%q url=%q description=%q", o.Name, o.Kind, o.Email, o.URL, o.Description)
	}
	domains, err := c.Domains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range domains {
		add("domain %q owner=%q description=%q", d.Name, d.Owner, d.Description)
	}
	return strings.Join(lines, "\n")
}
