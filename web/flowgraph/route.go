package flowgraph

import (
	"strconv"
	"strings"
)

// route writes the SVG path of e through its points: straight where the route runs through a
// column, a cubic Bézier with horizontal tangents where it crosses a gap, so the joins are
// smooth. The path stops short of the end so the line does not poke through the arrowhead.
func (e *PlacedEdge) route() {
	pts := append([]Point(nil), e.Points...)
	n := len(pts)
	end := pts[n-1]
	dir := 1.0
	if end.X < pts[n-2].X {
		dir = -1
	}
	pts[n-1].X -= dir * (arrowLen - 1)
	// A straight run shorter than the arrowhead would now point backwards: drop its start.
	if n > 2 && pts[n-2].Y == end.Y && (pts[n-1].X-pts[n-2].X)*dir <= 0 {
		pts = append(pts[:n-2], pts[n-1])
	}
	var b strings.Builder
	b.WriteString("M" + num(pts[0].X) + " " + num(pts[0].Y))
	for i := 1; i < len(pts); i++ {
		p, q := pts[i-1], pts[i]
		if p.Y == q.Y {
			b.WriteString("H" + num(q.X))
			continue
		}
		mid := num((p.X + q.X) / 2)
		b.WriteString("C" + mid + " " + num(p.Y) + " " + mid + " " + num(q.Y) + " " + num(q.X) + " " + num(q.Y))
	}
	e.Path = b.String()
	back := end.X - dir*arrowLen
	e.Arrow = "M" + num(end.X) + " " + num(end.Y) + "L" + num(back) + " " + num(end.Y-4.5) +
		"L" + num(back) + " " + num(end.Y+4.5) + "Z"
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
