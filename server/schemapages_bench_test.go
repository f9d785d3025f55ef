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

	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/tracing"
)

// BenchmarkSchemaPages measures the schema pages and GET /subjects over real HTTP against a
// registry of 10,000 subjects with 10 versions each (100,000 versions), one request at a time.
// Besides ns/op it reports the 95th percentile (p95_ms). It logs how long a server takes to start
// on that store, and on the first 1,000 subjects of it: from opening the store to the first
// answers of /schemas and GET /subjects. Filling the store takes a few minutes.
//
//	go test ./server -run '^$' -bench BenchmarkSchemaPages -benchtime 200x
func BenchmarkSchemaPages(b *testing.B) {
	ts := startServer(b)
	reg := ts.srv.svc.Registry
	ctx := context.Background()
	const subjects, versions = 10000, 10
	start := time.Now()
	for i := range subjects {
		subject := fmt.Sprintf("team%02d.orders-%05d-value", i%50, i)
		for v := 1; v <= versions; v++ {
			if _, err := reg.Register(ctx, subject, schemaregistry.NewSchema{Schema: benchRecord(i, v)}, schemaregistry.RegisterOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		if n := i + 1; n == 1000 || n == subjects {
			b.Logf("registered %d subjects × %d versions in %s; a server starts on them in %s", n, versions,
				time.Since(start).Round(time.Millisecond), startUp(b, ts.DB).Round(time.Millisecond))
		}
	}

	for _, c := range []struct{ name, path string }{
		{"list_first_page", "/schemas"},
		{"list_sorted_by_change_page_50", "/schemas?sort=changed&order=desc&page=50"},
		{"list_prefix", "/schemas?q=team07.&sort=version"},
		{"subject_10_versions", "/schemas/team07.orders-02507-value"},
		{"subject_old_version", "/schemas/team07.orders-02507-value?version=3"},
		{"diff_1_10", "/schemas/team07.orders-02507-value/diff?from=1&to=10"},
		{"home", "/"},
		{"api_subjects", "/subjects"},
		{"api_subjects_prefix", "/subjects?subjectPrefix=team07."},
		{"api_versions", "/subjects/team07.orders-02507-value/versions"},
	} {
		b.Run(c.name, func(b *testing.B) {
			getPage(b, ts.URL+c.path) // warm the registry's cache, as a running server has
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				getPage(b, ts.URL+c.path)
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
			getPage(b, ts.URL+"/schemas")
			took = append(took, time.Since(t0))
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95_ms")
	})
}

// getPage gets url, as a browser for a console page and as a registry client for the API.
func getPage(b *testing.B, url string) {
	req, _ := http.NewRequest("GET", url, nil)
	html := !strings.Contains(url, "/subjects")
	if html {
		req.Header.Set("Accept", "text/html")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || (html && !strings.Contains(string(body), "</html>")) || (!html && len(body) < 2) {
		b.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
}

// startUp opens the store db is on again, as a restarted replica would, starts a server on it,
// and returns how long that took until the registry listing and GET /subjects answered.
func startUp(b *testing.B, db *storage.DB) time.Duration {
	t0 := time.Now()
	var again *storage.DB
	if db.Postgres != nil {
		again = &storage.DB{Postgres: pgtest.OpenURL(b, db.Postgres.Pool.Config().ConnString())}
	} else {
		sdb, err := sqlitedb.Open(context.Background(), db.SQLite.Path)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { sdb.Close() })
		again = &storage.DB{SQLite: sdb}
	}
	ts := startServerOn(b, again, tracing.Config{})
	getPage(b, ts.URL+"/schemas")
	getPage(b, ts.URL+"/subjects")
	return time.Since(t0)
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
