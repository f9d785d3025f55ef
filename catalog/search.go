package catalog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/eventlens/eventlens/schemaregistry"
)

// Search finds services, channels, messages, domains, registry subjects and the fields inside
// the subjects' latest schemas with SQLite FTS5 (tables search_docs and search_fts).
//
// Keeping the index current: the rows are derived data, refreshed on read. Before a query, at
// most once per searchRecheck, Search compares a cheap signature of each source (row counts,
// newest ids and the size of descriptions for the catalog; the newest schema id and live
// version counts for the registry) with the one stored when its rows were built. When the
// catalog changed its rows are rebuilt (a few thousand at most, in one transaction); when the
// registry changed only the subjects whose latest schema id moved are re-indexed. So imports,
// patches and registrations need no hook into search, and a search sees them within
// searchRecheck.
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
}

// Search runs query (words, each matched as a prefix, all required) and returns hits
// [offset, offset+limit), optionally of one kind only.
func (c *Catalog) Search(ctx context.Context, query, kind string, offset, limit int) (SearchResult, error) {
	res := SearchResult{Hits: []SearchHit{}}
	match := ftsQuery(query)
	if match == "" {
		return res, nil
	}
	if err := c.refreshSearch(ctx); err != nil {
		return res, err
	}
	where := `search_fts MATCH ?`
	args := []any{match}
	if kind != "" {
		where += ` AND d.kind = ?`
		args = append(args, kind)
	}
	from := ` FROM search_fts JOIN search_docs d ON d.id = search_fts.rowid WHERE ` + where
	if err := c.db.Read.QueryRowContext(ctx, `SELECT count(*)`+from, args...).Scan(&res.Total); err != nil {
		return res, fmt.Errorf("search %q: %w", query, err)
	}
	// Names weigh most; entities rank above fields with the same score.
	rows, err := c.db.Read.QueryContext(ctx, `SELECT d.kind, CASE d.kind WHEN 'field' THEN d.owner ELSE d.name END, d.detail`+from+`
		ORDER BY bm25(search_fts, 10.0, 4.0, 1.0) + (CASE d.kind WHEN 'field' THEN 0.5 ELSE 0 END), d.name, d.detail
		LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	if err != nil {
		return res, fmt.Errorf("search %q: %w", query, err)
	}
	defer rows.Close()
	for rows.Next() {
		var h SearchHit
		if err := rows.Scan(&h.Kind, &h.Name, &h.Detail); err != nil {
			return res, fmt.Errorf("search %q: %w", query, err)
		}
		res.Hits = append(res.Hits, h)
	}
	return res, rows.Err()
}

// ftsQuery turns what a person typed into an FTS5 query: every word a quoted prefix, all
// required, so no FTS5 syntax (quotes, NEAR, column filters) reaches the engine.
func ftsQuery(q string) string {
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	parts := make([]string, 0, len(words))
	for _, w := range words {
		parts = append(parts, `"`+w+`"*`)
	}
	return strings.Join(parts, " ")
}

// KeepSearchFresh refreshes the search index at once and then every searchRecheck until ctx
// ends, so no search waits for the index to be built: after a start, the first refresh reads
// every subject's latest schema, which takes seconds on a large registry. An error is logged
// through report and retried at the next tick.
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
		}
	}
}

// refreshSearch brings search_docs up to date with the catalog and the registry.
func (c *Catalog) refreshSearch(ctx context.Context) error {
	c.search.mu.Lock()
	defer c.search.mu.Unlock()
	now := c.now()
	if !c.search.checked.IsZero() && now.Sub(c.search.checked) < searchRecheck {
		return nil
	}
	stored := map[string]string{}
	rows, err := c.db.Read.QueryContext(ctx, `SELECT source, signature FROM search_state`)
	if err != nil {
		return fmt.Errorf("search state: %w", err)
	}
	for rows.Next() {
		var s, sig string
		if err := rows.Scan(&s, &sig); err != nil {
			rows.Close()
			return fmt.Errorf("search state: %w", err)
		}
		stored[s] = sig
	}
	rows.Close()

	catSig, err := c.catalogSignature(ctx)
	if err != nil {
		return err
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
	c.search.checked = now
	return nil
}

func (c *Catalog) catalogSignature(ctx context.Context) (string, error) {
	var sig string
	err := c.db.Read.QueryRowContext(ctx, `SELECT
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_services) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_channels) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_messages) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(length(description) + length(tags)), 0) FROM catalog_domains) || '|' ||
		(SELECT count(*) || ':' || coalesce(max(version), 0) FROM catalog_document_versions)`).Scan(&sig)
	if err != nil {
		return "", fmt.Errorf("search: catalog signature: %w", err)
	}
	return sig, nil
}

func registrySignature(ctx context.Context, r *schemaregistry.Registry) (string, error) {
	id, err := r.MaxID(ctx)
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
	type doc struct{ kind, name, detail, body string }
	var docs []doc
	read := func(kind, q string) error {
		rows, err := c.db.Read.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name, detail, description, tags string
			if err := rows.Scan(&name, &detail, &description, &tags); err != nil {
				return err
			}
			docs = append(docs, doc{kind, name, detail, description + " " + tagWords(tags)})
		}
		return rows.Err()
	}
	for _, s := range []struct{ kind, q string }{
		{HitService, `SELECT name, '', description, tags FROM catalog_services`},
		{HitChannel, `SELECT name, address, description, tags FROM catalog_channels`},
		{HitMessage, `SELECT name, kind, title || ' ' || summary || ' ' || description, tags FROM catalog_messages`},
		{HitDomain, `SELECT name, '', description, tags FROM catalog_domains`},
	} {
		if err := read(s.kind, s.q); err != nil {
			return fmt.Errorf("search: read catalog %ss: %w", s.kind, err)
		}
	}
	return c.inSearchTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM search_docs WHERE source = 'catalog'`); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO search_docs (source, owner, kind, name, detail, body) VALUES ('catalog', '', ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, d := range docs {
			if _, err := ins.ExecContext(ctx, d.kind, d.name, d.detail, d.body); err != nil {
				return err
			}
		}
		return setSearchState(ctx, tx, "catalog", sig)
	})
}

// reindexSubjects re-indexes the subjects whose latest schema changed, and drops subjects
// that have no live version any more.
func (c *Catalog) reindexSubjects(ctx context.Context, sig string) error {
	latest, err := c.registry.LatestSchemaIDs(ctx)
	if err != nil {
		return err
	}
	indexed := map[string]int{}
	rows, err := c.db.Read.QueryContext(ctx, `SELECT subject, schema_id FROM search_subjects`)
	if err != nil {
		return fmt.Errorf("search: indexed subjects: %w", err)
	}
	for rows.Next() {
		var s string
		var id int
		if err := rows.Scan(&s, &id); err != nil {
			rows.Close()
			return fmt.Errorf("search: indexed subjects: %w", err)
		}
		indexed[s] = id
	}
	rows.Close()
	type subjectDocs struct {
		subject string
		id      int
		fields  []string
		typ     string
	}
	var changed []subjectDocs
	for subject, id := range latest {
		if indexed[subject] == id {
			continue
		}
		s, err := c.registry.SchemaByID(ctx, id)
		if err != nil {
			return err
		}
		changed = append(changed, subjectDocs{subject: subject, id: id, fields: schemaFields(s.SchemaType, s.Schema), typ: s.SchemaType})
	}
	var gone []string
	for subject := range indexed {
		if _, ok := latest[subject]; !ok {
			gone = append(gone, subject)
		}
	}
	return c.inSearchTx(ctx, func(tx *sql.Tx) error {
		del := func(subject string) error {
			if _, err := tx.ExecContext(ctx, `DELETE FROM search_docs WHERE source = 'registry' AND owner = ?`, subject); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DELETE FROM search_subjects WHERE subject = ?`, subject)
			return err
		}
		for _, s := range gone {
			if err := del(s); err != nil {
				return err
			}
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO search_docs (source, owner, kind, name, detail, body) VALUES ('registry', ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		for _, d := range changed {
			if err := del(d.subject); err != nil {
				return err
			}
			body := d.typ
			for _, f := range d.fields {
				body += " " + f
			}
			if _, err := ins.ExecContext(ctx, d.subject, HitSubject, d.subject, "", body); err != nil {
				return err
			}
			for _, f := range d.fields {
				// A field row leaves name empty, so a search for the subject does not list every field.
				if _, err := ins.ExecContext(ctx, d.subject, HitField, "", f, lastSegment(f)); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO search_subjects (subject, schema_id) VALUES (?, ?)`, d.subject, d.id); err != nil {
				return err
			}
		}
		return setSearchState(ctx, tx, "registry", sig)
	})
}

func (c *Catalog) inSearchTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := c.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("search: refresh: %w", err)
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return fmt.Errorf("search: refresh: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("search: refresh: %w", err)
	}
	return nil
}

func setSearchState(ctx context.Context, tx *sql.Tx, source, sig string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO search_state (source, signature) VALUES (?, ?)
		ON CONFLICT (source) DO UPDATE SET signature = excluded.signature`, source, sig)
	return err
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
