// Package storecopy copies a SQLite store into an empty PostgreSQL database: every table the two
// backends share, row for row, keeping ids, in one transaction, so an interrupted copy leaves
// the target as empty as it found it and can simply be run again.
//
// It knows no domain: it reads the tables from SQLite's catalogue and converts each value to the
// type of its PostgreSQL column (RFC 3339 text to timestamptz, 0/1 to boolean, text to jsonb).
// Derived and short-lived tables are not copied (see Skipped).
package storecopy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/sqlitedb"
)

// Skipped are the SQLite tables not copied, with why; every other table must exist on
// PostgreSQL with the same columns.
var Skipped = map[string]string{
	"goose_db_version": "each backend has its own migrations",
	"instance":         "the target keeps its own creation time",
	"oidc_logins":      "a single sign-on in progress lasts ten minutes; the person starts it again",
	"search_docs":      "the search index is rebuilt from the catalog and the registry",
	"search_fts":       "the search index is rebuilt from the catalog and the registry",
	"search_state":     "the search index is rebuilt from the catalog and the registry",
	"search_subjects":  "the search index is rebuilt from the catalog and the registry",
	"span":             "raw spans expire within --span-retention; flows and health are in the aggregates, which are copied",
	"span_batch":       "raw spans are not copied",
	"span_json":        "raw spans are not copied",
	"span_text":        "raw spans are not copied",
	"trace_index":      "raw spans are not copied",
}

// ErrTargetNotEmpty means the PostgreSQL database already holds eventlens data.
var ErrTargetNotEmpty = errors.New("the target database is not empty")

// Table is one table's plan and, as the copy goes, its progress.
type Table struct {
	Name   string
	Rows   int64 // in the source
	Copied int64
}

// Progress is called after each batch of rows with every table's state and the time since
// the start.
type Progress func(tables []Table, elapsed time.Duration)

// batchRows is how many rows go to PostgreSQL in one COPY.
const batchRows = 5000

// Copy copies src into dst, which must carry eventlens' migrations and no data.
func Copy(ctx context.Context, src *sqlitedb.DB, dst *pgdb.DB, progress Progress) ([]Table, error) {
	start := time.Now()
	tables, err := plan(ctx, src)
	if err != nil {
		return nil, err
	}
	tx, err := dst.Pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	// Another copy running at the same time into the same database waits here, then finds it
	// full.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(4097083627)`); err != nil {
		return nil, err
	}
	for i := range tables {
		cols, err := targetColumns(ctx, tx, tables[i].Name)
		if err != nil {
			return nil, err
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgx.Identifier{tables[i].Name}.Sanitize()+`)`).Scan(&any); err != nil {
			return nil, fmt.Errorf("check %s is empty: %w", tables[i].Name, err)
		}
		if any {
			return nil, fmt.Errorf("%w: table %s has rows; migrate-store copies into a new, empty database only", ErrTargetNotEmpty, tables[i].Name)
		}
		tables[i].columns = cols
	}
	for i := range tables {
		if err := copyTable(ctx, src, tx, &tables[i], func() {
			if progress != nil {
				progress(public(tables), time.Since(start))
			}
		}); err != nil {
			return public(tables), err
		}
		if err := advanceSequences(ctx, tx, tables[i].Name); err != nil {
			return public(tables), err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return public(tables), fmt.Errorf("commit: %w", err)
	}
	return public(tables), nil
}

// table is a Table with what the copy needs to know of it.
type table struct {
	Table
	columns []column
}

type column struct {
	name, pgType string
}

func public(ts []table) []Table {
	out := make([]Table, len(ts))
	for i, t := range ts {
		out[i] = t.Table
	}
	return out
}

// plan lists the source's tables to copy, parents before the tables that refer to them, with
// their row counts.
func plan(ctx context.Context, src *sqlitedb.DB) ([]table, error) {
	rows, err := src.Read.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list source tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		// FTS5's shadow tables (search_fts_data, …) go with their virtual table.
		if _, skip := Skipped[name]; !skip && !strings.HasPrefix(name, "search_fts_") {
			names = append(names, name)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	parents := map[string][]string{}
	for _, name := range names {
		refs, err := src.Read.QueryContext(ctx, `SELECT DISTINCT "table" FROM pragma_foreign_key_list(?)`, name)
		if err != nil {
			return nil, fmt.Errorf("foreign keys of %s: %w", name, err)
		}
		for refs.Next() {
			var parent string
			if err := refs.Scan(&parent); err != nil {
				refs.Close()
				return nil, err
			}
			if parent != name {
				parents[name] = append(parents[name], parent)
			}
		}
		refs.Close()
	}
	var out []table
	placed := map[string]bool{}
	var place func(name string)
	place = func(name string) {
		if placed[name] || !slices.Contains(names, name) {
			return
		}
		placed[name] = true
		for _, p := range parents[name] {
			place(p)
		}
		out = append(out, table{Table: Table{Name: name}})
	}
	for _, name := range names {
		place(name)
	}
	for i := range out {
		if err := src.Read.QueryRowContext(ctx, `SELECT count(*) FROM "`+out[i].Name+`"`).Scan(&out[i].Rows); err != nil {
			return nil, fmt.Errorf("count %s: %w", out[i].Name, err)
		}
	}
	return out, nil
}

// targetColumns lists the PostgreSQL table's columns that take values (not generated ones).
func targetColumns(ctx context.Context, tx pgx.Tx, name string) ([]column, error) {
	rows, err := tx.Query(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
		ORDER BY ordinal_position`, name)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", name, err)
	}
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		err := r.Scan(&c.name, &c.pgType)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", name, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %s is in the SQLite store but not in the PostgreSQL schema", name)
	}
	return cols, nil
}

// copyTable streams the table from SQLite in rowid order and COPYs it in batches.
func copyTable(ctx context.Context, src *sqlitedb.DB, tx pgx.Tx, t *table, reported func()) error {
	names := make([]string, len(t.columns))
	quoted := make([]string, len(t.columns))
	for i, c := range t.columns {
		names[i] = c.name
		quoted[i] = `"` + c.name + `"`
	}
	rows, err := src.Read.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM "`+t.Name+`"`)
	if err != nil {
		return fmt.Errorf("read %s (does the SQLite table have every PostgreSQL column?): %w", t.Name, err)
	}
	defer rows.Close()
	batch := make([][]any, 0, batchRows)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.Name}, names, pgx.CopyFromRows(batch)); err != nil {
			return fmt.Errorf("copy %s: %w", t.Name, err)
		}
		t.Copied += int64(len(batch))
		batch = batch[:0]
		reported()
		return nil
	}
	for rows.Next() {
		raw := make([]any, len(t.columns))
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("read %s: %w", t.Name, err)
		}
		for i, c := range t.columns {
			v, err := convert(raw[i], c.pgType)
			if err != nil {
				return fmt.Errorf("%s.%s: %w", t.Name, c.name, err)
			}
			raw[i] = v
		}
		batch = append(batch, raw)
		if len(batch) == batchRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", t.Name, err)
	}
	if err := flush(); err != nil {
		return err
	}
	reported()
	return nil
}

// convert turns a SQLite value into one PostgreSQL's column type accepts.
func convert(v any, pgType string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch pgType {
	case "timestamp with time zone", "timestamp without time zone":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("want a time as text, got %T", v)
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
		return nil, fmt.Errorf("time %q is not RFC 3339", s)
	case "boolean":
		n, ok := v.(int64)
		if !ok {
			return nil, fmt.Errorf("want 0 or 1, got %T", v)
		}
		return n != 0, nil
	case "bytea":
		if s, ok := v.(string); ok {
			return []byte(s), nil
		}
	case "text", "character varying", "json", "jsonb":
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
	}
	return v, nil
}

// advanceSequences moves each id sequence of the table past the copied ids, so the next id
// PostgreSQL hands out follows them.
func advanceSequences(ctx context.Context, tx pgx.Tx, name string) error {
	rows, err := tx.Query(ctx, `SELECT column_name, pg_get_serial_sequence(quote_ident($1), column_name)
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1
		AND pg_get_serial_sequence(quote_ident($1), column_name) IS NOT NULL`, name)
	if err != nil {
		return fmt.Errorf("sequences of %s: %w", name, err)
	}
	type seq struct{ column, sequence string }
	seqs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (seq, error) {
		var s seq
		err := r.Scan(&s.column, &s.sequence)
		return s, err
	})
	if err != nil {
		return fmt.Errorf("sequences of %s: %w", name, err)
	}
	for _, s := range seqs {
		q := `SELECT setval($1, coalesce((SELECT max(` + pgx.Identifier{s.column}.Sanitize() + `) FROM ` +
			pgx.Identifier{name}.Sanitize() + `), 0) + 1, false)`
		if _, err := tx.Exec(ctx, q, s.sequence); err != nil {
			return fmt.Errorf("advance %s: %w", s.sequence, err)
		}
	}
	return nil
}
