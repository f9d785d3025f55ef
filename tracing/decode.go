package tracing

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// DecodeLimits bound what one OTLP request and each of its spans may carry. Zero fields take the
// value in DefaultDecodeLimits.
type DecodeLimits struct {
	MaxSpans          int // a request with more spans than this is refused whole (ErrTooManySpans)
	MaxAttributeBytes int // a span whose attributes encode to more JSON than this is rejected
}

// DefaultDecodeLimits are the limits used when none are configured. 20,000 spans is 40 times the
// OpenTelemetry SDK's default export batch (512) and over twice the collector's batch processor
// default (8,192); it keeps a request well under the default ingest queue (50,000 spans).
var DefaultDecodeLimits = DecodeLimits{MaxSpans: 20_000, MaxAttributeBytes: 64 << 10}

// ErrTooManySpans means a request carries more spans than DecodeLimits.MaxSpans; the client
// should send smaller batches.
var ErrTooManySpans = errors.New("too many spans in one request")

// Decoded is the result of turning one OTLP request into spans.
type Decoded struct {
	Spans    []Span
	Rejected int      // spans refused (OTLP partial success)
	Reasons  []string // why, for the first few refused spans
}

// RejectionMessage is the partial-success message for the refused spans, or "".
func (d Decoded) RejectionMessage() string {
	if d.Rejected == 0 {
		return ""
	}
	return fmt.Sprintf("%d span(s) rejected: %s", d.Rejected, strings.Join(d.Reasons, "; "))
}

const maxReasons = 3

// FromTraces decodes pdata traces (from OTLP protobuf, JSON or gRPC) into eventlens spans. Spans
// with invalid ids or oversized attributes are refused one by one, not the whole request; a
// request with more spans than the limit is refused whole with ErrTooManySpans.
func FromTraces(td ptrace.Traces, lim DecodeLimits) (Decoded, error) {
	if lim.MaxAttributeBytes <= 0 {
		lim.MaxAttributeBytes = DefaultDecodeLimits.MaxAttributeBytes
	}
	if lim.MaxSpans <= 0 {
		lim.MaxSpans = DefaultDecodeLimits.MaxSpans
	}
	if n := td.SpanCount(); n > lim.MaxSpans {
		return Decoded{}, fmt.Errorf("%w: %d spans, more than the limit of %d; send smaller batches", ErrTooManySpans, n, lim.MaxSpans)
	}
	out := Decoded{Spans: make([]Span, 0, td.SpanCount())}
	reject := func(reason string) {
		out.Rejected++
		if len(out.Reasons) < maxReasons {
			out.Reasons = append(out.Reasons, reason)
		}
	}
	var buf []byte
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		service := str(rs.Resource().Attributes(), "service.name")
		if service == "" {
			service = "unknown_service"
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				ps := spans.At(k)
				if ps.TraceID().IsEmpty() {
					reject(fmt.Sprintf("span %q: trace id is empty or all zeros", ps.Name()))
					continue
				}
				if ps.SpanID().IsEmpty() {
					reject(fmt.Sprintf("span %q in trace %s: span id is empty or all zeros", ps.Name(), ps.TraceID()))
					continue
				}
				buf = appendAttributes(buf[:0], ps.Attributes())
				if len(buf) > lim.MaxAttributeBytes {
					reject(fmt.Sprintf("span %s: attributes take %d bytes, more than the limit of %d", ps.SpanID(), len(buf), lim.MaxAttributeBytes))
					continue
				}
				out.Spans = append(out.Spans, toSpan(ps, service, buf))
			}
		}
	}
	return out, nil
}

func toSpan(ps ptrace.Span, service string, attrs []byte) Span {
	s := Span{
		TraceID:       TraceID(ps.TraceID()),
		SpanID:        SpanID(ps.SpanID()),
		ParentSpanID:  SpanID(ps.ParentSpanID()),
		Service:       service,
		Name:          ps.Name(),
		Kind:          SpanKind(ps.Kind()),
		StartNanos:    int64(ps.StartTimestamp()),
		EndNanos:      int64(ps.EndTimestamp()),
		StatusCode:    StatusCode(ps.Status().Code()),
		StatusMessage: ps.Status().Message(),
		Attributes:    append([]byte(nil), attrs...),
	}
	if s.EndNanos < s.StartNanos {
		s.EndNanos = s.StartNanos
	}
	if links := ps.Links(); links.Len() > 0 {
		s.Links = make([]SpanRef, 0, links.Len())
		for i := 0; i < links.Len(); i++ {
			l := links.At(i)
			if !l.TraceID().IsEmpty() && !l.SpanID().IsEmpty() {
				s.Links = append(s.Links, SpanRef{TraceID: TraceID(l.TraceID()), SpanID: SpanID(l.SpanID())})
			}
		}
	}
	s.Messaging = recognizeMessaging(s.Kind, s.Name, s.StatusCode, ps.Attributes(), ps.TraceState().AsRaw())
	return s
}

// appendAttributes writes attrs as one JSON object.
func appendAttributes(b []byte, attrs pcommon.Map) []byte {
	b = append(b, '{')
	first := true
	attrs.Range(func(k string, v pcommon.Value) bool {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendValue(b, v)
		return true
	})
	return append(b, '}')
}

func appendValue(b []byte, v pcommon.Value) []byte {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return appendJSONString(b, v.Str())
	case pcommon.ValueTypeInt:
		return strconv.AppendInt(b, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		f := v.Double()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return appendJSONString(b, strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case pcommon.ValueTypeBool:
		return strconv.AppendBool(b, v.Bool())
	case pcommon.ValueTypeBytes:
		return appendJSONString(b, base64.StdEncoding.EncodeToString(v.Bytes().AsRaw()))
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		b = append(b, '[')
		for i := 0; i < s.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendValue(b, s.At(i))
		}
		return append(b, ']')
	case pcommon.ValueTypeMap:
		return appendAttributes(b, v.Map())
	}
	return append(b, "null"...)
}

// appendJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
