package flowgraph

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var demo = flag.String("demo", "", "write an HTML page with the demo graph to this file, to look at in a browser")

// shop is the graph of the demo shop: five services, four channels, a cycle through payments,
// one failing and one slow consumer.
func shop() Graph {
	svc := func(id, sub string, h Health) Node {
		return Node{ID: id, Label: id, Kind: Service, Href: "/services/" + id, Health: h, Subtitle: sub}
	}
	ch := func(id string) Node {
		return Node{ID: id, Label: id, Kind: Channel, Href: "/channels/" + id, Health: Healthy, Subtitle: "kafka"}
	}
	return Graph{
		Nodes: []Node{
			svc("orders", "3 instances", Healthy),
			svc("payments", "2 instances", Healthy),
			svc("inventory", "2 instances", Degraded),
			svc("shipping", "1 instance", Healthy),
			svc("notifications", "2 instances", Failing),
			ch("orders.created"), ch("payments.completed"), ch("inventory.reserved"), ch("shipments.dispatched"),
		},
		Edges: []Edge{
			{From: "orders", To: "orders.created", Label: "120/min · 0% err · p95 4ms", Health: Healthy},
			{From: "orders.created", To: "payments", Label: "120/min · 0.1% err · p95 35ms", Health: Healthy},
			{From: "orders.created", To: "inventory", Label: "118/min · 0.4% err · p95 1.8s", Health: Degraded},
			{From: "orders.created", To: "notifications", Label: "120/min · 0% err · p95 12ms", Health: Healthy},
			{From: "payments", To: "payments.completed", Label: "114/min · 0% err · p95 3ms", Health: Healthy},
			{From: "payments.completed", To: "orders", Label: "114/min · 0% err · p95 9ms", Health: Healthy},
			{From: "payments.completed", To: "shipping", Label: "114/min · 0.2% err · p95 41ms", Health: Healthy},
			{From: "inventory", To: "inventory.reserved", Label: "110/min · 0% err · p95 5ms", Health: Healthy},
			{From: "inventory.reserved", To: "shipping", Label: "110/min · 0% err · p95 38ms", Health: Healthy},
			{From: "shipping", To: "shipments.dispatched", Label: "96/min · 0% err · p95 6ms", Health: Healthy},
			{From: "shipments.dispatched", To: "notifications", Label: "96/min · 18.7% err · p95 210ms", Health: Failing},
		},
	}
}

// TestDemoPage writes a page with the demo graph when -demo is given: go test ./web/flowgraph
// -run TestDemoPage -demo /tmp/graph.html, then open it or take a screenshot with Chromium.
func TestDemoPage(t *testing.T) {
	if *demo == "" {
		t.Skip("no -demo file")
	}
	static, err := filepath.Abs("../static")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(*demo, demoPage(t, "file://"+static), 0o644); err != nil {
		t.Fatal(err)
	}
}

// demoPage is an HTML page showing the demo graphs, with app.css and flowgraph.js from static.
func demoPage(t *testing.T, static string) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>flow graph demo</title>` +
		`<link rel="stylesheet" href="` + static + `/app.css">` +
		`<script src="` + static + `/flowgraph.js" defer></script></head><body><main><h1>Flows</h1>`)
	sections := []struct {
		title string
		g     Graph
		o     Options
	}{
		{"", shop(), Options{}},
		{"Focused on payments", focus(shop(), "payments"), Options{Focus: "payments"}},
		{"A larger estate", flows(45, 90, 5), Options{}},
		{"Nothing yet", Graph{}, Options{}},
	}
	for _, s := range sections {
		if s.title != "" {
			b.WriteString("<h2>" + s.title + "</h2>")
		}
		if err := SVG(s.g, s.o).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
	}
	b.WriteString(`</main></body></html>`)
	return b.Bytes()
}

// focus keeps the nodes within two steps of id, as a service page would show.
func focus(g Graph, id string) Graph {
	keep := map[string]bool{id: true}
	for range 2 {
		next := map[string]bool{}
		for _, e := range g.Edges {
			if keep[e.From] || keep[e.To] {
				next[e.From], next[e.To] = true, true
			}
		}
		for k := range next {
			keep[k] = true
		}
	}
	var f Graph
	for _, n := range g.Nodes {
		if keep[n.ID] {
			f.Nodes = append(f.Nodes, n)
		}
	}
	for _, e := range g.Edges {
		if keep[e.From] && keep[e.To] {
			f.Edges = append(f.Edges, e)
		}
	}
	return f
}
