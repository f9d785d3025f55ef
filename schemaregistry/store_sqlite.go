package schemaregistry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/eventlens/eventlens/sqlitedb"
)

// sqliteStore is the registry in a SQLite file. Its single write connection is the write lock:
// each write transaction (BEGIN IMMEDIATE) has the file to itself. Reads go to the read pool.
type sqliteStore struct {
	db *sqlitedb.DB
}

// sqliteQuerier is what both the read pool and a transaction offer.
type sqliteQuerier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func sqliteList[T any](ctx context.Context, q sqliteQuerier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// sqliteOne scans one row, errNoRow when there is none.
func sqliteOne[T any](v T, err error) (T, error) {
	if errors.Is(err, sql.ErrNoRows) {
		return v, errNoRow
	}
	return v, err
}

const sqliteSchemaColumns = `SELECT id, guid, schema_type, schema, refs, metadata, rule_set FROM sr_schemas`

func (s *sqliteStore) schema(ctx context.Context, id int) (*storedSchema, error) {
	return sqliteOne(scanSchema(s.db.Read.QueryRowContext(ctx, sqliteSchemaColumns+` WHERE id = ?`, id)))
}

func (s *sqliteStore) schemaByGUID(ctx context.Context, guid string) (*storedSchema, error) {
	return sqliteOne(scanSchema(s.db.Read.QueryRowContext(ctx, sqliteSchemaColumns+` WHERE guid = ? ORDER BY id LIMIT 1`, guid)))
}

func (s *sqliteStore) schemaKeysByGUID(ctx context.Context, guid string) ([]int, error) {
	return sqliteList(ctx, s.db.Read, scanInt, `SELECT id FROM sr_schemas WHERE guid = ? ORDER BY id`, guid)
}

func (s *sqliteStore) versions(ctx context.Context, subject string) ([]versionRow, error) {
	return sqliteVersions(ctx, s.db.Read, subject)
}

func sqliteVersions(ctx context.Context, q sqliteQuerier, subject string) ([]versionRow, error) {
	rows, err := sqliteList(ctx, q, scanVersion, `SELECT version, schema_id, deleted, created_at FROM sr_versions WHERE subject = ? ORDER BY version`, subject)
	if len(rows) == 0 {
		rows = nil // no versions
	}
	return rows, err
}

func (s *sqliteStore) subject(ctx context.Context, subject string) (subjectRows, error) {
	rows, err := sqliteList(ctx, s.db.Read, scanSubjectRow, `SELECT v.version, v.schema_id, v.deleted, v.created_at,
			c.subject IS NOT NULL, c.compatibility, c.compatibility_policy, c.normalize, c.contract, coalesce(m.mode, '')
		FROM (SELECT ? AS subject) s
		LEFT JOIN sr_versions v ON v.subject = s.subject
		LEFT JOIN sr_config c ON c.subject = s.subject
		LEFT JOIN sr_mode m ON m.subject = s.subject
		ORDER BY v.version`, subject)
	return subjectOf(rows), err
}

func (s *sqliteStore) config(ctx context.Context, key string) (*Config, error) {
	return sqliteConfig(ctx, s.db.Read, key)
}

func sqliteConfig(ctx context.Context, q sqliteQuerier, key string) (*Config, error) {
	cfg, err := scanConfig(q.QueryRowContext(ctx, `SELECT `+configColumns+` FROM sr_config WHERE subject = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return cfg, err
}

func (s *sqliteStore) mode(ctx context.Context, key string) (string, error) {
	return sqliteMode(ctx, s.db.Read, key)
}

func sqliteMode(ctx context.Context, q sqliteQuerier, key string) (string, error) {
	m, err := scanString(q.QueryRowContext(ctx, `SELECT mode FROM sr_mode WHERE subject = ?`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return m, err
}

// sqliteDeleted is f's condition on sr_versions.deleted.
func sqliteDeleted(f SubjectFilter) string {
	switch {
	case f.DeletedOnly:
		return "deleted = 1"
	case f.Deleted:
		return "1"
	default:
		return "deleted = 0"
	}
}

func (s *sqliteStore) subjects(ctx context.Context, f SubjectFilter) ([]string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	return sqliteList(ctx, s.db.Read, scanString, `SELECT DISTINCT subject FROM sr_versions WHERE `+sqliteDeleted(f)+`
		AND substr(subject, 1, length(?)) = ? ORDER BY subject LIMIT ? OFFSET ?`, f.Prefix, f.Prefix, limit, max(f.Offset, 0))
}

func (s *sqliteStore) versionsForID(ctx context.Context, id int, deleted bool) ([]SubjectVersion, error) {
	return sqliteList(ctx, s.db.Read, scanSubjectVersion, `SELECT subject, version FROM sr_versions
		WHERE schema_id = ? AND `+sqliteDeleted(SubjectFilter{Deleted: deleted})+` ORDER BY subject, version`, id)
}

func (s *sqliteStore) referrers(ctx context.Context, subject string, version int, withDeleted bool) ([]Referrer, error) {
	return sqliteReferrers(ctx, s.db.Read, subject, version, withDeleted)
}

func sqliteReferrers(ctx context.Context, q sqliteQuerier, subject string, version int, withDeleted bool) ([]Referrer, error) {
	return sqliteList(ctx, q, scanReferrer, `SELECT ref.schema_id, v.subject, v.version FROM sr_references ref
		JOIN sr_versions v ON v.schema_id = ref.schema_id
		WHERE ref.ref_subject = ? AND ref.ref_version = ? AND `+sqliteDeleted(SubjectFilter{Deleted: withDeleted})+`
		ORDER BY ref.schema_id, v.subject, v.version`, subject, version)
}

func (s *sqliteStore) summaries(ctx context.Context) ([]SubjectSummary, error) {
	return sqliteList(ctx, s.db.Read, scanSummary, `WITH s AS (
			SELECT subject,
				sum(deleted = 0) AS live,
				sum(deleted = 1) AS dead,
				max(CASE WHEN deleted = 0 THEN version END) AS latest,
				max(created_at) AS changed
			FROM sr_versions
			GROUP BY subject
			HAVING live > 0
		)
		SELECT s.subject, s.live, s.dead, s.latest, s.changed, sch.id, sch.schema_type,
			coalesce(c.compatibility, '')
		FROM s
		JOIN sr_versions v ON v.subject = s.subject AND v.version = s.latest
		JOIN sr_schemas sch ON sch.id = v.schema_id
		LEFT JOIN sr_config c ON c.subject = s.subject
		ORDER BY s.subject`)
}

func (s *sqliteStore) latestSchemaIDs(ctx context.Context) (map[string]int, error) {
	rows, err := sqliteList(ctx, s.db.Read, scanSubjectSchema, `SELECT v.subject, v.schema_id FROM sr_versions v
		JOIN (SELECT subject, max(version) AS version FROM sr_versions WHERE deleted = 0 GROUP BY subject) l
		ON l.subject = v.subject AND l.version = v.version`)
	return subjectSchemas(rows), err
}

func (s *sqliteStore) maxID(ctx context.Context, number int) (int, error) {
	var id int
	err := s.db.Read.QueryRowContext(ctx, `SELECT coalesce(max(id) - ?1, 0) FROM sr_schemas WHERE id > ?1 AND id < ?1 + ?2`, number*idSpace, idSpace).Scan(&id)
	return id, err
}

func (s *sqliteStore) contextNumber(ctx context.Context, name string) (int, error) {
	return sqliteOne(scanInt(s.db.Read.QueryRowContext(ctx, `SELECT number FROM sr_contexts WHERE name = ?`, name)))
}

func (s *sqliteStore) contextName(ctx context.Context, number int) (string, error) {
	return sqliteOne(scanString(s.db.Read.QueryRowContext(ctx, `SELECT name FROM sr_contexts WHERE number = ?`, number)))
}

func (s *sqliteStore) contexts(ctx context.Context) ([]string, error) {
	return sqliteList(ctx, s.db.Read, scanString, `SELECT name FROM sr_contexts WHERE deleted = 0 ORDER BY name`)
}

func (s *sqliteStore) schemaCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM sr_schemas`).Scan(&n)
	return n, err
}

func (s *sqliteStore) refusals(ctx context.Context, subject string, limit int) ([]Refusal, error) {
	where, args := "", []any{}
	if subject != "" {
		where, args = "WHERE subject = ?", append(args, subject)
	}
	return sqliteList(ctx, s.db.Read, scanRefusal, `SELECT subject, schema_type, compatibility, against_version, reasons, reason_count, created_at
		FROM sr_refusals `+where+` ORDER BY id DESC LIMIT ?`, append(args, limit)...)
}

// inTx runs f in one transaction on the write connection: it has the file to itself.
func (s *sqliteStore) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqliteStore) insertVersion(ctx context.Context, v newVersion) (int, []versionRow, error) {
	var id int
	var current []versionRow
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if current, err = sqliteVersions(ctx, tx, v.subject); err != nil {
			return err
		}
		if !sameVersions(current, v.expected) {
			return errStale
		}
		number, space := 0, contextOf(v.subject)
		if space != DefaultContext {
			if err := tx.QueryRowContext(ctx, `INSERT INTO sr_contexts (name, number, last_id)
				VALUES (?, (SELECT coalesce(max(number), 0) + 1 FROM sr_contexts), 0)
				ON CONFLICT (name) DO UPDATE SET deleted = 0 RETURNING number`, space).Scan(&number); err != nil {
				return fmt.Errorf("space %s: %w", space, err)
			}
		}
		if id, err = sqliteSchemaID(ctx, tx, v, number); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sr_versions (subject, version, schema_id, deleted, created_at) VALUES (?, ?, ?, 0, ?)`,
			v.subject, v.version, id, v.created)
		return err
	})
	if errors.Is(err, errStale) {
		return 0, current, err
	}
	return id, nil, err
}

// sqliteSchemaID returns the key of v's schema in the context with number, storing the schema
// first when it is new.
func sqliteSchemaID(ctx context.Context, tx *sql.Tx, v newVersion, number int) (int, error) {
	s, base, space := v.schema, number*idSpace, contextOf(v.subject)
	if v.id > 0 {
		var guid, typ string
		err := tx.QueryRowContext(ctx, `SELECT guid, schema_type FROM sr_schemas WHERE id = ?`, base+v.id).Scan(&guid, &typ)
		switch {
		case err == nil && (guid != s.guid || typ != s.typ):
			return 0, errIDTaken
		case err == nil:
			return base + v.id, nil
		case !errors.Is(err, sql.ErrNoRows):
			return 0, err
		}
	} else {
		var id int
		err := tx.QueryRowContext(ctx, `SELECT id FROM sr_schemas WHERE guid = ? AND schema_type = ? AND id > ? AND id < ?
			ORDER BY id LIMIT 1`, s.guid, s.typ, base, base+idSpace).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, err
		}
	}
	refs, metadata, ruleSet, err := encodeSchema(s)
	if err != nil {
		return 0, err
	}
	// sr_ids (sr_contexts' last_id in other contexts) holds the highest id ever given, so a
	// hard-deleted one is not given again.
	var id int64
	if number == 0 {
		err = tx.QueryRowContext(ctx, `INSERT INTO sr_ids (one, last)
			VALUES (1, CASE WHEN ?1 > 0 THEN ?1 ELSE (SELECT coalesce(max(id), 0) FROM sr_schemas WHERE id < ?2) + 1 END)
			ON CONFLICT (one) DO UPDATE SET last = CASE WHEN ?1 > 0 THEN max(last, ?1) ELSE max(last, (SELECT coalesce(max(id), 0) FROM sr_schemas WHERE id < ?2)) + 1 END
			RETURNING CASE WHEN ?1 > 0 THEN ?1 ELSE last END`, v.id, idSpace).Scan(&id)
	} else {
		err = tx.QueryRowContext(ctx, `UPDATE sr_contexts SET last_id = CASE WHEN ?1 > 0 THEN max(last_id, ?1) ELSE last_id + 1 END
			WHERE number = ?2 RETURNING CASE WHEN ?1 > 0 THEN ?1 ELSE last_id END`, v.id, number).Scan(&id)
	}
	if err != nil {
		return 0, fmt.Errorf("next id: %w", err)
	}
	key := base + int(id)
	if _, err := tx.ExecContext(ctx, `INSERT INTO sr_schemas (id, guid, schema_type, schema, refs, metadata, rule_set, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		key, s.guid, s.typ, s.text, refs, metadata, ruleSet, v.created); err != nil {
		return 0, err
	}
	for _, ref := range s.refs {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO sr_references (schema_id, ref_subject, ref_version) VALUES (?, ?, ?)`,
			key, qualifyReference(space, ref.Subject), ref.Version); err != nil {
			return 0, fmt.Errorf("references: %w", err)
		}
	}
	return key, nil
}

func (s *sqliteStore) recordRefusal(ctx context.Context, f refusalRow, expected []versionRow, keep int) ([]versionRow, error) {
	var current []versionRow
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if current, err = sqliteVersions(ctx, tx, f.subject); err != nil {
			return err
		}
		if !sameVersions(current, expected) {
			return errStale
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sr_refusals (subject, schema_type, compatibility, against_version, reasons, reason_count, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, f.subject, f.typ, f.level, f.against, f.reasons, f.reasonCount, f.created); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM sr_refusals WHERE subject = ? AND id NOT IN
			(SELECT id FROM sr_refusals WHERE subject = ? ORDER BY id DESC LIMIT ?)`, f.subject, f.subject, keep)
		return err
	})
	if errors.Is(err, errStale) {
		return current, err
	}
	return nil, err
}

func (s *sqliteStore) write(ctx context.Context, f func(tx storeTx) error) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return f(sqliteTx{tx}) })
}

// sqliteTx is a write transaction on the write connection.
type sqliteTx struct{ tx *sql.Tx }

func (t sqliteTx) versions(ctx context.Context, subject string) ([]versionRow, error) {
	return sqliteVersions(ctx, t.tx, subject)
}

func (t sqliteTx) mode(ctx context.Context, key string) (string, error) {
	return sqliteMode(ctx, t.tx, key)
}

func (t sqliteTx) referrers(ctx context.Context, subject string, version int, withDeleted bool) ([]Referrer, error) {
	return sqliteReferrers(ctx, t.tx, subject, version, withDeleted)
}

func (t sqliteTx) liveVersions(ctx context.Context, subject string) (int, error) {
	q, args := `SELECT count(*) FROM sr_versions WHERE deleted = 0`, []any{}
	switch _, name := SplitSubject(subject); {
	case subject != "" && name == "": // a context: its subjects
		q, args = q+` AND substr(subject, 1, length(?1)) = ?1`, append(args, subject)
	case subject != "":
		q, args = q+` AND subject = ?`, append(args, subject)
	}
	var n int
	err := t.tx.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

func (t sqliteTx) subjectsIn(ctx context.Context, prefix string) (int, error) {
	var n int
	err := t.tx.QueryRowContext(ctx, `SELECT count(DISTINCT subject) FROM sr_versions WHERE substr(subject, 1, length(?1)) = ?1`, prefix).Scan(&n)
	return n, err
}

func (t sqliteTx) deleteContext(ctx context.Context, name string) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE sr_contexts SET deleted = 1 WHERE name = ?`, name)
	return err
}

func (t sqliteTx) config(ctx context.Context, key string) (*Config, error) {
	return sqliteConfig(ctx, t.tx, key)
}

func (t sqliteTx) putConfig(ctx context.Context, key string, cfg Config) error {
	values, err := configValues(cfg)
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, `INSERT INTO sr_config (subject, `+configColumns+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility, compatibility_policy = excluded.compatibility_policy,
			normalize = excluded.normalize, contract = excluded.contract`, append([]any{key}, values...)...)
	return err
}

func (t sqliteTx) deleteConfig(ctx context.Context, key string) (*Config, error) {
	cfg, err := scanConfig(t.tx.QueryRowContext(ctx, `DELETE FROM sr_config WHERE subject = ? RETURNING `+configColumns, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return cfg, err
}

func (t sqliteTx) setMode(ctx context.Context, key, mode string) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO sr_mode (subject, mode) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET mode = excluded.mode`, key, mode)
	return err
}

func (t sqliteTx) deleteMode(ctx context.Context, key string) (string, error) {
	m, err := scanString(t.tx.QueryRowContext(ctx, `DELETE FROM sr_mode WHERE subject = ? RETURNING mode`, key))
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return m, err
}

func (t sqliteTx) softDelete(ctx context.Context, subject string, version int) error {
	_, err := t.tx.ExecContext(ctx, `UPDATE sr_versions SET deleted = 1 WHERE subject = ? AND (? = 0 OR version = ?)`, subject, version, version)
	return err
}

func (t sqliteTx) hardDelete(ctx context.Context, subject string, version int) error {
	_, err := t.tx.ExecContext(ctx, `DELETE FROM sr_versions WHERE subject = ? AND (? = 0 OR version = ?)`, subject, version, version)
	return err
}

func (t sqliteTx) deleteSubjectSettings(ctx context.Context, subject string) error {
	for _, table := range []string{"sr_config", "sr_mode", "sr_refusals"} {
		if _, err := t.tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE subject = ?`, subject); err != nil {
			return err
		}
	}
	return nil
}

func (t sqliteTx) deleteOrphans(ctx context.Context, ids []int) ([]int, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	var gone []int
	for _, id := range ids {
		res, err := t.tx.ExecContext(ctx, `DELETE FROM sr_schemas WHERE id = ? AND NOT EXISTS (SELECT 1 FROM sr_versions WHERE schema_id = ?)`, id, id)
		if err != nil {
			return nil, fmt.Errorf("delete schema %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			gone = append(gone, id)
		}
	}
	return gone, nil
}

// changed: a SQLite file has one process, which dropped what it cached itself.
func (sqliteTx) changed(context.Context, string) error { return nil }

func (s *sqliteStore) associations(ctx context.Context, key associationKey) ([]Association, error) {
	where, args := key.where(func(int) string { return "?" })
	return sqliteList(ctx, s.db.Read, scanAssociation, `SELECT `+associationColumns+` FROM sr_associations WHERE `+where, args...)
}

func (t sqliteTx) putAssociation(ctx context.Context, a Association) error {
	_, err := t.tx.ExecContext(ctx, `INSERT INTO sr_associations (`+associationColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (resource_id, resource_type, association_type) DO UPDATE SET subject = excluded.subject,
			resource_name = excluded.resource_name, resource_namespace = excluded.resource_namespace,
			lifecycle = excluded.lifecycle, frozen = excluded.frozen, updated_at = excluded.updated_at`, associationValues(a)...)
	return err
}

func (t sqliteTx) deleteAssociation(ctx context.Context, a Association) error {
	_, err := t.tx.ExecContext(ctx, `DELETE FROM sr_associations WHERE resource_id = ? AND resource_type = ? AND association_type = ?`, a.ResourceID, a.ResourceType, a.AssociationType)
	return err
}
