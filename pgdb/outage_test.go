package pgdb_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/pgdb/pgtest"
)

// While the server is stopped every query fails with ErrUnavailable (so the server answers 503,
// not 500) and Ready says so; once it is back the same pool works again without a restart.
func TestPoolRecoversAfterTheServerWasStopped(t *testing.T) {
	srv := pgtest.StartServer(t)
	ctx := context.Background()
	db, err := pgdb.Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	query := func() error {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		var n int
		return pgdb.Unavailable(db.Pool.QueryRow(ctx, "SELECT count(*) FROM instance").Scan(&n))
	}
	if err := query(); err != nil {
		t.Fatal(err)
	}

	srv.Stop(t)
	for range 3 { // idle connections of the pool, then fresh connects: all refused the same way
		if err := query(); !errors.Is(err, pgdb.ErrUnavailable) {
			t.Fatalf("query while stopped: %v, want ErrUnavailable", err)
		}
	}
	if err := db.Ready(ctx); err == nil {
		t.Fatal("Ready while the server is stopped")
	}

	srv.Start(t)
	if err := query(); err != nil {
		t.Fatalf("query after the restart: %v", err)
	}
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("Ready after the restart: %v", err)
	}
}
