package flowgraph

// balanceRounds is how often vertical positions are balanced against each side; more rounds
// straighten more but the drawing barely changes after a few.
const balanceRounds = 8

// assignY gives every vertex a vertical centre. Layers start packed; then, sweeping right and
// left, each vertex is pulled towards the weighted mean of its neighbours while keeping its
// layer's order and gaps: a least-squares projection solved exactly by pool-adjacent-violators.
// Edges between dummies weigh most, so long edges run straight (the weights of Gansner et al.).
func (s *sugiyama) assignY() {
	s.y = make([]float64, len(s.vertices))
	for _, layer := range s.layers {
		y := 0.0
		for i, v := range layer {
			if i > 0 {
				y += s.sep(layer[i-1], v)
			}
			s.y[v] = y
		}
		for _, v := range layer {
			s.y[v] -= y / 2
		}
	}
	for range balanceRounds {
		for l := 1; l < len(s.layers); l++ {
			s.balance(l, true, false)
		}
		for l := len(s.layers) - 2; l >= 0; l-- {
			s.balance(l, false, true)
		}
	}
	for l := range s.layers {
		s.balance(l, true, true)
	}
}

// sep is the distance between the centres of a and b when next to each other in a layer.
func (s *sugiyama) sep(a, b int) float64 {
	gap := nodeGap
	if s.dummy(a) || s.dummy(b) {
		gap = dummyGap
	}
	return (s.vertices[a].h+s.vertices[b].h)/2 + gap
}

func (s *sugiyama) omega(a, b int) float64 {
	switch {
	case s.dummy(a) && s.dummy(b):
		return 8
	case s.dummy(a) || s.dummy(b):
		return 2
	}
	return 1
}

func (s *sugiyama) balance(l int, up, down bool) {
	layer := s.layers[l]
	want := make([]float64, len(layer))
	weight := make([]float64, len(layer))
	sep := make([]float64, max(len(layer)-1, 0))
	for i, v := range layer {
		sum, wsum := 0.0, 0.0
		add := func(nb []int) {
			for _, w := range nb {
				o := s.omega(v, w)
				sum += o * s.y[w]
				wsum += o
			}
		}
		if up {
			add(s.vertices[v].up)
		}
		if down {
			add(s.vertices[v].down)
		}
		if wsum == 0 {
			// Nothing pulls this vertex: it stays, but yields to those that are pulled.
			want[i], weight[i] = s.y[v], 0.25
		} else {
			want[i], weight[i] = sum/wsum, wsum
		}
		if i > 0 {
			sep[i-1] = s.sep(layer[i-1], v)
		}
	}
	for i, y := range project(want, weight, sep) {
		s.y[layer[i]] = y
	}
}

// project returns the positions p closest to want (least squares, weighted) with
// p[i+1] >= p[i] + sep[i]. Shifting p[i] by the sum of the gaps before it turns the gaps into
// a plain order constraint, which pool-adjacent-violators solves in linear time.
func project(want, weight, sep []float64) []float64 {
	off := make([]float64, len(want))
	for i := 1; i < len(want); i++ {
		off[i] = off[i-1] + sep[i-1]
	}
	type block struct {
		w, wv      float64
		start, end int
	}
	blocks := make([]block, 0, len(want))
	for i := range want {
		b := block{w: weight[i], wv: weight[i] * (want[i] - off[i]), start: i, end: i + 1}
		for len(blocks) > 0 {
			last := blocks[len(blocks)-1]
			if last.wv/last.w <= b.wv/b.w {
				break
			}
			b = block{w: last.w + b.w, wv: last.wv + b.wv, start: last.start, end: b.end}
			blocks = blocks[:len(blocks)-1]
		}
		blocks = append(blocks, b)
	}
	p := make([]float64, len(want))
	for _, b := range blocks {
		for i := b.start; i < b.end; i++ {
			p[i] = b.wv/b.w + off[i]
		}
	}
	return p
}
