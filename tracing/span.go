package tracing

import (
	"encoding/hex"
	"fmt"
)

// Span is eventlens' own model of one OpenTelemetry span: only what flows, health and trace
// lookups need. The OTLP wire format is decoded into it at the edge (see FromTraces).
type Span struct {
	TraceID       TraceID
	SpanID        SpanID
	ParentSpanID  SpanID // zero for a root span
	Service       string // the resource's service.name
	Name          string
	Kind          SpanKind
	StartNanos    int64 // unix nanoseconds
	EndNanos      int64
	StatusCode    StatusCode
	StatusMessage string
	Attributes    []byte    // the span's attributes as one JSON object
	Links         []SpanRef // spans this one links to (a consumer's links point at producers)
	Messaging     *Messaging
}

// Ref is the span's own reference, as other spans link to it.
func (s *Span) Ref() SpanRef { return SpanRef{TraceID: s.TraceID, SpanID: s.SpanID} }

// TraceID and SpanID are OpenTelemetry ids; the zero value means "none".
type (
	TraceID [16]byte
	SpanID  [8]byte
)

func (t TraceID) String() string { return hex.EncodeToString(t[:]) }
func (s SpanID) String() string  { return hex.EncodeToString(s[:]) }

// IsZero reports whether the id is the invalid all-zero id.
func (t TraceID) IsZero() bool { return t == TraceID{} }

// IsZero reports whether the id is the invalid all-zero id.
func (s SpanID) IsZero() bool { return s == SpanID{} }

// SpanRef points at one span.
type SpanRef struct {
	TraceID TraceID
	SpanID  SpanID
}

// SpanKind is OTLP's span kind, with the same numbers.
type SpanKind uint8

const (
	KindUnspecified SpanKind = iota
	KindInternal
	KindServer
	KindClient
	KindProducer
	KindConsumer
)

func (k SpanKind) String() string {
	names := [...]string{"unspecified", "internal", "server", "client", "producer", "consumer"}
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// StatusCode is OTLP's span status code, with the same numbers.
type StatusCode uint8

const (
	StatusUnset StatusCode = iota
	StatusOK
	StatusError
)
