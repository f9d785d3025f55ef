package flowgraph

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func render(t *testing.T, g Graph, o Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := SVG(g, o).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSVGGolden(t *testing.T) {
	cases := []struct {
		name string
		g    Graph
		o    Options
	}{
		{"shop", shop(), Options{}},
		{"focus", focus(shop(), "payments"), Options{Title: "Flows around payments", Focus: "payments"}},
		{"cycle", graphOf("a>t1", "t1>b", "b>t2", "t2>a"), Options{}},
		{"components", graphOf("a>t1", "t1>b", "c>t2", "t2>d", "t2>e"), Options{}},
		{"empty", Graph{}, Options{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := render(t, c.g, c.o)
			file := filepath.Join("testdata", c.name+".svg.golden")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("%s differs from %s; look at the drawing (-demo) and rerun with -update if it is right", c.name, file)
			}
		})
	}
}

func TestSVGEscapesText(t *testing.T) {
	const evil = `<script>alert(1)</script>`
	g := Graph{
		Nodes: []Node{
			{ID: evil, Label: evil, Kind: Service, Href: "javascript:alert(1)", Subtitle: evil, Health: Failing},
			{ID: `"><img src=x onerror=alert(2)>`, Kind: Channel, Href: "/channels/x"},
		},
		Edges: []Edge{{From: evil, To: `"><img src=x onerror=alert(2)>`, Label: evil + " · <b>bold</b>"}},
	}
	out := render(t, g, Options{Title: evil, Focus: evil})
	for _, bad := range []string{"<script", "<img", "<b>", "javascript:"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the node name is not shown as text:\n%s", out)
	}
}

func TestSVGMarksNodesAndEdges(t *testing.T) {
	out := render(t, shop(), Options{Focus: "payments"})
	for _, want := range []string{
		`data-testid="flow-node" data-id="orders"`,
		`<a href="/services/orders"`,
		`data-testid="flow-edge" data-id="shipments.dispatched-&gt;notifications"`,
		`class="fg-edge health-failing"`,
		`class="fg-node fg-service health-healthy fg-focus"`,
		`<title>orders.created → inventory: 118/min · 0.4% err · p95 1.8s (degraded)</title>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %s", want)
		}
	}
	if n := strings.Count(out, `data-testid="flow-edge"`); n != len(shop().Edges) {
		t.Errorf("%d edges drawn, want %d", n, len(shop().Edges))
	}
}

func TestSVGOfEmptyGraph(t *testing.T) {
	out := render(t, Graph{}, Options{})
	if strings.Contains(out, "<svg") || !strings.Contains(out, `data-testid="flow-empty"`) {
		t.Errorf("empty graph drawn as:\n%s", out)
	}
}

// The page's Content-Security-Policy forbids inline styles and scripts.
func TestSVGNeedsNoInlineStyleOrScript(t *testing.T) {
	out := render(t, shop(), Options{})
	for _, bad := range []string{"style=", "<script", " on"} {
		if strings.Contains(out, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
}
