package schemaregistry

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// SchemaByID returns the schema with a global id (Subject and Version empty). A warm cache
// answers without touching SQLite.
func (r *Registry) SchemaByID(ctx context.Context, id int) (Schema, error) {
	s, err := r.schemaByID(ctx, id)
	if err != nil {
		return Schema{}, err
	}
	return toSchema("", versionRow{}, s), nil
}

// SchemaByGUID returns the schema with Confluent's GUID (its MD5 as a UUID).
func (r *Registry) SchemaByGUID(ctx context.Context, guid string) (Schema, error) {
	s, err := r.loadSchema(ctx, r.db.Read, "guid = ?", strings.ToLower(guid))
	if err != nil {
		return Schema{}, err
	}
	if cached, ok := r.cache.schema(s.id); ok {
		s = cached
	}
	return toSchema("", versionRow{}, s), nil
}

// MaxID is the largest schema id in use (0 when empty).
func (r *Registry) MaxID(ctx context.Context) (int, error) {
	var id int
	if err := r.db.Read.QueryRowContext(ctx, "SELECT coalesce(max(id), 0) FROM sr_schemas").Scan(&id); err != nil {
		return 0, storeError("read max id", err)
	}
	return id, nil
}

// SubjectFilter selects subjects or schemas in a listing.
type SubjectFilter struct {
	Prefix      string
	Deleted     bool // include soft-deleted versions
	DeletedOnly bool // only soft-deleted versions
	Offset      int
	Limit       int // 0 or less: no limit
}

func (f SubjectFilter) deletedClause() string {
	switch {
	case f.DeletedOnly:
		return "deleted = 1"
	case f.Deleted:
		return "1"
	default:
		return "deleted = 0"
	}
}

func (f SubjectFilter) page() (string, []any) {
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	return " LIMIT ? OFFSET ?", []any{limit, max(f.Offset, 0)}
}

// Subjects lists subject names, sorted.
func (r *Registry) Subjects(ctx context.Context, f SubjectFilter) ([]string, error) {
	page, args := f.page()
	rows, err := r.db.Read.QueryContext(ctx, "SELECT DISTINCT subject FROM sr_versions WHERE "+f.deletedClause()+
		" AND substr(subject, 1, length(?)) = ? ORDER BY subject"+page, append([]any{f.Prefix, f.Prefix}, args...)...)
	if err != nil {
		return nil, storeError("list subjects", err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, storeError("list subjects", err)
		}
		out = append(out, s)
	}
	return out, storeError("list subjects", rows.Err())
}

// Versions lists subject's version numbers (40401 when there are none to list).
func (r *Registry) Versions(ctx context.Context, subject string, f SubjectFilter) ([]int, error) {
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return nil, err
	}
	out := []int{}
	for _, v := range rows {
		if (f.DeletedOnly && v.deleted) || (!f.DeletedOnly && (f.Deleted || !v.deleted)) {
			out = append(out, v.version)
		}
	}
	if len(out) == 0 && !f.DeletedOnly {
		return nil, errSubjectNotFound(subject)
	}
	return out, nil
}

// Version returns one version of subject (Latest for the newest live one); soft-deleted versions
// only when deleted.
func (r *Registry) Version(ctx context.Context, subject string, version int, deleted bool) (Schema, error) {
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return Schema{}, err
	}
	row, err := findVersion(subject, rows, version, deleted)
	if err != nil {
		return Schema{}, err
	}
	s, err := r.schemaByID(ctx, row.schemaID)
	if err != nil {
		return Schema{}, err
	}
	return toSchema(subject, row, s), nil
}

// LatestWithMetadata returns the newest version of subject whose metadata properties hold every
// key and value of props (Confluent's data contracts: "the latest version for application
// major version 2"); soft-deleted versions count only when deleted.
func (r *Registry) LatestWithMetadata(ctx context.Context, subject string, props map[string]string, deleted bool) (Schema, error) {
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return Schema{}, err
	}
	live := false
	for i := len(rows) - 1; i >= 0; i-- {
		row := rows[i]
		if row.deleted && !deleted {
			continue
		}
		live = true
		s, err := r.schemaByID(ctx, row.schemaID)
		if err != nil {
			return Schema{}, err
		}
		if hasProperties(s.metadata, props) {
			return toSchema(subject, row, s), nil
		}
	}
	if !live {
		return Schema{}, errSubjectNotFound(subject)
	}
	return Schema{}, errSchemaNotFound(fmt.Sprintf("with metadata %v in subject '%s'", props, subject))
}

func hasProperties(md *Metadata, props map[string]string) bool {
	for k, v := range props {
		if md == nil || md.Properties[k] != v {
			return false
		}
	}
	return true
}

// ReferencedBy lists the ids of schemas with live versions that reference subject's version.
func (r *Registry) ReferencedBy(ctx context.Context, subject string, version int) ([]int, error) {
	v, err := r.Version(ctx, subject, version, true)
	if err != nil {
		return nil, err
	}
	return r.referrers(ctx, r.db.Read, subject, v.Version, false)
}

// referrers lists the schema ids that reference subject/version through versions that are live
// (or any version, when withDeleted).
func (r *Registry) referrers(ctx context.Context, q querier, subject string, version int, withDeleted bool) ([]int, error) {
	cond := "v.deleted = 0"
	if withDeleted {
		cond = "1"
	}
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT ref.schema_id FROM sr_references ref
		JOIN sr_versions v ON v.schema_id = ref.schema_id
		WHERE ref.ref_subject = ? AND ref.ref_version = ? AND `+cond+` ORDER BY ref.schema_id`, subject, version)
	if err != nil {
		return nil, storeError("read references", err)
	}
	defer rows.Close()
	out := []int{}
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			return nil, storeError("read references", err)
		}
		out = append(out, id)
	}
	return out, storeError("read references", rows.Err())
}

// VersionsForID lists the subject versions that use schema id (40403 when the id is unknown).
func (r *Registry) VersionsForID(ctx context.Context, id int, deleted bool) ([]SubjectVersion, error) {
	if _, err := r.schemaByID(ctx, id); err != nil {
		return nil, err
	}
	cond := "deleted = 0"
	if deleted {
		cond = "1"
	}
	rows, err := r.db.Read.QueryContext(ctx, "SELECT subject, version FROM sr_versions WHERE schema_id = ? AND "+cond+" ORDER BY subject, version", id)
	if err != nil {
		return nil, storeError("read versions of schema "+strconv.Itoa(id), err)
	}
	defer rows.Close()
	out := []SubjectVersion{}
	for rows.Next() {
		var sv SubjectVersion
		if err := rows.Scan(&sv.Subject, &sv.Version); err != nil {
			return nil, storeError("read versions of schema", err)
		}
		out = append(out, sv)
	}
	return out, storeError("read versions of schema", rows.Err())
}

// SubjectsForID lists the subjects that use schema id.
func (r *Registry) SubjectsForID(ctx context.Context, id int, deleted bool) ([]string, error) {
	svs, err := r.VersionsForID(ctx, id, deleted)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, sv := range svs {
		if len(out) == 0 || out[len(out)-1] != sv.Subject {
			out = append(out, sv.Subject)
		}
	}
	return out, nil
}

// Schemas lists subject versions with their schemas, by subject and version; latestOnly keeps
// the newest version of each subject.
func (r *Registry) Schemas(ctx context.Context, f SubjectFilter, latestOnly bool) ([]Schema, error) {
	subjects, err := r.Subjects(ctx, SubjectFilter{Prefix: f.Prefix, Deleted: f.Deleted, DeletedOnly: f.DeletedOnly})
	if err != nil {
		return nil, err
	}
	out := []Schema{}
	for _, subject := range subjects {
		rows, err := r.versions(ctx, subject)
		if err != nil {
			return nil, err
		}
		var picked []versionRow
		for _, v := range rows {
			if v.deleted && !f.Deleted && !f.DeletedOnly || !v.deleted && f.DeletedOnly {
				continue
			}
			picked = append(picked, v)
		}
		if latestOnly && len(picked) > 0 {
			picked = picked[len(picked)-1:]
		}
		for _, v := range picked {
			s, err := r.schemaByID(ctx, v.schemaID)
			if err != nil {
				return nil, err
			}
			out = append(out, toSchema(subject, v, s))
		}
	}
	start := min(max(f.Offset, 0), len(out))
	out = out[start:]
	if f.Limit > 0 && f.Limit < len(out) {
		out = out[:f.Limit]
	}
	return out, nil
}

// Counts is what the home page shows of the registry.
type Counts struct {
	Subjects int // subjects with at least one live version
	Versions int // live versions
	Schemas  int // distinct schemas (global ids)
}

// Counts counts subjects, live versions and schemas.
func (r *Registry) Counts(ctx context.Context) (Counts, error) {
	x, err := r.summaries.get(ctx, r) // the subject listing's index already counts versions
	if err != nil {
		return Counts{}, err
	}
	c := Counts{Subjects: len(x.all)}
	for _, s := range x.all {
		c.Versions += s.Versions
	}
	err = r.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM sr_schemas`).Scan(&c.Schemas)
	return c, storeError("count registry", err)
}
