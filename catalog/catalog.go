package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/eventlens/eventlens/pgdb"
	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/storage"
	"github.com/eventlens/eventlens/tracing"
)

// Catalog answers questions about what the store holds and imports AsyncAPI documents into it,
// registering their message payloads with the schema registry.
type Catalog struct {
	store    store
	registry *schemaregistry.Registry
	flows    FlowSource // what traces show, for drift and export; nil until SetFlows
	now      func() time.Time
	search   searchState
	stats    stats
}

// New returns a catalog over db that registers imported payloads with registry.
func New(db *storage.DB, registry *schemaregistry.Registry) *Catalog {
	c := &Catalog{store: newStore(db), registry: registry, now: time.Now}
	c.search.wake = make(chan struct{}, 1)
	return c
}

// ReplicaChannel is the PostgreSQL channel on which a catalog write tells the other replicas
// what it changed (a document's key, a patched entity), when it commits.
const ReplicaChannel = "eventlens_catalog"

// ReplicaHandlers is what the catalog listens to when several replicas share one PostgreSQL:
// another replica's catalog write makes the search index stale here, so does a registry write
// (search indexes the subjects' latest schemas), and so does a reconnect (writes may have been
// missed). Everything else the catalog answers is read from the database each time. Merge them
// after the registry's (pgdb.Merge), so the registry's caches have dropped what a write changed
// before the search reads them. On SQLite there is one process and nothing to listen to: nil.
func (c *Catalog) ReplicaHandlers() map[string]pgdb.Handler {
	if _, ok := c.store.(*postgresStore); !ok {
		return nil
	}
	stale := pgdb.Handler{Notified: func(string) { c.searchChanged() }, Reload: c.searchChanged}
	return map[string]pgdb.Handler{ReplicaChannel: stale, schemaregistry.ReplicaChannel: stale}
}

// FlowSource lists the flow edges traces showed: a tracing.Ingester while serving, a
// tracing.FlowReader for commands that only read the store.
type FlowSource interface {
	FlowEdges(ctx context.Context, seenSince time.Time) ([]tracing.FlowEdge, error)
}

// SetFlows gives the catalog the flows that traces show, so Drift can compare them with the
// documents and Export can add them. Commands that only import need none.
func (c *Catalog) SetFlows(src FlowSource) { c.flows = src }

// Overview is what the home page shows at a glance.
type Overview struct {
	CreatedAt time.Time // when this store was first opened
	Domains   int
	Services  int
	Channels  int
	Messages  int
	Owners    int
}

// Overview counts what the store holds.
func (c *Catalog) Overview(ctx context.Context) (Overview, error) {
	o, err := c.store.overview(ctx)
	if err != nil {
		return o, fmt.Errorf("overview: %w", err)
	}
	return o, nil
}
