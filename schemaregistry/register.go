package schemaregistry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// RegisterOptions tune a registration.
type RegisterOptions struct {
	Normalize bool // store the format's normalized text
	Force     bool // skip the compatibility check
}

// Register adds in as the next version of subject and returns it with its global id. A schema
// that is already a live version of subject is returned as it is, without a check; one that
// exists under another subject keeps its id.
func (r *Registry) Register(ctx context.Context, subject string, in NewSchema, opt RegisterOptions) (Schema, error) {
	if err := validSubject(subject); err != nil {
		return Schema{}, err
	}
	mode, err := r.effectiveMode(ctx, subject)
	if err != nil {
		return Schema{}, err
	}
	switch {
	case mode == ReadOnly || mode == ReadOnlyOverride:
		return Schema{}, errReadOnly(subject)
	case in.ID > 0 && mode != Import:
		return Schema{}, newError(CodeOperationNotPermitted, "Subject %s is not in import mode: a schema id may only be given in IMPORT mode (PUT /mode/%s {\"mode\":\"IMPORT\"})", subject, subject)
	case in.ID <= 0 && mode != ReadWrite:
		return Schema{}, newError(CodeOperationNotPermitted, "Subject %s is not in read-write mode (it is %s); in IMPORT mode give the schema's id", subject, mode)
	}
	cfg, err := r.effectiveConfig(ctx, subject)
	if err != nil {
		return Schema{}, err
	}
	next, err := r.prepare(ctx, in, opt.Normalize || (cfg.Normalize != nil && *cfg.Normalize))
	if err != nil {
		return Schema{}, err
	}

	// The common case, a client registering what it registered before, needs no lock.
	if in.ID <= 0 && in.Version <= 0 {
		if s, ok, err := r.liveVersionOf(ctx, subject, next); err != nil || ok {
			return s, err
		}
	}

	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return Schema{}, err
	}
	if in.ID <= 0 && in.Version <= 0 {
		if s, ok, err := r.liveVersionOf(ctx, subject, next); err != nil || ok {
			return s, err
		}
	}

	schemaID, err := r.existingID(ctx, next, in.ID)
	if err != nil {
		return Schema{}, err
	}
	if mode != Import && !opt.Force {
		previous, err := r.previousVersions(ctx, rows)
		if err != nil {
			return Schema{}, err
		}
		b, err := r.breaks(ctx, cfg, next, previous)
		if err != nil {
			return Schema{}, err
		}
		if b != nil {
			// The console shows what was refused; a refusal that cannot be written is a store
			// failure like any other write's.
			if err := r.recordRefusal(ctx, subject, next.typ, b); err != nil {
				return Schema{}, err
			}
			return Schema{}, newError(CodeIncompatibleSchema, "Schema being registered is incompatible with an earlier schema for subject \"%s\", details: [%s]", subject, strings.Join(b.messages(), ", "))
		}
	}

	version := 1
	if len(rows) > 0 {
		version = rows[len(rows)-1].version + 1
	}
	if in.Version > 0 {
		if mode != Import && in.Version != version {
			return Schema{}, errInvalidSchema("Version %d is not one more than the previous version of subject %q (the next is %d)", in.Version, subject, version)
		}
		for _, v := range rows {
			if v.version == in.Version {
				return Schema{}, newError(CodeOperationNotPermitted, "Subject %s already has version %d (schema id %d); a version cannot be overwritten", subject, in.Version, v.schemaID)
			}
		}
		version = in.Version
	}
	return r.insertVersion(ctx, subject, version, schemaID, next, in)
}

// liveVersionOf finds next among subject's live versions.
func (r *Registry) liveVersionOf(ctx context.Context, subject string, next *prepared) (Schema, bool, error) {
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return Schema{}, false, err
	}
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].deleted {
			continue
		}
		s, err := r.schemaByID(ctx, rows[i].schemaID)
		if err != nil {
			return Schema{}, false, err
		}
		if s.guid == next.guid && s.typ == next.typ {
			return toSchema(subject, rows[i], s), true, nil
		}
	}
	return Schema{}, false, nil
}

// existingID returns the id next already has (0 if none). With an explicit id (IMPORT), the id
// must be free or hold this very schema (42207 otherwise).
func (r *Registry) existingID(ctx context.Context, next *prepared, explicit int) (int, error) {
	if explicit > 0 {
		s, err := r.schemaByID(ctx, explicit)
		if ErrorCode(err) == CodeSchemaNotFound {
			return explicit, nil
		}
		if err != nil {
			return 0, err
		}
		if s.guid != next.guid || s.typ != next.typ {
			return 0, newError(CodeIDDoesNotMatch, "Schema id %d is already used by a different schema; import this schema with another id", explicit)
		}
		return explicit, nil
	}
	var id int
	err := r.db.Read.QueryRowContext(ctx, "SELECT id FROM sr_schemas WHERE guid = ? AND schema_type = ? ORDER BY id LIMIT 1", next.guid, next.typ).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, storeError("find schema", err)
	}
	return id, nil
}

// insertVersion writes the schema (if new) and the version in one transaction.
func (r *Registry) insertVersion(ctx context.Context, subject string, version, schemaID int, next *prepared, in NewSchema) (Schema, error) {
	now := r.now().UnixMilli()
	tx, err := r.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return Schema{}, storeError("register schema", err)
	}
	defer tx.Rollback()
	exists := false
	if schemaID > 0 {
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM sr_schemas WHERE id = ?", schemaID).Scan(new(int))
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return Schema{}, storeError("register schema", err)
		}
		exists = err == nil
	}
	if !exists {
		refs, _ := json.Marshal(next.refs)
		md, rs := jsonOrNil(in.Metadata), jsonOrNil(in.RuleSet)
		var id any
		if schemaID > 0 {
			id = schemaID
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO sr_schemas (id, guid, schema_type, schema, refs, metadata, rule_set, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			id, next.guid, next.typ, next.text, string(refs), md, rs, now)
		if err != nil {
			return Schema{}, storeError("register schema", err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return Schema{}, storeError("register schema", err)
		}
		schemaID = int(last)
		for _, ref := range next.refs {
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO sr_references (schema_id, ref_subject, ref_version) VALUES (?, ?, ?)", schemaID, ref.Subject, ref.Version); err != nil {
				return Schema{}, storeError("register schema references", err)
			}
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO sr_versions (subject, version, schema_id, deleted, created_at) VALUES (?, ?, ?, 0, ?)", subject, version, schemaID, now); err != nil {
		return Schema{}, storeError("register version", err)
	}
	err = tx.Commit()
	r.cache.invalidate(invalidation{subjects: []string{subject}})
	if err != nil {
		return Schema{}, storeError("register schema", err)
	}
	s, err := r.schemaByID(ctx, schemaID)
	if err != nil {
		return Schema{}, fmt.Errorf("read back schema %d: %w", schemaID, err)
	}
	return toSchema(subject, versionRow{version: version, schemaID: schemaID, created: now}, s), nil
}

func jsonOrNil(v any) any {
	switch x := v.(type) {
	case *Metadata:
		if x == nil {
			return nil
		}
	case *RuleSet:
		if x == nil {
			return nil
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Lookup finds in among subject's versions (soft-deleted ones too when deleted): 40401 when the
// subject has no versions, 40403 when none holds this schema.
func (r *Registry) Lookup(ctx context.Context, subject string, in NewSchema, normalize, deleted bool) (Schema, error) {
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return Schema{}, err
	}
	if _, err := findVersion(subject, rows, Latest, deleted); err != nil {
		return Schema{}, err
	}
	cfg, err := r.effectiveConfig(ctx, subject)
	if err != nil {
		return Schema{}, err
	}
	normalize = normalize || (cfg.Normalize != nil && *cfg.Normalize)
	next, err := r.prepare(ctx, in, normalize)
	if err != nil {
		return Schema{}, err
	}
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].deleted && !deleted {
			continue
		}
		s, err := r.schemaByID(ctx, rows[i].schemaID)
		if err != nil {
			return Schema{}, err
		}
		if s.guid == next.guid && s.typ == next.typ {
			return toSchema(subject, rows[i], s), nil
		}
		// A version registered without normalize=true still matches when both normalize to
		// the same text, as Confluent's lookup compares the parsed schemas.
		if normalize && s.typ == next.typ && slices.Equal(s.refs, next.refs) {
			old, err := r.parsed(ctx, s)
			if err == nil && old.Normalized() == next.text {
				return toSchema(subject, rows[i], s), nil
			}
		}
	}
	return Schema{}, newError(CodeSchemaNotFound, "Schema not found under subject '%s': register it first (POST /subjects/%s/versions)", subject, subject)
}
