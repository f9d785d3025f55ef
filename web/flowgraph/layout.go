package flowgraph

import (
	"cmp"
	"slices"
)

// Sizes in SVG user units, which are CSS pixels until the reader zooms: the drawing is shown
// 1:1, so names and edge labels are as large as the page's body text (app.css, 15px).
const (
	margin        = 16.0
	nodeGap       = 22.0 // between two nodes in one layer
	dummyGap      = 10.0 // between an edge passing through a layer and what is next to it
	minLayerGap   = 48.0
	labelPad      = 12.0 // between an edge label and the layers on either side
	componentGap  = 36.0
	nodeFont      = 15.0
	channelFont   = 15.0
	subtitleFont  = 13.0
	labelFont     = 15.0
	labelLineH    = 18.0
	labelBaseline = 13.0 // from the top of a label line to its text's baseline
	maxLabelRunes = 32
	arrowLen      = 9.0
	// Edge labels wrap at their " · " separators to stay this wide: narrow in a gap between
	// columns (left to right: three short lines), wide in a gap between rows (top down: one
	// line, so the rows stay close).
	labelMaxWidth    = 100.0
	labelMaxWidthTop = 260.0
)

// fitWidth is how wide the graph's frame is on the console's pages (app.css: main is 72rem
// wide less its padding and the frame's) on any window wider than main: a drawing up to this
// wide is seen whole at 1:1.
const fitWidth = 1080.0

// Point is a position in the drawing.
type Point struct{ X, Y float64 }

// Box is a rectangle by its top left corner and size.
type Box struct{ X, Y, W, H float64 }

// Drawing is a graph laid out on the plane, origin top left.
type Drawing struct {
	Width, Height float64
	// TopDown says the layers run top to bottom instead of left to right: the graph has so
	// many layers that left to right it would be far wider than the page.
	TopDown bool
	Nodes   []PlacedNode
	Edges   []PlacedEdge
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
	Points     []Point // the start, where the route enters and leaves each layer, the end
	Path       string  // SVG path data: straight runs through layers, Bézier curves across gaps
	Arrow      string  // SVG path data of the arrowhead at the end
	LabelBox   Box     // zero when the edge has no label
	LabelLines []string
}

// Layout places the nodes and routes the edges of g. Edges whose ends are not nodes of g,
// self loops and repeated edges are left out. The same graph always gives the same drawing.
//
// Layers run left to right, producers before their channels before their consumers, unless
// that would be wider than the page: a long pipeline of few nodes per layer then runs top to
// bottom, as wide as its busiest layer, and the page grows taller instead of the text smaller.
func Layout(g Graph) Drawing {
	nodes, edges := normalise(g)
	d := layout(nodes, edges, false)
	if d.Width > fitWidth {
		// Of two drawings too wide for the page, the narrower: a page scrolls down anyway.
		if td := layout(nodes, edges, true); td.Width < d.Width {
			return td
		}
	}
	return d
}

// layout lays out every component in one direction. Components fill rows as wide as the
// page, largest first; nodes without edges follow in a grid, which keeps them compact.
func layout(nodes []PlacedNode, edges []indexedEdge, topDown bool) Drawing {
	d := Drawing{TopDown: topDown}
	var drawn []Drawing
	var singles []int
	rowW := fitWidth - 2*margin
	for _, comp := range components(len(nodes), edges) {
		if len(comp.edges) == 0 {
			singles = append(singles, comp.nodes[0])
			continue
		}
		cd := layoutComponent(nodes, edges, comp, topDown)
		rowW = max(rowW, cd.Width)
		drawn = append(drawn, cd)
	}
	rows := newShelf(margin, margin, rowW, componentGap)
	for _, cd := range drawn {
		x, y := rows.place(cd.Width, cd.Height)
		cd.shift(x, y)
		d.Nodes = append(d.Nodes, cd.Nodes...)
		d.Edges = append(d.Edges, cd.Edges...)
	}
	grid := newShelf(margin, rows.next(), rowW, nodeGap)
	for _, i := range singles {
		n := nodes[i]
		n.X, n.Y = grid.place(n.W, n.H)
		d.Nodes = append(d.Nodes, n)
	}
	for i := range d.Edges {
		d.Edges[i].route(topDown)
	}
	if len(d.Nodes) > 0 {
		d.Width = max(rows.right, grid.right) + margin
		d.Height = max(rows.bottom, grid.bottom) + margin
	}
	return d
}

// shelf places boxes in rows, left to right, starting a new row where a box would pass the
// width; right and bottom are the edges of what it placed.
type shelf struct {
	left, width, gap float64
	x, y, rowH       float64 // where the next box goes; the height of its row so far
	right, bottom    float64
}

func newShelf(left, top, width, gap float64) shelf {
	return shelf{left: left, width: width, gap: gap, x: left, y: top}
}

func (s *shelf) place(w, h float64) (x, y float64) {
	if s.x > s.left && s.x+w > s.left+s.width {
		s.x, s.y, s.rowH = s.left, s.y+s.rowH+s.gap, 0
	}
	x, y = s.x, s.y
	s.x += w + s.gap
	s.rowH = max(s.rowH, h)
	s.right, s.bottom = max(s.right, x+w), max(s.bottom, y+h)
	return x, y
}

// next is where a row after the last one would start.
func (s *shelf) next() float64 {
	if s.rowH == 0 {
		return s.y
	}
	return s.y + s.rowH + s.gap
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
	if n.Kind == Channel {
		text = textWidth(p.Text, channelFont, true)
	}
	ends := 2 * p.inset() // the padding, or the round ends of a channel's pill
	if n.Health != Unknown {
		ends += dotRoom
	}
	p.W = max(100, max(text, textWidth(n.Subtitle, subtitleFont, false))+ends)
	p.H = 36
	if n.Subtitle != "" {
		p.H = 52
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
