package schemaregistry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SchemaByID returns the schema with id in the default context, or with a key LatestSchemaIDs
// gave (Subject and Version empty). A warm cache answers without touching the database.
func (r *Registry) SchemaByID(ctx context.Context, id int) (Schema, error) {
	s, err := r.schemaByID(ctx, id)
	if err != nil {
		return Schema{}, err
	}
	return toSchema("", versionRow{}, s), nil
}

// SchemaFor returns the schema a client means by id and ?subject=subject (see schemaKey); with
// no subject, the one in the default context.
func (r *Registry) SchemaFor(ctx context.Context, id int, subject string) (Schema, error) {
	if subject == "" {
		return r.SchemaByID(ctx, id)
	}
	key, err := r.schemaKey(ctx, id, subject)
	if err != nil {
		return Schema{}, err
	}
	s, err := r.schemaByID(ctx, key)
	if err != nil {
		return Schema{}, err
	}
	return toSchema("", versionRow{}, s), nil
}

// SchemaByGUID returns the schema with Confluent's GUID (its MD5 as a UUID).
func (r *Registry) SchemaByGUID(ctx context.Context, guid string) (Schema, error) {
	guid = strings.ToLower(guid)
	s, err := r.store.schemaByGUID(ctx, guid)
	if errors.Is(err, errNoRow) {
		return Schema{}, errSchemaNotFound(guid)
	}
	if err != nil {
		return Schema{}, storeError("read schema", err)
	}
	if cached, ok := r.cache.schema(s.id); ok {
		s = cached
	}
	return toSchema("", versionRow{}, s), nil
}

// MaxID is the largest schema id in use in subject's context (0 when empty); "" is the default
// context.
func (r *Registry) MaxID(ctx context.Context, subject string) (int, error) {
	number, ok, err := r.contextNumber(ctx, contextOf(NormalizeSubject(subject)))
	if err != nil || !ok {
		return 0, err
	}
	id, err := r.store.maxID(ctx, number)
	return id, storeError("read max id", err)
}

// SubjectFilter selects subjects or schemas in a listing.
type SubjectFilter struct {
	// Prefix selects subjects whose qualified names start with it (":.staging:" lists a
	// context), except ":.:", the default context's subjects, and ":*:orders", the subjects
	// of every context whose names in the context start with "orders". "" and ":*:" list all.
	Prefix      string
	Deleted     bool // include soft-deleted versions
	DeletedOnly bool // only soft-deleted versions
	Offset      int
	Limit       int // 0 or less: no limit
}

// Subjects lists subject names, sorted.
func (r *Registry) Subjects(ctx context.Context, f SubjectFilter) ([]string, error) {
	if unstorable(f.Prefix) {
		return []string{}, nil
	}
	c, name := SplitSubject(f.Prefix)
	switch {
	case f.Prefix == ContextWildcard:
		f.Prefix = ""
	case c == "*" || f.Prefix == ":.:":
		// Not a prefix of qualified names: every subject is read, and the page taken here.
		all, err := r.subjectNames(ctx, SubjectFilter{Deleted: f.Deleted, DeletedOnly: f.DeletedOnly})
		if err != nil {
			return nil, err
		}
		out := []string{}
		for _, s := range all {
			sc, sn := SplitSubject(s)
			if (c == "*" && strings.HasPrefix(sn, name)) || (c != "*" && sc == DefaultContext) {
				out = append(out, s)
			}
		}
		return Page(out, f.Offset, f.Limit), nil
	}
	return r.subjectNames(ctx, f)
}

// subjectNames lists the subjects whose qualified names start with f.Prefix, paged. The common
// listing, live subjects only, comes from the console's listing index in memory (reading
// 10,000 subjects' versions from the store took 45 ms); one with soft-deleted versions asks the
// store.
func (r *Registry) subjectNames(ctx context.Context, f SubjectFilter) ([]string, error) {
	if f.Deleted || f.DeletedOnly {
		out, err := r.store.subjects(ctx, f)
		if err != nil {
			return nil, storeError("list subjects", err)
		}
		return out, nil
	}
	x, err := r.summaries.get(ctx, r)
	if err != nil {
		return nil, err
	}
	// x.all is sorted by name, byte by byte, as both stores sort subjects.
	i, _ := slices.BinarySearchFunc(x.all, f.Prefix, func(s SubjectSummary, prefix string) int { return strings.Compare(s.Subject, prefix) })
	out := []string{}
	for ; i < len(x.all) && strings.HasPrefix(x.all[i].Subject, f.Prefix); i++ {
		out = append(out, x.all[i].Subject)
	}
	return Page(out, f.Offset, f.Limit), nil
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
	return Page(out, f.Offset, f.Limit), nil
}

// Page is the part of list a listing's offset and limit select: from offset (0 or less: the
// start), at most limit items (0 or less: all), as Confluent pages its lists.
func Page[T any](list []T, offset, limit int) []T {
	list = list[min(max(offset, 0), len(list)):]
	if limit > 0 && limit < len(list) {
		list = list[:limit]
	}
	return list
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
	refs, err := r.store.referrers(ctx, subject, v.Version, false)
	if err != nil {
		return nil, storeError("read references", err)
	}
	return referringIDs(refs), nil
}

// VersionsForID lists the subject versions that use schema id, the one a client means by id
// and ?subject=subject (see schemaKey), 40403 when the id is unknown.
func (r *Registry) VersionsForID(ctx context.Context, id int, subject string, deleted bool) ([]SubjectVersion, error) {
	key, err := r.schemaKey(ctx, id, subject)
	if err != nil {
		return nil, err
	}
	if _, err := r.schemaByID(ctx, key); err != nil {
		return nil, err
	}
	out, err := r.store.versionsForID(ctx, key, deleted)
	if err != nil {
		return nil, storeError("read versions of schema "+strconv.Itoa(id), err)
	}
	return out, nil
}

// SubjectsForID lists the subjects that use schema id, as VersionsForID finds it.
func (r *Registry) SubjectsForID(ctx context.Context, id int, subject string, deleted bool) ([]string, error) {
	svs, err := r.VersionsForID(ctx, id, subject, deleted)
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
	return Page(out, f.Offset, f.Limit), nil
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
	c.Schemas, err = r.store.schemaCount(ctx)
	return c, storeError("count registry", err)
}
