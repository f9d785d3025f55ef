package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/tracing"
	"github.com/eventlens/eventlens/web/flowgraph"
)

// serviceRow is one line of the services list.
type serviceRow struct {
	Name, Domain, Owner string
	Documented          bool
	Produces, Consumes  int // channels
	Rate                float64
	Messages, Errors    int64
	Status              string // the worst status of its consumers, "" when it consumes nothing
}

type servicesView struct {
	page
	Window window
	Rows   []serviceRow
	List   listState
}

// Services lists every service, documented or observed: /services?window=&sort=&order=&page=.
func (p *Pages) Services(c echo.Context) error {
	ctx := c.Request().Context()
	w := parseWindow(c.QueryParam("window"))
	flows, err := p.Tracing.Flows(ctx, tracing.FlowQuery{Last: w.D})
	if err != nil {
		return err
	}
	documented, err := p.Catalog.Services(ctx)
	if err != nil {
		return err
	}
	observed, err := p.Tracing.Names(ctx)
	if err != nil {
		return err
	}
	report, err := p.Tracing.Health(ctx)
	if err != nil {
		return err
	}
	ops, err := p.Catalog.Operations(ctx)
	if err != nil {
		return err
	}
	rows := map[string]*serviceRow{}
	row := func(name string) *serviceRow {
		if r, ok := rows[name]; ok {
			return r
		}
		r := &serviceRow{Name: name}
		rows[name] = r
		return r
	}
	for _, s := range documented {
		r := row(s.Name)
		r.Domain, r.Owner, r.Documented = s.Domain, s.Owner, true
	}
	for _, s := range observed.Services {
		row(s)
	}
	flowsOf, opsOf := map[string][]tracing.Flow{}, map[string][]catalog.Operation{}
	for _, f := range flows {
		r := row(f.Service)
		if f.Direction == tracing.RoleProducer.String() {
			r.Rate += f.RatePerSecond
		}
		r.Messages += f.Messages
		r.Errors += f.Errors
		flowsOf[f.Service] = append(flowsOf[f.Service], f)
	}
	for _, op := range ops {
		opsOf[op.Service] = append(opsOf[op.Service], op)
	}
	for name, r := range rows {
		// The same channels the service's page lists: observed and documented together.
		produces, consumes := ports(name, flowsOf[name], opsOf[name])
		r.Produces, r.Consumes = len(produces), len(consumes)
	}
	for service, status := range worstStatus(report) {
		row(service).Status = status
	}
	list := make([]serviceRow, 0, len(rows))
	for _, r := range rows {
		list = append(list, *r)
	}
	v := servicesView{page: page{Title: "Services", Nav: "catalog"}, Window: w}
	v.List = readList(c, "/services", 50, false, "name", "domain", "rate", "errors", "status")
	slices.SortFunc(list, func(a, b serviceRow) int {
		var c int
		switch v.List.Sort {
		case "name":
			c = strings.Compare(a.Name, b.Name)
		case "domain":
			c = strings.Compare(a.Domain, b.Domain)
		case "rate":
			c = cmp.Compare(a.Rate, b.Rate)
		case "errors":
			c = cmp.Compare(rate(a.Errors, a.Messages), rate(b.Errors, b.Messages))
		case "status":
			c = cmp.Compare(statusRank(b.Status), statusRank(a.Status))
		}
		return v.List.order(c, strings.Compare(a.Name, b.Name))
	})
	lo, hi := v.List.bounds(len(list))
	v.Rows = list[lo:hi]
	return render(c, http.StatusOK, servicesPage(v))
}

// port is one channel a service produces to or consumes from: observed, documented, or both.
type port struct {
	Channel    string
	System     string
	Group      string
	Observed   bool
	Documented bool
	Flow       tracing.Flow
}

type serviceView struct {
	page
	Name       string
	Service    catalog.Service // zero when the catalog does not know the service
	Documented bool
	Owner      *catalog.Owner
	Window     window
	Graph      flowgraph.Graph
	Produces   []port
	Consumes   []port
	Health     []tracing.ConsumerHealth
	Measured   string // the window Health covers
	Errors     []tracing.ErrorExample
	Now        time.Time
}

// Service is one service's page: /services/{name}.
func (p *Pages) Service(c echo.Context) error {
	ctx := c.Request().Context()
	name, err := nameParam(c)
	if err != nil {
		return err
	}
	w := parseWindow(c.QueryParam("window"))
	now := p.now()
	v := serviceView{page: page{Title: name, Nav: "catalog", DrawsGraph: true}, Name: name, Window: w, Now: now}
	v.Service, err = p.Catalog.Service(ctx, name)
	switch {
	case err == nil:
		v.Documented = true
	case !errors.Is(err, catalog.ErrNotFound):
		return err
	}
	flows, err := p.Tracing.Flows(ctx, tracing.FlowQuery{Last: w.D})
	if err != nil {
		return err
	}
	ops, err := p.Catalog.Operations(ctx)
	if err != nil {
		return err
	}
	if !v.Documented {
		known, err := p.observedService(ctx, name)
		if err != nil {
			return err
		}
		if !known {
			return echo.NewHTTPError(http.StatusNotFound, "No service is called "+name+": neither the catalog nor any trace knows it.")
		}
	}
	if v.Service.Owner != "" {
		if o, err := p.Catalog.Owner(ctx, v.Service.Owner); err == nil {
			v.Owner = &o
		}
	}
	report, err := p.Tracing.Health(ctx)
	if err != nil {
		return err
	}
	v.Graph, _, _ = buildGraph(graphInput{Flows: flows, Ops: ops, Focus: serviceNodeID(name), Steps: 2, Health: report.Consumers})
	v.Produces, v.Consumes = ports(name, flows, v.Service.Operations)

	v.Measured = measured(report)
	for _, h := range report.Consumers {
		if h.Service == name {
			v.Health = append(v.Health, h)
		}
	}
	v.Errors = p.Tracing.ErrorExamples(tracing.ExampleQuery{Service: name, PerFlow: 5, Limit: 10})
	return render(c, http.StatusOK, servicePage(v))
}

func (p *Pages) observedService(ctx context.Context, name string) (bool, error) {
	n, err := p.Tracing.Names(ctx)
	if err != nil {
		return false, err
	}
	return slices.Contains(n.Services, name), nil
}

// ports merges a service's observed flows with its documented operations.
func ports(service string, flows []tracing.Flow, ops []catalog.Operation) (produces, consumes []port) {
	seen := map[string]bool{}
	for _, f := range flows {
		if f.Service != service {
			continue
		}
		pt := port{Channel: f.Channel.Destination, System: f.Channel.System, Group: f.ConsumerGroup, Observed: true, Flow: f}
		if f.Direction == tracing.RoleProducer.String() {
			seen["send\x00"+pt.Channel] = true
			produces = append(produces, pt)
		} else {
			seen["receive\x00"+pt.Channel] = true
			consumes = append(consumes, pt)
		}
	}
	for _, op := range ops {
		k := op.Action + "\x00" + op.Channel
		if seen[k] {
			for i := range produces {
				if op.Action == catalog.ActionSend && produces[i].Channel == op.Channel {
					produces[i].Documented = true
				}
			}
			for i := range consumes {
				if op.Action == catalog.ActionReceive && consumes[i].Channel == op.Channel {
					consumes[i].Documented = true
				}
			}
			continue
		}
		seen[k] = true
		pt := port{Channel: op.Channel, Group: op.ConsumerGroup, Documented: true}
		if op.Action == catalog.ActionSend {
			produces = append(produces, pt)
		} else {
			consumes = append(consumes, pt)
		}
	}
	byName := func(a, b port) int {
		return cmp.Or(strings.Compare(a.Channel, b.Channel), strings.Compare(a.Group, b.Group))
	}
	slices.SortFunc(produces, byName)
	slices.SortFunc(consumes, byName)
	return produces, consumes
}
