package server

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// The alert rules and the Grafana dashboard in docs/ are checked by promtool in CI (.ci/run);
// this test holds them to the series eventlens exports.

var (
	descName   = regexp.MustCompile(`fqName: "([^"]+)"`)
	seriesName = regexp.MustCompile(`\beventlens_[a-z0-9_]+`)
	// selector is a metric name followed by its label matchers or a range.
	selector = regexp.MustCompile(`\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{\[]`)
)

// exportedNames are the names of every family the server's collectors describe, with the
// _bucket, _sum and _count series of histograms and summaries.
func exportedNames(t *testing.T, m *metrics) map[string]bool {
	t.Helper()
	descs := make(chan *prometheus.Desc, 1000)
	go func() {
		for _, c := range m.collectors {
			c.Describe(descs)
		}
		close(descs)
	}()
	names := map[string]bool{}
	for d := range descs {
		match := descName.FindStringSubmatch(d.String())
		if match == nil {
			t.Fatalf("no name in %s", d)
		}
		for _, suffix := range []string{"", "_bucket", "_sum", "_count"} {
			names[match[1]+suffix] = true
		}
	}
	return names
}

// dashboardQueries are the PromQL texts of a Grafana dashboard: its panels' targets and its
// query variables.
func dashboardQueries(t *testing.T, path string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Type       string `json:"type"`
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []string
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			if tg.Expr == "" {
				t.Errorf("%s: panel %q has a target without expr", path, p.Title)
			}
			out = append(out, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		if v.Type == "query" {
			out = append(out, v.Definition)
		}
	}
	return out
}

func TestDashboardAndRulesUseExportedSeries(t *testing.T) {
	ts := startServer(t)
	names := exportedNames(t, ts.srv.metrics)

	const dashboard = "../docs/grafana/eventlens-dashboard.json"
	queries := dashboardQueries(t, dashboard)
	if len(queries) < 20 {
		t.Fatalf("%s: only %d queries", dashboard, len(queries))
	}
	for _, q := range queries {
		if !seriesName.MatchString(q) {
			t.Errorf("%s: %q reads no eventlens series", dashboard, q)
		}
		for _, m := range selector.FindAllStringSubmatch(q, -1) {
			if !names[m[1]] {
				t.Errorf("%s: %q selects %s, which eventlens does not export", dashboard, q, m[1])
			}
		}
	}
	for _, path := range []string{dashboard, "../docs/prometheus/eventlens-rules.yml", "../docs/prometheus/eventlens-rules.test.yml"} {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range seriesName.FindAllString(string(text), -1) {
			if !names[n] {
				t.Errorf("%s names %s, which eventlens does not export", path, n)
			}
		}
	}
}
