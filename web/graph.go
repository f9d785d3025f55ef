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
func queueNodeID(name string) string   { return "q:" + name }

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
	// queue is the RabbitMQ queue between an exchange and its consumer: the consumer's edge
	// leaves the queue, and a binding edge (binding set) ties the exchange to the queue.
	queue   string
	binding bool
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
		e := edge{service: f.Service, channel: ch, system: f.Channel.System, queue: queueOf(f)}
		e.from, e.to = flowEdge(f)
		var bound *edge
		if e.queue != "" {
			bound = add(edge{from: channelNodeID(ch), to: e.from, channel: ch, system: e.system, queue: e.queue, binding: true})
		}
		for _, have := range []*edge{add(e), bound} {
			if have == nil {
				continue
			}
			have.messages += f.Messages
			have.errors += f.Errors
			have.rate += f.RatePerSecond
			have.p95 = max(have.p95, f.ProcessingMs.P95)
			have.health = worse(have.health, flowHealth(f))
		}
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
	node := func(id, name string, kind flowgraph.Kind, href string) *flowgraph.Node {
		if n, ok := nodes[id]; ok {
			return n
		}
		n := &flowgraph.Node{ID: id, Label: name, Kind: kind, Href: href}
		nodes[id] = n
		order = append(order, id)
		return n
	}
	channelNode := func(name string) *flowgraph.Node {
		return node(channelNodeID(name), name, flowgraph.Channel, channelPath(name))
	}
	// A queue has no page of its own; it links to its exchange's.
	queueNode := func(e *edge) *flowgraph.Node {
		n := node(queueNodeID(e.queue), e.queue, flowgraph.Channel, channelPath(e.channel))
		n.Subtitle = "queue"
		return n
	}
	for _, e := range edges {
		if e.satellite != "" {
			source := channelNode(strings.TrimPrefix(e.from, "ch:"))
			sat := channelNode(e.channel)
			sat.Subtitle = e.satellite + " of " + source.Label
			g.Edges = append(g.Edges, flowgraph.Edge{From: e.from, To: e.to, Label: e.satellite + "s", Satellite: true})
			continue
		}
		if e.binding {
			exchange, queue := channelNode(e.channel), queueNode(e)
			exchange.Subtitle = e.system
			exchange.Health, queue.Health = worse(exchange.Health, e.health), worse(queue.Health, e.health)
			g.Edges = append(g.Edges, flowgraph.Edge{From: e.from, To: e.to, Label: "bound · " + perMin(e.rate), Health: e.health})
			continue
		}
		svc := node(serviceNodeID(e.service), e.service, flowgraph.Service, servicePath(e.service))
		var ch *flowgraph.Node
		if e.queue != "" {
			ch = queueNode(e)
		} else {
			ch = channelNode(e.channel)
			if e.system != "" {
				ch.Subtitle = e.system
			}
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

// queueOf is the RabbitMQ queue a consumer's flow reads, drawn between the exchange and the
// consumer, or "".
func queueOf(f tracing.Flow) string {
	if f.Direction != tracing.RoleProducer.String() && f.Channel.System == "rabbitmq" {
		return f.ConsumerGroup
	}
	return ""
}

// flowEdge is the edge a flow is drawn on: producer → channel, channel → consumer, or
// queue → consumer for a RabbitMQ consumer (whose queue a binding edge ties to the exchange).
func flowEdge(f tracing.Flow) (from, to string) {
	switch {
	case f.Direction == tracing.RoleProducer.String():
		return serviceNodeID(f.Service), channelNodeID(f.Channel.Destination)
	case queueOf(f) != "":
		return queueNodeID(queueOf(f)), serviceNodeID(f.Service)
	default:
		return channelNodeID(f.Channel.Destination), serviceNodeID(f.Service)
	}
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

// neighbourhood keeps the edges within steps undirected steps of the node id. A RabbitMQ queue
// costs no step: it stands between an exchange and its consumer, who are neighbours.
func neighbourhood(edges []*edge, id string, steps int) []*edge {
	keep := map[string]bool{id: true}
	isQueue := func(id string) bool { return strings.HasPrefix(id, queueNodeID("")) }
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
		for grew := true; grew; {
			grew = false
			for _, e := range edges {
				if keep[e.from] != keep[e.to] && (isQueue(e.from) && keep[e.from] || isQueue(e.to) && keep[e.to]) {
					keep[e.from], keep[e.to], grew = true, true, true
				}
			}
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
