package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/tracing"
)

// flowSpec is one flow to fill: a service producing to or consuming from a channel.
type flowSpec struct {
	service, channel, group string
	consume                 bool
	messages, errors        int
	processing              time.Duration
}

// messagingSpans builds the spans of the flows, spread over the last minutes, as the OTLP
// decoder would hand them to ingest.
func messagingSpans(specs []flowSpec, now time.Time, minutes int) []tracing.Span {
	var spans []tracing.Span
	for _, f := range specs {
		for i := range f.messages {
			var s tracing.Span
			_, _ = rand.Read(s.TraceID[:])
			_, _ = rand.Read(s.SpanID[:])
			start := now.Add(-time.Duration(i%max(minutes, 1))*time.Minute - time.Duration(i)*time.Millisecond - 5*time.Second)
			s.Service, s.StartNanos = f.service, start.UnixNano()
			s.EndNanos = start.Add(max(f.processing, time.Millisecond)).UnixNano()
			s.Attributes = []byte(`{"messaging.system":"kafka"}`)
			m := &tracing.Messaging{Channel: tracing.Channel{System: "kafka", Destination: f.channel}, Messages: 1}
			if f.consume {
				s.Kind, s.Name, m.Role, m.Operation, m.ConsumerGroup = tracing.KindConsumer, "process "+f.channel, tracing.RoleConsumer, "process", f.group
			} else {
				s.Kind, s.Name, m.Role, m.Operation = tracing.KindProducer, "send "+f.channel, tracing.RoleProducer, "send"
			}
			if i < f.errors {
				s.StatusCode, s.StatusMessage, m.Error = tracing.StatusError, "boom", true
			}
			s.Messaging = m
			spans = append(spans, s)
		}
	}
	return spans
}

func fillFlows(t testing.TB, ts *testServer, specs []flowSpec) {
	t.Helper()
	spans := messagingSpans(specs, time.Now(), 10)
	for len(spans) > 0 {
		n := min(len(spans), 5000)
		if err := ts.Ingest.Ingest(context.Background(), spans[:n]); err != nil {
			t.Fatal(err)
		}
		spans = spans[n:]
	}
}

func get(t *testing.T, ts *testServer, path string) (int, string) {
	t.Helper()
	resp, body := ts.do(t, http.MethodGet, path, "text/html", nil)
	return resp.StatusCode, body
}

func TestPagesShowHostileNamesAsText(t *testing.T) {
	ts := startServer(t)
	const evil = `<script>alert(1)</script>`
	doc := strings.NewReplacer("ORDERS", evil).Replace(`asyncapi: 2.6.0
info:
  title: Evil
  version: 1.0.0
  x-eventlens-service: "ORDERS"
  x-eventlens-domain: {name: "ORDERS", description: "ORDERS"}
  x-eventlens-owner: {name: "ORDERS", email: "ORDERS", url: "ORDERS", description: "ORDERS"}
servers:
  evil:
    url: "ORDERS"
    protocol: "ORDERS"
    protocolVersion: "ORDERS"
    description: "ORDERS"
channels:
  "ORDERS":
    description: "ORDERS"
    subscribe:
      operationId: send
      message:
        name: "ORDERS"
        x-eventlens-owner: "ORDERS"
        summary: "ORDERS"
        schemaFormat: application/schema+json;version=draft-07
        payload: {type: object, properties: {"ORDERS": {type: string}}}
`)
	if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc)); resp.StatusCode != 200 {
		t.Fatalf("import: HTTP %d: %s", resp.StatusCode, body)
	}
	fillFlows(t, ts, []flowSpec{
		{service: evil, channel: evil, messages: 5, errors: 3},
		{service: "ok", channel: evil, group: evil, consume: true, messages: 5, errors: 5},
	})
	esc := url.PathEscape(evil)
	paths := []string{"/", "/flows", "/flows?service=" + url.QueryEscape(evil), "/flows?channel=" + url.QueryEscape(evil),
		"/services", "/services/" + esc, "/channels", "/channels/" + esc, "/health", "/health/table",
		"/search?q=script", "/search?q=" + url.QueryEscape(evil),
		"/messages", "/messages/" + esc, "/domains", "/domains/" + esc, "/owners", "/owners/" + esc}
	for _, p := range paths {
		status, body := get(t, ts, p)
		if status != 200 {
			t.Errorf("%s: HTTP %d", p, status)
			continue
		}
		if strings.Contains(body, evil) || strings.Contains(body, "<script>alert") {
			t.Errorf("%s: the hostile name reached the page as markup", p)
		}
		if !strings.Contains(body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s: the hostile name is not shown as text", p)
		}
	}
	// The documented server's host, protocol and version are in the servers tables, as text.
	for _, p := range []string{"/services/" + esc, "/channels/" + esc} {
		_, body := get(t, ts, p)
		if !strings.Contains(body, `data-testid="servers"`) ||
			!strings.Contains(body, `<td class="mono">&lt;script&gt;alert(1)&lt;/script&gt;</td>`) ||
			!strings.Contains(body, `<td>&lt;script&gt;alert(1)&lt;/script&gt; <span class="muted">&lt;script&gt;alert(1)&lt;/script&gt;</span></td>`) {
			t.Errorf("%s: the server's host, protocol and version are not in the servers table as text", p)
		}
	}
	// The failing consumer's example trace shows the name as text too.
	_, body := get(t, ts, "/services/ok")
	m := regexp.MustCompile(`href="(/traces/[0-9a-f]{32})"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no example trace on the failing consumer's page")
	}
	status, body := get(t, ts, m[1])
	if status != 200 || strings.Contains(body, evil) || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("%s: HTTP %d, hostile name escaped: %v", m[1], status, !strings.Contains(body, evil))
	}
}

func TestPagesSortAndPage(t *testing.T) {
	ts := startServer(t)
	var specs []flowSpec
	for i := range 60 {
		specs = append(specs, flowSpec{service: fmt.Sprintf("svc-%02d", i), channel: fmt.Sprintf("topic-%02d", i%7), messages: 1 + i%5})
		specs = append(specs, flowSpec{service: fmt.Sprintf("svc-%02d", i), channel: fmt.Sprintf("topic-%02d", (i+1)%7), group: "g", consume: true, messages: 4, errors: i % 4})
	}
	fillFlows(t, ts, specs)

	names := regexp.MustCompile(`data-testid="service-link">([^<]+)<`)
	list := func(path string) []string {
		t.Helper()
		status, body := get(t, ts, path)
		if status != 200 {
			t.Fatalf("%s: HTTP %d", path, status)
		}
		var out []string
		for _, m := range names.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	first := list("/services")
	if len(first) != 50 || first[0] != "svc-00" || first[49] != "svc-49" {
		t.Errorf("page 1 by name: %d rows, %v … %v", len(first), first[0], first[len(first)-1])
	}
	second := list("/services?page=2")
	if len(second) != 10 || second[0] != "svc-50" {
		t.Errorf("page 2 by name: %v", second)
	}
	desc := list("/services?sort=name&order=desc")
	if desc[0] != "svc-59" {
		t.Errorf("by name descending starts with %s", desc[0])
	}
	beyond := list("/services?page=99") // clamped to the last page
	if len(beyond) != 10 {
		t.Errorf("page 99 shows %d rows, want the last page's 10", len(beyond))
	}

	// Health sorts by error rate on the server.
	_, body := get(t, ts, "/health?sort=errors&order=desc")
	rates := regexp.MustCompile(`<span class="num[^"]*">([0-9.<]+)%</span>`).FindAllStringSubmatch(body, -1)
	if len(rates) < 2 || rates[0][1] != "75" {
		t.Errorf("health by errors descending starts with %v", rates[:min(len(rates), 3)])
	}
	// The fragment is the table alone, for htmx.
	_, frag := get(t, ts, "/health/table?sort=errors&order=desc")
	if strings.Contains(frag, "<html") || !strings.Contains(frag, `data-testid="health"`) {
		t.Errorf("the health fragment is not the bare table")
	}
	// A status filter keeps only that status.
	_, body = get(t, ts, "/health?status=failing")
	if strings.Contains(body, ">healthy</span>") {
		t.Errorf("status=failing lists healthy consumers")
	}
}

func TestPagesFiltersAndNames(t *testing.T) {
	ts := startServer(t)
	fillFlows(t, ts, []flowSpec{
		{service: "a", channel: "comment/liked", messages: 3},
		{service: "b", channel: "comment/liked", group: "b", consume: true, messages: 3},
		{service: "c", channel: "orders.v1", messages: 3},
		{service: "d", channel: "orders.v1", group: "d", consume: true, messages: 3},
	})
	edges := regexp.MustCompile(`data-testid="flow-edge" data-id="([^"]+)"`)
	graph := func(path string) []string {
		t.Helper()
		status, body := get(t, ts, path)
		if status != 200 {
			t.Fatalf("%s: HTTP %d", path, status)
		}
		var out []string
		for _, m := range edges.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	if all := graph("/flows"); len(all) != 4 {
		t.Errorf("unfiltered graph: %v", all)
	}
	if byChannel := graph("/flows?channel=orders.v1&window=15m"); len(byChannel) != 2 || !strings.Contains(strings.Join(byChannel, " "), "orders.v1") {
		t.Errorf("channel filter: %v", byChannel)
	}
	if byService := graph("/flows?service=a&window=24h"); len(byService) != 2 {
		t.Errorf("service filter (a, its channel and its consumer): %v", byService)
	}
	if none := graph("/flows?service=nobody"); len(none) != 0 {
		t.Errorf("unknown service: %v", none)
	}
	// Channel names with '/' and '.' have their own pages; unknown names are 404s.
	for path, want := range map[string]int{
		"/channels/comment/liked": 200, "/channels/orders.v1": 200, "/channels/nope": 404,
		"/services/a": 200, "/services/nope": 404, "/traces/nothex": 404,
		"/traces/0123456789abcdef0123456789abcdef": 404, "/catalog": 200, "/flows?window=bogus": 200,
	} {
		if status, _ := get(t, ts, path); status != want {
			t.Errorf("%s: HTTP %d, want %d", path, status, want)
		}
	}
	_, body := get(t, ts, "/channels/comment/liked")
	if !strings.Contains(body, `href="/schemas/comment%2Fliked-value"`) {
		t.Errorf("the channel page does not link its value subject")
	}
}

// TestServicesListCountsDocumentedChannels checks the services list counts the channels a
// service's document names even before any trace shows them, as the service's page lists them.
func TestServicesListCountsDocumentedChannels(t *testing.T) {
	ts := startServer(t)
	doc := `{"asyncapi": "3.0.0", "info": {"title": "Ledger", "version": "1.0.0"},
		"channels": {
			"payments": {"address": "payments", "messages": {"Paid": {"payload": {"type": "object"}}}},
			"refunds": {"address": "refunds", "messages": {"Refunded": {"payload": {"type": "object"}}}},
			"orders": {"address": "orders", "messages": {"Ordered": {"payload": {"type": "object"}}}}},
		"operations": {
			"pay": {"action": "send", "channel": {"$ref": "#/channels/payments"}},
			"refund": {"action": "receive", "channel": {"$ref": "#/channels/refunds"}},
			"order": {"action": "receive", "channel": {"$ref": "#/channels/orders"}}}}`
	if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc)); resp.StatusCode != http.StatusOK {
		t.Fatalf("import: %d %s", resp.StatusCode, body)
	}
	fillFlows(t, ts, []flowSpec{{service: "Ledger", channel: "orders", group: "ledger", consume: true, messages: 3}})
	status, body := get(t, ts, "/services")
	row := regexp.MustCompile(`(?s)>Ledger</a>.*?</tr>`).FindString(body)
	cells := regexp.MustCompile(`<td class="num">(\d+)</td>`).FindAllStringSubmatch(row, -1)
	if status != http.StatusOK || len(cells) < 2 || cells[0][1] != "1" || cells[1][1] != "2" {
		t.Fatalf("Ledger's row %q: want 1 channel produced to and 2 consumed (one observed and documented)", row)
	}
}

// TestPagesShowServers: a service's page lists the servers its document declares, a channel's
// page the servers it is on, each with host, protocol and description; a service known only from
// traces has no servers section.
func TestPagesShowServers(t *testing.T) {
	ts := startServer(t)
	doc := `asyncapi: 3.0.0
info: {title: Shop, version: 1.0.0}
servers:
  kafka: {host: 'kafka.shop.example:9092', protocol: kafka, protocolVersion: '3.7', description: The **main** cluster.}
  rabbit: {host: 'mq.shop.example:5672', pathname: /shop, protocol: amqp}
channels:
  orders: {address: orders, servers: [{$ref: '#/servers/kafka'}]}
  commands: {address: commands}
operations:
  sendOrders: {action: send, channel: {$ref: '#/channels/orders'}}
  onCommands: {action: receive, channel: {$ref: '#/channels/commands'}}
`
	if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc)); resp.StatusCode != 200 {
		t.Fatalf("import: HTTP %d: %s", resp.StatusCode, body)
	}
	fillFlows(t, ts, []flowSpec{{service: "ghost", channel: "orders", messages: 1}})
	names := regexp.MustCompile(`data-testid="server-name">([^<]+)<`)
	tests := []struct {
		path    string
		servers []string
		has     []string
	}{
		{"/services/Shop", []string{"kafka", "rabbit"}, []string{
			`<td class="mono">kafka.shop.example:9092</td><td>kafka <span class="muted">3.7</span></td>`,
			"The <strong>main</strong> cluster.",
			`<td class="mono">mq.shop.example:5672/shop</td><td>amqp </td>`}},
		{"/channels/orders", []string{"kafka"}, []string{`<td class="mono">kafka.shop.example:9092</td>`}},
		{"/channels/commands", []string{"kafka", "rabbit"}, nil},
		{"/services/ghost", nil, nil},
	}
	for _, tt := range tests {
		status, body := get(t, ts, tt.path)
		if status != 200 {
			t.Errorf("%s: HTTP %d", tt.path, status)
			continue
		}
		var got []string
		for _, m := range names.FindAllStringSubmatch(body, -1) {
			got = append(got, m[1])
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.servers) {
			t.Errorf("%s: servers %q, want %q", tt.path, got, tt.servers)
		}
		if tt.servers == nil && strings.Contains(body, "<h2>Servers</h2>") {
			t.Errorf("%s: a servers section for what no document describes", tt.path)
		}
		for _, want := range tt.has {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", tt.path, want)
			}
		}
	}
}
