// Package tracingtest builds the span traffic that ingest benchmarks and size measurements
// share, so their figures are of the same mix.
package tracingtest

import (
	"encoding/binary"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// BenchMix is the benchmark mix: n spans from 10 services, 30% of them messaging spans (20%
// Kafka producers, 10% consumers linked to a producer) and 70% HTTP server spans with 5
// attributes, each span in a trace of its own. seq makes the trace ids of one call unique.
func BenchMix(seq uint64, n int, now time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	for s := range 10 {
		rs := td.ResourceSpans().AppendEmpty()
		rs.Resource().Attributes().PutStr("service.name", fmt.Sprintf("service-%d", s))
		rs.Resource().Attributes().PutStr("host.name", "bench-host")
		spans := rs.ScopeSpans().AppendEmpty().Spans()
		for i := range n / 10 {
			sp := spans.AppendEmpty()
			var tid [16]byte
			binary.BigEndian.PutUint64(tid[:8], seq)
			binary.BigEndian.PutUint64(tid[8:], uint64(s*n+i+1))
			sp.SetTraceID(tid)
			sp.SetSpanID([8]byte{byte(s), byte(i), byte(i >> 8), 1, 2, 3, 4, 5})
			sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now))
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now.Add(time.Duration(i%50) * time.Millisecond)))
			a := sp.Attributes()
			switch {
			case i%10 < 2: // 20% producers
				sp.SetName("send orders")
				sp.SetKind(ptrace.SpanKindProducer)
				a.PutStr("messaging.system", "kafka")
				a.PutStr("messaging.operation.type", "send")
				a.PutStr("messaging.destination.name", fmt.Sprintf("topic-%d", s))
				a.PutStr("server.address", "kafka-1")
			case i%10 < 3: // 10% consumers, linked to a producer
				sp.SetName("process orders")
				sp.SetKind(ptrace.SpanKindConsumer)
				a.PutStr("messaging.system", "kafka")
				a.PutStr("messaging.operation.type", "process")
				a.PutStr("messaging.destination.name", fmt.Sprintf("topic-%d", (s+1)%10))
				a.PutStr("messaging.consumer.group.name", fmt.Sprintf("service-%d", s))
				a.PutStr("server.address", "kafka-1")
				l := sp.Links().AppendEmpty()
				l.SetTraceID(tid)
				l.SetSpanID([8]byte{byte(s), byte(i - 1), byte((i - 1) >> 8), 1, 2, 3, 4, 5})
			default:
				sp.SetName("GET /api/items/{id}")
				sp.SetKind(ptrace.SpanKindServer)
				a.PutStr("http.request.method", "GET")
				a.PutStr("http.route", "/api/items/{id}")
				a.PutInt("http.response.status_code", 200)
				a.PutStr("url.path", fmt.Sprintf("/api/items/%d", i))
				a.PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) bench")
			}
		}
	}
	return td
}
