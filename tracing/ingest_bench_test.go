package tracing

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage/storagetest"
)

// BenchmarkWriter measures the writer alone: spans per second committed from decoded spans (30%
// messaging), by 8 concurrent callers of 1,000 spans each, on each backend, and on two replicas
// sharing one PostgreSQL database (the callers spread over both).
//
//	go test -run '^$' -bench Writer ./tracing
func BenchmarkWriter(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkWriter(b, startIngest(b, storagetest.SQLite(b), Config{})) })
	b.Run("postgres", func(b *testing.B) { benchmarkWriter(b, startIngest(b, storagetest.Postgres(b), Config{})) })
	b.Run("postgres-2-replicas", func(b *testing.B) { benchmarkWriter(b, startReplicas(b, 2, Config{})...) })
}

func benchmarkWriter(b *testing.B, replicas ...*Ingester) {
	batch := make([]Span, 0, 1000)
	now := time.Now()
	for i := range 1000 {
		var s []Span
		switch {
		case i%10 < 2:
			s = decodeB(b, producer("orders", "orders", uint64(i+1), 1, now))
		case i%10 < 3:
			s = decodeB(b, consumer("billing", "billing", "orders", uint64(i+1), 2, ref(uint64(i), 1), now, time.Millisecond))
		default:
			s = decodeB(b, spanSpec{service: "web", kind: 2, trace: uint64(i + 1), span: 3, start: now, duration: time.Millisecond,
				attrs: map[string]any{"http.request.method": "GET", "http.route": "/api/items/{id}", "url.path": "/api/items/1", "http.response.status_code": 200}})
		}
		batch = append(batch, s...)
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	per := b.N/8 + 1
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range per {
				if err := replicas[c%len(replicas)].Ingest(context.Background(), batch); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(8*per*len(batch))/time.Since(start).Seconds(), "spans/s")
}
