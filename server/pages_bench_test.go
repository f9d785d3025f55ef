package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/tracing"
)

// BenchmarkPages measures the server render time of every console page over HTTP against the
// large store issue #5 names: 1,000 services, 5,000 subjects with 10 versions each and 10 million
// spans (EVENTLENS_BENCH_SPANS overrides the count) spread over the last 24 hours. It reports each page's p95 as p95-ms; the target
// is under 50 ms. Filling the store takes several minutes.
//
//	go test ./server -run '^$' -bench BenchmarkPages -benchtime 50x -timeout 60m
func BenchmarkPages(b *testing.B) {
	spans := 10_000_000
	if v := os.Getenv("EVENTLENS_BENCH_SPANS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		spans = n
	}
	ts := startServerWith(b, tracing.Config{QueueSpans: 200_000, BatchSpans: 20_000, SpanRetention: 48 * time.Hour})
	fillSubjects(b, ts)
	fillSpans(b, ts, spans)
	fillCatalog(b, ts)

	examples := ts.Ingest.ErrorExamples(tracing.ExampleQuery{Limit: 1})
	if len(examples) == 0 {
		b.Fatal("no example trace")
	}
	now := time.Now().Unix()
	pages := []struct{ name, path string }{
		{"home", "/"},
		{"flows-15m", "/flows?window=15m"},
		{"flows-1h", "/flows"},
		{"flows-24h", "/flows?window=24h"},
		{"flows-7d", "/flows?window=7d"},
		{"flows-service", "/flows?service=svc-0500"},
		{"services", "/services?sort=errors&order=desc"},
		{"service", "/services/svc-0500"},
		{"channels", "/channels?sort=rate&order=desc"},
		{"channel", "/channels/topic-100"},
		{"health", "/health?sort=p95&order=desc"},
		{"health-table", "/health/table?sort=errors&order=desc"},
		{"trace", "/traces/" + examples[0].TraceID.String()},
		{"search", "/search?q=svc+05"},
		{"schemas", "/schemas?sort=changed&order=desc"},
		{"subject", "/schemas/topic-100-value"},
		{"diff", "/schemas/topic-100-value/diff?from=1&to=10"},
		{"drift", "/drift"},
		{"messages", "/messages?sort=owner&order=desc"},
		{"message", "/messages/Event-100"},
		{"domains", "/domains?sort=status"},
		{"domain", "/domains/domain-0"},
		{"owner", "/owners/team-0"},
		// An arbitrary window sums aggregate rows, as loading a live window at start does.
		{"api-flows-24h-rows", fmt.Sprintf("/api/flows?since=%d&until=%d", now-86400-30, now-30)},
		{"api-flows-1h-rows", fmt.Sprintf("/api/flows?since=%d&until=%d", now-3600-30, now-30)},
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

// fillSubjects registers 5,000 subjects with 10 versions each: the value subjects of the 500
// channels fillSpans uses, and 4,500 more.
func fillSubjects(b *testing.B, ts *testServer) {
	start := time.Now()
	for i := range 5000 {
		subject := fmt.Sprintf("topic-%03d-value", i)
		if i >= 500 {
			subject = fmt.Sprintf("team%02d.orders-%04d-value", i%50, i)
		}
		for v := 1; v <= 10; v++ {
			if _, err := ts.srv.svc.Registry.Register(context.Background(), subject, schemaregistry.NewSchema{Schema: benchRecord(i, v)}, schemaregistry.RegisterOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("registered 5,000 subjects × 10 versions in %s", time.Since(start).Round(time.Second))
}

// fillCatalog imports ten documents: svc-0000 to svc-0009, in five domains and owned by three
// teams, each sending 50 messages (Event-000 to Event-499) on the channels fillSpans fills.
// The messages have no payload, so the import leaves the registry's subjects alone.
func fillCatalog(b *testing.B, ts *testServer) {
	for d := range 10 {
		var channels, operations []string
		for i := d * 50; i < (d+1)*50; i++ {
			channels = append(channels, fmt.Sprintf(`"topic-%03d": {"address": "topic-%03d", "messages": {"m": {"name": "Event-%03d", "x-eventlens-owner": "team-%d"}}}`, i, i, i, i%3))
			operations = append(operations, fmt.Sprintf(`"send%03d": {"action": "send", "channel": {"$ref": "#/channels/topic-%03d"}}`, i, i))
		}
		doc := fmt.Sprintf(`{"asyncapi": "3.0.0", "info": {"title": "svc-%04d", "version": "1.0.0",
			"x-eventlens-owner": "team-%d", "x-eventlens-domain": "domain-%d"},
			"channels": {%s}, "operations": {%s}}`, d, d%3, d%5, strings.Join(channels, ","), strings.Join(operations, ","))
		resp, body := ts.do(b, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc))
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("import svc-%04d: HTTP %d: %s", d, resp.StatusCode, body)
		}
	}
}

// fillSpans writes n spans over the last 24 hours through ingest, as OTLP would hand them over.
// Each message is one trace: svc-P produces it to topic-(P mod 500) and the four services
// consuming that topic process it, each a child of the producer span. That makes 1,000 services,
// 500 channels and 3,000 flows; every seventh consumer fails one message in ten.
func fillSpans(b *testing.B, ts *testServer, n int) {
	start := time.Now()
	end := start.Truncate(time.Minute)
	step := 24 * time.Hour / time.Duration(n/5+1)
	batch := make([]tracing.Span, 0, 10_000)
	flush := func() {
		if err := ts.Ingest.Ingest(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		batch = batch[:0]
	}
	for msg := 0; msg*5 < n; msg++ {
		at := end.Add(-24*time.Hour + time.Duration(msg)*step)
		p := msg % 1000
		topic := p % 500
		channel := tracing.Channel{System: "kafka", Destination: fmt.Sprintf("topic-%03d", topic)}
		var trace tracing.TraceID
		binary.BigEndian.PutUint64(trace[8:], uint64(msg+1))
		span := func(i int, service string, started time.Time, took time.Duration, m *tracing.Messaging) tracing.Span {
			s := tracing.Span{TraceID: trace, Service: service, StartNanos: started.UnixNano(), EndNanos: started.Add(took).UnixNano(),
				Attributes: []byte(`{"messaging.system":"kafka"}`), Messaging: m}
			binary.BigEndian.PutUint64(s.SpanID[:], uint64(i+1))
			return s
		}
		prod := span(0, fmt.Sprintf("svc-%04d", p), at, 2*time.Millisecond,
			&tracing.Messaging{Role: tracing.RoleProducer, Operation: "send", Channel: channel, Messages: 1})
		prod.Kind, prod.Name = tracing.KindProducer, "send "+channel.Destination
		batch = append(batch, prod)
		for i, c := range []int{(topic + 499) % 500, (topic+499)%500 + 500, (topic + 493) % 500, (topic+493)%500 + 500} {
			svc := fmt.Sprintf("svc-%04d", c)
			m := &tracing.Messaging{Role: tracing.RoleConsumer, Operation: "process", Channel: channel, ConsumerGroup: svc, Messages: 1,
				Error: c%7 == 0 && msg%10 == 0}
			s := span(i+1, svc, at.Add(time.Duration(20+c%200)*time.Millisecond), time.Duration(1+c%40)*time.Millisecond, m)
			s.Kind, s.Name, s.ParentSpanID = tracing.KindConsumer, "process "+channel.Destination, prod.SpanID
			if m.Error {
				s.StatusCode, s.StatusMessage = tracing.StatusError, "boom"
			}
			batch = append(batch, s)
		}
		if len(batch) >= 10_000 {
			flush()
		}
	}
	flush()
	counts, err := ts.Ingest.Counts(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("ingested %d spans on %d flows in %s", counts.Spans, counts.Flows, time.Since(start).Round(time.Second))
}
