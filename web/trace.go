package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/tracing"
)

// waterfallRow is one span in the waterfall, placed on the trace's time axis (0…1000).
type waterfallRow struct {
	tracing.StoredSpan
	Depth      int
	X, W       float64
	Offset     time.Duration // from the trace's start
	Messaging  [][2]string   // the key messaging attributes, in a fixed order
	LinkTraces []tracing.TraceID
}

type traceView struct {
	page
	ID       tracing.TraceID
	Start    time.Time
	Duration time.Duration
	Services []string
	Errors   int
	Rows     []waterfallRow
}

// keyAttributes are the attributes the waterfall shows, in this order, when a span has them.
var keyAttributes = []string{
	"messaging.system", "messaging.operation.type", "messaging.operation", "messaging.destination.name",
	"messaging.destination", "messaging.destination.template", "messaging.consumer.group.name",
	"messaging.kafka.consumer.group", "messaging.message.id", "messaging.kafka.message.key",
	"messaging.kafka.destination.partition", "messaging.batch.message_count", "error.type",
}

// Trace is one trace's waterfall: /traces/{id}.
func (p *Pages) Trace(c echo.Context) error {
	id, err := tracing.ParseTraceID(c.Param("id"))
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, err.Error())
	}
	spans, err := p.Tracing.Trace(c.Request().Context(), id)
	if errors.Is(err, tracing.ErrTraceNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, "Trace "+id.String()+" is not stored: it never came, or span retention removed it.")
	}
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, tracePage(waterfall(id, spans)))
}

// waterfall orders spans depth-first under their parents and places them on the time axis.
func waterfall(id tracing.TraceID, spans []tracing.StoredSpan) traceView {
	v := traceView{page: page{Title: "Trace " + id.String()[:12]}, ID: id}
	start, end := spans[0].Start, spans[0].End
	services := map[string]bool{}
	byID := map[tracing.SpanID]bool{}
	for _, s := range spans {
		if s.Start.Before(start) {
			start = s.Start
		}
		if s.End.After(end) {
			end = s.End
		}
		services[s.Service] = true
		byID[s.SpanID] = true
		if s.StatusCode == tracing.StatusError {
			v.Errors++
		}
	}
	v.Start, v.Duration = start, end.Sub(start)
	v.Services = sortedKeys(services)
	children := map[tracing.SpanID][]tracing.StoredSpan{}
	var roots []tracing.StoredSpan
	for _, s := range spans { // spans come sorted by start
		if s.ParentSpanID.IsZero() || !byID[s.ParentSpanID] {
			roots = append(roots, s)
		} else {
			children[s.ParentSpanID] = append(children[s.ParentSpanID], s)
		}
	}
	total := float64(max(v.Duration, time.Microsecond))
	var walk func(s tracing.StoredSpan, depth int)
	walk = func(s tracing.StoredSpan, depth int) {
		r := waterfallRow{StoredSpan: s, Depth: min(depth, 8), Offset: s.Start.Sub(start)}
		r.X = 1000 * float64(r.Offset) / total
		r.W = max(1000*float64(s.Duration())/total, 2)
		r.X = min(r.X, 1000-r.W)
		for _, k := range keyAttributes {
			if val, ok := s.Attributes[k]; ok {
				r.Messaging = append(r.Messaging, [2]string{strings.TrimPrefix(k, "messaging."), val})
			}
		}
		for _, l := range s.Links {
			if l.TraceID != id && !slices.Contains(r.LinkTraces, l.TraceID) {
				r.LinkTraces = append(r.LinkTraces, l.TraceID)
			}
		}
		v.Rows = append(v.Rows, r)
		for _, ch := range children[s.SpanID] {
			walk(ch, depth+1)
		}
	}
	for _, r := range roots {
		walk(r, 0)
	}
	return v
}

func (r waterfallRow) barX() string { return strconv.FormatFloat(r.X, 'f', 1, 64) }
func (r waterfallRow) barW() string { return strconv.FormatFloat(r.W, 'f', 1, 64) }

func (r waterfallRow) rowClass() string {
	c := "span-row depth-" + strconv.Itoa(r.Depth)
	if r.StatusCode == tracing.StatusError {
		c += " span-error"
	}
	return c
}

func statusText(s tracing.StatusCode) string {
	switch s {
	case tracing.StatusError:
		return "error"
	case tracing.StatusOK:
		return "ok"
	}
	return "unset"
}
