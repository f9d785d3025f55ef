package schemaregistry

import (
	"context"
	"slices"
)

// DeleteVersion soft-deletes subject's version, or removes it for good when permanent (which
// needs a soft delete first: 40407). A version other schemas reference cannot go (42206).
func (r *Registry) DeleteVersion(ctx context.Context, subject string, version int, permanent bool) (int, error) {
	if unstorable(subject) {
		return 0, errSubjectNotFound(subject)
	}
	var deleted int
	err := r.write(ctx, "delete version", func(tx storeTx) (invalidation, error) {
		if err := refuseReadOnly(ctx, subject, tx.mode); err != nil {
			return invalidation{}, err
		}
		rows, err := tx.versions(ctx, subject)
		if err != nil {
			return invalidation{}, err
		}
		row, err := findVersion(subject, rows, version, version != Latest || permanent)
		if err != nil {
			return invalidation{}, err
		}
		if row.deleted && !permanent {
			return invalidation{}, newError(CodeVersionSoftDeleted, "Subject '%s' Version %d was soft deleted. Set permanent=true to delete permanently", subject, row.version)
		}
		refs, err := tx.referrers(ctx, subject, row.version, permanent)
		if err != nil {
			return invalidation{}, err
		}
		if len(refs) > 0 {
			return invalidation{}, newError(CodeReferenceExists, "Subject '%s' Version %d is referenced by schemas %v; delete those first", subject, row.version, referringIDs(refs))
		}
		if permanent && !row.deleted {
			return invalidation{}, newError(CodeVersionNotSoftDeleted, "Subject '%s' Version %d was not deleted first before being permanently deleted; delete it without permanent=true first", subject, row.version)
		}
		deleted = row.version
		inv := invalidation{subjects: []string{subject}}
		if !permanent {
			return inv, tx.softDelete(ctx, subject, row.version)
		}
		if err := tx.hardDelete(ctx, subject, row.version); err != nil {
			return invalidation{}, err
		}
		if len(rows) == 1 { // the subject is gone: so are its config, mode and refusals
			if err := tx.deleteSubjectSettings(ctx, subject); err != nil {
				return invalidation{}, err
			}
			inv.configs, inv.modes = []string{subject}, []string{subject}
		}
		inv.schemas, err = tx.deleteOrphans(ctx, []int{row.schemaID})
		return inv, err
	})
	return deleted, err
}

// DeleteSubject soft-deletes every live version of subject, or removes every version for good
// when permanent (which needs a soft delete first: 40405). It returns the versions deleted.
func (r *Registry) DeleteSubject(ctx context.Context, subject string, permanent bool) ([]int, error) {
	if unstorable(subject) {
		return nil, errSubjectNotFound(subject)
	}
	var versions []int
	err := r.write(ctx, "delete subject", func(tx storeTx) (invalidation, error) {
		if err := refuseReadOnly(ctx, subject, tx.mode); err != nil {
			return invalidation{}, err
		}
		rows, err := tx.versions(ctx, subject)
		if err != nil {
			return invalidation{}, err
		}
		if len(rows) == 0 {
			return invalidation{}, errSubjectNotFound(subject)
		}
		if !permanent && len(live(rows)) == 0 {
			return invalidation{}, newError(CodeSubjectSoftDeleted, "Subject '%s' was soft deleted. Set permanent=true to delete permanently", subject)
		}
		var ids []int
		for _, v := range rows {
			if v.deleted && !permanent {
				continue
			}
			refs, err := tx.referrers(ctx, subject, v.version, permanent)
			if err != nil {
				return invalidation{}, err
			}
			if others := referringSubjects(refs, subject); len(others) > 0 {
				return invalidation{}, newError(CodeReferenceExists, "Subject '%s' Version %d is referenced by subjects %v; delete those first", subject, v.version, others)
			}
			if permanent && !v.deleted {
				return invalidation{}, newError(CodeSubjectNotSoftDeleted, "Subject '%s' was not deleted first before being permanently deleted; delete it without permanent=true first", subject)
			}
			versions = append(versions, v.version)
			ids = append(ids, v.schemaID)
		}
		inv := invalidation{subjects: []string{subject}}
		if !permanent {
			return inv, tx.softDelete(ctx, subject, 0)
		}
		if err := tx.hardDelete(ctx, subject, 0); err != nil {
			return invalidation{}, err
		}
		if err := tx.deleteSubjectSettings(ctx, subject); err != nil {
			return invalidation{}, err
		}
		inv.configs, inv.modes = []string{subject}, []string{subject}
		inv.schemas, err = tx.deleteOrphans(ctx, ids)
		return inv, err
	})
	if err != nil {
		return nil, err
	}
	return versions, nil
}

// referringIDs are the distinct schema ids of refs (in their context), ascending.
func referringIDs(refs []Referrer) []int {
	ids := []int{}
	for _, r := range refs {
		ids = append(ids, publicID(r.ID))
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// referringSubjects are the distinct subjects of refs other than subject, sorted.
func referringSubjects(refs []Referrer, subject string) []string {
	var out []string
	for _, r := range refs {
		if r.Subject != subject {
			out = append(out, r.Subject)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
