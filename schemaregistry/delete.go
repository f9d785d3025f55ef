package schemaregistry

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// DeleteVersion soft-deletes subject's version, or removes it for good when permanent (which
// needs a soft delete first: 40407). A version other schemas reference cannot go (42206).
func (r *Registry) DeleteVersion(ctx context.Context, subject string, version int, permanent bool) (int, error) {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	if err := r.refuseReadOnly(ctx, subject); err != nil {
		return 0, err
	}
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return 0, err
	}
	row, err := findVersion(subject, rows, version, version != Latest || permanent)
	if err != nil {
		return 0, err
	}
	if row.deleted && !permanent {
		return 0, newError(CodeVersionSoftDeleted, "Subject '%s' Version %d was soft deleted. Set permanent=true to delete permanently", subject, row.version)
	}
	refs, err := r.referrers(ctx, r.db.Read, subject, row.version, permanent)
	if err != nil {
		return 0, err
	}
	if len(refs) > 0 {
		return 0, newError(CodeReferenceExists, "Subject '%s' Version %d is referenced by schemas %v; delete those first", subject, row.version, refs)
	}
	if permanent && !row.deleted {
		return 0, newError(CodeVersionNotSoftDeleted, "Subject '%s' Version %d was not deleted first before being permanently deleted; delete it without permanent=true first", subject, row.version)
	}
	inv := invalidation{subjects: []string{subject}}
	err = r.inTx(ctx, "delete version", func(tx *sql.Tx) error {
		if !permanent {
			_, err := tx.ExecContext(ctx, "UPDATE sr_versions SET deleted = 1 WHERE subject = ? AND version = ?", subject, row.version)
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sr_versions WHERE subject = ? AND version = ?", subject, row.version); err != nil {
			return err
		}
		if len(rows) == 1 { // the subject is gone: so are its config, mode and refusals
			if err := deleteSubjectSettings(ctx, tx, subject); err != nil {
				return err
			}
			inv.configs, inv.modes = []string{subject}, []string{subject}
		}
		gone, err := deleteOrphans(ctx, tx, []int{row.schemaID})
		inv.schemas = gone
		return err
	})
	r.cache.invalidate(inv)
	return row.version, err
}

// DeleteSubject soft-deletes every live version of subject, or removes every version for good
// when permanent (which needs a soft delete first: 40405). It returns the versions deleted.
func (r *Registry) DeleteSubject(ctx context.Context, subject string, permanent bool) ([]int, error) {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	if err := r.refuseReadOnly(ctx, subject); err != nil {
		return nil, err
	}
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errSubjectNotFound(subject)
	}
	if !permanent && len(live(rows)) == 0 {
		return nil, newError(CodeSubjectSoftDeleted, "Subject '%s' was soft deleted. Set permanent=true to delete permanently", subject)
	}
	var versions, ids []int
	for _, v := range rows {
		if v.deleted && !permanent {
			continue
		}
		refs, err := r.referrersFromOtherSubjects(ctx, subject, v.version, permanent)
		if err != nil {
			return nil, err
		}
		if len(refs) > 0 {
			return nil, newError(CodeReferenceExists, "Subject '%s' Version %d is referenced by subjects %v; delete those first", subject, v.version, refs)
		}
		if permanent && !v.deleted {
			return nil, newError(CodeSubjectNotSoftDeleted, "Subject '%s' was not deleted first before being permanently deleted; delete it without permanent=true first", subject)
		}
		versions = append(versions, v.version)
		ids = append(ids, v.schemaID)
	}
	inv := invalidation{subjects: []string{subject}}
	err = r.inTx(ctx, "delete subject", func(tx *sql.Tx) error {
		if !permanent {
			_, err := tx.ExecContext(ctx, "UPDATE sr_versions SET deleted = 1 WHERE subject = ?", subject)
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sr_versions WHERE subject = ?", subject); err != nil {
			return err
		}
		if err := deleteSubjectSettings(ctx, tx, subject); err != nil {
			return err
		}
		inv.configs, inv.modes = []string{subject}, []string{subject}
		gone, err := deleteOrphans(ctx, tx, ids)
		inv.schemas = gone
		return err
	})
	r.cache.invalidate(inv)
	if err != nil {
		return nil, err
	}
	return versions, nil
}

// referrersFromOtherSubjects lists the subjects other than subject whose versions reference
// subject/version.
func (r *Registry) referrersFromOtherSubjects(ctx context.Context, subject string, version int, withDeleted bool) ([]string, error) {
	cond := "v.deleted = 0"
	if withDeleted {
		cond = "1"
	}
	rows, err := r.db.Read.QueryContext(ctx, `SELECT DISTINCT v.subject FROM sr_references ref
		JOIN sr_versions v ON v.schema_id = ref.schema_id
		WHERE ref.ref_subject = ? AND ref.ref_version = ? AND v.subject <> ? AND `+cond+` ORDER BY v.subject`, subject, version, subject)
	if err != nil {
		return nil, storeError("read references", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, storeError("read references", err)
		}
		out = append(out, s)
	}
	return out, storeError("read references", rows.Err())
}

func (r *Registry) refuseReadOnly(ctx context.Context, subject string) error {
	mode, err := r.effectiveMode(ctx, subject)
	if err != nil {
		return err
	}
	if mode == ReadOnly || mode == ReadOnlyOverride {
		return errReadOnly(subject)
	}
	return nil
}

// inTx runs fn in one transaction on the write connection.
func (r *Registry) inTx(ctx context.Context, op string, fn func(*sql.Tx) error) error {
	tx, err := r.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return storeError(op, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return storeError(op, err)
	}
	return storeError(op, tx.Commit())
}

// deleteSubjectSettings removes what a subject has beside its versions: its config, its mode
// and the registrations it refused.
func deleteSubjectSettings(ctx context.Context, tx *sql.Tx, subject string) error {
	for _, table := range []string{"sr_config", "sr_mode", "sr_refusals"} {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+table+" WHERE subject = ?", subject); err != nil {
			return err
		}
	}
	return nil
}

// deleteOrphans removes the schemas among ids that no version uses any more, and returns them.
func deleteOrphans(ctx context.Context, tx *sql.Tx, ids []int) ([]int, error) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var gone []int
	for _, id := range ids {
		res, err := tx.ExecContext(ctx, "DELETE FROM sr_schemas WHERE id = ? AND NOT EXISTS (SELECT 1 FROM sr_versions WHERE schema_id = ?)", id, id)
		if err != nil {
			return nil, fmt.Errorf("delete schema %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			gone = append(gone, id)
		}
	}
	return gone, nil
}
