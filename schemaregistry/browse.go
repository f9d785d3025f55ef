package schemaregistry

import (
	"context"
	"strings"
)

// SubjectSummary is one subject as a listing shows it: its latest live version and how it got
// there.
type SubjectSummary struct {
	Subject       string
	SchemaType    string // of the latest live version
	LatestVersion int
	LatestID      int    // schema id of the latest live version
	Versions      int    // live versions
	Deleted       int    // soft-deleted versions
	Changed       int64  // unix milliseconds of the newest registration, soft-deleted versions included
	Compatibility string // the subject's own level; "" when the global level applies
}

// Orders in which SummaryQuery may list subjects.
const (
	SortByName    = "name"
	SortByType    = "type"
	SortByVersion = "version"
	SortByChanged = "changed"
)

// summaryOrder maps each sort key to its ORDER BY column; the subject name breaks ties, so
// pages are stable.
var summaryOrder = map[string]string{
	SortByName:    "s.subject",
	SortByType:    "sch.schema_type",
	SortByVersion: "s.latest",
	SortByChanged: "s.changed",
}

// SummaryQuery selects one page of subject summaries.
type SummaryQuery struct {
	Prefix     string // only subjects whose name starts with it (case-sensitive, as the API's subjectPrefix)
	Sort       string // one of the SortBy constants; "" is by name
	Descending bool
	Offset     int
	Limit      int // 0 or less: no limit
}

// SubjectSummaries lists the subjects with at least one live version, one page at a time, and
// says how many subjects match in all.
func (r *Registry) SubjectSummaries(ctx context.Context, q SummaryQuery) ([]SubjectSummary, int, error) {
	order, ok := summaryOrder[q.Sort]
	if !ok {
		order = summaryOrder[SortByName]
	}
	dir := " ASC"
	if q.Descending {
		dir = " DESC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	offset := max(q.Offset, 0)
	// One pass over sr_versions grouped by its primary key, then one lookup per listed subject
	// for the latest version's schema type; count(*) OVER () is the total before LIMIT.
	query := `WITH s AS (
			SELECT subject,
				sum(deleted = 0) AS live,
				sum(deleted = 1) AS dead,
				max(CASE WHEN deleted = 0 THEN version END) AS latest,
				max(created_at) AS changed
			FROM sr_versions
			WHERE subject >= ? AND substr(subject, 1, length(?)) = ?
			GROUP BY subject
			HAVING live > 0
		)
		SELECT s.subject, s.live, s.dead, s.latest, s.changed, sch.id, sch.schema_type,
			coalesce(c.compatibility, ''), count(*) OVER ()
		FROM s
		JOIN sr_versions v ON v.subject = s.subject AND v.version = s.latest
		JOIN sr_schemas sch ON sch.id = v.schema_id
		LEFT JOIN sr_config c ON c.subject = s.subject
		ORDER BY ` + order + dir + `, s.subject` + dir + `
		LIMIT ? OFFSET ?`
	rows, err := r.db.Read.QueryContext(ctx, query, q.Prefix, q.Prefix, q.Prefix, limit, offset)
	if err != nil {
		return nil, 0, storeError("list subject summaries", err)
	}
	defer rows.Close()
	out := []SubjectSummary{}
	total := 0
	for rows.Next() {
		var s SubjectSummary
		if err := rows.Scan(&s.Subject, &s.Versions, &s.Deleted, &s.LatestVersion, &s.Changed, &s.LatestID, &s.SchemaType, &s.Compatibility, &total); err != nil {
			return nil, 0, storeError("list subject summaries", err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, storeError("list subject summaries", err)
	}
	if len(out) == 0 && offset > 0 {
		// A page past the end still says how many there are.
		err := r.db.Read.QueryRowContext(ctx, `SELECT count(DISTINCT subject) FROM sr_versions
			WHERE deleted = 0 AND subject >= ? AND substr(subject, 1, length(?)) = ?`, q.Prefix, q.Prefix, q.Prefix).Scan(&total)
		if err != nil {
			return nil, 0, storeError("count subjects", err)
		}
	}
	return out, total, nil
}

// Referrer is a subject version whose schema references another.
type Referrer struct {
	SubjectVersion
	ID int // the referring schema's id
}

// Referrers lists the live subject versions whose schemas reference subject's version, as
// referencedby does but naming each subject version rather than only the schema id.
func (r *Registry) Referrers(ctx context.Context, subject string, version int) ([]Referrer, error) {
	ids, err := r.ReferencedBy(ctx, subject, version)
	if err != nil {
		return nil, err
	}
	out := []Referrer{}
	for _, id := range ids {
		svs, err := r.VersionsForID(ctx, id, false)
		if err != nil {
			return nil, err
		}
		for _, sv := range svs {
			out = append(out, Referrer{SubjectVersion: sv, ID: id})
		}
	}
	return out, nil
}

// History lists every version of subject, soft-deleted ones included, oldest first (40401 when
// the subject has none).
func (r *Registry) History(ctx context.Context, subject string) ([]Schema, error) {
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errSubjectNotFound(subject)
	}
	out := make([]Schema, 0, len(rows))
	for _, v := range rows {
		s, err := r.schemaByID(ctx, v.schemaID)
		if err != nil {
			return nil, err
		}
		out = append(out, toSchema(subject, v, s))
	}
	return out, nil
}

// plainMessage turns Confluent's verbose difference message, {errorType:'…', description:'…',
// additionalInfo:'…'}, into its description (and additional information); other text is kept.
func plainMessage(msg string) string {
	if !strings.HasPrefix(msg, "{errorType:") || !strings.HasSuffix(msg, "}") {
		return msg
	}
	field := func(name string) string {
		for _, q := range []string{"'", `"`} {
			start := strings.Index(msg, name+":"+q)
			if start < 0 {
				continue
			}
			rest := msg[start+len(name)+2:]
			// The value ends at the quote before the next field or the closing brace.
			for _, end := range []string{q + ", ", q + "}"} {
				if i := strings.Index(rest, end); i >= 0 {
					return rest[:i]
				}
			}
		}
		return ""
	}
	d := field("description")
	if d == "" {
		return msg
	}
	if info := field("additionalInfo"); info != "" && !strings.Contains(d, "'"+info+"'") {
		d += " (" + info + ")"
	}
	return d
}

// OwnLevel is subject's own compatibility level, "" when the global level applies to it.
func (r *Registry) OwnLevel(ctx context.Context, subject string) (string, error) {
	cfg, err := r.storedConfig(ctx, subject)
	if err != nil || cfg == nil {
		return "", err
	}
	return cfg.CompatibilityLevel, nil
}
