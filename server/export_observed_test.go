package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/eventlens/eventlens/catalog/asyncapitest"
)

// observedExport is what TestExportWithObservedFlows reads of an export.
type observedExport struct {
	Info struct {
		Title    string `json:"title"`
		Observed bool   `json:"x-eventlens-observed"`
	} `json:"info"`
	Channels map[string]struct {
		Address  string `json:"address"`
		Observed bool   `json:"x-eventlens-observed"`
	} `json:"channels"`
	Operations map[string]struct {
		Action  string `json:"action"`
		Channel struct {
			Ref string `json:"$ref"`
		} `json:"channel"`
		Service  string `json:"x-eventlens-service"`
		Observed bool   `json:"x-eventlens-observed"`
	} `json:"operations"`
}

// exportObserved exports query as JSON and YAML, validates both, and writes each operation as
// "[service ]action address[ observed]" and each channel as "address[ observed]", sorted.
func (ts *testServer) exportObserved(t *testing.T, query string) (ops, channels []string, doc observedExport) {
	t.Helper()
	for _, format := range []string{"yaml", "json"} {
		resp, body := ts.do(t, http.MethodGet, "/api/catalog/asyncapi?format="+format+query, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("export %s %s: %d %s", query, format, resp.StatusCode, body)
		}
		asyncapitest.Validate(t, "export "+query+" "+format, []byte(body))
		if format == "json" {
			if err := json.Unmarshal([]byte(body), &doc); err != nil {
				t.Fatalf("%v:\n%s", err, body)
			}
		}
	}
	mark := func(s string, observed bool) string {
		if observed {
			return s + " observed"
		}
		return s
	}
	for key, op := range doc.Operations {
		chKey := strings.TrimPrefix(op.Channel.Ref, "#/channels/")
		ch, ok := doc.Channels[chKey]
		if !ok {
			t.Errorf("operation %s: channel %s is not in the document", key, op.Channel.Ref)
		}
		s := fmt.Sprintf("%s %s", op.Action, ch.Address)
		if op.Service != "" {
			s = op.Service + " " + s
		}
		ops = append(ops, mark(s, op.Observed))
	}
	for _, ch := range doc.Channels {
		channels = append(channels, mark(ch.Address, ch.Observed))
	}
	slices.Sort(ops)
	slices.Sort(channels)
	return ops, channels, doc
}

func wantList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestExportWithObservedFlows exports services and the whole catalog after spans showed flows the
// documents do not describe: those appear as operations (and channels) marked
// x-eventlens-observed, and the documents stay valid AsyncAPI 3.0.
func TestExportWithObservedFlows(t *testing.T) {
	ts := startServer(t)
	spans := &spanSender{t: t, url: ts.URL, providers: map[string]*sdktrace.TracerProvider{}}
	ts.importDoc(t, driftDoc("orders", []string{"placed:orders.placed"}, nil))
	ts.importDoc(t, driftDoc("payments", nil, []string{"placed:orders.placed:payments"}))

	// Without spans, the export is what the documents say.
	ops, channels, _ := ts.exportObserved(t, "&service=orders")
	wantList(t, "orders before spans: operations", ops, "send orders.placed")
	wantList(t, "orders before spans: channels", channels, "orders.placed")

	seen := time.Now().UTC().Add(-time.Minute)
	spans.send("orders", seen, trace.SpanKindProducer, produce("orders.placed")...)
	spans.send("payments", seen, trace.SpanKindConsumer, consume("kafka", "orders.placed", "payments")...)
	// Undocumented: a consumer of a documented channel, and a channel no document describes.
	spans.send("fraud", seen, trace.SpanKindConsumer, consume("kafka", "orders.placed", "fraud")...)
	spans.send("orders", seen, trace.SpanKindProducer, produce("orders.audit")...)
	spans.send("payments", seen, trace.SpanKindConsumer, consume("kafka", "orders.audit", "payments-audit")...)
	// Outside the 7-day window: not exported.
	spans.send("orders", seen.Add(-8*24*time.Hour), trace.SpanKindProducer, produce("orders.archived")...)

	ops, channels, doc := ts.exportObserved(t, "&service=orders")
	wantList(t, "orders: operations", ops, "send orders.audit observed", "send orders.placed")
	wantList(t, "orders: channels", channels, "orders.audit observed", "orders.placed")
	if doc.Info.Title != "orders" || doc.Info.Observed {
		t.Errorf("orders: info %+v", doc.Info)
	}

	ops, channels, _ = ts.exportObserved(t, "&service=payments")
	wantList(t, "payments: operations", ops, "receive orders.audit observed", "receive orders.placed")
	wantList(t, "payments: channels", channels, "orders.audit observed", "orders.placed")

	// A service only traces know.
	ops, channels, doc = ts.exportObserved(t, "&service=fraud")
	wantList(t, "fraud: operations", ops, "receive orders.placed observed")
	wantList(t, "fraud: channels", channels, "orders.placed")
	if doc.Info.Title != "fraud" || !doc.Info.Observed {
		t.Errorf("fraud: info %+v", doc.Info)
	}

	ops, channels, _ = ts.exportObserved(t, "")
	wantList(t, "whole catalog: operations", ops,
		"fraud receive orders.placed observed",
		"orders send orders.audit observed",
		"orders send orders.placed",
		"payments receive orders.audit observed",
		"payments receive orders.placed",
	)
	wantList(t, "whole catalog: channels", channels, "orders.audit observed", "orders.placed")

	if resp, body := ts.do(t, http.MethodGet, "/api/catalog/asyncapi?service=nobody", "", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown service: %d %s", resp.StatusCode, body)
	}

	// Re-importing the export documents what was observed.
	_, body := ts.do(t, http.MethodGet, "/api/catalog/asyncapi?service="+url.QueryEscape("orders"), "", nil)
	ts.importDoc(t, body)
	ops, channels, _ = ts.exportObserved(t, "&service=orders")
	wantList(t, "orders after re-import: operations", ops, "send orders.audit", "send orders.placed")
	wantList(t, "orders after re-import: channels", channels, "orders.audit", "orders.placed")
}
