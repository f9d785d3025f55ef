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
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	Flows []apiFlow `json:"flows"`
}

// apiFlow is a flow over the window and, for a consumer, what its brokers report now: lag,
// queue depth, dead letters (as in /api/health).
type apiFlow struct {
	tracing.Flow
	Lag            *int64                `json:"lag,omitempty"`
	TimeLagSeconds *float64              `json:"time_lag_seconds,omitempty"`
	QueueDepth     *int64                `json:"queue_depth,omitempty"`
	DeadLetters    []tracing.DeadLetters `json:"dead_letters,omitempty"`
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
	report, err := s.svc.Ingest.Health(c.Request().Context())
	if err != nil {
		return err
	}
	type consumerKey struct{ service, group, channel string }
	current := map[consumerKey]tracing.ConsumerHealth{}
	for _, h := range report.Consumers {
		current[consumerKey{h.Service, h.ConsumerGroup, h.ChannelKey}] = h
	}
	out := make([]apiFlow, len(flows))
	for i, f := range flows {
		out[i].Flow = f
		if h, ok := current[consumerKey{f.Service, f.ConsumerGroup, f.ChannelKey}]; ok && f.Direction == tracing.RoleConsumer.String() {
			out[i].Lag, out[i].TimeLagSeconds, out[i].QueueDepth, out[i].DeadLetters = h.Lag, h.TimeLagSeconds, h.QueueDepth, h.DeadLetters
		}
	}
	return c.JSON(http.StatusOK, flowsResponse{Since: since.UTC(), Until: until.UTC(), Flows: out})
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
