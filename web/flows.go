package web

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/tracing"
	"github.com/eventlens/eventlens/web/flowgraph"
)

// flowFilter is the flow page's GET form: every filter is a query parameter, so a filtered
// graph has a URL that can be shared.
type flowFilter struct {
	Service, Channel, Domain string
	Window                   window
}

func readFlowFilter(c echo.Context) flowFilter {
	return flowFilter{
		Service: strings.TrimSpace(c.QueryParam("service")),
		Channel: strings.TrimSpace(c.QueryParam("channel")),
		Domain:  strings.TrimSpace(c.QueryParam("domain")),
		Window:  parseWindow(c.QueryParam("window")),
	}
}

func (f flowFilter) active() bool { return f.Service != "" || f.Channel != "" || f.Domain != "" }

type flowsView struct {
	page
	Filter             flowFilter
	Graph              flowgraph.Graph
	Shown, Total       int
	Services, Channels []string
	Domains            []string
	Flows              []tracing.Flow
	List               listState
	Now                time.Time
}

// Flows is the flow graph page: /flows?service=&channel=&domain=&window=.
func (p *Pages) Flows(c echo.Context) error {
	ctx := c.Request().Context()
	f := readFlowFilter(c)
	now := p.now()
	flows, err := p.Tracing.Flows(ctx, tracing.FlowQuery{Last: f.Window.D})
	if err != nil {
		return err
	}
	ops, err := p.Catalog.Operations(ctx)
	if err != nil {
		return err
	}
	services, err := p.Catalog.Services(ctx)
	if err != nil {
		return err
	}
	domains, err := p.Catalog.Domains(ctx)
	if err != nil {
		return err
	}
	inDomain := map[string]bool{}
	for _, s := range services {
		if f.Domain != "" && s.Domain == f.Domain {
			inDomain[s.Name] = true
		}
	}
	keep := func(service, channel string) bool {
		if f.Service != "" && service != f.Service {
			// A service filter keeps the service's channels and who else is on them.
			return f.Channel == "" && f.Domain == ""
		}
		if f.Channel != "" && channel != f.Channel {
			return false
		}
		if f.Domain != "" && !inDomain[service] {
			return false
		}
		return true
	}
	report, err := p.Tracing.Health(ctx)
	if err != nil {
		return err
	}
	in := graphInput{Flows: flows, Ops: ops, Keep: keep, Health: report.Consumers}
	if f.Service != "" {
		in.Focus, in.Steps = serviceNodeID(f.Service), 2
	}
	g, shown, total := buildGraph(in)

	v := flowsView{page: page{Title: "Flows", Nav: "flows", DrawsGraph: true}, Filter: f, Graph: g, Shown: shown, Total: total, Now: now}
	v.Services, v.Channels = p.names(ctx, flows, services, ops)
	for _, d := range domains {
		v.Domains = append(v.Domains, d.Name)
	}
	// The table lists the observed flows the graph draws.
	drawn := map[string]bool{}
	for _, e := range g.Edges {
		drawn[e.From+"\x00"+e.To] = true
	}
	var rows []tracing.Flow
	for _, fl := range flows {
		if from, to := flowEdge(fl); drawn[from+"\x00"+to] {
			rows = append(rows, fl)
		}
	}
	v.List = readList(c, "/flows", 50, true, "rate", "service", "channel", "errors", "p95", "last")
	sortFlows(rows, v.List)
	lo, hi := v.List.bounds(len(rows))
	v.Flows = rows[lo:hi]
	return render(c, http.StatusOK, flowsPage(v))
}

func sortFlows(rows []tracing.Flow, l listState) {
	slices.SortStableFunc(rows, func(a, b tracing.Flow) int {
		tie := cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.ChannelKey, b.ChannelKey), strings.Compare(a.Direction, b.Direction))
		var c int
		switch l.Sort {
		case "service":
			c = strings.Compare(a.Service, b.Service)
		case "channel":
			c = strings.Compare(a.Channel.Destination, b.Channel.Destination)
		case "errors":
			c = cmp.Compare(a.ErrorRate, b.ErrorRate)
		case "p95":
			c = cmp.Compare(a.ProcessingMs.P95, b.ProcessingMs.P95)
		case "last":
			c = a.LastSeen.Compare(b.LastSeen)
		default:
			c = cmp.Compare(a.RatePerSecond, b.RatePerSecond)
		}
		return l.order(c, tie)
	})
}

// names are the services and channels for the filter form: observed and documented, sorted.
func (p *Pages) names(_ any, flows []tracing.Flow, services []catalog.Service, ops []catalog.Operation) ([]string, []string) {
	svc, ch := map[string]bool{}, map[string]bool{}
	for _, f := range flows {
		svc[f.Service], ch[f.Channel.Destination] = true, true
	}
	for _, s := range services {
		svc[s.Name] = true
	}
	for _, o := range ops {
		ch[o.Channel] = true
	}
	return sortedKeys(svc), sortedKeys(ch)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// flowsURL is the flow page filtered by service or channel, for links from other pages.
func flowsURL(key, value string) string {
	return "/flows?" + url.Values{key: {value}}.Encode()
}
