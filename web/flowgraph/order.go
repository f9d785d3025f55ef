package flowgraph

import (
	"cmp"
	"slices"
)

// maxSweeps bounds the barycenter sweeps; sweeping stops earlier once a few in a row fail to
// improve the best order.
const maxSweeps = 24

// orderLayers orders the vertices within each layer to reduce edge crossings: from a
// depth-first start, barycenter sweeps alternating down and up, each followed by adjacent
// swaps (transpose), keeping the order with the fewest crossings. Sweeps get stuck where a
// long edge would have to move across several layers at once, so a second depth-first start,
// taking neighbours in the opposite order, gets its chance too.
func (s *sugiyama) orderLayers() {
	nl := 0
	for _, v := range s.vertices {
		nl = max(nl, v.layer+1)
	}
	s.pos = make([]int, len(s.vertices))
	var best [][]int
	bestCrossings := -1
	for _, reverse := range []bool{false, true} {
		s.depthFirstOrder(nl, reverse)
		if c := s.sweep(); bestCrossings < 0 || c < bestCrossings {
			best, bestCrossings = cloneLayers(s.layers), c
		}
		if bestCrossings == 0 {
			break
		}
	}
	s.setLayers(best)
}

func (s *sugiyama) setLayers(layers [][]int) {
	s.layers = layers
	for _, layer := range layers {
		for i, v := range layer {
			s.pos[v] = i
		}
	}
}

// depthFirstOrder orders each layer by a depth-first walk from the leftmost vertices, in ID
// order, so the first order follows the flow.
func (s *sugiyama) depthFirstOrder(nl int, reverse bool) {
	s.layers = make([][]int, nl)
	seen := make([]bool, len(s.vertices))
	var visit func(int)
	visit = func(v int) {
		seen[v] = true
		l := s.vertices[v].layer
		s.pos[v] = len(s.layers[l])
		s.layers[l] = append(s.layers[l], v)
		down := s.vertices[v].down
		for i := range down {
			if reverse {
				i = len(down) - 1 - i
			}
			if !seen[down[i]] {
				visit(down[i])
			}
		}
	}
	starts := make([]int, len(s.vertices))
	for i := range starts {
		starts[i] = i
	}
	slices.SortStableFunc(starts, func(a, b int) int { return cmp.Compare(s.vertices[a].layer, s.vertices[b].layer) })
	for _, v := range starts {
		if !seen[v] {
			visit(v)
		}
	}
}

// sweep improves the current order and leaves the best one found; it returns its crossings.
func (s *sugiyama) sweep() int {
	nl := len(s.layers)
	best := s.crossings()
	bestLayers := cloneLayers(s.layers)
	for sweep, stale := 0, 0; sweep < maxSweeps && best > 0 && stale < 4; sweep++ {
		if sweep%2 == 0 {
			for l := 1; l < nl; l++ {
				s.reorder(l, true)
			}
		} else {
			for l := nl - 2; l >= 0; l-- {
				s.reorder(l, false)
			}
		}
		s.transpose()
		if c := s.crossings(); c < best {
			best, stale = c, 0
			bestLayers = cloneLayers(s.layers)
		} else {
			stale++
		}
	}
	s.setLayers(bestLayers)
	return best
}

func cloneLayers(layers [][]int) [][]int {
	out := make([][]int, len(layers))
	for i, l := range layers {
		out[i] = slices.Clone(l)
	}
	return out
}

// reorder sorts layer l by the mean position of each vertex's neighbours in the layer above
// (up) or below. A vertex without such neighbours keeps its place.
func (s *sugiyama) reorder(l int, up bool) {
	layer := s.layers[l]
	type key struct {
		bary float64
		pos  int
	}
	keys := make([]key, len(layer))
	for i, v := range layer {
		nb := s.vertices[v].down
		if up {
			nb = s.vertices[v].up
		}
		keys[i] = key{float64(i), i}
		if len(nb) > 0 {
			sum := 0
			for _, w := range nb {
				sum += s.pos[w]
			}
			keys[i].bary = float64(sum) / float64(len(nb))
		}
	}
	slices.SortFunc(keys, func(a, b key) int { return cmp.Or(cmp.Compare(a.bary, b.bary), cmp.Compare(a.pos, b.pos)) })
	old := slices.Clone(layer)
	for i, k := range keys {
		layer[i] = old[k.pos]
		s.pos[layer[i]] = i
	}
}

// transpose swaps neighbours within a layer while that removes crossings.
func (s *sugiyama) transpose() {
	for pass, improved := 0, true; improved && pass < 4; pass++ {
		improved = false
		for _, layer := range s.layers {
			for i := 0; i+1 < len(layer); i++ {
				v, w := layer[i], layer[i+1]
				keep, swap := s.pairCrossings(v, w)
				if swap < keep {
					layer[i], layer[i+1] = w, v
					s.pos[v], s.pos[w] = i+1, i
					improved = true
				}
			}
		}
	}
}

// pairCrossings counts the crossings among the edges of v and w with v left of w (keep) and
// with w left of v (swap).
func (s *sugiyama) pairCrossings(v, w int) (keep, swap int) {
	count := func(a, b []int) {
		for _, x := range a {
			for _, y := range b {
				if s.pos[x] > s.pos[y] {
					keep++
				} else if s.pos[x] < s.pos[y] {
					swap++
				}
			}
		}
	}
	count(s.vertices[v].up, s.vertices[w].up)
	count(s.vertices[v].down, s.vertices[w].down)
	return keep, swap
}

// crossings counts all edge crossings, layer pair by layer pair, as the inversions among the
// lower ends of the edges sorted by their upper ends (Barth, Jünger and Mutzel), with a
// Fenwick tree.
func (s *sugiyama) crossings() int {
	total := 0
	var ends []int
	for l := 0; l+1 < len(s.layers); l++ {
		ends = ends[:0]
		for _, v := range s.layers[l] {
			start := len(ends)
			for _, w := range s.vertices[v].down {
				ends = append(ends, s.pos[w])
			}
			slices.Sort(ends[start:])
		}
		tree := make([]int, len(s.layers[l+1])+1)
		for i, p := range ends {
			// Earlier edges whose lower end is right of p cross this one.
			seen := 0
			for j := p + 1; j > 0; j -= j & -j {
				seen += tree[j]
			}
			total += i - seen
			for j := p + 1; j < len(tree); j += j & -j {
				tree[j]++
			}
		}
	}
	return total
}
