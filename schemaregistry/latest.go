package schemaregistry

import "context"

// LatestSchemaIDs maps every subject with a live version to the key of its newest live
// version's schema (its id in the default context; a key apart from those in another context,
// which SchemaByID reads too), in one query, so indexes built from latest schemas (search) can tell which
// subjects changed.
func (r *Registry) LatestSchemaIDs(ctx context.Context) (map[string]int, error) {
	out, err := r.store.latestSchemaIDs(ctx)
	if err != nil {
		return nil, storeError("latest schema ids", err)
	}
	return out, nil
}
