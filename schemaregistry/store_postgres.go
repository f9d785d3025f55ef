package schemaregistry

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventlens/eventlens/pgdb"
)

// postgresStore is the registry in a PostgreSQL database that several replicas share. Every
// write holds one advisory lock for its transaction, so writes run one at a time across the
// replicas as on SQLite's single writer: ids come out dense and a schema registered on two
// replicas at once gets one id. A registration is one round trip, the lock taken in the same
// pipeline as the statement that checks the subject and writes, so the lock is held only while
// the database runs it and commits; registrations that arrive together commit together (see
// insertVersion). Each write notifies ReplicaChannel as it commits. An error that means the database cannot be reached is marked with
// pgdb.ErrUnavailable (pgdb.Unavailable), which the server answers with 503.
type postgresStore struct {
	db *pgdb.DB

	mu         sync.Mutex
	pending    []*pendingVersion // registrations waiting for the next group commit
	committing bool              // a goroutine commits them (commitPending)
}

// pgWriteLock is the advisory lock key (pg_advisory_xact_lock) of registry writes.
const pgWriteLock int64 = 0x6576_6c6e_7372_6701 // "evlnsrg" 1

// pgOne scans one row, errNoRow when there is none.
func pgOne[T any](v T, err error) (T, error) {
	if errors.Is(err, pgx.ErrNoRows) {
		return v, errNoRow
	}
	return v, pgdb.Unavailable(err)
}

const pgSchemaColumns = `SELECT id, guid, schema_type, schema, refs, metadata, rule_set FROM sr_schemas`

func (s *postgresStore) schema(ctx context.Context, id int) (*storedSchema, error) {
	return pgOne(scanSchema(s.db.Pool.QueryRow(ctx, pgSchemaColumns+` WHERE id = $1`, id)))
}

func (s *postgresStore) schemaByGUID(ctx context.Context, guid string) (*storedSchema, error) {
	return pgOne(scanSchema(s.db.Pool.QueryRow(ctx, pgSchemaColumns+` WHERE guid = $1 ORDER BY id LIMIT 1`, guid)))
}

func (s *postgresStore) schemaKeysByGUID(ctx context.Context, guid string) ([]int, error) {
	return pgdb.List(ctx, s.db.Pool, scanInt, `SELECT id FROM sr_schemas WHERE guid = $1 ORDER BY id`, guid)
}

func (s *postgresStore) versions(ctx context.Context, subject string) ([]versionRow, error) {
	return pgVersions(ctx, s.db.Pool, subject)
}

func pgVersions(ctx context.Context, q pgdb.Queryer, subject string) ([]versionRow, error) {
	rows, err := pgdb.List(ctx, q, scanVersion, `SELECT version, schema_id, deleted, created_at FROM sr_versions WHERE subject = $1 ORDER BY version`, subject)
	if len(rows) == 0 {
		rows = nil // no versions
	}
	return rows, err
}

func (s *postgresStore) subject(ctx context.Context, subject string) (subjectRows, error) {
	rows, err := pgdb.List(ctx, s.db.Pool, scanSubjectRow, `SELECT v.version, v.schema_id, v.deleted, v.created_at,
			c.subject IS NOT NULL, c.compatibility, c.compatibility_policy, c.normalize, c.contract, coalesce(m.mode, '')
		FROM (SELECT $1::text COLLATE "C" AS subject) s
		LEFT JOIN sr_versions v ON v.subject = s.subject
		LEFT JOIN sr_config c ON c.subject = s.subject
		LEFT JOIN sr_mode m ON m.subject = s.subject
		ORDER BY v.version`, subject)
	return subjectOf(rows), err
}

func (s *postgresStore) config(ctx context.Context, key string) (*Config, error) {
	return pgConfig(ctx, s.db.Pool, key)
}

func pgConfig(ctx context.Context, q pgdb.Queryer, key string) (*Config, error) {
	cfg, err := pgOne(scanConfig(q.QueryRow(ctx, `SELECT `+configColumns+` FROM sr_config WHERE subject = $1`, key)))
	if errors.Is(err, errNoRow) {
		return nil, nil
	}
	return cfg, err
}

func (s *postgresStore) mode(ctx context.Context, key string) (string, error) {
	return pgMode(ctx, s.db.Pool, key)
}

func pgMode(ctx context.Context, q pgdb.Queryer, key string) (string, error) {
	m, err := pgOne(scanString(q.QueryRow(ctx, `SELECT mode FROM sr_mode WHERE subject = $1`, key)))
	if errors.Is(err, errNoRow) {
		return "", nil
	}
	return m, err
}

// pgDeleted is f's condition on sr_versions.deleted.
func pgDeleted(f SubjectFilter) string {
	switch {
	case f.DeletedOnly:
		return "deleted"
	case f.Deleted:
		return "true"
	default:
		return "NOT deleted"
	}
}

func (s *postgresStore) subjects(ctx context.Context, f SubjectFilter) ([]string, error) {
	var limit *int // NULL: no limit
	if f.Limit > 0 {
		limit = &f.Limit
	}
	return pgdb.List(ctx, s.db.Pool, scanString, `SELECT DISTINCT subject FROM sr_versions WHERE `+pgDeleted(f)+`
		AND starts_with(subject, $1) ORDER BY subject LIMIT $2 OFFSET $3`, f.Prefix, limit, max(f.Offset, 0))
}

func (s *postgresStore) versionsForID(ctx context.Context, id int, deleted bool) ([]SubjectVersion, error) {
	return pgdb.List(ctx, s.db.Pool, scanSubjectVersion, `SELECT subject, version FROM sr_versions
		WHERE schema_id = $1 AND `+pgDeleted(SubjectFilter{Deleted: deleted})+` ORDER BY subject, version`, id)
}

func (s *postgresStore) referrers(ctx context.Context, subject string, version int, withDeleted bool) ([]Referrer, error) {
	return pgReferrers(ctx, s.db.Pool, subject, version, withDeleted)
}

func pgReferrers(ctx context.Context, q pgdb.Queryer, subject string, version int, withDeleted bool) ([]Referrer, error) {
	return pgdb.List(ctx, q, scanReferrer, `SELECT ref.schema_id, v.subject, v.version FROM sr_references ref
		JOIN sr_versions v ON v.schema_id = ref.schema_id
		WHERE ref.ref_subject = $1 AND ref.ref_version = $2 AND `+pgDeleted(SubjectFilter{Deleted: withDeleted})+`
		ORDER BY ref.schema_id, v.subject, v.version`, subject, version)
}

func (s *postgresStore) summaries(ctx context.Context) ([]SubjectSummary, error) {
	return pgdb.List(ctx, s.db.Pool, scanSummary, `WITH s AS (
			SELECT subject,
				count(*) FILTER (WHERE NOT deleted) AS live,
				count(*) FILTER (WHERE deleted) AS dead,
				max(version) FILTER (WHERE NOT deleted) AS latest,
				max(created_at) AS changed
			FROM sr_versions
			GROUP BY subject
			HAVING count(*) FILTER (WHERE NOT deleted) > 0
		)
		SELECT s.subject, s.live, s.dead, s.latest, s.changed, sch.id, sch.schema_type,
			coalesce(c.compatibility, '')
		FROM s
		JOIN sr_versions v ON v.subject = s.subject AND v.version = s.latest
		JOIN sr_schemas sch ON sch.id = v.schema_id
		LEFT JOIN sr_config c ON c.subject = s.subject
		ORDER BY s.subject`)
}

func (s *postgresStore) latestSchemaIDs(ctx context.Context) (map[string]int, error) {
	rows, err := pgdb.List(ctx, s.db.Pool, scanSubjectSchema, `SELECT DISTINCT ON (subject) subject, schema_id FROM sr_versions
		WHERE NOT deleted ORDER BY subject, version DESC`)
	return subjectSchemas(rows), err
}

func (s *postgresStore) maxID(ctx context.Context, number int) (int, error) {
	var id int
	err := s.db.Pool.QueryRow(ctx, `SELECT coalesce(max(id) - $1, 0) FROM sr_schemas WHERE id > $1 AND id < $1 + $2`, number*idSpace, idSpace).Scan(&id)
	return id, pgdb.Unavailable(err)
}

func (s *postgresStore) contextNumber(ctx context.Context, name string) (int, error) {
	return pgOne(scanInt(s.db.Pool.QueryRow(ctx, `SELECT number FROM sr_contexts WHERE name = $1`, name)))
}

func (s *postgresStore) contextName(ctx context.Context, number int) (string, error) {
	return pgOne(scanString(s.db.Pool.QueryRow(ctx, `SELECT name FROM sr_contexts WHERE number = $1`, number)))
}

func (s *postgresStore) contexts(ctx context.Context) ([]string, error) {
	return pgdb.List(ctx, s.db.Pool, scanString, `SELECT name FROM sr_contexts WHERE NOT deleted ORDER BY name`)
}

func (s *postgresStore) schemaCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM sr_schemas`).Scan(&n)
	return n, pgdb.Unavailable(err)
}

func (s *postgresStore) refusals(ctx context.Context, subject string, limit int) ([]Refusal, error) {
	const columns = `SELECT subject, schema_type, compatibility, against_version, reasons, reason_count, created_at FROM sr_refusals `
	if subject == "" {
		return pgdb.List(ctx, s.db.Pool, scanRefusal, columns+`ORDER BY id DESC LIMIT $1`, limit)
	}
	return pgdb.List(ctx, s.db.Pool, scanRefusal, columns+`WHERE subject = $1 ORDER BY id DESC LIMIT $2`, subject, limit)
}

// A registration is one statement: it reads the subject's versions as they are under the lock
// (cur), and only when they are the ones the registry decided on (ok) finds the schema (found:
// by the id IMPORT gave, or by guid and type), takes the next id for a new one (next: sr_ids
// moves in the same transaction, so no id is lost), stores it and its references, adds the
// version and notifies. It returns the schema id (NULL when nothing was written), whether the
// IMPORT id holds another schema, and the subject's versions as it found them.
const (
	pgCurrentVersions = `WITH cur AS (
		SELECT coalesce(array_agg(version ORDER BY version), '{}') AS versions,
			coalesce(array_agg(schema_id ORDER BY version), '{}') AS ids,
			coalesce(array_agg(deleted ORDER BY version), '{}') AS deleted,
			coalesce(array_agg(created_at ORDER BY version), '{}') AS created
		FROM sr_versions WHERE subject = $1
	), ok AS (
		SELECT FROM cur WHERE versions = $2::int[] AND ids = $3::bigint[] AND deleted = $4::boolean[]
	), base AS (
		SELECT coalesce((SELECT number FROM sr_contexts WHERE name = $18), 0) * 4294967296 AS lo
	)`
	pgFoundByID = `, found AS (
		SELECT id, guid = $5 AND schema_type = $6 AS same FROM sr_schemas WHERE id = (SELECT lo FROM base) + $14 AND EXISTS (SELECT FROM ok)
	)`
	pgFoundByGUID = `, found AS (
		SELECT id, true AS same FROM sr_schemas WHERE guid = $5 AND schema_type = $6 AND EXISTS (SELECT FROM ok)
			AND id > (SELECT lo FROM base) AND id < (SELECT lo FROM base) + 4294967296
		ORDER BY id LIMIT 1
	)`
	pgNextDefaultID = `, next AS (
		INSERT INTO sr_ids AS i (one, last)
		SELECT true, CASE WHEN $14::bigint > 0 THEN $14::bigint ELSE (SELECT coalesce(max(id), 0) FROM sr_schemas WHERE id < 4294967296) + 1 END
		WHERE EXISTS (SELECT FROM ok) AND NOT EXISTS (SELECT FROM found)
		ON CONFLICT (one) DO UPDATE SET last = CASE WHEN $14::bigint > 0 THEN greatest(i.last, $14::bigint)
			ELSE greatest(i.last, (SELECT coalesce(max(id), 0) FROM sr_schemas WHERE id < 4294967296)) + 1 END
		RETURNING CASE WHEN $14::bigint > 0 THEN $14::bigint ELSE i.last END AS id
	)`
	// In a context other than the default one its row (added by the statement before) counts.
	pgNextContextID = `, next AS (
		UPDATE sr_contexts AS c SET last_id = CASE WHEN $14::bigint > 0 THEN greatest(c.last_id, $14::bigint) ELSE c.last_id + 1 END
		WHERE c.name = $18 AND EXISTS (SELECT FROM ok) AND NOT EXISTS (SELECT FROM found)
		RETURNING CASE WHEN $14::bigint > 0 THEN $14::bigint ELSE c.last_id END AS id
	)`
	pgInsertVersion = `, added AS (
		INSERT INTO sr_schemas (id, guid, schema_type, schema, refs, metadata, rule_set, created_at)
		SELECT (SELECT lo FROM base) + id, $5, $6, $7, $8, $9, $10, $11 FROM next RETURNING id
	), refs AS (
		INSERT INTO sr_references (schema_id, ref_subject, ref_version)
		SELECT added.id, r.subject, r.version FROM added, unnest($12::text[], $13::int[]) AS r (subject, version)
		ON CONFLICT DO NOTHING
	), used AS (
		SELECT id FROM found WHERE same UNION ALL SELECT id FROM added
	), inserted AS (
		INSERT INTO sr_versions (subject, version, schema_id, deleted, created_at)
		SELECT $1, $15, id, false, $11 FROM used RETURNING schema_id
	), notified AS (
		SELECT pg_notify($16, $17) FROM inserted
	)
	SELECT (SELECT schema_id FROM inserted), EXISTS (SELECT FROM found WHERE NOT same), (SELECT count(*) FROM notified),
		cur.versions, cur.ids, cur.deleted, cur.created
	FROM cur`
)

// Registrations commit in groups: one that arrives while another group commits waits, and
// goes with every other that waited in the next transaction. A notifying transaction holds
// PostgreSQL's notification lock from its commit until the commit is on disk, so notifying
// commits go one at a time on every replica (and ours also hold the write lock): a group
// pays for one of them, however many registrations it carries. An idle registry commits each
// at once, alone.

// pendingVersion is a registration waiting for its group's commit.
type pendingVersion struct {
	ctx     context.Context
	v       newVersion
	done    chan struct{} // closed with the outcome set
	id      int
	current []versionRow
	err     error
}

// Bounds on a group: how many registrations, and how long its commit may take.
const (
	maxGroup     = 64
	groupTimeout = 30 * time.Second
)

func (s *postgresStore) insertVersion(ctx context.Context, v newVersion) (int, []versionRow, error) {
	p := &pendingVersion{ctx: ctx, v: v, done: make(chan struct{})}
	s.mu.Lock()
	s.pending = append(s.pending, p)
	if !s.committing {
		s.committing = true
		go s.commitPending()
	}
	s.mu.Unlock()
	select {
	case <-p.done:
		return p.id, p.current, p.err
	case <-ctx.Done():
		return 0, nil, ctx.Err() // it may commit still, as after a connection lost mid-commit
	}
}

// commitPending commits the waiting registrations, a group at a time, until none waits.
func (s *postgresStore) commitPending() {
	for {
		s.mu.Lock()
		group := s.pending
		if len(group) > maxGroup {
			group, s.pending = group[:maxGroup:maxGroup], slices.Clone(group[maxGroup:])
		} else {
			s.pending = nil
		}
		if len(group) == 0 {
			s.committing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		s.commitGroup(group)
	}
}

// commitGroup writes the registrations of group in one transaction and tells each its outcome.
func (s *postgresStore) commitGroup(group []*pendingVersion) {
	var live []*pendingVersion
	for _, p := range group {
		if p.ctx.Err() == nil { // one whose caller gave up is not written
			live = append(live, p)
		} else {
			p.err = p.ctx.Err()
			close(p.done)
		}
	}
	if len(live) == 0 {
		return
	}
	err := s.commit(live)
	if err != nil && len(live) > 1 && !errors.Is(err, pgdb.ErrUnavailable) {
		// One registration failed them all: commit each alone, so that only it fails.
		for _, p := range live {
			p.id, p.current, p.err = 0, nil, nil
			if err := s.commit([]*pendingVersion{p}); err != nil {
				p.err = err
			}
		}
	} else if err != nil {
		for _, p := range live {
			p.err = err
		}
	}
	for _, p := range live {
		close(p.done)
	}
}

// commit writes the registrations of group in one transaction, setting each one's outcome
// when the transaction commits.
func (s *postgresStore) commit(group []*pendingVersion) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(group[0].ctx), groupTimeout)
	defer cancel()
	// One pipeline, one implicit transaction: the lock is held from its statement to the commit.
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1)`, pgWriteLock)
	for _, p := range group {
		if err := p.queue(b); err != nil {
			p.err = err
		}
	}
	return pgdb.Unavailable(s.db.Pool.SendBatch(ctx, b).Close())
}

// queue adds p's statement to b; its answer fills p's outcome.
func (p *pendingVersion) queue(b *pgx.Batch) error {
	v, sc, space := p.v, p.v.schema, contextOf(p.v.subject)
	refs, metadata, ruleSet, err := encodeSchema(sc)
	if err != nil {
		return err
	}
	refSubjects, refVersions := make([]string, len(sc.refs)), make([]int, len(sc.refs))
	for i, r := range sc.refs {
		refSubjects[i], refVersions[i] = qualifyReference(space, r.Subject), r.Version
	}
	expected := columns(v.expected)
	found, next := pgFoundByGUID, pgNextDefaultID
	if v.id > 0 {
		found = pgFoundByID
	}
	if space != DefaultContext {
		// The context's row, added or listed again, commits even when the registration finds
		// the subject changed: the retry that follows uses it.
		b.Queue(`INSERT INTO sr_contexts (name, number, last_id) SELECT $1, coalesce(max(number), 0) + 1, 0 FROM sr_contexts
			ON CONFLICT (name) DO UPDATE SET deleted = false`, space)
		next = pgNextContextID
	}
	b.Queue(pgCurrentVersions+found+next+pgInsertVersion, v.subject, expected.versions, expected.ids, expected.deleted, sc.guid, sc.typ, sc.text, refs, metadata, ruleSet, v.created,
		refSubjects, refVersions, v.id, v.version, ReplicaChannel, v.notice, space).
		QueryRow(func(row pgx.Row) error {
			var id *int
			var taken bool
			var notified int
			var cur versionArrays
			if err := row.Scan(&id, &taken, &notified, &cur.versions, &cur.ids, &cur.deleted, &cur.created); err != nil {
				return err
			}
			switch {
			case taken:
				p.err = errIDTaken
			case id == nil:
				p.current, p.err = cur.rows(), errStale
			default:
				p.id = *id
			}
			return nil
		})
	return nil
}

// versionArrays is a subject's versions as columns.
type versionArrays struct {
	versions []int
	ids      []int
	deleted  []bool
	created  []int64
}

// columns turns rows into arrays, empty (not NULL) when there are none.
func columns(rows []versionRow) versionArrays {
	a := versionArrays{make([]int, len(rows)), make([]int, len(rows)), make([]bool, len(rows)), make([]int64, len(rows))}
	for i, r := range rows {
		a.versions[i], a.ids[i], a.deleted[i], a.created[i] = r.version, r.schemaID, r.deleted, r.created
	}
	return a
}

func (a versionArrays) rows() []versionRow {
	var rows []versionRow
	for i := range a.versions {
		rows = append(rows, versionRow{version: a.versions[i], schemaID: a.ids[i], deleted: a.deleted[i], created: a.created[i]})
	}
	return rows
}

func (s *postgresStore) recordRefusal(ctx context.Context, f refusalRow, expected []versionRow, keep int) ([]versionRow, error) {
	var current []versionRow
	// No lock: a refusal is a note of what was refused, and the versions it was refused
	// against are checked in the transaction that writes it.
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		var err error
		if current, err = pgVersions(ctx, tx, f.subject); err != nil {
			return err
		}
		if !sameVersions(current, expected) {
			return errStale
		}
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO sr_refusals (subject, schema_type, compatibility, against_version, reasons, reason_count, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, f.subject, f.typ, f.level, f.against, f.reasons, f.reasonCount, f.created)
		b.Queue(`DELETE FROM sr_refusals WHERE subject = $1 AND id NOT IN
			(SELECT id FROM sr_refusals WHERE subject = $1 ORDER BY id DESC LIMIT $2)`, f.subject, keep)
		b.Queue(`SELECT pg_notify($1, $2)`, ReplicaChannel, f.notice)
		return tx.SendBatch(ctx, b).Close()
	})
	if errors.Is(err, errStale) {
		return current, err
	}
	return nil, pgdb.Unavailable(err)
}

func (s *postgresStore) write(ctx context.Context, f func(tx storeTx) error) error {
	return pgdb.Unavailable(pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, pgWriteLock); err != nil {
			return err
		}
		return f(pgTx{tx})
	}))
}

// pgTx is a write transaction holding the write lock.
type pgTx struct{ tx pgx.Tx }

func (t pgTx) versions(ctx context.Context, subject string) ([]versionRow, error) {
	return pgVersions(ctx, t.tx, subject)
}

func (t pgTx) mode(ctx context.Context, key string) (string, error) {
	return pgMode(ctx, t.tx, key)
}

func (t pgTx) referrers(ctx context.Context, subject string, version int, withDeleted bool) ([]Referrer, error) {
	return pgReferrers(ctx, t.tx, subject, version, withDeleted)
}

func (t pgTx) liveVersions(ctx context.Context, subject string) (int, error) {
	var n int
	var err error
	switch _, name := SplitSubject(subject); {
	case subject == "":
		err = t.tx.QueryRow(ctx, `SELECT count(*) FROM sr_versions WHERE NOT deleted`).Scan(&n)
	case name == "": // a context: its subjects
		err = t.tx.QueryRow(ctx, `SELECT count(*) FROM sr_versions WHERE NOT deleted AND starts_with(subject, $1)`, subject).Scan(&n)
	default:
		err = t.tx.QueryRow(ctx, `SELECT count(*) FROM sr_versions WHERE NOT deleted AND subject = $1`, subject).Scan(&n)
	}
	return n, pgdb.Unavailable(err)
}

func (t pgTx) subjectsIn(ctx context.Context, prefix string) (int, error) {
	var n int
	err := t.tx.QueryRow(ctx, `SELECT count(DISTINCT subject) FROM sr_versions WHERE starts_with(subject, $1)`, prefix).Scan(&n)
	return n, pgdb.Unavailable(err)
}

func (t pgTx) deleteContext(ctx context.Context, name string) error {
	_, err := t.tx.Exec(ctx, `UPDATE sr_contexts SET deleted = true WHERE name = $1`, name)
	return pgdb.Unavailable(err)
}

func (t pgTx) config(ctx context.Context, key string) (*Config, error) {
	return pgConfig(ctx, t.tx, key)
}

func (t pgTx) putConfig(ctx context.Context, key string, cfg Config) error {
	values, err := configValues(cfg)
	if err != nil {
		return err
	}
	_, err = t.tx.Exec(ctx, `INSERT INTO sr_config (subject, `+configColumns+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility, compatibility_policy = excluded.compatibility_policy,
			normalize = excluded.normalize, contract = excluded.contract`, append([]any{key}, values...)...)
	return pgdb.Unavailable(err)
}

func (t pgTx) deleteConfig(ctx context.Context, key string) (*Config, error) {
	cfg, err := pgOne(scanConfig(t.tx.QueryRow(ctx, `DELETE FROM sr_config WHERE subject = $1 RETURNING `+configColumns, key)))
	if errors.Is(err, errNoRow) {
		return nil, nil
	}
	return cfg, err
}

func (t pgTx) setMode(ctx context.Context, key, mode string) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO sr_mode (subject, mode) VALUES ($1, $2) ON CONFLICT (subject) DO UPDATE SET mode = excluded.mode`, key, mode)
	return pgdb.Unavailable(err)
}

func (t pgTx) deleteMode(ctx context.Context, key string) (string, error) {
	m, err := pgOne(scanString(t.tx.QueryRow(ctx, `DELETE FROM sr_mode WHERE subject = $1 RETURNING mode`, key)))
	if errors.Is(err, errNoRow) {
		return "", nil
	}
	return m, err
}

func (t pgTx) softDelete(ctx context.Context, subject string, version int) error {
	_, err := t.tx.Exec(ctx, `UPDATE sr_versions SET deleted = true WHERE subject = $1 AND ($2 = 0 OR version = $2)`, subject, version)
	return pgdb.Unavailable(err)
}

func (t pgTx) hardDelete(ctx context.Context, subject string, version int) error {
	_, err := t.tx.Exec(ctx, `DELETE FROM sr_versions WHERE subject = $1 AND ($2 = 0 OR version = $2)`, subject, version)
	return pgdb.Unavailable(err)
}

func (t pgTx) deleteSubjectSettings(ctx context.Context, subject string) error {
	b := &pgx.Batch{}
	for _, table := range []string{"sr_config", "sr_mode", "sr_refusals"} {
		b.Queue(`DELETE FROM `+table+` WHERE subject = $1`, subject)
	}
	return pgdb.Unavailable(t.tx.SendBatch(ctx, b).Close())
}

func (t pgTx) deleteOrphans(ctx context.Context, ids []int) ([]int, error) {
	gone, err := pgdb.List(ctx, t.tx, scanInt, `DELETE FROM sr_schemas s WHERE id = ANY($1)
		AND NOT EXISTS (SELECT FROM sr_versions v WHERE v.schema_id = s.id) RETURNING id`, ids)
	slices.Sort(gone)
	return gone, err
}

func (t pgTx) changed(ctx context.Context, notice string) error {
	return pgdb.Unavailable(pgdb.Notify(ctx, t.tx, ReplicaChannel, notice))
}

func (s *postgresStore) associations(ctx context.Context, key associationKey) ([]Association, error) {
	where, args := key.where(func(n int) string { return "$" + strconv.Itoa(n) })
	return pgdb.List(ctx, s.db.Pool, scanAssociation, `SELECT `+associationColumns+` FROM sr_associations WHERE `+where, args...)
}

func (t pgTx) putAssociation(ctx context.Context, a Association) error {
	_, err := t.tx.Exec(ctx, `INSERT INTO sr_associations (`+associationColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (resource_id, resource_type, association_type) DO UPDATE SET subject = excluded.subject,
			resource_name = excluded.resource_name, resource_namespace = excluded.resource_namespace,
			lifecycle = excluded.lifecycle, frozen = excluded.frozen, updated_at = excluded.updated_at`, associationValues(a)...)
	return pgdb.Unavailable(err)
}

func (t pgTx) deleteAssociation(ctx context.Context, a Association) error {
	_, err := t.tx.Exec(ctx, `DELETE FROM sr_associations WHERE resource_id = $1 AND resource_type = $2 AND association_type = $3`, a.ResourceID, a.ResourceType, a.AssociationType)
	return pgdb.Unavailable(err)
}
