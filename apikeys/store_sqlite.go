package apikeys

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/eventlens/eventlens/sqlitedb"
)

// sqliteStore keeps keys in api_keys, times as RFC 3339 text.
type sqliteStore struct{ db *sqlitedb.DB }

const sqliteKeyColumns = `id, name, role, created_at, revoked_at`

func (s sqliteStore) insert(ctx context.Context, key Key, hash [32]byte) (bool, error) {
	res, err := s.db.Write.ExecContext(ctx,
		`INSERT INTO api_keys (id, name, role, secret_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		key.ID, key.Name, key.Role.String(), hash[:], key.CreatedAt.Format(time.RFC3339))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (s sqliteStore) list(ctx context.Context) ([]Key, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+sqliteKeyColumns+` FROM api_keys ORDER BY created_at, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []Key
	for rows.Next() {
		key, err := scanSQLiteKey(rows)
		if err != nil {
			return nil, err
		}
		keys = append(keys, key)
	}
	return keys, rows.Err()
}

func (s sqliteStore) revoke(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.Write.ExecContext(ctx,
		`UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?`, at.Format(time.RFC3339), id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errNoRow
	}
	return nil
}

func (s sqliteStore) countValid(ctx context.Context) (int, error) {
	var n int
	err := s.db.Read.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE revoked_at IS NULL`).Scan(&n)
	return n, err
}

func (s sqliteStore) validByHash(ctx context.Context, hash [32]byte) (Key, error) {
	return scanSQLiteKey(s.db.Read.QueryRowContext(ctx,
		`SELECT `+sqliteKeyColumns+` FROM api_keys WHERE secret_hash = ? AND revoked_at IS NULL`, hash[:]))
}

func (s sqliteStore) validByID(ctx context.Context, id string) (Key, error) {
	return scanSQLiteKey(s.db.Read.QueryRowContext(ctx,
		`SELECT `+sqliteKeyColumns+` FROM api_keys WHERE id = ? AND revoked_at IS NULL`, id))
}

func (s sqliteStore) signingKey(ctx context.Context) ([]byte, error) {
	var key []byte
	err := s.db.Read.QueryRowContext(ctx, `SELECT key FROM signing_key WHERE id = 1`).Scan(&key)
	return key, err
}

func scanSQLiteKey(row interface{ Scan(...any) error }) (Key, error) {
	var key Key
	var role, created string
	var revoked sql.NullString
	if err := row.Scan(&key.ID, &key.Name, &role, &created, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return key, errNoRow
		}
		return key, err
	}
	var err error
	if key.Role, err = ParseRole(role); err != nil {
		return key, err
	}
	if key.CreatedAt, err = time.Parse(time.RFC3339, created); err != nil {
		return key, err
	}
	if revoked.Valid {
		t, err := time.Parse(time.RFC3339, revoked.String)
		if err != nil {
			return key, err
		}
		key.RevokedAt = &t
	}
	return key, nil
}
