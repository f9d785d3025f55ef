package pgdb_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/pgdb/pgtest"
)

func TestOpenMigratesAndIsReady(t *testing.T) {
	ctx := context.Background()
	u := pgtest.URL(t)
	db, err := pgdb.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("ready: %v", err)
	}
	var created string
	if err := db.Pool.QueryRow(ctx, "SELECT created_at FROM instance").Scan(&created); err != nil || !strings.HasSuffix(created, "Z") {
		t.Errorf("instance row: %q, %v", created, err)
	}
	db.Close()
	// Opening again applies nothing and keeps the row.
	again, err := pgdb.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	var n int
	if err := again.Pool.QueryRow(ctx, "SELECT count(*) FROM instance").Scan(&n); err != nil || n != 1 {
		t.Errorf("instance rows after a second open: %d, %v", n, err)
	}
}

// Replicas starting at once on an empty database migrate it once, without errors.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	u := pgtest.URL(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			db, err := pgdb.Open(context.Background(), u)
			if err == nil {
				db.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestOpenRefusesClearly(t *testing.T) {
	good := pgtest.URL(t)
	u, _ := url.Parse(good)
	wrongPassword := *u
	wrongPassword.User = url.UserPassword(u.User.Username(), "not-the-password")
	noDatabase := *u
	noDatabase.Path = "/no_such_database_here"
	noDatabase.RawQuery = ""
	// A port nothing listens on: bind one, then close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()

	for _, c := range []struct{ name, url, want string }{
		{"malformed", "postgres://user:pw@[::1", "want postgres://"},
		{"no host", "postgres:///eventlens", "want postgres://"},
		{"bad option", "postgres://u@127.0.0.1/db?sslmode=sometimes", "sslmode"},
		{"refused login", wrongPassword.String(), "login refused"},
		{"no database", noDatabase.String(), "no such database"},
		{"unreachable", "postgres://u:secret@" + closed + "/db", "server unreachable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			db, err := pgdb.Open(ctx, c.url)
			if err == nil {
				db.Close()
				t.Fatal("opened")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
			for _, secret := range []string{"not-the-password", ":secret@", ":pw@"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows the password", err)
				}
			}
		})
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h:5432/db?sslmode=disable": "postgres://u:xxxxx@h:5432/db?sslmode=disable",
		"postgres://u@h/db":                         "postgres://u@h/db",
		"postgres://u:pw@[::1":                      "postgres://…@[::1",
	} {
		if got := pgdb.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// A notification sent in a transaction arrives when it commits and never when it rolls back;
// after the listening connection is killed, the handler reloads and notifications flow again.
func TestListenDeliversCommittedNotificationsAndReloadsAfterALostConnection(t *testing.T) {
	db := pgtest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	got, reloads, problems := make(chan string, 10), make(chan struct{}, 10), make(chan error, 10)
	done := make(chan struct{})
	go func() {
		defer close(done)
		db.Listen(ctx, map[string]pgdb.Handler{"eventlens_test": {
			Notified: func(p string) { got <- p },
			Reload:   func() { reloads <- struct{}{} },
		}}, func(err error) { problems <- err })
	}()
	defer func() { cancel(); <-done }()
	waitFor(t, reloads, "the first reload")

	send := func(payload string, commit bool) {
		tx, err := db.Pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := pgdb.Notify(ctx, tx, "eventlens_test", payload); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = tx.Commit(ctx)
		} else {
			err = tx.Rollback(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	send("rolled back", false)
	send("one", true)
	if p := waitFor(t, got, "a notification"); p != "one" {
		t.Fatalf("got %q, want the committed one", p)
	}

	if _, err := db.Pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN "eventlens_test"' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	if err := waitFor(t, problems, "the lost connection reported"); err == nil || errors.Is(err, context.Canceled) {
		t.Fatalf("problem: %v", err)
	}
	waitFor(t, reloads, "a reload after reconnecting")
	send("two", true)
	if p := waitFor(t, got, "a notification after reconnecting"); p != "two" {
		t.Fatalf("got %q", p)
	}
}

func waitFor[T any](t *testing.T, c chan T, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s within 10 s", what)
	}
	panic("unreachable")
}

func TestUnavailableMarksConnectionProblemsOnly(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	_, syntax := db.Pool.Exec(ctx, "SELEC 1")
	if err := pgdb.Unavailable(syntax); errors.Is(err, pgdb.ErrUnavailable) {
		t.Errorf("a syntax error is marked unavailable: %v", err)
	}
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pid := conn.Conn().PgConn().PID()
	if _, err := db.Pool.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	_, terminated := conn.Exec(ctx, "SELECT 1")
	conn.Release()
	if !errors.Is(pgdb.Unavailable(terminated), pgdb.ErrUnavailable) {
		t.Errorf("a query on a terminated connection (%v) is not marked unavailable", terminated)
	}
	if cut := fmt.Errorf("read batch: %w", io.ErrUnexpectedEOF); !errors.Is(pgdb.Unavailable(cut), pgdb.ErrUnavailable) {
		t.Errorf("a connection cut mid-answer (%v) is not marked unavailable", cut)
	}
	if pgdb.Unavailable(nil) != nil {
		t.Error("nil is marked")
	}
}

func TestMergeCallsEveryHandlerOfAChannel(t *testing.T) {
	var calls []string
	h := func(name string) pgdb.Handler {
		return pgdb.Handler{
			Notified: func(p string) { calls = append(calls, name+" "+p) },
			Reload:   func() { calls = append(calls, name+" reload") },
		}
	}
	m := pgdb.Merge(map[string]pgdb.Handler{"a": h("a1")}, nil, map[string]pgdb.Handler{"a": h("a2"), "b": h("b")})
	m["a"].Notified("x")
	m["b"].Notified("y")
	m["a"].Reload()
	want := []string{"a1 x", "a2 x", "b y", "a1 reload", "a2 reload"}
	if strings.Join(calls, ",") != strings.Join(want, ",") || len(m) != 2 {
		t.Errorf("calls %q, want %q (%d channels)", calls, want, len(m))
	}
}
