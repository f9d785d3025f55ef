package flowgraph

// Kind tells services from channels; they are drawn with different shapes.
type Kind int

const (
	Service Kind = iota
	Channel
)

// Health is the state of a node or an edge, shown by colour.
type Health int

const (
	Unknown Health = iota
	Healthy
	Degraded
	Failing
	Silent
)

// class is the CSS class app.css colours the health with.
func (h Health) class() string {
	switch h {
	case Healthy:
		return "health-healthy"
	case Degraded:
		return "health-degraded"
	case Failing:
		return "health-failing"
	case Silent:
		return "health-silent"
	default:
		return "health-unknown"
	}
}

func (h Health) String() string {
	switch h {
	case Healthy:
		return "healthy"
	case Degraded:
		return "degraded"
	case Failing:
		return "failing"
	case Silent:
		return "silent"
	default:
		return "unknown"
	}
}

// Graph is what the flow graph shows. Producers point service → channel, consumers
// channel → service; a service may do both, so the graph may have cycles.
type Graph struct {
	Nodes []Node
	Edges []Edge
}

// Node is a service or a channel.
type Node struct {
	ID       string
	Label    string
	Kind     Kind
	Href     string // the node's page; empty draws the node without a link
	Health   Health
	Subtitle string // e.g. "kafka" or "3 instances"
}

// Edge is one produce or consume flow.
type Edge struct {
	From, To string
	Label    string // e.g. "120/min · 2.1% err · p95 35ms"; " · " separates parts that may wrap
	Health   Health
	// Documented marks a flow the catalog describes but traces have not shown; it is drawn dashed.
	Documented bool
	// Satellite ties a channel to its dead-letter or retry channel, drawn dotted beside it.
	Satellite bool
}

// Options change how a graph is drawn.
type Options struct {
	// Title names the drawing for screen readers; "Event flow graph" when empty.
	Title string
	// Focus is the ID of a node to emphasise, as on a service's or channel's own page.
	Focus string
}
