package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/eventlens/eventlens/schemaregistry"
	"github.com/eventlens/eventlens/sqlitedb"
	"github.com/eventlens/eventlens/tracing"
)

// Catalog answers questions about what the store holds and imports AsyncAPI documents into it,
// registering their message payloads with the schema registry.
type Catalog struct {
	db       *sqlitedb.DB
	registry *schemaregistry.Registry
	flows    FlowSource // what traces show, for drift and export; nil until SetFlows
	now      func() time.Time
	search   searchState
}

// New returns a catalog over db that registers imported payloads with registry.
func New(db *sqlitedb.DB, registry *schemaregistry.Registry) *Catalog {
	return &Catalog{db: db, registry: registry, now: time.Now}
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
	var o Overview
	var created string
	err := c.db.Read.QueryRowContext(ctx, `
		SELECT created_at,
			(SELECT count(*) FROM catalog_domains), (SELECT count(*) FROM catalog_services),
			(SELECT count(*) FROM catalog_channels), (SELECT count(*) FROM catalog_messages),
			(SELECT count(*) FROM catalog_owners)
		FROM instance`).Scan(&created, &o.Domains, &o.Services, &o.Channels, &o.Messages, &o.Owners)
	if err != nil {
		return o, fmt.Errorf("overview: %w", err)
	}
	t, err := time.Parse(time.RFC3339, created)
	if err != nil {
		return o, fmt.Errorf("overview: created_at %q: %w", created, err)
	}
	o.CreatedAt = t
	return o, nil
}
