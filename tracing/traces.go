package tracing

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// ErrTraceNotFound means no stored span belongs to the trace asked for (it never came, or
// retention removed it).
var ErrTraceNotFound = errors.New("trace not found")

// ParseTraceID reads a trace id written as 32 hex digits.
func ParseTraceID(s string) (TraceID, error) {
	var t TraceID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(t) {
		return t, fmt.Errorf("trace id %q: want 32 hex digits", s)
	}
	copy(t[:], b)
	return t, nil
}

// StoredSpan is one span as the trace view shows it.
type StoredSpan struct {
	TraceID       TraceID
	SpanID        SpanID
	ParentSpanID  SpanID
	Service       string
	Name          string
	Kind          SpanKind
	Start, End    time.Time
	StatusCode    StatusCode
	StatusMessage string
	Channel       string            // the channel key of a messaging span, else ""
	Attributes    map[string]string // every attribute, values as text
	Links         []SpanRef
}

// Duration is how long the span took.
func (s StoredSpan) Duration() time.Duration { return s.End.Sub(s.Start) }

// traceHorizon bounds the spans of one trace: those that arrive more than this long after the
// trace's first messaging span are not looked for (the span table has no index on trace ids).
const traceHorizon = 15 * time.Minute

// traceScanFallback bounds the rowid range scanned when span_batch cannot narrow it.
const traceScanFallback = 200_000

// Trace returns the stored spans of one trace, by start time. Traces are found through
// trace_index (written once per trace that carries a messaging span), then read as a bounded
// rowid range of span: from the trace's first span to the last batch committed within
// traceHorizon of it.
func (in *Ingester) Trace(ctx context.Context, id TraceID) ([]StoredSpan, error) {
	var first, startNs int64
	err := in.db.Read.QueryRowContext(ctx, `SELECT first_span, start_ns FROM trace_index WHERE trace_id = ?`, id[:]).Scan(&first, &startNs)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("trace %s: %w", id, ErrTraceNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id, err)
	}
	var last sql.NullInt64
	err = in.db.Read.QueryRowContext(ctx, `SELECT max(last_span) FROM span_batch WHERE committed_ns BETWEEN ? AND ?`,
		startNs-int64(time.Minute), startNs+int64(traceHorizon)).Scan(&last)
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id, err)
	}
	upper := first + traceScanFallback
	if last.Valid && last.Int64 >= first {
		upper = last.Int64
	}
	// Spans of the trace may precede its first messaging span (a root HTTP span in the same
	// batch), so the scan starts a little earlier.
	lower := max(first-10_000, 0)
	rows, err := in.db.Read.QueryContext(ctx, `SELECT trace_id, span_id, coalesce(parent_span_id, x''), service, name, kind,
		start_ns, end_ns, status_code, coalesce(status_message, ''), coalesce(channel, ''), attributes, coalesce(links, '')
		FROM span WHERE id BETWEEN ? AND ? AND trace_id = ?`, lower, upper, id[:])
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id, err)
	}
	spans, err := scanSpans(rows)
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id, err)
	}
	if len(spans) == 0 {
		return nil, fmt.Errorf("trace %s: %w", id, ErrTraceNotFound)
	}
	slices.SortStableFunc(spans, func(a, b StoredSpan) int { return a.Start.Compare(b.Start) })
	return spans, nil
}

func scanSpans(rows *sql.Rows) ([]StoredSpan, error) {
	defer rows.Close()
	var out []StoredSpan
	for rows.Next() {
		var s StoredSpan
		var trace, span, parent []byte
		var kind, status int64
		var startNs, endNs int64
		var attrs, links string
		if err := rows.Scan(&trace, &span, &parent, &s.Service, &s.Name, &kind, &startNs, &endNs, &status,
			&s.StatusMessage, &s.Channel, &attrs, &links); err != nil {
			return nil, err
		}
		copy(s.TraceID[:], trace)
		copy(s.SpanID[:], span)
		copy(s.ParentSpanID[:], parent)
		s.Kind, s.StatusCode = SpanKind(kind), StatusCode(status)
		s.Start, s.End = time.Unix(0, startNs).UTC(), time.Unix(0, endNs).UTC()
		s.Attributes = attributeText(attrs)
		s.Links = parseLinks(links)
		out = append(out, s)
	}
	return out, rows.Err()
}

// attributeText decodes the stored attribute object, writing every value as text.
func attributeText(js string) map[string]string {
	var raw map[string]json.RawMessage
	if json.Unmarshal([]byte(js), &raw) != nil {
		return nil
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) == nil {
			out[k] = s
		} else {
			out[k] = string(v)
		}
	}
	return out
}

func parseLinks(js string) []SpanRef {
	if js == "" {
		return nil
	}
	var raw []struct {
		TraceID string `json:"trace_id"`
		SpanID  string `json:"span_id"`
	}
	if json.Unmarshal([]byte(js), &raw) != nil {
		return nil
	}
	var out []SpanRef
	for _, l := range raw {
		var r SpanRef
		t, err1 := hex.DecodeString(l.TraceID)
		s, err2 := hex.DecodeString(l.SpanID)
		if err1 != nil || err2 != nil || len(t) != 16 || len(s) != 8 {
			continue
		}
		copy(r.TraceID[:], t)
		copy(r.SpanID[:], s)
		out = append(out, r)
	}
	return out
}
