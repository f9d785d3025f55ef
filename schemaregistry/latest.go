package schemaregistry

import "context"

// LatestSchemaIDs maps every subject with a live version to the global id of its newest live
// version's schema, in one query, so indexes built from latest schemas (search) can tell which
// subjects changed.
func (r *Registry) LatestSchemaIDs(ctx context.Context) (map[string]int, error) {
	out, err := r.store.latestSchemaIDs(ctx)
	if err != nil {
		return nil, storeError("latest schema ids", err)
	}
	return out, nil
}
