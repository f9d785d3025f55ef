package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/eventlens/eventlens/storage/storagetest"
	"github.com/eventlens/eventlens/tracing"
)

// otlpJSON is an OTLP/JSON request as the JavaScript exporter writes it: hex ids, string int64s.
// It holds one producer span of service "orders" to kafka topic "orders" and one consumer span of
// service "billing" (group "billing") linking to it, 1.5s later.
func otlpJSON(traceHex string, start time.Time) string {
	ns := func(t time.Time) string { return fmt.Sprint(t.UnixNano()) }
	c := start.Add(1500 * time.Millisecond)
	return `{"resourceSpans":[
 {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},
  "scopeSpans":[{"spans":[{"traceId":"` + traceHex + `","spanId":"a1a2a3a4a5a6a7a8","name":"orders send","kind":4,
   "startTimeUnixNano":"` + ns(start) + `","endTimeUnixNano":"` + ns(start.Add(time.Millisecond)) + `",
   "attributes":[{"key":"messaging.system","value":{"stringValue":"kafka"}},
    {"key":"messaging.operation.type","value":{"stringValue":"send"}},
    {"key":"messaging.destination.name","value":{"stringValue":"orders"}}]}]}]},
 {"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"billing"}}]},
  "scopeSpans":[{"spans":[{"traceId":"` + traceHex[:30] + `ff","spanId":"b1b2b3b4b5b6b7b8","name":"orders process","kind":5,
   "startTimeUnixNano":"` + ns(c) + `","endTimeUnixNano":"` + ns(c.Add(20*time.Millisecond)) + `",
   "links":[{"traceId":"` + traceHex + `","spanId":"a1a2a3a4a5a6a7a8"}],
   "attributes":[{"key":"messaging.system","value":{"stringValue":"kafka"}},
    {"key":"messaging.operation.type","value":{"stringValue":"process"}},
    {"key":"messaging.destination.name","value":{"stringValue":"orders"}},
    {"key":"messaging.consumer.group.name","value":{"stringValue":"billing"}},
    {"key":"messaging.message.schema.id","value":{"stringValue":"42"}},
    {"key":"messaging.message.schema.version","value":{"intValue":"3"}}]}]}]}]}`
}

// otlpProtobuf is otlpJSON encoded as protobuf.
func otlpProtobuf(t testing.TB, traceHex string, start time.Time) []byte {
	t.Helper()
	var u ptrace.JSONUnmarshaler
	td, err := u.UnmarshalTraces([]byte(otlpJSON(traceHex, start)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// postOTLP sends an OTLP/HTTP request and returns the response with its body.
func (ts *testServer) postOTLP(t testing.TB, contentType, encoding string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if encoding != "" {
		req.Header.Set("Content-Encoding", encoding)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// flows fetches /api/flows with the query and decodes it.
func (ts *testServer) flows(t testing.TB, query string) flowsResponse {
	t.Helper()
	resp, body := ts.do(t, "GET", "/api/flows?"+query, "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/flows?%s: %d %s", query, resp.StatusCode, body)
	}
	var fr flowsResponse
	if err := json.Unmarshal([]byte(body), &fr); err != nil {
		t.Fatal(err)
	}
	return fr
}

func (ts *testServer) health(t testing.TB) tracing.HealthReport {
	t.Helper()
	resp, body := ts.do(t, "GET", "/api/health", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /api/health: %d %s", resp.StatusCode, body)
	}
	var hr tracing.HealthReport
	if err := json.Unmarshal([]byte(body), &hr); err != nil {
		t.Fatal(err)
	}
	return hr
}

// edge is a flow reduced to what tests compare.
type edge struct {
	Direction, Service, Channel, Group string
	Messages, Errors, Delays           int64
}

func edges(fr flowsResponse) []edge {
	var out []edge
	for _, f := range fr.Flows {
		out = append(out, edge{f.Direction, f.Service, f.ChannelKey, f.ConsumerGroup, f.Messages, f.Errors, f.Delays})
	}
	return out
}

func TestOTLPHandMadeBodies(t *testing.T) {
	ts := startServer(t)
	// A minute back, so the consumer span 1.5 s later is in the past too: a span in the future
	// can fall in a minute bucket after "now" and out of the flows window.
	now := time.Now().Add(-time.Minute)
	tests := []struct {
		name, contentType, encoding string
		body                        []byte
	}{
		{"json", "application/json", "", []byte(otlpJSON("0102030405060708090a0b0c0d0e0f10", now))},
		{"json gzip", "application/json; charset=utf-8", "gzip", gzipped(t, []byte(otlpJSON("1102030405060708090a0b0c0d0e0f10", now)))},
		{"protobuf", "application/x-protobuf", "", otlpProtobuf(t, "2102030405060708090a0b0c0d0e0f10", now)},
		{"protobuf gzip", "application/x-protobuf", "gzip", gzipped(t, otlpProtobuf(t, "3102030405060708090a0b0c0d0e0f10", now))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ts.postOTLP(t, tt.contentType, tt.encoding, tt.body)
			wantType := strings.Split(tt.contentType, ";")[0]
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != wantType {
				t.Fatalf("status %d, content type %q, body %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			r := ptraceotlp.NewExportResponse()
			var err error
			if wantType == "application/json" {
				err = r.UnmarshalJSON(body)
			} else {
				err = r.UnmarshalProto(body)
			}
			if err != nil || r.PartialSuccess().RejectedSpans() != 0 {
				t.Fatalf("response %q: %v, rejected %d", body, err, r.PartialSuccess().RejectedSpans())
			}
		})
	}
	got := edges(ts.flows(t, "since=1h"))
	want := []edge{
		{"produce", "orders", "kafka/orders", "", 4, 0, 0},
		{"consume", "billing", "kafka/orders", "billing", 4, 0, 4},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("flows:\n got %+v\nwant %+v", got, want)
	}
	fr := ts.flows(t, "since=1h&service=billing")
	if len(fr.Flows) != 1 || fr.Flows[0].SchemaID != "42" || fr.Flows[0].SchemaVersion != "3" {
		t.Fatalf("billing flow lacks its schema id and version: %+v", fr.Flows)
	}
	if d := fr.Flows[0].DelayP95Ms; d == nil || *d < 1000 || *d > 2500 {
		t.Fatalf("billing p95 delay %v, want about 1500ms", d)
	}
	hr := ts.health(t)
	if len(hr.Consumers) != 1 || hr.Consumers[0].Service != "billing" || hr.Consumers[0].Status != tracing.StatusHealthy || hr.Consumers[0].Messages != 4 {
		t.Fatalf("health: %+v", hr)
	}
	counts, err := ts.Ingest.Counts(context.Background())
	if err != nil || counts.Spans != 8 || counts.Flows != 2 {
		t.Fatalf("counts %+v, %v", counts, err)
	}
}

// rpcStatus decodes an OTLP error body, a google.rpc.Status in the response's encoding.
func rpcStatus(t *testing.T, resp *http.Response, body []byte) *spb.Status {
	t.Helper()
	st := &spb.Status{}
	var err error
	switch resp.Header.Get("Content-Type") {
	case "application/json":
		err = protojson.Unmarshal(body, st)
	case "application/x-protobuf":
		err = proto.Unmarshal(body, st)
	default:
		t.Fatalf("error body in content type %q: %q", resp.Header.Get("Content-Type"), body)
	}
	if err != nil {
		t.Fatalf("error body %q is not a google.rpc.Status: %v", body, err)
	}
	return st
}

func TestOTLPRefusesBadRequests(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.OTLP.MaxBody = "64K" })
	good := otlpProtobuf(t, "0102030405060708090a0b0c0d0e0f10", time.Now())
	bomb := gzipped(t, bytes.Repeat([]byte{0}, 10<<20)) // 10 MiB of zeros in ~10 KiB
	tests := []struct {
		name, contentType, encoding string
		body                        []byte
		status                      int
		wantMessage                 string
	}{
		{"other content type", "text/plain", "", []byte("hello"), 415, "unsupported content type"},
		{"no content type", "", "", good, 415, "unsupported content type"},
		{"other content encoding", "application/x-protobuf", "br", good, 415, "unsupported content encoding"},
		{"truncated protobuf", "application/x-protobuf", "", good[:len(good)/2], 400, "malformed OTLP protobuf"},
		{"garbage protobuf", "application/x-protobuf", "", []byte{0xff, 0xff, 0xff, 0xff}, 400, "malformed OTLP protobuf"},
		{"not JSON", "application/json", "", []byte("{\"resourceSpans\": [}"), 400, "malformed OTLP JSON"},
		{"invalid hex trace id", "application/json", "", []byte(otlpJSON("zz02030405060708090a0b0c0d0e0f10", time.Now())), 400, "malformed OTLP JSON"},
		{"trace id of the wrong length", "application/json", "", []byte(otlpJSON("0102030405060708090a0b0c0d0e0f1011", time.Now())), 400, "malformed OTLP JSON"},
		{"body that is not gzip", "application/json", "gzip", []byte("{}"), 400, "malformed gzip"},
		{"truncated gzip", "application/x-protobuf", "gzip", gzipped(t, good)[:40], 400, "reading body"},
		{"over the limit", "application/x-protobuf", "", bytes.Repeat(good, 200), 413, "larger than the limit"},
		{"gzip bomb", "application/x-protobuf", "gzip", bomb, 413, "once decompressed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := ts.postOTLP(t, tt.contentType, tt.encoding, tt.body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %q", resp.StatusCode, tt.status, body)
			}
			if st := rpcStatus(t, resp, body); !strings.Contains(st.Message, tt.wantMessage) {
				t.Fatalf("message %q lacks %q", st.Message, tt.wantMessage)
			}
		})
	}
	if resp, body := ts.do(t, "GET", "/healthz", "", nil); resp.StatusCode != 200 {
		t.Fatalf("server unwell after hostile input: %d %s", resp.StatusCode, body)
	}
	if c, _ := ts.Ingest.Counts(context.Background()); c.Spans != 0 {
		t.Fatalf("refused requests stored %d spans", c.Spans)
	}
}

func TestOTLPPartialSuccess(t *testing.T) {
	ts := startServer(t)
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	ok := spans.AppendEmpty()
	ok.SetName("fine")
	ok.SetTraceID([16]byte{1})
	ok.SetSpanID([8]byte{1})
	noTrace := spans.AppendEmpty()
	noTrace.SetName("no trace id")
	noTrace.SetSpanID([8]byte{2})
	huge := spans.AppendEmpty()
	huge.SetName("huge attribute")
	huge.SetTraceID([16]byte{1})
	huge.SetSpanID([8]byte{3})
	huge.Attributes().PutStr("payload", strings.Repeat("x", 100<<10))
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	resp, out := ts.postOTLP(t, "application/x-protobuf", "", body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %q", resp.StatusCode, out)
	}
	r := ptraceotlp.NewExportResponse()
	if err := r.UnmarshalProto(out); err != nil {
		t.Fatal(err)
	}
	ps := r.PartialSuccess()
	if ps.RejectedSpans() != 2 || !strings.Contains(ps.ErrorMessage(), "trace id is empty") || !strings.Contains(ps.ErrorMessage(), "more than the limit") {
		t.Fatalf("partial success: rejected %d, message %q", ps.RejectedSpans(), ps.ErrorMessage())
	}
	if c, _ := ts.Ingest.Counts(context.Background()); c.Spans != 1 {
		t.Fatalf("%d spans stored, want the 1 valid one", c.Spans)
	}
}

func TestOTLPSaturatedAnswersRetryAfter(t *testing.T) {
	// SQLite's one write lock, held from another connection, keeps the writer from committing.
	ts := startServerOn(t, storagetest.SQLite(t), tracing.Config{QueueSpans: 4, Keep: tracing.SpanKeep{All: true}})
	blocker, err := sql.Open("sqlite", "file:"+ts.DB.SQLite.Path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	conn, err := blocker.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	// Each request carries two spans: two requests fill the queue, the rest are refused.
	var wg sync.WaitGroup
	statuses := make([]int, 6)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := []byte(otlpJSON(fmt.Sprintf("%032x", i+1), time.Now()))
			resp, out := ts.postOTLP(t, "application/json", "", body)
			statuses[i] = resp.StatusCode
			if resp.StatusCode == 429 {
				if resp.Header.Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After")
				}
				if st := rpcStatus(t, resp, out); !strings.Contains(st.Message, "queue is full") {
					t.Errorf("429 message %q", st.Message)
				}
			}
		}()
		time.Sleep(50 * time.Millisecond) // let earlier requests take their place in the queue
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	acked, refused := 0, 0
	for _, s := range statuses {
		switch s {
		case 200:
			acked++
		case 429:
			refused++
		default:
			t.Errorf("unexpected status %d", s)
		}
	}
	if acked != 2 || refused != 4 {
		t.Fatalf("statuses %v: want 2 acknowledged and 4 refused", statuses)
	}
	if c, _ := ts.Ingest.Counts(context.Background()); c.Spans != int64(2*acked) {
		t.Fatalf("%d spans stored, %d acknowledged", c.Spans, 2*acked)
	}

	// Once ingest is closed (shutting down), requests get 503 with Retry-After.
	if err := ts.Ingest.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, out := ts.postOTLP(t, "application/x-protobuf", "", otlpProtobuf(t, "0102030405060708090a0b0c0d0e0f10", time.Now()))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("after close: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if st := rpcStatus(t, resp, out); !strings.Contains(st.Message, "shutting down") {
		t.Fatalf("503 message %q", st.Message)
	}
}

func TestOutOfOrderArrivalOverHTTP(t *testing.T) {
	// The same spans sent producer-first to one server and consumer-first to another. Trace ids
	// differ before their last byte, so the five consumer spans (in the trace id ending ff) are
	// five spans, not one sent five times.
	start := time.Now().Add(-time.Minute)
	var producers, consumers []string
	for i := range 5 {
		var doc struct {
			ResourceSpans []json.RawMessage `json:"resourceSpans"`
		}
		if err := json.Unmarshal([]byte(otlpJSON(fmt.Sprintf("%030x00", i+1), start.Add(time.Duration(i)*time.Second))), &doc); err != nil {
			t.Fatal(err)
		}
		producers = append(producers, `{"resourceSpans":[`+string(doc.ResourceSpans[0])+`]}`)
		consumers = append(consumers, `{"resourceSpans":[`+string(doc.ResourceSpans[1])+`]}`)
	}
	run := func(first, second []string) []edge {
		ts := startServer(t)
		for _, batch := range [][]string{first, second} {
			for _, body := range batch {
				if resp, out := ts.postOTLP(t, "application/json", "", []byte(body)); resp.StatusCode != 200 {
					t.Fatalf("%d %s", resp.StatusCode, out)
				}
			}
		}
		// On PostgreSQL a consumer waiting for its producer waits in the store, where the
		// writer pairs it within a second or so (any replica's producer may be the one).
		var got []edge
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			got = edges(ts.flows(t, "since=1h"))
			if len(got) == 2 && got[1].Delays == 5 || time.Now().After(deadline) {
				return got
			}
		}
	}
	inOrder, outOfOrder := run(producers, consumers), run(consumers, producers)
	if fmt.Sprint(inOrder) != fmt.Sprint(outOfOrder) {
		t.Fatalf("in order %+v\nout of order %+v", inOrder, outOfOrder)
	}
	if len(inOrder) != 2 || inOrder[1].Delays != 5 {
		t.Fatalf("want both edges and 5 paired consumers: %+v", inOrder)
	}
}

func TestFlowsAPIRefusesBadWindows(t *testing.T) {
	ts := startServer(t)
	for _, q := range []string{"since=yesterday", "until=-5m", "since=1h&until=2h"} {
		resp, body := ts.do(t, "GET", "/api/flows?"+q, "", nil)
		var e apiError
		if resp.StatusCode != 400 || json.Unmarshal([]byte(body), &e) != nil || e.ErrorCode != 400 || e.Message == "" {
			t.Errorf("GET /api/flows?%s: %d %s", q, resp.StatusCode, body)
		}
	}
	for _, q := range []string{"since=2025-06-01T00:00:00Z&until=2025-06-02T00:00:00Z", "since=1700000000", "since=24h&channel=kafka/orders"} {
		if resp, body := ts.do(t, "GET", "/api/flows?"+q, "", nil); resp.StatusCode != 200 {
			t.Errorf("GET /api/flows?%s: %d %s", q, resp.StatusCode, body)
		}
	}
}

// TestAccessLogKeepsAcceptedExportsQuiet checks accepted OTLP exports and probes log at debug
// level while refused exports and other requests still log at info, with the caller's trace id.
func TestAccessLogKeepsAcceptedExportsQuiet(t *testing.T) {
	var buf syncBuffer
	ts := startServer(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	if resp, body := ts.postOTLP(t, "application/json", "", []byte(otlpJSON("0102030405060708090a0b0c0d0e0f10", time.Now()))); resp.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", resp.StatusCode, body)
	}
	if resp, _ := ts.postOTLP(t, "application/json", "", []byte("{not json")); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("malformed export: %d, want 400", resp.StatusCode)
	}
	ts.do(t, http.MethodGet, "/readyz", "", nil)
	// A read that fails logs at info (one that succeeds is machine traffic, at debug).
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/subjects/missing/versions", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if resp, err := http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	// A line is written after its response went out: wait for the last one (a hang guard only).
	for deadline := time.Now().Add(time.Minute); !strings.Contains(buf.String(), "uri=/subjects/missing") && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	logs := buf.String()
	if n := strings.Count(logs, "uri=/v1/traces"); n != 1 || !strings.Contains(logs, "status=400") || !strings.Contains(logs, "uri=/subjects/missing/versions") || strings.Contains(logs, "uri=/readyz") ||
		!strings.Contains(logs, "trace_id=4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Errorf("want one info line for the refused export (status=400), none for the accepted one or /readyz, one for the failed read with the caller's trace id; got %d export lines:\n%s", n, logs)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines to write while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
