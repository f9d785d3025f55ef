package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/eventlens/eventlens/schemaregistry"
)

// Search finds services, channels, messages, domains, registry subjects and the fields inside
// the subjects' latest schemas: the rows of search_docs, indexed by SQLite FTS5 (search_fts) or
// by a PostgreSQL tsvector (search_docs.words). Both match the same words: every word of the
// query as a prefix of a word of the row, words being runs of letters and digits, compared
// without case and diacritics; names weigh most, then details, then the rest.
//
// Keeping the index current: the rows are derived data, refreshed on read. Before a query, at
// most once per searchRecheck, Search compares a cheap signature of each source (row counts,
// newest ids and the size of descriptions for the catalog; the newest schema id and live
// version counts for the registry) with the one stored when its rows were built. When the
// catalog changed its rows are rebuilt (a few thousand at most, in one transaction); when the
// registry changed only the subjects whose latest schema id moved are re-indexed. So
// registrations need no hook into search, and a search sees them within searchRecheck. A
// catalog write (here, or on another replica: see ReplicaHandlers) makes the next search
// check at once, and wakes KeepSearchFresh.
const searchRecheck = 2 * time.Second

// Kinds of search hit.
const (
	HitService = "service"
	HitChannel = "channel"
	HitMessage = "message"
	HitDomain  = "domain"
	HitSubject = "subject"
	HitField   = "field"
)

// SearchHit is one match: a field hit names its subject in Name and its path in Detail.
type SearchHit struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Detail string `json:"detail,omitempty"`
}

// SearchResult is one page of hits, best first.
type SearchResult struct {
	Hits  []SearchHit `json:"hits"`
	Total int         `json:"total"`
}

// searchState throttles the freshness check and serialises refreshes.
type searchState struct {
	mu      sync.Mutex
	checked time.Time
	// stale is set by a catalog write (on any replica): check at once, whatever checked says.
	stale atomic.Bool
	// wake asks KeepSearchFresh to refresh now; it never blocks the writer.
	wake chan struct{}
}

// searchChanged says the catalog changed: the next search checks the index first, and
// KeepSearchFresh (if running) refreshes it now. It returns at once: it runs in the replica
// listener's goroutine too.
func (c *Catalog) searchChanged() {
	c.search.stale.Store(true)
	select {
	case c.search.wake <- struct{}{}:
	default:
	}
}

// Search runs query (words, each matched as a prefix, all required) and returns hits
// [offset, offset+limit), optionally of one kind only.
func (c *Catalog) Search(ctx context.Context, query, kind string, offset, limit int) (SearchResult, error) {
	words := searchWords(query)
	if len(words) == 0 {
		return SearchResult{Hits: []SearchHit{}}, nil
	}
	if err := c.refreshSearch(ctx); err != nil {
		return SearchResult{Hits: []SearchHit{}}, err
	}
	res, err := c.store.search(ctx, words, kind, offset, limit)
	if err != nil {
		return SearchResult{Hits: []SearchHit{}}, fmt.Errorf("search %q: %w", query, err)
	}
	return res, nil
}

// searchWords splits what a person typed into the words search matches: runs of letters and
// digits, so no query syntax (quotes, NEAR, column filters, tsquery operators) reaches either
// engine.
func searchWords(q string) []string {
	return strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// KeepSearchFresh refreshes the search index at once, then every searchRecheck and whenever
// the catalog changes (here or on another replica), until ctx ends, so no search waits for the
// index to be built: after a start, the first refresh reads every subject's latest schema,
// which takes seconds on a large registry. An error is logged through report and retried at
// the next tick.
func (c *Catalog) KeepSearchFresh(ctx context.Context, report func(error)) {
	tick := time.NewTicker(searchRecheck)
	defer tick.Stop()
	for {
		if err := c.refreshSearch(ctx); err != nil && ctx.Err() == nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-c.search.wake:
		}
	}
}

// refreshSearch brings search_docs up to date with the catalog and the registry.
func (c *Catalog) refreshSearch(ctx context.Context) error {
	c.search.mu.Lock()
	defer c.search.mu.Unlock()
	now := c.now()
	// Swap before reading: a write that lands while this refresh runs sets stale again.
	stale := c.search.stale.Swap(false)
	if !stale && !c.search.checked.IsZero() && now.Sub(c.search.checked) < searchRecheck {
		return nil
	}
	if err := c.refreshSearchRows(ctx); err != nil {
		if stale {
			c.search.stale.Store(true) // retry at the next search, not after searchRecheck
		}
		return fmt.Errorf("search: refresh: %w", err)
	}
	c.search.checked = now
	return nil
}

func (c *Catalog) refreshSearchRows(ctx context.Context) error {
	stored, err := c.store.searchStates(ctx)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	catSig, err := c.store.catalogSignature(ctx)
	if err != nil {
		return fmt.Errorf("catalog signature: %w", err)
	}
	if catSig != stored["catalog"] {
		if err := c.reindexCatalog(ctx, catSig); err != nil {
			return err
		}
	}
	if c.registry != nil {
		regSig, err := registrySignature(ctx, c.registry)
		if err != nil {
			return err
		}
		if regSig != stored["registry"] {
			if err := c.reindexSubjects(ctx, regSig); err != nil {
				return err
			}
		}
	}
	return nil
}

func registrySignature(ctx context.Context, r *schemaregistry.Registry) (string, error) {
	id, err := r.MaxID(ctx, "")
	if err != nil {
		return "", err
	}
	n, err := r.Counts(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d:%d:%d:%d", id, n.Subjects, n.Versions, n.Schemas), nil
}

// reindexCatalog rebuilds the catalog's rows in one transaction.
func (c *Catalog) reindexCatalog(ctx context.Context, sig string) error {
	sources, err := c.store.searchSources(ctx)
	if err != nil {
		return fmt.Errorf("read catalog: %w", err)
	}
	docs := make([]searchDoc, 0, len(sources))
	for _, s := range sources {
		docs = append(docs, searchDoc{kind: s.kind, name: s.name, detail: s.detail, body: s.text + " " + tagWords(s.tags)})
	}
	return c.store.replaceCatalogSearch(ctx, sig, docs)
}

// reindexSubjects re-indexes the subjects whose latest schema changed, and drops subjects
// that have no live version any more.
func (c *Catalog) reindexSubjects(ctx context.Context, sig string) error {
	latest, err := c.registry.LatestSchemaIDs(ctx)
	if err != nil {
		return err
	}
	indexed, err := c.store.searchedSubjects(ctx)
	if err != nil {
		return fmt.Errorf("indexed subjects: %w", err)
	}
	var changed []subjectSearch
	for subject, id := range latest {
		if indexed[subject] == id {
			continue
		}
		s, err := c.registry.SchemaByID(ctx, id)
		if err != nil {
			return err
		}
		changed = append(changed, subjectSearch{subject: subject, schemaID: id, docs: subjectDocs(subject, s.SchemaType, s.Schema)})
	}
	var gone []string
	for subject := range indexed {
		if _, ok := latest[subject]; !ok {
			gone = append(gone, subject)
		}
	}
	return c.store.replaceSubjectSearch(ctx, sig, gone, changed)
}

// subjectDocs are a subject's rows: the subject itself, with its schema type and field names,
// and one row per field.
func subjectDocs(subject, schemaType, schema string) []searchDoc {
	fields := schemaFields(schemaType, schema)
	body := schemaType
	for _, f := range fields {
		body += " " + f
	}
	docs := []searchDoc{{owner: subject, kind: HitSubject, name: subject, body: body}}
	for _, f := range fields {
		// A field row leaves name empty, so a search for the subject does not list every field.
		docs = append(docs, searchDoc{owner: subject, kind: HitField, detail: f, body: lastSegment(f)})
	}
	return docs
}

func tagWords(tags string) string {
	var t []string
	if json.Unmarshal([]byte(tags), &t) != nil {
		return ""
	}
	return strings.Join(t, " ")
}

func lastSegment(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:] + " " + path
	}
	return path
}
