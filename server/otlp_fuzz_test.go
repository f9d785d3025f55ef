package server

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/eventlens/eventlens/tracing"
)

// FuzzOTLPBody feeds arbitrary OTLP/HTTP bodies, gzipped or not, protobuf or JSON, through what
// POST /v1/traces does before ingest: read with the size limit before and after gunzip, decode,
// turn into spans. It must answer 400/413 or give spans, never panic, and never hold more than
// the limit in memory.
func FuzzOTLPBody(f *testing.F) {
	const limit = 64 << 10
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "orders")
	sp := rs.ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID([16]byte{1})
	sp.SetSpanID([8]byte{1})
	sp.SetName("orders send")
	sp.Attributes().PutStr("messaging.system", "kafka")
	sp.Attributes().PutStr("messaging.destination.name", "orders")
	pb, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		f.Fatal(err)
	}
	js, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		f.Fatal(err)
	}
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	f.Add(pb, false, false)
	f.Add(js, true, false)
	f.Add(gz(pb), false, true)
	f.Add(gz(js), true, true)
	f.Add(gz(js)[:20], true, true)                                   // truncated gzip
	f.Add(gz(make([]byte, 4*limit)), false, true)                    // a small bomb: over the limit once gunzipped
	f.Add(append(gz(pb), gz(js)...), false, true)                    // two gzip members
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, true, true) // a header and nothing else

	settings, err := newOTLPSettings(OTLPConfig{MaxBody: "64K"})
	if err != nil {
		f.Fatal(err)
	}
	s := &Server{otlp: settings}
	f.Fuzz(func(t *testing.T, body []byte, isJSON, gzipped bool) {
		req := httptest.NewRequest(http.MethodPost, otlpTracesPath, bytes.NewReader(body))
		if gzipped {
			req.Header.Set("Content-Encoding", "gzip")
		}
		enc := encodingProtobuf
		if isJSON {
			enc = encodingJSON
		}
		got, oerr := s.readOTLPBody(req)
		if oerr != nil {
			if oerr.status != http.StatusBadRequest && oerr.status != http.StatusRequestEntityTooLarge {
				t.Fatalf("read: status %d %q", oerr.status, oerr.message)
			}
			return
		}
		if len(got) > limit {
			t.Fatalf("%d bytes read, over the limit of %d", len(got), limit)
		}
		td, err := decodeTraces(enc, got)
		if err != nil {
			return
		}
		d, err := tracing.FromTraces(td, tracing.DecodeLimits{})
		if err != nil && !errors.Is(err, tracing.ErrTooManySpans) {
			t.Fatalf("FromTraces: %v", err)
		}
		if err == nil && len(d.Spans)+d.Rejected != td.SpanCount() {
			t.Fatalf("%d kept + %d rejected != %d spans", len(d.Spans), d.Rejected, td.SpanCount())
		}
	})
}
