package flowgraph

import "strings"

// dotRoom is the room the health dot takes before a node's text.
const dotRoom = 14.0

// The geometry of a node's insides, shared by the layout (sizeNode) and the template.
func (n PlacedNode) inset() float64 {
	if n.Kind == Channel {
		return 16 // the round end of the pill
	}
	return 14
}

func (n PlacedNode) radius() string {
	if n.Kind == Channel {
		return num(n.H / 2)
	}
	return "8"
}

func (n PlacedNode) textX() string {
	x := n.X + n.inset()
	if n.Health != Unknown {
		x += dotRoom
	}
	return num(x)
}

func (n PlacedNode) dotX() string { return num(n.X + n.inset() + 4) }

func (n PlacedNode) midY() string { return num(n.Y + n.H/2) }

// labelY and subtitleY are text baselines: one line centred, or two lines.
func (n PlacedNode) labelY() string {
	if n.Subtitle == "" {
		return num(n.Y + n.H/2 + 5.5)
	}
	return num(n.Y + 22)
}

func (n PlacedNode) subtitleY() string { return num(n.Y + 41) }

func (n PlacedNode) class(focus string) string {
	c := "fg-node fg-service "
	if n.Kind == Channel {
		c = "fg-node fg-channel "
	}
	c += n.Health.class()
	if focus != "" && n.ID == focus {
		c += " fg-focus"
	}
	return c
}

// title is the hover text: the full name, what the node is, its health.
func (n PlacedNode) title() string {
	kind := "service"
	if n.Kind == Channel {
		kind = "channel"
	}
	parts := []string{n.Label}
	if n.Label == "" {
		parts[0] = n.ID
	}
	parts = append(parts, kind)
	if n.Subtitle != "" {
		parts = append(parts, n.Subtitle)
	}
	if n.Health != Unknown {
		parts = append(parts, n.Health.String())
	}
	return strings.Join(parts, " · ")
}

func (e PlacedEdge) id() string { return e.From + "->" + e.To }

func (e PlacedEdge) title() string {
	t := e.From + " → " + e.To
	if e.Label != "" {
		t += ": " + e.Label
	}
	if e.Health != Unknown {
		t += " (" + e.Health.String() + ")"
	}
	if e.Documented {
		t += " (documented, not seen in traces)"
	}
	return t
}

// class is the edge's CSS class: its health, fg-documented for a flow only documented,
// fg-satellite for a channel's tie to its dead-letter or retry channel.
func (e PlacedEdge) class() string {
	return "fg-edge " + e.Health.class() + e.labelExtra()
}

func (e PlacedEdge) lineX() string { return num(e.LabelBox.X + e.LabelBox.W/2) }

func (e PlacedEdge) lineY(i int) string {
	return num(e.LabelBox.Y + 2 + labelLineH*float64(i) + labelBaseline)
}

func viewBox(d Drawing) string { return "0 0 " + num(d.Width) + " " + num(d.Height) }

// aspect keeps the drawing 1:1 when its box is narrower (app.css caps it at the frame's width),
// cropping it to where the flow starts: the left of a drawing left to right, the top middle of
// one top down.
func aspect(d Drawing) string {
	if d.TopDown {
		return "xMidYMin slice"
	}
	return "xMinYMin slice"
}

func title(o Options) string {
	if o.Title == "" {
		return "Event flow graph"
	}
	return o.Title
}

func (e PlacedEdge) labelExtra() string {
	switch {
	case e.Documented:
		return " fg-documented"
	case e.Satellite:
		return " fg-satellite"
	}
	return ""
}
