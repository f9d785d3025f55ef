package tracing

import (
	"context"
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

// Trace returns the stored spans of one trace, by start time. Traces are found through
// trace_index (written once per trace that carries a messaging span), then read as a bounded
// range of span: from just before the trace's first messaging span arrived to traceHorizon
// after.
func (in *Ingester) Trace(ctx context.Context, id TraceID) ([]StoredSpan, error) {
	spans, err := in.store.trace(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(spans) == 0 {
		return nil, errTraceNotFound(id)
	}
	slices.SortStableFunc(spans, func(a, b StoredSpan) int { return a.Start.Compare(b.Start) })
	return spans, nil
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
