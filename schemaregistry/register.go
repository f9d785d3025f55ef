package schemaregistry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
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
	s, err := r.registerSchema(ctx, subject, in, opt)
	r.stats.registered(err)
	return s, err
}

func (r *Registry) registerSchema(ctx context.Context, subject string, in NewSchema, opt RegisterOptions) (Schema, error) {
	if err := validSubject(subject); err != nil {
		return Schema{}, err
	}
	if err := validContextSubject(subject); err != nil {
		return Schema{}, err
	}
	// Confluent's ids and versions are Java ints (and PostgreSQL's versions integers).
	if in.ID > math.MaxInt32 {
		return Schema{}, errInvalidSchema("Schema id %d is out of range: ids run from 1 to 2^31-1", in.ID)
	}
	if in.Version > math.MaxInt32 {
		return Schema{}, newError(CodeInvalidVersion, "The specified version '%d' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", in.Version)
	}
	if err := r.knowSubject(ctx, subject); err != nil {
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
	if err := validateRuleSet(in.RuleSet); err != nil {
		return Schema{}, err
	}
	next, err := r.prepare(ctx, subject, in, opt.Normalize || (cfg.Normalize != nil && *cfg.Normalize))
	if err != nil {
		return Schema{}, err
	}

	// The common case, a client registering what it registered before, needs no lock.
	if in.ID <= 0 && in.Version <= 0 {
		rows, err := r.versions(ctx, subject)
		if err != nil {
			return Schema{}, err
		}
		c, err := r.contracted(ctx, cfg, mode, in, next, rows)
		if err != nil {
			return Schema{}, err
		}
		if s, ok, err := r.liveVersionIn(ctx, subject, rows, c); err != nil || ok {
			return s, err
		}
	}

	// Registrations of one subject take turns here, and each decides on the versions this
	// process cached; the store writes only if the subject still has them. If it does not,
	// another write to the subject came first (on another replica, whose notice is on its
	// way, or a delete here): decide again on the versions as the store found them. Each retry
	// means such a write landed, so a handful is plenty.
	mu := &r.registering[subjectHash(subject)%uint32(len(r.registering))]
	mu.Lock()
	defer mu.Unlock()
	rows, err := r.versions(ctx, subject)
	if err != nil {
		return Schema{}, err
	}
	for attempt := 1; ; attempt++ {
		s, current, err := r.register(ctx, subject, rows, next, in, mode, cfg, opt)
		if !errors.Is(err, errStale) {
			return s, err
		}
		if attempt == maxRegisterAttempts {
			return Schema{}, storeError("register schema", fmt.Errorf("subject %q changed on other replicas %d times while registering", subject, attempt))
		}
		r.cache.invalidate(invalidation{subjects: []string{subject}})
		rows = current
	}
}

// knowSubject reads what a registration needs of a subject not cached (a new one, usually)
// in one query instead of three: its versions, config and mode.
func (r *Registry) knowSubject(ctx context.Context, subject string) error {
	if r.cache.known(subject) {
		return nil
	}
	gen := r.cache.generation()
	s, err := r.store.subject(ctx, subject)
	if err != nil {
		return storeError("read subject", err)
	}
	r.cache.putSubjectRows(subject, s, gen)
	return nil
}

// maxRegisterAttempts bounds how often a registration decides again because other replicas
// registered under its subject meanwhile.
const maxRegisterAttempts = 32

// subjectHash spreads subjects over Registry.registering.
func subjectHash(subject string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(subject))
	return h.Sum32()
}

// register decides what registering next under subject means when the subject has the
// versions rows, and writes it. errStale means rows were no longer the subject's versions:
// nothing was written, and current is what the subject has now.
func (r *Registry) register(ctx context.Context, subject string, rows []versionRow, next *prepared, in NewSchema, mode string, cfg Config, opt RegisterOptions) (s Schema, current []versionRow, err error) {
	if next, err = r.contracted(ctx, cfg, mode, in, next, rows); err != nil {
		return Schema{}, nil, err
	}
	if in.ID <= 0 && in.Version <= 0 {
		if s, ok, err := r.liveVersionIn(ctx, subject, rows, next); err != nil || ok {
			return s, nil, err
		}
	}
	if mode != Import && !opt.Force {
		previous, err := r.previousVersions(ctx, rows)
		if err != nil {
			return Schema{}, nil, err
		}
		b, err := r.breaks(ctx, cfg, next, previous)
		if err != nil {
			return Schema{}, nil, err
		}
		if b != nil {
			// The console shows what was refused; a refusal that cannot be written is a store
			// failure like any other write's.
			if current, err := r.recordRefusal(ctx, subject, next.typ, b, rows); err != nil {
				return Schema{}, current, err
			}
			return Schema{}, nil, newError(CodeIncompatibleSchema, "Schema being registered is incompatible with an earlier schema for subject \"%s\", details: [%s]", subject, strings.Join(b.messages(), ", "))
		}
	}

	version := 1
	if len(rows) > 0 {
		version = rows[len(rows)-1].version + 1
	}
	if in.Version > 0 {
		if mode != Import && in.Version != version {
			return Schema{}, nil, errInvalidSchema("Version %d is not one more than the previous version of subject %q (the next is %d)", in.Version, subject, version)
		}
		for _, v := range rows {
			if v.version == in.Version {
				return Schema{}, nil, newError(CodeOperationNotPermitted, "Subject %s already has version %d (schema id %d); a version cannot be overwritten", subject, in.Version, publicID(v.schemaID))
			}
		}
		version = in.Version
	}

	stored := &storedSchema{guid: next.guid, typ: next.typ, text: next.text, refs: next.refs, metadata: next.metadata, ruleSet: next.ruleSet}
	inv := invalidation{subjects: []string{subject}}
	gen := r.cache.generation()
	v := newVersion{subject: subject, version: version, id: max(in.ID, 0), schema: stored, created: r.now().UnixMilli(), expected: rows, notice: r.notice(inv)}
	id, current, err := r.store.insertVersion(ctx, v)
	switch {
	case errors.Is(err, errStale):
		return Schema{}, current, err
	case errors.Is(err, errIDTaken):
		return Schema{}, nil, newError(CodeIDDoesNotMatch, "Schema id %d is already used by a different schema; import this schema with another id", in.ID)
	case err != nil:
		r.cache.invalidate(inv) // the commit may have happened
		return Schema{}, nil, storeError("register schema", err)
	}
	stored.id = id
	row := versionRow{version: version, schemaID: id, created: v.created}
	at, _ := slices.BinarySearchFunc(rows, version, func(v versionRow, n int) int { return cmp.Compare(v.version, n) })
	stored = r.cache.wrote(inv, gen, subject, slices.Insert(slices.Clone(rows), at, row), stored)
	return toSchema(subject, row, stored), nil, nil
}

// contracted is next with the metadata and rule set the subject's config gives a new version
// after rows (see contracted); in IMPORT mode what the request says, as Confluent copies it.
func (r *Registry) contracted(ctx context.Context, cfg Config, mode string, in NewSchema, next *prepared, rows []versionRow) (*prepared, error) {
	if mode == Import {
		return next, nil
	}
	var previous *storedSchema
	if row, err := findVersion("", rows, Latest, false); err == nil {
		if previous, err = r.schemaByID(ctx, row.schemaID); err != nil {
			return nil, err
		}
	}
	version := 1
	if len(rows) > 0 {
		version = rows[len(rows)-1].version + 1
	}
	in.Metadata = next.metadata
	md, rs := contracted(cfg, in, previous, version)
	return next.withContract(normalizeMetadata(md), rs), nil
}

// liveVersionIn finds next among subject's live versions rows.
func (r *Registry) liveVersionIn(ctx context.Context, subject string, rows []versionRow, next *prepared) (Schema, bool, error) {
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
	next, err := r.prepare(ctx, subject, in, normalize)
	if err != nil {
		return Schema{}, err
	}
	if s, ok, err := r.lookupIn(ctx, subject, rows, next, normalize, deleted); err != nil || ok {
		return s, err
	}
	// As Confluent: the schema as registration would have completed it from the config and the
	// latest version (its metadata and rule set) may be there too.
	if latest, err := findVersion(subject, rows, Latest, false); err == nil {
		previous, err := r.schemaByID(ctx, latest.schemaID)
		if err != nil {
			return Schema{}, err
		}
		in.Metadata = next.metadata
		md, rs := contracted(cfg, in, previous, 0)
		if c := next.withContract(normalizeMetadata(md), rs); c.guid != next.guid {
			if s, ok, err := r.lookupIn(ctx, subject, rows, c, normalize, deleted); err != nil || ok {
				return s, err
			}
		}
	}
	return Schema{}, newError(CodeSchemaNotFound, "Schema not found under subject '%s': register it first (POST /subjects/%s/versions)", subject, subject)
}

// lookupIn finds next among subject's versions rows, soft-deleted ones too when deleted.
func (r *Registry) lookupIn(ctx context.Context, subject string, rows []versionRow, next *prepared, normalize, deleted bool) (Schema, bool, error) {
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].deleted && !deleted {
			continue
		}
		s, err := r.schemaByID(ctx, rows[i].schemaID)
		if err != nil {
			return Schema{}, false, err
		}
		if s.guid == next.guid && s.typ == next.typ {
			return toSchema(subject, rows[i], s), true, nil
		}
		// A version registered without normalize=true still matches when both normalize to
		// the same text, as Confluent's lookup compares the parsed schemas.
		if normalize && s.typ == next.typ && slices.Equal(s.refs, next.refs) {
			old, err := r.parsed(ctx, s)
			if err == nil && old.Normalized() == next.text {
				return toSchema(subject, rows[i], s), true, nil
			}
		}
	}
	return Schema{}, false, nil
}
