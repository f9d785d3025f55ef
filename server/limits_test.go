package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/eventlens/eventlens/tracing"
)

// tracesWith is one resource with n spans, each with an attribute of attrBytes bytes.
func tracesWith(n, attrBytes int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "orders")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	for i := range n {
		sp := spans.AppendEmpty()
		sp.SetTraceID([16]byte{1, byte(n), byte(attrBytes)})
		sp.SetSpanID([8]byte{1, byte(i + 1)})
		sp.SetName("orders send")
		sp.SetStartTimestamp(1)
		sp.SetEndTimestamp(2)
		sp.Attributes().PutStr("payload", strings.Repeat("x", attrBytes))
	}
	return td
}

func TestOTLPSpansPerRequestLimit(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.OTLP.Limits = tracing.DecodeLimits{MaxSpans: 5} })
	body := func(n int) []byte {
		b, err := ptraceotlp.NewExportRequestFromTraces(tracesWith(n, 1)).MarshalProto()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if resp, b := ts.postOTLP(t, contentTypeProtobuf, "", body(5)); resp.StatusCode != 200 {
		t.Fatalf("5 spans with a limit of 5: %d %q", resp.StatusCode, b)
	}
	resp, b := ts.postOTLP(t, contentTypeProtobuf, "", body(6))
	if st := rpcStatus(t, resp, b); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(st.Message, "more than the limit of 5") {
		t.Fatalf("6 spans with a limit of 5: %d %q", resp.StatusCode, st.Message)
	}
	if n := countSpans(t, ts); n != 5 {
		t.Fatalf("%d spans stored, want 5", n)
	}

	// gRPC refuses it whole too, as a request the client must not retry unchanged.
	conn, err := grpc.NewClient(ts.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = ptraceotlp.NewGRPCClient(conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(tracesWith(6, 2)))
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("6 spans over gRPC: %v, want InvalidArgument", err)
	}
}

func TestOTLPSpanAttributesLimit(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.OTLP.Limits = tracing.DecodeLimits{MaxAttributeBytes: 100} })
	td := tracesWith(1, 10)
	rs := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	tracesWith(1, 200).ResourceSpans().At(0).ScopeSpans().At(0).Spans().MoveAndAppendTo(rs)
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	resp, out := ts.postOTLP(t, contentTypeProtobuf, "", b)
	if resp.StatusCode != 200 {
		t.Fatalf("%d %q", resp.StatusCode, out)
	}
	er := ptraceotlp.NewExportResponse()
	if err := er.UnmarshalProto(out); err != nil {
		t.Fatal(err)
	}
	if ps := er.PartialSuccess(); ps.RejectedSpans() != 1 || !strings.Contains(ps.ErrorMessage(), "more than the limit of 100") {
		t.Fatalf("partial success: %d %q", ps.RejectedSpans(), ps.ErrorMessage())
	}
	if n := countSpans(t, ts); n != 1 {
		t.Fatalf("%d spans stored, want 1", n)
	}
}

func TestAsyncAPIDocumentSizeLimit(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.AsyncAPIMaxBytes = "1K" })
	doc := func(pad int) string {
		return fmt.Sprintf("asyncapi: 3.0.0\ninfo:\n  title: Sized\n  version: 1.0.0\n  description: %s\n", strings.Repeat("x", pad))
	}
	if resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc(10))); resp.StatusCode != 200 {
		t.Fatalf("small document: %d %s", resp.StatusCode, body)
	}
	resp, body := ts.do(t, http.MethodPost, "/api/catalog/asyncapi", "", strings.NewReader(doc(1024)))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "over 1000 bytes") {
		t.Fatalf("document over 1K: %d %s", resp.StatusCode, body)
	}
	if _, err := New(Config{AsyncAPIMaxBytes: "lots"}, Services{}); err == nil || !strings.Contains(err.Error(), "AsyncAPI document limit") {
		t.Fatalf("bad limit: %v", err)
	}
}

// TestOTLPGRPCWriteRate: OTLP/gRPC exports take from the same per-key (or per-address) write
// budget as HTTP writes; over it they get RESOURCE_EXHAUSTED with RetryInfo.
func TestOTLPGRPCWriteRate(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.WriteRate, c.WriteBurst = 0.001, 2 })
	conn, err := grpc.NewClient(ts.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Without keys the budget is the client address's, addressFactor times a key's.
	for i := range 2 * addressFactor {
		if _, err := client.Export(ctx, ptraceotlp.NewExportRequestFromTraces(tracesWith(1, i))); err != nil {
			t.Fatalf("export %d within the burst: %v", i, err)
		}
	}
	_, err = client.Export(ctx, ptraceotlp.NewExportRequestFromTraces(tracesWith(1, 2*addressFactor+1)))
	st := status.Convert(err)
	if st.Code() != codes.ResourceExhausted || len(st.Details()) != 1 {
		t.Fatalf("export over the write rate: %v (details %v), want ResourceExhausted with RetryInfo", err, st.Details())
	}
}
