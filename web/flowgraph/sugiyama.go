package flowgraph

import (
	"cmp"
	"slices"
)

// sugiyama holds one connected component through the phases of the layered layout. Vertices
// are the component's nodes followed by the dummy vertices that long edges pass through.
//
// It lays out left to right: layers are columns, x runs along the flow and y across it. A
// top-down layout is the same with the axes swapped: its nodes come in turned on their side
// (width and height swapped), its labels are measured turned, and the drawing is turned back.
type sugiyama struct {
	topDown  bool
	nodes    []PlacedNode // the component's nodes, turned when topDown
	vertices []vertex
	chains   []chain // one per edge
	layers   [][]int // vertex indices, in order within each layer
	pos      []int   // a vertex's place in its layer
	y        []float64
}

type vertex struct {
	node     int // index into nodes, or -1 for a dummy
	layer    int
	h        float64
	up, down []int // neighbours in the layer before and after
}

// chain is the route of one edge through the layers, left to right.
type chain struct {
	edge     indexedEdge // from and to are indices into sugiyama.nodes
	reversed bool
	vertices []int
}

func (s *sugiyama) dummy(v int) bool { return s.vertices[v].node < 0 }

func layoutComponent(all []PlacedNode, edges []indexedEdge, comp component, topDown bool) Drawing {
	d := newSugiyama(all, edges, comp, topDown).draw()
	if topDown {
		d.swapAxes()
	}
	return d
}

// newSugiyama runs the phases of the layout up to, not including, drawing.
func newSugiyama(all []PlacedNode, edges []indexedEdge, comp component, topDown bool) *sugiyama {
	s := &sugiyama{topDown: topDown}
	local := make(map[int]int, len(comp.nodes))
	for i, n := range comp.nodes {
		local[n] = i
		if topDown {
			n := all[n]
			n.W, n.H = n.H, n.W
			s.nodes = append(s.nodes, n)
			continue
		}
		s.nodes = append(s.nodes, all[n])
	}
	for _, i := range comp.edges {
		e := edges[i]
		e.from, e.to = local[e.from], local[e.to]
		s.chains = append(s.chains, chain{edge: e})
	}
	s.breakCycles()
	s.assignLayers()
	s.orderLayers()
	s.assignY()
	return s
}

// breakCycles turns around a small set of edges so that the rest form a DAG, with the greedy
// heuristic of Eades, Lin and Smyth: sinks go last, sources first, and otherwise the node
// whose outgoing weight most exceeds its incoming one. Producer edges weigh more than consumer
// edges, so a cycle is broken on a consume: a channel then stays right of its producers.
func (s *sugiyama) breakCycles() {
	n := len(s.nodes)
	out := make([][]int, n) // chain indices
	in := make([][]int, n)
	for i, c := range s.chains {
		out[c.edge.from] = append(out[c.edge.from], i)
		in[c.edge.to] = append(in[c.edge.to], i)
	}
	weight := func(c chain) int {
		if s.nodes[c.edge.from].Kind == Service && s.nodes[c.edge.to].Kind == Channel {
			return 2
		}
		return 1
	}
	outDeg, inDeg := make([]int, n), make([]int, n)
	outW, inW := make([]int, n), make([]int, n)
	for _, c := range s.chains {
		w := weight(c)
		outDeg[c.edge.from]++
		outW[c.edge.from] += w
		inDeg[c.edge.to]++
		inW[c.edge.to] += w
	}
	removed := make([]bool, n)
	rank := make([]int, n)
	left, right := 0, n-1
	remove := func(v int) {
		removed[v] = true
		for _, i := range out[v] {
			c := s.chains[i]
			inDeg[c.edge.to]--
			inW[c.edge.to] -= weight(c)
		}
		for _, i := range in[v] {
			c := s.chains[i]
			outDeg[c.edge.from]--
			outW[c.edge.from] -= weight(c)
		}
	}
	for left <= right {
		sink, source, best := -1, -1, -1
		for v := range n {
			switch {
			case removed[v]:
			case outDeg[v] == 0:
				sink = v
			case inDeg[v] == 0 && source < 0:
				source = v
			case best < 0 || outW[v]-inW[v] > outW[best]-inW[best]:
				best = v
			}
			if sink >= 0 {
				break
			}
		}
		switch {
		case sink >= 0:
			rank[sink] = right
			right--
			remove(sink)
		case source >= 0:
			rank[source] = left
			left++
			remove(source)
		default:
			rank[best] = left
			left++
			remove(best)
		}
	}
	for i := range s.chains {
		c := &s.chains[i]
		c.reversed = rank[c.edge.from] > rank[c.edge.to]
	}
}

// tail and head are where a chain starts and ends in the layout, after any reversal.
func (c chain) tail() int {
	if c.reversed {
		return c.edge.to
	}
	return c.edge.from
}

func (c chain) head() int {
	if c.reversed {
		return c.edge.from
	}
	return c.edge.to
}

// assignLayers puts every node at the end of its longest incoming path, then moves nodes that
// send more than they receive right, next to their successors, which shortens long edges: a
// service that only produces sits just left of its channels, not in the first column. Long
// edges then get a dummy vertex in every layer they cross.
func (s *sugiyama) assignLayers() {
	n := len(s.nodes)
	succ, pred := make([][]int, n), make([][]int, n)
	indeg := make([]int, n)
	for _, c := range s.chains {
		succ[c.tail()] = append(succ[c.tail()], c.head())
		pred[c.head()] = append(pred[c.head()], c.tail())
		indeg[c.head()]++
	}
	topo := make([]int, 0, n)
	for v := range n {
		if indeg[v] == 0 {
			topo = append(topo, v)
		}
	}
	for i := 0; i < len(topo); i++ {
		for _, w := range succ[topo[i]] {
			if indeg[w]--; indeg[w] == 0 {
				topo = append(topo, w)
			}
		}
	}
	layer := make([]int, n)
	for _, v := range topo {
		for _, u := range pred[v] {
			layer[v] = max(layer[v], layer[u]+1)
		}
	}
	for _, v := range slices.Backward(topo) {
		if len(succ[v]) > len(pred[v]) {
			next := len(s.nodes) * 2
			for _, w := range succ[v] {
				next = min(next, layer[w])
			}
			layer[v] = next - 1
		}
	}
	first := slices.Min(layer)
	for v := range n {
		s.vertices = append(s.vertices, vertex{node: v, layer: layer[v] - first, h: s.nodes[v].H})
	}
	for i := range s.chains {
		c := &s.chains[i]
		prev := c.tail()
		c.vertices = append(c.vertices, prev)
		for l := s.vertices[prev].layer + 1; l < s.vertices[c.head()].layer; l++ {
			s.vertices = append(s.vertices, vertex{node: -1, layer: l})
			d := len(s.vertices) - 1
			s.link(prev, d)
			c.vertices = append(c.vertices, d)
			prev = d
		}
		s.link(prev, c.head())
		c.vertices = append(c.vertices, c.head())
	}
}

func (s *sugiyama) link(a, b int) {
	s.vertices[a].down = append(s.vertices[a].down, b)
	s.vertices[b].up = append(s.vertices[b].up, a)
}

// draw turns layers and vertical positions into a drawing: column x positions (gaps wide
// enough for the edge labels), edge routes, and labels moved apart where they would overlap.
func (s *sugiyama) draw() Drawing {
	nl := len(s.layers)
	colW := make([]float64, nl)
	for _, v := range s.vertices {
		if v.node >= 0 {
			colW[v.layer] = max(colW[v.layer], s.nodes[v.node].W)
		}
	}
	gapW := make([]float64, max(nl-1, 0))
	for i := range gapW {
		gapW[i] = minLayerGap
	}
	lines := make([][]string, len(s.chains))
	labelW := make([]float64, len(s.chains))
	labelGap := make([]int, len(s.chains)) // index in the chain of the vertex left of the label
	labelH := make([]float64, len(s.chains))
	for i, c := range s.chains {
		lines[i], labelW[i], labelH[i] = s.label(c.edge.Edge)
		labelGap[i] = (len(c.vertices) - 2) / 2
		l := s.vertices[c.vertices[labelGap[i]]].layer
		gapW[l] = max(gapW[l], labelW[i]+2*labelPad)
	}
	colX := make([]float64, nl)
	for l := 1; l < nl; l++ {
		colX[l] = colX[l-1] + colW[l-1] + gapW[l-1]
	}

	var d Drawing
	d.Width = colX[nl-1] + colW[nl-1]
	for v, vx := range s.vertices[:len(s.nodes)] {
		n := s.nodes[v]
		n.X = colX[vx.layer] + (colW[vx.layer]-n.W)/2
		n.Y = s.y[v] - n.H/2
		d.Nodes = append(d.Nodes, n)
	}
	ports := s.ports()
	byGap := map[int][]int{}
	for i, c := range s.chains {
		// Points along the chain, left to right.
		var pts []Point
		last := len(c.vertices) - 1
		for j, v := range c.vertices {
			vx := s.vertices[v]
			left, right := colX[vx.layer], colX[vx.layer]+colW[vx.layer]
			y := s.y[v]
			switch j {
			case 0:
				y = ports[i][0]
				n := d.Nodes[v]
				pts = append(pts, Point{n.X + n.W, y})
				if right > n.X+n.W {
					pts = append(pts, Point{right, y})
				}
			case last:
				y = ports[i][1]
				n := d.Nodes[v]
				if left < n.X {
					pts = append(pts, Point{left, y})
				}
				pts = append(pts, Point{n.X, y})
			default:
				pts = append(pts, Point{left, y}, Point{right, y})
			}
		}
		e := PlacedEdge{Edge: c.edge.Edge, Reversed: c.reversed, LabelLines: lines[i]}
		if len(lines[i]) > 0 {
			a, b := c.vertices[labelGap[i]], c.vertices[labelGap[i]+1]
			gap := s.vertices[a].layer
			ya, yb := s.y[a], s.y[b]
			if labelGap[i] == 0 {
				ya = ports[i][0]
			}
			if labelGap[i]+1 == last {
				yb = ports[i][1]
			}
			w, h := labelW[i], labelH[i]
			cx := colX[gap] + colW[gap] + gapW[gap]/2
			e.LabelBox = Box{X: cx - w/2, Y: (ya+yb)/2 - h/2, W: w, H: h}
			byGap[gap] = append(byGap[gap], i)
		}
		if c.reversed {
			slices.Reverse(pts)
		}
		e.Points = pts
		d.Edges = append(d.Edges, e)
	}
	for gap := range nl - 1 {
		separateLabels(d.Edges, byGap[gap])
	}
	top, bottom := d.Nodes[0].Y, d.Nodes[0].Y+d.Nodes[0].H
	for _, n := range d.Nodes {
		top, bottom = min(top, n.Y), max(bottom, n.Y+n.H)
	}
	for _, e := range d.Edges {
		for _, p := range e.Points {
			top, bottom = min(top, p.Y), max(bottom, p.Y)
		}
		if e.LabelBox.W > 0 {
			top, bottom = min(top, e.LabelBox.Y), max(bottom, e.LabelBox.Y+e.LabelBox.H)
		}
	}
	d.shift(0, -top)
	d.Height = bottom - top
	return d
}

// label wraps an edge's label and measures its box: w along the flow, h across it.
func (s *sugiyama) label(e Edge) (lines []string, w, h float64) {
	if s.topDown {
		lines = wrapLabel(e.Label, labelFont, labelMaxWidthTop)
		return lines, labelHeight(lines), labelWidth(lines, e.Health)
	}
	lines = wrapLabel(e.Label, labelFont, labelMaxWidth)
	return lines, labelWidth(lines, e.Health), labelHeight(lines)
}

// swapAxes turns a drawing laid out left to right into one that runs top to bottom.
func (d *Drawing) swapAxes() {
	d.TopDown = true
	d.Width, d.Height = d.Height, d.Width
	turn := func(b Box) Box { return Box{X: b.Y, Y: b.X, W: b.H, H: b.W} }
	for i := range d.Nodes {
		d.Nodes[i].Box = turn(d.Nodes[i].Box)
	}
	for i := range d.Edges {
		e := &d.Edges[i]
		for j, p := range e.Points {
			e.Points[j] = Point{X: p.Y, Y: p.X}
		}
		if e.LabelBox.W > 0 {
			e.LabelBox = turn(e.LabelBox)
		}
	}
}

// ports spreads the ends of the edges meeting a node along its side, in the order of the
// nodes at their other ends, so they arrive side by side instead of in one point.
// ports[chain] holds the y of the chain's left and right end.
func (s *sugiyama) ports() [][2]float64 {
	ports := make([][2]float64, len(s.chains))
	type end struct {
		chain, side int
		other       int // the vertex next along the chain
	}
	ends := make([][2][]end, len(s.nodes)) // per node: ends on its left and on its right side
	for i, c := range s.chains {
		first, last := c.vertices[0], c.vertices[len(c.vertices)-1]
		ends[first][1] = append(ends[first][1], end{i, 0, c.vertices[1]})
		ends[last][0] = append(ends[last][0], end{i, 1, c.vertices[len(c.vertices)-2]})
	}
	for v, sides := range ends {
		for _, es := range sides {
			slices.SortFunc(es, func(a, b end) int { return cmp.Compare(s.pos[a.other], s.pos[b.other]) })
			step := 0.0
			if len(es) > 1 {
				step = min(10, (s.nodes[v].H-14)/float64(len(es)-1))
			}
			for k, e := range es {
				ports[e.chain][e.side] = s.y[v] + (float64(k)-float64(len(es)-1)/2)*step
			}
		}
	}
	return ports
}

// separateLabels moves the labels in one gap apart vertically where they would overlap; they
// share a centre x, so this is a one-dimensional problem.
func separateLabels(edges []PlacedEdge, idx []int) {
	if len(idx) < 2 {
		return
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		return cmp.Compare(edges[a].LabelBox.Y+edges[a].LabelBox.H/2, edges[b].LabelBox.Y+edges[b].LabelBox.H/2)
	})
	want := make([]float64, len(idx))
	weight := make([]float64, len(idx))
	sep := make([]float64, len(idx)-1)
	for k, i := range idx {
		want[k] = edges[i].LabelBox.Y + edges[i].LabelBox.H/2
		weight[k] = 1
		if k > 0 {
			sep[k-1] = (edges[idx[k-1]].LabelBox.H+edges[i].LabelBox.H)/2 + 3
		}
	}
	for k, y := range project(want, weight, sep) {
		edges[idx[k]].LabelBox.Y = y - edges[idx[k]].LabelBox.H/2
	}
}
