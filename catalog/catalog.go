// Package catalog is eventlens' map of the event landscape: domains, services, channels, messages
// and owners, and how the documented picture compares with the registry and the observed flows.
package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/eventlens/eventlens/sqlitedb"
)

// Catalog answers questions about what the store holds.
type Catalog struct {
	db *sqlitedb.DB
}

// New returns a catalog over db.
func New(db *sqlitedb.DB) *Catalog {
	return &Catalog{db: db}
}

// Overview is what the home page shows at a glance.
type Overview struct {
	CreatedAt time.Time // when this store was first opened
}

// Overview counts what the store holds.
func (c *Catalog) Overview(ctx context.Context) (Overview, error) {
	var o Overview
	var created string
	if err := c.db.Read.QueryRowContext(ctx, "SELECT created_at FROM instance").Scan(&created); err != nil {
		return o, fmt.Errorf("overview: %w", err)
	}
	t, err := time.Parse(time.RFC3339, created)
	if err != nil {
		return o, fmt.Errorf("overview: created_at %q: %w", created, err)
	}
	o.CreatedAt = t
	return o, nil
}
