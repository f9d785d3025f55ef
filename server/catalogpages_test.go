package server

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// ordersDocument documents the orders service of the sales domain: it sends OrderPlaced (an
// event with a Kafka key) and receives shop/CancelOrder.v1 (a command whose name holds '/' and
// '.'). Its owner's URL is a javascript: link, which the pages must not make clickable.
const ordersDocument = `asyncapi: 2.6.0
info:
  title: Orders
  version: 1.0.0
  x-eventlens-service: orders
  x-eventlens-owner:
    name: Checkout Team
    kind: team
    email: checkout@shop.example
    url: "javascript:alert(1)"
    description: Runs **checkout**.
  x-eventlens-domain:
    name: sales
    description: Everything about **selling**.
    x-owner: {name: Sales Leads, kind: person}
channels:
  orders.placed:
    subscribe:
      operationId: sendOrderPlaced
      message:
        name: OrderPlaced
        x-eventcatalog-message-type: event
        x-eventlens-owner: Checkout Team
        title: Order placed
        summary: A customer placed an order.
        description: Sent once per order, **after** payment is authorised.
        contentType: application/json
        tags: [{name: checkout}]
        bindings: {kafka: {key: {type: string}}}
        schemaFormat: application/schema+json;version=draft-07
        payload: {type: object, properties: {order_id: {type: string}}}
  shop/cancel:
    publish:
      operationId: onCancel
      message:
        name: shop/CancelOrder.v1
        x-eventcatalog-message-type: command
        payload: {type: object, properties: {order_id: {type: string}}}
`

// billingDocument puts billing in the sales domain, receiving OrderPlaced.
const billingDocument = `asyncapi: 2.6.0
info:
  title: Billing
  version: 1.0.0
  x-eventlens-service: billing
  x-eventlens-domain: sales
channels:
  orders.placed:
    publish:
      operationId: onOrderPlaced
      message:
        name: OrderPlaced
`

func importDocuments(t *testing.T, ts *testServer, docs ...string) {
	t.Helper()
	for _, doc := range docs {
		if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc)); resp.StatusCode != http.StatusOK {
			t.Fatalf("import: HTTP %d: %s", resp.StatusCode, body)
		}
	}
}

func TestCatalogPages(t *testing.T) {
	ts := startServer(t)
	importDocuments(t, ts, ordersDocument, billingDocument)
	fillFlows(t, ts, []flowSpec{
		{service: "orders", channel: "orders.placed", messages: 10},
		{service: "billing", channel: "orders.placed", group: "billing", consume: true, messages: 10, errors: 8},
		{service: "ghost", channel: "orders.placed", group: "ghost", consume: true, messages: 10},
	})
	tests := []struct {
		path    string
		status  int
		has     []string
		hasNot  []string
		ordered []string // appear in this order
	}{
		{path: "/messages", status: 200, has: []string{
			`<a href="/messages/OrderPlaced" data-testid="message-link">OrderPlaced</a>`,
			`<a href="/messages/shop/CancelOrder.v1" data-testid="message-link">shop/CancelOrder.v1</a>`,
			`<span class="tag kind-event" data-testid="kind">event</span>`,
			`<span class="tag kind-command" data-testid="kind">command</span>`,
			`href="/channels/shop/cancel"`, `href="/schemas/orders.placed-value"`, `href="/owners/Checkout%20Team"`,
			`<a href="/messages" aria-current="page">Messages</a>`, `<span class="tag">checkout</span>`,
		}, ordered: []string{"data-testid=\"message-link\">OrderPlaced", "data-testid=\"message-link\">shop/CancelOrder.v1"}},
		{path: "/messages?sort=kind", status: 200,
			ordered: []string{"data-testid=\"message-link\">shop/CancelOrder.v1", "data-testid=\"message-link\">OrderPlaced"}},
		{path: "/messages?kind=command", status: 200, has: []string{">shop/CancelOrder.v1<", `aria-current="true">commands</a>`},
			hasNot: []string{">OrderPlaced<"}},
		{path: "/messages?kind=query", status: 200, has: []string{`data-testid="empty"`}},
		{path: "/messages/OrderPlaced", status: 200, has: []string{
			`<span data-testid="message-name">OrderPlaced</span>`, "<strong>after</strong>", "<strong>Order placed</strong>",
			"A customer placed an order.", "application/json",
			`href="/owners/Checkout%20Team"`,
			`href="/schemas/orders.placed-value" data-testid="value-subject"`, `href="/schemas/orders.placed-value?version=1">v1<`,
			`href="/schemas/orders.placed-key" data-testid="key-subject"`,
			`data-testid="throughput"`,
			`<a href="/services/orders">orders</a>`,
			`<a href="/services/ghost">ghost</a><span class="tag tag-warn"`,
		}, ordered: []string{`data-testid="producers"`, "/services/orders", `data-testid="consumers"`, "/services/billing", "/services/ghost"}},
		{path: "/messages/shop/CancelOrder.v1", status: 200, has: []string{
			`href="/schemas/shop%2Fcancel-value" data-testid="value-subject"`, `data-testid="not-observed"`,
			`<span class="muted">nobody yet</span>`,
		}},
		{path: "/messages/nope", status: 404, has: []string{"No message is called nope in the catalog."}},
		{path: "/domains", status: 200, has: []string{
			`<a href="/domains/sales" data-testid="domain-link">sales</a>`, `href="/owners/Sales%20Leads"`,
			`<td class="num">2</td>`, `data-testid="status">failing</span>`, `<a href="/domains" aria-current="page">Domains</a>`,
		}},
		{path: "/domains/sales", status: 200, has: []string{
			`<h1 data-testid="domain-name">sales</h1>`, "<strong>selling</strong>", `href="/owners/Sales%20Leads"`,
			`href="/flows?domain=sales"`, `<a href="/services/billing">billing</a></td><td><span class="status status-failing"`,
			"consumes nothing traces show", `<a href="/messages/OrderPlaced" data-testid="message-link">OrderPlaced</a></td><td> <a href="/services/orders">orders</a>`,
		}, hasNot: []string{"CancelOrder"}},
		{path: "/domains/nope", status: 404, has: []string{"No domain is called nope in the catalog."}},
		{path: "/owners", status: 200, has: []string{
			`href="/owners/Checkout%20Team" data-testid="owner-link">Checkout Team</a>`, `<td>person</td>`,
			`href="mailto:checkout@shop.example"`, `<a href="/owners" aria-current="page">Owners</a>`,
			`<td class="muted">1 service · 1 message</td>`,
		}, hasNot: []string{`href="javascript:`}},
		{path: "/owners/Checkout%20Team", status: 200, has: []string{
			`<h1 data-testid="owner-name">Checkout Team</h1>`, `<dd data-testid="owner-kind">team</dd>`,
			"<strong>checkout</strong>", `<a href="/services/orders">orders</a>`, `<a href="/messages/OrderPlaced">OrderPlaced</a>`,
		}, hasNot: []string{`href="javascript:`}},
		{path: "/owners/Sales%20Leads", status: 200, has: []string{`<a href="/domains/sales">sales</a>`}},
		{path: "/owners/nope", status: 404, has: []string{"No owner (team or person) is called nope in the catalog."}},
		// The pages that lead to them.
		{path: "/services/orders", status: 200, has: []string{`href="/domains/sales" data-testid="domain-link"`, `href="/owners/Checkout%20Team" data-testid="owner-link"`}},
		{path: "/channels/orders.placed", status: 200, has: []string{`<a href="/messages/OrderPlaced" data-testid="message-link">OrderPlaced</a>`}},
		{path: "/search?q=OrderPlaced", status: 200, has: []string{`href="/messages/OrderPlaced" class="hit-name"`}},
		{path: "/search?q=sales&kind=domain", status: 200, has: []string{`href="/domains/sales" class="hit-name"`}},
	}
	for _, tt := range tests {
		status, body := get(t, ts, tt.path)
		if status != tt.status {
			t.Errorf("%s: HTTP %d, want %d", tt.path, status, tt.status)
			continue
		}
		for _, want := range tt.has {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %s", tt.path, want)
			}
		}
		for _, unwanted := range tt.hasNot {
			if strings.Contains(body, unwanted) {
				t.Errorf("%s has %s", tt.path, unwanted)
			}
		}
		at := 0
		for _, want := range tt.ordered {
			i := strings.Index(body[at:], want)
			if i < 0 {
				t.Errorf("%s: %s is missing or out of order (want %q)", tt.path, want, tt.ordered)
				break
			}
			at += i + len(want)
		}
	}
}

// TestMessagesSortAndPage: the messages list pages and sorts on the server, keeping the kind
// filter in its links.
func TestMessagesSortAndPage(t *testing.T) {
	ts := startServer(t)
	var channels, operations []string
	for i := range 60 {
		kind := "event"
		if i%3 == 0 {
			kind = "command"
		}
		channels = append(channels, fmt.Sprintf(`"ch-%02d": {"address": "ch-%02d", "messages": {"m": {"name": "msg-%02d", "x-eventcatalog-message-type": %q, "payload": {"type": "string"}}}}`, i, i, i, kind))
		operations = append(operations, fmt.Sprintf(`"send%02d": {"action": "send", "channel": {"$ref": "#/channels/ch-%02d"}}`, i, i))
	}
	importDocuments(t, ts, `{"asyncapi": "3.0.0", "info": {"title": "Many", "version": "1.0.0"},
		"channels": {`+strings.Join(channels, ",")+`}, "operations": {`+strings.Join(operations, ",")+`}}`)

	names := regexp.MustCompile(`data-testid="message-link">([^<]+)<`)
	list := func(path string) ([]string, string) {
		t.Helper()
		status, body := get(t, ts, path)
		if status != 200 {
			t.Fatalf("%s: HTTP %d", path, status)
		}
		var out []string
		for _, m := range names.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out, body
	}
	first, body := list("/messages")
	if len(first) != 50 || first[0] != "msg-00" || first[49] != "msg-49" || !strings.Contains(body, `data-testid="pager"`) {
		t.Errorf("page 1 by name: %d rows, %v … %v", len(first), first[0], first[len(first)-1])
	}
	if !strings.Contains(body, `<a href="/services/Many">Many</a>`) {
		t.Errorf("the producer of each message is not linked")
	}
	if second, _ := list("/messages?page=2"); len(second) != 10 || second[0] != "msg-50" {
		t.Errorf("page 2 by name: %v", second)
	}
	if desc, _ := list("/messages?sort=name&order=desc"); desc[0] != "msg-59" {
		t.Errorf("by name descending starts with %s", desc[0])
	}
	// Commands sort before events; names break the tie.
	if byKind, _ := list("/messages?sort=kind"); byKind[0] != "msg-00" || byKind[19] != "msg-57" || byKind[20] != "msg-01" {
		t.Errorf("by kind: %v", byKind[:21])
	}
	commands, body := list("/messages?kind=command&sort=name&order=desc")
	if len(commands) != 20 || commands[0] != "msg-57" || strings.Contains(body, `data-testid="pager"`) {
		t.Errorf("commands by name descending: %v", commands)
	}
	if !strings.Contains(body, `href="/messages?kind=command&amp;order=asc&amp;sort=kind"`) {
		t.Errorf("the sort links drop the kind filter")
	}
}
