package schemaregistry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/eventlens/eventlens/storage"
)

// store is what the registry keeps in the database, in the registry's terms: one implementation
// per backend, sqliteStore (store_sqlite.go) and postgresStore (store_postgres.go), holding all
// of the registry's SQL. Compatibility, ids' rules, caching and what a write may do stay in the
// registry and are written once.
//
// Writes take the registry's write lock, so they run one at a time across every process on the
// database (SQLite's single writer; an advisory lock on PostgreSQL). A registration decides
// outside it, on the versions this process had cached, and insertVersion checks inside it, in
// the same statements that write, that the subject still has exactly those versions: one round
// trip under the lock on PostgreSQL. Other writes read what they decide on inside write's
// transaction. A write also announces what it changed (notice) to the other replicas when it
// commits; SQLite has none and ignores it.
type store interface {
	// schema returns the schema with id, or with guid (the lowest id when several hold it);
	// errNoRow when none.
	schema(ctx context.Context, id int) (*storedSchema, error)
	schemaByGUID(ctx context.Context, guid string) (*storedSchema, error)
	// schemaKeysByGUID lists the keys of the schemas with guid, ascending (several types, or
	// several contexts, may hold one).
	schemaKeysByGUID(ctx context.Context, guid string) ([]int, error)
	// versions returns every version row of subject, soft-deleted ones included, ascending.
	versions(ctx context.Context, subject string) ([]versionRow, error)
	// subject reads what versions, config and mode return for subject, in one query.
	subject(ctx context.Context, subject string) (subjectRows, error)
	// config returns the config row at key (a subject or globalKey), nil when none; mode the
	// mode row, "" when none.
	config(ctx context.Context, key string) (*Config, error)
	mode(ctx context.Context, key string) (string, error)
	// subjects lists the subjects with versions f selects, sorted, one page of them.
	subjects(ctx context.Context, f SubjectFilter) ([]string, error)
	// versionsForID lists the subject versions that use schema id (soft-deleted ones when
	// deleted), by subject and version.
	versionsForID(ctx context.Context, id int, deleted bool) ([]SubjectVersion, error)
	// referrers lists the subject versions (live ones, or all when withDeleted) whose schemas
	// reference subject's version, by schema id, subject and version.
	referrers(ctx context.Context, subject string, version int, withDeleted bool) ([]Referrer, error)
	// summaries reads every subject with a live version, summarized, sorted by name.
	summaries(ctx context.Context) ([]SubjectSummary, error)
	// latestSchemaIDs maps every subject with a live version to its newest live version's
	// schema id.
	latestSchemaIDs(ctx context.Context) (map[string]int, error)
	// maxID is the largest id in use in the context with number (see idSpace), 0 when none;
	// schemaCount counts the schemas of every context.
	maxID(ctx context.Context, number int) (int, error)
	schemaCount(ctx context.Context) (int, error)
	// associations lists the associations key selects, in no order.
	associations(ctx context.Context, key associationKey) ([]Association, error)
	// contextNumber is the number of the context name (deleted or not), errNoRow when it has
	// none; contextName the name of number's. contexts lists the contexts not deleted.
	contextNumber(ctx context.Context, name string) (int, error)
	contextName(ctx context.Context, number int) (string, error)
	contexts(ctx context.Context) ([]string, error)
	// refusals lists subject's newest refusals (every subject's when ""), newest first.
	refusals(ctx context.Context, subject string, limit int) ([]Refusal, error)

	// insertVersion stores v.version of v.subject under the write lock, with its schema: the
	// one with v.id (IMPORT; errIDTaken when that id holds another schema), or else the one
	// with the same guid and type, or a new one with the next id, all in v.subject's context
	// (which it adds, or lists again, when it is not the default one). It returns the schema's key.
	// When the subject's versions are no longer v.expected it writes nothing and returns
	// errStale with the versions it has now.
	insertVersion(ctx context.Context, v newVersion) (id int, current []versionRow, err error)
	// recordRefusal stores f and forgets the subject's oldest refusals beyond keep, unless the
	// subject's versions are no longer expected: then errStale, with the versions it has now.
	recordRefusal(ctx context.Context, f refusalRow, expected []versionRow, keep int) (current []versionRow, err error)
	// write runs f in one transaction under the write lock; an error from f rolls it back.
	write(ctx context.Context, f func(tx storeTx) error) error
}

// storeTx is a write transaction: its reads see the database as it is under the write lock.
type storeTx interface {
	versions(ctx context.Context, subject string) ([]versionRow, error)
	config(ctx context.Context, key string) (*Config, error)
	mode(ctx context.Context, key string) (string, error)
	referrers(ctx context.Context, subject string, version int, withDeleted bool) ([]Referrer, error)
	// liveVersions counts the live versions of subject, of every subject when "", of every
	// subject of a context when subject names one alone (":.staging:").
	liveVersions(ctx context.Context, subject string) (int, error)
	// subjectsIn counts the subjects whose names start with prefix, soft-deleted ones too.
	subjectsIn(ctx context.Context, prefix string) (int, error)
	// deleteContext marks the context name deleted, if it has a row.
	deleteContext(ctx context.Context, name string) error

	// putConfig writes key's config row whole, adding it if needed.
	putConfig(ctx context.Context, key string, cfg Config) error
	// deleteConfig and deleteMode remove key's row and return what it held (nil, "": none).
	deleteConfig(ctx context.Context, key string) (*Config, error)
	setMode(ctx context.Context, key, mode string) error
	deleteMode(ctx context.Context, key string) (string, error)
	// softDelete marks subject's version deleted, or every version when version is 0;
	// hardDelete removes it (them).
	softDelete(ctx context.Context, subject string, version int) error
	hardDelete(ctx context.Context, subject string, version int) error
	// deleteSubjectSettings removes subject's config, mode and refusals.
	deleteSubjectSettings(ctx context.Context, subject string) error
	// deleteOrphans removes the schemas among ids that no version uses any more, and returns
	// them.
	deleteOrphans(ctx context.Context, ids []int) ([]int, error)
	// putAssociation writes a, keyed by resource id, resource type and association type;
	// deleteAssociation removes the one with a's key.
	putAssociation(ctx context.Context, a Association) error
	deleteAssociation(ctx context.Context, a Association) error
	// changed announces notice (see notice) when the transaction commits.
	changed(ctx context.Context, notice string) error
}

var (
	// errNoRow: the store has no such row.
	errNoRow = errors.New("no such row")
	// errStale: the subject's versions changed since the caller read them (another replica
	// wrote); nothing was written.
	errStale = errors.New("the subject changed meanwhile")
	// errIDTaken: an IMPORT gave an id that holds another schema.
	errIDTaken = errors.New("the schema id holds another schema")
)

// newVersion is a registration as Register decided it.
type newVersion struct {
	subject  string
	version  int
	id       int // given in IMPORT mode (the id in the context); 0: the schema's own id, or the next one
	schema   *storedSchema
	created  int64        // unix milliseconds
	expected []versionRow // the subject's versions Register decided on
	notice   string       // what the other replicas are told
}

// subjectRows is a subject's versions, its config (nil: none) and its mode ("": none).
type subjectRows struct {
	versions []versionRow
	config   *Config
	mode     string
}

// subjectRow is one row of the subject query: a version (nil when the subject has none),
// with the subject's config (nil: none) and mode.
type subjectRow struct {
	version *versionRow
	config  *Config
	mode    string
}

// scanSubjectRow reads version, schema id, deleted, created at (NULL when the subject has no
// versions), whether it has a config, then the config's columns (configColumns), mode.
func scanSubjectRow(row scanner) (subjectRow, error) {
	var version, schemaID *int
	var deleted *bool
	var created *int64
	var hasConfig bool
	var cols configRow
	var s subjectRow
	if err := row.Scan(&version, &schemaID, &deleted, &created, &hasConfig, &cols.level, &cols.policy, &cols.normalize, &cols.contract, &s.mode); err != nil {
		return s, err
	}
	if version != nil {
		s.version = &versionRow{version: *version, schemaID: *schemaID, deleted: *deleted, created: *created}
	}
	if hasConfig {
		cfg, err := cols.config()
		if err != nil {
			return s, err
		}
		s.config = cfg
	}
	return s, nil
}

// subjectOf folds the subject query's rows.
func subjectOf(rows []subjectRow) subjectRows {
	var s subjectRows
	for _, r := range rows {
		s.config, s.mode = r.config, r.mode
		if r.version != nil {
			s.versions = append(s.versions, *r.version)
		}
	}
	return s
}

// refusalRow is a refused registration as sr_refusals holds it.
type refusalRow struct {
	subject, typ, level  string
	against, reasonCount int
	reasons              string // JSON, see storedReason
	created              int64  // unix milliseconds
	notice               string // what the other replicas are told
}

// newStore picks the store of the backend db has.
func newStore(db *storage.DB) store {
	if db.Postgres != nil {
		return &postgresStore{db: db.Postgres}
	}
	return &sqliteStore{db: db.SQLite}
}

// sameVersions reports whether two lists of a subject's versions are the same versions, each of
// the same schema and deleted or not.
func sameVersions(a, b []versionRow) bool {
	return slices.EqualFunc(a, b, func(x, y versionRow) bool {
		return x.version == y.version && x.schemaID == y.schemaID && x.deleted == y.deleted
	})
}

// encodeSchema is a schema's JSON columns: refs, metadata and rule set (nil when absent).
func encodeSchema(s *storedSchema) (refs string, metadata, ruleSet *string, err error) {
	b, err := json.Marshal(s.refs)
	if err != nil {
		return "", nil, nil, err
	}
	if refs = string(b); s.refs == nil {
		refs = "[]"
	}
	if s.metadata != nil {
		b, err := json.Marshal(s.metadata)
		if err != nil {
			return "", nil, nil, err
		}
		metadata = new(string)
		*metadata = string(b)
	}
	if s.ruleSet != nil {
		b, err := json.Marshal(s.ruleSet)
		if err != nil {
			return "", nil, nil, err
		}
		ruleSet = new(string)
		*ruleSet = string(b)
	}
	return refs, metadata, ruleSet, nil
}

// decodeSchema fills s's references, metadata and rule set from their columns.
func decodeSchema(s *storedSchema, refs string, metadata, ruleSet *string) error {
	if err := json.Unmarshal([]byte(refs), &s.refs); err != nil {
		return fmt.Errorf("schema %d references: %w", s.id, err)
	}
	if metadata != nil {
		s.metadata = new(Metadata)
		if err := json.Unmarshal([]byte(*metadata), s.metadata); err != nil {
			return fmt.Errorf("schema %d metadata: %w", s.id, err)
		}
	}
	if ruleSet != nil {
		s.ruleSet = new(RuleSet)
		if err := json.Unmarshal([]byte(*ruleSet), s.ruleSet); err != nil {
			return fmt.Errorf("schema %d rule set: %w", s.id, err)
		}
	}
	return nil
}

// scanner is a row of either backend.
type scanner = interface{ Scan(dest ...any) error }

// scanVersion reads version, schema id, deleted, created at.
func scanVersion(row scanner) (versionRow, error) {
	var v versionRow
	return v, row.Scan(&v.version, &v.schemaID, &v.deleted, &v.created)
}

// scanSchema reads id, guid, schema type, schema, refs, metadata, rule set.
func scanSchema(row scanner) (*storedSchema, error) {
	s := &storedSchema{}
	var refs string
	var metadata, ruleSet *string
	if err := row.Scan(&s.id, &s.guid, &s.typ, &s.text, &refs, &metadata, &ruleSet); err != nil {
		return nil, err
	}
	return s, decodeSchema(s, refs, metadata, ruleSet)
}

// configColumns are the columns of sr_config that scanConfig reads, in its order.
const configColumns = "compatibility, compatibility_policy, normalize, contract"

// configRow is an sr_config row as scanned; each column may be NULL.
type configRow struct {
	level, policy, contract *string
	normalize               *bool
}

func (c configRow) config() (*Config, error) {
	cfg := &Config{Normalize: c.normalize}
	if c.level != nil {
		cfg.CompatibilityLevel = *c.level
	}
	if c.policy != nil {
		cfg.CompatibilityPolicy = *c.policy
	}
	if c.contract != nil {
		if err := json.Unmarshal([]byte(*c.contract), &cfg.Contract); err != nil {
			return nil, fmt.Errorf("config contract: %w", err)
		}
	}
	return cfg, nil
}

// scanConfig reads configColumns.
func scanConfig(row scanner) (*Config, error) {
	var c configRow
	if err := row.Scan(&c.level, &c.policy, &c.normalize, &c.contract); err != nil {
		return nil, err
	}
	return c.config()
}

// configValues are cfg's values for configColumns.
func configValues(cfg Config) ([]any, error) {
	var contract *string
	if !cfg.Contract.empty() {
		b, err := json.Marshal(cfg.Contract)
		if err != nil {
			return nil, err
		}
		contract = new(string)
		*contract = string(b)
	}
	return []any{orNull(cfg.CompatibilityLevel), orNull(cfg.CompatibilityPolicy), cfg.Normalize, contract}, nil
}

// orNull is s, or NULL when s is "".
func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// scanSummary reads subject, live versions, deleted versions, latest live version, changed,
// latest schema id, its type, the subject's own level ("" when none).
func scanSummary(row scanner) (SubjectSummary, error) {
	var s SubjectSummary
	return s, row.Scan(&s.Subject, &s.Versions, &s.Deleted, &s.LatestVersion, &s.Changed, &s.LatestID, &s.SchemaType, &s.Compatibility)
}

// scanRefusal reads subject, schema type, compatibility, against version, reasons, reason
// count, created at.
func scanRefusal(row scanner) (Refusal, error) {
	var f Refusal
	var reasons string
	if err := row.Scan(&f.Subject, &f.SchemaType, &f.Level, &f.Against, &reasons, &f.ReasonCount, &f.Timestamp); err != nil {
		return f, err
	}
	var err error
	f.Reasons, err = decodeReasons(reasons)
	return f, err
}

func scanReferrer(row scanner) (Referrer, error) {
	var r Referrer
	return r, row.Scan(&r.ID, &r.Subject, &r.Version)
}

// subjectSchema is a subject and a schema id.
type subjectSchema struct {
	subject string
	id      int
}

func scanSubjectSchema(row scanner) (subjectSchema, error) {
	var s subjectSchema
	return s, row.Scan(&s.subject, &s.id)
}

func subjectSchemas(rows []subjectSchema) map[string]int {
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.subject] = r.id
	}
	return out
}

func scanSubjectVersion(row scanner) (SubjectVersion, error) {
	var sv SubjectVersion
	return sv, row.Scan(&sv.Subject, &sv.Version)
}

func scanInt(row scanner) (int, error) {
	var n int
	return n, row.Scan(&n)
}

func scanString(row scanner) (string, error) {
	var s string
	return s, row.Scan(&s)
}

// associationColumns are the columns of sr_associations that scanAssociation reads, in its order.
const associationColumns = "subject, guid, resource_name, resource_namespace, resource_id, resource_type, association_type, lifecycle, frozen, created_at, updated_at"

func scanAssociation(row scanner) (Association, error) {
	var a Association
	return a, row.Scan(&a.Subject, &a.GUID, &a.ResourceName, &a.ResourceNamespace, &a.ResourceID, &a.ResourceType,
		&a.AssociationType, &a.Lifecycle, &a.Frozen, &a.Created, &a.Updated)
}

func associationValues(a Association) []any {
	return []any{a.Subject, a.GUID, a.ResourceName, a.ResourceNamespace, a.ResourceID, a.ResourceType,
		a.AssociationType, a.Lifecycle, a.Frozen, a.Created, a.Updated}
}

// where is key's condition on sr_associations with its arguments, the placeholders numbered
// by arg (SQLite's ? or PostgreSQL's $n).
func (key associationKey) where(arg func(n int) string) (string, []any) {
	var conds []string
	var args []any
	add := func(column, value string) {
		args = append(args, value)
		conds = append(conds, column+" = "+arg(len(args)))
	}
	switch {
	case key.subject != "":
		add("subject", key.subject)
	case key.resourceID != "":
		add("resource_id", key.resourceID)
	default:
		if key.resourceName != AnyNamespace {
			add("resource_name", key.resourceName)
		}
		if key.resourceNamespace != AnyNamespace {
			add("resource_namespace", key.resourceNamespace)
		}
	}
	if len(conds) == 0 {
		return "TRUE", nil
	}
	return strings.Join(conds, " AND "), args
}
