package server

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/eventlens/eventlens/demo"
	"github.com/eventlens/eventlens/tracing"
)

// shopDocument documents the demo's orders service (sending orders.placed) and an audit
// service that should receive orders.placed but never shows up in traces: a dashed edge.
const shopDocument = `asyncapi: 2.6.0
info:
  title: Orders
  version: 1.0.0
  x-eventlens-service: orders
  x-eventlens-domain:
    name: sales
channels:
  orders.placed:
    description: Every order placed in the shop.
    subscribe:
      operationId: sendOrderPlaced
      message:
        name: OrderPlaced
        schemaFormat: application/schema+json;version=draft-07
        payload:
          type: object
          properties:
            order_id: {type: string}
            customer_email: {type: string}
`

const auditDocument = `asyncapi: 2.6.0
info:
  title: Audit
  version: 1.0.0
  x-eventlens-service: audit
channels:
  orders.placed:
    publish:
      operationId: onOrderPlaced
      message:
        name: OrderPlaced
`

// fillWithDemo imports the two documents and runs the demo shop against ts until flows of
// every demo service are stored and a payment has failed.
func fillWithDemo(t *testing.T, ts *testServer) {
	t.Helper()
	for _, doc := range []string{shopDocument, auditDocument} {
		resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc))
		if resp.StatusCode != 200 {
			t.Fatalf("import: HTTP %d: %s", resp.StatusCode, body)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- demo.Run(ctx, demo.Options{Endpoint: ts.URL, OrdersPerSecond: 40, SlowProcessing: 20 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	deadline := time.Now().Add(15 * time.Second)
	for {
		time.Sleep(300 * time.Millisecond)
		flows, err := ts.Ingest.Flows(context.Background(), tracingWindow())
		if err == nil && len(flows) >= 10 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo filled %d flows in 15s (%v)", len(flows), err)
		}
	}
	time.Sleep(time.Second) // a few more batches, so failures and pairs are in
	cancel()
	if err := <-done; err != nil {
		t.Logf("demo: %v", err)
	}
}

func TestBrowserPages(t *testing.T) {
	ts := startServer(t)
	fillWithDemo(t, ts)
	b := newBrowser(t)
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(b.ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	count := func(sel string) int {
		t.Helper()
		n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int]("document.querySelectorAll('"+sel+"').length"))
		if err != nil {
			t.Fatalf("count %s: %v", sel, err)
		}
		return n
	}
	attr := func(sel, name string) string {
		t.Helper()
		a, err := chromedp.Run(b.ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
		if err != nil {
			t.Fatalf("%s of %s: %v", name, sel, err)
		}
		return a.Value
	}
	// waitFor waits until a click has taken the browser to path.
	waitFor := func(path string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			loc, err := chromedp.Run(b.ctx, chromedp.Location())
			if err == nil && strings.HasSuffix(loc, path) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("went to %s (%v), want %s", loc, err, path)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	open := func(path string) {
		t.Helper()
		if status := b.open(t, ts.URL+path); status != 200 {
			t.Fatalf("%s: HTTP %d", path, status)
		}
	}

	// Home: counts, consumers by health, busiest and failing flows.
	open("/")
	if s := text(`[data-testid="busiest-flows"]`); !strings.Contains(s, "orders.placed") {
		t.Errorf("busiest flows: %q", s)
	}
	b.screenshot(t, "home")

	// The flow graph: the audit service's documented flow is dashed; click the payments node.
	// In a 1440×900 window its text is as large as the page's, and it uses the frame's width.
	do("size the window", chromedp.EmulateViewport(1440, 900))
	open("/flows?window=15m")
	if edges, documented := count(`[data-testid="flow-edge"]`), count(`.fg-edge.fg-documented`); edges < 10 || documented != 1 {
		t.Errorf("flow graph: %d edges, %d documented only; want at least 10 and 1 (audit)", edges, documented)
	}
	do("the flow graph's zoom buttons show", chromedp.WaitVisible(chromedp.CSS(`[data-flowgraph-zoom="in"]`)))
	g := measureGraph(t, b)
	t.Logf("the flow graph at 1440×900: %+v", g)
	if g.Label < g.Body || g.Name < g.Body || g.Width < 0.6*g.Frame {
		t.Errorf("flow graph at 1440×900: %+v; want labels and names at least the body's size, and most of the frame's width", g)
	}
	b.screenshot(t, "flows")
	do("click payments in the graph",
		chromedp.Click(chromedp.CSS(`a[data-id="svc:payments"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="service-name"]`)))
	if name := text(`[data-testid="service-name"]`); name != "payments" {
		t.Errorf("clicking the payments node opened %q", name)
	}
	if s := text(`[data-testid="consumes"]`); !strings.Contains(s, "orders.placed") {
		t.Errorf("payments consumes: %q", s)
	}
	if g := measureGraph(t, b); g.Label < g.Body || g.Name < g.Body {
		t.Errorf("payments' flow graph: %+v; want labels and names at least the body's size", g)
	}
	b.screenshot(t, "service")

	// A failed span's example trace opens the waterfall.
	open(attr(`[data-testid="trace-link"]`, "href"))
	if n := count(`[data-testid="span"]`); n < 1 {
		t.Errorf("trace waterfall shows %d spans", n)
	}
	b.screenshot(t, "trace")

	// Services and channels lists.
	open("/services")
	if s := text(`[data-testid="services"]`); !strings.Contains(s, "audit") || !strings.Contains(s, "notifications") {
		t.Errorf("services list: %q", s)
	}
	b.screenshot(t, "services")
	open("/channels")
	b.screenshot(t, "channels")

	// A channel page links its subject by TopicNameStrategy.
	do("open orders.placed",
		chromedp.Click(chromedp.Search(`//a[@data-testid="channel-link"][text()="orders.placed"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="channel-name"]`)))
	if g := measureGraph(t, b); g.Label < g.Body || g.Name < g.Body {
		t.Errorf("orders.placed's flow graph: %+v; want labels and names at least the body's size", g)
	}
	b.screenshot(t, "channel")
	if href := attr(`[data-testid="subject-link"]`, "href"); href != "/schemas/orders.placed-value" {
		t.Errorf("subject link %q, want /schemas/orders.placed-value", href)
	}
	do("follow the subject link", chromedp.Click(chromedp.CSS(`[data-testid="subject-link"]`)))
	waitFor("/schemas/orders.placed-value")

	// The catalog's lists, each under the Catalog navigation.
	for _, p := range []struct{ path, table string }{
		{"/messages", "messages"}, {"/domains", "domains"}, {"/owners", "owners"},
	} {
		open(p.path)
		if current := text(`[data-testid="catalog-nav"] [aria-current="page"]`); "/"+strings.ToLower(current) != p.path {
			t.Errorf("%s: the catalog navigation marks %q", p.path, current)
		}
		if n := count(`[data-testid="` + p.table + `"] tbody tr`); n < 1 {
			t.Errorf("%s lists nothing", p.path)
		}
		b.screenshot(t, p.table)
	}
	open("/domains/sales")
	if s := text(`[data-testid="domain-services"]`); !strings.Contains(s, "orders") {
		t.Errorf("sales domain services: %q", s)
	}
	b.screenshot(t, "domain")
	open("/owners")
	do("open team-checkout, the demo's owner of orders",
		chromedp.Click(chromedp.Search(`//a[@data-testid="owner-link"][text()="team-checkout"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="owner-name"]`)))
	if s := text(`[data-testid="owns"]`); !strings.Contains(s, "orders") {
		t.Errorf("team-checkout owns %q, want the orders service", s)
	}
	b.screenshot(t, "owner")

	// From a channel to its message, and from the message to its subject.
	open("/channels/orders.placed")
	do("open OrderPlaced from its channel",
		chromedp.Click(chromedp.CSS(`[data-testid="message-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="message-name"]`)))
	if name := text(`[data-testid="message-name"]`); name != "OrderPlaced" {
		t.Errorf("the channel's message link opened %q", name)
	}
	if s := text(`[data-testid="producers"]`); !strings.Contains(s, "orders") {
		t.Errorf("OrderPlaced producers: %q", s)
	}
	if s := text(`[data-testid="consumers"]`); !strings.Contains(s, "audit") || !strings.Contains(s, "payments") {
		t.Errorf("OrderPlaced consumers (audit documented, payments seen): %q", s)
	}
	if n := count(`[data-testid="throughput"] tbody tr`); n != 1 {
		t.Errorf("OrderPlaced throughput rows: %d, want its one channel", n)
	}
	b.screenshot(t, "message")
	do("follow the message's subject", chromedp.Click(chromedp.CSS(`[data-testid="value-subject"]`)))
	waitFor("/schemas/orders.placed-value")

	// Health: sorted on the server, refreshed by htmx.
	open("/health?sort=errors&order=desc")
	if s := text(`[data-testid="health-row"]`); !strings.Contains(s, "payments") {
		t.Errorf("the worst error rate should come first, payments: %q", s)
	}
	if got := attr(`[data-testid="health-live"]`, "hx-trigger"); got != "every 10s" {
		t.Errorf("health table refresh: hx-trigger %q", got)
	}
	b.screenshot(t, "health")

	// Search for a field inside a schema the import registered.
	do("search for a field",
		chromedp.Navigate(ts.URL+"/search"),
		chromedp.SendKeys(chromedp.CSS(`.searchform input[name="q"]`), "customer_email\n"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="hits"]`)))
	if s := text(`[data-testid="hits"]`); !strings.Contains(s, "customer_email") || !strings.Contains(s, "orders.placed-value") {
		t.Errorf("search hits: %q", s)
	}
	b.screenshot(t, "search")

	// The subject page belongs to the schemas work; until it lands it may answer 404.
	var unexpected []string
	for _, e := range b.consoleErrors() {
		if !strings.Contains(e, "/schemas/") {
			unexpected = append(unexpected, e)
		}
	}
	if len(unexpected) > 0 {
		t.Errorf("console errors:\n%s", strings.Join(unexpected, "\n"))
	}
}

// graphSize is how the page's first flow graph shows: the smallest rendered font size of its
// edge labels and of its node names, beside the body text's, and its width in its frame, all in
// CSS pixels.
type graphSize struct {
	Label, Name, Body float64
	Width, Frame      float64
}

func measureGraph(t *testing.T, b *browser) graphSize {
	t.Helper()
	// A text's rendered size is its computed one times the scale its box is drawn at.
	g, err := chromedp.Run(b.ctx, chromedp.Evaluate[graphSize](`(() => {
		const svg = document.querySelector('[data-testid="flow-graph"] svg');
		const fig = svg.closest('figure'), cs = getComputedStyle(fig);
		const rendered = sel => Math.min(...Array.from(svg.querySelectorAll(sel), text =>
			parseFloat(getComputedStyle(text).fontSize) * text.getBoundingClientRect().height / text.getBBox().height));
		return {
			label: rendered('.fg-edge-label text'),
			name: rendered('.fg-name'),
			body: parseFloat(getComputedStyle(document.body).fontSize),
			width: svg.getBoundingClientRect().width,
			frame: fig.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight),
		};
	})()`))
	if err != nil {
		t.Fatalf("measure the flow graph: %v", err)
	}
	// Round away the last bits of floating point, so 15px equals 15px.
	for _, f := range []*float64{&g.Label, &g.Name, &g.Body, &g.Width, &g.Frame} {
		*f = math.Round(*f*100) / 100
	}
	return g
}

// tracingWindow is the last quarter hour, for flow queries in tests.
func tracingWindow() tracing.FlowQuery {
	return tracing.FlowQuery{Since: time.Now().Add(-15 * time.Minute), Until: time.Now().Add(time.Minute)}
}
