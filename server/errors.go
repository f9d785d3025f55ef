package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/web"
)

// apiError is the error body of every API answer, in the Confluent Schema Registry's shape so
// registry clients understand it.
type apiError struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// apiPrefixes are the paths that always answer JSON, whatever the client accepts.
var apiPrefixes = []string{"/api/", "/v1/", "/subjects", "/schemas/ids/", "/schemas/guids/", "/schemas/types", "/config", "/mode", "/compatibility", "/contexts", "/associations", "/metrics", "/healthz", "/readyz", "/mcp"}

// isAPIPath reports whether the request is for an API rather than a page.
func isAPIPath(c echo.Context) bool {
	path := c.Request().URL.Path
	for _, p := range apiPrefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// wantsJSON tells API requests from browser page requests: API paths always get JSON, and any
// other path gets HTML only when the client asks for it.
func wantsJSON(c echo.Context) bool {
	return isAPIPath(c) || !strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html")
}

// classify maps an error to an HTTP status, a Confluent-style error code and a message.
func classify(err error) (status, code int, message string) {
	if errors.Is(err, pgdb.ErrUnavailable) {
		return http.StatusServiceUnavailable, http.StatusServiceUnavailable, "the database is unavailable; retry shortly"
	}
	if errors.Is(storage.Full(err), storage.ErrFull) {
		return http.StatusServiceUnavailable, http.StatusServiceUnavailable, "the store's disk is full: nothing was written; retry once space is freed"
	}
	var re *schemaregistry.Error
	if errors.As(err, &re) {
		switch {
		case re.Code == schemaregistry.CodeStore || re.Code >= 50000:
			return http.StatusInternalServerError, re.Code, re.Message
		case re.Code >= 10000:
			return re.Code / 100, re.Code, re.Message
		default:
			return re.Code, re.Code, re.Message
		}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		msg, ok := he.Message.(string)
		if !ok || msg == "" {
			msg = http.StatusText(he.Code)
		}
		if he.Code == http.StatusRequestEntityTooLarge {
			msg = "request body too large"
		}
		return he.Code, he.Code, msg
	}
	if status, ok := oidcStatus(err); ok {
		return status, status, err.Error()
	}
	switch {
	case errors.Is(err, catalog.ErrDocumentTooLarge):
		return http.StatusRequestEntityTooLarge, http.StatusRequestEntityTooLarge, err.Error()
	case errors.Is(err, catalog.ErrInvalidDocument), errors.Is(err, catalog.ErrInvalidPatch):
		return http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, err.Error()
	case errors.Is(err, catalog.ErrInvalidQuery):
		return http.StatusBadRequest, http.StatusBadRequest, err.Error()
	case errors.Is(err, catalog.ErrNotFound):
		return http.StatusNotFound, http.StatusNotFound, err.Error()
	}
	return http.StatusInternalServerError, 50001, "internal server error"
}

// handleError is echo's error handler: the one place where errors become HTTP answers.
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, code, message := classify(err)
	if status == http.StatusServiceUnavailable {
		// Registry clients and OTLP exporters retry a 503; say when.
		c.Response().Header().Set("Retry-After", "2")
	}
	if status >= 500 {
		s.log.ErrorContext(c.Request().Context(), "request failed", "error", err, "request_id", c.Response().Header().Get(echo.HeaderXRequestID))
	}
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(status)
	case wantsJSON(c):
		werr = answer(c, status, apiError{ErrorCode: code, Message: message})
	default:
		werr = web.RenderError(c, status, message)
	}
	if werr != nil {
		s.log.ErrorContext(c.Request().Context(), "writing error response", "error", werr)
	}
}
