package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/eventlens/eventlens/otlpmetrics"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/tracing"
)

// OTLP/HTTP ingest (POST /v1/traces, POST /v1/metrics), answering as the OTLP specification
// says: 200 with an Export{Trace,Metrics}ServiceResponse in the request's encoding (with
// partial_success for refused spans or data points),
// 400 with a google.rpc.Status for a malformed body, 413 over the size limit, 415 for other
// content types or encodings, and 429/503 with Retry-After when ingest is saturated. OTLP clients
// read these bodies, so this handler writes its own answers instead of the Confluent-style errors.

// contentTypeProtobuf is OTLP's binary encoding; its JSON encoding is contentTypeJSON.
const contentTypeProtobuf = "application/x-protobuf"

// otlpEncoding is how one request (and so its response) is encoded.
type otlpEncoding int

const (
	encodingProtobuf otlpEncoding = iota
	encodingJSON
)

func (e otlpEncoding) contentType() string {
	if e == encodingJSON {
		return contentTypeJSON
	}
	return contentTypeProtobuf
}

// otlpError is an OTLP answer other than 200.
type otlpError struct {
	status     int
	code       codes.Code
	message    string
	retryAfter bool
}

// otlpResponse is an Export{Trace,Metrics}ServiceResponse, written in the request's encoding.
type otlpResponse interface {
	MarshalProto() ([]byte, error)
	MarshalJSON() ([]byte, error)
}

// otlpExport decodes one OTLP/HTTP body of its signal (traces, metrics) and ingests it.
type otlpExport func(ctx context.Context, enc otlpEncoding, body []byte) (otlpResponse, *otlpError)

// otlpHTTP serves one OTLP/HTTP signal with what every signal shares: content types, gzip, the
// body limit, the decoding slots, and OTLP's answers.
func (s *Server) otlpHTTP(export otlpExport) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		enc, ok := otlpEncodingOf(req.Header.Get(echo.HeaderContentType))
		if !ok {
			return s.writeOTLPError(c, enc, otlpError{status: http.StatusUnsupportedMediaType, code: codes.InvalidArgument,
				message: fmt.Sprintf("unsupported content type %q: send %s or %s", req.Header.Get(echo.HeaderContentType), contentTypeProtobuf, contentTypeJSON)})
		}
		// Bound the memory taken by bodies being decoded: wait a little for a slot, then ask the
		// client to come back.
		select {
		case s.otlp.slots <- struct{}{}:
			defer func() { <-s.otlp.slots }()
		case <-time.After(s.otlp.slotWait):
			return s.writeOTLPError(c, enc, otlpError{status: http.StatusServiceUnavailable, code: codes.Unavailable,
				message: "too many OTLP requests being decoded; retry later", retryAfter: true})
		case <-req.Context().Done():
			return nil
		}
		body, oerr := s.readOTLPBody(req)
		if oerr != nil {
			return s.writeOTLPError(c, enc, *oerr)
		}
		resp, oerr := export(req.Context(), enc, body)
		if oerr != nil {
			return s.writeOTLPError(c, enc, *oerr)
		}
		var out []byte
		var err error
		if enc == encodingJSON {
			out, err = resp.MarshalJSON()
		} else {
			out, err = resp.MarshalProto()
		}
		if err != nil {
			return fmt.Errorf("encode OTLP response: %w", err)
		}
		return c.Blob(http.StatusOK, enc.contentType(), out)
	}
}

func malformed(enc otlpEncoding, err error) *otlpError {
	return &otlpError{status: http.StatusBadRequest, code: codes.InvalidArgument, message: fmt.Sprintf("malformed OTLP %s body: %v", enc.name(), err)}
}

// tooLarge answers a request whose decoded content is over a limit.
func tooLarge(err error) *otlpError {
	return &otlpError{status: http.StatusRequestEntityTooLarge, code: codes.InvalidArgument, message: err.Error()}
}

func (s *Server) exportTracesHTTP(ctx context.Context, enc otlpEncoding, body []byte) (otlpResponse, *otlpError) {
	td, err := decodeTraces(enc, body)
	if err != nil {
		return nil, malformed(enc, err)
	}
	return s.exportTraces(ctx, "http", td)
}

// decodeTraces and decodeMetrics read an OTLP/HTTP body. pdata's JSON decoder reads OTLP/JSON
// as the spec defines it (hex ids, string int64s), which protojson does not.
func decodeTraces(enc otlpEncoding, body []byte) (ptrace.Traces, error) {
	if enc == encodingJSON {
		var u ptrace.JSONUnmarshaler
		return u.UnmarshalTraces(body)
	}
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		return ptrace.Traces{}, err
	}
	return req.Traces(), nil
}

func decodeMetrics(enc otlpEncoding, body []byte) (pmetric.Metrics, error) {
	if enc == encodingJSON {
		var u pmetric.JSONUnmarshaler
		return u.UnmarshalMetrics(body)
	}
	req := pmetricotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		return pmetric.Metrics{}, err
	}
	return req.Metrics(), nil
}

// exportTraces ingests one export of spans, from OTLP/HTTP or OTLP/gRPC (the transport).
func (s *Server) exportTraces(ctx context.Context, transport string, td ptrace.Traces) (ptraceotlp.ExportResponse, *otlpError) {
	resp := ptraceotlp.NewExportResponse()
	spans := td.SpanCount()
	decoded, err := tracing.FromTraces(td, s.otlp.limits)
	if err != nil {
		s.metrics.receiver.exported(transport, spans, 0, refusedTooLarge)
		return resp, tooLarge(err)
	}
	if err := s.svc.Ingest.Ingest(ctx, decoded.Spans); err != nil {
		oerr := s.otlpIngestError(ctx, "spans", err)
		reason := refusalReason(oerr.status)
		if errors.Is(err, tracing.ErrQueueFull) {
			reason = refusedQueueFull
		}
		s.metrics.receiver.exported(transport, spans, 0, reason)
		return resp, oerr
	}
	s.metrics.receiver.exported(transport, spans, len(decoded.Spans), refusedMalformed) // the rest had no valid ids
	if decoded.Rejected > 0 {
		resp.PartialSuccess().SetRejectedSpans(int64(decoded.Rejected))
		resp.PartialSuccess().SetErrorMessage(decoded.RejectionMessage())
	}
	return resp, nil
}

func (s *Server) exportMetricsHTTP(ctx context.Context, enc otlpEncoding, body []byte) (otlpResponse, *otlpError) {
	md, err := decodeMetrics(enc, body)
	if err != nil {
		return nil, malformed(enc, err)
	}
	return s.exportMetrics(ctx, md)
}

// exportMetrics ingests one export of metrics, from OTLP/HTTP or OTLP/gRPC. Points eventlens
// does not read are accepted and counted; malformed points and new series over the cap are
// refused as a partial success.
func (s *Server) exportMetrics(ctx context.Context, md pmetric.Metrics) (pmetricotlp.ExportResponse, *otlpError) {
	resp := pmetricotlp.NewExportResponse()
	decoded, err := otlpmetrics.FromMetrics(md, s.otlp.metricLimits)
	if err != nil {
		return resp, tooLarge(err)
	}
	res, err := s.svc.Metrics.Ingest(ctx, decoded)
	if err != nil {
		return resp, s.otlpIngestError(ctx, "data points", err)
	}
	if rejected := decoded.Rejected + res.Dropped; rejected > 0 {
		var why []string
		for _, m := range []string{decoded.RejectionMessage(), res.Message} {
			if m != "" {
				why = append(why, m)
			}
		}
		resp.PartialSuccess().SetRejectedDataPoints(int64(rejected))
		resp.PartialSuccess().SetErrorMessage(strings.Join(why, "; "))
	}
	return resp, nil
}

func (e otlpEncoding) name() string {
	if e == encodingJSON {
		return "JSON"
	}
	return "protobuf"
}

// otlpEncodingOf reads the Content-Type; a type that is neither is answered (415) in JSON.
func otlpEncodingOf(contentType string) (otlpEncoding, bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return encodingJSON, false
	}
	switch mt {
	case contentTypeProtobuf:
		return encodingProtobuf, true
	case contentTypeJSON:
		return encodingJSON, true
	}
	return encodingJSON, false
}

// readOTLPBody reads the body, gunzipping it if needed, and refuses bodies over the limit before
// and after decompression (so a small gzip bomb is refused too).
func (s *Server) readOTLPBody(req *http.Request) ([]byte, *otlpError) {
	limit := s.otlp.maxBody
	tooLarge := &otlpError{status: http.StatusRequestEntityTooLarge, code: codes.InvalidArgument,
		message: fmt.Sprintf("request body larger than the limit of %d bytes", limit)}
	if req.ContentLength > limit {
		return nil, tooLarge
	}
	var r io.Reader = io.LimitReader(req.Body, limit+1)
	switch enc := strings.ToLower(strings.TrimSpace(req.Header.Get(echo.HeaderContentEncoding))); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, &otlpError{status: http.StatusBadRequest, code: codes.InvalidArgument, message: fmt.Sprintf("malformed gzip body: %v", err)}
		}
		defer zr.Close()
		r = io.LimitReader(zr, limit+1)
		tooLarge.message = fmt.Sprintf("request body larger than the limit of %d bytes once decompressed", limit)
	default:
		return nil, &otlpError{status: http.StatusUnsupportedMediaType, code: codes.InvalidArgument,
			message: fmt.Sprintf("unsupported content encoding %q: send gzip or no encoding", enc)}
	}
	var buf bytes.Buffer
	if req.ContentLength > 0 {
		buf.Grow(int(req.ContentLength))
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, &otlpError{status: http.StatusBadRequest, code: codes.InvalidArgument, message: fmt.Sprintf("reading body: %v", err)}
	}
	if int64(buf.Len()) > limit {
		return nil, tooLarge
	}
	return buf.Bytes(), nil
}

// otlpIngestError maps an ingest error to OTLP's retryable answers, and logs the ones that
// are eventlens' problem; what is the name of what could not be stored.
func (s *Server) otlpIngestError(ctx context.Context, what string, err error) *otlpError {
	switch {
	case errors.Is(err, tracing.ErrQueueFull), errors.Is(err, otlpmetrics.ErrBusy):
		return &otlpError{status: http.StatusTooManyRequests, code: codes.ResourceExhausted, message: "ingest queue is full; retry later", retryAfter: true}
	case errors.Is(err, tracing.ErrClosed):
		return &otlpError{status: http.StatusServiceUnavailable, code: codes.Unavailable, message: "eventlens is shutting down; retry later", retryAfter: true}
	case errors.Is(err, context.Canceled):
		return &otlpError{status: 499, code: codes.Canceled, message: "client went away"}
	case errors.Is(storage.Full(err), storage.ErrFull):
		s.log.ErrorContext(ctx, "OTLP ingest failed: the store's disk is full", "what", what, "error", err)
		return &otlpError{status: http.StatusServiceUnavailable, code: codes.Unavailable, message: "the store's disk is full: " + what + " not stored; retry later", retryAfter: true}
	}
	s.log.ErrorContext(ctx, "OTLP ingest failed", "what", what, "error", err)
	return &otlpError{status: http.StatusServiceUnavailable, code: codes.Unavailable, message: what + " could not be stored; retry later", retryAfter: true}
}

// writeOTLPError answers with a google.rpc.Status body in the request's encoding.
func (s *Server) writeOTLPError(c echo.Context, enc otlpEncoding, e otlpError) error {
	if e.retryAfter {
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(s.otlp.retryAfter.Seconds())))
	}
	st := status.New(e.code, e.message).Proto()
	var body []byte
	var err error
	if enc == encodingJSON {
		body, err = protojson.Marshal(st)
	} else {
		body, err = proto.Marshal(st)
	}
	if err != nil {
		return fmt.Errorf("encode OTLP status: %w", err)
	}
	return c.Blob(e.status, enc.contentType(), body)
}
