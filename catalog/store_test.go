package catalog

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/storage/storagetest"
)

// The catalog's tests run on both backends through eachBackend: the catalog's behaviour is its
// store's, so every import, merge, page query, export and search test is also a test of each
// store. This file adds what only the store decides (order, not found, history) and the
// helpers; search_test.go has the search suite and replica_test.go the tests of several
// replicas on one PostgreSQL.

// eachBackend runs f on SQLite and on PostgreSQL; open gives a catalog on an empty store of
// that backend each time.
func eachBackend(t *testing.T, f func(t *testing.T, open func(testing.TB) *Catalog)) {
	storagetest.Each(t, func(t *testing.T, db *storage.DB) {
		stores := &emptyStores{owner: t, free: []*storage.DB{db}}
		f(t, func(t testing.TB) *Catalog { return openCatalog(t, stores.take(t)) })
	})
}

// emptyStores hands out empty stores like the first one in free. A PostgreSQL database takes
// about a second to create, migrate and drop on this machine, and table-driven tests open a
// catalog per case: so a database a case is done with is emptied for the next one.
type emptyStores struct {
	owner  testing.TB // what the databases live as long as
	free   []*storage.DB
	sqlite bool
}

func (s *emptyStores) take(t testing.TB) *storage.DB {
	t.Helper()
	var db *storage.DB
	switch {
	case len(s.free) > 0:
		db, s.free = s.free[len(s.free)-1], s.free[:len(s.free)-1]
		s.sqlite = db.SQLite != nil
	case s.sqlite:
		return storagetest.SQLite(t) // a new file costs little
	default:
		db = storagetest.Postgres(s.owner)
	}
	if db.Postgres != nil {
		t.Cleanup(func() {
			emptyPostgres(t, db)
			s.free = append(s.free, db)
		})
	}
	return db
}

// emptiedTables are the catalog's and the registry's PostgreSQL tables, each after those that
// refer to it.
var emptiedTables = []string{"catalog_operation_messages", "catalog_operations", "catalog_channel_messages",
	"catalog_channel_servers", "catalog_service_servers", "catalog_channel_descriptions", "catalog_server_descriptions",
	"catalog_message_descriptions", "catalog_document_versions", "catalog_services", "catalog_channels",
	"catalog_messages", "catalog_servers", "catalog_domains", "catalog_documents", "catalog_owners",
	"search_docs", "search_state", "search_subjects",
	"sr_references", "sr_versions", "sr_schemas", "sr_config", "sr_mode", "sr_refusals", "sr_ids", "sr_associations", "sr_contexts"}

// emptyPostgres deletes every row of the catalog's and the registry's tables (a DELETE of a few
// rows takes milliseconds where a TRUNCATE takes most of a second); the catalog's ids go on
// counting, the registry's start again at 1 (sr_ids is emptied too).
func emptyPostgres(t testing.TB, db *storage.DB) {
	ctx := context.Background()
	rows, err := db.Postgres.Pool.Query(ctx, `SELECT tablename FROM pg_tables
		WHERE schemaname = current_schema() AND (tablename LIKE 'catalog\_%' OR tablename LIKE 'search\_%' OR tablename LIKE 'sr\_%')`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		if !slices.Contains(emptiedTables, table) {
			t.Fatalf("table %s is not in emptiedTables: add it there", table)
		}
	}
	b := &pgx.Batch{}
	for _, table := range emptiedTables {
		b.Queue("DELETE FROM " + table)
	}
	if err := db.Postgres.Pool.SendBatch(ctx, b).Close(); err != nil {
		t.Fatalf("empty the catalog's and the registry's tables: %v", err)
	}
}

// openCatalog opens a catalog and its schema registry on db with a fixed clock.
func openCatalog(t testing.TB, db *storage.DB) *Catalog {
	t.Helper()
	c := New(db, testRegistry(db))
	c.now = func() time.Time { return time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC) }
	return c
}

// testRegistry is the registry a test catalog on db registers payloads with, on the same store.
func testRegistry(db *storage.DB) *schemaregistry.Registry {
	return schemaregistry.New(db, schemaregistry.Formats())
}

// sqliteDB is the file under a catalog on SQLite, for the tests of SQLite's own migrations.
func sqliteDB(t testing.TB, c *Catalog) *sqlitedb.DB {
	s, ok := c.store.(*sqliteStore)
	if !ok {
		t.Fatal("not a catalog on SQLite")
	}
	return s.db
}

// testExec runs a statement written with ? placeholders in SQL both backends accept: for tests
// that set up what an older eventlens wrote.
func testExec(t testing.TB, c *Catalog, query string, args ...any) {
	t.Helper()
	var err error
	switch s := c.store.(type) {
	case *sqliteStore:
		_, err = s.db.Write.Exec(query, args...)
	case *postgresStore:
		_, err = s.db.Pool.Exec(context.Background(), dollars(query), args...)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// testInt runs a query of one integer, written as for testExec: for tables no API shows.
func testInt(t testing.TB, c *Catalog, query string, args ...any) int {
	t.Helper()
	var n int
	var err error
	switch s := c.store.(type) {
	case *sqliteStore:
		err = s.db.Read.QueryRow(query, args...).Scan(&n)
	case *postgresStore:
		err = s.db.Pool.QueryRow(context.Background(), dollars(query), args...).Scan(&n)
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// dollars numbers ? placeholders as PostgreSQL's $1, $2, ...
func dollars(query string) string {
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// testRows returns every row of table, ordered by its first two columns, one line each.
func testRows(t testing.TB, c *Catalog, table string) []string {
	t.Helper()
	var lines []string
	query := "SELECT * FROM " + table + " ORDER BY 1, 2"
	switch s := c.store.(type) {
	case *sqliteStore:
		rows, err := s.db.Read.Query(query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals))
		}
	case *postgresStore:
		rows, err := s.db.Pool.Query(context.Background(), query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Fatal(err)
			}
			lines = append(lines, fmt.Sprint(vals))
		}
	}
	return lines
}

// TestStore checks what each store decides itself: lists in byte order of their names, a
// missing name is ErrNotFound, a document's history is one version per changed import, and a
// patch reads back as written.
func TestStore(t *testing.T) {
	ctx := context.Background()
	doc := func(title, version, channel, description string) []byte {
		return fmt.Appendf(nil, `asyncapi: 3.0.0
info: {title: %q, version: %q, description: %q, tags: [{name: b}, {name: A}]}
channels:
  %s:
    address: %s
    messages:
      Placed: {payload: {type: object, properties: {id: {type: string}}}}
operations:
  send:
    action: send
    channel: {$ref: '#/channels/%s'}
`, title, version, description, channel, channel, channel)
	}
	eachBackend(t, func(t *testing.T, open func(testing.TB) *Catalog) {
		c := open(t)
		// Names that sort differently by byte and by a language's collation.
		for _, d := range [][]byte{
			doc("beta", "1.0.0", "orders", "first"),
			doc("Alpha", "1.0.0", "Zebra", ""),
			doc("_under", "1.0.0", "a-b", ""),
			doc("beta", "1.1.0", "orders", "second"), // a new version of beta
			doc("beta", "1.1.0", "orders", "second"), // the same again: no version
		} {
			if _, err := c.ImportDocument(ctx, d, ImportOptions{}); err != nil {
				t.Fatal(err)
			}
		}

		services, err := c.Services(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, s := range services {
			names = append(names, s.Name)
		}
		if want := []string{"Alpha", "_under", "beta"}; !slices.Equal(names, want) {
			t.Errorf("services %q, want %q (byte order)", names, want)
		}
		channels, err := c.Channels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		names = nil
		for _, ch := range channels {
			names = append(names, ch.Name)
		}
		if want := []string{"Zebra", "a-b", "orders"}; !slices.Equal(names, want) {
			t.Errorf("channels %q, want %q", names, want)
		}

		history, err := c.DocumentHistory(ctx, "beta")
		if err != nil {
			t.Fatal(err)
		}
		var versions []int
		for _, v := range history {
			versions = append(versions, v.Version)
			if !v.ImportedAt.Equal(c.now()) || v.ImportedAt.Location() != time.UTC {
				t.Errorf("version %d imported at %v, want %v in UTC", v.Version, v.ImportedAt, c.now())
			}
		}
		if !slices.Equal(versions, []int{1, 2}) {
			t.Errorf("history of beta: versions %v, want [1 2]", versions)
		}
		if s, err := c.Service(ctx, "beta"); err != nil || s.Description != "second" || s.Version != "1.1.0" || !slices.Equal(s.Tags, []string{"b", "A"}) {
			t.Errorf("beta after its second version: %+v, %v", s, err)
		}

		owner, description, tags := "team-x", "patched", []string{"t1"}
		if err := c.Update(ctx, "channel", "orders", Patch{Owner: &owner, Description: &description, Tags: &tags}); err != nil {
			t.Fatal(err)
		}
		ch, err := c.Channel(ctx, "orders")
		if err != nil || ch.Owner != owner || ch.Description != description || !slices.Equal(ch.Tags, tags) {
			t.Errorf("patched channel: %+v, %v", ch, err)
		}
		email := "x@example.com"
		if err := c.UpdateOwner(ctx, owner, OwnerPatch{Email: &email}); err != nil {
			t.Fatal(err)
		}
		if o, err := c.Owner(ctx, owner); err != nil || o.Email != email || !slices.Equal(o.Channels, []string{"orders"}) {
			t.Errorf("owner: %+v, %v", o, err)
		}
		none := ""
		if err := c.Update(ctx, "channel", "orders", Patch{Owner: &none}); err != nil {
			t.Fatal(err)
		}
		if ch, _ := c.Channel(ctx, "orders"); ch.Owner != "" {
			t.Errorf("owner removed, still %q", ch.Owner)
		}

		for what, err := range map[string]error{
			"domain":            errOf(c.Domain(ctx, "nope")),
			"service":           errOf(c.Service(ctx, "nope")),
			"channel":           errOf(c.Channel(ctx, "nope")),
			"server":            errOf(c.Server(ctx, "nope")),
			"message":           errOf(c.Message(ctx, "nope")),
			"owner":             errOf(c.Owner(ctx, "nope")),
			"document":          errOf(c.DocumentHistory(ctx, "nope")),
			"patch":             c.Update(ctx, "service", "nope", Patch{Description: &description}),
			"patch of an owner": c.UpdateOwner(ctx, "nope", OwnerPatch{Email: &email}),
		} {
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("%s that does not exist: %v, want ErrNotFound", what, err)
			}
		}

		o, err := c.Overview(ctx)
		if err != nil || o.Services != 3 || o.Channels != 3 || o.Messages != 1 || o.Owners != 1 || o.CreatedAt.IsZero() {
			t.Errorf("overview: %+v, %v", o, err)
		}
	})
}

func errOf[T any](_ T, err error) error { return err }
