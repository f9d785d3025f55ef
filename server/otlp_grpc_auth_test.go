package server

import (
	"context"
	"encoding/base64"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/eventlens/eventlens/apikeys"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// TestOTLPGRPCNeedsAWriteKey sends spans with the OpenTelemetry SDK's otlptracegrpc exporter
// once API keys exist: without headers, with a wrong key and with a read key it is refused
// (Unauthenticated, PermissionDenied) and nothing is stored; with a write key as Bearer (an
// exporter's headers setting) or an admin key as Basic its spans are stored.
func TestOTLPGRPCNeedsAWriteKey(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	secrets, ids := map[apikeys.Role]string{}, map[apikeys.Role]string{}
	for _, role := range []apikeys.Role{apikeys.RoleRead, apikeys.RoleWrite, apikeys.RoleAdmin} {
		key, secret, err := ts.srv.svc.Keys.Create(ctx, role.String()+"-key", role)
		if err != nil {
			t.Fatal(err)
		}
		secrets[role], ids[role] = secret, key.ID
	}
	basic := func(id, secret string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
	}
	tests := []struct {
		name    string
		headers map[string]string
		want    codes.Code
	}{
		{"no headers", nil, codes.Unauthenticated},
		{"wrong bearer", map[string]string{"authorization": "Bearer not-a-key"}, codes.Unauthenticated},
		{"unknown scheme", map[string]string{"authorization": "Token " + secrets[apikeys.RoleWrite]}, codes.Unauthenticated},
		{"basic with the wrong id", map[string]string{"authorization": basic(ids[apikeys.RoleRead], secrets[apikeys.RoleWrite])}, codes.Unauthenticated},
		{"read key", map[string]string{"authorization": "Bearer " + secrets[apikeys.RoleRead]}, codes.PermissionDenied},
		{"write key as bearer", map[string]string{"authorization": "Bearer " + secrets[apikeys.RoleWrite]}, codes.OK},
		{"admin key as basic", map[string]string{"Authorization": basic(ids[apikeys.RoleAdmin], secrets[apikeys.RoleAdmin])}, codes.OK},
	}
	stored := 0
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := []otlptracegrpc.Option{otlptracegrpc.WithEndpoint(ts.GRPCAddr), otlptracegrpc.WithInsecure(),
				otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false})}
			if tt.headers != nil {
				opts = append(opts, otlptracegrpc.WithHeaders(tt.headers))
			}
			exp, err := otlptracegrpc.New(ctx, opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer exp.Shutdown(ctx)
			err = exp.ExportSpans(ctx, testSpans(i, 3))
			if got := status.Code(err); got != tt.want {
				t.Fatalf("export: code %s (%v), want %s", got, err, tt.want)
			}
			if tt.want == codes.OK {
				stored += 3
			}
			if n := countSpans(t, ts); n != stored {
				t.Fatalf("%d spans stored, want %d", n, stored)
			}
		})
	}
}

// TestOTLPGRPCWithoutKeysIsOpen: no keys, no headers needed (the server listens on loopback only).
func TestOTLPGRPCWithoutKeysIsOpen(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	exp, err := otlptracegrpc.New(ctx, otlptracegrpc.WithEndpoint(ts.GRPCAddr), otlptracegrpc.WithInsecure())
	if err != nil {
		t.Fatal(err)
	}
	defer exp.Shutdown(ctx)
	if err := exp.ExportSpans(ctx, testSpans(1, 2)); err != nil {
		t.Fatalf("export without keys configured: %v", err)
	}
	if n := countSpans(t, ts); n != 2 {
		t.Fatalf("%d spans stored, want 2", n)
	}
}

// testSpans returns n finished spans of one trace numbered by seed.
func testSpans(seed, n int) []sdktrace.ReadOnlySpan {
	now := time.Now()
	var stubs tracetest.SpanStubs
	for i := range n {
		stubs = append(stubs, tracetest.SpanStub{
			Name: "orders send",
			SpanContext: trace.NewSpanContext(trace.SpanContextConfig{
				TraceID: trace.TraceID{0: 1, 15: byte(seed + 1)}, SpanID: trace.SpanID{7: byte(i + 1)}, TraceFlags: trace.FlagsSampled}),
			SpanKind:  trace.SpanKindProducer,
			StartTime: now, EndTime: now.Add(time.Millisecond),
		})
	}
	return stubs.Snapshots()
}

func countSpans(t *testing.T, ts *testServer) int {
	t.Helper()
	return int(storagetest.Int(t, ts.DB, "SELECT count(*) FROM span"))
}
