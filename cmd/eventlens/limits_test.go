package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeLimitFlags proves the limit flags reach the server: each limit set low refuses what
// goes over it.
func TestServeLimitFlags(t *testing.T) {
	p := startServe(t, filepath.Join(t.TempDir(), "eventlens.db"),
		"--otlp-max-spans", "2", "--otlp-max-span-attributes", "1KiB", "--asyncapi-max-bytes", "1KiB",
		"--schema-max-reference-depth", "1", "--schema-max-references", "5",
		"--schema-max-bytes", "2KiB", "--schema-max-nesting", "5",
		"--otlp-max-points", "3", "--otlp-metrics-max-series-per-source", "2")
	post := func(path, contentType string, body []byte) (int, string) {
		t.Helper()
		resp, err := http.Post(p.URL+path, contentType, bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := post("/v1/traces", "application/json", spansJSON("0102030405060708090a0b0c0d0e0f10", 3)); code != 413 || !strings.Contains(body, "limit of 2") {
		t.Errorf("3 spans with --otlp-max-spans 2: %d %s", code, body)
	}
	big := bytes.Replace(spansJSON("0102030405060708090a0b0c0d0e0f10", 1), []byte(`{"key":"messaging.system"`),
		[]byte(`{"key":"big","value":{"stringValue":"`+strings.Repeat("o", 2000)+`"}},{"key":"messaging.system"`), 1)
	if code, body := post("/v1/traces", "application/json", big); code != 200 || !strings.Contains(body, "rejectedSpans") {
		t.Errorf("a span with 2 KB of attributes and --otlp-max-span-attributes 1KiB: %d %s", code, body)
	}
	lags := func(n int) []byte {
		var points []string
		for i := range n {
			points = append(points, fmt.Sprintf(`{"timeUnixNano":"%d","asInt":"5","attributes":[{"key":"group","value":{"stringValue":"billing"}},
				{"key":"topic","value":{"stringValue":"orders"}},{"key":"partition","value":{"intValue":"%d"}}]}`, time.Now().UnixNano(), i))
		}
		return []byte(`{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"kafka.consumer_group.lag","unit":"1","gauge":{"dataPoints":[` +
			strings.Join(points, ",") + `]}}]}]}]}`)
	}
	if code, body := post("/v1/metrics", "application/json", lags(4)); code != 413 || !strings.Contains(body, "limit of 3") {
		t.Errorf("4 points with --otlp-max-points 3: %d %s", code, body)
	}
	if code, body := post("/v1/metrics", "application/json", lags(3)); code != 200 || !strings.Contains(body, `"rejectedDataPoints":"1"`) ||
		!strings.Contains(body, "2 per source") {
		t.Errorf("3 series of one source with --otlp-metrics-max-series-per-source 2: %d %s", code, body)
	}
	doc := "asyncapi: 3.0.0\ninfo:\n  title: Big\n  version: 1.0.0\n  description: " + strings.Repeat("x", 1100) + "\n"
	if code, body := post("/api/catalog/asyncapi", "application/yaml", []byte(doc)); code != 413 {
		t.Errorf("a 1.1 KB document with --asyncapi-max-bytes 1KiB: %d %s", code, body)
	}
	register := func(subject, schema string, refs ...map[string]any) (int, string) {
		b, _ := json.Marshal(map[string]any{"schema": schema, "references": refs})
		return post("/subjects/"+subject+"/versions", "application/vnd.schemaregistry.v1+json", b)
	}
	if code, body := register("a", `{"type":"record","name":"A","fields":[{"name":"f","type":"int"}]}`); code != 200 {
		t.Fatalf("register a: %d %s", code, body)
	}
	if code, body := register("b", `{"type":"record","name":"B","fields":[{"name":"a","type":"A"}]}`, map[string]any{"name": "A", "subject": "a", "version": 1}); code != 200 {
		t.Fatalf("register b (one level of references): %d %s", code, body)
	}
	if code, body := register("c", `{"type":"record","name":"C","fields":[{"name":"b","type":"B"}]}`, map[string]any{"name": "B", "subject": "b", "version": 1}); code != 422 || !strings.Contains(body, "deeper than 1") {
		t.Errorf("two levels of references with --schema-max-reference-depth 1: %d %s", code, body)
	}
	long := `{"type":"record","name":"L","doc":"` + strings.Repeat("x", 2100) + `","fields":[]}`
	if code, body := register("long", long); code != 422 || !strings.Contains(body, "42209") {
		t.Errorf("a 2.1 KB schema with --schema-max-bytes 2KiB: %d %s", code, body)
	}
	deep := `{"type":"record","name":"D","fields":[{"name":"a","type":{"type":"array","items":{"type":"array","items":{"type":"array","items":"int"}}}}]}`
	if code, body := register("deep", deep); code != 422 || !strings.Contains(body, "42201") || !strings.Contains(body, "nest 6 deep, more than the 5") {
		t.Errorf("a schema nested 6 deep with --schema-max-nesting 5: %d %s", code, body)
	}
}

// TestBulkRegistrationOnDefaults: a bulk load from one client on the default write limits (a
// migration, a conformance suite: registry clients do not retry 429) is never refused: 20,000
// registrations over 8 connections, then the same 20,000 again (what a resumed import sends),
// which the registry answers without a commit, so faster than the write rate.
func TestBulkRegistrationOnDefaults(t *testing.T) {
	p := startServe(t, filepath.Join(t.TempDir(), "eventlens.db"))
	const n, workers = 20000, 8
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	for _, pass := range []string{"first", "again"} {
		statuses := make(chan map[int]int, workers)
		for w := range workers {
			go func() {
				seen := map[int]int{}
				for i := w; i < n; i += workers {
					body := fmt.Sprintf(`{"schema":"{\"type\":\"record\",\"name\":\"R%d\",\"fields\":[]}"}`, i)
					resp, err := client.Post(fmt.Sprintf("%s/subjects/bulk-%d/versions", p.URL, i), "application/vnd.schemaregistry.v1+json", strings.NewReader(body))
					if err != nil {
						seen[-1]++
						continue
					}
					resp.Body.Close()
					seen[resp.StatusCode]++
				}
				statuses <- seen
			}()
		}
		all := map[int]int{}
		for range workers {
			for code, k := range <-statuses {
				all[code] += k
			}
		}
		if all[200] != n {
			t.Fatalf("%s pass: answers by status %v, want %d × 200", pass, all, n)
		}
	}
}
