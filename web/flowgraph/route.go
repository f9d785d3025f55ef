package flowgraph

import (
	"strconv"
	"strings"
)

// route writes the SVG path of e through its points: straight where the route runs through a
// layer, a cubic Bézier with tangents along the flow where it crosses a gap, so the joins are
// smooth. The path stops short of the end so the line does not poke through the arrowhead.
// Left to right the flow runs along x; top down, along y.
func (e *PlacedEdge) route(topDown bool) {
	// A point as (along the flow, across it), and back to "x y".
	type flowPoint struct{ a, c float64 }
	xy := func(p flowPoint) string {
		if topDown {
			return num(p.c) + " " + num(p.a)
		}
		return num(p.a) + " " + num(p.c)
	}
	pts := make([]flowPoint, len(e.Points))
	for i, p := range e.Points {
		pts[i] = flowPoint{p.X, p.Y}
		if topDown {
			pts[i] = flowPoint{p.Y, p.X}
		}
	}
	n := len(pts)
	end := pts[n-1]
	dir := 1.0
	if end.a < pts[n-2].a {
		dir = -1
	}
	pts[n-1].a -= dir * (arrowLen - 1)
	// A straight run shorter than the arrowhead would now point backwards: drop its start.
	if n > 2 && pts[n-2].c == end.c && (pts[n-1].a-pts[n-2].a)*dir <= 0 {
		pts = append(pts[:n-2], pts[n-1])
	}
	var b strings.Builder
	b.WriteString("M" + xy(pts[0]))
	for i := 1; i < len(pts); i++ {
		p, q := pts[i-1], pts[i]
		if p.c == q.c {
			b.WriteString("L" + xy(q))
			continue
		}
		mid := (p.a + q.a) / 2
		b.WriteString("C" + xy(flowPoint{mid, p.c}) + " " + xy(flowPoint{mid, q.c}) + " " + xy(q))
	}
	e.Path = b.String()
	back := end.a - dir*arrowLen
	e.Arrow = "M" + xy(end) + "L" + xy(flowPoint{back, end.c - 5}) + "L" + xy(flowPoint{back, end.c + 5}) + "Z"
}

// num formats a coordinate to one decimal, enough for the screen and stable in golden files.
func num(f float64) string {
	return strconv.FormatFloat(float64(int64(f*10+copysignHalf(f)))/10, 'f', -1, 64)
}

func copysignHalf(f float64) float64 {
	if f < 0 {
		return -0.5
	}
	return 0.5
}
