package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/eventlens/eventlens/otlpmetrics/otlpmetricstest"
	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
	"github.com/eventlens/eventlens/tracing/tracingtest"
)

// benchRequest is an OTLP protobuf request of n spans of the benchmark mix
// (tracingtest.BenchMix).
func benchRequest(b testing.TB, seq uint64, n int) []byte {
	td := tracingtest.BenchMix(seq, n, time.Now())
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkOTLPHTTPIngest measures spans per second through POST /v1/traces into SQLite and
// into PostgreSQL, with requests of 1,000 spans (30% messaging) sent by 8 concurrent clients.
// Each answer means the spans are committed. postgres-nobloom is PostgreSQL with the span
// arrival index as before migration 16 (no bloom filter of trace ids), to price that filter.
//
//	go test -run '^$' -bench OTLPHTTPIngest -benchtime 200x ./server
func BenchmarkOTLPHTTPIngest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkOTLPHTTPIngest(b, startServer(b)) })
	b.Run("postgres", func(b *testing.B) {
		benchmarkOTLPHTTPIngest(b, startServerOn(b, storagetest.Postgres(b), tracing.Config{Keep: tracing.SpanKeep{All: true}}))
	})
	b.Run("postgres-nobloom", func(b *testing.B) {
		db := storagetest.Postgres(b)
		storagetest.Exec(b, db, `DROP INDEX span_arrived;
			CREATE INDEX span_arrived ON span USING brin (arrived_ns) WITH (pages_per_range = 16, autosummarize = on)`)
		benchmarkOTLPHTTPIngest(b, startServerOn(b, db, tracing.Config{Keep: tracing.SpanKeep{All: true}}))
	})
}

func benchmarkOTLPHTTPIngest(b *testing.B, ts *testServer) {
	const spansPerRequest = 1000
	bodies := make([][]byte, 16)
	for i := range bodies {
		bodies[i] = benchRequest(b, uint64(i), spansPerRequest)
	}
	var seq atomic.Int64
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(4) // 4 × GOMAXPROCS clients
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[seq.Add(1)%int64(len(bodies))]
			resp, err := client.Post(ts.URL+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*spansPerRequest)/elapsed.Seconds(), "spans/s")
}

// BenchmarkOTLPMetricsHTTPIngest measures data points per second through POST /v1/metrics into
// SQLite and into PostgreSQL: kafkametrics scrapes of 12,913 points (9,696 series, each updated
// by every scrape) from 4 Collectors, one cluster each, sending at once. Each answer means the
// points are committed.
//
//	go test -run '^$' -bench OTLPMetricsHTTPIngest -benchtime 40x ./server
func BenchmarkOTLPMetricsHTTPIngest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkOTLPMetricsHTTPIngest(b, startServer(b)) })
	b.Run("postgres", func(b *testing.B) {
		benchmarkOTLPMetricsHTTPIngest(b, startServerOn(b, storagetest.Postgres(b), tracing.Config{}))
	})
}

func benchmarkOTLPMetricsHTTPIngest(b *testing.B, ts *testServer) {
	const collectors = 4
	at := time.Now()
	body := func(i int) []byte {
		k := otlpmetricstest.Cluster(at.Add(time.Duration(i/collectors)*time.Second), int64(i/collectors), fmt.Sprint("bench-", i%collectors), 16, 100, 2)
		return otlpmetricstest.Protobuf(k.Metrics())
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: collectors}}
	post := func(raw []byte) {
		resp, err := client.Post(ts.URL+"/v1/metrics", "application/x-protobuf", bytes.NewReader(raw))
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		r := pmetricotlp.NewExportResponse()
		if err := r.UnmarshalProto(out); resp.StatusCode != 200 || err != nil || r.PartialSuccess().RejectedDataPoints() != 0 {
			b.Fatalf("status %d: %q", resp.StatusCode, out)
		}
	}
	// The first scrape of each cluster creates its series; the timed ones update them.
	for i := range collectors {
		post(body(i))
	}
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = body(collectors + i)
	}
	points := requestPoints(b, bodies[0])
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range collectors {
		wg.Go(func() {
			for i := c; i < len(bodies); i += collectors {
				post(bodies[i])
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.ReportMetric(float64(b.N*points)/elapsed.Seconds(), "points/s")
}

// requestPoints is how many data points an OTLP metrics request carries.
func requestPoints(b *testing.B, raw []byte) int {
	req := pmetricotlp.NewExportRequest()
	if err := req.UnmarshalProto(raw); err != nil {
		b.Fatal(err)
	}
	return req.Metrics().DataPointCount()
}
