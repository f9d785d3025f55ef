package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/eventlens/eventlens/tracing"
)

// BenchmarkPages measures the server render time of each console page over HTTP against a
// large store: 1,000 services, 500 channels and 3,000 flows (each service produces to one
// channel and consumes two), with 30 minutes of spans behind them. It reports each page's
// p95 as p95-ms; the target is under 50 ms. warm/ is the server as it runs (pages reuse a
// window's flows and health for 5 s); cold/ turns that reuse off, so every view scans the
// aggregates.
//
//	go test ./server -run '^$' -bench BenchmarkPages -benchtime 50x
func BenchmarkPages(b *testing.B) {
	b.Run("warm", func(b *testing.B) { benchmarkPages(b, 0) })
	b.Run("cold", func(b *testing.B) { benchmarkPages(b, -1) })
}

func benchmarkPages(b *testing.B, cacheTTL time.Duration) {
	ts := startServerWith(b, tracing.Config{QueueSpans: 200_000, BatchSpans: 20_000}, func(c *Config) { c.PageCacheTTL = cacheTTL })
	var specs []flowSpec
	for i := range 1000 {
		svc := fmt.Sprintf("svc-%04d", i)
		specs = append(specs,
			flowSpec{service: svc, channel: fmt.Sprintf("topic-%03d", i%500), messages: 30, processing: 3 * time.Millisecond},
			flowSpec{service: svc, channel: fmt.Sprintf("topic-%03d", (i+1)%500), group: svc, consume: true, messages: 30, errors: i % 7, processing: 20 * time.Millisecond},
			flowSpec{service: svc, channel: fmt.Sprintf("topic-%03d", (i+7)%500), group: svc, consume: true, messages: 30, errors: i % 3, processing: 40 * time.Millisecond},
		)
	}
	spans := messagingSpans(specs, time.Now(), 30)
	start := time.Now()
	for len(spans) > 0 {
		n := min(len(spans), 10_000)
		if err := ts.Ingest.Ingest(context.Background(), spans[:n]); err != nil {
			b.Fatal(err)
		}
		spans = spans[n:]
	}
	b.Logf("filled 90,000 spans over 3,000 flows in %s", time.Since(start).Round(time.Millisecond))
	examples, err := ts.Ingest.ErrorExamples(context.Background(), tracing.ExampleQuery{Limit: 1})
	if err != nil || len(examples) == 0 {
		b.Fatalf("no example trace: %v", err)
	}
	pages := []struct{ name, path string }{
		{"home", "/"},
		{"flows-1h", "/flows"},
		{"flows-24h", "/flows?window=24h"},
		{"flows-service", "/flows?service=svc-0500"},
		{"services", "/services?sort=errors&order=desc"},
		{"service", "/services/svc-0500"},
		{"channels", "/channels?sort=rate&order=desc"},
		{"channel", "/channels/topic-100"},
		{"health", "/health?sort=p95&order=desc"},
		{"health-table", "/health/table?sort=errors&order=desc"},
		{"trace", "/traces/" + examples[0].TraceID.String()},
		{"search", "/search?q=svc+05"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				t0 := time.Now()
				req, _ := http.NewRequest(http.MethodGet, ts.URL+p.path, nil)
				req.Header.Set("Accept", "text/html") // / answers the registry API otherwise
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("%s: HTTP %d", p.path, resp.StatusCode)
				}
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
		})
	}
}
