package catalog

import "context"

// Operations lists what every service sends and receives, by service and operation name: the
// documented flows the flow graph draws next to the observed ones.
func (c *Catalog) Operations(ctx context.Context) ([]Operation, error) {
	return c.store.operations(ctx)
}
