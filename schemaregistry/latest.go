package schemaregistry

import "context"

// LatestSchemaIDs maps every subject with a live version to the global id of its newest live
// version's schema, in one query, so indexes built from latest schemas (search) can tell which
// subjects changed.
func (r *Registry) LatestSchemaIDs(ctx context.Context) (map[string]int, error) {
	rows, err := r.db.Read.QueryContext(ctx, `SELECT v.subject, v.schema_id FROM sr_versions v
		JOIN (SELECT subject, max(version) AS version FROM sr_versions WHERE deleted = 0 GROUP BY subject) l
		ON l.subject = v.subject AND l.version = v.version`)
	if err != nil {
		return nil, storeError("latest schema ids", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var subject string
		var id int
		if err := rows.Scan(&subject, &id); err != nil {
			return nil, storeError("latest schema ids", err)
		}
		out[subject] = id
	}
	return out, storeError("latest schema ids", rows.Err())
}
