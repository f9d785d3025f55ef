// Package pgtest gives tests a throw-away PostgreSQL schema on the server that
// EVENTLENS_TEST_POSTGRES names. Without it a test skips with a message naming the variable,
// except in CI (CI=true), where it fails: a skipped test in CI is a missing one.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/eventlens/eventlens/pgdb"
)

// Env names the variable holding the URL of a database where tests may create and drop
// schemas.
const Env = "EVENTLENS_TEST_POSTGRES"

// URL creates an empty schema of its own in the database Env names and returns a URL whose
// connections work in it (search_path); the schema is dropped when the test ends. A schema costs
// milliseconds where CREATE DATABASE costs half a second, and tests make hundreds. Notifications
// and advisory locks are per database, so tests that run at once share them: a test must not
// assume it hears only its own notifications.
func URL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(Env)
	if admin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (see .ci/run)", Env)
		}
		t.Skipf("PostgreSQL tests need %s=postgres://user:password@127.0.0.1:5432/postgres (see docs/development.md)", Env)
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connect to %s (%s): %v", pgdb.Redact(admin), Env, err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "eventlens_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop test schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", name, err)
		}
	})
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open opens a fresh, migrated schema, closed when the test ends (before it is dropped).
func Open(t testing.TB) *pgdb.DB {
	t.Helper()
	return OpenURL(t, URL(t))
}

// OpenURL opens the database at url, closed when the test ends: another replica on a schema
// URL gave, or one reached through a Proxy.
func OpenURL(t testing.TB, url string) *pgdb.DB {
	t.Helper()
	db, err := pgdb.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
