package web

import (
	"strings"
	"testing"

	"github.com/eventlens/eventlens/tracing"
)

// A dead-letter topic hangs off its source channel with a dotted edge, and a consumer's edge
// carries the lag its broker reports.
func TestGraphDrawsSatellitesAndLag(t *testing.T) {
	kafka := func(dest string) tracing.Channel { return tracing.Channel{System: "kafka", Destination: dest} }
	lag := int64(1200)
	flows := []tracing.Flow{
		{Direction: "produce", Service: "orders", Channel: kafka("payments"), Messages: 10},
		{Direction: "consume", Service: "billing", Channel: kafka("payments"), Messages: 10},
		{Direction: "produce", Service: "billing", Channel: kafka("payments.DLT"), Messages: 3},
		{Direction: "produce", Service: "audit", Channel: kafka("audit-retry-0"), Messages: 1}, // its source is not drawn
	}
	g, _, _ := buildGraph(graphInput{Flows: flows, Health: []tracing.ConsumerHealth{{Service: "billing", Channel: kafka("payments"), Lag: &lag}}})
	var satellites []string
	for _, e := range g.Edges {
		if e.Satellite {
			satellites = append(satellites, e.From+" -> "+e.To+" "+e.Label)
		}
		if e.From == "ch:payments" && e.To == "svc:billing" && !strings.Contains(e.Label, "lag 1200") {
			t.Errorf("billing's edge %q lacks its lag", e.Label)
		}
	}
	if strings.Join(satellites, "; ") != "ch:payments -> ch:payments.DLT dead-letters" {
		t.Errorf("satellite edges: %q", satellites)
	}
	for _, n := range g.Nodes {
		if n.ID == "ch:payments.DLT" && n.Subtitle != "dead-letter of payments" {
			t.Errorf("the DLQ's subtitle: %q", n.Subtitle)
		}
	}

	// A channel's own page (its neighbours only) shows its dead-letter topic too.
	focused, _, _ := buildGraph(graphInput{Flows: flows, Focus: "ch:payments", Steps: 1})
	found := false
	for _, e := range focused.Edges {
		found = found || e.Satellite && e.To == "ch:payments.DLT"
	}
	if !found {
		t.Errorf("the channel's page graph lacks its dead-letter topic: %+v", focused.Edges)
	}
}

// A RabbitMQ consumer reads a queue bound to the exchange its producers publish to: the graph
// draws exchange → queue → consumer, the queue's depth on the consumer's edge, and a channel's
// or a service's page reaches through the queue as if it were not there.
func TestGraphDrawsRabbitMQQueues(t *testing.T) {
	rabbit := tracing.Channel{System: "rabbitmq", Destination: "orders"}
	depth := int64(3)
	flows := []tracing.Flow{
		{Direction: "produce", Service: "storefront", Channel: rabbit, Messages: 20, RatePerSecond: 1},
		{Direction: "consume", Service: "invoicing", Channel: rabbit, ConsumerGroup: "billing", Messages: 20, RatePerSecond: 1},
		{Direction: "consume", Service: "audit", Channel: rabbit, ConsumerGroup: "audit", Messages: 20, RatePerSecond: 1},
	}
	health := []tracing.ConsumerHealth{{Service: "invoicing", Channel: rabbit, QueueDepth: &depth}}
	g, _, _ := buildGraph(graphInput{Flows: flows, Health: health})
	edges := map[string]string{}
	for _, e := range g.Edges {
		edges[e.From+" -> "+e.To] = e.Label
	}
	for _, want := range []string{"svc:storefront -> ch:orders", "ch:orders -> q:billing", "q:billing -> svc:invoicing", "ch:orders -> q:audit", "q:audit -> svc:audit"} {
		if _, ok := edges[want]; !ok {
			t.Errorf("no edge %s in %v", want, edges)
		}
	}
	if l := edges["q:billing -> svc:invoicing"]; !strings.HasSuffix(l, "3 queued") {
		t.Errorf("invoicing's edge %q lacks the queue's depth", l)
	}
	for _, n := range g.Nodes {
		if n.ID == "q:billing" && (n.Label != "billing" || n.Subtitle != "queue" || n.Href != channelPath("orders")) {
			t.Errorf("the queue's node: %+v", n)
		}
	}

	nodes := func(focus string, steps int) []string {
		g, _, _ := buildGraph(graphInput{Flows: flows, Focus: focus, Steps: steps})
		var ids []string
		for _, n := range g.Nodes {
			ids = append(ids, n.ID)
		}
		return ids
	}
	if got := strings.Join(nodes("ch:orders", 1), " "); got != "ch:orders q:audit q:billing svc:audit svc:invoicing svc:storefront" {
		t.Errorf("the exchange's page draws %s", got)
	}
	if got := strings.Join(nodes("svc:invoicing", 1), " "); got != "ch:orders q:billing svc:invoicing" {
		t.Errorf("the consumer's page at one step draws %s", got)
	}
}
