package otlpmetrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/eventlens/eventlens/otlpmetrics/otlpmetricstest"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// BigKafkaScrape is a kafkametrics scrape of 20 topics of 100 partitions, each read by two
// groups: 16,141 points, 12,120 of them in series eventlens reads.
func bigKafkaScrape(at time.Time, seq int64) otlpmetricstest.KafkaScrape {
	k := otlpmetricstest.KafkaScrape{At: at, Start: at.Add(-time.Hour), ClusterAlias: "bench", Brokers: 3}
	for t := range 20 {
		topic := otlpmetricstest.KafkaTopic{Name: fmt.Sprint("topic-", t), Oldest: make([]int64, 100), End: make([]int64, 100)}
		committed := make([]int64, 100)
		for p := range 100 {
			topic.End[p] = 1000*seq + int64(p)
			committed[p] = topic.End[p] - int64(p%7)
		}
		k.Topics = append(k.Topics, topic)
		for g := range 2 {
			k.Groups = append(k.Groups, otlpmetricstest.KafkaGroup{Name: fmt.Sprint("group-", t, "-", g), Members: 3, Topic: topic.Name, Committed: committed})
		}
	}
	return k
}

// BenchmarkIngest measures OTLP metrics ingest, from the protobuf body of an export to its
// commit: decoding, reading and one upsert transaction per export, every series updated by each
// export as a Collector's scrapes update them.
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
		return otlpmetricstest.Protobuf(bigKafkaScrape(at.Add(time.Duration(i)*time.Second), int64(i)).Metrics())
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
	if _, err := s.Ingest(ctx, d); err != nil {
		b.Fatal(err)
	}
	return d.Points
}
