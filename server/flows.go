package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/tracing"
)

// flowsResponse is the body of GET /api/flows.
type flowsResponse struct {
	Since time.Time      `json:"since"`
	Until time.Time      `json:"until"`
	Flows []tracing.Flow `json:"flows"`
}

// apiFlows answers GET /api/flows?since=…&until=…&service=…&channel=…: the flow graph's edges
// over the window. since and until take RFC 3339 times, unix seconds, or a duration meaning
// "that long ago" (since=24h); since defaults to one hour ago, until to now.
func (s *Server) apiFlows(c echo.Context) error {
	now := s.now()
	since, err := timeParam(c, "since", now, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	until, err := timeParam(c, "until", now, now)
	if err != nil {
		return err
	}
	if !until.After(since) {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("until (%s) must be after since (%s)", until.Format(time.RFC3339), since.Format(time.RFC3339)))
	}
	flows, err := s.svc.Ingest.Flows(c.Request().Context(), tracing.FlowQuery{
		Since: since, Until: until, Service: c.QueryParam("service"), Channel: c.QueryParam("channel"),
	})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, flowsResponse{Since: since.UTC(), Until: until.UTC(), Flows: flows})
}

// apiHealth answers GET /api/health: every consumer's status with its measures.
func (s *Server) apiHealth(c echo.Context) error {
	report, err := s.svc.Ingest.Health(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, report)
}

func timeParam(c echo.Context, name string, now, def time.Time) (time.Time, error) {
	v := strings.TrimSpace(c.QueryParam(name))
	if v == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if sec, err := strconv.ParseInt(v, 10, 64); err == nil {
		return time.Unix(sec, 0), nil
	}
	return time.Time{}, echo.NewHTTPError(http.StatusBadRequest,
		fmt.Sprintf("%s=%q: want an RFC 3339 time (2025-06-01T12:00:00Z), unix seconds, or a duration ago (15m, 24h)", name, v))
}
