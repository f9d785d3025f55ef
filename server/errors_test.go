package server

import (
	"context"
	"net/http"
	"testing"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/pgdb/pgtest"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/storage"
)

// The registry's store errors (50001) whose cause is a PostgreSQL that cannot be reached
// answer 503, with Retry-After (handleError), so registry clients retry instead of failing.
func TestRegistryAnswers503WhileTheDatabaseIsAway(t *testing.T) {
	ctx := context.Background()
	p, u := pgtest.NewProxy(t, pgtest.URL(t))
	db, err := pgdb.Open(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := schemaregistry.New(&storage.DB{Postgres: db}, schemaregistry.Formats())
	p.Stop()
	_, err = reg.Register(ctx, "s", schemaregistry.NewSchema{Schema: `"int"`}, schemaregistry.RegisterOptions{})
	if status, code, _ := classify(err); status != http.StatusServiceUnavailable || code != http.StatusServiceUnavailable {
		t.Errorf("a registration while the database is away: %d (code %d) for %v, want 503", status, code, err)
	}
}
