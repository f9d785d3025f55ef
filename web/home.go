package web

import (
	"cmp"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/tracing"
)

// failingFlow is a consumer in trouble with a recent failed span to open.
type failingFlow struct {
	tracing.ConsumerHealth
	Example *tracing.ErrorExample
}

const homeListLen = 5

func (p *Pages) homeView(c echo.Context) (homeView, error) {
	ctx := c.Request().Context()
	v := homeView{BaseURL: baseURL(c), Statuses: map[string]int{}, Now: p.now()}
	var err error
	if v.Overview, err = p.Catalog.Overview(ctx); err != nil {
		return v, err
	}
	if v.Traces, err = p.Tracing.Counts(ctx); err != nil {
		return v, err
	}
	if v.Registry, err = p.Registry.Counts(ctx); err != nil {
		return v, err
	}
	report, err := p.Tracing.Health(ctx)
	if err != nil {
		return v, err
	}
	var failing []tracing.ConsumerHealth
	for _, h := range report.Consumers {
		v.Statuses[h.Status]++
		if h.Status == tracing.StatusFailing || h.Status == tracing.StatusDegraded {
			failing = append(failing, h)
		}
	}
	slices.SortFunc(failing, func(a, b tracing.ConsumerHealth) int {
		return cmp.Or(cmp.Compare(statusRank(a.Status), statusRank(b.Status)), cmp.Compare(b.ErrorRate, a.ErrorRate), strings.Compare(a.Service, b.Service))
	})
	if len(failing) > homeListLen {
		failing = failing[:homeListLen]
	}
	for _, h := range failing {
		f := failingFlow{ConsumerHealth: h}
		if ex := p.Tracing.ErrorExamples(tracing.ExampleQuery{Service: h.Service, Channel: h.ChannelKey, Limit: 1}); len(ex) > 0 {
			f.Example = &ex[0]
		}
		v.Failing = append(v.Failing, f)
	}
	if v.Traces.Flows > 0 {
		flows, err := p.Tracing.Flows(ctx, tracing.FlowQuery{Last: windows[1].D})
		if err != nil {
			return v, err
		}
		slices.SortFunc(flows, func(a, b tracing.Flow) int {
			return cmp.Or(cmp.Compare(b.RatePerSecond, a.RatePerSecond), strings.Compare(a.Service, b.Service), strings.Compare(a.ChannelKey, b.ChannelKey))
		})
		v.Busiest = flows[:min(len(flows), homeListLen)]
	}
	return v, nil
}
