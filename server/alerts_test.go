package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventlens/eventlens/alerts"
	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/tracing"
)

// TestAlertsOnRefusalsAndUnownedSubjects: a registration refused as incompatible and subjects
// no document owns alert, over the real registry and catalog; the refusal names the owner the
// catalog gives its subject; /alerts lists them as text, page by page.
func TestAlertsOnRefusalsAndUnownedSubjects(t *testing.T) {
	var mu sync.Mutex
	var got []alerts.JSONMessage
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m alerts.JSONMessage
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &m); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer hook.Close()
	cfg, err := alerts.Parse([]byte(`
receivers:
  - {name: hook, url: "` + hook.URL + `"}
rules:
  - {name: refused, kind: registration_refused, severity: warning, receivers: [hook]}
  - {name: unowned, kind: unowned_subject, severity: info}
`))
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerAlerts(t, nil, tracing.Config{}, otlpmetrics.Config{}, cfg)
	if html := ts.page(t, "/alerts", 200); !strings.Contains(html, `data-testid="empty"`) || !strings.Contains(html, "2 rules") {
		t.Errorf("/alerts before any alert lacks its empty list")
	}

	doc := func(fields string) string {
		return `{"asyncapi": "3.0.0", "info": {"title": "Payments", "version": "1.0.0", "contact": {"name": "Team <Payments>", "email": "pay@shop.example"}},
			"channels": {"payments": {"address": "payments", "messages": {"PaymentTaken": {"payload": {
				"schemaFormat": "application/vnd.apache.avro;version=1.9.0",
				"schema": {"type": "record", "name": "PaymentTaken", "fields": [` + fields + `]}}}}}},
			"operations": {"takePayment": {"action": "send", "channel": {"$ref": "#/channels/payments"}}}}`
	}
	if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc(`{"name": "id", "type": "string"}`))); resp.StatusCode != 200 {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	if status, out := ts.call(t, "POST", "/subjects/payments-value/versions",
		body(`{"type":"record","name":"PaymentTaken","fields":[{"name":"id","type":"string"},{"name":"amount","type":"long"}]}`)); status != 409 {
		t.Fatalf("incompatible registration: %d %s, want 409", status, out)
	}
	for i := range 55 {
		ts.mustCall(t, "POST", "/subjects/"+fmt.Sprintf("stray-%02d-value", i)+"/versions", body(`"string"`))
	}
	ts.mustCall(t, "POST", "/subjects/"+url.PathEscape(xssName)+"/versions", body(`"string"`))

	ctx := context.Background()
	now := time.Now()
	if err := ts.Alerts.Evaluate(ctx, now); err != nil {
		t.Fatal(err)
	}
	if err := ts.Alerts.Deliver(ctx, now); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(got) != 1 || got[0].Status != "firing" || got[0].Alert.Labels["subject"] != "payments-value" ||
		got[0].Alert.Owner == nil || got[0].Alert.Owner.Name != "Team <Payments>" || got[0].Alert.Owner.Email != "pay@shop.example" ||
		!strings.Contains(got[0].Alert.Summary, "incompatible with version 1 under BACKWARD") {
		t.Errorf("notifications: %+v; want the refusal of payments-value, owned by Team <Payments>", got)
	}
	mu.Unlock()

	p, err := ts.Alerts.List(ctx, alerts.Query{State: alerts.StateFiring, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	unowned := 0
	for _, a := range p.Alerts {
		if a.Rule == "unowned" {
			unowned++
			if a.Labels["subject"] == "payments-value" {
				t.Errorf("payments-value, which the document links, is called unowned")
			}
		}
	}
	if unowned != 56 {
		t.Errorf("%d unowned subjects alert, want 56", unowned)
	}

	html := ts.page(t, "/alerts", 200)
	if n := strings.Count(html, `data-testid="alert-row"`); n != 50 {
		t.Errorf("first page has %d alerts, want 50", n)
	}
	if !strings.Contains(html, `data-testid="pager"`) || !strings.Contains(html, "57 in all") {
		t.Errorf("/alerts has no pager over 57 alerts")
	}
	if strings.Contains(html, "<script>alert") || strings.Contains(html, "Team <Payments>") {
		t.Error("/alerts carries names as markup")
	}
	html += ts.page(t, "/alerts?state=firing&page=2", 200)
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", `href="/owners/Team%20%3CPayments%3E"`, "hook</strong>: sent firing"} {
		if !strings.Contains(html, want) {
			t.Errorf("/alerts lacks %q", want)
		}
	}
	if html := ts.page(t, "/alerts?state=history", 200); strings.Count(html, `data-testid="alert-row"`) != 50 {
		t.Errorf("history does not list the fired alerts")
	}
	if html := ts.page(t, "/alerts?state=resolved", 200); !strings.Contains(html, "No resolved alerts") {
		t.Errorf("no resolved alert, yet the resolved tab lists some")
	}
	for _, bad := range []string{"/alerts?state=bogus", "/alerts?state=%3Cscript%3E"} {
		resp, body := ts.do(t, http.MethodGet, bad, "text/html", nil)
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(body, "<script>") {
			t.Errorf("GET %s: %d, want 400 with the state as text", bad, resp.StatusCode)
		}
	}
	if html := ts.page(t, "/alerts?page=999999999999999999999", 200); !strings.Contains(html, `data-testid="alert-tabs"`) {
		t.Errorf("a huge page number breaks /alerts")
	}
}

func TestAlertsPageWithoutAFile(t *testing.T) {
	ts := startServer(t)
	if html := ts.page(t, "/alerts", 200); !strings.Contains(html, `data-testid="alerts-off"`) || !strings.Contains(html, "--alerts-file") {
		t.Errorf("/alerts without rules does not say how to set them")
	}
}

// TestAlertsOnConsumerHealthAndDrift: spans of a documented consumer that fails every message
// make a consumer_failing alert naming its owner from the catalog, and those of a consumer no
// document mentions a drift alert, over the real ingest, health and drift.
func TestAlertsOnConsumerHealthAndDrift(t *testing.T) {
	cfg, err := alerts.Parse([]byte(`
rules:
  - {name: failing, kind: consumer_failing, severity: critical}
  - {name: lagging, kind: consumer_lagging, severity: warning, lag: 1}
  - {name: undocumented, kind: drift, severity: info, drift_kinds: [undocumented_consumer], match: {channel: "orders*"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ts := startServerAlerts(t, nil, tracing.Config{}, otlpmetrics.Config{}, cfg)
	for _, doc := range []string{
		strings.Replace(driftDoc("orders", []string{"orders:orders"}, nil), "version: 1.0.0}", "version: 1.0.0, contact: {name: Team Checkout}}", 1),
		strings.Replace(driftDoc("billing", nil, []string{"orders:orders:billing"}), "version: 1.0.0}", "version: 1.0.0, contact: {name: Team Billing, email: billing@shop.example}}", 1),
	} {
		if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc)); resp.StatusCode != 200 {
			t.Fatalf("import: %d %s", resp.StatusCode, body)
		}
	}
	spans := &spanSender{t: t, url: ts.URL, providers: map[string]*sdktrace.TracerProvider{}}
	now := time.Now()
	for range 5 {
		spans.send("orders", now, trace.SpanKindProducer, produce("orders")...)
		spans.send("billing", now, trace.SpanKindConsumer, consume("kafka", "orders", "billing", attribute.String("error.type", "timeout"))...)
		spans.send("audit", now, trace.SpanKindConsumer, consume("kafka", "orders", "audit")...)
	}
	deadline := time.Now().Add(10 * time.Second)
	var firing []alerts.Alert
	for time.Now().Before(deadline) { // until the writer has committed the spans
		if err := ts.Alerts.Evaluate(context.Background(), time.Now()); err != nil {
			t.Fatal(err)
		}
		p, err := ts.Alerts.List(context.Background(), alerts.Query{State: alerts.StateFiring})
		if err != nil {
			t.Fatal(err)
		}
		if firing = p.Alerts; len(firing) == 2 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	rules := map[string]alerts.Alert{}
	for _, a := range firing {
		rules[a.Rule] = a
	}
	if a := rules["failing"]; a.Labels["service"] != "billing" || a.Labels["channel"] != "kafka/orders" || a.Owner != (alerts.Owner{Name: "Team Billing", Email: "billing@shop.example"}) ||
		!strings.Contains(a.Summary, "billing is failing on kafka/orders") {
		t.Errorf("failing alert: %+v", a)
	}
	if a := rules["undocumented"]; a.Labels["drift"] != catalog.DriftUndocumentedConsumer || a.Labels["service"] != "audit" || a.Owner.Name != "" {
		t.Errorf("drift alert: %+v (all: %+v)", a, firing)
	}
	if _, ok := rules["lagging"]; ok || len(firing) != 2 {
		t.Errorf("firing: %+v; want failing and undocumented only (no broker tells lag)", firing)
	}
}
