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
