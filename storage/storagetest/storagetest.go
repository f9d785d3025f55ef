// Package storagetest runs a store behaviour suite against every backend: a fresh SQLite file
// and a fresh PostgreSQL database (see pgtest for how tests find a server).
package storagetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/storage"
)

// BackendEnv chooses the backend of tests that run on one: EVENTLENS_TEST_STORE=postgres runs
// them on PostgreSQL (CI runs the whole suite once per backend), anything else on SQLite.
const BackendEnv = "EVENTLENS_TEST_STORE"

// Default opens a fresh store on the backend BackendEnv chooses.
func Default(t testing.TB) *storage.DB {
	t.Helper()
	if os.Getenv(BackendEnv) == "postgres" {
		return Postgres(t)
	}
	return SQLite(t)
}

// Each runs f once per backend, as subtests named "sqlite" and "postgres".
func Each(t *testing.T, f func(t *testing.T, db *storage.DB)) {
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, Postgres(t)) })
}

// SQLite opens a store on a fresh file, closed when the test ends.
func SQLite(t testing.TB) *storage.DB {
	t.Helper()
	db, err := sqlitedb.Open(context.Background(), filepath.Join(t.TempDir(), "eventlens.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &storage.DB{SQLite: db}
}

// Postgres opens a store on a fresh database, closed and dropped when the test ends.
func Postgres(t testing.TB) *storage.DB {
	t.Helper()
	return &storage.DB{Postgres: pgtest.Open(t)}
}

// Exec runs a statement both backends accept, for tests that inspect or damage a store behind
// its package's back.
func Exec(t testing.TB, db *storage.DB, statement string) {
	t.Helper()
	var err error
	if db.Postgres != nil {
		_, err = db.Postgres.Pool.Exec(context.Background(), statement)
	} else {
		_, err = db.SQLite.Write.Exec(statement)
	}
	if err != nil {
		t.Fatalf("%s: %v", statement, err)
	}
}

// Int returns the one integer a query both backends accept answers, such as a count.
func Int(t testing.TB, db *storage.DB, query string) int64 {
	t.Helper()
	var n int64
	var err error
	if db.Postgres != nil {
		err = db.Postgres.Pool.QueryRow(context.Background(), query).Scan(&n)
	} else {
		err = db.SQLite.Read.QueryRow(query).Scan(&n)
	}
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
