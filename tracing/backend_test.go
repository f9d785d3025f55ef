package tracing

import (
	"context"
	"database/sql"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/eventlens/eventlens/storage"
)

// What tests ask of a store behind the interface's back, once per backend.

// count is how many rows table holds.
func count(t testing.TB, db *storage.DB, table string) int {
	t.Helper()
	var n int
	var err error
	if db.Postgres != nil {
		err = db.Postgres.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n)
	} else {
		err = db.SQLite.Read.QueryRow("SELECT count(*) FROM " + table).Scan(&n)
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// blockWrites holds a lock that stops the writer's next commit until release is called.
func blockWrites(t testing.TB, db *storage.DB) (release func()) {
	t.Helper()
	ctx := context.Background()
	if db.Postgres != nil {
		tx, err := db.Postgres.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE span_batch IN EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		return func() {
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	// SQLite's write lock, taken from another connection.
	blocker, err := sql.Open("sqlite", "file:"+db.SQLite.Path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := blocker.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	return func() {
		defer blocker.Close()
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
	}
}
