package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// Patch changes what people know better than documents: the owner, the description and the
// tags of a domain, service, channel or message. Nil fields stay as they are; an empty owner
// removes it. A later changed import of a document that describes it overwrites description and
// tags (for a channel: with what its documents say merged, see merge.go).
type Patch struct {
	Owner       *string   `json:"owner,omitempty"`
	Description *string   `json:"description,omitempty"`
	Tags        *[]string `json:"tags,omitempty"`
}

// entityTables maps the kinds that Update accepts to their tables.
var entityTables = map[string]string{
	"domain":  "catalog_domains",
	"service": "catalog_services",
	"channel": "catalog_channels",
	"message": "catalog_messages",
}

// Update applies p to the entity of kind (domain, service, channel or message) called name, in
// one transaction. An owner not yet known is added as a team.
func (c *Catalog) Update(ctx context.Context, kind, name string, p Patch) (err error) {
	table, ok := entityTables[kind]
	if !ok {
		return fmt.Errorf("%w: no kind %q", ErrInvalidPatch, kind)
	}
	tx, err := c.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	var id int64
	// table comes from entityTables, never from input.
	if err = tx.QueryRowContext(ctx, `SELECT id FROM `+table+` WHERE name = ?`, name).Scan(&id); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(kind, name)
		}
		return fmt.Errorf("update %s %q: %w", kind, name, err)
	}
	if p.Owner != nil {
		var ownerID sql.NullInt64
		if owner := strings.TrimSpace(*p.Owner); owner != "" {
			if err = tx.QueryRowContext(ctx, `
				INSERT INTO catalog_owners (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET name = excluded.name
				RETURNING id`, owner).Scan(&ownerID); err != nil {
				return fmt.Errorf("update %s %q: owner %q: %w", kind, name, owner, err)
			}
		}
		if _, err = tx.ExecContext(ctx, `UPDATE `+table+` SET owner_id = ? WHERE id = ?`, ownerID, id); err != nil {
			return fmt.Errorf("update %s %q: %w", kind, name, err)
		}
	}
	if p.Description != nil {
		if _, err = tx.ExecContext(ctx, `UPDATE `+table+` SET description = ? WHERE id = ?`, *p.Description, id); err != nil {
			return fmt.Errorf("update %s %q: %w", kind, name, err)
		}
	}
	if p.Tags != nil {
		for _, tag := range *p.Tags {
			if strings.TrimSpace(tag) == "" {
				return fmt.Errorf("%w: empty tag", ErrInvalidPatch)
			}
		}
		if _, err = tx.ExecContext(ctx, `UPDATE `+table+` SET tags = ? WHERE id = ?`, tagsJSON(*p.Tags), id); err != nil {
			return fmt.Errorf("update %s %q: %w", kind, name, err)
		}
	}
	return tx.Commit()
}

// OwnerPatch changes an owner's kind and contact details; nil fields stay as they are.
type OwnerPatch struct {
	Kind        *string `json:"kind,omitempty"`
	Email       *string `json:"email,omitempty"`
	URL         *string `json:"url,omitempty"`
	Description *string `json:"description,omitempty"`
}

// UpdateOwner applies p to the owner called name.
func (c *Catalog) UpdateOwner(ctx context.Context, name string, p OwnerPatch) error {
	if p.Kind != nil && *p.Kind != "team" && *p.Kind != "person" {
		return fmt.Errorf("%w: owner kind %q: want team or person", ErrInvalidPatch, *p.Kind)
	}
	res, err := c.db.Write.ExecContext(ctx, `
		UPDATE catalog_owners SET kind = coalesce(?, kind), email = coalesce(?, email), url = coalesce(?, url),
			description = coalesce(?, description)
		WHERE name = ?`, p.Kind, p.Email, p.URL, p.Description, name)
	if err != nil {
		return fmt.Errorf("update owner %q: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update owner %q: %w", name, err)
	} else if n == 0 {
		return notFound("owner", name)
	}
	return nil
}
