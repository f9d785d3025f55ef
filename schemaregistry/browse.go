package schemaregistry

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
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

// SummaryQuery selects one page of subject summaries.
type SummaryQuery struct {
	Prefix     string // only subjects whose name starts with it (case-sensitive, as the API's subjectPrefix)
	Sort       string // one of the SortBy constants; "" is by name
	Descending bool
	Offset     int
	Limit      int // 0 or less: no limit
}

// summaryCompare orders summaries by each sort key but the name; the name breaks ties, so
// pages are stable.
var summaryCompare = map[string]func(a, b *SubjectSummary) int{
	SortByType:    func(a, b *SubjectSummary) int { return strings.Compare(a.SchemaType, b.SchemaType) },
	SortByVersion: func(a, b *SubjectSummary) int { return cmp.Compare(a.LatestVersion, b.LatestVersion) },
	SortByChanged: func(a, b *SubjectSummary) int { return cmp.Compare(a.Changed, b.Changed) },
}

// SubjectSummaries lists the subjects with at least one live version, one page at a time, and
// says how many subjects match in all.
func (r *Registry) SubjectSummaries(ctx context.Context, q SummaryQuery) ([]SubjectSummary, int, error) {
	x, err := r.summaries.get(ctx, r)
	if err != nil {
		return nil, 0, err
	}
	order := x.orders[q.Sort] // nil: by name, the order of x.all
	at := func(i int) *SubjectSummary {
		if q.Descending {
			i = len(x.all) - 1 - i
		}
		if order != nil {
			return &x.all[order[i]]
		}
		return &x.all[i]
	}
	offset, limit := max(q.Offset, 0), q.Limit
	if limit <= 0 {
		limit = len(x.all)
	}
	out := []SubjectSummary{}
	total := 0
	for i := range x.all {
		s := at(i)
		if !strings.HasPrefix(s.Subject, q.Prefix) {
			continue
		}
		if total >= offset && len(out) < limit {
			out = append(out, *s)
		}
		total++
	}
	return out, total, nil
}

// summaryIndex holds every subject's summary as of one cache generation, sorted by name, with
// the orders by the other keys. A listing page filters and pages it in memory. After writes,
// the next listing reads again the subjects they changed (the cache's change log names them),
// or everything (one query, some tens of milliseconds for 5,000 subjects) when too much
// changed or the log no longer reaches back.
type summaryIndex struct {
	mu    sync.Mutex
	valid bool
	gen   uint64
	snap  *summarySnapshot
}

type summarySnapshot struct {
	all    []SubjectSummary
	orders map[string][]int32 // sort key → indexes into all, ascending
}

// maxIncremental is the most changed subjects the index updates one by one; beyond it, it reads
// everything again.
const maxIncremental = 256

func (x *summaryIndex) get(ctx context.Context, r *Registry) (*summarySnapshot, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	gen := r.cache.generation()
	if x.valid && x.gen == gen {
		return x.snap, nil
	}
	var all []SubjectSummary
	changed, ok := r.cache.changedSince(x.gen)
	if x.valid && ok && len(changed) <= maxIncremental {
		var err error
		if all, err = r.updateSummaries(ctx, x.snap.all, changed); err != nil {
			return nil, err
		}
	} else {
		var err error
		if all, err = r.readSummaries(ctx); err != nil {
			return nil, err
		}
	}
	snap := &summarySnapshot{all: all, orders: map[string][]int32{}}
	for key, compare := range summaryCompare {
		order := make([]int32, len(all))
		for i := range order {
			order[i] = int32(i)
		}
		// all is sorted by name, so a stable sort leaves ties in name order.
		slices.SortStableFunc(order, func(a, b int32) int { return compare(&all[a], &all[b]) })
		snap.orders[key] = order
	}
	x.snap, x.gen, x.valid = snap, gen, true
	return snap, nil
}

// updateSummaries returns a copy of all (sorted by name) with the summaries of the changed
// subjects read again through the registry's cache.
func (r *Registry) updateSummaries(ctx context.Context, all []SubjectSummary, changed []string) ([]SubjectSummary, error) {
	out := slices.Clone(all)
	slices.Sort(changed)
	for _, subject := range slices.Compact(changed) {
		if subject == globalKey {
			continue // summaries carry only subjects' own levels
		}
		s, live, err := r.summary(ctx, subject)
		if err != nil {
			return nil, err
		}
		i, found := slices.BinarySearchFunc(out, subject, func(s SubjectSummary, name string) int { return strings.Compare(s.Subject, name) })
		switch {
		case found && live:
			out[i] = s
		case found:
			out = slices.Delete(out, i, i+1)
		case live:
			out = slices.Insert(out, i, s)
		}
	}
	return out, nil
}

// summary is one subject's summary; live is false when it has no live version.
func (r *Registry) summary(ctx context.Context, subject string) (SubjectSummary, bool, error) {
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return SubjectSummary{}, false, err
	}
	s := SubjectSummary{Subject: subject}
	for _, v := range rows {
		s.Changed = max(s.Changed, v.created)
		if v.deleted {
			s.Deleted++
			continue
		}
		s.Versions++
		s.LatestVersion, s.LatestID = v.version, v.schemaID
	}
	if s.Versions == 0 {
		return s, false, nil
	}
	stored, err := r.schemaByID(ctx, s.LatestID)
	if err != nil {
		return s, false, err
	}
	s.SchemaType = stored.typ
	if s.Compatibility, err = r.OwnLevel(ctx, subject); err != nil {
		return s, false, err
	}
	return s, true, nil
}

// readSummaries reads every subject's summary from the store, sorted by name.
func (r *Registry) readSummaries(ctx context.Context) ([]SubjectSummary, error) {
	out, err := r.store.summaries(ctx)
	if err != nil {
		return nil, storeError("list subject summaries", err)
	}
	return out, nil
}

// Referrer is a subject version whose schema references another.
type Referrer struct {
	SubjectVersion
	ID int // the referring schema's id
}

// Referrers lists the live subject versions whose schemas reference subject's version, as
// referencedby does but naming each subject version rather than only the schema id.
func (r *Registry) Referrers(ctx context.Context, subject string, version int) ([]Referrer, error) {
	v, err := r.Version(ctx, subject, version, true)
	if err != nil {
		return nil, err
	}
	refs, err := r.store.referrers(ctx, subject, v.Version, false)
	if err != nil {
		return nil, storeError("read references", err)
	}
	for i := range refs {
		refs[i].ID = publicID(refs[i].ID)
	}
	return refs, nil
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
