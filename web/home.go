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
	if len(failing) > 0 {
		// One scan of recent spans finds examples for every failing consumer.
		examples, err := p.Tracing.ErrorExamples(ctx, tracing.ExampleQuery{PerFlow: 1, Limit: 200})
		if err != nil {
			return v, err
		}
		for _, h := range failing {
			f := failingFlow{ConsumerHealth: h}
			for i := range examples {
				if examples[i].Service == h.Service && examples[i].ChannelKey == h.ChannelKey {
					f.Example = &examples[i]
					break
				}
			}
			v.Failing = append(v.Failing, f)
		}
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
