package otlpmetrics

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/eventlens/eventlens/otlpmetrics/otlpmetricstest"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// BenchmarkIngest measures OTLP metrics ingest, from the protobuf body of an export to its
// commit: decoding, reading and one transaction per export. Each export is a kafkametrics
// scrape of 12,913 points (16 topics × 100 partitions, 2 groups each) that updates every one of
// its 9,696 series, as a Collector's scrapes do.
//
//	go test -run '^$' -bench Ingest -benchtime 20x ./otlpmetrics
func BenchmarkIngest(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchmarkIngest(b, storagetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { benchmarkIngest(b, storagetest.Postgres(b)) })
}

func benchmarkIngest(b *testing.B, db *storage.DB) {
	s := New(db, Config{})
	ctx := context.Background()
	at := time.Now()
	body := func(i int) []byte {
		return otlpmetricstest.Protobuf(otlpmetricstest.Cluster(at.Add(time.Duration(i)*time.Second), int64(i), "bench", 16, 100, 2).Metrics())
	}
	// The first export creates the series; the timed ones update them.
	ingestBody(b, s, ctx, body(0))
	points := 0
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		raw := body(i + 1)
		b.StartTimer()
		points += ingestBody(b, s, ctx, raw)
	}
	b.ReportMetric(float64(points)/b.Elapsed().Seconds(), "points/s")
}

func ingestBody(b *testing.B, s *Store, ctx context.Context, raw []byte) int {
	req := pmetricotlp.NewExportRequest()
	if err := req.UnmarshalProto(raw); err != nil {
		b.Fatal(err)
	}
	d, err := FromMetrics(req.Metrics(), DecodeLimits{})
	if err != nil {
		b.Fatal(err)
	}
	if res, err := s.Ingest(ctx, d); err != nil || res.Dropped > 0 {
		b.Fatal(err, res.Message)
	}
	return d.Points
}
