package registryimport

import (
	"context"
	"net/http"

	"github.com/eventlens/eventlens/registryclient"
)

// source is the registry copied from. It has only get: the copy never changes the source.
type source struct{ c *registryclient.Client }

func (s source) get(ctx context.Context, path string, out any) error {
	return s.c.Do(ctx, http.MethodGet, path, nil, out)
}

// target is the eventlens copied into.
type target struct{ c *registryclient.Client }

func (t target) get(ctx context.Context, path string, out any) error {
	return t.c.Do(ctx, http.MethodGet, path, nil, out)
}

func (t target) send(ctx context.Context, method, path string, body, out any) error {
	return t.c.Do(ctx, method, path, body, out)
}
