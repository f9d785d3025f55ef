package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/schemaregistry"
)

// BenchmarkSchemaPages measures the schema pages over real HTTP against a registry of 5,000
// subjects with 10 versions each (50,000 versions), one request at a time. Besides ns/op it
// reports the 95th percentile (p95_ms). Filling the store takes a minute or so.
//
//	go test ./server -run '^$' -bench BenchmarkSchemaPages -benchtime 200x
func BenchmarkSchemaPages(b *testing.B) {
	ts := startServer(b)
	reg := ts.srv.svc.Registry
	ctx := context.Background()
	const subjects, versions = 5000, 10
	start := time.Now()
	for i := range subjects {
		subject := fmt.Sprintf("team%02d.orders-%04d-value", i%50, i)
		for v := 1; v <= versions; v++ {
			if _, err := reg.Register(ctx, subject, schemaregistry.NewSchema{Schema: benchRecord(i, v)}, schemaregistry.RegisterOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("registered %d subjects × %d versions in %s", subjects, versions, time.Since(start).Round(time.Millisecond))

	client := &http.Client{}
	get := func(b *testing.B, path string) {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), "</html>") {
			b.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	for _, c := range []struct{ name, path string }{
		{"list_first_page", "/schemas"},
		{"list_sorted_by_change_page_50", "/schemas?sort=changed&order=desc&page=50"},
		{"list_prefix", "/schemas?q=team07.&sort=version"},
		{"subject_10_versions", "/schemas/team07.orders-2507-value"},
		{"subject_old_version", "/schemas/team07.orders-2507-value?version=3"},
		{"diff_1_10", "/schemas/team07.orders-2507-value/diff?from=1&to=10"},
		{"home", "/"},
	} {
		b.Run(c.name, func(b *testing.B) {
			get(b, c.path) // warm the registry's cache, as a running server has
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				get(b, c.path)
				took = append(took, time.Since(t0))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95_ms")
		})
	}
	// The listing is read again after every write: measure it right after a registration (the
	// registration itself is not timed).
	b.Run("list_first_page_after_a_write", func(b *testing.B) {
		took := make([]time.Duration, 0, b.N)
		for i := range b.N {
			b.StopTimer()
			if _, err := reg.Register(ctx, fmt.Sprintf("zz-new-%d", i), schemaregistry.NewSchema{Schema: benchRecord(subjects+i, 1)}, schemaregistry.RegisterOptions{}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			t0 := time.Now()
			get(b, "/schemas")
			took = append(took, time.Since(t0))
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95_ms")
	})
}

// benchRecord is version v of subject i: an Avro record that gains a field with a default in
// each version, so every version is backward compatible with the one before.
func benchRecord(i, v int) string {
	fields := []string{`{"name":"id","type":"string"}`}
	for f := 1; f < v; f++ {
		fields = append(fields, fmt.Sprintf(`{"name":"field%d","type":["null","string"],"default":null,"doc":"added in version %d"}`, f, f+1))
	}
	return fmt.Sprintf(`{"type":"record","name":"Order%d","namespace":"shop.orders","fields":[%s]}`, i, strings.Join(fields, ","))
}
