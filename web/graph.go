package web

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/eventlens/eventlens/catalog"
	"github.com/eventlens/eventlens/tracing"
	"github.com/eventlens/eventlens/web/flowgraph"
)

// maxGraphEdges caps the edges drawn at once: beyond this a layered layout stops being
// readable, so the graph keeps the busiest and the page says how to narrow it.
const maxGraphEdges = 120

func serviceNodeID(name string) string { return "svc:" + name }
func channelNodeID(name string) string { return "ch:" + name }

// edge is one drawn edge: the flows between a service and a channel, consumer groups merged.
type edge struct {
	from, to         string
	service, channel string
	system           string
	messages, errors int64
	rate             float64
	p95              float64
	health           flowgraph.Health
	documented       bool
	satellite        string // for a tie from channel to its dead-letter or retry channel: the kind
}

// graphInput is what a flow graph is built from.
type graphInput struct {
	Flows []tracing.Flow
	Ops   []catalog.Operation // documented sends and receives, drawn dashed when traces lack them
	// Keep selects the service–channel pairs to draw; nil keeps all.
	Keep func(service, channel string) bool
	// Focus is a node to draw with its neighbourhood only (Steps undirected steps), or "".
	Focus string
	Steps int
	// Health, when given, adds what brokers say a consumer has left to do to its edges.
	Health []tracing.ConsumerHealth
}

// buildGraph turns flows and documented operations into the flow graph, returning how many
// edges it drew and how many there were.
func buildGraph(in graphInput) (g flowgraph.Graph, shown, total int) {
	backlogs := consumerBacklogs(in.Health)
	byPair := map[[2]string]*edge{}
	var edges []*edge
	add := func(e edge) *edge {
		k := [2]string{e.from, e.to}
		if have, ok := byPair[k]; ok {
			return have
		}
		n := e
		byPair[k] = &n
		edges = append(edges, &n)
		return &n
	}
	for _, f := range in.Flows {
		ch := f.Channel.Destination
		if in.Keep != nil && !in.Keep(f.Service, ch) {
			continue
		}
		e := edge{service: f.Service, channel: ch, system: f.Channel.System}
		if f.Direction == tracing.RoleProducer.String() {
			e.from, e.to = serviceNodeID(f.Service), channelNodeID(ch)
		} else {
			e.from, e.to = channelNodeID(ch), serviceNodeID(f.Service)
		}
		have := add(e)
		have.messages += f.Messages
		have.errors += f.Errors
		have.rate += f.RatePerSecond
		have.p95 = max(have.p95, f.ProcessingMs.P95)
		have.health = worse(have.health, flowHealth(f))
	}
	for _, op := range in.Ops {
		if in.Keep != nil && !in.Keep(op.Service, op.Channel) {
			continue
		}
		e := edge{service: op.Service, channel: op.Channel, documented: true}
		if op.Action == catalog.ActionSend {
			e.from, e.to = serviceNodeID(op.Service), channelNodeID(op.Channel)
		} else {
			e.from, e.to = channelNodeID(op.Channel), serviceNodeID(op.Service)
		}
		add(e)
	}
	// A dead-letter or retry channel hangs off its source channel when both are drawn; the tie
	// is an edge of its own, so a channel's page shows its satellites as its neighbours.
	channels := map[string]bool{}
	for _, e := range edges {
		channels[e.channel] = true
	}
	for _, name := range slices.Sorted(maps.Keys(channels)) {
		if source, kind, ok := tracing.SatelliteOf(name); ok && channels[source] {
			add(edge{from: channelNodeID(source), to: channelNodeID(name), channel: name, satellite: kind, messages: -1})
		}
	}
	if in.Focus != "" {
		edges = neighbourhood(edges, in.Focus, in.Steps)
	}
	total = len(edges)
	// The busiest observed edges first; documented-only ones after them.
	slices.SortStableFunc(edges, func(a, b *edge) int {
		if a.documented != b.documented {
			if a.documented {
				return 1
			}
			return -1
		}
		return cmp.Or(cmp.Compare(b.messages, a.messages), cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	if len(edges) > maxGraphEdges {
		edges = edges[:maxGraphEdges]
	}
	shown = len(edges)

	nodes := map[string]*flowgraph.Node{}
	var order []string
	node := func(id, name string, kind flowgraph.Kind) *flowgraph.Node {
		if n, ok := nodes[id]; ok {
			return n
		}
		n := &flowgraph.Node{ID: id, Label: name, Kind: kind}
		if kind == flowgraph.Service {
			n.Href = servicePath(name)
		} else {
			n.Href = channelPath(name)
		}
		nodes[id] = n
		order = append(order, id)
		return n
	}
	for _, e := range edges {
		if e.satellite != "" {
			source := node(e.from, strings.TrimPrefix(e.from, "ch:"), flowgraph.Channel)
			sat := node(e.to, e.channel, flowgraph.Channel)
			sat.Subtitle = e.satellite + " of " + source.Label
			g.Edges = append(g.Edges, flowgraph.Edge{From: e.from, To: e.to, Label: e.satellite + "s", Satellite: true})
			continue
		}
		svc := node(serviceNodeID(e.service), e.service, flowgraph.Service)
		ch := node(channelNodeID(e.channel), e.channel, flowgraph.Channel)
		if e.system != "" {
			ch.Subtitle = e.system
		}
		if !e.documented {
			svc.Health = worse(svc.Health, e.health)
			ch.Health = worse(ch.Health, e.health)
		}
		ge := flowgraph.Edge{From: e.from, To: e.to, Health: e.health, Documented: e.documented}
		if e.documented {
			ge.Label = "documented"
		} else {
			ge.Label = perMin(e.rate) + " · " + percent(rate(e.errors, e.messages)) + " err · p95 " + millis(e.p95)
		}
		if b := backlogs[[2]string{e.service, e.channel}]; b != "" && e.to == serviceNodeID(e.service) {
			ge.Label += " · " + b
		}
		g.Edges = append(g.Edges, ge)
	}
	slices.Sort(order)
	for _, id := range order {
		g.Nodes = append(g.Nodes, *nodes[id])
	}
	return g, shown, total
}

// consumerBacklogs says, per consumer service and channel, what the brokers report it has left:
// "lag 1.2k" (Kafka, summed over its groups) or "5 queued" (RabbitMQ).
func consumerBacklogs(health []tracing.ConsumerHealth) map[[2]string]string {
	lag, queued := map[[2]string]int64{}, map[[2]string]int64{}
	for _, c := range health {
		k := [2]string{c.Service, c.Channel.Destination}
		if c.Lag != nil {
			lag[k] += *c.Lag
		}
		if c.QueueDepth != nil {
			queued[k] += *c.QueueDepth
		}
	}
	out := map[[2]string]string{}
	for k, n := range lag {
		out[k] = "lag " + messages(n)
	}
	for k, n := range queued {
		if out[k] == "" {
			out[k] = messages(n) + " queued"
		}
	}
	return out
}

func rate(part, whole int64) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) / float64(whole)
}

// neighbourhood keeps the edges within steps undirected steps of the node id.
func neighbourhood(edges []*edge, id string, steps int) []*edge {
	keep := map[string]bool{id: true}
	for range max(steps, 1) {
		next := map[string]bool{}
		for _, e := range edges {
			if keep[e.from] || keep[e.to] {
				next[e.from], next[e.to] = true, true
			}
		}
		for k := range next {
			keep[k] = true
		}
	}
	var out []*edge
	for _, e := range edges {
		if keep[e.from] && keep[e.to] {
			out = append(out, e)
		}
	}
	return out
}
