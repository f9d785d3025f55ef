package web

import (
	"cmp"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/tracing"
)

// healthRow is one consumer with its sparklines.
type healthRow struct {
	tracing.ConsumerHealth
	Throughput, Errors []int64
}

type healthView struct {
	page
	Status   string // the status filter, or ""
	Window   window // the sparklines' window
	Measured string // the window the measures cover (the health thresholds' window)
	Counts   map[string]int
	Rows     []healthRow
	List     listState
	Now      time.Time
}

var statuses = []string{tracing.StatusFailing, tracing.StatusSilent, tracing.StatusDegraded, tracing.StatusHealthy}

// Health is the consumer health page: /health?status=&window=&sort=&order=&page=.
func (p *Pages) Health(c echo.Context) error {
	v, err := p.healthView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, healthPage(v))
}

// HealthTable is the health page's table alone, for htmx to refresh every few seconds.
func (p *Pages) HealthTable(c echo.Context) error {
	v, err := p.healthView(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, healthTable(v))
}

func (p *Pages) healthView(c echo.Context) (healthView, error) {
	ctx := c.Request().Context()
	now := p.now()
	v := healthView{page: page{Title: "Health", Nav: "health"}, Window: parseWindow(c.QueryParam("window")), Now: now, Counts: map[string]int{}}
	if s := c.QueryParam("status"); slices.Contains(statuses, s) {
		v.Status = s
	}
	report, err := p.Tracing.Health(ctx)
	if err != nil {
		return v, err
	}
	v.Measured = measured(report)
	var rows []healthRow
	for _, h := range report.Consumers {
		v.Counts[h.Status]++
		if v.Status != "" && h.Status != v.Status {
			continue
		}
		rows = append(rows, healthRow{ConsumerHealth: h})
	}
	v.List = readList(c, "/health", 50, false, "status", "service", "errors", "p95", "delay", "backlog", "last")
	sortHealth(rows, v.List)
	lo, hi := v.List.bounds(len(rows))
	v.Rows = rows[lo:hi]
	// Sparklines only for the rows shown: a series costs a read per flow and bucket.
	q := tracing.FlowQuery{Last: v.Window.D}
	for _, r := range v.Rows {
		q.Keys = append(q.Keys, r.SeriesKey())
	}
	if len(q.Keys) == 0 {
		return v, nil
	}
	series, err := p.Tracing.Series(ctx, q, sparkBuckets)
	if err != nil {
		return v, err
	}
	for i := range v.Rows {
		if s, ok := series[v.Rows[i].SeriesKey()]; ok {
			v.Rows[i].Throughput, v.Rows[i].Errors = s.Messages, s.Errors
		}
	}
	return v, nil
}

func sortHealth(rows []healthRow, l listState) {
	delay := func(r healthRow) float64 {
		if r.DelayP95Ms == nil {
			return -1
		}
		return *r.DelayP95Ms
	}
	backlog := func(r healthRow) int64 {
		return max(deref(r.Lag, -1), deref(r.QueueDepth, -1))
	}
	slices.SortStableFunc(rows, func(a, b healthRow) int {
		tie := cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.ConsumerGroup, b.ConsumerGroup), strings.Compare(a.ChannelKey, b.ChannelKey))
		var c int
		switch l.Sort {
		case "service":
			c = strings.Compare(a.Service, b.Service)
		case "errors":
			c = cmp.Compare(a.ErrorRate, b.ErrorRate)
		case "p95":
			c = cmp.Compare(a.ProcessingMs.P95, b.ProcessingMs.P95)
		case "delay":
			c = cmp.Compare(delay(a), delay(b))
		case "backlog":
			c = cmp.Compare(backlog(a), backlog(b))
		case "last":
			c = a.LastSeen.Compare(b.LastSeen)
		default: // status, worst first when ascending
			c = cmp.Compare(statusRank(a.Status), statusRank(b.Status))
		}
		return l.order(c, tie)
	})
}

func deref[T any](p *T, none T) T {
	if p == nil {
		return none
	}
	return *p
}

// tableURL is the fragment route with the page's own parameters, for htmx.
func (v healthView) tableURL() string {
	q := v.List.Query.Encode()
	u := "/health/table?sort=" + v.List.Sort
	if v.List.Desc {
		u += "&order=desc"
	} else {
		u += "&order=asc"
	}
	if v.List.Page > 1 {
		u += "&page=" + itoa(v.List.Page)
	}
	if q != "" {
		u += "&" + q
	}
	return u
}

func (v healthView) statusHref(status string) string { return v.List.filterHref("status", status) }

// measured names the window a health report's measures cover, as "5 min".
func measured(r tracing.HealthReport) string {
	if d, err := time.ParseDuration(r.Window); err == nil {
		return duration(d)
	}
	return r.Window
}
