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
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/eventlens/eventlens/tracing"
)

// OTLP/HTTP trace ingest (POST /v1/traces), answering as the OTLP specification says: 200 with an
// ExportTraceServiceResponse in the request's encoding (with partial_success for refused spans),
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

func (s *Server) otlpTraces(c echo.Context) error {
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
	td, err := decodeOTLP(enc, body)
	if err != nil {
		return s.writeOTLPError(c, enc, otlpError{status: http.StatusBadRequest, code: codes.InvalidArgument,
			message: fmt.Sprintf("malformed OTLP %s body: %v", enc.name(), err)})
	}
	decoded, err := tracing.FromTraces(td, s.otlp.limits)
	if err != nil {
		return s.writeOTLPError(c, enc, otlpError{status: http.StatusRequestEntityTooLarge, code: codes.InvalidArgument, message: err.Error()})
	}
	if err := s.svc.Ingest.Ingest(req.Context(), decoded.Spans); err != nil {
		oe := otlpIngestError(err)
		if oe.status >= 500 && !errors.Is(err, tracing.ErrClosed) {
			s.log.ErrorContext(req.Context(), "OTLP ingest failed", "error", err)
		}
		return s.writeOTLPError(c, enc, oe)
	}
	resp := ptraceotlp.NewExportResponse()
	if decoded.Rejected > 0 {
		resp.PartialSuccess().SetRejectedSpans(int64(decoded.Rejected))
		resp.PartialSuccess().SetErrorMessage(decoded.RejectionMessage())
	}
	var out []byte
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

func decodeOTLP(enc otlpEncoding, body []byte) (ptrace.Traces, error) {
	if enc == encodingJSON {
		// pdata's JSON decoder reads OTLP/JSON as the spec defines it (hex ids, string int64s),
		// which protojson does not.
		var u ptrace.JSONUnmarshaler
		return u.UnmarshalTraces(body)
	}
	req := ptraceotlp.NewExportRequest()
	if err := req.UnmarshalProto(body); err != nil {
		return ptrace.Traces{}, err
	}
	return req.Traces(), nil
}

// otlpIngestError maps an ingest error to OTLP's retryable answers.
func otlpIngestError(err error) otlpError {
	switch {
	case errors.Is(err, tracing.ErrQueueFull):
		return otlpError{status: http.StatusTooManyRequests, code: codes.ResourceExhausted, message: "ingest queue is full; retry later", retryAfter: true}
	case errors.Is(err, tracing.ErrClosed):
		return otlpError{status: http.StatusServiceUnavailable, code: codes.Unavailable, message: "eventlens is shutting down; retry later", retryAfter: true}
	case errors.Is(err, context.Canceled):
		return otlpError{status: 499, code: codes.Canceled, message: "client went away"}
	}
	return otlpError{status: http.StatusServiceUnavailable, code: codes.Unavailable, message: "spans could not be stored; retry later", retryAfter: true}
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
