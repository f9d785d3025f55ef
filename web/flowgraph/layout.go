package flowgraph

import (
	"cmp"
	"slices"
)

// Sizes in SVG user units, which are CSS pixels until the reader zooms.
const (
	margin        = 16.0
	nodeGap       = 22.0 // between two nodes in one column
	dummyGap      = 10.0 // between an edge passing through a column and what is next to it
	minLayerGap   = 48.0
	labelPad      = 12.0 // between an edge label and the columns on either side
	componentGap  = 36.0
	nodeFont      = 13.0
	channelFont   = 12.0
	subtitleFont  = 11.0
	labelFont     = 11.0
	labelLineH    = 13.0
	labelMaxWidth = 72.0
	maxLabelRunes = 32
	arrowLen      = 8.0
)

// Point is a position in the drawing.
type Point struct{ X, Y float64 }

// Box is a rectangle by its top left corner and size.
type Box struct{ X, Y, W, H float64 }

// Drawing is a graph laid out on the plane, origin top left.
type Drawing struct {
	Width, Height float64
	Nodes         []PlacedNode
	Edges         []PlacedEdge
}

// PlacedNode is a node with its box and the text that fits in it.
type PlacedNode struct {
	Node
	Box
	Text string // Label (or ID when the label is empty), shortened to fit
}

// PlacedEdge is an edge with its route and label.
type PlacedEdge struct {
	Edge
	Reversed   bool    // drawn right to left: the edge was turned to break a cycle
	Points     []Point // the start, where the route enters and leaves each column, the end
	Path       string  // SVG path data: straight runs through columns, Bézier curves across gaps
	Arrow      string  // SVG path data of the arrowhead at the end
	LabelBox   Box     // zero when the edge has no label
	LabelLines []string
}

// Layout places the nodes and routes the edges of g. Edges whose ends are not nodes of g,
// self loops and repeated edges are left out. The same graph always gives the same drawing.
func Layout(g Graph) Drawing {
	nodes, edges := normalise(g)
	var d Drawing
	y := margin
	var singles []int
	for _, comp := range components(len(nodes), edges) {
		if len(comp.edges) == 0 {
			singles = append(singles, comp.nodes[0])
			continue
		}
		cd := layoutComponent(nodes, edges, comp)
		cd.shift(margin, y)
		y += cd.Height + componentGap
		d.Width = max(d.Width, cd.Width)
		d.Nodes = append(d.Nodes, cd.Nodes...)
		d.Edges = append(d.Edges, cd.Edges...)
	}
	// Nodes without edges would make a tall column of their own; a grid keeps them compact.
	x, rowH, rowW := margin, 0.0, max(d.Width, 640)
	for _, i := range singles {
		n := nodes[i]
		if x > margin && x+n.W > margin+rowW {
			x, y = margin, y+rowH+nodeGap
			rowH = 0
		}
		n.X, n.Y = x, y
		d.Nodes = append(d.Nodes, n)
		x += n.W + nodeGap
		rowH = max(rowH, n.H)
		d.Width = max(d.Width, x-nodeGap-margin)
	}
	if len(singles) > 0 {
		y += rowH + componentGap
	}
	for i := range d.Edges {
		d.Edges[i].route()
	}
	if len(d.Nodes) > 0 {
		d.Width += 2 * margin
		d.Height = y - componentGap + margin
	}
	return d
}

func (d *Drawing) shift(dx, dy float64) {
	for i := range d.Nodes {
		d.Nodes[i].X += dx
		d.Nodes[i].Y += dy
	}
	for i := range d.Edges {
		e := &d.Edges[i]
		for j := range e.Points {
			e.Points[j].X += dx
			e.Points[j].Y += dy
		}
		if e.LabelBox.W > 0 {
			e.LabelBox.X += dx
			e.LabelBox.Y += dy
		}
	}
}

// normalise sorts nodes and edges by ID, sizes the nodes, and keeps only the edges that can
// be drawn, as indices into the returned nodes.
func normalise(g Graph) ([]PlacedNode, []indexedEdge) {
	src := slices.Clone(g.Nodes)
	slices.SortStableFunc(src, func(a, b Node) int { return cmp.Compare(a.ID, b.ID) })
	src = slices.CompactFunc(src, func(a, b Node) bool { return a.ID == b.ID })
	nodes := make([]PlacedNode, len(src))
	index := make(map[string]int, len(src))
	for i, n := range src {
		nodes[i] = sizeNode(n)
		index[n.ID] = i
	}
	var edges []indexedEdge
	for _, e := range g.Edges {
		from, ok1 := index[e.From]
		to, ok2 := index[e.To]
		if !ok1 || !ok2 || from == to {
			continue
		}
		edges = append(edges, indexedEdge{Edge: e, from: from, to: to})
	}
	slices.SortStableFunc(edges, func(a, b indexedEdge) int {
		return cmp.Or(cmp.Compare(a.from, b.from), cmp.Compare(a.to, b.to))
	})
	edges = slices.CompactFunc(edges, func(a, b indexedEdge) bool { return a.from == b.from && a.to == b.to })
	return nodes, edges
}

type indexedEdge struct {
	Edge
	from, to int
}

func sizeNode(n Node) PlacedNode {
	p := PlacedNode{Node: n, Text: n.Label}
	if p.Text == "" {
		p.Text = n.ID
	}
	p.Text = truncate(p.Text, maxLabelRunes)
	text := textWidth(p.Text, nodeFont, false) * 1.1 // bold
	ends := 28.0
	if n.Kind == Channel {
		text = textWidth(p.Text, channelFont, true)
		ends = 32 // the round ends of the pill
	}
	if n.Health != Unknown {
		ends += 12 // the health dot
	}
	p.W = max(88, max(text, textWidth(n.Subtitle, subtitleFont, false))+ends)
	p.H = 32
	if n.Subtitle != "" {
		p.H = 46
	}
	return p
}

type component struct {
	nodes []int // ascending, so in ID order
	edges []int
}

// components splits the graph into its connected components, the largest first.
func components(n int, edges []indexedEdge) []component {
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		if parent[i] != i {
			parent[i] = find(parent[i])
		}
		return parent[i]
	}
	for _, e := range edges {
		a, b := find(e.from), find(e.to)
		parent[max(a, b)] = min(a, b)
	}
	byRoot := map[int]*component{}
	var comps []*component
	for i := range n {
		r := find(i)
		c := byRoot[r]
		if c == nil {
			c = &component{}
			byRoot[r] = c
			comps = append(comps, c)
		}
		c.nodes = append(c.nodes, i)
	}
	for i, e := range edges {
		c := byRoot[find(e.from)]
		c.edges = append(c.edges, i)
	}
	// Stable: components of equal size stay in the order of their first node's ID.
	slices.SortStableFunc(comps, func(a, b *component) int { return cmp.Compare(len(b.nodes), len(a.nodes)) })
	out := make([]component, len(comps))
	for i, c := range comps {
		out[i] = *c
	}
	return out
}
