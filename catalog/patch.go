package catalog

import (
	"context"
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
func (c *Catalog) Update(ctx context.Context, kind, name string, p Patch) error {
	if _, ok := entityTables[kind]; !ok {
		return fmt.Errorf("%w: no kind %q", ErrInvalidPatch, kind)
	}
	if p.Tags != nil {
		for _, tag := range *p.Tags {
			if strings.TrimSpace(tag) == "" {
				return fmt.Errorf("%w: empty tag", ErrInvalidPatch)
			}
		}
	}
	err := c.store.update(ctx, func(tx storeTx) error {
		id, err := tx.entityID(ctx, kind, name)
		if err != nil {
			return err
		}
		if p.Owner != nil {
			var ownerID int64
			if owner := strings.TrimSpace(*p.Owner); owner != "" {
				if ownerID, err = tx.addOwner(ctx, owner); err != nil {
					return fmt.Errorf("update %s %q: owner %q: %w", kind, name, owner, err)
				}
			}
			if err := tx.setOwner(ctx, kind, id, ownerID); err != nil {
				return fmt.Errorf("update %s %q: %w", kind, name, err)
			}
		}
		if p.Description != nil {
			if err := tx.setDescription(ctx, kind, id, *p.Description); err != nil {
				return fmt.Errorf("update %s %q: %w", kind, name, err)
			}
		}
		if p.Tags != nil {
			if err := tx.setTags(ctx, kind, id, tagsJSON(*p.Tags)); err != nil {
				return fmt.Errorf("update %s %q: %w", kind, name, err)
			}
		}
		return tx.changed(ctx, kind+" "+name)
	})
	if err == nil {
		c.searchChanged()
	}
	return err
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
	return c.store.update(ctx, func(tx storeTx) error {
		found, err := tx.updateOwner(ctx, name, p)
		if err != nil {
			return fmt.Errorf("update owner %q: %w", name, err)
		}
		if !found {
			return notFound("owner", name)
		}
		return tx.changed(ctx, "owner "+name)
	})
}
