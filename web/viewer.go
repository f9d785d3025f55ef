package web

import "context"

// Viewer is who looks at a page: the signed-in key's name (empty when eventlens runs without
// keys) and the CSRF token every form must carry.
type Viewer struct {
	Name string
	CSRF string
}

type viewerKey struct{}

// WithViewer returns ctx carrying v, for the layout and forms of the pages rendered under it.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

func viewer(ctx context.Context) Viewer {
	v, _ := ctx.Value(viewerKey{}).(Viewer)
	return v
}
