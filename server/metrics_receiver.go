package server

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc/codes"
)

// receiverMetrics count what OTLP ingest received, in the OpenTelemetry Collector's receiver
// terms (otelcol_receiver_accepted_spans, otelcol_receiver_refused_spans): spans are counted
// where an export was decoded, and every refused request (before or after decoding) by reason.
type receiverMetrics struct {
	received, accepted *prometheus.CounterVec
	refusedSpans       *prometheus.CounterVec
	refusedRequests    *prometheus.CounterVec
}

// otlpSignals are the OTLP/HTTP routes and the signal each carries.
var otlpSignals = map[string]string{otlpTracesPath: "traces", otlpMetricsPath: "metrics"}

// Why spans or requests are refused: the label values of eventlens_receiver_refused_*.
const (
	refusedQueueFull    = "queue_full"   // spans: the ingest queue is full (429)
	refusedThrottled    = "throttled"    // requests, 429: the ingest queue is full, or the client is over --write-rate
	refusedTooLarge     = "too_large"    // 413: over the body limit or a decoding limit
	refusedMalformed    = "malformed"    // 400, 415: not OTLP, or spans without valid ids
	refusedUnauthorised = "unauthorised" // 401, 403: no key, or a key whose role may not write
	refusedUnavailable  = "unavailable"  // 503: decoding slots taken, the store down, shutting down
	refusedCancelled    = "cancelled"    // the client went away
	refusedOther        = "other"
)

func newReceiverMetrics() receiverMetrics {
	return receiverMetrics{
		received: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eventlens_receiver_received_spans_total",
			Help: "Spans in the OTLP exports this process decoded, by transport (http, grpc)."}, []string{"transport"}),
		accepted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eventlens_receiver_accepted_spans_total",
			Help: "Spans this process accepted and committed, by transport."}, []string{"transport"}),
		refusedSpans: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eventlens_receiver_refused_spans_total",
			Help: "Spans of decoded exports this process refused, by transport and reason."}, []string{"transport", "reason"}),
		refusedRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "eventlens_receiver_refused_requests_total",
			Help: "OTLP export requests answered with an error, by transport, signal (traces, metrics) and reason."}, []string{"transport", "signal", "reason"}),
	}
}

func (r receiverMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{r.received, r.accepted, r.refusedSpans, r.refusedRequests}
}

// exported counts one decoded export of spans: accepted of them committed, the rest refused
// for reason (when accepted is all of them, reason is unused).
func (r receiverMetrics) exported(transport string, spans, accepted int, reason string) {
	r.received.WithLabelValues(transport).Add(float64(spans))
	r.accepted.WithLabelValues(transport).Add(float64(accepted))
	if refused := spans - accepted; refused > 0 {
		r.refusedSpans.WithLabelValues(transport, reason).Add(float64(refused))
	}
}

func (r receiverMetrics) refusedRequest(transport, signal string, status int) {
	r.refusedRequests.WithLabelValues(transport, signal, refusalReason(status)).Inc()
}

// refusalReason names why an OTLP request was answered with status; spans refused by a full
// queue are counted as queue_full where the error is known (exportTraces).
func refusalReason(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return refusedThrottled
	case http.StatusRequestEntityTooLarge:
		return refusedTooLarge
	case http.StatusBadRequest, http.StatusUnsupportedMediaType:
		return refusedMalformed
	case http.StatusUnauthorized, http.StatusForbidden:
		return refusedUnauthorised
	case http.StatusServiceUnavailable:
		return refusedUnavailable
	case 499:
		return refusedCancelled
	}
	return refusedOther
}

// grpcStatus is the HTTP status OTLP/HTTP answers where OTLP/gRPC answers code, for the calls
// refused before the export is read (keys, write rate); an export's own refusal keeps its status
// (grpcRefusal).
func grpcStatus(code codes.Code) int {
	switch code {
	case codes.OK:
		return http.StatusOK
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.InvalidArgument:
		return http.StatusBadRequest
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.Canceled:
		return 499
	}
	return http.StatusInternalServerError
}
