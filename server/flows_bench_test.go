package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// BenchmarkFlows24h measures GET /api/flows over a 24-hour window on a large store: spans spread
// over 24 hours (EVENTLENS_BENCH_SPANS, default 1,000,000; every span a messaging span, on 150
// flows) are written through the ingest writer first, which fills spans, per-minute and per-hour
// aggregates exactly as OTLP ingest does.
//
//	EVENTLENS_BENCH_SPANS=10000000 go test -run '^$' -bench Flows24h -benchtime 50x -timeout 30m ./server
func BenchmarkFlows24h(b *testing.B) {
	total := 1_000_000
	if v := os.Getenv("EVENTLENS_BENCH_SPANS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		total = n
	}
	end := time.Now().Truncate(time.Minute)
	start := end.Add(-24 * time.Hour)
	ts := startServer(b, func(c *Config) { c.Now = func() time.Time { return end } })
	fillStart := time.Now()
	const batch = 10_000
	spans := make([]tracing.Span, batch)
	step := 24 * time.Hour / time.Duration(total)
	for i := 0; i < total; i += batch {
		for j := range spans {
			n := i + j
			s := &spans[j]
			*s = tracing.Span{Kind: tracing.KindProducer, Name: "send", Attributes: []byte(`{"messaging.system":"kafka"}`)}
			binary.BigEndian.PutUint64(s.TraceID[8:], uint64(n+1))
			binary.BigEndian.PutUint64(s.SpanID[:], uint64(n+1))
			s.StartNanos = start.Add(time.Duration(n) * step).UnixNano()
			s.EndNanos = s.StartNanos + int64(time.Duration(n%100)*time.Millisecond)
			flow := n % 150
			m := &tracing.Messaging{Role: tracing.RoleProducer, Messages: 1,
				Channel: tracing.Channel{System: "kafka", Cluster: "kafka-1", Destination: fmt.Sprintf("topic-%d", flow%50)}}
			s.Service = fmt.Sprintf("service-%d", flow%20)
			if flow >= 50 {
				s.Kind, m.Role, m.ConsumerGroup = tracing.KindConsumer, tracing.RoleConsumer, s.Service
				s.Service = fmt.Sprintf("consumer-%d", flow)
				m.Error = n%97 == 0
			}
			s.Messaging = m
		}
		if err := ts.Ingest.Ingest(context.Background(), spans); err != nil {
			b.Fatal(err)
		}
	}
	counts, err := ts.Ingest.Counts(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	minuteRows := storagetest.Int(b, ts.DB, "SELECT count(*) FROM flow_minute")
	b.Logf("filled %d spans, %d flows, %d flow_minute rows in %s", counts.Spans, counts.Flows, minuteRows, time.Since(fillStart).Round(time.Second))
	query := fmt.Sprintf("/api/flows?since=%d&until=%d", start.Unix(), end.Unix())
	b.ResetTimer()
	for b.Loop() {
		resp, body := ts.do(b, "GET", query, "", nil)
		if resp.StatusCode != 200 || len(body) < 1000 {
			b.Fatalf("%d %.200s", resp.StatusCode, body)
		}
	}
}
