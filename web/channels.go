package web

import (
	"cmp"
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

// sparkBuckets is how many points a sparkline has.
const sparkBuckets = 30

type channelRow struct {
	Name, System         string
	Documented           bool
	Producers, Consumers int
	Rate                 float64
	Messages, Errors     int64
	DelayP95             *float64
}

// add counts one of the channel's flows: a producer's rate, a consumer's errors and delay.
func (r *channelRow) add(f tracing.Flow) {
	if f.Direction == tracing.RoleProducer.String() {
		r.Producers++
		r.Rate += f.RatePerSecond
		return
	}
	r.Consumers++
	r.Messages += f.Messages
	r.Errors += f.Errors
	if f.DelayP95Ms != nil && (r.DelayP95 == nil || *f.DelayP95Ms > *r.DelayP95) {
		d := *f.DelayP95Ms
		r.DelayP95 = &d
	}
}

type channelsView struct {
	page
	Window window
	Rows   []channelRow
	List   listState
}

// Channels lists every channel, documented or observed: /channels?window=&sort=&order=&page=.
func (p *Pages) Channels(c echo.Context) error {
	ctx := c.Request().Context()
	w := parseWindow(c.QueryParam("window"))
	flows, err := p.Tracing.Flows(ctx, tracing.FlowQuery{Last: w.D})
	if err != nil {
		return err
	}
	documented, err := p.Catalog.Channels(ctx)
	if err != nil {
		return err
	}
	observed, err := p.Tracing.Names(ctx)
	if err != nil {
		return err
	}
	rows := map[string]*channelRow{}
	row := func(name string) *channelRow {
		if r, ok := rows[name]; ok {
			return r
		}
		r := &channelRow{Name: name}
		rows[name] = r
		return r
	}
	for _, ch := range documented {
		row(ch.Name).Documented = true
	}
	for _, ch := range observed.Channels {
		row(ch.Destination).System = ch.System
	}
	for _, f := range flows {
		row(f.Channel.Destination).add(f)
	}
	list := make([]channelRow, 0, len(rows))
	for _, r := range rows {
		list = append(list, *r)
	}
	v := channelsView{page: page{Title: "Channels", Nav: "catalog"}, Window: w}
	v.List = readList(c, "/channels", 50, false, "name", "rate", "errors", "delay")
	delay := func(r channelRow) float64 {
		if r.DelayP95 == nil {
			return -1
		}
		return *r.DelayP95
	}
	slices.SortFunc(list, func(a, b channelRow) int {
		var c int
		switch v.List.Sort {
		case "name":
			c = strings.Compare(a.Name, b.Name)
		case "rate":
			c = cmp.Compare(a.Rate, b.Rate)
		case "errors":
			c = cmp.Compare(rate(a.Errors, a.Messages), rate(b.Errors, b.Messages))
		case "delay":
			c = cmp.Compare(delay(a), delay(b))
		}
		return v.List.order(c, strings.Compare(a.Name, b.Name))
	})
	lo, hi := v.List.bounds(len(list))
	v.Rows = list[lo:hi]
	return render(c, http.StatusOK, channelsPage(v))
}

// peer is a service on a channel: a producer or a consumer (with its group).
type peer struct {
	Service    string
	Group      string
	Observed   bool
	Documented bool
	Flow       tracing.Flow
}

// subjectLink is a registry subject that holds a channel's schemas.
type subjectLink struct {
	Subject string
	Why     string // "value schema by TopicNameStrategy", or the message documented there
}

type channelView struct {
	page
	Name        string
	Channel     catalog.Channel
	Documented  bool
	Systems     []string
	Window      window
	Graph       flowgraph.Graph
	Producers   []peer
	Consumers   []peer
	Subjects    []subjectLink
	Throughput  []int64
	ErrorSeries []int64
	Rate        float64
	DelayP95    *float64
	Errors      []tracing.ErrorExample
	Now         time.Time
}

// Channel is one channel's page: /channels/{name}; names may hold '/' and '.'.
func (p *Pages) Channel(c echo.Context) error {
	ctx := c.Request().Context()
	name, err := nameParam(c)
	if err != nil {
		return err
	}
	w := parseWindow(c.QueryParam("window"))
	now := p.now()
	v := channelView{page: page{Title: name, Nav: "catalog", DrawsGraph: true}, Name: name, Window: w, Now: now}
	v.Channel, err = p.Catalog.Channel(ctx, name)
	switch {
	case err == nil:
		v.Documented = true
	case !errors.Is(err, catalog.ErrNotFound):
		return err
	}
	names, err := p.Tracing.Names(ctx)
	if err != nil {
		return err
	}
	var keys []string
	for _, ch := range names.Channels {
		if ch.Destination == name {
			v.Systems = append(v.Systems, ch.System)
			keys = append(keys, ch.Key())
		}
	}
	if !v.Documented && len(keys) == 0 {
		return echo.NewHTTPError(http.StatusNotFound, "No channel is called "+name+": neither the catalog nor any trace knows it.")
	}
	flows, err := p.Tracing.Flows(ctx, tracing.FlowQuery{Last: w.D})
	if err != nil {
		return err
	}
	ops, err := p.Catalog.Operations(ctx)
	if err != nil {
		return err
	}
	report, err := p.Tracing.Health(ctx)
	if err != nil {
		return err
	}
	v.Graph, _, _ = buildGraph(graphInput{Flows: flows, Ops: ops, Focus: channelNodeID(name), Steps: 1, Health: report.Consumers})
	v.Producers, v.Consumers = peers(name, flows, ops)
	for _, pr := range v.Producers {
		v.Rate += pr.Flow.RatePerSecond
	}
	for _, cn := range v.Consumers {
		if d := cn.Flow.DelayP95Ms; d != nil && (v.DelayP95 == nil || *d > *v.DelayP95) {
			v.DelayP95 = d
		}
	}
	v.Subjects = subjectsOf(name, v.Channel.Messages)

	series, err := p.Tracing.Series(ctx, tracing.FlowQuery{Last: w.D, Channel: name}, sparkBuckets)
	if err != nil {
		return err
	}
	v.Throughput, v.ErrorSeries = channelSeries(series)
	for _, k := range keys {
		v.Errors = append(v.Errors, p.Tracing.ErrorExamples(tracing.ExampleQuery{Channel: k, PerFlow: 3, Limit: 6})...)
	}
	return render(c, http.StatusOK, channelPage(v))
}

// channelSeries sums the producers' messages per bucket (the consumers' when nothing produces
// in view) and the consumers' errors.
func channelSeries(series map[string]tracing.FlowSeries) (messages, errs []int64) {
	var n int
	for _, s := range series {
		n = len(s.Messages) // the same for every series of one query
	}
	produced, consumed := make([]int64, n), make([]int64, n)
	errs = make([]int64, n)
	var anyProducer bool
	for _, s := range series {
		for i := range n {
			if s.Direction == tracing.RoleProducer.String() {
				anyProducer = true
				produced[i] += s.Messages[i]
			} else {
				consumed[i] += s.Messages[i]
				errs[i] += s.Errors[i]
			}
		}
	}
	if len(series) == 0 {
		return nil, nil
	}
	if anyProducer {
		return produced, errs
	}
	return consumed, errs
}

// subjectsOf lists the channel's subjects: the TopicNameStrategy pair first, then any other
// subject the catalog documents for a message on it.
func subjectsOf(channel string, messages []catalog.ChannelMessage) []subjectLink {
	out := []subjectLink{
		{Subject: channel + "-value", Why: "value schema, by TopicNameStrategy"},
		{Subject: channel + "-key", Why: "key schema, by TopicNameStrategy"},
	}
	for _, m := range messages {
		found := false
		for i := range out {
			if out[i].Subject == m.Subject {
				out[i].Why += " · message " + m.Message
				found = true
			}
		}
		if !found && m.Subject != "" {
			out = append(out, subjectLink{Subject: m.Subject, Why: "message " + m.Message})
		}
	}
	return out
}

// peers lists the channel's producers and consumers: observed flows and documented operations.
func peers(channel string, flows []tracing.Flow, ops []catalog.Operation) (producers, consumers []peer) {
	seen := map[string]int{}
	for _, f := range flows {
		if f.Channel.Destination != channel {
			continue
		}
		pr := peer{Service: f.Service, Group: f.ConsumerGroup, Observed: true, Flow: f}
		if f.Direction == tracing.RoleProducer.String() {
			seen["send\x00"+f.Service] = 1
			producers = append(producers, pr)
		} else {
			seen["receive\x00"+f.Service] = 1
			consumers = append(consumers, pr)
		}
	}
	for _, op := range ops {
		if op.Channel != channel {
			continue
		}
		list := &consumers
		if op.Action == catalog.ActionSend {
			list = &producers
		}
		if seen[op.Action+"\x00"+op.Service] > 0 {
			for i := range *list {
				if (*list)[i].Service == op.Service {
					(*list)[i].Documented = true
				}
			}
			continue
		}
		seen[op.Action+"\x00"+op.Service] = 1
		*list = append(*list, peer{Service: op.Service, Group: op.ConsumerGroup, Documented: true})
	}
	byName := func(a, b peer) int {
		return cmp.Or(strings.Compare(a.Service, b.Service), strings.Compare(a.Group, b.Group))
	}
	slices.SortFunc(producers, byName)
	slices.SortFunc(consumers, byName)
	return producers, consumers
}
