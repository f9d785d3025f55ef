package schemaregistry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/eventlens/eventlens/schemaregistry/format"
	"github.com/eventlens/eventlens/storage"
)

// Registry is the schema registry service. It is safe for concurrent use: writes take the
// store's write lock (one at a time across every process on the database, see store), reads go
// to the in-memory cache and, on a miss, to the store.
type Registry struct {
	store   store
	formats map[string]format.Format
	cache   *cache
	parses  parseCache
	// contextNums are the store's numbers of the contexts (see idSpace).
	contextNums contextNumbers
	// verdicts are the answers of checks, by question (see verdictCache).
	verdicts verdictCache
	// summaries is the subject listing of the console, kept until the next write.
	summaries summaryIndex
	// registering makes the registrations of one subject take turns in this process (a
	// subject hashes to one of them), so that only registrations on other replicas can make
	// one's view of the subject stale (see Register).
	registering [64]sync.Mutex
	now         func() time.Time
	limits      Limits
	stats       stats
}

// Limits bound what one schema may pull in through its references. Zero fields take the value in
// DefaultLimits.
type Limits struct {
	MaxReferences     int // distinct subject versions a schema reaches, directly or through other references
	MaxReferenceDepth int // how deep references may nest (a reference to a schema with references is depth 2)
	MaxSchemaBytes    int // the longest schema text accepted (42209 above it)
	MaxNesting        int // how deep brackets may nest in a schema text (42201 deeper)
}

// DefaultLimits: Protobuf files import a few dozen others at most; 1,000 leaves room for
// generated schemas, and each reference costs a lookup on every parse. Real schemas are kilobytes
// and nest a few dozen brackets deep; the formats keep their own, fixed caps behind these.
var DefaultLimits = Limits{MaxReferences: 1000, MaxReferenceDepth: 32, MaxSchemaBytes: 8 << 20, MaxNesting: 256}

// New returns a registry over db that understands the given formats, keyed by schema type
// (AVRO, JSON, PROTOBUF). A schema without a type is AVRO.
func New(db *storage.DB, formats map[string]format.Format) *Registry {
	return &Registry{store: newStore(db), formats: formats, cache: newCache(), now: time.Now, limits: DefaultLimits}
}

// SetLimits changes the reference limits; call it before the registry serves.
func (r *Registry) SetLimits(l Limits) {
	if l.MaxReferences <= 0 {
		l.MaxReferences = DefaultLimits.MaxReferences
	}
	if l.MaxReferenceDepth <= 0 {
		l.MaxReferenceDepth = DefaultLimits.MaxReferenceDepth
	}
	if l.MaxSchemaBytes <= 0 {
		l.MaxSchemaBytes = DefaultLimits.MaxSchemaBytes
	}
	if l.MaxNesting <= 0 {
		l.MaxNesting = DefaultLimits.MaxNesting
	}
	r.limits = l
}

// Types lists the schema types this registry accepts, sorted.
func (r *Registry) Types() []string {
	types := sortedKeys(r.formats)
	return types
}

func (r *Registry) format(typ string) (format.Format, string, error) {
	if typ == "" {
		typ = "AVRO"
	}
	f, ok := r.formats[typ]
	if !ok {
		return nil, typ, errInvalidSchema("Invalid schema type %q: this registry accepts %v", typ, r.Types())
	}
	return f, typ, nil
}

// schemaByID returns the stored schema with id (its store key, see idSpace), from the cache or
// the store.
func (r *Registry) schemaByID(ctx context.Context, id int) (*storedSchema, error) {
	if s, ok := r.cache.schema(id); ok {
		return s, nil
	}
	gen := r.cache.generation()
	s, err := r.store.schema(ctx, id)
	if errors.Is(err, errNoRow) {
		return nil, errSchemaNotFound(strconv.Itoa(publicID(id)))
	}
	if err != nil {
		return nil, storeError("read schema", err)
	}
	return r.cache.putSchema(s, gen), nil
}

// versions returns every version row of subject (soft-deleted ones included), ascending.
func (r *Registry) versions(ctx context.Context, subject string) ([]versionRow, error) {
	if v, ok := r.cache.subject(subject); ok || unstorable(subject) {
		return v, nil
	}
	gen := r.cache.generation()
	rows, err := r.store.versions(ctx, subject)
	if err != nil {
		return nil, storeError("read subject versions", err)
	}
	r.cache.putSubject(subject, rows, gen)
	return rows, nil
}

// live keeps the versions that are not soft-deleted.
func live(rows []versionRow) []versionRow {
	out := make([]versionRow, 0, len(rows))
	for _, v := range rows {
		if !v.deleted {
			out = append(out, v)
		}
	}
	return out
}

// findVersion finds version (or Latest) among rows, counting soft-deleted ones only if
// withDeleted. It answers Confluent's 40401/40402 when there is none.
func findVersion(subject string, rows []versionRow, version int, withDeleted bool) (versionRow, error) {
	any := false
	for i := len(rows) - 1; i >= 0; i-- {
		v := rows[i]
		if v.deleted && !withDeleted {
			continue
		}
		any = true
		if version == Latest || v.version == version {
			return v, nil
		}
	}
	if !any {
		return versionRow{}, errSubjectNotFound(subject)
	}
	return versionRow{}, errVersionNotFound(subject, version)
}

// parsed returns the parsed form of a stored schema, parsing it (with its references) once. A
// store failure while resolving its references is not kept: the next call tries again.
func (r *Registry) parsed(ctx context.Context, s *storedSchema) (format.Schema, error) {
	s.parseMu.Lock()
	defer s.parseMu.Unlock()
	if s.parseDone {
		return s.parsed, s.parseErr
	}
	ctx = context.WithoutCancel(ctx)
	f, _, err := r.format(s.typ)
	if err != nil {
		s.parseErr, s.parseDone = err, true
		return nil, err
	}
	space, err := r.contextOfKey(ctx, s.id)
	if err != nil {
		return nil, err
	}
	refs, _, err := r.resolveReferences(ctx, space, s.refs)
	if ErrorCode(err) == CodeStore {
		return nil, err
	}
	if err == nil {
		s.parsed, err = f.Parse(s.text, refs)
		if err != nil {
			err = errInvalidSchema("Stored schema %d no longer parses: %v", publicID(s.id), err)
		}
	}
	s.parseErr, s.parseDone = err, true
	return s.parsed, err
}

// resolveReferences turns references into the texts a format parses, dependencies first, and
// returns them with every version resolved (-1 becomes the latest live version). It refuses more
// references or deeper nesting than r.limits allow, and cycles (which registration cannot make,
// since a reference names an existing version, but a hand-edited store could). A reference that
// names no context is to a subject of space, the referring schema's context (see qualifyReference).
func (r *Registry) resolveReferences(ctx context.Context, space string, refs []Reference) ([]format.Reference, []Reference, error) {
	var out []format.Reference
	if len(refs) > r.limits.MaxReferences {
		return nil, nil, errInvalidSchema("Invalid schema: %d references, more than the limit of %d", len(refs), r.limits.MaxReferences)
	}
	resolved := make([]Reference, 0, len(refs))
	seen := map[SubjectVersion]bool{}
	onPath := map[SubjectVersion]bool{}
	var visit func(space string, ref Reference, depth int) (Reference, error)
	visit = func(space string, ref Reference, depth int) (Reference, error) {
		if depth >= r.limits.MaxReferenceDepth {
			return ref, errInvalidSchema("Invalid schema: references nest deeper than %d levels (at %q)", r.limits.MaxReferenceDepth, ref.Name)
		}
		if ref.Subject == "" || ref.Name == "" {
			return ref, errInvalidSchema("Invalid schema: a reference needs a name and a subject, got name %q subject %q", ref.Name, ref.Subject)
		}
		if ref.Version == 0 || ref.Version < Latest {
			return ref, errInvalidSchema("Invalid schema: reference %q has version %d; use 1 or more, or -1 for the latest", ref.Name, ref.Version)
		}
		subject := qualifyReference(space, ref.Subject)
		rows, err := r.versions(ctx, subject)
		if err != nil {
			return ref, err
		}
		row, err := findVersion(subject, rows, ref.Version, ref.Version != Latest)
		if err != nil {
			return ref, errInvalidSchema("Invalid schema: reference %q points at subject %q version %d, which does not exist", ref.Name, ref.Subject, ref.Version)
		}
		ref.Version = row.version
		key := SubjectVersion{subject, row.version}
		if onPath[key] {
			return ref, errInvalidSchema("Invalid schema: reference %q to subject %q version %d is part of a cycle", ref.Name, ref.Subject, row.version)
		}
		if seen[key] {
			return ref, nil
		}
		seen[key] = true
		if len(seen) > r.limits.MaxReferences {
			return ref, errInvalidSchema("Invalid schema: the references reach more than %d schemas", r.limits.MaxReferences)
		}
		st, err := r.schemaByID(ctx, row.schemaID)
		if err != nil {
			return ref, err
		}
		onPath[key] = true
		for _, dep := range st.refs {
			if _, err := visit(contextOf(subject), dep, depth+1); err != nil {
				return ref, err
			}
		}
		delete(onPath, key)
		out = append(out, format.Reference{Name: ref.Name, Subject: ref.Subject, Version: row.version, Schema: st.text})
		return ref, nil
	}
	for _, ref := range refs {
		res, err := visit(space, ref, 0)
		if err != nil {
			return nil, nil, err
		}
		resolved = append(resolved, res)
	}
	return out, resolved, nil
}

// prepared is a client's schema parsed and reduced to what the registry stores.
type prepared struct {
	typ      string
	parsed   format.Schema
	text     string // canonical, or normalized when asked
	refs     []Reference
	metadata *Metadata
	ruleSet  *RuleSet
	guid     string
	hash     textHash // MD5 state after text, for guids with another contract
}

// withContract is p carrying metadata md and rule set rs instead of its own.
func (p *prepared) withContract(md *Metadata, rs *RuleSet) *prepared {
	out := *p
	out.metadata, out.ruleSet = md, rs
	out.guid = p.hash.guid(out.refs, md, rs)
	return &out
}

// prepare validates and parses a schema a client sent for subject. A text without references
// found in the parse cache passed the checks below when it was parsed (the limits do not change
// while the registry serves), so it is neither checked nor parsed again.
func (r *Registry) prepare(ctx context.Context, subject string, in NewSchema, normalize bool) (*prepared, error) {
	f, typ, err := r.format(in.SchemaType)
	if err != nil {
		return nil, err
	}
	if in.Schema == "" {
		return nil, errInvalidSchema("Invalid schema: the request has no schema text (field \"schema\")")
	}
	key := parseKey{typ, in.Schema}
	p, ok := r.parses.get(key)
	var refs []Reference
	if !ok || len(in.References) > 0 {
		if err := r.checkText(in.Schema); err != nil {
			return nil, err
		}
		var fmtRefs []format.Reference
		if fmtRefs, refs, err = r.resolveReferences(ctx, contextOf(subject), in.References); err != nil {
			return nil, err
		}
		parsed, err := f.Parse(in.Schema, fmtRefs)
		if errors.Is(err, format.ErrTooLarge) {
			return nil, &Error{Code: CodeSchemaTooLarge, Message: fmt.Sprintf("Schema too large: %v", err), Err: err}
		}
		if err != nil {
			return nil, &Error{Code: CodeInvalidSchema, Message: fmt.Sprintf("Invalid schema %s: %v", typ, err), Err: err}
		}
		p = newParsedText(parsed)
		if len(fmtRefs) == 0 {
			r.parses.put(key, p)
		}
	}
	text := p.form(normalize)
	md := normalizeMetadata(in.Metadata)
	return &prepared{typ: typ, parsed: p.parsed, text: text.text, hash: text.hash, refs: refs, metadata: md, ruleSet: in.RuleSet,
		guid: text.hash.guid(refs, md, in.RuleSet)}, nil
}

// checkText refuses a schema text that is not UTF-8, longer than the limit or nested deeper.
func (r *Registry) checkText(text string) error {
	if !utf8.ValidString(text) {
		return errInvalidSchema("Invalid schema: the schema text is not valid UTF-8")
	}
	if len(text) > r.limits.MaxSchemaBytes {
		return &Error{Code: CodeSchemaTooLarge, Message: fmt.Sprintf("Schema too large: %d bytes, more than the %d this registry accepts", len(text), r.limits.MaxSchemaBytes)}
	}
	if depth := nesting(text); depth > r.limits.MaxNesting {
		return errInvalidSchema("Invalid schema: brackets nest %d deep, more than the %d this registry accepts", depth, r.limits.MaxNesting)
	}
	return nil
}

// toSchema builds the answer for one subject version.
func toSchema(subject string, v versionRow, s *storedSchema) Schema {
	return Schema{
		Subject: subject, Version: v.version, ID: publicID(s.id), GUID: s.guid, SchemaType: s.typ,
		Schema: s.text, References: slices.Clone(s.refs), Metadata: s.metadata, RuleSet: s.ruleSet,
		Deleted: v.deleted, Timestamp: v.created,
	}
}
