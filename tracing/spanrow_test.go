package tracing

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/eventlens/eventlens/migrations"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// A span's fields come back as they went in, whether its texts are in the dictionary, in place
// because the dictionary would not take them, or its attributes could not be split.
func TestSpanFieldsRoundTrip(t *testing.T) {
	long := strings.Repeat("x", maxTextLen+1)
	specs := []spanSpec{
		producer("orders", "orders", 1, 1, t0),
		consumer("billing", "billing", "orders", 1, 2, ref(1, 1), t0, time.Millisecond),
		{service: "web", kind: ptrace.SpanKindServer, trace: 2, span: 3, start: t0, duration: time.Second, statusError: true,
			attrs: map[string]any{"http.route": "/a", "url.path": long, long: "v", "quote\"d": "a\"b,c:{d}", "n": 3, "list": []any{"a", 1, true}}},
		{service: "web", kind: ptrace.SpanKindServer, trace: 3, span: 4, start: t0, duration: time.Second},
	}
	spans := decode(t, specs...)
	spans = append(spans, Span{Service: "raw", Name: "n", Attributes: []byte(`not an object`)}, Span{Service: "nul\x00", Name: "bad\xff"})
	for _, withDict := range []bool{true, false} {
		d := newTextDict()
		ptrs := make([]*Span, len(spans))
		for i := range spans {
			ptrs[i] = &spans[i]
		}
		entries := map[int64]textKey{}
		if withDict {
			keys := d.missing(ptrs)
			ids := make([]int64, len(keys))
			for i, k := range keys {
				ids[i] = int64(i + 1)
				entries[ids[i]] = k
				if len(k.key) > maxTextLen || len(k.value) > maxTextLen || strings.ContainsRune(k.value, 0) {
					t.Errorf("dictionary takes %+v", k)
				}
			}
			d.learn(keys, ids)
		}
		for _, s := range spans {
			b := d.appendFields(nil, &s)
			f, err := decodeFields(b, func(id int64) (textKey, bool) { k, ok := entries[id]; return k, ok })
			if err != nil {
				t.Fatalf("dictionary %v, %s: %v", withDict, s.Name, err)
			}
			var channel string
			if s.Messaging != nil {
				channel = s.Messaging.Channel.Key()
			}
			if f.service != s.Service || f.name != s.Name || f.channel != channel || f.message != s.StatusMessage {
				t.Errorf("dictionary %v: fields %+v of %+v", withDict, f, s)
			}
			if got, want := attributeText(f.attributes), attributeText(string(s.Attributes)); !maps.Equal(got, want) {
				t.Errorf("dictionary %v: attributes %q, want %q", withDict, got, want)
			}
		}
	}
}

// Hostile or damaged fields are refused with an error, never a panic.
func TestSpanFieldsMalformed(t *testing.T) {
	d := newTextDict()
	s := decode(t, producer("orders", "orders", 1, 1, t0))[0]
	good := d.appendFields(nil, &s)
	lookup := func(int64) (textKey, bool) { return textKey{}, false }
	for i := range good {
		if _, err := decodeFields(good[:i], lookup); err == nil && i < 4 {
			t.Errorf("%d bytes of %d decoded", i, len(good))
		}
	}
	for _, b := range [][]byte{{}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, {1, 0, 0, 0}, {0, 0, 0, 0, 9}, {0, 0, 0, 0, 0, 50}, {0, 0, 0, 0, 2, 200}} {
		if _, err := decodeFields(b, lookup); !errors.Is(err, errBadFields) {
			t.Errorf("%x: %v, want errBadFields", b, err)
		}
	}
}

// A store migrated from before migration 20 still shows the spans it stored then, and
// retention removes them.
func TestSpansStoredBeforeMigration20(t *testing.T) {
	db := storagetest.SQLite(t)
	ctx := context.Background()
	p, err := goose.NewProvider(goose.DialectSQLite3, db.SQLite.Write, migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 19); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-time.Minute)
	for _, q := range []string{
		`INSERT INTO span (id, trace_id, span_id, service, name, kind, start_ns, end_ns, status_code, status_message, channel, attributes, links)
			VALUES (1, x'00000000000000000000000000000007', x'0000000000000001', 'orders', 'send', 4, ?, ?, 2, 'boom', 'kafka//orders',
			'{"messaging.system":"kafka","n":3}', '[{"trace_id":"00000000000000000000000000000007","span_id":"0000000000000009"}]')`,
		`INSERT INTO span_batch (first_span, last_span, spans, min_start_ns, max_start_ns, committed_ns) VALUES (1, 1, 1, ?, ?, ?)`,
		`INSERT INTO trace_index (trace_id, first_span, start_ns) VALUES (x'00000000000000000000000000000007', 1, ?)`,
	} {
		if _, err := db.SQLite.Write.Exec(q, at.UnixNano(), at.UnixNano()+1000, at.UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	clk := newClock(time.Now())
	in := startIngest(t, db, Config{Now: clk.now, SpanRetention: time.Hour})
	ingest(t, in, decode(t, producer("orders", "orders", 7, 2, at)))
	spans, err := in.Trace(ctx, traceID(7))
	if err != nil || len(spans) != 2 {
		t.Fatalf("trace: %d spans, %v; want the old span and the new one", len(spans), err)
	}
	old := spans[0]
	if old.SpanID != spanID(1) {
		old = spans[1]
	}
	if old.Service != "orders" || old.Channel != "kafka//orders" || old.StatusMessage != "boom" || old.Attributes["n"] != "3" ||
		len(old.Links) != 1 || old.Links[0].SpanID != spanID(9) || old.Duration() != 1000 {
		t.Errorf("the span stored before: %+v", old)
	}
	if f := in.ErrorExamples(ExampleQuery{Service: "orders"}); len(f) != 1 || f[0].Message != "boom" {
		t.Errorf("failures after a restart: %+v, want the old failed span", f)
	}
	clk.add(2 * time.Hour)
	waitFor(t, func() bool {
		return storagetest.Int(t, db, "SELECT (SELECT count(*) FROM span_json) + (SELECT count(*) FROM span)") == 0
	})
}
