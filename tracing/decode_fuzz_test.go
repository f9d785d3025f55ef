package tracing

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// fuzzLimits are small, so the fuzzer reaches both limits.
var fuzzLimits = DecodeLimits{MaxSpans: 64, MaxAttributeBytes: 512}

// seedTraces are OTLP requests in the shapes real instrumentations send: current and older
// messaging conventions, links, nested and odd attribute values, invalid ids.
func seedTraces() []ptrace.Traces {
	t0 := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	var out []ptrace.Traces
	for _, specs := range [][]spanSpec{
		{producer("orders", "orders", 1, 1, t0), consumer("billing", "billing", "orders", 2, 2, ref(1, 1), t0, time.Millisecond)},
		{{service: "stock", kind: ptrace.SpanKindConsumer, trace: 1, span: 3, parent: 1, start: t0, duration: time.Second, statusError: true,
			attrs: map[string]any{"messaging.system": "kafka", "messaging.operation": "process", "messaging.destination": "orders",
				"messaging.destination_kind": "topic", "net.peer.name": "broker", "messaging.kafka.consumer.group": "stock",
				"messaging.batch.message_count": 3, "error.type": "timeout"}}},
		{{service: "", kind: ptrace.SpanKindClient, trace: 0, span: 0, start: t0,
			attrs: map[string]any{"nested": map[string]any{"list": []any{1, 2.5, true, "x\x00\"\\\u2028", nil}}, "bytes": []byte{0, 1, 2}}}},
		{{service: "emails", kind: ptrace.SpanKindClient, trace: 7, span: 7, start: t0.Add(time.Hour), duration: -time.Second,
			attrs: map[string]any{"messaging.system": "rabbitmq", "messaging.operation.type": "receive",
				"messaging.rabbitmq.destination.routing_key": "emails", "messaging.message.schema.id": "12"}}},
	} {
		td := ptrace.NewTraces()
		for _, s := range specs {
			rs := td.ResourceSpans().AppendEmpty()
			if s.service != "" {
				rs.Resource().Attributes().PutStr("service.name", s.service)
			}
			ps := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
			ps.SetName(s.service + " span")
			ps.SetKind(s.kind)
			if s.trace != 0 {
				ps.SetTraceID(pcommon.TraceID(traceID(s.trace)))
			}
			if s.span != 0 {
				ps.SetSpanID(pcommon.SpanID(spanID(s.span)))
			}
			if s.parent != 0 {
				ps.SetParentSpanID(pcommon.SpanID(spanID(s.parent)))
			}
			for _, l := range s.links {
				pl := ps.Links().AppendEmpty()
				pl.SetTraceID(pcommon.TraceID(l.TraceID))
				pl.SetSpanID(pcommon.SpanID(l.SpanID))
			}
			ps.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start))
			ps.SetEndTimestamp(pcommon.NewTimestampFromTime(s.start.Add(s.duration)))
			if s.statusError {
				ps.Status().SetCode(ptrace.StatusCodeError)
				ps.Status().SetMessage("failed")
			}
			if err := ps.Attributes().FromRaw(s.attrs); err != nil {
				panic(err)
			}
		}
		out = append(out, td)
	}
	return out
}

// checkDecoded holds for whatever FromTraces makes of a request: every span is accounted for,
// kept or rejected; kept spans have ids, attributes that are one valid JSON object within the
// limit, and an end not before their start.
func checkDecoded(t *testing.T, td ptrace.Traces) {
	d, err := FromTraces(td, fuzzLimits)
	if err != nil {
		if !errors.Is(err, ErrTooManySpans) || td.SpanCount() <= fuzzLimits.MaxSpans {
			t.Fatalf("FromTraces of %d spans: %v", td.SpanCount(), err)
		}
		return
	}
	if len(d.Spans)+d.Rejected != td.SpanCount() {
		t.Fatalf("%d spans kept and %d rejected of %d", len(d.Spans), d.Rejected, td.SpanCount())
	}
	if (d.Rejected > 0) != (d.RejectionMessage() != "") {
		t.Fatalf("%d rejected with message %q", d.Rejected, d.RejectionMessage())
	}
	for _, s := range d.Spans {
		if s.TraceID == (TraceID{}) || s.SpanID == (SpanID{}) {
			t.Fatalf("span kept with an empty id: %+v", s)
		}
		if len(s.Attributes) > fuzzLimits.MaxAttributeBytes {
			t.Fatalf("span kept with %d bytes of attributes", len(s.Attributes))
		}
		var attrs map[string]any
		if err := json.Unmarshal(s.Attributes, &attrs); err != nil {
			t.Fatalf("attributes are not a JSON object (%v): %s", err, s.Attributes)
		}
		if s.EndNanos < s.StartNanos {
			t.Fatalf("span ends before it starts: %d < %d", s.EndNanos, s.StartNanos)
		}
	}
}

// FuzzDecodeOTLPJSON feeds arbitrary OTLP/JSON bodies through the decoder the server uses
// (pdata's) and FromTraces: an error or spans, never a panic.
func FuzzDecodeOTLPJSON(f *testing.F) {
	for _, td := range seedTraces() {
		b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"0102030405060708"}]}]}]}`))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","startTimeUnixNano":"-1","endTimeUnixNano":18446744073709551615,"kind":99}]}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var u ptrace.JSONUnmarshaler
		td, err := u.UnmarshalTraces(body)
		if err != nil {
			return
		}
		checkDecoded(t, td)
	})
}

// FuzzDecodeOTLPProtobuf does the same for OTLP protobuf bodies (HTTP and gRPC).
func FuzzDecodeOTLPProtobuf(f *testing.F) {
	for _, td := range seedTraces() {
		b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0x0a, 0x80, 0x80, 0x80, 0x80, 0x10})
	f.Fuzz(func(t *testing.T, body []byte) {
		req := ptraceotlp.NewExportRequest()
		if err := req.UnmarshalProto(body); err != nil {
			return
		}
		checkDecoded(t, req.Traces())
	})
}
