package server

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// manyFlows is an export of n producers, each to its own topic, and n consumers of them: 2n
// flows and n consumers.
func manyFlows(b testing.TB, n int) []byte {
	td := ptrace.NewTraces()
	now := time.Now()
	for i := range n {
		for _, role := range []string{"send", "process"} {
			rs := td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("%s-%d", role, i))
			sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
			sp.SetTraceID([16]byte{byte(i), byte(i >> 8), 1})
			sp.SetSpanID([8]byte{byte(i), byte(i >> 8), byte(len(role))})
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Millisecond)))
			a := sp.Attributes()
			a.PutStr("messaging.system", "kafka")
			a.PutStr("messaging.operation.type", role)
			a.PutStr("messaging.destination.name", fmt.Sprintf("topic-%d", i))
			if role == "send" {
				sp.SetKind(ptrace.SpanKindProducer)
			} else {
				sp.SetKind(ptrace.SpanKindConsumer)
				a.PutStr("messaging.consumer.group.name", fmt.Sprintf("group-%d", i))
			}
		}
	}
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// BenchmarkMetricsScrape measures GET /metrics with 1,000 flows and 500 consumers (every
// series at the default cap), against GET /api/health on the same server as the baseline:
// both read the live windows, the scrape also the ingest stats and the drift.
//
//	go test -run '^$' -bench MetricsScrape -benchtime 200x ./server
func BenchmarkMetricsScrape(b *testing.B) {
	ts := startServer(b)
	if resp, body := ts.postOTLP(b, contentTypeProtobuf, "", manyFlows(b, 500)); resp.StatusCode != http.StatusOK {
		b.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	for _, path := range []string{"/api/health", "/metrics"} {
		b.Run(path, func(b *testing.B) {
			var bytes int64
			for b.Loop() {
				resp, err := http.Get(ts.URL + path)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d", path, resp.StatusCode)
				}
				bytes = n
			}
			b.ReportMetric(float64(bytes), "bytes/op")
		})
	}
}
